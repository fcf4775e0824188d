"""What to do next: the points at stake per open assignment, joined onto the pages' assignment rows.

Pure (no Streamlit, no I/O). One course at a time, from the cached raw JSON `reads.grade_inputs()`
returns; the numbers themselves come from `canvas.analysis.stakes` (the grade engine, run with each
open assignment at full marks and at zero).

Letter-only courses (Canvas's ``restrict_quantitative_data``) still rank, by the same numbers, but
the pages show only a level (High / Medium / Low): `at_stake` is NaN for them and `stake_level`
carries the level; `stake_rank` (never shown) holds the number for ordering.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from canvas.analysis.gradecalc_io import from_canvas
from canvas.analysis.stakes import letter_only, level, stakes
from canvas.analysis.whatif import remaining_ids

STAKE_COLUMNS = ("at_stake", "stake_level", "stake_rank")
LOAD_COLUMNS = ["week", "course_name", "points", "count"]


@dataclass(frozen=True)
class CourseStakes:
    """One course: points of the final percentage per open assignment id (as int ids, like the pages)."""

    letter_only: bool = False
    points: dict[int, float] = field(default_factory=dict)


def open_ids(raw: Mapping[str, Any]) -> list[str]:
    """Assignments whose grade is still open: no visible grade yet, or flagged missing; never excused."""
    inputs = from_canvas(list(raw.get("groups") or []), dict(raw.get("course") or {}))
    wanted = set(remaining_ids(inputs))
    excused: set[str] = set()
    for g in raw.get("groups") or []:
        for a in g.get("assignments") or []:
            sub = a.get("submission") or {}
            if sub.get("excused"):
                excused.add(str(a.get("id")))
            elif sub.get("missing"):
                wanted.add(str(a.get("id")))
    known = {a.id for a in inputs.assignments}
    return sorted((wanted & known) - excused)


def course_stakes(raw: Mapping[str, Any]) -> CourseStakes:
    """Every open assignment's stake in one course (raises `UsageError` on a cache the engine refuses)."""
    inputs = from_canvas(list(raw.get("groups") or []), dict(raw.get("course") or {}))
    found = stakes(inputs, open_ids(raw))
    return CourseStakes(letter_only(dict(raw.get("course") or {})),
                        {int(aid): float(points) for aid, points in found.items() if aid.isdigit()})


def attach(work: pd.DataFrame, by_course: Mapping[int, CourseStakes]) -> pd.DataFrame:
    """`work` (rows with course_id and assignment_id) plus the STAKE_COLUMNS; closed work gets NaN/None."""
    ranks: list[float] = []
    shown: list[float] = []
    levels: list[str | None] = []
    named = {p: level(p) for p in {p for c in by_course.values() for p in c.points.values()}}  # few distinct values
    for cid, aid in zip(work["course_id"].tolist(), work["assignment_id"].tolist(), strict=True):
        course = by_course.get(int(cid)) if cid is not None and cid == cid else None
        points = course.points.get(int(aid)) if course is not None else None
        ranks.append(math.nan if points is None else points)
        shown.append(math.nan if points is None or (course is not None and course.letter_only) else points)
        levels.append(None if points is None else named[points])
    return work.assign(at_stake=pd.Series(shown, index=work.index, dtype="float64"),
                       stake_level=pd.Series(levels, index=work.index, dtype=object),
                       stake_rank=pd.Series(ranks, index=work.index, dtype="float64"))


def stake_text(row: Mapping[str, Any]) -> str:
    """'12.5 pts' or, in a letter-only course, just the level; '—' when nothing is open."""
    value = row.get("at_stake")
    if value is not None and value == value:
        return f"{value:.1f} pts"
    return str(row.get("stake_level") or "—")


def next_up(work: pd.DataFrame, now: datetime, *, days: int = 14, limit: int = 5) -> pd.DataFrame:
    """The work to do, most at stake first: unsubmitted work due in the next `days` days and missing
    work not yet turned in, ordered by points at stake (then the sooner due date)."""
    if work.empty or "stake_rank" not in work.columns:
        return work.head(0)
    due = work["due_at"]
    todo = work["unsubmitted"].astype(bool)
    soon = due.notna() & (due >= now) & (due <= now + timedelta(days=days))
    missing = work["missing"].astype(bool) & ~work["excused"].astype(bool)
    picked = work[todo & (soon | missing) & work["stake_rank"].notna()]
    return picked.sort_values(["stake_rank", "due_at"], ascending=[False, True], na_position="last",
                              kind="stable").head(limit)


def weekly_load(work: pd.DataFrame, now: datetime, tz: ZoneInfo, *, weeks: int = 8) -> pd.DataFrame:
    """Points at stake per local week (Monday start) and course, for unsubmitted work due in the next
    `weeks` weeks. Letter-only courses are left out: their numbers are not shown."""
    if work.empty or "at_stake" not in work.columns:
        return pd.DataFrame(columns=LOAD_COLUMNS)
    start = week_start(now, tz)
    due = work["due_at"]
    mask = (work["unsubmitted"].astype(bool) & due.notna() & (due >= now)
            & (due < start + pd.Timedelta(weeks=weeks)) & work["at_stake"].notna())
    if not mask.any():
        return pd.DataFrame(columns=LOAD_COLUMNS)
    # Week numbers as integers, summed in a dict: a pandas groupby on timestamps cost ~15 ms a run.
    first = start.tz_localize(None)
    local = pd.to_datetime(due[mask], utc=True).dt.tz_convert(tz).dt.tz_localize(None)
    index = ((local - first) // pd.Timedelta(days=7)).tolist()
    cells: dict[tuple[int, str], list[float]] = {}
    for w, course, points in zip(index, work.loc[mask, "course_name"].tolist(), work.loc[mask, "at_stake"].tolist(),
                                 strict=True):
        cell = cells.setdefault((int(w), str(course)), [0.0, 0])
        cell[0] += points
        cell[1] += 1
    rows = [{"week": first + pd.Timedelta(weeks=w), "course_name": c, "points": p, "count": int(n)}
            for (w, c), (p, n) in sorted(cells.items())]
    return pd.DataFrame(rows, columns=LOAD_COLUMNS)


def week_start(now: datetime, tz: ZoneInfo) -> pd.Timestamp:
    """The local Monday 00:00 of `now`'s week (tz-aware)."""
    local = pd.Timestamp(now).tz_convert(tz)
    return (local - pd.Timedelta(days=local.weekday())).normalize()
