"""Users, sync runs and the cache write: keyword-only functions taking a Connection.

`write_full_sync` is the heart: one transaction upserts what changed (by content hash), deletes
what vanished from Canvas, records score snapshots and the run row, and bumps the user's data
version. Nothing is written when the fence check fails.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from typing import cast as typed  # sqlalchemy's `cast` is the SQL one

from sqlalchemy import Connection, Table, and_, cast, delete, func, literal, or_, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import JSONB, insert

from canvas import models
from canvas.db import changes
from canvas.db import tables as t
from canvas.rows import AuthKind, RunOutcome, SyncFacts, SyncKind, SyncTrigger


@dataclass(frozen=True)
class User:
    id: int
    base_url: str
    canvas_user_id: int
    name: str
    time_zone: str | None
    token_ciphertext: bytes | None
    token_hint: str | None
    token_state: str
    token_error: str | None
    data_version: int


def _user(row: Any) -> User:
    return User(id=row.id, base_url=row.base_url, canvas_user_id=row.canvas_user_id, name=row.name,
                time_zone=row.time_zone, token_ciphertext=row.token_ciphertext, token_hint=row.token_hint,
                token_state=row.token_state, token_error=row.token_error, data_version=row.data_version)


# -- users -------------------------------------------------------------------------------------
def upsert_user(conn: Connection, *, base_url: str, canvas_user_id: int, name: str,
                time_zone: str | None) -> int:
    stmt: Any = insert(t.users).values(base_url=base_url, canvas_user_id=canvas_user_id, name=name,
                                  time_zone=time_zone)
    stmt = stmt.on_conflict_do_update(
        constraint="uq_users_canvas_identity",
        set_={"name": stmt.excluded.name, "time_zone": stmt.excluded.time_zone, "updated_at": func.now()},
    ).returning(t.users.c.id)
    return int(conn.execute(stmt).scalar_one())


def set_token(conn: Connection, *, user_id: int, ciphertext: bytes, hint: str) -> None:
    """Store a personal access token (replacing any OAuth grant the row held)."""
    conn.execute(update(t.users).where(t.users.c.id == user_id).values(
        token_ciphertext=ciphertext, token_hint=hint, token_state="valid", token_error=None,
        auth_kind="pat", access_token_expires_at=None, updated_at=func.now()))


def clear_token(conn: Connection, *, user_id: int) -> None:
    conn.execute(update(t.users).where(t.users.c.id == user_id).values(
        token_ciphertext=None, token_hint=None, updated_at=func.now()))


def get_user(conn: Connection, user_id: int) -> User | None:
    row = conn.execute(select(t.users).where(t.users.c.id == user_id)).first()
    return _user(row) if row else None


def list_users(conn: Connection) -> list[User]:
    return [_user(r) for r in conn.execute(select(t.users).order_by(t.users.c.id))]


def delete_user(conn: Connection, *, user_id: int) -> bool:
    return conn.execute(delete(t.users).where(t.users.c.id == user_id)).rowcount == 1


def all_token_rows(conn: Connection) -> list[tuple[int, bytes]]:
    rows = conn.execute(select(t.users.c.id, t.users.c.token_ciphertext)
                        .where(t.users.c.token_ciphertext.is_not(None)).with_for_update())
    return [(int(r.id), bytes(r.token_ciphertext)) for r in rows]


def set_ciphertext(conn: Connection, *, user_id: int, ciphertext: bytes) -> None:
    conn.execute(update(t.users).where(t.users.c.id == user_id).values(token_ciphertext=ciphertext))


# -- OAuth tokens and pending authorizations (canvas.tokens, canvas.accounts) -----------------------
@dataclass(frozen=True)
class TokenRow:
    id: int
    base_url: str
    canvas_user_id: int
    auth_kind: AuthKind
    token_ciphertext: bytes | None
    access_token_expires_at: datetime | None
    token_state: str
    identity_issuer: str | None
    identity_subject: str | None


def _token_row_query(user_id: int) -> Any:
    u = t.users.c
    return select(u.id, u.base_url, u.canvas_user_id, u.auth_kind, u.token_ciphertext,
                  u.access_token_expires_at, u.token_state, u.identity_issuer,
                  u.identity_subject).where(u.id == user_id)


def _token_row(row: Any) -> TokenRow:
    return TokenRow(id=int(row.id), base_url=row.base_url, canvas_user_id=int(row.canvas_user_id),
                    auth_kind=row.auth_kind,
                    token_ciphertext=bytes(row.token_ciphertext) if row.token_ciphertext is not None else None,
                    access_token_expires_at=row.access_token_expires_at, token_state=row.token_state,
                    identity_issuer=row.identity_issuer, identity_subject=row.identity_subject)


def token_row(conn: Connection, user_id: int, *, lock: bool = False) -> TokenRow | None:
    """The user's stored credentials; lock=True takes the row lock (SELECT ... FOR UPDATE) that
    serialises OAuth refreshes across processes until the transaction ends."""
    stmt = _token_row_query(user_id)
    if lock:
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).first()
    return _token_row(row) if row else None


def set_oauth_tokens(conn: Connection, *, user_id: int, ciphertext: bytes, hint: str,
                     expires_at: datetime | None) -> None:
    """A freshly connected OAuth grant (access + refresh token in one ciphertext)."""
    conn.execute(update(t.users).where(t.users.c.id == user_id).values(
        auth_kind="oauth", token_ciphertext=ciphertext, token_hint=hint, access_token_expires_at=expires_at,
        token_state="valid", token_error=None, updated_at=func.now()))


def set_refreshed_token(conn: Connection, *, user_id: int, ciphertext: bytes,
                        expires_at: datetime | None) -> None:
    """After a refresh: the new access token (same refresh token) and when to refresh again."""
    conn.execute(update(t.users).where(t.users.c.id == user_id).values(
        token_ciphertext=ciphertext, access_token_expires_at=expires_at))


def set_identity(conn: Connection, *, user_id: int, issuer: str, subject: str) -> None:
    conn.execute(update(t.users).where(t.users.c.id == user_id).values(
        identity_issuer=issuer, identity_subject=subject, updated_at=func.now()))


def save_oauth_state(conn: Connection, *, state_hash: str, base_url: str, identity_issuer: str | None,
                     identity_subject: str | None) -> None:
    conn.execute(insert(t.oauth_states).values(state_hash=state_hash, base_url=base_url,
                                               identity_issuer=identity_issuer, identity_subject=identity_subject))


@dataclass(frozen=True)
class PendingOAuth:
    base_url: str
    identity_issuer: str | None
    identity_subject: str | None


def take_oauth_state(conn: Connection, *, state_hash: str, max_age_s: float) -> PendingOAuth | None:
    """Consume a pending authorization (single use); None when unknown, used or too old."""
    s = t.oauth_states
    row = conn.execute(delete(s).where(s.c.state_hash == state_hash).returning(
        s.c.base_url, s.c.identity_issuer, s.c.identity_subject,
        (s.c.created_at > func.now() - func.make_interval(0, 0, 0, 0, 0, 0, max_age_s)).label("live"))).first()
    if row is None or not row.live:
        return None
    return PendingOAuth(row.base_url, row.identity_issuer, row.identity_subject)


def prune_oauth_states(conn: Connection, *, max_age_s: float) -> int:
    s = t.oauth_states
    return conn.execute(delete(s).where(
        s.c.created_at < func.now() - func.make_interval(0, 0, 0, 0, 0, 0, max_age_s))).rowcount


# -- sync runs ---------------------------------------------------------------------------------
def start_run(conn: Connection, *, user_id: int, trigger: SyncTrigger, kind: SyncKind, worker: str | None) -> int:
    stmt = insert(t.sync_runs).values(user_id=user_id, trigger=trigger, kind=kind, worker=worker)
    return int(conn.execute(stmt.returning(t.sync_runs.c.id)).scalar_one())


def finish_run(conn: Connection, *, run_id: int, outcome: RunOutcome, stats: dict[str, Any]) -> None:
    conn.execute(update(t.sync_runs).where(t.sync_runs.c.id == run_id).values(
        finished_at=func.now(), outcome=outcome, **stats))


# -- the cache write ---------------------------------------------------------------------------
def _upsert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> int:
    """Insert or update by (user_id, canvas_id), skipping rows whose content hash is unchanged.

    One statement executed with many parameter sets: SQLAlchemy compiles it once (cached) and
    batches the rows into multi-VALUES round trips ("insertmanyvalues"). Building a new
    `.values([...])` statement per call cost ~4x the CPU (a fresh compile for every row count) and
    filled the compiled cache with one huge entry per distinct row count (worker memory).
    """
    if not rows:
        return 0
    stmt: Any = insert(table)
    cols = {c.name: stmt.excluded[c.name] for c in table.columns if c.name not in ("user_id", "canvas_id")}
    cols["synced_at"] = func.now()
    stmt = stmt.on_conflict_do_update(
        index_elements=["user_id", "canvas_id"], set_=cols,
        where=table.c.content_hash.is_distinct_from(stmt.excluded.content_hash),
    ).returning(table.c.canvas_id)  # rowcount is -1 for upserts; count the rows actually written
    return len(conn.execute(stmt, list(rows)).all())


def _delete_vanished(conn: Connection, table: Table, user_id: int, keep_ids: Iterable[int],
                     keep_courses: Iterable[int], course_col: str = "course_id") -> int:
    cond = and_(table.c.user_id == user_id, table.c.canvas_id.not_in(list(keep_ids) or [-1]))
    skipped = list(keep_courses)
    if skipped:
        cond = and_(cond, table.c[course_col].not_in(skipped))
    return conn.execute(delete(table).where(cond)).rowcount


def _snapshots(conn: Connection, user_id: int, run_id: int, courses: list[dict[str, Any]]) -> int:
    """Record Canvas's course scores when they differ from the latest snapshot (history, compact)."""
    if not courses:
        return 0
    ids = [c["canvas_id"] for c in courses]
    latest = conn.execute(text("""
        SELECT DISTINCT ON (course_id) course_id, current_score, final_score, current_grade, final_grade
          FROM course_score_snapshots WHERE user_id = :u AND course_id = ANY(:ids)
         ORDER BY course_id, taken_at DESC, id DESC
    """), {"u": user_id, "ids": ids}).all()
    last = {r.course_id: (r.current_score, r.final_score, r.current_grade, r.final_grade) for r in latest}
    new = [
        {"user_id": user_id, "course_id": c["canvas_id"], "sync_run_id": run_id,
         "current_score": c["current_score"], "final_score": c["final_score"],
         "current_grade": c["current_grade"], "final_grade": c["final_grade"]}
        for c in courses
        if last.get(c["canvas_id"]) != (c["current_score"], c["final_score"], c["current_grade"],
                                        c["final_grade"])
    ]
    if new:
        conn.execute(insert(t.score_snapshots).values(new))
    return len(new)


