"""Retention: the one place that deletes history, so the database stays bounded.

* `sync_runs` older than the window go, except each user's last K runs (the Sync & activity page
  still shows history for idle users), their latest successful run of each kind (the status reads
  take `max(finished_at)` of those) and never a `running` row.
* `course_score_snapshots`: every change inside the recent window; older ones thinned to the last of
  each UTC day; past the history window only each course's latest stays (the next sync compares
  against it, and the chart ends on it).
* `change_events` past their window; `notify_outbox` rows sent or given up past theirs (pending ones
  never go).
* `oauth_states` past their lifetime; `worker_heartbeats` silent for a week.
* `course_prefs` (credits, in GPA) of courses no longer in the cache (a dropped course; concluded
  courses stay cached, so their choices stay). `gpa_settings` and `course_prefs` go with their user
  (ON DELETE CASCADE), like the cache.

Deletes run in batches of at most `batch_size` rows, each its own short transaction, so a first
prune of a big table never holds long locks. A session advisory lock lets one process prune at a
time: other replicas skip instead of queueing (a transaction-level lock would not span the batches).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, text

from canvas.config import OAUTH_STATE_TTL_S, Settings
from canvas.db.session import set_local_timeouts

LOCK_KEY = 0x43414E5652  # "CANVR"; the migration lock is "CANVA"
BATCH_SIZE = 5000
HEARTBEAT_KEEP_DAYS = 7  # docs/worker.md: a silent worker's row is dropped after 7 days
LOCK_TIMEOUT_MS = 5000  # a batch that would wait on a lock gives up (retried next hour) rather than queue

# Candidate rows per table, pruned in this order (snapshots first: deleting runs then nulls fewer
# snapshots' sync_run_id). ctid: deleting by physical row is safe against concurrent updates, which
# move the row. Parameters are fixed once per prune, on the database clock.
_CANDIDATES = {
    "course_score_snapshots": """
        SELECT s.ctid FROM course_score_snapshots s
         WHERE s.taken_at < :changes_cut
           AND EXISTS (SELECT 1 FROM course_score_snapshots n
                        WHERE n.user_id = s.user_id AND n.course_id = s.course_id
                          AND n.taken_at >= s.taken_at
                          -- an upper bound the index can use: a probe never reads past the same day
                          AND n.taken_at < CASE WHEN s.taken_at < :history_cut THEN 'infinity'::timestamptz
                                                ELSE date_trunc('day', s.taken_at, 'UTC') + interval '1 day' END
                          AND (n.taken_at > s.taken_at OR n.id > s.id))""",
    "sync_runs": """
        SELECT r.ctid
          FROM unnest(CAST(:users AS bigint[]), CAST(:before AS timestamptz[])) AS b(user_id, before)
          JOIN sync_runs r ON r.user_id = b.user_id AND r.started_at < b.before
         WHERE r.outcome <> 'running' AND r.id <> ALL(CAST(:keep AS bigint[]))""",
    "oauth_states": "SELECT ctid FROM oauth_states WHERE created_at < :oauth_cut",
    "change_events": "SELECT ctid FROM change_events WHERE detected_at < :events_cut",
    # Delivered or given-up messages only; a pending or sending one is never lost to retention.
    "notify_outbox": "SELECT ctid FROM notify_outbox WHERE finished_at < :outbox_cut",
    "worker_heartbeats": "SELECT ctid FROM worker_heartbeats WHERE last_beat < :beat_cut",
    "course_prefs": """
        SELECT p.ctid FROM course_prefs p
         WHERE NOT EXISTS (SELECT 1 FROM canvas_courses_cache c
                            WHERE c.user_id = p.user_id AND c.canvas_id = p.course_id)""",
}

_CUTOFFS = text("""
    SELECT now() - make_interval(days => :runs_days) AS runs_cut,
           now() - make_interval(days => :changes_days) AS changes_cut,
           now() - make_interval(days => :history_days) AS history_cut,
           now() - make_interval(secs => :oauth_s) AS oauth_cut,
           now() - make_interval(days => :events_days) AS events_cut,
           now() - make_interval(days => :outbox_days) AS outbox_cut,
           now() - make_interval(secs => :beat_s) AS beat_cut
""")

# Per user, once per prune: runs older than `before` may go (the window, or the K-th latest run if
# older), except `keep` (latest success per kind). Users with nothing to delete are left out.
_RUN_BOUNDS = text("""
    SELECT u.id AS user_id, least(:runs_cut, k.started_at) AS before,
           (SELECT array_agg(x.id) FROM (SELECT DISTINCT ON (kind) id FROM sync_runs
                                          WHERE user_id = u.id AND outcome = 'success'
                                          ORDER BY kind, finished_at DESC, id DESC) x) AS keep
      FROM users u
      JOIN LATERAL (SELECT started_at FROM sync_runs WHERE user_id = u.id
                     ORDER BY started_at DESC OFFSET :per_user - 1 LIMIT 1) k ON true
     WHERE EXISTS (SELECT 1 FROM sync_runs o
                    WHERE o.user_id = u.id AND o.started_at < least(:runs_cut, k.started_at))
