# Builds a repository whose conf/NAME.ini was changed by two commits after the tag
# vVERSION (each of them also changes other files). Fixed authors and dates.
set -euo pipefail
export GIT_AUTHOR_NAME="Lee Operator" GIT_AUTHOR_EMAIL="lee@example.org"
export GIT_COMMITTER_NAME="Lee Operator" GIT_COMMITTER_EMAIL="lee@example.org"
stage=$PWD/.stage
n=0
commit() {
    n=$((n + 1))
    export GIT_AUTHOR_DATE="$((1717236000 + n * 3600)) +0000" GIT_COMMITTER_DATE="$((1717236000 + n * 3600)) +0000"
    git add -A
    git -c commit.gpgsign=false commit -q -m "$1"
}
conf=conf/$WWA_NAME.ini
git init -q -b main "$WWA_REPO"
cd "$WWA_REPO"
mkdir conf
printf '# %s\n\nSettings live in conf/.\n' "$WWA_REPO" > README.md
printf 'import configparser\n\n\ndef load(path="%s"):\n    c = configparser.ConfigParser()\n    c.read(path)\n    return c\n' "$conf" > app.py
cp "$stage/good.ini" "$conf"
commit "Initial commit"
printf '\n\ndef log(msg):\n    print("[%s]", msg)\n' "$WWA_REPO" >> app.py
commit "Add logging"
git -c tag.gpgsign=false tag -a "v$WWA_VERSION" -m "Release $WWA_VERSION"
cp "$stage/tuned.ini" "$conf"
printf '\n\ndef reload():\n    return load()\n' >> app.py
commit "Tune $WWA_NAME pool and timeout"
printf '\n## Running\n\n    python3 app.py\n' >> README.md
commit "Document running the app"
cp "$stage/moved.ini" "$conf"
printf '# logging settings\n[log]\nlevel = info\n' > conf/logging.ini
commit "Move $WWA_NAME to $WWA_HOST, add logging settings"
cd ..
rm -rf "$stage"
