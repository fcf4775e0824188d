"""What to do next, on the Overview and Assignments pages: ranked list, "At stake" column, weekly load.

The numbers are cached per (user, data version, course), like the grade recomputation they build on:
a course's stakes cost two grade calculations per open assignment, once per sync that changed it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from canvas.analysis.stakes import letter_only
from canvas.dashboard import charts, data, fmt, stakes_data
from canvas.errors import UsageError

log = logging.getLogger(__name__)

HELP = ("How many points of the course's final grade this assignment can move: the final grade with it at "
        "full marks minus the final grade with it at zero, with the course's weights and drop rules. "
        "Letter-only courses show High (5+ points), Medium (1-5) or Low.")


@st.cache_data(ttl="6h", max_entries=data.CACHED_COURSES, show_spinner=False)
def _course_stakes(user_id: int, version: int, course_id: int) -> stakes_data.CourseStakes | None:
    raw = data.grade_inputs(user_id, version, course_id)
    try:
        return stakes_data.course_stakes(raw)
    except UsageError as exc:  # the calculator is strict; a cache it refuses means "no numbers", not a crash
        log.warning("grade calculator refused course %s for stakes: %s", course_id, exc)
        return None


@data.guarded
def with_stakes(work: pd.DataFrame, user_id: int, version: int) -> pd.DataFrame:
    """`work` plus at_stake / stake_level / stake_rank for every open assignment."""
    if work.empty:
        return work.assign(at_stake=pd.Series(dtype="float64"), stake_level=pd.Series(dtype=object),
                           stake_rank=pd.Series(dtype="float64"))
    by_course = {}
    for cid in sorted({int(c) for c in work["course_id"].dropna().tolist()}):
        found = _course_stakes(user_id, version, cid)
        if found is not None:
            by_course[cid] = found
    return stakes_data.attach(work, by_course)


@data.guarded
def letter_only_courses(user_id: int, version: int, course_ids: set[int]) -> set[int]:
    """Which of these courses show the student letters only (no numbers anywhere)."""
    return {cid for cid in course_ids
            if letter_only(data.grade_inputs(user_id, version, cid).get("course") or {})}


def next_up_list(work: pd.DataFrame, now: datetime, key: str = "what_next") -> None:
    """The Overview's short ranked list (top 5)."""
    st.subheader("What to do next", help=HELP)
    top = stakes_data.next_up(work, now)
    if top.empty:
        st.caption("Nothing open is due in the next two weeks, and nothing is missing.")
        return
    st.caption("Due in the next two weeks or missing, most points of your final grade first")
    shown = top.assign(stake=[stakes_data.stake_text(r) for r in top.to_dict("records")],
                       when=top["due_at"].map(lambda d: fmt.relative(d, now) if d is not None and d == d else ""),
                       state=top["status_label"])
    st.dataframe(
        shown[["stake", "name", "course_name", "when", "state", "link"]],
        hide_index=True, width="stretch", key=key,
        column_config={
            "stake": st.column_config.TextColumn("At stake", width=70, help=HELP),
            "name": st.column_config.TextColumn("Assignment", width=160),
            "course_name": st.column_config.TextColumn("Course", width=110),
            "when": st.column_config.TextColumn("Due", width=75),
            "state": st.column_config.TextColumn("Status", width=95),
            "link": st.column_config.LinkColumn("Canvas", display_text="Open ↗", width=65),
        })


def load_chart(work: pd.DataFrame, now: datetime, tz: ZoneInfo, key: str = "stakes_per_week") -> None:
    """Points at stake per week across courses."""
    weeks = 8
    load = stakes_data.weekly_load(work, now, tz, weeks=weeks)
    st.plotly_chart(charts.stakes_per_week(load, stakes_data.week_start(now, tz), weeks), width="stretch", key=key)
    if not work.empty and (work["stake_level"].notna() & work["at_stake"].isna()).any():
        st.caption("Letter-only courses are left out of the chart: they show no numbers.")


def column_config() -> dict[str, object]:
    """The Assignments table's "At stake" columns (sortable number, and the level for letter-only courses)."""
    return {
        "at_stake": st.column_config.NumberColumn("At stake", format="%.1f pts", width=80, help=HELP),
        "stake_level": st.column_config.TextColumn("Impact", width=75,
                                                   help="High (5+ points of the final grade), Medium (1-5) or "
                                                        "Low; the only measure shown in letter-only courses"),
    }
