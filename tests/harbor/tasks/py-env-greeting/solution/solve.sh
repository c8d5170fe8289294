#!/bin/bash
set -e
# The reference also wants `six` (installed at build time, satisfied offline here).
pip install six
cat > /srv/app/greet.py <<'PY'
import os

import yaml


def greeting() -> str:
    with open("/srv/app/config.yaml") as f:
        word = yaml.safe_load(f)["greeting"]
    return f"{word} {os.environ['APP_USER']}"
PY
