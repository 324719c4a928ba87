#!/usr/bin/env bash
# Install hygge the way the README tells users (a fresh venv, `pip install .`, no extras, no dev
# tools) and run the commands a new user runs first. Fails if any of them fails: a package that
# only the dev extras brought in once broke every command for users.
set -euo pipefail
python=${1:-python3}
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

step() { printf '\n[user install] $ %s\n' "$*"; "$@"; }

"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --upgrade pip
step "$work/venv/bin/python" -m pip install --quiet "$repo"
export PATH="$work/venv/bin:$PATH"
cd "$work"  # far from the clone: the installed package, not the source tree, is what runs
step hygge --help >/dev/null
step hygge init shop
cd shop
step hygge list
step hygge go
step hygge journal
step hygge debug
# The installed tree must not see the dev tools' packages.
if python -c "import pytest" 2>/dev/null; then
  echo "[user install] pytest is importable in the user venv: dev extras leaked in" >&2
  exit 1
fi
printf '\n[user install] ok: pip install . in a fresh venv; help, init, list, go, journal, debug ran\n'
