#!/bin/bash
set -euo pipefail
jq -r '.members[].name' /app/team.json | sort > /app/names.txt
