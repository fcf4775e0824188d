"""Per-user sync jobs: claims, leases, fencing, "sync now" requests, worker heartbeats.

All times come from the database clock (now()), never a worker's, so workers on machines with
skewed clocks still agree. One row per user makes "never two runs of one user at once" structural;
the fence counter, bumped on every claim and checked in the cache-writing transaction, stops a
worker that lost its lease (paused, partitioned) from overwriting a newer result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Connection, text

from canvas.db import schedule
from canvas.rows import SyncKind

NOTIFY_CHANNEL = "canvas_sync_requested"


@dataclass(frozen=True)
class Claim:
    user_id: int
    fence: int
    kind: SyncKind
    requested: bool = False  # claimed because of a "sync now"; a release must not lose that request


def ensure_job(conn: Connection, user_id: int) -> None:
    conn.execute(text("INSERT INTO sync_jobs (user_id) VALUES (:u) ON CONFLICT (user_id) DO NOTHING"),
                 {"u": user_id})


def reset_after_new_token(conn: Connection, user_id: int) -> None:
    """A freshly saved token: clear the invalid state and backoff, due at once, fence any old run."""
    conn.execute(text("""
        INSERT INTO sync_jobs (user_id) VALUES (:u)
        ON CONFLICT (user_id) DO UPDATE SET state = 'idle', attempt = 0, last_error = NULL,
            due_at = now(), lease_owner = NULL, lease_until = NULL, fence = sync_jobs.fence + 1
    """), {"u": user_id})


_CLAIM = text("""
    UPDATE sync_jobs j
       SET state = 'running', lease_owner = :owner, lease_until = now() + make_interval(secs => :ttl),
           fence = j.fence + 1, last_try_at = now(),
           requested_kind = NULL, requested_at = NULL,
           -- taking over from a worker that vanished counts as a failed attempt (see below)
           attempt = CASE WHEN j.state = 'running' THEN j.attempt + 1 ELSE j.attempt END,
           last_error = CASE WHEN j.state = 'running' THEN 'WorkerLost' ELSE j.last_error END
      FROM (SELECT s.user_id, coalesce(s.requested_kind, 'full') AS kind, s.requested_at IS NOT NULL AS requested
              FROM sync_jobs s JOIN users u ON u.id = s.user_id
             WHERE u.token_state = 'valid' AND u.token_ciphertext IS NOT NULL
               AND s.user_id <> ALL(CAST(:exclude AS bigint[]))
               AND (
                    (s.state = 'idle' AND (s.requested_at IS NOT NULL
                        OR (s.due_at <= now()
                            AND coalesce(s.last_ok_at, '-infinity') < now() - make_interval(secs => :stale))))
                 -- the owner stopped renewing (killed, paused, cut off): take over after its lease,
                 -- backing off if it keeps happening, so a user whose sync kills workers (a poison
                 -- pill, e.g. out of memory) cannot crash-loop every replica
                 OR (s.state = 'running' AND s.lease_until < now() - least(make_interval(secs => :iv),
                        make_interval(secs => :base * (power(2, least(s.attempt, 16)) - 1))))
               )
             ORDER BY s.requested_at ASC NULLS LAST, s.due_at
             LIMIT :batch
             FOR UPDATE OF s SKIP LOCKED) c
     WHERE j.user_id = c.user_id
    RETURNING j.user_id, j.fence, c.kind, c.requested
