# Builds the repository from the snapshots setup.py put in .stage/ (one directory per
# commit, each a full tree: msg, author and files/), then leaves an uncommitted edit in
# NOTES.md. Fixed committer and dates.
set -euo pipefail
export GIT_COMMITTER_NAME="Alex Maintainer" GIT_COMMITTER_EMAIL="alex@example.org"
stage=$PWD/.stage
git init -q -b main "$WWA_REPO"
cd "$WWA_REPO"
for d in "$stage"/[0-9]*; do
    n=$((10#$(basename "$d")))
    export GIT_AUTHOR_DATE="$((1717236000 + n * 3600)) +0000" GIT_COMMITTER_DATE="$((1717236000 + n * 3600)) +0000"
    { read -r GIT_AUTHOR_NAME; read -r GIT_AUTHOR_EMAIL; } < "$d/author"
    export GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL
    git rm -rq --cached --ignore-unmatch . >/dev/null
    find . -mindepth 1 -maxdepth 1 ! -name .git -exec rm -rf {} +
    cp -r "$d/files/." .
    git add -A
    git -c commit.gpgsign=false commit -q -F "$d/msg"
done
cp "$stage/notes-edit.md" NOTES.md
cd ..
rm -rf "$stage"
