"""Notification SQL: preferences, encrypted targets, and the outbox the workers drain.

The outbox follows sync_jobs' discipline (canvas.db.jobs): a row is claimed with
FOR UPDATE SKIP LOCKED under a lease timed by the database clock and a fence bumped on every
claim; only the current fence may mark it sent or failed. A sender that dies mid-delivery leaves
the row 'sending' until its lease runs out, then another worker takes it over (at least once);
two live senders never hold the same row (never twice while leases are honoured).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from cryptography.fernet import InvalidToken
from sqlalchemy import Connection, delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert

from canvas.db import tables as t
from canvas.errors import UsageError
from canvas.notify import prefs as prefs_rules
from canvas.notify import schedule
from canvas.notify.urls import check_url, label
from canvas.rows import NotifyFailure, NotifyPrefs, NotifyTarget

TEST_KIND = "test"


# -- preferences -------------------------------------------------------------------------------
def get_prefs(conn: Connection, user_id: int) -> NotifyPrefs:
    """The user's preferences (defaults when never saved); `timezone` None means the Canvas profile's."""
    row = conn.execute(select(t.notify_prefs).where(t.notify_prefs.c.user_id == user_id)).mappings().first()
    out = dict(prefs_rules.DEFAULTS)
    if row is not None:
        out.update({k: row[k] for k in prefs_rules.DEFAULTS})
        out["kinds"], out["lead_times_minutes"] = list(row["kinds"]), list(row["lead_times_minutes"])
    return cast(NotifyPrefs, out)


def save_prefs(conn: Connection, user_id: int, **changes: Any) -> NotifyPrefs:
    """Validate and store (canvas.notify.prefs rules: UsageError on bad input); returns the result."""
    values = prefs_rules.validate(dict(get_prefs(conn, user_id)), **changes)
    stmt = insert(t.notify_prefs).values(user_id=user_id, **values)
    conn.execute(stmt.on_conflict_do_update(index_elements=["user_id"],
                                            set_={**values, "updated_at": func.now()}))
    return cast(NotifyPrefs, values)


def _zone_name(conn: Connection, user_id: int, prefs: NotifyPrefs) -> str | None:
    if prefs.get("timezone"):
        return str(prefs["timezone"])
    return conn.execute(select(t.users.c.time_zone).where(t.users.c.id == user_id)).scalar_one_or_none()


# -- targets -----------------------------------------------------------------------------------
MAX_TARGETS = 10


def add_target(conn: Connection, cipher: Any, user_id: int, url: str, *,
               allowed_hosts: Iterable[str] | None = None) -> int:
    """Check an Apprise URL (canvas.notify.urls: Apprise must understand it, its host must pass the
    Canvas host policy; `allowed_hosts` default: CANVAS_ALLOWED_HOSTS) and store it encrypted, bound
    to the user like a Canvas token. Raises UsageError (one sentence, never the URL) on bad input."""
    if allowed_hosts is None:
        from canvas.config import get_settings

        allowed_hosts = get_settings().allowed_hosts
    url = check_url(url, allowed_hosts)
    count = conn.execute(select(func.count()).select_from(t.notify_targets)
                         .where(t.notify_targets.c.user_id == user_id)).scalar_one()
    if count >= MAX_TARGETS:
        raise UsageError(f"You can have at most {MAX_TARGETS} notification URLs; remove one first.")
    ciphertext = cipher.encrypt(user_id, url)
    return int(conn.execute(insert(t.notify_targets).values(
        user_id=user_id, url_ciphertext=ciphertext, label=label(url)).returning(t.notify_targets.c.id)).scalar_one())


def list_targets(conn: Connection, user_id: int) -> list[NotifyTarget]:
    """id, label ("ntfy://…"), created_at, last_ok_at, last_error, last_error_at: never the URL."""
    c = t.notify_targets.c
    rows = conn.execute(select(c.id, c.label, c.created_at, c.last_ok_at, c.last_error, c.last_error_at)
                        .where(c.user_id == user_id).order_by(c.id)).mappings()
    return [cast(NotifyTarget, dict(r)) for r in rows]


def remove_target(conn: Connection, user_id: int, target_id: int) -> bool:
    """Delete a target and its queued messages (cascade)."""
    c = t.notify_targets.c
    return conn.execute(delete(t.notify_targets).where(c.user_id == user_id, c.id == target_id)).rowcount == 1


def rotate_targets(conn: Connection, cipher: Any) -> int:
    """Re-encrypt every stored URL under the key ring's primary key (`keys rotate`); a URL no key opens
    is left as is (its deliveries fail with a message asking to add it again). Returns how many."""
    c = t.notify_targets.c
    rotated = 0
    for row in conn.execute(select(c.id, c.url_ciphertext).with_for_update()).all():
        try:
            new = cipher.rotate(bytes(row.url_ciphertext))
        except InvalidToken:  # no key in the ring opens it
            continue
        conn.execute(update(t.notify_targets).where(c.id == row.id).values(url_ciphertext=new))
        rotated += 1
    return rotated


def recent_failures(conn: Connection, user_id: int, limit: int = 20) -> list[NotifyFailure]:
    """Messages given up on, newest first: id, target_id, label, kind, attempts, last_error, failed_at."""
    rows = conn.execute(text("""
        SELECT o.id, o.target_id, g.label, o.kind, o.attempt AS attempts, o.last_error, o.finished_at AS failed_at
          FROM notify_outbox o JOIN notify_targets g ON g.id = o.target_id
         WHERE o.user_id = :u AND o.state = 'failed'
         ORDER BY o.finished_at DESC, o.id DESC LIMIT :n
    """), {"u": user_id, "n": limit}).mappings()
    return [cast(NotifyFailure, dict(r)) for r in rows]


def outbox_counts(conn: Connection, user_id: int | None = None) -> dict[str, int]:
    """Messages per state (all users, or one)."""
    rows = conn.execute(text("""
        SELECT state, count(*) AS n FROM notify_outbox
         WHERE CAST(:u AS bigint) IS NULL OR user_id = :u GROUP BY state
    """), {"u": user_id}).all()
    return {str(r.state): int(r.n) for r in rows}


# -- filling the outbox ------------------------------------------------------------------------
def _db_now(conn: Connection) -> datetime:
    return conn.execute(select(func.now())).scalar_one()


def enqueue_test(conn: Connection, user_id: int) -> int:
    """Queue a test message to each of the user's targets (quiet hours do not apply); returns how many."""
    key = f"test:{uuid.uuid4().hex}"
    return conn.execute(text("""
        INSERT INTO notify_outbox (user_id, target_id, kind, dedupe_key, payload)
        SELECT user_id, id, :kind, :key, '{}'::jsonb FROM notify_targets WHERE user_id = :u
    """), {"u": user_id, "kind": TEST_KIND, "key": key}).rowcount


