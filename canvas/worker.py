"""The background sync service: claims due users from PostgreSQL and syncs them, a few at a time.

Coordination lives entirely in the database (sync_jobs leases with fences, worker_heartbeats),
so any number of replicas on any machines can run. A notification (`canvas.db.session.listen`) only
shortens the wait for a "sync now"; polling every few seconds is what guarantees progress.

Up to `CANVAS_SYNC_BATCH_SIZE` users run at once, each in its own thread; a slot that frees up is
refilled at once (one slow user never holds the others back).
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from sqlalchemy import Engine

from canvas import errors
from canvas.config import Settings
from canvas.crypto import TokenCipher
from canvas.db import jobs, retention
from canvas.db.engine import make_engine
from canvas.db.session import listen
from canvas.sync.hostbudget import host_permits
from canvas.sync.runner import retry_base, run_claimed

log = logging.getLogger("canvas.worker")

POLL_SECONDS = 3.0  # fallback when no NOTIFY arrives; claims are one cheap indexed query
HEARTBEAT_SECONDS = 5.0
MAINTENANCE_EVERY = 6  # beats between sweeps for runs of dead workers
RETENTION_EVERY_SECONDS = 3600.0  # per worker; the prune's lock makes overlapping replicas skip
RETENTION_FIRST_DELAY = (60.0, 300.0)  # not at start: a fleet deployed together would all try at once
STALL_SECONDS = 60.0  # a claim loop silent this long is reported as "stalled", not "running"
DB_BACKOFF_MAX = 30.0
ONCE_GIVE_UP_SECONDS = 60.0  # --once (cron) stops waiting for the database; the service never does


@dataclass
class WorkerOptions:
    once: bool = False
    grace_seconds: float = 20.0
    poll_seconds: float = POLL_SECONDS
    retention_every: float = RETENTION_EVERY_SECONDS
    retention_delay: float | None = None  # first prune after this many seconds (None: random, see above)
    worker_id: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}")


def worker_engine(engine: Engine, settings: Settings) -> Engine:
    """A pool sized for the batch: each running user may hold a connection while a renewal,
    the claim loop and the heartbeat need their own (the shared default pool holds 10)."""
    batch = settings.sync_batch_size
    return make_engine(engine.url, pool_size=batch + 3, max_overflow=batch + 2, pool_timeout=30)


class _ThrottledLog:
    """One line per outage window instead of a line per attempt."""

    def __init__(self, every: float = 30.0) -> None:
        self._every, self._last, self.count = every, 0.0, 0

    def warn(self, msg: str, *args: object) -> None:
        self.count += 1
        now = time.monotonic()
        if self._last == 0.0 or now - self._last >= self._every:
            self._last = now
            log.warning(msg + " (%d attempt(s) so far)", *args, self.count)

    def recovered(self) -> None:
        if self.count:
            log.info("Database reachable again after %d failed attempt(s)", self.count)
        self.count, self._last = 0, 0.0


class Worker:
    def __init__(self, engine: Engine, settings: Settings, options: WorkerOptions | None = None,
                 stop: threading.Event | None = None) -> None:
        self.engine, self.settings = engine, settings
        self.opts = options or WorkerOptions()
        self.stop = stop or threading.Event()
        self.wake = threading.Event()
        self.cancel = threading.Event()
        self._finished = threading.Event()  # the heartbeat runs until the very end (state "stopping")
        self.exit_code = 0
        self.abandoned = False  # threads still stuck in a request after shutdown (process must hard-exit)
        self.cipher = TokenCipher.from_settings(settings)
        self.permits = host_permits(engine, settings)  # None unless CANVAS_HOST_MAX_RPS is set
        self.current: dict[int, jobs.Claim] = {}
        self._lock = threading.Lock()
        self.synced = 0
        self.failed = 0
        self._tick = time.monotonic()
        self._db_log = _ThrottledLog()
        self._beat_log = _ThrottledLog(every=300.0)
        self._beats = 0

    # -- loop ----------------------------------------------------------------------------------
    def run(self) -> int:
        wid = self.opts.worker_id
        log.info("Worker %s started (batch %d, interval %s, stale after %s, lease %ss)", wid,
                 self.settings.sync_batch_size, self.settings.sync_interval, self.settings.stale_after,
                 self.settings.lease_seconds)
        threads = [threading.Thread(target=self._heartbeat_loop, name="heartbeat", daemon=True)]
        if not self.opts.once:
            threads.append(threading.Thread(target=self._listen_loop, name="listen", daemon=True))
            threads.append(threading.Thread(target=self._retention_loop, name="retention", daemon=True))
            threads.append(threading.Thread(target=self._courier().run, name="notify", daemon=True))
        for t in threads:
            t.start()
        pool = ThreadPoolExecutor(max_workers=self.settings.sync_batch_size, thread_name_prefix="sync")
        pending: set[Future[None]] = set()
        try:
            self._loop(pool, pending)
            if self.opts.once:
                self._courier().pass_once()  # cron mode: deliver what this pass queued
        except Exception:  # a bug in the loop itself: stop cleanly and let the supervisor restart us
            log.exception("Worker loop failed; shutting down")
            self.exit_code = 1
        finally:
            self.stop.set()
            self._drain(pool, pending)
            self._finished.set()
            threads[0].join(timeout=15)  # its last beat must not land after the "stopped" one
            for t in threads[1:]:
                if t.name == "notify":  # a message being sent is finished (or times out), not cut off
                    t.join(timeout=self.settings.notify_timeout_s + 1)
        self._beat(state="stopped")
        log.info("Worker %s stopped (synced %d, failed %d)", wid, self.synced, self.failed)
        return self.exit_code

    def _loop(self, pool: ThreadPoolExecutor, pending: set[Future[None]]) -> None:
        batch = self.settings.sync_batch_size
        backoff, down_since = 1.0, 0.0
        look = True  # claim on the next turn: at start, after a wake-up, a poll tick or a finished user
        next_poll = 0.0
        while not self.stop.is_set():
            self._tick = time.monotonic()
            free = batch - len(pending)
            if self.wake.is_set() or time.monotonic() >= next_poll:
                self.wake.clear()
                look = True
            if free > 0 and look:
                with self._lock:
                    mine = list(self.current)
                try:
                    with self.engine.begin() as conn:
                        claims = jobs.claim_due(conn, owner=self.opts.worker_id, batch=free,
                                                ttl=self.settings.lease_seconds,
                                                stale_after=self.settings.stale_after, exclude=mine,
                                                retry_base=retry_base(self.settings),
                                                interval=self.settings.sync_interval)
                except errors.DatabaseError as exc:
                    down_since = down_since or time.monotonic()
                    if self.opts.once and time.monotonic() - down_since > ONCE_GIVE_UP_SECONDS:
                        log.error("Database unavailable for %.0fs; giving up this pass", time.monotonic() - down_since)
                        self.exit_code = 1
                        return
                    self._db_log.warn("Database unavailable (%s); retrying in %.0fs", exc.cause_class, backoff)
                    self.stop.wait(backoff)
                    backoff = min(DB_BACKOFF_MAX, backoff * 2)
                    continue
                self._db_log.recovered()
                backoff, down_since = 1.0, 0.0
                look = False
                next_poll = time.monotonic() + self.opts.poll_seconds
                for claim in claims:
                    with self._lock:
                        self.current[claim.user_id] = claim  # from now until its run ends
                    pending.add(pool.submit(self._run_one, claim))
                if self.opts.once and not claims and not pending:
                    return  # one pass: nothing left that is due
            if pending:
                done, still = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
                pending.clear()
                pending.update(still)
                if done:
                    look = True  # a slot is free: more users may be due
            else:
                self.wake.wait(0.25)  # short slices: a stop or a poll tick is noticed quickly

    def _drain(self, pool: ThreadPoolExecutor, pending: set[Future[None]]) -> None:
        """Shutdown: current users get two thirds of the grace period to finish, then they are
        cancelled (each run releases its lease at its next request); whatever still hangs in a
        request when the grace period ends is released here and the process exits hard."""
        if pending:
            grace = self.opts.grace_seconds
            deadline = time.monotonic() + grace
            log.info("Stopping: waiting up to %.0fs for %d running user(s)", grace, len(pending))
            _, still = wait(pending, timeout=grace * 2 / 3)
            if still:
                self.cancel.set()
                _, still = wait(still, timeout=max(0.5, deadline - time.monotonic()))
            if still:
                self._release_current()
                self.abandoned = True
        pool.shutdown(wait=False, cancel_futures=True)

    def _run_one(self, claim: jobs.Claim) -> None:
        thread = threading.current_thread()
        pool_name, thread.name = thread.name, f"user-{claim.user_id}"  # shown in the service's log lines
        ok = False
        try:
            run_claimed(self.engine, self.settings, claim, trigger="schedule", owner=self.opts.worker_id,
                        cipher=self.cipher, cancel=self.cancel, permit=self.permits)
            ok = True
        except errors.Cancelled:
            log.info("User %s: released on shutdown", claim.user_id)
        except errors.CancelRequested:
            log.info("User %s: sync cancelled from the dashboard; the cache is unchanged", claim.user_id)
        except errors.LeaseLostError:
            log.warning("User %s: lease lost; result discarded (another worker owns it)", claim.user_id)
        except errors.TokenUnusable as exc:
            self._count_failure()
            log.warning("User %s: token rejected by Canvas (%s); no more attempts until it is replaced",
                        claim.user_id, exc.detail)
        except errors.CanvasDashboardError as exc:
            self._count_failure()
            log.warning("User %s: sync failed: %s", claim.user_id, _short(exc))
        except Exception:  # one bad user never stops the loop
            self._count_failure()
            log.exception("User %s: unexpected error during sync", claim.user_id)
        finally:
            thread.name = pool_name
            with self._lock:
                self.current.pop(claim.user_id, None)
                if ok:
                    self.synced += 1

    def _count_failure(self) -> None:
        with self._lock:
            self.failed += 1

    def _release_current(self) -> None:
        with self._lock:
            claims = list(self.current.values())
        for claim in claims:
            try:
                with self.engine.begin() as conn:
                    jobs.release(conn, claim)
                    jobs.abandon_lost_runs(conn)  # its run row will never be finished by its thread
                log.info("Released user %s on shutdown", claim.user_id)
            except errors.DatabaseError:
                log.warning("Could not release user %s; its lease will expire", claim.user_id)

    def _courier(self):  # -> canvas.notify.courier.Courier
        from canvas.notify.courier import Courier

        return Courier(self.engine, self.settings, self.cipher, self.opts.worker_id, self.stop)

    # -- liveness ------------------------------------------------------------------------------
    def _beat(self, state: str = "running") -> None:
        with self._lock:
            current = next(iter(self.current), None)
            synced, failed = self.synced, self.failed
        if state == "running" and self.stop.is_set():
            state = "stopping"
        elif state == "running" and time.monotonic() - self._tick > STALL_SECONDS:
            state = "stalled"  # the process is up but its claim loop is not turning
        try:
            with self.engine.begin() as conn:
                jobs.beat(conn, worker_id=self.opts.worker_id, host=socket.gethostname(), pid=os.getpid(),
                          current_user=current, state=state, synced=synced, failed=failed)
            self._beats += 1
            if state != "running" or self._beats % MAINTENANCE_EVERY == 1:
                with self.engine.begin() as conn:  # separate: a failure here must not cost the beat
                    jobs.abandon_lost_runs(conn)
        except errors.DatabaseError as exc:
            # Outages are reported by the claim loop; anything else (a bad query) must be seen.
            self._beat_log.warn("Heartbeat failed (%s)", _short(exc))
        except Exception:
            log.exception("Heartbeat failed")

    def _heartbeat_loop(self) -> None:
        while not self._finished.is_set():
            self._beat()
            self._finished.wait(HEARTBEAT_SECONDS)

    def _retention_loop(self) -> None:
        """Prune old history about hourly, in its own thread: a first prune of a big table may take a
        while, and the heartbeat must not wait for it."""
        delay = self.opts.retention_delay
        if delay is None:
            delay = random.uniform(*RETENTION_FIRST_DELAY)
        while not self.stop.wait(delay):
            delay = self.opts.retention_every
            try:
                res = retention.prune(self.engine, retention.Policy.from_settings(self.settings), stop=self.stop)
            except errors.DatabaseError as exc:  # outages are the claim loop's to report; retry next time
                log.warning("Retention prune failed (%s); retrying in %.0f min", _short(exc), delay / 60)
                continue
            except Exception:
                log.exception("Retention prune failed")
                continue
            if not res.ran:
                log.debug("Retention: another process is pruning; skipped")
                continue
            log.info("Retention: deleted %s in %.1fs%s",
                     ", ".join(f"{n} {name}" for name, n in res.counts.items()), res.seconds,
                     " (stopped early; the rest goes next time)" if res.stopped else "")

    def _listen_loop(self) -> None:
        backoff = 1.0
        while not self.stop.is_set():
            try:
                with listen(self.engine, jobs.NOTIFY_CHANNEL) as notified:
                    backoff = 1.0
                    self.wake.set()  # requests made while we were not listening: look now
                    while not self.stop.is_set():
                        if notified(1.0):
                            self.wake.set()
            except errors.DatabaseError:
                pass  # polling still runs meanwhile; this only speeds up "sync now"
            except Exception:
                log.exception("Listener failed; relying on polling until it reconnects")
            self.stop.wait(backoff)
            backoff = min(DB_BACKOFF_MAX, backoff * 2)


def _short(exc: BaseException) -> str:
    if isinstance(exc, errors.DatabaseError) and exc.detail:  # the driver's class and first line, as it always logged
        return f"{exc.cause_class}: {exc.detail}"[:300]
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"[:300]
