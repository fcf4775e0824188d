"""Background sync service: `python sync_worker.py [--once] [--interval MS]`.

Run one or many copies (on one or many machines): they share work through PostgreSQL.
SIGTERM/SIGINT stop claiming, let the current users finish (or release them after the grace
period) and exit 0.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading

from canvas import errors
from canvas.config import get_settings
from canvas.log import setup_logging

log = logging.getLogger("canvas.worker")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sync_worker.py", description=__doc__.splitlines()[0])
    parser.add_argument("--once", action="store_true", help="one pass over what is due, then exit")
    parser.add_argument("--interval", type=int, metavar="MS", help="override CANVAS_SYNC_INTERVAL (ms)")
    parser.add_argument("--grace", type=float, default=20.0, help="seconds to finish current syncs on SIGTERM")
    args = parser.parse_args(argv)
    if args.interval is not None and args.interval <= 0:
        parser.error("--interval must be a positive number of milliseconds")
    stop = threading.Event()

    def _stop(signum: int, _frame: object) -> None:
        log.info("Received %s: finishing current work, claiming nothing new", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        settings = get_settings()
        if args.interval is not None:
            settings = settings.model_copy(update={"sync_interval_ms": args.interval})
        setup_logging(settings.log_level)
        from canvas.db.engine import get_engine
        from canvas.worker import Worker, WorkerOptions

        engine = _engine_with_retry(get_engine, settings, stop)
        if engine is None:
            return 0
        worker = Worker(engine, settings, WorkerOptions(once=args.once, grace_seconds=args.grace), stop)
        code = worker.run()
        if worker.abandoned:
            # A request is still hanging past the grace period; its lease is released, so leave now.
            logging.shutdown()
            os._exit(code)
        return code
    except errors.CanvasDashboardError as exc:
        print(f"error: {exc}", file=sys.stderr)  # noqa: T201 - the one line an operator needs
        return exc.exit_code


def _engine_with_retry(get_engine, settings, stop: threading.Event):
    """A database that is still starting should not crash-loop the service."""
    delay = 1.0
    while not stop.is_set():
        try:
            return get_engine(settings)
        except errors.DatabaseError as exc:
            log.warning("Database not reachable yet (%s); retrying in %.0fs", exc, delay)
            stop.wait(delay)
            delay = min(30.0, delay * 2)
    return None


if __name__ == "__main__":
    sys.exit(main())