def enqueue_changes(conn: Connection, *, user_id: int, run_id: int | None, events: list[dict[str, Any]]) -> int:
    """In the sync transaction: queue the events of the kinds the user wants, for each target,
    as one message for this sync or added to the pending daily digest. Returns rows queued."""
    targets = conn.execute(select(t.notify_targets.c.id).where(t.notify_targets.c.user_id == user_id)).scalars().all()
    if not targets:
        return 0
    prefs = get_prefs(conn, user_id)
    wanted = [e for e in events if e["kind"] in prefs["kinds"]]
    if not wanted:
        return 0
    now, zone = _db_now(conn), _zone_name(conn, user_id, prefs)
    key_run = f"run:{run_id if run_id is not None else uuid.uuid4().hex}"
    if prefs["digest"] == "daily":
        key, at = schedule.digest_slot(now, prefs, zone)
        kind = "digest"
    else:
        key, at, kind = key_run, schedule.deliver_after(now, prefs, zone), "changes"
    payload = {"events": wanted}
    queued = 0
    for target_id in targets:
        stmt = insert(t.notify_outbox).values(user_id=user_id, target_id=target_id, kind=kind, dedupe_key=key,
                                              payload=payload, deliver_after=at)
        if kind == "digest":
            # Add to the day's digest while it is still pending; once it is on its way, start a new one.
            o = t.notify_outbox
            stmt = stmt.on_conflict_do_update(
                constraint="uq_notify_outbox_target_key",
                set_={"payload": func.jsonb_set(o.c.payload, text("'{events}'"),
                                                o.c.payload["events"].op("||")(stmt.excluded.payload["events"]))},
                where=o.c.state == "pending")
        else:
            stmt = stmt.on_conflict_do_nothing(constraint="uq_notify_outbox_target_key")
        if conn.execute(stmt.returning(t.notify_outbox.c.id)).first() is None and kind == "digest":
            conn.execute(insert(t.notify_outbox).values(
                user_id=user_id, target_id=target_id, kind=kind, dedupe_key=f"{key}:{key_run}", payload=payload,
                deliver_after=at).on_conflict_do_nothing(constraint="uq_notify_outbox_target_key"))
        queued += 1
    return queued


