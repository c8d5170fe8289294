#!/bin/bash
mkdir -p /logs/verifier
if [ "$(cat /app/names.txt 2>/dev/null)" = "$(printf 'Ann\nMo\nZoe')" ]; then
  echo 1 > /logs/verifier/reward.txt
else
  echo "names.txt is wrong or missing"
  echo 0 > /logs/verifier/reward.txt
fi
