"""Grades page widgets: Canvas vs our recomputation, what-if scores, the target solver.

What-if scores live only in this browser tab's `st.session_state` (the data editor's own state);
nothing is written to the database or to Canvas. Canvas strings reach the screen only as dataframe
cells; the Markdown here holds our own sentences and numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from canvas.analysis.letters import DEFAULT_SCHEME, letter_for
from canvas.analysis.whatif import TargetResult
from canvas.dashboard import fmt, whatif_data
from canvas.dashboard.whatif_data import CourseGrades

EDITOR_PREFIX = "whatif_editor"
SCHEME_NOTE = ("Projected letters use Canvas's default grading scheme ("
               + ", ".join(f"{name} ≥ {(cutoff * 100).normalize():f}" for name, cutoff in DEFAULT_SCHEME if cutoff > 0)
               + "), because Canvas doesn't send a course's own scheme to students. The letter at the top is "
                 "Canvas's own when it sends one.")


def _pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:.2f}%"


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def editor_key(course_id: int) -> str:
    """The data editor's key for a course; Clear bumps the generation so the editor starts empty."""
    generation = st.session_state.get("whatif_generation", {}).get(int(course_id), 0)
    return f"{EDITOR_PREFIX}_{int(course_id)}_{generation}"


def clear_whatif(course_id: int) -> None:
    """Button callback: forget this course's what-if scores (session state only)."""
    old = editor_key(course_id)
    generations = dict(st.session_state.get("whatif_generation", {}))
    generations[int(course_id)] = generations.get(int(course_id), 0) + 1
    st.session_state["whatif_generation"] = generations
    st.session_state.pop(old, None)


def comparison(row: pd.Series, cg: CourseGrades | None, hidden: int, graded: int) -> None:
    """Canvas's scores as the headline, our recomputation beside them, and why they differ."""
    ours = cg.result if cg else None
    canvas_letter = row["current_grade"] if isinstance(row["current_grade"], str) and row["current_grade"] else None
    m1, m2, m3, m4, m5 = st.columns(5)
    m1.metric("Canvas current", fmt.pct(row["current_score"], 2), border=True,
              help="Canvas's own number: graded work only")
    m2.metric("Canvas final", fmt.pct(row["final_score"], 2), border=True,
              help="Canvas's own number: ungraded work counts as zero")
    if canvas_letter:
        m3.metric("Canvas grade", canvas_letter, border=True, help="The letter Canvas shows")
    else:
        m3.metric("Grade", (letter_for(ours.current_percent) if ours else None) or "—", border=True,
                  help="Canvas sends no letter for this course: Canvas's default scheme applied to the "
                       "recomputed current score")
    m4.metric("Recomputed current", fmt.pct(_float(ours.current_percent) if ours else None, 2), border=True,
              help="Our Canvas-exact recomputation from the synced assignments (weights, drop rules, "
                   "excused and unposted grades)")
    m5.metric("Recomputed final", fmt.pct(_float(ours.final_percent) if ours else None, 2), border=True,
              help="Our recomputation with ungraded work counted as zero")
    if ours is None:
        st.warning(whatif_data.NOT_RECOMPUTED, icon=":material/warning:")
        return
    # Only a number Canvas shows can differ from ours (a course hiding its totals shows none).
    canvas_shows = any(pd.notna(row[k]) for k in ("current_score", "final_score"))
    reasons = whatif_data.explanation(row.to_dict(), ours, hidden) if canvas_shows else []
    if not canvas_shows:
        st.caption("Canvas shows no course score here, so the numbers above are our recomputation only.")
        return
    if reasons:
        st.info("**Why Canvas shows something else:**\n" + "\n".join(f"- {r[:1].upper()}{r[1:]}." for r in reasons),
                icon=":material/search:")
        return
    note = f"✓ Our recomputation matches Canvas to the hundredth · {graded} graded assignments"
    if hidden:
        note += (f" · {hidden} grade{' is' if hidden == 1 else 's are'} not posted yet, so neither Canvas "
                 f"nor we count {'it' if hidden == 1 else 'them'}")
    st.caption(note)


Solver = Callable[[Decimal, Mapping[str, Decimal]], TargetResult | None]


