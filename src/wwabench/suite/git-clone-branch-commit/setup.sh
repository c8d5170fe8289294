# Builds the bare repository upstream.git (branches main and develop) with fixed
# authors and dates, so that every seed always gives the same commits.
set -euo pipefail
export GIT_AUTHOR_NAME="Robin Upstream" GIT_AUTHOR_EMAIL="robin@upstream.example"
export GIT_COMMITTER_NAME="Robin Upstream" GIT_COMMITTER_EMAIL="robin@upstream.example"
n=0
commit() {
    n=$((n + 1))
    export GIT_AUTHOR_DATE="2024-05-0${n}T09:30:00+00:00" GIT_COMMITTER_DATE="2024-05-0${n}T09:30:00+00:00"
    git add -A
    git -c commit.gpgsign=false commit -q -m "$1"
}

git init -q --bare -b main upstream.git
git init -q -b main .build
cd .build

printf '# relay service\n\nStart it with ./run.sh; settings are in settings.ini.\n' > README.md
cat > settings.ini <<INI
# Service settings
[server]
port = $WWA_BASE_PORT
workers = 2
timeout = $WWA_BASE_TIMEOUT
retries = $WWA_BASE_RETRIES

[log]
level = info
file = service.log
INI
commit "Initial commit"

cat > run.sh <<'SH'
#!/bin/sh
exec python3 -m relay --config settings.ini "$@"
SH
chmod +x run.sh
commit "Add run script"

sed -i "s/^workers = 2\$/workers = $WWA_BASE_WORKERS/" settings.ini
commit "Raise the worker count"

git switch -q -c develop
sed -i 's/^level = info$/level = debug/' settings.ini
commit "WIP: debug logging"

git push -q ../upstream.git main develop
cd ..
rm -rf .build
