# Builds the repository from the commits setup.py put in .stage/ (one directory per
# commit: msg and files/), with fixed authors and dates, and tags the first bump.
set -euo pipefail
export GIT_AUTHOR_NAME="Morgan Release" GIT_AUTHOR_EMAIL="morgan@example.org"
export GIT_COMMITTER_NAME="Morgan Release" GIT_COMMITTER_EMAIL="morgan@example.org"
stage=$PWD/.stage
git init -q -b main "$WWA_REPO"
cd "$WWA_REPO"
for d in "$stage"/[0-9]*; do
    n=$((10#$(basename "$d")))
    export GIT_AUTHOR_DATE="$((1717236000 + n * 3600)) +0000" GIT_COMMITTER_DATE="$((1717236000 + n * 3600)) +0000"
    cp -r "$d/files/." .
    git add -A
    git -c commit.gpgsign=false commit -q -F "$d/msg"
    if [ "$n" = 2 ]; then
        git -c tag.gpgsign=false tag -a "v$WWA_FIRST" -m "Release $WWA_FIRST"
    fi
done
cd ..
rm -rf "$stage"
