# Builds a repository of three commits, then leaves uncommitted changes in both the
# module and the notes file. Fixed authors and dates.
set -euo pipefail
export GIT_AUTHOR_NAME="Jo Keeper" GIT_AUTHOR_EMAIL="jo@example.org"
export GIT_COMMITTER_NAME="Jo Keeper" GIT_COMMITTER_EMAIL="jo@example.org"
stage=$PWD/.stage
n=0
commit() {
    n=$((n + 1))
    export GIT_AUTHOR_DATE="$((1717236000 + n * 3600)) +0000" GIT_COMMITTER_DATE="$((1717236000 + n * 3600)) +0000"
    git add -A
    git -c commit.gpgsign=false commit -q -m "$1"
}
git init -q -b main "$WWA_REPO"
cd "$WWA_REPO"
printf '# %s\n\nSmall helpers.\n' "$WWA_REPO" > README.md
commit "Initial commit"
cp "$stage/mod-old.py" "$WWA_MODULE.py"
commit "Add $WWA_MODULE module"
cp "$stage/notes-old.md" "$WWA_NOTES"
commit "Add $WWA_NOTES"
cp "$stage/mod-new.py" "$WWA_MODULE.py"
cp "$stage/notes-new.md" "$WWA_NOTES"
cd ..
rm -rf "$stage"
