"""The Transcript page: every course by term with its letter, credits and GPA; credits and scale editing.

The logic lives here (the page file only calls `render`): `course_table` and `changed_prefs` are pure
(tested directly), the loaders read through `canvas.db` (courses per data version, cached; the
student's prefs and GPA settings live, since saving them does not bump the data version), and saving
goes through `canvas.db.prefs`. Bad input (negative credits, a non-number, a custom table without F)
shows one sentence and saves nothing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pandas as pd
import streamlit as st

from canvas.analysis import gpa
from canvas.analysis.gpa import GpaInputError
from canvas.dashboard import course_view, data
from canvas.grades_report import CourseFacts, current_term, gpa_course, term_order

ALL_TERMS = "All terms"
TABLE_COLUMNS = ["course_id", "term", "name", "status", "letter", "scale", "credits", "in_gpa", "points", "note"]
SCALE_KEYS = list(gpa.SCALES)
# Points are text cells so whatever is typed reaches our validation (and its one-sentence message).
DEFAULT_CUSTOM = [{"letter": k, "points": f"{v:f}"} for k, v in gpa.US4.items()]


# -- pure ---------------------------------------------------------------------------------------
def course_table(facts: list[CourseFacts], prefs: Mapping[int, Mapping[str, Any]], result: gpa.GpaResult,
                 term: str | None) -> pd.DataFrame:
    """One row per course in ``term`` (or every term when None): what the GPA sees and why."""
    rows = []
    for f in facts:
        if term is not None and (f.term or gpa.NO_TERM) != term:
            continue
        c = gpa_course(f, prefs.get(f.course_id))
        letter, source = f.letter_and_source
        points = result.points.get(f.course_id)
        rows.append({
            "course_id": f.course_id, "term": f.term or gpa.NO_TERM, "name": f.name,
            "status": "archived" if f.concluded else "current letter",
            "letter": letter or "—",
            "scale": "Canvas's letter" if source == "canvas" else f.scale.label,
            "credits": f"{c.credits.normalize():f}", "in_gpa": c.in_gpa,
            "points": None if points is None else float(points),
            "note": result.left_out.get(f.course_id, ""),
        })
    df = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    # Read-only text: "2.30", or "—" where nothing counts (a number column would print "None").
    df["points"] = [fmt_points(v) for v in df["points"]]
    return df


def changed_prefs(before: pd.DataFrame, after: pd.DataFrame) -> list[tuple[int, Decimal, bool]]:
    """(course id, credits, in GPA) for each edited row; raises GpaInputError before any is returned."""
    old = {int(r["course_id"]): (str(r["credits"]), bool(r["in_gpa"])) for r in before.to_dict("records")}
    changes = []
    for r in after.to_dict("records"):
        cid = int(r["course_id"])
        credits_text, in_gpa = _text(r["credits"]), bool(r["in_gpa"])
        if old.get(cid) == (credits_text, in_gpa):
            continue
        try:
            credits = gpa.parse_credits(credits_text)
        except GpaInputError as exc:
            raise GpaInputError(f"{r['name']}: {exc}") from None
        changes.append((cid, credits, in_gpa))
    return changes


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def custom_rows(table: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    if not table:
        return list(DEFAULT_CUSTOM)
    return [{"letter": str(k), "points": f"{Decimal(str(v)).normalize():f}"} for k, v in table.items()]


def custom_table_from(edited: pd.DataFrame) -> dict[str, Decimal]:
    """The edited custom table, validated (empty rows ignored)."""
    rows = [(_text(r["letter"]), r["points"]) for r in edited.to_dict("records")
            if _text(r["letter"]) or _text(r["points"])]
    return gpa.parse_custom_table([[letter, _text(points)] for letter, points in rows])


# -- reads and writes -----------------------------------------------------------------------------
@data.guarded
def prefs_and_settings(user_id: int) -> tuple[dict[int, dict[str, Any]], dict[str, Any]]:
    from canvas.db import prefs as prefs_db
    from canvas.grades_report import _prefs_map

    with data.engine().connect() as conn:
        return (_prefs_map(prefs_db.get_course_prefs(conn, user_id)),
                dict(prefs_db.get_gpa_settings(conn, user_id) or {}))


@data.guarded
def save_prefs(user_id: int, changes: list[tuple[int, Decimal, bool]]) -> None:
    from canvas.db import prefs as prefs_db

    with data.engine().begin() as conn:  # all rows or none
        for cid, credits, in_gpa in changes:
            prefs_db.set_course_pref(conn, user_id, cid, credits=credits, in_gpa=in_gpa)


@data.guarded
def save_settings(user_id: int, scale: str, custom: Mapping[str, Decimal] | None) -> None:
    from canvas.db import prefs as prefs_db

    with data.engine().begin() as conn:
        prefs_db.set_gpa_settings(conn, user_id, scale,
                                  {k: float(v) for k, v in custom.items()} if custom is not None else None)


# -- the page -----------------------------------------------------------------------------------
GENERATION = "transcript_generation"


def editor_key(term: str) -> str:
    """The course table's key: per term, renewed after a save so no stale edits linger."""
    return f"transcript_editor_{term}_{st.session_state.get(GENERATION, 0)}"


def fmt_points(value: object) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{float(value):.2f}"  # type: ignore[arg-type]


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _gpa_text(value: Decimal | None, scale: str) -> str:
    if value is None:
        return "—"
    return f"{value:.2f}%" if scale == "percent" else f"{value:.2f}"


