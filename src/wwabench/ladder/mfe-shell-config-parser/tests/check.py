"""Hidden checks for mfe-shell-config-parser. Usage: python3 /checks/check.py MODE"""

import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

APP, VAR, FN = (os.environ["WWA_" + k] for k in ("APP", "VAR", "FN"))
WS = os.getcwd()
rng = random.Random()
BLANKS = ["", "", " ", "  ", "\t", " \t "]
SETTING = re.compile(r"[ \t]*([A-Za-z0-9._-]+)[ \t]*=(.*)")


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def parse(text):
    """The README's rules, for the expected answers."""
    values = {}
    for line in text.split("\n"):
        m = SETTING.fullmatch(line)
        if m:
            value = m.group(2).strip(" \t")
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            values[m.group(1)] = value
    return values


def blank():
    return rng.choice(BLANKS)


def setting(key, value, quote=None):
    """One line setting key to value, in a random legal spelling."""
    if quote is None:
        quote = value != value.strip(" \t") or (value[:1] == '"' and value[-1:] == '"' and len(value) >= 2) \
            or rng.random() < 0.3
    shown = f'"{value}"' if quote else value
    return f"{blank()}{key}{blank()}={blank()}{shown}{blank()}"


def noise(key):
    """Lines that a sloppy parser takes for a setting of key."""
    wrong = "wrong" + str(rng.randint(10, 99))
    first, _, rest = key.partition(".")
    return rng.sample([
        f"# {key} = {wrong}",
        f"  #{key}={wrong}",
        f"{first}X{rest} = {wrong}",
        f"{key}name = {wrong}",
        f"{key}.old={wrong}",
        f"x{key} = {wrong}",
        f"{key} {wrong}",
        f"{key.upper()} = {wrong}",
    ], 3)


def config(settings, final_newline=True):
    """Text of a config where each (key, value) is set last to value, after wrong earlier settings."""
    lines = ["# generated " + str(rng.randint(1000, 9999))]
    for key, value in settings:
        if rng.random() < 0.5:
            lines.append(setting(key, "old" + str(rng.randint(1, 99))))
        lines.extend(noise(key)[:rng.randint(0, 1)])
    rng.shuffle(lines)
    tail = []
    for key, value in settings:
        tail.append(setting(key, value))
        tail.extend(noise(key))
        if rng.random() < 0.3:
            tail.append("")
    text = "\n".join(lines + tail)
    return text + ("\n" if final_newline else "")


def word(chars="abcdefghijklmnopqrstuvwxyz0123456789", lo=2, hi=8):
    return "".join(rng.choice(chars) for _ in range(rng.randint(lo, hi)))


def fancy_value():
    parts = [word() for _ in range(rng.randint(1, 3))]
    extra = rng.choice(["=", " # ", "*", "\\", "%s", "'", ' "q" ', "a=b=c", ""])
    value = " ".join(parts[:1] + [extra] + parts[1:]) if extra else " ".join(parts)
    if rng.random() < 0.25:
        value = "  " + value + " "
    return value


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def environ(conf):
    env = {k: v for k, v in os.environ.items() if k != VAR}
    if conf is not None:
        env[VAR] = conf
    return env


