"""Read-only queries for the dashboard: each returns a DataFrame or a plain dict.

Every query is scoped to one user id. Nothing here writes; the sync engine owns the cache and
`jobs.py` owns the sync requests. Times come back as timezone-aware UTC (pandas `datetime64[us, UTC]`).
"""

from __future__ import annotations

import struct
from math import nan
from typing import Any, cast

import numpy as np
import pandas as pd
import psycopg
from psycopg.adapt import Loader
from psycopg.pq import Format
from sqlalchemy import Connection, text

from canvas.db import jobs
from canvas.db.engine import database_error
from canvas.rows import GradeInputsDoc, GradesRefreshed, IdentityUserRow, RunningRun, UserRow

_USERS = text("""
    SELECT id, name, base_url, time_zone, token_hint, token_state, token_error, data_version,
           token_ciphertext IS NOT NULL AS has_token, updated_at
      FROM users
     ORDER BY (token_ciphertext IS NOT NULL) DESC, updated_at DESC, id DESC
""")


def dashboard_users(conn: Connection) -> list[UserRow]:
    """Every user, those with a saved token first, the most recently updated first."""
    return [cast(UserRow, dict(r)) for r in conn.execute(_USERS).mappings()]


_IDENTITY_USER = text("""
    SELECT id, name, base_url, time_zone, token_hint, token_state, token_error, data_version,
           token_ciphertext IS NOT NULL AS has_token, auth_kind, updated_at
      FROM users
     WHERE identity_issuer = :iss AND identity_subject = :sub
     ORDER BY (token_ciphertext IS NOT NULL) DESC, updated_at DESC, id DESC
     LIMIT 1
""")


def user_for_identity(conn: Connection, *, issuer: str, subject: str) -> IdentityUserRow | None:
    """Shared mode: the users row a signed-in identity (OpenID issuer + subject) connected, if any.

    Same shape as `dashboard_users` rows (plus `auth_kind`); the connected one wins, then the most
    recently updated (an identity that connected a second Canvas account sees the newer one)."""
    row = conn.execute(_IDENTITY_USER, {"iss": issuer, "sub": subject}).mappings().first()
    return cast(IdentityUserRow, dict(row)) if row else None


def data_version(conn: Connection, *, user_id: int) -> int | None:
    return conn.execute(text("SELECT data_version FROM users WHERE id = :u"), {"u": user_id}).scalar_one_or_none()


class _EpochMicros(Loader):
    """timestamptz in binary form is int64 microseconds since 2000-01-01 UTC: keep it a number, so a
    whole column becomes datetime64 in one vectorised step instead of 600 datetime objects."""

    format = Format.BINARY

    def load(self, data: Any) -> int:
        return _INT64.unpack(data)[0] + _PG_EPOCH_US


_INT64 = struct.Struct(">q")
_PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01T00:00:00Z in Unix microseconds
_TIMESTAMPTZ_OID, _NUMERIC_OID = 1184, 1700
_NAT = np.iinfo(np.int64).min  # numpy's NaT as an int64


def _frame(conn: Connection, sql: str, params: dict[str, Any]) -> pd.DataFrame:
    """Rows -> DataFrame, fast: binary rows straight from psycopg, timestamps as epoch numbers and
    NUMERIC as floats, converted per column (pandas' generic object inference costs ~5x more)."""
    statement = str(text(sql).compile(dialect=conn.dialect))
    raw: Any = conn.connection.driver_connection  # psycopg's own connection
    try:
        with raw.cursor(binary=True) as cur:
            cur.adapters.register_loader("timestamptz", _EpochMicros)
            cur.execute(statement, params)
            description = cur.description or []
            rows = cur.fetchall()
    except psycopg.Error as exc:  # straight from the driver: SQLAlchemy's conversion never sees it
        raise database_error(exc) from exc
    columns: dict[str, Any] = {}
    transposed = list(zip(*rows, strict=True)) if rows else [() for _ in description]
    for col, values in zip(description, transposed, strict=True):
        if col.type_code == _TIMESTAMPTZ_OID:
            micros = np.array([_NAT if v is None else v for v in values], dtype=np.int64).view("M8[us]")
            columns[col.name] = pd.DatetimeIndex(micros).tz_localize("UTC")
        elif col.type_code == _NUMERIC_OID:  # charts and arithmetic want floats, not Decimals
            columns[col.name] = np.array([nan if v is None else float(v) for v in values], dtype="float64")
        else:
            columns[col.name] = list(values)
    return pd.DataFrame(columns, columns=[c.name for c in description])


