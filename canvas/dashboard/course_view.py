"""What each page may show of a course: its term, letters only, hidden totals; and the term picker.

The course facts (term, concluded, scale, restrict_quantitative_data, hide_final_grades) come from the
cached raw course JSON (`canvas.grades_report.course_facts`). The frame helpers here are pure:

- `letters_only_work` / `letters_only_courses` / `without_courses` blank the numbers of letter-only
  courses (Canvas shows those students letters, never points or percentages) so tables, charts and
  exports built from the frames cannot leak them; assignment scores become the course scale's letter.
- `average_current` is the Overview's average over the courses that show a score, with the courses
  left out and why (hidden totals, letters only, no score yet): it never mixes in a recomputation.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from canvas.analysis.gpa import NO_TERM
from canvas.dashboard import data
from canvas.grades_report import CourseFacts, course_facts, term_order

ALL_TERMS = "All terms"
CURRENT = "Current term"


# -- loader -------------------------------------------------------------------------------------
@st.cache_data(ttl="24h", max_entries=data.CACHED_STUDENTS, show_spinner=False)
def _facts(user_id: int, version: int) -> list[CourseFacts]:
    from canvas.db import reads

    with data.engine().connect() as conn:
        rows = reads.archive(conn, user_id=user_id).to_dict("records")
    return [course_facts(r) for r in rows]


@data.guarded
def facts(user_id: int, version: int) -> list[CourseFacts]:
    """Every cached course's facts (active and archived), cached per data version."""
    return _facts(user_id, version)


# The pages' usual loaders read current courses only; a past term needs the archive's rows too.
@st.cache_data(ttl="24h", max_entries=3 * data.CACHED_STUDENTS, show_spinner=False)
def _all_rows(kind: str, user_id: int, version: int) -> pd.DataFrame:
    from canvas.db import reads

    read = {"courses": reads.courses, "assignments": reads.assignments, "snapshots": reads.score_snapshots}[kind]
    with data.engine().connect() as conn:
        return read(conn, user_id=user_id, include_concluded=True)


@data.guarded
def rows_for(kind: str, user_id: int, version: int, ids: set[int] | None,
             all_facts: list[CourseFacts]) -> pd.DataFrame:
    """`kind` rows ("courses" | "assignments" | "snapshots") of the chosen courses: the current-only
    loaders when every chosen course is current, the archive-including read otherwise."""
    if ids is not None and ids <= current_ids(all_facts):
        current = {"courses": data.courses, "assignments": data.assignments, "snapshots": data.snapshots}[kind]
        return in_term(current(user_id, version), ids)
    return in_term(_all_rows(kind, user_id, version), ids)


def by_id(all_facts: Iterable[CourseFacts]) -> dict[int, CourseFacts]:
    return {f.course_id: f for f in all_facts}


# -- terms --------------------------------------------------------------------------------------
def term_ids(all_facts: list[CourseFacts], term: str | None) -> set[int] | None:
    """Course ids in ``term``: "Current term" = every course not concluded, "All terms"/None = everything."""
    if term is None or term == ALL_TERMS:
        return None
    if term == CURRENT:
        return current_ids(all_facts)
    return {f.course_id for f in all_facts if (f.term or NO_TERM) == term}


def current_ids(all_facts: list[CourseFacts]) -> set[int]:
    """The courses still running (two concurrent terms, e.g. a "Default Term" beside "Fall", both count)."""
    return {f.course_id for f in all_facts if not f.concluded}


def term_options(all_facts: list[CourseFacts]) -> list[str]:
    """"Current term", each past or present term newest first, "All terms"; just "All terms" when the
    cache holds a single term and nothing concluded (nothing to pick between)."""
    terms = term_order(all_facts)
    if len(terms) < 2 and not any(f.concluded for f in all_facts):
        return [ALL_TERMS]
    return [CURRENT, *terms, ALL_TERMS] if current_ids(all_facts) else [*terms, ALL_TERMS]


def term_picker(all_facts: list[CourseFacts], key: str) -> set[int] | None:
    """A term selectbox defaulting to the current term; returns the chosen courses' ids (None = all).

    Shown only when there is something to pick (archived courses sit under their past terms)."""
    options = term_options(all_facts)
    if len(options) < 2:
        return None
    if st.session_state.get(key) not in options:
        st.session_state.pop(key, None)  # a term that left the cache
    chosen = st.selectbox("Term", options, index=0, key=key, help="Concluded courses stay under their past term")
    return term_ids(all_facts, chosen)