""")


def claim_due(conn: Connection, *, owner: str, batch: int, ttl: float, stale_after: timedelta,
              interval: timedelta, exclude: list[int] | tuple[int, ...] = (),
              retry_base: float = 60.0) -> list[Claim]:
    """Up to `batch` users to sync now: "sync now" requests first, then users whose next sync is
    due and whose data is stale, and users whose previous owner's lease ran out. `exclude`: users
    this worker is running itself (never claim one of your own runs a second time). `interval`
    is `settings.sync_interval` (no default here, so there is one source for it)."""
    rows = conn.execute(_CLAIM, {"owner": owner, "ttl": ttl, "batch": batch,
                                 "stale": stale_after.total_seconds(), "exclude": list(exclude),
                                 "base": retry_base, "iv": interval.total_seconds()}).all()
    return [Claim(int(r.user_id), int(r.fence), r.kind, bool(r.requested)) for r in rows]


def claim_user(conn: Connection, *, user_id: int, owner: str, ttl: float, kind: SyncKind = "full") -> Claim | None:
    """Claim one user now (CLI sync, the app's fallback thread); None if a live lease holds it.

    A pending "sync now" is absorbed only by a full run (a recent-grades refresh does not do what
    a requested full sync asks for).
    """
    row = conn.execute(text("""
        UPDATE sync_jobs SET state = 'running', lease_owner = :owner,
               lease_until = now() + make_interval(secs => :ttl), fence = fence + 1, last_try_at = now(),
               requested_at = CASE WHEN :kind = 'full' OR requested_kind = 'recent' THEN NULL
                                   ELSE requested_at END,
               requested_kind = CASE WHEN :kind = 'full' OR requested_kind = 'recent' THEN NULL
                                     ELSE requested_kind END
         WHERE user_id = :u AND (state = 'idle' OR (state = 'running' AND lease_until < now()))
        RETURNING fence
    """), {"u": user_id, "owner": owner, "ttl": ttl, "kind": kind}).first()
    return Claim(user_id, int(row.fence), kind) if row else None


def renew(conn: Connection, claim: Claim, ttl: float) -> bool:
    """Extend the lease; False means it was lost and the run must stop."""
    res = conn.execute(text("""
        UPDATE sync_jobs SET lease_until = now() + make_interval(secs => :ttl)
         WHERE user_id = :u AND fence = :f AND state = 'running'
    """), {"u": claim.user_id, "f": claim.fence, "ttl": ttl})
    return res.rowcount == 1


def holds_fence(conn: Connection, claim: Claim) -> bool:
    """Inside the cache transaction: lock the job row and check we still own it."""
    row = conn.execute(text("""
        SELECT 1 FROM sync_jobs WHERE user_id = :u AND fence = :f AND state = 'running' FOR UPDATE
    """), {"u": claim.user_id, "f": claim.fence}).first()
    return row is not None


def complete(conn: Connection, claim: Claim, *, interval: timedelta, full: bool) -> None:
    # Due again at the user's own phase of the interval (canvas.db.schedule): users spread evenly.
    conn.execute(text(f"""
        UPDATE sync_jobs SET state = 'idle', lease_owner = NULL, lease_until = NULL, attempt = 0,
               last_error = NULL,
               last_ok_at = CASE WHEN :full THEN now() ELSE last_ok_at END,
               due_at = CASE WHEN :full THEN {schedule.NEXT_DUE_SQL} ELSE due_at END
         WHERE user_id = :u AND fence = :f
    """), {"u": claim.user_id, "f": claim.fence, "iv": interval.total_seconds(), "full": full})


def fail(conn: Connection, claim: Claim, *, error_class: str, token_invalid: bool,
         interval: timedelta, retry_base: float = 60.0) -> None:
    """Record a failed run: capped exponential backoff with jitter, or token_invalid (no retries)."""
    conn.execute(text("""
        UPDATE sync_jobs SET state = CASE WHEN :invalid THEN 'token_invalid' ELSE 'idle' END,
               lease_owner = NULL, lease_until = NULL, attempt = attempt + 1, last_error = :err,
               due_at = now() + least(make_interval(secs => :iv),
                                      make_interval(secs => :base * power(2, least(attempt, 16))))
                                * (0.5 + random() / 2)
         WHERE user_id = :u AND fence = :f
    """), {"u": claim.user_id, "f": claim.fence, "err": error_class, "invalid": token_invalid,
           "iv": interval.total_seconds(), "base": retry_base})


def release(conn: Connection, claim: Claim) -> None:
    """Give a claimed user back (shutdown): due again at once, no attempt counted.

    If the run was a "sync now", the request is put back, so the next worker does it even though
    the user is not stale yet.
    """
    conn.execute(text("""
        UPDATE sync_jobs SET state = 'idle', lease_owner = NULL, lease_until = NULL, due_at = now(),
               requested_at = CASE WHEN :req THEN coalesce(requested_at, now()) ELSE requested_at END,
               requested_kind = CASE WHEN NOT :req THEN requested_kind
                                     WHEN requested_kind = 'full' OR :kind = 'full' THEN 'full'
                                     ELSE 'recent' END
         WHERE user_id = :u AND fence = :f AND state = 'running'
    """), {"u": claim.user_id, "f": claim.fence, "req": claim.requested, "kind": claim.kind})


def request_sync(conn: Connection, user_id: int, kind: SyncKind = "full") -> bool:
    """"Sync now": coalesced (a pending request absorbs later ones) and announced with NOTIFY."""
    res = conn.execute(text("""
        UPDATE sync_jobs SET requested_at = coalesce(requested_at, now()),
               requested_kind = CASE WHEN requested_kind = 'full' OR :kind = 'full' THEN 'full'
                                     ELSE 'recent' END
         WHERE user_id = :u AND state IN ('idle', 'running')
    """), {"u": user_id, "kind": kind})
    conn.execute(text("SELECT pg_notify(:ch, :u)"), {"ch": NOTIFY_CHANNEL, "u": str(user_id)})
    return res.rowcount == 1


def mark_token_invalid(conn: Connection, user_id: int, message: str) -> None:
    conn.execute(text("UPDATE users SET token_state = 'invalid', token_error = :m, updated_at = now() "
                      "WHERE id = :u"), {"u": user_id, "m": message[:300]})


# -- worker liveness ---------------------------------------------------------------------------
def beat(conn: Connection, *, worker_id: str, host: str, pid: int, current_user: int | None,
         state: str = "running", synced: int = 0, failed: int = 0) -> None:
    conn.execute(text("""
        INSERT INTO worker_heartbeats (worker_id, host, pid, current_user_id, state, synced, failed)
        VALUES (:w, :h, :p, :cu, :s, :ok, :bad)
        ON CONFLICT (worker_id) DO UPDATE SET last_beat = now(), current_user_id = :cu, state = :s,
            synced = :ok, failed = :bad
    """), {"w": worker_id, "h": host, "p": pid, "cu": current_user, "s": state, "ok": synced, "bad": failed})


def prune_heartbeats(conn: Connection, keep_days: float = 7.0) -> int:
    """Forget workers silent for a week (restarts get new ids; the list must stay readable)."""
    return conn.execute(text("DELETE FROM worker_heartbeats WHERE last_beat < now() - make_interval(secs => :s)"),
                        {"s": keep_days * 86400}).rowcount


def abandon_lost_runs(conn: Connection) -> int:
    """Close sync_runs rows left 'running' by a run that can no longer commit.

    A run is lost once its job is no longer running under its worker (another worker took the
    user over, or the job was released or finished) or its lease expired: a killed process never
    records its own end. A paused run that wakes later overwrites this with its real outcome.
    """
    return conn.execute(text("""
        UPDATE sync_runs r SET outcome = 'abandoned', finished_at = now(), error_class = 'WorkerLost',
               error_message = 'the worker stopped renewing its lease (killed, paused or cut off)'
          FROM sync_jobs j
         WHERE r.user_id = j.user_id AND r.outcome = 'running'
           AND (j.state <> 'running' OR j.lease_until < now() OR j.lease_owner IS DISTINCT FROM r.worker)
    """)).rowcount


# The one rule for "a worker is alive": it says it is running and it beat within :w seconds.
_ALIVE = "(state = 'running' AND last_beat > now() - make_interval(secs => :w))"
# Every worker's heartbeat row with that verdict (the CLI's `status --workers`, the Sync page via reads).
WORKERS_SQL = f"""
    SELECT worker_id, host, pid, started_at, last_beat, current_user_id, state, synced, failed,
           {_ALIVE} AS alive
      FROM worker_heartbeats ORDER BY last_beat DESC
"""


def live_workers(conn: Connection, within_s: float = 30.0) -> list[dict]:
    return [dict(r) for r in conn.execute(text(WORKERS_SQL), {"w": within_s}).mappings().all()]


def any_worker_alive(conn: Connection, within_s: float = 30.0) -> bool:
    return conn.execute(text(f"SELECT EXISTS (SELECT 1 FROM worker_heartbeats WHERE {_ALIVE})"),
                        {"w": within_s}).scalar_one()