_COURSE_COLUMNS = """
    canvas_id AS course_id, name, course_code, workflow_state, concluded, term_id, term_name,
    term_start_at, term_end_at, start_at, end_at, apply_assignment_group_weights, hide_final_grades,
    has_grading_periods, restrict_quantitative_data, raw->>'grading_standard_id' IS NOT NULL AS letter_grades,
    grading_scheme, coalesce(raw->'points_based_grading_scheme' = 'true'::jsonb, false) AS points_based,
    CASE WHEN jsonb_typeof(raw->'scaling_factor') = 'number' THEN (raw->>'scaling_factor')::numeric END
        AS scaling_factor,
    current_score, final_score, current_grade, final_grade, synced_at"""


def courses(conn: Connection, *, user_id: int, include_concluded: bool = False) -> pd.DataFrame:
    """The student's courses: the current ones, or with `include_concluded` the archive too.

    Course facts come typed: `concluded`, the term (id, name, start, end), `restrict_quantitative_data`
    (letters only), `letter_grades` (the course has a grading scheme enabled, so Canvas sends letters),
    `grading_scheme` (Canvas's pairs as sent, a list of [name, fraction]; Canvas sends its default
    scheme for a course without one), `points_based` and `scaling_factor`."""
    return _frame(conn, f"""
        SELECT {_COURSE_COLUMNS}
          FROM canvas_courses_cache
         WHERE user_id = :u AND (:all OR NOT concluded)
         ORDER BY name, canvas_id
    """, {"u": user_id, "all": include_concluded})


def archive(conn: Connection, *, user_id: int) -> pd.DataFrame:
    """Every cached course, current and concluded, newest term first, with Canvas's final scores and
    letters and the student's GPA choices for it (`credits` default 1, 0 = left out; `in_gpa` default
    true): the transcript's rows."""
    return _frame(conn, f"""
        SELECT {_COURSE_COLUMNS},
               coalesce(p.credits, 1) AS credits, coalesce(p.in_gpa, true) AS in_gpa
          FROM canvas_courses_cache c
          LEFT JOIN course_prefs p ON p.user_id = c.user_id AND p.course_id = c.canvas_id
         WHERE c.user_id = :u
         ORDER BY c.concluded, c.term_start_at DESC NULLS FIRST, c.term_id DESC NULLS FIRST, c.name, c.canvas_id
    """, {"u": user_id})


def assignments(conn: Connection, *, user_id: int, include_concluded: bool = False) -> pd.DataFrame:
    """One row per cached assignment with its course name and the student's submission (only the
    columns the pages use: this read is on every page load, and each column costs). Assignments of
    concluded courses only with `include_concluded` (`concluded` says which)."""
    return _frame(conn, """
        SELECT a.canvas_id AS assignment_id, a.course_id, c.name AS course_name, c.course_code,
               a.group_id, a.name, a.due_at, a.points_possible, a.grading_type, a.submission_types,
               a.omit_from_final_grade, a.published, a.html_url, a.score, a.grade, a.score_hidden,
               a.submitted_at, a.graded_at, a.posted_at, a.workflow_state, a.late, a.missing, a.excused,
               coalesce(c.concluded, false) AS concluded
          FROM canvas_assignments_cache a
          LEFT JOIN canvas_courses_cache c ON c.user_id = a.user_id AND c.canvas_id = a.course_id
         WHERE a.user_id = :u AND (:all OR NOT coalesce(c.concluded, false))
         ORDER BY a.due_at NULLS LAST, c.name, a.position NULLS LAST, a.canvas_id
    """, {"u": user_id, "all": include_concluded})


def overview_assignments(conn: Connection, *, user_id: int, due_from: Any, graded_since: Any) -> pd.DataFrame:
    """The Overview's rows only: work due from `due_from` on, missing work, and grades posted after
    `graded_since` (the page filters these exactly); only the columns its status rules and tables use.
    Concluded courses are left out: their missing work is history, not a to-do."""
    return _frame(conn, """
        SELECT a.canvas_id AS assignment_id, a.course_id, c.name AS course_name, a.name, a.due_at,
               a.points_possible, a.html_url, a.score, a.grade, a.score_hidden, a.submitted_at, a.graded_at,
               a.posted_at, a.workflow_state, a.late, a.missing, a.excused
          FROM canvas_assignments_cache a
          LEFT JOIN canvas_courses_cache c ON c.user_id = a.user_id AND c.canvas_id = a.course_id
         WHERE a.user_id = :u AND NOT coalesce(c.concluded, false)
           AND (a.due_at >= :due_from OR a.missing OR coalesce(a.posted_at, a.graded_at) > :since)
         ORDER BY a.due_at NULLS LAST, c.name, a.position NULLS LAST, a.canvas_id
    """, {"u": user_id, "due_from": due_from, "since": graded_since})


