"""The background sync service: claims due users from PostgreSQL and syncs them, batch by batch.

Coordination lives entirely in the database (sync_jobs leases with fences, worker_heartbeats),
so any number of replicas on any machines can run. LISTEN/NOTIFY only shortens the wait for a
"sync now"; polling every few seconds is what guarantees progress.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field

import psycopg
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from canvas import errors
from canvas.config import Settings
from canvas.crypto import TokenCipher
from canvas.db import jobs, repo
from canvas.sync.runner import run_claimed

log = logging.getLogger("canvas.worker")

POLL_SECONDS = 3.0  # fallback when no NOTIFY arrives; claims are one cheap indexed query
HEARTBEAT_SECONDS = 5.0
DB_BACKOFF_MAX = 30.0


@dataclass
class WorkerOptions:
    once: bool = False
    grace_seconds: float = 20.0
    poll_seconds: float = POLL_SECONDS
    worker_id: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}")


class _ThrottledLog:
    """One line per outage window instead of a line per attempt."""

    def __init__(self, every: float = 30.0) -> None:
        self._every, self._last, self.count = every, 0.0, 0

    def warn(self, msg: str, *args: object) -> None:
        self.count += 1
        now = time.monotonic()
        if now - self._last >= self._every:
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
        self.abandoned = False  # threads still stuck in a request after shutdown (process must hard-exit)
        self.cipher = TokenCipher.from_settings(settings)
        self.current: dict[int, jobs.Claim] = {}
        self._current_lock = threading.Lock()
        self.synced = 0
        self.failed = 0
        self._db_log = _ThrottledLog()

    # -- loop ----------------------------------------------------------------------------------
    def run(self) -> int:
        wid = self.opts.worker_id
        log.info("Worker %s started (batch %d, interval %s, stale after %s)", wid, self.settings.sync_batch_size,
                 self.settings.sync_interval, self.settings.stale_after)
        threads = [threading.Thread(target=self._heartbeat_loop, name="heartbeat", daemon=True)]
        if not self.opts.once:
            threads.append(threading.Thread(target=self._listen_loop, name="listen", daemon=True))
        for t in threads:
            t.start()
        backoff = 1.0
        pool = ThreadPoolExecutor(max_workers=self.settings.sync_batch_size, thread_name_prefix="sync")
        try:
            while not self.stop.is_set():
                try:
                    with self.engine.begin() as conn:
                        claims = jobs.claim_due(conn, owner=wid, batch=self.settings.sync_batch_size,
                                                ttl=self.settings.lease_seconds, stale_after=self.settings.stale_after)
                    self._db_log.recovered()
                    backoff = 1.0
                except SQLAlchemyError as exc:
                    self._db_log.warn("Database unavailable (%s); retrying", type(exc).__name__)
                    self.stop.wait(backoff)
                    backoff = min(DB_BACKOFF_MAX, backoff * 2)
                    continue
                if claims:
                    self._run_batch(pool, claims)
                    continue
                if self.opts.once:
                    break
                self.wake.wait(self.opts.poll_seconds)
                self.wake.clear()
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        self._beat(state="stopped")
        log.info("Worker %s stopped (synced %d, failed %d)", wid, self.synced, self.failed)
        return 0

    def _run_batch(self, pool: ThreadPoolExecutor, claims: list[jobs.Claim]) -> None:
        pending = {pool.submit(self._run_one, c) for c in claims}
        while pending:
            _, pending = wait(pending, timeout=0.5)
            if self.stop.is_set() and pending:
                # Shutdown: let current users finish within the grace period, then cancel them
                # (the run releases its lease at its next request) and release whatever is left.
                _, pending = wait(pending, timeout=self.opts.grace_seconds)
                if pending:
                    self.cancel.set()
                    _, pending = wait(pending, timeout=5.0)
                if pending:
                    self._release_current()
                    self.abandoned = True
                return

    def _run_one(self, claim: jobs.Claim) -> None:
        with self._current_lock:
            self.current[claim.user_id] = claim
        try:
            run_claimed(self.engine, self.settings, claim, trigger="schedule", owner=self.opts.worker_id,
                        cipher=self.cipher, cancel=self.cancel)
            self.synced += 1
        except errors.Cancelled:
            log.info("User %s: released on shutdown", claim.user_id)
        except errors.LeaseLostError:
            log.warning("User %s: lease lost; result discarded (another worker owns it)", claim.user_id)
        except errors.AuthError as exc:
            self.failed += 1
            log.warning("User %s: token rejected by Canvas (%s); no more attempts until it is replaced",
                        claim.user_id, exc.detail)
        except (errors.CanvasDashboardError, SQLAlchemyError) as exc:
            self.failed += 1
            log.warning("User %s: sync failed: %s", claim.user_id, exc)
        except Exception:  # one bad user never stops the loop
            self.failed += 1
            log.exception("User %s: unexpected error during sync", claim.user_id)
        finally:
            with self._current_lock:
                self.current.pop(claim.user_id, None)

    def _release_current(self) -> None:
        with self._current_lock:
            claims = list(self.current.values())
        for claim in claims:
            try:
                with self.engine.begin() as conn:
                    jobs.release(conn, claim)
                log.info("Released user %s on shutdown", claim.user_id)
            except SQLAlchemyError:
                log.warning("Could not release user %s; its lease will expire", claim.user_id)

    # -- liveness ------------------------------------------------------------------------------
    def _beat(self, state: str = "running") -> None:
        with self._current_lock:
            current = next(iter(self.current), None)
        try:
            with self.engine.begin() as conn:
                jobs.beat(conn, worker_id=self.opts.worker_id, host=socket.gethostname(), pid=os.getpid(),
                          current_user=current, state=state, synced=self.synced, failed=self.failed)
                repo.abandon_stale_runs(conn)
        except SQLAlchemyError:
            pass  # the claim loop reports outages; the heartbeat just tries again

    def _heartbeat_loop(self) -> None:
        while not self.stop.is_set():
            self._beat()
            self.stop.wait(HEARTBEAT_SECONDS)

    def _listen_loop(self) -> None:
        url = self.engine.url.render_as_string(hide_password=False).replace("postgresql+psycopg://", "postgresql://")
        backoff = 1.0
        while not self.stop.is_set():
            try:
                with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
                    conn.execute(f"LISTEN {jobs.NOTIFY_CHANNEL}")
                    backoff = 1.0
                    while not self.stop.is_set():
                        for _ in conn.notifies(timeout=1.0, stop_after=1):
                            self.wake.set()
            except psycopg.Error:
                self.stop.wait(backoff)  # polling still runs meanwhile; this only speeds "sync now"
                backoff = min(DB_BACKOFF_MAX, backoff * 2)
