# Builds the repository: main, then the branch BRANCH (three commits, the last one
# amended), back to main and a commit there, BRANCH deleted, a spike branch
# BRANCH-spike made and deleted too, one more commit on main. Only the reflog of HEAD
# still knows the branch. Fixed authors and dates.
set -euo pipefail
export GIT_COMMITTER_NAME="Casey Lead" GIT_COMMITTER_EMAIL="casey@example.org"
stage=$PWD/.stage
f=$WWA_FEATURE
n=0
commit() {
    n=$((n + 1))
    export GIT_AUTHOR_DATE="$((1717236000 + n * 3600)) +0000" GIT_COMMITTER_DATE="$((1717236000 + n * 3600)) +0000"
    git add -A
    git -c commit.gpgsign=false commit -q "$@"
}
lead() { export GIT_AUTHOR_NAME="Casey Lead" GIT_AUTHOR_EMAIL="casey@example.org"; }
dev() { export GIT_AUTHOR_NAME="Riley Dev" GIT_AUTHOR_EMAIL="riley@example.org"; }

git init -q -b main "$WWA_REPO"
cd "$WWA_REPO"
lead
cp "$stage/README-1.md" README.md
cp "$stage/app.py" app.py
cp "$stage/NEWS-0.md" NEWS.md
commit -m "Initial commit"
cp "$stage/config-1.py" config.py
commit -m "Add config loader"

dev
git switch -q -c "$WWA_BRANCH"
cp "$stage/feature.py" "$f.py"
commit -m "Add $f module"
cp "$stage/NEWS-branch.md" NEWS.md
commit -m "Add $f to NEWS"
cp "$stage/test-wrong.py" "test_$f.py"
commit -m "Add tets for $f"
cp "$stage/test-right.py" "test_$f.py"
commit --amend -m "Add tests for $f"

lead
git switch -q main
cp "$stage/config-2.py" config.py
cp "$stage/NEWS-1.md" NEWS.md
commit -m "Expand ~ in the config path"
git branch -q -D "$WWA_BRANCH"

dev
git switch -q -c "$WWA_BRANCH-spike"
cp "$stage/spike.py" "$f.py"
commit -m "Spike: $f prototype"
git switch -q main
git branch -q -D "$WWA_BRANCH-spike"

lead
cp "$stage/README-2.md" README.md
cp "$stage/NEWS-2.md" NEWS.md
commit -m "Document the setup"
cd ..
rm -rf "$stage"
