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
# A DuckDB store without the duckdb extra: the workspace loads, and the run says what to install.
mkdir -p flows/warehouse
printf 'home: {type: local, path: data/landing, format: csv}\nstore: {type: duckdb, path: wh.duckdb}\nentities: [orders]\n' > flows/warehouse/flow.yml
step hygge list >/dev/null
if hygge go --flow warehouse >"$work/duckdb.out" 2>&1; then
  echo "[user install] hygge go into a duckdb store ran without the duckdb extra" >&2
  exit 1
fi
if ! grep -q "pip install 'hygge-el\[duckdb\]'" "$work/duckdb.out"; then
  echo "[user install] no install hint for the missing duckdb extra:" >&2
  cat "$work/duckdb.out" >&2
  exit 1
fi
echo "[user install] a duckdb store without the extra says: $(grep -o "duckdb is not installed[^;]*; install it with: pip install 'hygge-el\[duckdb\]'" "$work/duckdb.out" | head -1)"
test ! -e wh.duckdb
rm -r flows/warehouse
# The installed tree must not see the dev tools' packages.
if python -c "import pytest" 2>/dev/null; then
  echo "[user install] pytest is importable in the user venv: dev extras leaked in" >&2
  exit 1
fi
printf '\n[user install] ok: pip install . in a fresh venv; help, init, list, go, journal, debug ran; a duckdb store without its extra names the extra\n'