def cached_courses(conn: Connection, *, user_id: int) -> models.CachedCourses:
    """What a full sync needs to know before it asks Canvas: which cached courses are current and
    which concluded (archived), and whether the concluded listing was ever read."""
    listed = conn.execute(select(t.users.c.archive_listed_at.is_not(None))
                          .where(t.users.c.id == user_id)).scalar_one_or_none()
    rows = conn.execute(select(t.courses.c.canvas_id, t.courses.c.concluded)
                        .where(t.courses.c.user_id == user_id)).all()
    return models.CachedCourses(listed=bool(listed),
                                current=frozenset(r.canvas_id for r in rows if not r.concluded),
                                concluded=frozenset(r.canvas_id for r in rows if r.concluded))


def write_full_sync(conn: Connection, *, user_id: int, run_id: int, data: models.FetchedData) -> dict[str, int]:
    """Replace the user's cache with `data` (call inside a transaction that checked the fence).

    Concluded courses the run did not read again (the archive) stay, with their groups and
    assignments: leaving the active list never deletes a finished course."""
    skipped = data.skipped_ids
    course_ids = [c["canvas_id"] for c in data.courses]
    read = set(course_ids if data.read_course_ids is None else data.read_course_ids)
    before = changes.before_write(conn, user_id)  # the change feed compares old rows with new ones
    written = _upsert(conn, t.courses, data.courses)
    written += _upsert(conn, t.assignment_groups, data.groups)
    written += _upsert(conn, t.assignments, data.assignments)
    if data.restricted_concluded:
        written += conn.execute(update(t.courses).where(
            t.courses.c.user_id == user_id, t.courses.c.canvas_id.in_(data.restricted_concluded),
            t.courses.c.concluded.is_(False)).values(concluded=True)).rowcount
    archived = [cid for cid in conn.execute(select(t.courses.c.canvas_id).where(
        t.courses.c.user_id == user_id, t.courses.c.concluded)).scalars() if cid not in read]
    kept = course_ids + archived
    deleted = _delete_vanished(conn, t.courses, user_id, kept, [], course_col="canvas_id")
    deleted += _delete_vanished(conn, t.assignment_groups, user_id, [g["canvas_id"] for g in data.groups],
                                skipped + archived)
    deleted += _delete_vanished(conn, t.assignments, user_id, [a["canvas_id"] for a in data.assignments],
                                skipped + archived)
    # Groups/assignments of a course that left Canvas go with it (skipped and archived courses stay).
    for table in (t.assignment_groups, t.assignments):
        deleted += conn.execute(delete(table).where(
            table.c.user_id == user_id, table.c.course_id.not_in(kept or [-1]))).rowcount
    snaps = _snapshots(conn, user_id, run_id, data.courses)
    events = changes.after_write(conn, user_id=user_id, run_id=run_id, before=before, data=data)
    # The data version moves only when something the pages show changed: a resync that found nothing
    # new rewrites no row and leaves every page's cached reads valid.
    name, time_zone = str(data.profile.get("name") or ""), data.profile.get("time_zone")
    changed = [t.users.c.name.is_distinct_from(name), t.users.c.time_zone.is_distinct_from(time_zone)]
    values: dict[str, Any] = {"name": name, "time_zone": time_zone, "data_version": t.users.c.data_version + 1,
                              "updated_at": func.now()}
    if data.archive_listed:  # remembered once: later syncs list concluded courses only when one may be new
        changed.append(t.users.c.archive_listed_at.is_(None))
        values["archive_listed_at"] = func.coalesce(t.users.c.archive_listed_at, func.now())
    only_if = [] if written + deleted + snaps else [or_(*changed)]
    conn.execute(update(t.users).where(t.users.c.id == user_id, *only_if).values(values))
    return {"rows_written": written + deleted, "snapshots": snaps, "changes": events}


