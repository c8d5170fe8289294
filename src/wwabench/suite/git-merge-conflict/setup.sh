# Builds the repository with a main branch and a feature branch that conflict in
# requirements.txt, from the files setup.py put in .stage/. Fixed authors and dates.
set -euo pipefail
export GIT_AUTHOR_NAME="Sam Maintainer" GIT_AUTHOR_EMAIL="sam@example.org"
export GIT_COMMITTER_NAME="Sam Maintainer" GIT_COMMITTER_EMAIL="sam@example.org"
stage=$PWD/.stage
n=0
commit() {
    n=$((n + 1))
    export GIT_AUTHOR_DATE="2024-06-0${n}T14:00:00+02:00" GIT_COMMITTER_DATE="2024-06-0${n}T14:00:00+02:00"
    git add -A
    git -c commit.gpgsign=false commit -q -m "$1"
}

git init -q -b main "$WWA_REPO"
cd "$WWA_REPO"
printf '# %s\n\nA small service.\n' "$WWA_REPO" > README.md
cp "$stage/req-base.txt" requirements.txt
printf 'def main():\n    print("%s")\n' "$WWA_REPO" > app.py
commit "Initial commit"
printf 'import sys\n\nfrom app import main\n\nsys.exit(main())\n' > cli.py
commit "Add CLI entry point"

git switch -q -c "$WWA_BRANCH"
cp "$stage/feature.py" "$WWA_FEATURE.py"
commit "Add $WWA_FEATURE module"
cp "$stage/req-branch.txt" requirements.txt
commit "Update dependencies for $WWA_FEATURE"

git switch -q main
cp "$stage/req-main.txt" requirements.txt
commit "Update dependencies"
printf '\n## Setup\n\n    pip install -r requirements.txt\n' >> README.md
commit "Document setup in README"

cd ..
rm -rf "$stage"
