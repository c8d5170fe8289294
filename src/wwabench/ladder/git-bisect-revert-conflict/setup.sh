# Builds the repository from the snapshots setup.py put in .stage/ (one directory per
# commit, each a full tree: msg and files/), tags the commit that added the tests.
# Fixed authors and dates.
set -euo pipefail
export GIT_AUTHOR_NAME="Pat Shopkeeper" GIT_AUTHOR_EMAIL="pat@example.org"
export GIT_COMMITTER_NAME="Pat Shopkeeper" GIT_COMMITTER_EMAIL="pat@example.org"
stage=$PWD/.stage
git init -q -b main "$WWA_REPO"
cd "$WWA_REPO"
for d in "$stage"/[0-9]*; do
    n=$((10#$(basename "$d")))
    export GIT_AUTHOR_DATE="$((1717236000 + n * 3600)) +0000" GIT_COMMITTER_DATE="$((1717236000 + n * 3600)) +0000"
    git rm -rq --cached --ignore-unmatch . >/dev/null
    find . -mindepth 1 -maxdepth 1 ! -name .git -exec rm -rf {} +
    cp -r "$d/files/." .
    git add -A
    git -c commit.gpgsign=false commit -q -F "$d/msg"
    if [ "$n" = "$WWA_TAGGED" ]; then
        git -c tag.gpgsign=false tag -a "v$WWA_GOOD" -m "Release $WWA_GOOD"
    fi
done
cd ..
rm -rf "$stage"