def merge_graded(conn: Connection, *, user_id: int, rows: list[dict[str, Any]], run_id: int | None = None) -> int:
    """Recent-grades refresh: update only the submission columns of cached assignments."""
    before = changes.before_graded(conn, user_id, [int(r["canvas_id"]) for r in rows])
    cols = ("score", "grade", "score_hidden", "submitted_at", "graded_at", "posted_at", "workflow_state",
            "late", "missing", "excused", "late_policy_status", "points_deducted", "has_submission")
    changed = 0
    for row in rows:
        res = conn.execute(update(t.assignments).where(
            t.assignments.c.user_id == user_id, t.assignments.c.canvas_id == row["canvas_id"],
            tuple_(*[t.assignments.c[c] for c in cols]).is_distinct_from(tuple_(*[row[c] for c in cols])),
        ).values({**{c: row[c] for c in cols}, "synced_at": func.now(),  # one dict: 2.1 refuses dict + kwargs
                  "raw": func.jsonb_set(t.assignments.c.raw, text("'{submission}'::text[]"),
                                        cast(literal(json.dumps(row["raw"].get("submission"))), JSONB))}))
        changed += res.rowcount
    if changed:
        changes.after_graded(conn, user_id=user_id, run_id=run_id, before=before, rows=rows)
        conn.execute(update(t.users).where(t.users.c.id == user_id).values(
            data_version=t.users.c.data_version + 1))
    return changed