def call(args, cwd, conf, what):
    try:
        return subprocess.run(args, cwd=cwd, env=environ(conf), capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        fail(f"{what} took more than 20 s")


# ---- lib: the function alone ----

def query(lib, conf, cwd, key, *default):
    script = f'. "$1"; shift; {FN} "$@"'
    r = call(["bash", "-c", script, "bash", lib, key, *default], cwd, conf, f"{FN} {key}")
    return r.returncode, r.stdout, r.stderr


def expect(lib, conf, cwd, key, default, values, where):
    rc, out, err = query(lib, conf, cwd, key, *default)
    if key in values:
        want = (0, values[key] + "\n")
    elif default:
        want = (0, default[0] + "\n")
    else:
        want = (1, "")
    if (rc, out) != want:
        args = " ".join([key] + [repr(d) for d in default])
        fail(f"{FN} {args} ({where}) printed {out!r} with status {rc}, want {want[1]!r} with status {want[0]}"
             + (f"; stderr {err[-300:]!r}" if err else ""))


def check_lib(tmp):
    lib = os.path.join(WS, "lib", "common.sh")
    keys = [f"{word('abcdefgh', 2, 5)}.{word('abcdefgh', 2, 6)}" for _ in range(6)]
    keys += ["port", "x_y-z.1", "Mixed.Case"]
    keys = list(dict.fromkeys(keys))
    settings = [(k, fancy_value()) for k in keys]
    settings.append(("empty.value", ""))
    text = config(settings) + f'quoted.empty = ""\nlast.line = {word()}' + rng.choice(["", "\n"])
    values = parse(text)
    assert values["empty.value"] == "" and values["quoted.empty"] == ""
    conf = os.path.join(tmp, "conf dir", "test.conf")
    os.makedirs(os.path.dirname(conf))
    write(conf, text)
    where = f"{VAR} names a fresh config"
    for key in list(values):
        if key in dict(settings) or key in ("empty.value", "quoted.empty", "last.line", "port"):
            default = [fancy_value().strip()] if rng.random() < 0.3 else []
            expect(lib, conf, tmp, key, default, values, where)
    for key in ("missing.key", keys[0] + "X", keys[1].upper() if keys[1].upper() not in values else "nope"):
        expect(lib, conf, tmp, key, [], values, where)
        expect(lib, conf, tmp, key, ["fall back " + word()], values, where)
    expect(lib, conf, tmp, "empty.value", ["not this"], values, where)
    # no file at all
    expect(lib, os.path.join(tmp, "none.conf"), tmp, keys[0], [], {}, f"{VAR} names a missing file")
    expect(lib, os.path.join(tmp, "none.conf"), tmp, keys[0], ["dflt"], {}, f"{VAR} names a missing file")
    # the default file, with the variable unset or empty
    home = os.path.join(tmp, "home")
    os.makedirs(home)
    default_settings = [(k, word()) for k in keys[:3]]
    default_text = config(default_settings)
    write(os.path.join(home, f"{APP}.conf"), default_text)
    default_values = parse(default_text)
    for conf_value in (None, ""):
        state = "unset" if conf_value is None else "empty"
        for key, _ in default_settings:
            expect(lib, conf_value, home, key, [], default_values, f"{VAR} {state}, ./{APP}.conf")


# ---- the scripts ----

def copy_with_marked_fn(tmp, table, name):
    """bin/ and lib/ copied, with FN replaced at the end of lib/common.sh by a fixed table."""
    copy = os.path.join(tmp, "marked-" + name)
    for d in ("bin", "lib"):
        shutil.copytree(os.path.join(WS, d), os.path.join(copy, d), symlinks=True)
    quote = lambda v: "'" + v.replace("'", "'\\''") + "'"
    cases = "".join(f"        {k}) printf '%s\\n' {quote(v)} ;;\n" for k, v in table.items())
    with open(os.path.join(copy, "lib", "common.sh"), "a") as f:
        f.write(f'\n{FN}() {{\n    case $1 in\n{cases}        *) [ $# -ge 2 ] && printf "%s\\n" "$2" ;;\n    esac\n}}\n')
    return copy


def run_script(root, script, conf, cwd, what):
    r = call(["bash", os.path.join(root, "bin", script)], cwd, conf, what)
    return r


def check_script(tmp, script, make, expected, required):
    """make() -> settings; expected(values) -> stdout."""
    for i in range(4):
        settings = make()
        text = config(settings, final_newline=rng.random() < 0.7)
        conf = os.path.join(tmp, f"c{i}.conf")
        write(conf, text)
        r = run_script(WS, script, conf, tmp, script)
        want = expected(parse(text))
        if r.returncode != 0 or r.stdout != want:
            fail(f"bin/{script} with the config\n{text}\nprinted {r.stdout!r} (status {r.returncode}, "
                 f"stderr {r.stderr[-300:]!r}), want {want!r}")
    # the default file in the current directory
    settings = make()
    text = config(settings)
    home = os.path.join(tmp, "home-" + script)
    os.makedirs(home)
    write(os.path.join(home, f"{APP}.conf"), text)
    for conf in (None, ""):
        r = run_script(WS, script, conf, home, script)
        if r.returncode != 0 or r.stdout != expected(parse(text)):
            fail(f"bin/{script} with {VAR} {'unset' if conf is None else 'empty'} and ./{APP}.conf\n{text}\n"
                 f"printed {r.stdout!r} (status {r.returncode}), want {expected(parse(text))!r}")
    # a required setting missing
    for key in rng.sample(required, min(2, len(required))):
        settings = [(k, v) for k, v in make() if k != key]
        text = config(settings) + f"# {key} = commented out\n{key}.old = no\n"
        conf = os.path.join(tmp, "missing.conf")
        write(conf, text)
        r = run_script(WS, script, conf, tmp, script)
        want = f"error: {key} is not set\n"
        if r.returncode != 1 or r.stdout != "" or r.stderr != want:
            fail(f"bin/{script} without {key} in the config: status {r.returncode}, stdout {r.stdout!r}, "
                 f"stderr {r.stderr[-300:]!r}; want status 1, no stdout, stderr {want!r}")
    # every setting comes through FN
    table = {k: v for k, v in make()}
    copy = copy_with_marked_fn(tmp, table, script)
    decoy = os.path.join(tmp, "decoy.conf")
    write(decoy, config([(k, "decoy" + str(rng.randint(1, 9))) for k in table]))
    r = run_script(copy, script, decoy, tmp, script)
    want = expected(table)
    if r.returncode != 0 or r.stdout != want:
        fail(f"bin/{script} does not take every setting from {FN}: with {FN} answering {table}, it printed "
             f"{r.stdout!r} (status {r.returncode}, stderr {r.stderr[-300:]!r}), want {want!r}")


def token():
    return word("abcdefghijklmnopqrstuvwxyz0123456789", 2, 7) + rng.choice(["", ".local", "-2", "_x"])


def check_showdb(tmp):
    def make():
        s = [("db.user", token()), ("db.host", token()), ("db.name", token())]
        if rng.random() < 0.6:
            s.append(("db.port", str(rng.randint(1024, 65000))))
        rng.shuffle(s)
        return s

    def expected(v):
        return f"postgres://{v['db.user']}@{v['db.host']}:{v.get('db.port', '5432')}/{v['db.name']}\n"

    check_script(tmp, "show-db.sh", make, expected, ["db.user", "db.host", "db.name"])


def check_banner_notify(tmp):
    def make_banner():
        s = [("banner.text", fancy_value().replace("%s", "%").lstrip("-") or "hi")]
        if rng.random() < 0.6:
            s.append(("banner.width", str(rng.randint(3, 30))))
        if rng.random() < 0.6:
            s.append(("banner.char", rng.choice("=*~#+.")))
        rng.shuffle(s)
        return s

    def banner(v):
        line = v.get("banner.char", "-") * int(v.get("banner.width", "40"))
        return f"{line}\n{v['banner.text']}\n{line}\n"

    check_script(tmp, "banner.sh", make_banner, banner, ["banner.text"])

    def make_notify():
        s = [("notify.email", f"{word()}@{word()}.example")]
        if rng.random() < 0.6:
            s.append(("notify.interval", str(rng.randint(1, 120))))
        if rng.random() < 0.5:
            s.append(("notify.enabled", rng.choice(["yes", "yes", "no", "Yes", "off"])))
        rng.shuffle(s)
        return s

    def notify(v):
        if v.get("notify.enabled", "yes") != "yes":
            return "notifications off\n"
        return f"notify {v['notify.email']} every {v.get('notify.interval', '15')} min\n"

    check_script(tmp, "notify.sh", make_notify, notify, ["notify.email"])


tmp = tempfile.mkdtemp(prefix="check-")
try:
    {"lib": check_lib, "showdb": check_showdb, "banner_notify": check_banner_notify}[sys.argv[1]](tmp)
finally:
    shutil.rmtree(tmp, ignore_errors=True)
