"""A running sync's progress and its cancel request, on its sync_runs row.

The run writes "courses done of courses" as they arrive; the dashboard (another process, maybe
another machine) reads it, and asks for a cancel by stamping the row, which the run polls.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, text

from canvas.db.jobs import Claim


def set_progress(conn: Connection, *, run_id: int, done: int, total: int | None) -> None:
    conn.execute(text("""
        UPDATE sync_runs SET progress_done = :d, progress_total = :t WHERE id = :r AND outcome = 'running'
    """), {"r": run_id, "d": done, "t": total})


def cancel_requested(conn: Connection, *, run_id: int) -> bool:
    return bool(conn.execute(text("SELECT cancel_requested_at IS NOT NULL FROM sync_runs WHERE id = :r"),
                             {"r": run_id}).scalar())


def request_cancel(conn: Connection, *, user_id: int) -> bool:
    """Ask the user's running sync (whoever runs it) to stop; False when none is running."""
    return conn.execute(text("""
        UPDATE sync_runs SET cancel_requested_at = coalesce(cancel_requested_at, now())
         WHERE user_id = :u AND outcome = 'running'
    """), {"u": user_id}).rowcount > 0


def release_cancelled(conn: Connection, claim: Claim, *, interval: timedelta) -> None:
    """A run the student cancelled: not a failure (no backoff, no error shown), and not due again
    at once either (that would restart what they just stopped): the next scheduled sync does it."""
    conn.execute(text("""
        UPDATE sync_jobs SET state = 'idle', lease_owner = NULL, lease_until = NULL,
               requested_at = NULL, requested_kind = NULL,
               due_at = now() + make_interval(secs => :iv)
         WHERE user_id = :u AND fence = :f
    """), {"u": claim.user_id, "f": claim.fence, "iv": interval.total_seconds()})


def running_progress(conn: Connection, *, user_id: int) -> dict[str, Any] | None:
    """The user's run in progress: when it started, courses done of courses, whether a cancel is pending."""
    row = conn.execute(text("""
        SELECT id, kind, trigger, worker, started_at, progress_done, progress_total,
               cancel_requested_at IS NOT NULL AS cancelling, now() AS db_now
          FROM sync_runs WHERE user_id = :u AND outcome = 'running'
         ORDER BY started_at DESC LIMIT 1
    """), {"u": user_id}).mappings().first()
    return dict(row) if row else None