def newest_graded_at(conn: Connection, *, user_id: int) -> datetime | None:
    return conn.execute(select(func.max(t.assignments.c.graded_at))
                        .where(t.assignments.c.user_id == user_id)).scalar_one()


# -- status and export -------------------------------------------------------------------------
def sync_facts(conn: Connection, *, user_id: int) -> SyncFacts | None:
    """What the status rules need, in one round trip."""
    row = conn.execute(text("""
        SELECT u.token_state, u.token_error, u.data_version, u.token_ciphertext IS NOT NULL AS has_token,
               j.state AS job_state, j.lease_until > now() AS lease_live, j.last_ok_at, j.last_error,
               j.requested_at, j.attempt, j.due_at AS retry_at, now() AS db_now,
               (SELECT count(*) FROM canvas_courses_cache c WHERE c.user_id = u.id) AS courses,
               (SELECT count(*) FROM canvas_assignments_cache a WHERE a.user_id = u.id) AS assignments,
               (SELECT max(finished_at) FROM sync_runs r WHERE r.user_id = u.id AND r.outcome = 'success'
                  AND r.kind = 'full') AS last_success,
               EXISTS (SELECT 1 FROM worker_heartbeats w WHERE w.state = 'running'
                         AND w.last_beat > now() - interval '30 seconds') AS worker_alive
          FROM users u LEFT JOIN sync_jobs j ON j.user_id = u.id WHERE u.id = :u
    """), {"u": user_id}).mappings().first()
    return typed(SyncFacts, dict(row)) if row else None


def export_user(conn: Connection, *, user_id: int) -> dict[str, list[Any]]:
    """The cached data as Canvas reported it (raw JSON), for `export --json`."""
    # `concluded` is the cache's verdict (the archive), also for a course Canvas listed as completed
    # before include[]=concluded was asked for.
    courses = [{**r.raw, "concluded": r.concluded} for r in conn.execute(
        select(t.courses.c.raw, t.courses.c.concluded).where(t.courses.c.user_id == user_id)
        .order_by(t.courses.c.canvas_id))]
    assignments = conn.execute(select(t.assignments.c.raw).where(t.assignments.c.user_id == user_id)
                               .order_by(t.assignments.c.course_id, t.assignments.c.canvas_id)).scalars().all()
    groups = conn.execute(select(t.assignment_groups.c.course_id, t.assignment_groups.c.raw)
                          .where(t.assignment_groups.c.user_id == user_id)
                          .order_by(t.assignment_groups.c.course_id, t.assignment_groups.c.position,
                                    t.assignment_groups.c.canvas_id)).all()
    return {"courses": courses, "assignments": list(assignments),
            "assignment_groups": [{"course_id": g.course_id, **g.raw} for g in groups]}