_REMINDER_CANDIDATES = text("""
    SELECT a.user_id, g.id AS target_id, a.canvas_id, a.course_id, a.name, a.due_at, a.html_url,
           c.name AS course_name, p.quiet_start, p.quiet_end, coalesce(p.timezone, u.time_zone) AS zone,
           (SELECT min(m) FROM unnest(p.lead_times_minutes) m
             WHERE a.due_at <= now() + make_interval(mins => m)) AS lead
      FROM notify_prefs p
      JOIN users u ON u.id = p.user_id
      JOIN notify_targets g ON g.user_id = p.user_id
      JOIN canvas_assignments_cache a ON a.user_id = p.user_id
      LEFT JOIN canvas_courses_cache c ON c.user_id = a.user_id AND c.canvas_id = a.course_id
     WHERE 'due_reminder' = ANY(p.kinds) AND cardinality(p.lead_times_minutes) > 0
       AND a.due_at > now()
       AND a.due_at <= now() + make_interval(mins => (SELECT max(m) FROM unnest(p.lead_times_minutes) m))
       AND a.published AND a.submitted_at IS NULL AND a.score IS NULL AND NOT a.excused
       AND coalesce(a.workflow_state, 'unsubmitted') = 'unsubmitted'
       AND NOT (a.submission_types && ARRAY['none', 'not_graded']::text[])
""")


def enqueue_reminders(conn: Connection) -> int:
    """Queue due-date reminders for every user (idempotent: the outbox's unique key is per target,
    assignment, lead time and due date, so many workers scanning at once queue each one once).

    Only the nearest lead time already reached is sent: a student who sets "2d, 3h" when work is
    due in 2 hours gets the 3-hour reminder, not both."""
    rows = conn.execute(_REMINDER_CANDIDATES).mappings().all()
    if not rows:
        return 0
    now = _db_now(conn)
    values = []
    for r in rows:
        due: datetime = r["due_at"]
        at = schedule.deliver_after(now, {"quiet_start": r["quiet_start"], "quiet_end": r["quiet_end"]}, r["zone"])
        if at >= due:
            at = now  # quiet hours last past the due time: a reminder after it would be useless
        values.append({
            "user_id": r["user_id"], "target_id": r["target_id"], "kind": "reminder", "deliver_after": at,
            "dedupe_key": f"reminder:{r['canvas_id']}:{r['lead']}:{int(due.timestamp())}",
            "payload": {"assignment_id": int(r["canvas_id"]), "course_id": int(r["course_id"]), "title": r["name"],
                        "course_name": r["course_name"], "due_at": due.isoformat(), "lead_minutes": int(r["lead"]),
                        "html_url": r["html_url"], "zone": r["zone"]},
        })
    stmt = insert(t.notify_outbox).on_conflict_do_nothing(constraint="uq_notify_outbox_target_key")
    return len(conn.execute(stmt.returning(t.notify_outbox.c.id), values).all())