def render(user_id: int, version: int) -> None:
    all_facts = course_view.facts(user_id, version)
    if not all_facts:
        st.caption("No courses cached yet.")
        return
    prefs, settings = prefs_and_settings(user_id)
    scale = str(settings["scale"]) if settings.get("scale") in gpa.SCALES else "us4"
    custom = settings.get("custom_table") or None
    _feedback()
    try:
        result = gpa.compute([gpa_course(f, prefs.get(f.course_id)) for f in all_facts], scale, custom)
    except GpaInputError as exc:  # a stored custom table that no longer validates: fall back, say so
        st.warning(f"{exc} Using US 4.0 until the custom table is fixed.", icon="⚠️")
        scale, custom = "us4", None
        result = gpa.compute([gpa_course(f, prefs.get(f.course_id)) for f in all_facts], scale)

    terms = term_order(all_facts)
    now_term = current_term(all_facts)
    options = [*terms, ALL_TERMS]
    chosen = st.selectbox("Term", options, index=options.index(now_term) if now_term in options else 0,
                          key="transcript_term", help="Past terms hold your archived (concluded) courses")

    m1, m2, m3 = st.columns(3)
    term_value = result.terms.get(chosen) if chosen != ALL_TERMS else result.cumulative
    running = chosen == now_term and any(not f.concluded for f in all_facts if (f.term or gpa.NO_TERM) == chosen)
    m1.metric("This term, if current letters hold" if running else
              ("All terms" if chosen == ALL_TERMS else f"{chosen} GPA"), _gpa_text(term_value, scale), border=True,
              help="Active courses count with the letter they have now")
    m2.metric("Cumulative GPA", _gpa_text(result.cumulative, scale), border=True,
              help="Every course that counts, this term's current letters included")
    m3.metric("Completed terms", _gpa_text(result.completed, scale), border=True,
              help="Concluded courses only")
    st.caption(f"Scale: {gpa.label(scale)} · credits weight each course (0 leaves it out)")

    table = course_table(all_facts, prefs, result, None if chosen == ALL_TERMS else chosen)
    st.markdown("**Courses** · edit credits and “In GPA”, then save")
    edited = st.data_editor(
        table, key=editor_key(chosen), hide_index=True, width="stretch", num_rows="fixed",
        column_order=["name", *(["term"] if chosen == ALL_TERMS else []), "letter", "credits", "in_gpa", "points",
                      "note", "scale", "status"],
        disabled=["course_id", "term", "name", "status", "letter", "scale", "points", "note"],
        column_config={
            "name": st.column_config.TextColumn("Course", width="medium", pinned=True),
            "term": st.column_config.TextColumn("Term"),
            "status": st.column_config.TextColumn("Status"),
            "letter": st.column_config.TextColumn("Letter"),
            "scale": st.column_config.TextColumn("Letter from"),
            "credits": st.column_config.TextColumn("Credits ✏️", help="0 or more; 0 leaves the course out"),
            "in_gpa": st.column_config.CheckboxColumn("In GPA ✏️"),
            "points": st.column_config.TextColumn("Points" if scale != "percent" else "%"),
            "note": st.column_config.TextColumn("Not counted because"),
        })
    if st.button("Save credits", key="transcript_save", icon="💾"):
        try:
            changes = changed_prefs(table, edited)
        except GpaInputError as exc:
            st.error(f"{exc} Nothing was saved.", icon="🛑")
        else:
            if changes:
                save_prefs(user_id, changes)
                st.session_state[GENERATION] = st.session_state.get(GENERATION, 0) + 1  # a fresh, empty editor
                _flash(f"Saved {len(changes)} course{'s' if len(changes) != 1 else ''}.")
                st.rerun()
            st.info("Nothing changed.", icon="ℹ️")

    st.markdown("**GPA by term**")
    st.dataframe(pd.DataFrame([{"term": t, "gpa": _float(result.terms.get(t))} for t in terms]),
                 hide_index=True, width="stretch", key="transcript_terms",
                 column_config={"term": st.column_config.TextColumn("Term"),
                                "gpa": st.column_config.NumberColumn("GPA", format="%.2f")})
    _scale_form(user_id, scale, custom)


def _scale_form(user_id: int, scale: str, custom: Mapping[str, Any] | None) -> None:
    with st.expander("GPA scale", expanded=False):
        picked = st.radio("Scale", SCALE_KEYS, index=SCALE_KEYS.index(scale), format_func=gpa.label,
                          key="transcript_scale", horizontal=True)
        edited = None
        if picked == "custom":
            st.caption("Letter → grade points. The table needs an F row.")
            edited = st.data_editor(pd.DataFrame(custom_rows(custom), columns=["letter", "points"]),
                                    key="transcript_custom", hide_index=True, num_rows="dynamic", width="stretch",
                                    column_config={"letter": st.column_config.TextColumn("Letter"),
                                                   "points": st.column_config.TextColumn("Grade points")})
        if st.button("Save scale", key="transcript_save_scale", icon="💾"):
            try:
                # switching to a built-in scale keeps the saved custom table for later
                table = custom_table_from(edited) if edited is not None else (
                    {k: Decimal(str(v)) for k, v in custom.items()} if custom else None)
            except GpaInputError as exc:
                st.error(f"{exc} Nothing was saved.", icon="🛑")
                return
            save_settings(user_id, picked, table)
            _flash(f"GPA scale set to {gpa.label(picked)}.")
            st.rerun()


def _flash(message: str) -> None:
    st.session_state["transcript_flash"] = message


def _feedback() -> None:
    message = st.session_state.pop("transcript_flash", None)
    if message:
        st.success(message, icon="✅")
