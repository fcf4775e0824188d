#!/usr/bin/env bash
# Run Canvas Dashboard: the sync worker and the Streamlit UI, on the embedded PostgreSQL under
# ./.data unless DATABASE_URL is set. Open http://localhost:8501 (PORT=8502 picks another port)
# and press "Try the demo".
#
# Stops everything it started on Ctrl-C, `kill` (SIGTERM) or when either process exits: both run
# in the background in their own process groups, and this script only `wait`s, so a signal is
# handled at once (bash runs a trap only after a *foreground* command ends).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
# The demo's simulated Canvas (started by "Try the demo") listens on 127.0.0.1:8765; let the worker reach it.
export CANVAS_ALLOWED_HOSTS=${CANVAS_ALLOWED_HOSTS:-127.0.0.1:${CANVAS_DEMO_PORT:-8765}}
PORT=${PORT:-8501}
ADDRESS=${CANVAS_UI_ADDRESS:-127.0.0.1}

if ! .venv/bin/python -c 'import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind((sys.argv[1], int(sys.argv[2])))
except OSError:
    sys.exit(1)' "$ADDRESS" "$PORT"; then
  echo "Port $PORT is already in use (is the dashboard already running?). Stop that program, or start on" \
       "another port: PORT=8502 bash scripts/run.sh" >&2
  exit 1
fi

set -m  # background jobs get their own process group, so one kill reaches their children too
pids=()
stop() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  # give them a few seconds to shut down cleanly (the embedded PostgreSQL stops with its last user)
  for _ in $(seq 50); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 -- "-$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  # A process killed above never ran the embedded PostgreSQL's exit handler: stop the server
  # unless something else (a CLI command) still uses it.
  .venv/bin/python -m canvas.db.embedded stop-if-unused || true
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap stop EXIT

.venv/bin/python sync_worker.py &
pids+=($!)
.venv/bin/streamlit run app.py --server.address "$ADDRESS" --server.port "$PORT" \
  --server.headless true --browser.gatherUsageStats false &
pids+=($!)
echo "Canvas Dashboard: http://$ADDRESS:$PORT (Ctrl-C stops it)" >&2
# Whichever ends first (a crash, or a signal to this script), everything else is stopped too.
wait -n || true
