"""Run one user's sync under their lease: claim, fetch, write with the fence, record the outcome.

Used by the CLI, the worker and the app's fallback thread alike, so every path obeys the same
"one run per user" rule and leaves the same records. Only the database and Canvas are touched.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, Engine

from canvas import errors, models
from canvas.api.client import CanvasClient
from canvas.api.hosts import check_base_url
from canvas.config import Settings
from canvas.crypto import TokenCipher
from canvas.db import jobs, progress, repo
from canvas.db.session import bounded_transaction
from canvas.rows import SyncKind, SyncTrigger
from canvas.sync import fetch, recent
from canvas.sync.hostbudget import host_permits
from canvas.sync.status import INVALID_TOKEN_MESSAGE
from canvas.tokens import SYNC_MIN_TTL, access_token_for

log = logging.getLogger("canvas.sync")
T = TypeVar("T")


@dataclass
class SyncResult:
    user_id: int
    run_id: int
    kind: SyncKind
    courses: int
    assignments: int
    stats: dict[str, Any]


def make_client(settings: Settings, base_url: str, token: str, on_request: Callable[[], None] | None = None,
                min_interval_s: float | None = None, permit: Callable[[str], None] | None = None,
                deadline: float | None = None) -> CanvasClient:
    # The URL policy is checked again before every sync, not only when the URL was saved.
    checked = check_base_url(base_url, settings.allowed_hosts)
    return CanvasClient.from_settings(checked, token, settings, on_request=on_request, min_interval_s=min_interval_s,
                                      permit=permit, deadline=deadline)


class _LeaseKeeper:
    """Keeps the run's lease alive and tells the run when to stop.

    A background thread renews the lease every ttl/3 (database clock), so a slow Canvas request
    never costs the lease; a paused or frozen process stops renewing with everything else, which is
    what lets another worker take over. As the client's per-request hook it raises `Cancelled` on
    shutdown and `LeaseLostError` once a renewal found the job claimed by someone else (a new fence),
    so a run that lost its user stops at its next request instead of finishing for nothing.
    """

    def __init__(self, engine: Engine, claim: jobs.Claim, ttl: float, cancel: threading.Event | None) -> None:
        self._engine, self._claim, self._ttl, self._cancel = engine, claim, ttl, cancel
        self._done = threading.Event()
        self._aborted: BaseException | None = None
        self._thread = threading.Thread(target=self._renew_loop, daemon=True,
                                        name=f"{threading.current_thread().name}-lease")
        self.lost = False

    def __enter__(self) -> _LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """No more renewals: called before the cache transaction, whose row lock then protects the
        job (claims skip locked rows), and at the end of the run."""
        self._done.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)

    def _renew_loop(self) -> None:
        every = self._ttl / 3
        pause = every
        while not self._done.wait(pause):
            try:
                with self._engine.begin() as conn:
                    ok = jobs.renew(conn, self._claim, self._ttl)
            except errors.DatabaseError as exc:
                # A database blip must not fail the sync: the fence check at commit is what keeps
                # the cache safe. Try again soon; the lease still has two thirds of its time.
                log.debug("Lease renewal for user %s failed (%s); retrying", self._claim.user_id,
                          type(exc).__name__)
                pause = max(0.2, every / 4)
                continue
            pause = every
            if not ok and not self._done.is_set():
                self.lost = True
                log.warning("User %s: lease lost (another worker took the user over); stopping this run",
                            self._claim.user_id)
                return

    def cancel_is_set(self) -> bool:
        return self._cancel is not None and self._cancel.is_set()

    def abort(self, exc: BaseException) -> None:
        """Give up on the run now (raised in the waiting thread); the fetch thread, if it ever gets
        a reply, stops at its next request."""
        self._aborted = exc
        raise exc

    def __call__(self) -> None:
        if self._aborted is not None:
            raise errors.Cancelled()
        if self._cancel is not None and self._cancel.is_set():
            raise errors.Cancelled()
        if self.lost:
            raise errors.LeaseLostError()


def _stats(client: CanvasClient | None, **extra: Any) -> dict[str, Any]:
    base = {"requests": 0, "bytes": 0, "throttled": 0, "retries": 0}
    if client is not None:
        s = client.stats
        base = {"requests": s.requests, "bytes": s.bytes, "throttled": s.throttled, "retries": s.retries}
    return {**base, **extra}


def claim_or_busy(engine: Engine, user_id: int, owner: str, ttl: float, kind: SyncKind = "full") -> jobs.Claim:
    with engine.begin() as conn:
        if repo.get_user(conn, user_id) is None:
            raise errors.UsageError(f"no user with id {user_id}")
        jobs.ensure_job(conn, user_id)
        claim = jobs.claim_user(conn, user_id=user_id, owner=owner, ttl=ttl, kind=kind)
    if claim is None:
        raise errors.SyncBusy(f"a sync for user {user_id} is already running")
    return claim


def run_claimed(engine: Engine, settings: Settings, claim: jobs.Claim, *, trigger: SyncTrigger, owner: str,
                cipher: TokenCipher, cancel: threading.Event | None = None,
                permit: Callable[[str], None] | None = None) -> SyncResult:
    """Run the claimed job to its end; always leaves a finished sync_runs row and a released job.
    `permit(host)`: waits for the Canvas host's shared request budget (the worker's, when set).

    The run ends within `settings.sync_deadline_s` whatever Canvas does: the fetch runs in a helper
    thread and this thread waits for it, the deadline, a shutdown (`cancel`) or the student's
    Cancel (a flag on the sync_runs row, polled here). Giving up leaves the fetch thread to die at
    its next request; the cache is written only by this thread, after a complete fetch.
    """
    with engine.begin() as conn:
        user = repo.get_user(conn, claim.user_id)
        run_id = repo.start_run(conn, user_id=claim.user_id, trigger=trigger, kind=claim.kind, worker=owner)
    client: CanvasClient | None = None
    deadline = time.monotonic() + settings.sync_deadline_s
    try:
        if user is None:
            raise errors.UsageError(f"no user with id {claim.user_id}")
        with _LeaseKeeper(engine, claim, settings.lease_seconds, cancel) as keeper:
            # Personal token: decrypted. OAuth: refreshed first when it would expire during the run.
            token = access_token_for(engine, settings, cipher, user.id, min_ttl=SYNC_MIN_TTL)
            client = make_client(settings, user.base_url, token, keeper, permit=permit, deadline=deadline)
            with client:
                if claim.kind == "recent":
                    return _recent(engine, settings, claim, client, run_id, keeper, deadline)
                return _full(engine, settings, claim, client, run_id, keeper, deadline)
    except BaseException as exc:
        log.error("❌ Sync failed: %s", _plain_reason(exc))
        _record_failure(engine, settings, claim, run_id, exc, client)
        raise


def _plain_reason(exc: BaseException) -> str:
    from canvas.messages import failure_sentence  # pure; imported late to keep the runner's imports light

    return failure_sentence(type(exc).__name__)


POLL_S = 0.25  # how often the waiting run looks at the deadline and the shutdown flag
CANCEL_POLL_S = 1.0  # how often it asks the database whether the student pressed Cancel


def _guarded(engine: Engine, run_id: int, keeper: _LeaseKeeper, deadline: float, fn: Callable[[], T]) -> T:
    """fn() in a helper thread, given up on at the deadline, on shutdown or on the student's Cancel."""
    box: dict[str, Any] = {}
    done = threading.Event()

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed to the waiting thread, which raises it
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=target, name=f"{threading.current_thread().name}-fetch", daemon=True).start()
    next_poll = time.monotonic() + CANCEL_POLL_S
    while not done.wait(POLL_S):
        now = time.monotonic()
        if keeper.cancel_is_set():
            keeper.abort(errors.Cancelled())
        if now >= deadline:
            keeper.abort(errors.SyncTimedOut())
        if now >= next_poll:
            next_poll = now + CANCEL_POLL_S
            try:
                with engine.connect() as conn:
                    if progress.cancel_requested(conn, run_id=run_id):
                        keeper.abort(errors.CancelRequested())
            except errors.DatabaseError:
                pass  # a database blip must not fail the fetch; the deadline still bounds the run
    if "error" in box:
        raise box["error"]
    return cast(T, box["value"])