""")


@dataclass(frozen=True)
class Policy:
    sync_runs_days: int = 14
    sync_runs_per_user: int = 20
    score_changes_days: int = 14
    score_history_days: int = 400
    oauth_state_ttl_s: float = OAUTH_STATE_TTL_S
    heartbeat_days: float = HEARTBEAT_KEEP_DAYS
    change_events_days: int = 90
    notifications_days: int = 30

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(sync_runs_days=settings.retain_sync_runs_days,
                   sync_runs_per_user=settings.retain_sync_runs_per_user,
                   score_changes_days=settings.retain_score_changes_days,
                   score_history_days=settings.retain_score_history_days,
                   change_events_days=settings.retain_changes_days,
                   notifications_days=settings.retain_notifications_days)

    def describe(self) -> str:
        return (f"sync runs older than {self.sync_runs_days} days (keeping each user's last "
                f"{self.sync_runs_per_user} and latest successful ones, never a running one); score snapshots "
                f"thinned to the last of each day after {self.score_changes_days} days and to each course's "
                f"latest after {self.score_history_days} days; OAuth states older than "
                f"{self.oauth_state_ttl_s / 60:g} min; change events older than {self.change_events_days} days; "
                f"sent or failed notifications older than {self.notifications_days} days; heartbeats of workers "
                f"silent for {self.heartbeat_days:g} days; GPA choices for courses no longer cached")


@dataclass
class PruneResult:
    ran: bool  # False: another process was pruning, nothing done
    dry_run: bool
    counts: dict[str, int] = field(default_factory=dict)  # rows deleted (or that would be) per table
    seconds: float = 0.0
    stopped: bool = False  # cut short by `stop`; the rest goes next time

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def prune(engine: Engine, policy: Policy, *, dry_run: bool = False, batch_size: int = BATCH_SIZE,
          stop: threading.Event | None = None) -> PruneResult:
    """Apply the retention rule once. `dry_run` counts what would go and deletes nothing."""
    t0 = time.perf_counter()
    with engine.connect() as conn:
        if dry_run:
            params = _params(conn, policy)
            counts = {name: int(conn.execute(text(f"SELECT count(*) FROM ({sql}) c"), params).scalar_one())
                      for name, sql in _CANDIDATES.items()}
            conn.rollback()
            return PruneResult(True, True, counts, time.perf_counter() - t0)
        if not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}).scalar_one():
            conn.rollback()
            return PruneResult(False, False, seconds=time.perf_counter() - t0)
        conn.commit()
        result = PruneResult(True, False)
        try:
            params = _params(conn, policy)
            conn.commit()
            for name, sql in _CANDIDATES.items():
                result.counts[name] = _delete_batches(conn, name, sql, params, batch_size, stop)
            result.stopped = stop is not None and stop.is_set()
        finally:
            _unlock(conn)
        result.seconds = time.perf_counter() - t0
        return result


def _params(conn: Connection, policy: Policy) -> dict[str, Any]:
    cuts = conn.execute(_CUTOFFS, {"runs_days": policy.sync_runs_days, "changes_days": policy.score_changes_days,
                                   "history_days": policy.score_history_days, "oauth_s": policy.oauth_state_ttl_s,
                                   "beat_s": policy.heartbeat_days * 86400.0,
                                   "events_days": policy.change_events_days,
                                   "outbox_days": policy.notifications_days}).mappings().one()
    rows = conn.execute(_RUN_BOUNDS, {"runs_cut": cuts["runs_cut"],
                                      "per_user": policy.sync_runs_per_user}).all()
    return {**cuts, "users": [r.user_id for r in rows], "before": [r.before for r in rows],
            "keep": [i for r in rows for i in (r.keep or ())]}


def _delete_batches(conn: Connection, name: str, sql: str, params: dict[str, Any], batch_size: int,
                    stop: threading.Event | None) -> int:
    stmt = text(f"DELETE FROM {name} WHERE ctid = ANY(ARRAY({sql} LIMIT :batch))")
    total = 0
    while not (stop is not None and stop.is_set()):
        set_local_timeouts(conn, lock_timeout_ms=LOCK_TIMEOUT_MS)
        n = conn.execute(stmt, {**params, "batch": batch_size}).rowcount
        conn.commit()
        total += n
        if n < batch_size:
            break
    return total


def _unlock(conn: Connection) -> None:
    try:
        conn.rollback()  # a failed batch leaves an aborted transaction behind
        conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
        conn.commit()
    except Exception:
        conn.invalidate()  # closing the session is what frees the lock then; never pool it held
        raise