def assignment_groups(conn: Connection, *, user_id: int) -> pd.DataFrame:
    return _frame(conn, """
        SELECT canvas_id AS group_id, course_id, name, position, group_weight, drop_lowest, drop_highest,
               never_drop, raw
          FROM canvas_assignment_groups_cache WHERE user_id = :u
         ORDER BY course_id, position NULLS LAST, canvas_id
    """, {"u": user_id})


def grade_inputs(conn: Connection, *, user_id: int, course_id: int) -> GradeInputsDoc:
    """One course's raw Canvas JSON (course, groups with their assignments) for the grade calculator.

    Current or concluded alike. The course carries grading_scheme, points_based_grading_scheme,
    scaling_factor, restrict_quantitative_data, hide_final_grades, concluded, workflow_state and
    term (start_at/end_at) as Canvas sent them; each assignment its score_statistics where Canvas
    showed them (absent otherwise)."""
    course = conn.execute(text("SELECT raw FROM canvas_courses_cache WHERE user_id = :u AND canvas_id = :c"),
                          {"u": user_id, "c": course_id}).scalar_one_or_none()
    groups = conn.execute(text("""
        SELECT g.raw || jsonb_build_object('assignments', coalesce(
                   (SELECT jsonb_agg(a.raw ORDER BY a.position NULLS LAST, a.canvas_id)
                      FROM canvas_assignments_cache a
                     WHERE a.user_id = g.user_id AND a.group_id = g.canvas_id), '[]'::jsonb)) AS raw
          FROM canvas_assignment_groups_cache g
         WHERE g.user_id = :u AND g.course_id = :c
         ORDER BY g.position NULLS LAST, g.canvas_id
    """), {"u": user_id, "c": course_id}).scalars().all()
    return {"course": course or {}, "groups": list(groups)}


def score_snapshots(conn: Connection, *, user_id: int, include_concluded: bool = False) -> pd.DataFrame:
    return _frame(conn, """
        SELECT s.course_id, c.name AS course_name, s.taken_at, s.current_score, s.final_score,
               s.current_grade, s.final_grade
          FROM course_score_snapshots s
          JOIN canvas_courses_cache c ON c.user_id = s.user_id AND c.canvas_id = s.course_id
         WHERE s.user_id = :u AND (:all OR NOT c.concluded)
         ORDER BY s.course_id, s.taken_at, s.id
    """, {"u": user_id, "all": include_concluded})


def sync_runs(conn: Connection, *, user_id: int, limit: int = 200) -> pd.DataFrame:
    df = _frame(conn, """
        SELECT id, trigger, kind, worker, started_at, finished_at, outcome, courses, assignments, requests,
               bytes, throttled, retries, rows_written, error_class, error_message,
               extract(epoch FROM finished_at - started_at) AS duration_s
          FROM sync_runs WHERE user_id = :u
         ORDER BY started_at DESC, id DESC
         LIMIT :n
    """, {"u": user_id, "n": limit})
    return df


def workers(conn: Connection, *, within_s: float = 30.0) -> pd.DataFrame:
    """`jobs.live_workers` as a frame: the same query, the same "alive" rule."""
    return _frame(conn, jobs.WORKERS_SQL, {"w": within_s})


def grades_refreshed_at(conn: Connection, *, user_id: int) -> GradesRefreshed:
    """When grades were last refreshed (a successful full or recent run), on the database's clock."""
    row = conn.execute(text("""
        SELECT (SELECT max(finished_at) FROM sync_runs
                 WHERE user_id = :u AND outcome = 'success') AS refreshed_at,
               now() AS db_now
    """), {"u": user_id}).mappings().one()
    return cast(GradesRefreshed, dict(row))


def running_run(conn: Connection, *, user_id: int) -> RunningRun | None:
    """The user's sync in progress (if any): when it started, which kind, who runs it."""
    row = conn.execute(text("""
        SELECT id, kind, trigger, worker, started_at, now() AS db_now FROM sync_runs
         WHERE user_id = :u AND outcome = 'running'
         ORDER BY started_at DESC LIMIT 1
    """), {"u": user_id}).mappings().first()
    return cast(RunningRun, dict(row)) if row else None