# -- draining the outbox -----------------------------------------------------------------------
@dataclass(frozen=True)
class OutboxClaim:
    id: int
    fence: int
    user_id: int
    target_id: int
    kind: str
    payload: dict[str, Any]
    attempt: int
    url_ciphertext: bytes


_CLAIM = text("""
    UPDATE notify_outbox o
       SET state = 'sending', lease_owner = :owner, lease_until = now() + make_interval(secs => :ttl),
           fence = o.fence + 1, attempt = o.attempt + 1
      FROM (SELECT id FROM notify_outbox
             WHERE ((state = 'pending' AND deliver_after <= now())
                    -- a sender that stopped renewing (killed, cut off): take its message over
                    OR (state = 'sending' AND lease_until < now()))
               AND (CAST(:user AS bigint) IS NULL OR user_id = :user)
             ORDER BY deliver_after, id
             LIMIT :n
             FOR UPDATE SKIP LOCKED) c, notify_targets g
     WHERE o.id = c.id AND g.id = o.target_id
    RETURNING o.id, o.fence, o.user_id, o.target_id, o.kind, o.payload, o.attempt, g.url_ciphertext
""")


def claim_outbox(conn: Connection, *, owner: str, ttl: float, limit: int = 1,
                 user_id: int | None = None) -> list[OutboxClaim]:
    """Up to `limit` due messages (of one user when given: an in-app sender must not send others')."""
    rows = conn.execute(_CLAIM, {"owner": owner, "ttl": ttl, "n": limit, "user": user_id}).all()
    return [OutboxClaim(int(r.id), int(r.fence), int(r.user_id), int(r.target_id), str(r.kind), dict(r.payload),
                        int(r.attempt), bytes(r.url_ciphertext)) for r in rows]


def mark_sent(conn: Connection, claim: OutboxClaim) -> bool:
    """Record a delivery; False when the fence moved (another sender took the message over)."""
    done = conn.execute(text("""
        UPDATE notify_outbox SET state = 'sent', finished_at = now(), lease_owner = NULL, lease_until = NULL,
               last_error = NULL
         WHERE id = :id AND fence = :f AND state = 'sending'
    """), {"id": claim.id, "f": claim.fence}).rowcount == 1
    if done:
        conn.execute(text("UPDATE notify_targets SET last_ok_at = now(), last_error = NULL WHERE id = :t"),
                     {"t": claim.target_id})
    return done


def mark_failed(conn: Connection, claim: OutboxClaim, *, error: str, retry_in: float | None) -> bool:
    """A failed attempt: back to pending after `retry_in` seconds, or given up (retry_in None).
    The target records the error either way (Settings shows it)."""
    done = conn.execute(text("""
        UPDATE notify_outbox
           SET state = CASE WHEN CAST(:retry AS float8) IS NULL THEN 'failed' ELSE 'pending' END,
               deliver_after = CASE WHEN CAST(:retry AS float8) IS NULL THEN deliver_after
                                    ELSE now() + make_interval(secs => CAST(:retry AS float8)) END,
               finished_at = CASE WHEN CAST(:retry AS float8) IS NULL THEN now() END,
               lease_owner = NULL, lease_until = NULL, last_error = :err
         WHERE id = :id AND fence = :f AND state = 'sending'
    """), {"id": claim.id, "f": claim.fence, "retry": retry_in, "err": error[:300]}).rowcount == 1
    if done:
        conn.execute(text("UPDATE notify_targets SET last_error = :err, last_error_at = now() WHERE id = :t"),
                     {"t": claim.target_id, "err": error[:300]})
    return done


def release(conn: Connection, claim: OutboxClaim) -> None:
    """Give a claimed message back untried (shutdown): no attempt counted."""
    conn.execute(text("""
        UPDATE notify_outbox SET state = 'pending', lease_owner = NULL, lease_until = NULL,
               attempt = greatest(attempt - 1, 0)
         WHERE id = :id AND fence = :f AND state = 'sending'
    """), {"id": claim.id, "f": claim.fence})


def user_time_zone(conn: Connection, user_id: int) -> str | None:
    return _zone_name(conn, user_id, get_prefs(conn, user_id))
