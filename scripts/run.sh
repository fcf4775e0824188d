#!/usr/bin/env bash
# Run Canvas Dashboard: the sync worker and the Streamlit UI, on the embedded PostgreSQL under
# ./.data unless DATABASE_URL is set. Open http://localhost:8501 and press "Try the demo".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
# The demo's simulated Canvas (started by "Try the demo") listens on 127.0.0.1:8765; let the worker reach it.
export CANVAS_ALLOWED_HOSTS=${CANVAS_ALLOWED_HOSTS:-127.0.0.1:${CANVAS_DEMO_PORT:-8765}}
.venv/bin/python sync_worker.py &
worker=$!
trap 'kill -TERM $worker 2>/dev/null; wait $worker 2>/dev/null' EXIT INT TERM
.venv/bin/streamlit run app.py --server.address "${CANVAS_UI_ADDRESS:-127.0.0.1}" --server.port "${PORT:-8501}" \
  --server.headless true --browser.gatherUsageStats false
