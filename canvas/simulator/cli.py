"""Command line: serve a simulated Canvas until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from canvas.simulator.server import Simulator, token_for

CONTROLS = """\
Faults and changes while it runs (POST JSON to the control endpoints; not counted, not throttled):

  Canvas hangs (answers nothing for 60 s; the dashboard gives up at CANVAS_SYNC_DEADLINE_SECONDS):
    curl -X POST localhost:8765/__sim/faults -d '{"fail": [{"path": "/api/v1/", "status": "timeout", "seconds": 60}]}'
  Canvas refuses connections: stop this process (Ctrl-C), or drop every connection:
    curl -X POST localhost:8765/__sim/faults -d '{"fail": [{"path": ".*", "status": "reset"}]}'
  Canvas fails with 500 three times, then recovers:
    curl -X POST localhost:8765/__sim/faults -d '{"fail": [{"path": "/courses", "status": 500, "times": 3}]}'
  The student revokes the token (401 with WWW-Authenticate: reconnect needed):
    curl -X POST localhost:8765/__sim/faults -d '{"revoke": [1]}'
  Slow Canvas (ms added to every request):   -d '{"latency_ms": 800}'
  Throttling (403 Rate Limit Exceeded):      -d '{"throttle": {"hwm": 100, "cost": 60}}'
  A course the token may not read:           -d '{"forbid_courses": {"10003": 403}}'
  Back to normal:                            -d '{"clear": true}'

  A teacher posts a grade (the next sync picks it up):
    curl -X POST localhost:8765/__sim/mutate -d '{"user": 1, "op": "grade", "assignment_id": 1000001, "score": 9}'
  Other ops: post_old_grade, add_assignment, update_assignment, delete_assignment, rename_course,
  drop_course. Ids: GET /__sim/dataset/1. Request counts: GET /__sim/stats.
"""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="canvas simulate", description="Serve a simulated Canvas LMS on loopback.",
        epilog=CONTROLS, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--port", type=int, default=8765, help="TCP port (0 = any free port)")
    p.add_argument("--seed", type=int, default=1, help="data seed (same seed, same data)")
    p.add_argument("--latency-ms", type=int, default=0, help="delay added to each API request")
    p.add_argument("--host", default="127.0.0.1", help="address to bind")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    # handlers can only be installed from the main thread (tests may call us elsewhere)
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, _on_signal)
    sim = Simulator(port=args.port, seed=args.seed, latency_ms=args.latency_ms, host=args.host)
    try:
        sim.start()
        print(f"Simulated Canvas at {sim.base_url} — demo token: {token_for(1)}", file=sys.stderr)
        sys.stderr.flush()
        while not stop.wait(0.5):
            pass
    finally:
        sim.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
