#!/usr/bin/env bash
# Create .venv and install the pinned dependencies (idempotent; fast when nothing changed).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "First run: creating the Python environment in .venv ..." >&2
  "$PY" -m venv .venv
fi
stamp=.venv/.requirements.sha
want=$(cat requirements.txt requirements-dev.txt bench/requirements.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  # Shown, not silent: a first install downloads ~60 packages and takes a minute or two.
  echo "Installing the pinned Python packages into .venv (first run: a minute or two) ..." >&2
  .venv/bin/python -m pip install -q --upgrade pip
  # one line per package as it is fetched; pip's errors go to stderr unfiltered and fail the script
  .venv/bin/python -m pip install -r requirements-dev.txt \
    | { grep --line-buffered -E '^(Collecting|Successfully installed)' | sed -u 's/^/  /' >&2 || true; }
  echo "Packages installed." >&2
  echo "$want" > "$stamp"
fi