def _progress_writer(engine: Engine, run_id: int) -> Callable[[int, int], None]:
    def report(done: int, total: int) -> None:
        try:
            with engine.begin() as conn:
                progress.set_progress(conn, run_id=run_id, done=done, total=total)
        except errors.DatabaseError:
            pass  # progress is a courtesy to the watching student, never a reason to fail the sync
    return report


def _cache_transaction(engine: Engine, settings: Settings) -> AbstractContextManager[Connection]:
    """A process paused or cut off inside the cache transaction holds the job row's lock, which
    keeps every other worker off this user; PostgreSQL ends such a session after one lease."""
    return bounded_transaction(engine, idle_timeout_ms=int(settings.lease_seconds * 1000))


def _full(engine: Engine, settings: Settings, claim: jobs.Claim, client: CanvasClient, run_id: int,
          keeper: _LeaseKeeper, deadline: float) -> SyncResult:
    log.info("🔄 Starting Canvas data sync...")
    with engine.connect() as conn:
        cached = repo.cached_courses(conn, user_id=claim.user_id)
    report = _progress_writer(engine, run_id)
    data: models.FetchedData = _guarded(
        engine, run_id, keeper, deadline,
        lambda: fetch.fetch_all(client, claim.user_id, max_workers=settings.max_in_flight, cached=cached,
                                on_progress=report))
    keeper.stop()
    with _cache_transaction(engine, settings) as conn:
        if not jobs.holds_fence(conn, claim):
            raise errors.LeaseLostError()
        written = repo.write_full_sync(conn, user_id=claim.user_id, run_id=run_id, data=data)
        stats = _stats(client, courses=len(data.courses), assignments=len(data.assignments),
                       rows_written=written["rows_written"], skipped=data.skipped)
        repo.finish_run(conn, run_id=run_id, outcome="success", stats=stats)
        jobs.complete(conn, claim, interval=settings.sync_interval, full=True)
    log.info("✅ Cached %d courses", len(data.courses))
    log.info("✅ Cached %d assignments", len(data.assignments))
    if data.skipped:
        log.warning("Skipped %d course(s) Canvas would not show: %s", len(data.skipped), data.skipped_ids)
    log.info("🎉 Sync completed successfully!")
    return SyncResult(claim.user_id, run_id, "full", len(data.courses), len(data.assignments), stats)


