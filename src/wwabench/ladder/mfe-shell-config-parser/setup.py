"""Seed-dependent variant: three shell scripts parse one config file three wrong ways; unify them in a function."""

import random

APPS = ["deployer", "mailer", "syncer", "backupd", "relay", "harbor", "watcher"]
FUNCS = ["conf_get", "config_value", "cfg_get", "get_setting", "setting"]
SUFFIXES = ["CONF", "CONFIG", "CONFIG_FILE", "SETTINGS"]

COMMON = '''# Shared helpers of the @APP@ scripts. Source it, don't run it.

# The configuration file (see README.md).
CONF=${@VAR@:-@APP@.conf}

die() {
    echo "error: $*" >&2
    exit 1
}
'''

SHOW_DB = '''#!/usr/bin/env bash
# Usage: show-db.sh
# Print the database URL of the configuration: postgres://USER@HOST:PORT/NAME
set -euo pipefail
. "$(dirname "$0")/../lib/common.sh"

user=$(grep "^db.user=" "$CONF" | head -n 1 | cut -d= -f2 || true)
host=$(grep "^db.host=" "$CONF" | head -n 1 | cut -d= -f2 || true)
port=$(grep "^db.port=" "$CONF" | head -n 1 | cut -d= -f2 || true)
name=$(grep "^db.name=" "$CONF" | head -n 1 | cut -d= -f2 || true)
echo "postgres://$user@$host:${port:-5432}/$name"
'''

BANNER = '''#!/usr/bin/env bash
# Usage: banner.sh
# Print the banner text of the configuration between two lines of WIDTH CHARs.
set -euo pipefail
. "$(dirname "$0")/../lib/common.sh"

text=$(sed -n 's/^banner\\.text *= *//p' "$CONF" | tail -n 1)
width=$(sed -n 's/^banner\\.width *= *//p' "$CONF" | tail -n 1)
char=$(sed -n 's/^banner\\.char *= *//p' "$CONF" | tail -n 1)
width=${width:-40}
char=${char:--}
line=$(printf "%${width}s" "" | tr ' ' "$char")
printf '%s\\n%s\\n%s\\n' "$line" "$text" "$line"
'''

NOTIFY = '''#!/usr/bin/env bash
# Usage: notify.sh
# Print the notification setting of the configuration.
set -euo pipefail
. "$(dirname "$0")/../lib/common.sh"

email=$(awk -F= '$1 == "notify.email" { print $2 }' "$CONF")
interval=$(awk -F= '$1 == "notify.interval" { v = $2 } END { print v }' "$CONF")
enabled=$(awk -F= '$1 == "notify.enabled" { v = $2 } END { print v }' "$CONF")
if [ "${enabled:-yes}" = yes ]; then
    echo "notify $email every ${interval:-15} min"
else
    echo "notifications off"
fi
'''

README = '''# @APP@

    bin/show-db.sh    print the database URL, postgres://USER@HOST:PORT/NAME
    bin/banner.sh     print the banner text between two lines of WIDTH CHARs
    bin/notify.sh     print "notify EMAIL every INTERVAL min", or
                      "notifications off" when notify.enabled is not "yes"

## Configuration file

The scripts read their settings from the file named by the environment
variable `@VAR@`, or from `@APP@.conf` in the current directory when `@VAR@`
is unset or empty. A missing file sets nothing.

Syntax:

1. A setting is a line `KEY = VALUE`. KEY is made of letters, digits, `.`,
   `_` and `-`, and is case-sensitive. Blanks (spaces and tabs) before KEY,
   around the `=` and at the end of the line are ignored.
2. VALUE is the rest of the line after the first `=`, without those blanks.
   It may contain blanks, `=`, `#`, quotes and backslashes, which are kept as
   they are. It may be empty: the key is then set, to the empty string.
3. If VALUE is at least two characters long and starts and ends with `"`,
   these two quotes are removed: the value is the text between them, blanks
   included.
4. Blank lines, lines whose first non-blank character is `#` (comments) and
   lines that are not a setting are ignored.
5. When a key is set more than once, the last setting wins.
6. The last line counts even when the file does not end with a newline.

## Settings

| key               | script     | default  |
|-------------------|------------|----------|
| `db.user`         | show-db.sh | required |
| `db.host`         | show-db.sh | required |
| `db.port`         | show-db.sh | `5432`   |
| `db.name`         | show-db.sh | required |
| `banner.text`     | banner.sh  | required |
| `banner.width`    | banner.sh  | `40`     |
| `banner.char`     | banner.sh  | `-`      |
| `notify.email`    | notify.sh  | required |
| `notify.interval` | notify.sh  | `15`     |
| `notify.enabled`  | notify.sh  | `yes`    |

A default applies only when the key is not set at all. When a required
setting is not set, the script prints `error: KEY is not set` on stderr,
nothing on stdout, and exits with status 1.
'''


def setup(rng: random.Random) -> dict:
    app = rng.choice(APPS)
    var = app.upper() + "_" + rng.choice(SUFFIXES)
    fn = rng.choice(FUNCS)
    values = {"APP": app, "VAR": var}

    def fill(text):
        for key, value in values.items():
            text = text.replace("@" + key + "@", value)
        return text

    host = rng.choice(["db1", "pg.local", "10.0.0." + str(rng.randint(2, 250))])
    conf = "\n".join([
        f"# {app} configuration",
        f"db.host={host}",
        f"db.user = {rng.choice(['admin', 'app', 'svc'])}",
        f"db.name={app}_{rng.choice(['prod', 'main', 'live'])}",
        f"db.port = {rng.randint(5400, 5499)}",
        "",
        f'banner.text = "  Welcome to {app}  "',
        f"banner.width={rng.randint(12, 30)}",
        "",
        f"notify.email = ops@{app}.example",
        f"notify.interval={rng.choice([5, 10, 30, 60])}",
    ]) + "\n"
    return {
        "params": {"app": app, "var": var, "fn": fn},
        "files": {
            "lib/common.sh": fill(COMMON),
            "bin/show-db.sh": SHOW_DB,
            "bin/banner.sh": BANNER,
            "bin/notify.sh": NOTIFY,
            "README.md": fill(README),
            f"{app}.conf": conf,
        },
        "executable": ["bin/show-db.sh", "bin/banner.sh", "bin/notify.sh"],
    }
