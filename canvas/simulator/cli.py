"""Command line: serve a simulated Canvas until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from canvas.simulator.server import Simulator, token_for


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="canvas simulate", description="Serve a simulated Canvas LMS on loopback."
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
