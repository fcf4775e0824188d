"""The dashboard's data access: the engine (st.cache_resource) and cached loaders.

Loaders are keyed on (user id, data version): the sync engine bumps `users.data_version` in every
sync transaction that changed the cache, so a finished sync (by the worker or the app) is visible on
the next run, while repeated runs, and resyncs that found nothing new, cost one cached lookup. TTLs
are only an upper bound (the seed's React Query staleTimes: 24 h for courses/assignments, 6 h for
grades).

A database failure anywhere here shows one clear message and stops the run (no traceback).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, ParamSpec, TypeVar

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from canvas.analysis.whatif import TargetResult
from canvas.config import Settings, get_settings
from canvas.crypto import TokenCipher
from canvas.dashboard import whatif_data
from canvas.db import reads, repo
from canvas.db.engine import get_engine
from canvas.errors import DatabaseError, UsageError
from canvas.rows import GradeInputsDoc, GradesRefreshed, IdentityUserRow, RunningRun, SyncFacts, UserRow

log = logging.getLogger(__name__)

# How many students' data each cached loader keeps (least recently used out first; the TTL ends
# the rest). Sized for shared mode: a replica serves ~100 students at once (docs/benchmarks.md,
# "Dashboard under load") at ~2 MB each; with room for only 32, fifty students evicted each other
# and every page run read and recomputed everything again.
CACHED_STUDENTS = 200
CACHED_COURSES = CACHED_STUDENTS * 8  # per-course loaders: a student's courses each take an entry

P = ParamSpec("P")
R = TypeVar("R")

DB_DOWN = ("**The database is unreachable.** The dashboard reads everything from PostgreSQL, so there is "
           "nothing to show until it is back. Check `DATABASE_URL` (or the embedded database under "
           "`CANVAS_DATA_DIR`) and reload the page.")


def db_down(exc: BaseException) -> None:
    """Show the database message (with the error class, never a traceback) and stop this run."""
    name = exc.cause_class if isinstance(exc, DatabaseError) else type(exc).__name__  # the driver's class
    detail = (exc.detail if isinstance(exc, DatabaseError) else "") or str(exc).strip()
    detail = detail.splitlines()[0] if detail else name
    log.warning("database unavailable: %s", detail)
    st.error(DB_DOWN, icon=":material/database_off:")
    with st.expander("Details for the operator"):
        st.caption(f"{name}: {detail[:300]}")
    st.stop()


def guarded(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn database errors inside `fn` into the clear message (Streamlit stops the run)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except DatabaseError as exc:
            db_down(exc)
            raise  # unreachable: st.stop() raises

    return wrapper


# -- process-wide resources ------------------------------------------------------------------
def settings() -> Settings:
    return get_settings()


def _db_key(s: Settings) -> str:
    return s.database_url or f"embedded:{s.data_dir.expanduser().resolve()}"


@st.cache_resource(show_spinner="Connecting to the database…")
def _engine_for(key: str) -> Engine:
    return get_engine(get_settings())


def engine() -> Engine:
    """The engine (a thread-safe pool) for this process's settings; migrations applied on first use."""
    return _engine_for(_db_key(get_settings()))


@st.cache_resource(show_spinner=False)
def _cipher_for(key: str) -> TokenCipher:
    return TokenCipher.from_settings(get_settings())


def cipher() -> TokenCipher:
    return _cipher_for(_db_key(get_settings()))


# -- uncached one-row reads (status, version) ---------------------------------------------------
@guarded
def users() -> list[UserRow]:
    with engine().connect() as conn:
        return reads.dashboard_users(conn)


@guarded
def user_for_identity(issuer: str, subject: str) -> IdentityUserRow | None:
    """Shared mode: the signed-in identity's own row (read live, never cached: it is who is looking)."""
    with engine().connect() as conn:
        return reads.user_for_identity(conn, issuer=issuer, subject=subject)


def read_sync_facts(user_id: int) -> SyncFacts | None:
    """Unguarded: raises on a database error (the sidebar's status poll shows its own one-liner
    rather than stopping the page)."""
    with engine().connect() as conn:
        return repo.sync_facts(conn, user_id=user_id)


@guarded
def sync_facts(user_id: int) -> SyncFacts | None:
    return read_sync_facts(user_id)


def read_running_run(user_id: int) -> RunningRun | None:
    """Unguarded, like `read_sync_facts` (only the sidebar's status poll reads it)."""
    with engine().connect() as conn:
        return reads.running_run(conn, user_id=user_id)


@guarded
def grades_refreshed_at(user_id: int) -> GradesRefreshed:
    with engine().connect() as conn:
        return reads.grades_refreshed_at(conn, user_id=user_id)


# -- cached loaders: (user_id, version) is the key; the version only keys the cache ------------
@st.cache_data(ttl="24h", max_entries=CACHED_STUDENTS, show_spinner=False)
def _courses(user_id: int, version: int) -> pd.DataFrame:
    with engine().connect() as conn:
        return reads.courses(conn, user_id=user_id)


