#!/bin/bash
# Build textkit: byte-compile, run the test suite, package dist/textkit-VERSION.tar.gz
set -euo pipefail
cd "$(dirname "$0")"
version=$(cat VERSION)
echo "== compile"
python3 -m compileall -q --invalidation-mode checked-hash textkit
echo "== test"
python3 -m unittest discover -s tests -t .
echo "== package"
rm -rf dist
mkdir -p dist
tar -czf "dist/textkit-$version.tar.gz" --exclude=__pycache__ textkit VERSION
echo "built dist/textkit-$version.tar.gz"