def _recent(engine: Engine, settings: Settings, claim: jobs.Claim, client: CanvasClient, run_id: int,
            keeper: _LeaseKeeper, deadline: float) -> SyncResult:
    log.info("🔄 Refreshing recent grades...")
    with engine.connect() as conn:
        watermark = repo.newest_graded_at(conn, user_id=claim.user_id)
    rows = _guarded(engine, run_id, keeper, deadline, lambda: recent.fetch_graded_since(client, watermark))
    keeper.stop()
    with _cache_transaction(engine, settings) as conn:
        if not jobs.holds_fence(conn, claim):
            raise errors.LeaseLostError()
        changed = repo.merge_graded(conn, user_id=claim.user_id, rows=rows, run_id=run_id)
        stats = _stats(client, rows_written=changed)
        repo.finish_run(conn, run_id=run_id, outcome="success", stats=stats)
        jobs.complete(conn, claim, interval=settings.sync_interval, full=False)
    log.info("🎉 Merged %d newly graded submission(s)", changed)
    return SyncResult(claim.user_id, run_id, "recent", 0, changed, stats)


def retry_base(settings: Settings) -> float:
    """First backoff step after a failed run (then doubling): 1 min with the default 1 s request backoff."""
    return max(5.0, settings.retry_backoff_ms / 1000 * 60)


def _record_failure(engine: Engine, settings: Settings, claim: jobs.Claim, run_id: int, exc: BaseException,
                    client: CanvasClient | None) -> None:
    error_class, message = type(exc).__name__, str(exc)[:500]
    if isinstance(exc, errors.DatabaseError):  # the driver's class and words, as the history always showed
        error_class, message = exc.cause_class, (exc.detail or message)[:500]
    # A shutdown is not a failure of the user's sync: the run is abandoned and the user released.
    stopped = isinstance(exc, KeyboardInterrupt | SystemExit | errors.Cancelled | errors.CancelRequested)
    try:
        with engine.begin() as conn:
            repo.finish_run(conn, run_id=run_id, outcome="abandoned" if stopped else "failed",
                            stats=_stats(client, error_class=error_class, error_message=message))
            if isinstance(exc, errors.LeaseLostError):
                return  # the job belongs to whoever holds the new fence
            if isinstance(exc, errors.CancelRequested):
                progress.release_cancelled(conn, claim, interval=settings.sync_interval)
                return
            if isinstance(exc, errors.TokenUnusable):
                detail = exc.detail or "Invalid access token."
                jobs.mark_token_invalid(conn, claim.user_id, f"{detail} {INVALID_TOKEN_MESSAGE}")
            if stopped:
                jobs.release(conn, claim)
                return
            jobs.fail(conn, claim, error_class=error_class, token_invalid=isinstance(exc, errors.TokenUnusable),
                      interval=settings.sync_interval, retry_base=retry_base(settings))
    except errors.DatabaseError:
        # The database itself is gone: the lease simply expires and another run takes over.
        log.warning("Could not record the failed sync for user %s (database unavailable)", claim.user_id)


def sync_user_now(engine: Engine, settings: Settings, user_id: int, *, trigger: SyncTrigger, owner: str,
                  cipher: TokenCipher, kind: SyncKind = "full") -> SyncResult:
    """One user's sync outside the worker (the CLI, the app's "Sync now" with no worker alive); it
    waits for the Canvas host's shared budget like the worker's syncs, so the school's total holds."""
    claim = claim_or_busy(engine, user_id, owner, settings.lease_seconds, kind)
    return run_claimed(engine, settings, claim, trigger=trigger, owner=owner, cipher=cipher,
                       permit=host_permits(engine, settings, announce=False))