@st.cache_data(ttl="24h", max_entries=CACHED_STUDENTS, show_spinner=False)
def _assignments(user_id: int, version: int) -> pd.DataFrame:
    with engine().connect() as conn:
        return reads.assignments(conn, user_id=user_id)


def overview_window(now: datetime, since: datetime) -> tuple[datetime, datetime]:
    """Day-aligned read bounds for the Overview (the page filters exactly), so its cache key changes
    once a day rather than on every run: due from yesterday on, grades posted since the visit's day."""
    def day(ts: datetime) -> datetime:
        return ts.replace(hour=0, minute=0, second=0, microsecond=0)
    return day(now - timedelta(days=1)), day(since)


def overview_inputs_uncached(engine_: Engine, user_id: int, now: datetime, since: datetime) -> dict[str, Any]:
    """Everything the Overview reads on a cache miss, on one connection (the benchmark times this)."""
    due_from, graded_since = overview_window(now, since)
    with engine_.connect() as conn:
        return {"facts": repo.sync_facts(conn, user_id=user_id),
                "courses": reads.courses(conn, user_id=user_id),
                "work": reads.overview_assignments(conn, user_id=user_id, due_from=due_from,
                                                   graded_since=graded_since)}


@st.cache_data(ttl="24h", max_entries=CACHED_STUDENTS, show_spinner=False)
def _overview_work(user_id: int, version: int, due_from: datetime, graded_since: datetime) -> pd.DataFrame:
    with engine().connect() as conn:
        return reads.overview_assignments(conn, user_id=user_id, due_from=due_from, graded_since=graded_since)


@st.cache_data(ttl="6h", max_entries=CACHED_STUDENTS, show_spinner=False)
def _snapshots(user_id: int, version: int) -> pd.DataFrame:
    with engine().connect() as conn:
        return reads.score_snapshots(conn, user_id=user_id)


@st.cache_data(ttl="6h", max_entries=CACHED_COURSES, show_spinner=False)
def _grade_inputs(user_id: int, version: int, course_id: int) -> GradeInputsDoc:
    with engine().connect() as conn:
        return reads.grade_inputs(conn, user_id=user_id, course_id=course_id)


@st.cache_data(ttl="6h", max_entries=CACHED_COURSES, show_spinner=False)
def _course_grades(user_id: int, version: int, course_id: int) -> whatif_data.CourseGrades | None:
    raw = _grade_inputs(user_id, version, course_id)
    try:
        return whatif_data.course_grades(raw)
    except (UsageError, ArithmeticError, ValueError) as exc:
        # The calculator is strict: a cache it refuses means "no recomputation", which the Grades page
        # says in one sentence (whatif_data.NOT_RECOMPUTED). There is no second, simpler calculator.
        log.warning("grade calculator refused course %s: %s", course_id, exc)
        return None


@st.cache_data(ttl="6h", max_entries=CACHED_COURSES, show_spinner=False)
def _target_answer(user_id: int, version: int, course_id: int, target: str,
                   scores: tuple[tuple[str, str], ...]) -> TargetResult | None:
    cg = _course_grades(user_id, version, course_id)
    if cg is None:
        return None
    return whatif_data.solve(cg.inputs, Decimal(target), {k: Decimal(v) for k, v in scores})


@guarded
def courses(user_id: int, version: int) -> pd.DataFrame:
    return _courses(user_id, version)


@guarded
def assignments(user_id: int, version: int) -> pd.DataFrame:
    return _assignments(user_id, version)


@guarded
def overview_work(user_id: int, version: int, now: datetime, since: datetime) -> pd.DataFrame:
    """The Overview's assignment rows: work due from yesterday on, missing work, recent grades."""
    return _overview_work(user_id, version, *overview_window(now, since))


@guarded
def snapshots(user_id: int, version: int) -> pd.DataFrame:
    return _snapshots(user_id, version)


@guarded
def grade_inputs(user_id: int, version: int, course_id: int) -> GradeInputsDoc:
    """One course's raw Canvas JSON (cached per data version): the stakes and the letter-only check."""
    return _grade_inputs(user_id, version, course_id)


@guarded
def course_grades(user_id: int, version: int, course_id: int) -> whatif_data.CourseGrades | None:
    """One course recomputed by the Canvas-exact calculator (None when it refuses the cached data)."""
    return _course_grades(user_id, version, course_id)


@guarded
def target_answer(user_id: int, version: int, course_id: int, target: Decimal,
                  scores: Mapping[str, Decimal]) -> TargetResult | None:
    """The target solver for one course (~15 grade calculations): cached per target and what-if scores,
    so the Grades page's other interactions don't pay for it again."""
    return _target_answer(user_id, version, course_id, str(target),
                          tuple(sorted((k, str(v)) for k, v in scores.items())))


# Sync history and workers change without a data-version bump (failed runs, heartbeats): read live.
@guarded
def sync_runs(user_id: int) -> pd.DataFrame:
    with engine().connect() as conn:
        return reads.sync_runs(conn, user_id=user_id)


@guarded
def workers() -> pd.DataFrame:
    with engine().connect() as conn:
        return reads.workers(conn)