def in_term(df: pd.DataFrame, ids: set[int] | None, column: str = "course_id") -> pd.DataFrame:
    if ids is None or df.empty:
        return df
    return df[df[column].astype("int64").isin(ids)]


# -- letter-only courses ------------------------------------------------------------------------
def letter_only_ids(all_facts: Iterable[CourseFacts]) -> set[int]:
    return {f.course_id for f in all_facts if f.letter_only}


def letters_only_work(work: pd.DataFrame, all_facts: Iterable[CourseFacts]) -> pd.DataFrame:
    """Assignment rows with letter-only courses' points and percents replaced by the scale's letter."""
    facts_by_id = {f.course_id: f for f in all_facts if f.letter_only}
    if work.empty or not facts_by_id:
        return work
    mask = work["course_id"].astype("int64").isin(facts_by_id).to_numpy()
    if not mask.any():
        return work
    out = work.copy()
    letters = []
    for cid, score, points, grade in zip(out["course_id"], out["score"], out["points_possible"], out["grade"],
                                         strict=True):
        f = facts_by_id.get(int(cid))
        letters.append(_assignment_letter(f, score, points, grade) if f is not None else grade)
    out["grade"] = np.where(mask, pd.Series(letters, index=out.index, dtype="object"), out["grade"])
    for col in ("score", "points_possible", "percent"):
        if col in out.columns:
            out[col] = out[col].astype("float64").where(~mask, math.nan)
    return out


def _assignment_letter(f: CourseFacts, score: Any, points: Any, grade: Any) -> Any:
    """The letter Canvas shows a letter-only student for one assignment: its own letter grade when it
    has one, else its score as a percent of the points through the course scale."""
    if isinstance(grade, str) and grade.strip() and not _numeric(grade):
        return grade
    if _missing(score) or _missing(points) or not float(points):
        return None
    return f.scale.letter(Decimal(str(score)) / Decimal(str(points)) * 100)


def _numeric(text: str) -> bool:
    try:
        float(text.rstrip("%"))
    except ValueError:
        return False
    return True


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def letters_only_courses(courses: pd.DataFrame, all_facts: Iterable[CourseFacts]) -> pd.DataFrame:
    """Course rows with letter-only courses' scores blanked (their letters stay)."""
    ids = letter_only_ids(all_facts)
    if courses.empty or not ids:
        return courses
    mask = courses["course_id"].astype("int64").isin(ids)
    out = courses.copy()
    for col in ("current_score", "final_score"):
        out[col] = out[col].astype("float64").where(~mask, math.nan)
    return out


def without_courses(df: pd.DataFrame, ids: set[int], column: str = "course_id") -> pd.DataFrame:
    """Rows of other courses only (score history of letter-only courses is numbers the student never sees)."""
    if df.empty or not ids:
        return df
    return df[~df[column].astype("int64").isin(ids)]


# -- the Overview average -----------------------------------------------------------------------
def average_current(courses: pd.DataFrame, all_facts: Iterable[CourseFacts]) -> tuple[float | None, list[str]]:
    """Mean of Canvas's current score over courses that show one, and "Name (why)" for those left out."""
    info = by_id(all_facts)
    scores, left_out = [], []
    for row in courses.to_dict("records"):
        f = info.get(int(row["course_id"]))
        score = row.get("current_score")
        if f is not None and f.hidden_totals:
            left_out.append(f"{row['name']} (hides its total)")
        elif f is not None and f.letter_only:
            left_out.append(f"{row['name']} (letters only)")
        elif _missing(score):
            left_out.append(f"{row['name']} (no score yet)")
        else:
            scores.append(float(score))
    return (sum(scores) / len(scores) if scores else None), left_out


def letters_frame(courses: pd.DataFrame, all_facts: Iterable[CourseFacts]) -> pd.DataFrame:
    """Per course: Canvas's current score (blank when letter-only or hidden), its letter and which scale
    gave it ("Canvas" when Canvas sent the letter, else "Course scale" / "Canvas default scale")."""
    info = by_id(all_facts)
    rows = []
    for row in courses.to_dict("records"):
        f = info.get(int(row["course_id"]))
        if f is None:
            continue
        letter, source = f.letter_and_source
        score = None if f.letter_only or _missing(row.get("current_score")) else float(row["current_score"])
        rows.append({"name": row["name"], "score": score,
                     "letter": letter or ("hidden" if f.hidden_totals else "—"),
                     "scale": "Canvas" if source == "canvas" else f.scale.label})
    out = pd.DataFrame(rows, columns=["name", "score", "letter", "scale"])
    out["score"] = out["score"].astype("float64")  # a blank cell where there is no number to show
    return out
