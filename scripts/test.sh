#!/usr/bin/env bash
# Run the whole test suite on a fresh machine: installs what it needs, lints, checks the import
# contracts and types, then pytest.
# Uses an embedded PostgreSQL unless DATABASE_URL points at a server. Extra args go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
if { [ ! -x /usr/bin/chromium ] || [ ! -x /usr/sbin/nginx ]; } && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  # Browser tests drive Debian's chromium (no browser download); the two-replica test puts Debian's
  # nginx in front of the dashboard (deploy/). Without them those tests are skipped.
  (apt-get update -qq && apt-get install -y -qq chromium fonts-noto-color-emoji nginx >/dev/null) \
    || echo "chromium/nginx not installed; browser tests will skip"
fi
bash scripts/bootstrap.sh
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
.venv/bin/ruff check .
# The design's rules (docs/architecture.md): import contracts, then types. Both read pyproject.toml.
.venv/bin/lint-imports
.venv/bin/mypy
exec .venv/bin/python -m pytest "$@"
