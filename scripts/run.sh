#!/usr/bin/env bash
# Run Canvas Dashboard: the sync worker and the Streamlit UI, on the embedded PostgreSQL under
# ./.data unless DATABASE_URL is set. Open http://localhost:8501 and press "Try the demo".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
.venv/bin/python sync_worker.py &
worker=$!
trap 'kill -TERM $worker 2>/dev/null; wait $worker 2>/dev/null' EXIT INT TERM
.venv/bin/streamlit run app.py --server.address "${CANVAS_UI_ADDRESS:-127.0.0.1}" --server.port "${PORT:-8501}" \
  --server.headless true --browser.gatherUsageStats false