def whatif_and_target(course_id: int, cg: CourseGrades | None, tz: ZoneInfo, solve: Solver) -> None:
    """What-if table + projection, then the target solver with best/worst finals.

    `solve(target, what-if scores)` answers the target question (the page passes a cached one)."""
    st.subheader("What-if and target grade")
    if cg is None:
        st.caption("No recomputation for this course, so no projections.")
        return
    remaining = cg.remaining
    if remaining.empty:
        st.caption("Every assignment in this course has a grade: there is nothing left to project.")
        return

    left, right = st.columns([3, 2], gap="large")
    with left:
        st.caption("Type a hypothetical score (in points) for work that has no grade yet. Nothing is sent to "
                   "Canvas or saved: the scores live in this browser tab only.")
        table = remaining.assign(due_local=remaining["due_at"].dt.tz_convert(tz))
        edited = st.data_editor(
            table, key=editor_key(course_id), hide_index=True, width="stretch",
            height=min(320, 40 + 35 * len(table)), num_rows="fixed", placeholder="·",
            column_order=["name", "whatif", "points_possible", "due_local", "state", "group"],
            disabled=["assignment_id", "name", "group", "due_at", "due_local", "state", "points_possible"],
            column_config={
                "name": st.column_config.TextColumn("Assignment", width="medium"),
                "group": st.column_config.TextColumn("Group", width=130),
                "due_local": st.column_config.DatetimeColumn("Due", format="MMM D, h:mm A"),
                "state": st.column_config.TextColumn("Status", width=120),
                "points_possible": st.column_config.NumberColumn("Out of", format="%g"),
                "whatif": st.column_config.NumberColumn("What-if", min_value=0.0, max_value=10_000.0,
                                                        step=0.5, format="%g",
                                                        help="The points you expect to get"),
            })
        scores = whatif_data.hypothetical(edited)
        st.button("Clear what-if scores", key=f"whatif_clear_{course_id}", icon=":material/backspace:",
                  on_click=clear_whatif,
                  args=(int(course_id),), disabled=not scores)
    with right:
        projection = whatif_data.project(cg.inputs, scores)
        base = cg.result
        label = "With your what-if scores" if scores else "Projection (enter what-if scores to change it)"
        st.markdown(f"**{label}**")
        p1, p2 = st.columns(2)
        p1.metric("Projected current", _pct(projection.current), border=True,
                  delta=_delta(projection.current, base.current_percent),
                  help="Graded work plus your what-if scores")
        p2.metric("Projected final", _pct(projection.final), border=True,
                  delta=_delta(projection.final, base.final_percent),
                  help="Work still without a score counts as zero, as in Canvas's final score")
        p3, p4 = st.columns(2)
        p3.metric("Letter (current)", projection.current_letter or "—", border=True)
        p4.metric("Letter (final)", projection.final_letter or "—", border=True)
        if scores:
            st.caption(f"{len(scores)} what-if score{'s' if len(scores) != 1 else ''} entered.")

    _target(scores, solve)
    st.caption(SCHEME_NOTE)


def _delta(value: Decimal | None, base: Decimal | None) -> str | None:
    if value is None or base is None or value == base:
        return None
    return f"{value - base:+.2f} pts"


def _target(scores: dict[str, Decimal], solve: Solver) -> None:
    st.markdown("**Target solver**")
    c1, c2, c3 = st.columns([1, 1, 3], vertical_alignment="bottom")
    with c1:
        kind = st.radio("Target as", ["Letter", "Percent"], key="target_kind", horizontal=True)
    with c2:
        if kind == "Letter":
            letter = st.selectbox("Finish with at least", whatif_data.TARGET_LETTERS, key="target_letter",
                                  index=whatif_data.TARGET_LETTERS.index("B"))
            target = whatif_data.target_percent("letter", letter=letter)
            label = f"a {letter} ({target:g}%)"
        else:
            percent = st.number_input("Finish with at least (%)", min_value=0.0, max_value=200.0, value=90.0,
                                      step=0.5, key="target_value")
            target = whatif_data.target_percent("percent", percent=percent)
            label = f"{target:g}%"
    answer = solve(target, scores)
    if answer is None:
        return
    with c3:
        sentence = whatif_data.describe_target(answer, label)
        if answer.status == "impossible":
            st.warning(sentence, icon=":material/target:")
        else:
            st.success(sentence, icon=":material/target:")
    b1, b2, b3 = st.columns(3)
    b1.metric("Best possible final", _pct(answer.best_final), border=True,
              help="Every remaining assignment at 100%")
    b2.metric("Worst possible final", _pct(answer.worst_final), border=True,
              help="Every remaining assignment at 0%")
    b3.metric("Still to be graded", len(answer.remaining_ids), border=True,
              help="Assignments that count and have no grade you can see")
    if scores:
        st.caption("Your what-if scores count as given; the solver works on the rest.")

