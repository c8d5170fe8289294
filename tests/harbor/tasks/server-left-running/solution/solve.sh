#!/bin/bash
nohup python3 -m http.server 8089 --bind 127.0.0.1 --directory /srv >/dev/null 2>&1 &
for _ in $(seq 50); do
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8089/status.txt')" 2>/dev/null && exit 0
  sleep 0.1
done
exit 1
