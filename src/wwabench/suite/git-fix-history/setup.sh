# Builds a repository whose last commit ("wip") has a bad message, contains an
# accidentally committed log file, and lacks the CHANGELOG entry that is still
# only modified in the working tree. Fixed authors and dates.
set -euo pipefail
n=0
commit() {
    n=$((n + 1))
    export GIT_AUTHOR_DATE="2024-07-0${n}T11:15:00+00:00" GIT_COMMITTER_DATE="2024-07-0${n}T11:15:00+00:00"
    git add -A
    git -c commit.gpgsign=false commit -q -m "$1"
}
export GIT_AUTHOR_NAME="Alex Lead" GIT_AUTHOR_EMAIL="alex@example.org"
export GIT_COMMITTER_NAME="Alex Lead" GIT_COMMITTER_EMAIL="alex@example.org"
module=$WWA_MODULE

git init -q -b main "$WWA_REPO"
cd "$WWA_REPO"
printf '__pycache__/\n*.pyc\n.venv/\n' > .gitignore
printf '# %s\n' "$WWA_REPO" > README.md
cat > "$module.py" <<PY
"""Totals for $module."""


def total(amounts):
    return round(sum(amounts), 1)
PY
commit "Initial commit"
printf '# Changelog\n\n## Unreleased\n\n## %s\n\n- First release\n' "$WWA_VERSION" > CHANGELOG.md
commit "Add changelog"
cat >> "$module.py" <<PY


def average(amounts):
    return total(amounts) / len(amounts) if amounts else 0.0
PY
commit "Add average"
git tag "v$WWA_VERSION"

# the commit to fix, made by someone else
export GIT_AUTHOR_NAME="Kim Developer" GIT_AUTHOR_EMAIL="kim@example.org"
sed -i "s/round(sum(amounts), 1)/round(sum(amounts), $WWA_PLACES)/" "$module.py"
printf 'DEBUG total() called\nsession=%s\n' "$WWA_TOKEN" > "$WWA_JUNK"
commit "wip"
sed -i "s/^## Unreleased\$/## Unreleased\n\n- $WWA_TICKET: round $module totals to $WWA_PLACES places/" CHANGELOG.md
