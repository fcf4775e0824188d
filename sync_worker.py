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
    parser.add_argument("--grace", type=float, default=20.0, metavar="SECONDS",
                        help="on SIGTERM, how long current syncs may run before they are released (default 20)")
    parser.add_argument("--poll", type=float, default=None, metavar="SECONDS",
                        help="how often to look for due users without a NOTIFY wake-up (default 3)")
    args = parser.parse_args(argv)
    if args.interval is not None and args.interval <= 0:
        parser.error("--interval must be a positive number of milliseconds")
    if args.grace <= 0 or (args.poll is not None and args.poll <= 0):
        parser.error("--grace and --poll must be positive")
    stop = threading.Event()
    holder: list = []  # the Worker, once built: a second signal cancels its current syncs at once

    def _stop(signum: int, _frame: object) -> None:
        if stop.is_set() and holder:
            log.info("Received %s again: releasing current users now", signal.Signals(signum).name)
            holder[0].cancel.set()
            return
        log.info("Received %s: finishing current work, claiming nothing new", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        settings = get_settings()
        if args.interval is not None:
            settings = settings.model_copy(update={"sync_interval_ms": args.interval})
        setup_logging(settings.log_level)
        _name_threads_in_logs()
        from canvas.db.engine import get_engine
        from canvas.worker import POLL_SECONDS, Worker, WorkerOptions, worker_engine

        # --once (cron) gives up after ~1 minute without a database; the service keeps trying.
        shared = _engine_with_retry(get_engine, settings, stop, give_up_after=60.0 if args.once else None)
        if shared is None:
            return 0 if stop.is_set() else 1
        engine = worker_engine(shared, settings)
        shared.dispose()  # migrations are done; the worker's own pool does the rest
        opts = WorkerOptions(once=args.once, grace_seconds=args.grace,
                             poll_seconds=args.poll if args.poll is not None else POLL_SECONDS)
        worker = Worker(engine, settings, opts, stop)
        holder.append(worker)
        code = worker.run()
        if worker.abandoned:
            # A request is still hanging past the grace period; its lease is released, so leave now.
            logging.shutdown()
            os._exit(code)
        engine.dispose()
        return code
    except errors.CanvasDashboardError as exc:
        print(f"error: {exc}", file=sys.stderr)  # noqa: T201 - the one line an operator needs
        return exc.exit_code


def _engine_with_retry(get_engine, settings, stop: threading.Event, give_up_after: float | None = None):
    """A database that is still starting should not crash-loop the service: retry with capped
    backoff (one log line per attempt, at most one every 30 s once the backoff is capped)."""
    delay, waited = 1.0, 0.0
    while not stop.is_set():
        try:
            return get_engine(settings)
        except errors.DatabaseError as exc:
            if give_up_after is not None and waited >= give_up_after:
                log.error("Database still not reachable after %.0fs; giving up (%s)", waited, exc)
                return None
            log.warning("Database not reachable yet (%s); retrying in %.0fs", exc, delay)
            stop.wait(delay)
            waited += delay
            delay = min(30.0, delay * 2)
    return None


def _name_threads_in_logs() -> None:
    """Several users sync at once: each sync thread is named after its user (canvas.worker), and
    the thread name goes into every log line so an operator can follow one user's sync."""
    for handler in logging.getLogger().handlers:
        if getattr(handler, "_canvas_dashboard", False):
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s]: %(message)s"))


if __name__ == "__main__":
    sys.exit(main())
