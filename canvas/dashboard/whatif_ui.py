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

from canvas.analysis.letters import GradingScale, letter_with_source, plain_percent
from canvas.analysis.whatif import TargetResult
from canvas.dashboard import fmt, whatif_data
from canvas.dashboard.whatif_data import CourseGrades

EDITOR_PREFIX = "whatif_editor"
UNOFFICIAL_PREFIX = "unofficial_totals"


def scheme_note(scale: GradingScale, letters_only: bool = False) -> str:
    """Which scale the letters on the page came from, with its bands (names only in a letter-only course:
    the cutoffs are numbers its students do not see)."""
    if letters_only:
        return f"Letters use the **{scale.label}** ({', '.join(scale.names)})."
    bands = ", ".join(f"{name} ≥ {_cutoff(scale, cutoff)}" for name, cutoff in scale.bands if cutoff > 0)
    if scale.source == "course_scheme":
        return f"Letters use the **{scale.label}** Canvas sends for this course ({bands})."
    return (f"Letters use the **{scale.label}** ({bands}): Canvas sent no scale of its own for this course. "
            "The letter at the top is Canvas's own when it sends one.")


def _cutoff(scale: GradingScale, cutoff: Decimal) -> str:
    if scale.points_based:
        return f"{(cutoff * scale.scaling_factor).normalize():f} pts"
    return plain_percent(cutoff * 100)


def show_unofficial(course_id: int, hidden_totals: bool) -> bool:
    """Courses that hide their totals: our recomputation appears only when the student asks for it."""
    if not hidden_totals:
        return True
    return bool(st.toggle("Show an unofficial recomputation", key=f"{UNOFFICIAL_PREFIX}_{int(course_id)}",
                          help="This course hides its total from students. Our recomputation from the "
                               "visible grades is unofficial: the instructor may weigh things Canvas hides."))


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


def comparison(row: pd.Series, cg: CourseGrades | None, hidden: int, graded: int) -> bool:
    """Canvas's scores as the headline, our recomputation beside them, and why they differ.

    Returns whether the recomputation may be shown (False for a course hiding its totals until the
    student opts in). Letter-only courses show letters, never numbers."""
    ours = cg.result if cg else None
    scale = cg.scale if cg else GradingScale()
    letter_only = bool(cg and cg.letter_only)
    hidden_totals = _flag(row.get("hide_final_grades"))
    canvas_letter, source = letter_with_source(row.get("current_grade"), None, scale)
    if hidden_totals:
        st.info("This course hides its total from students: Canvas sends no course score or letter.", icon="🙈")
    if not show_unofficial(int(row["course_id"]), hidden_totals):
        m1, m2, _ = st.columns(3)
        m1.metric("Canvas current", "—", border=True, help="Canvas hides this course's total")
        m2.metric("Canvas final", "—", border=True, help="Canvas hides this course's total")
        return False
    unofficial = "Unofficial " if hidden_totals else ""
    if letter_only:
        m1, m2, m3 = st.columns(3)
        m1.metric("Canvas grade", canvas_letter or "—", border=True, help="The letter Canvas shows")
        m2.metric(f"{unofficial}Recomputed (current)", scale.letter(ours.current_percent) if ours else "—",
                  border=True, help=f"Our recomputation, as a letter on the {scale.label}")
        m3.metric(f"{unofficial}Recomputed (final)", scale.letter(ours.final_percent) if ours else "—", border=True,
                  help="Ungraded work counted as zero")
        st.caption(f"This course shows letters only, so the dashboard does too · {scale.label}")
    else:
        m1, m2, m3, m4, m5 = st.columns(5)
        m1.metric("Canvas current", fmt.pct(row["current_score"], 2), border=True,
                  help="Canvas's own number: graded work only")
        m2.metric("Canvas final", fmt.pct(row["final_score"], 2), border=True,
                  help="Canvas's own number: ungraded work counts as zero")
        if source == "canvas":
            m3.metric("Canvas grade", canvas_letter, border=True, help="The letter Canvas shows")
        else:
            ours_letter = scale.letter(ours.current_percent) if ours else None
            m3.metric(f"{unofficial}Grade ({scale.label})", ours_letter or "—", border=True,
                      help=f"Canvas sends no letter for this course: the {scale.label} applied to "
                           "the recomputed current score")
        m4.metric(f"{unofficial}Recomputed current", fmt.pct(_float(ours.current_percent) if ours else None, 2),
                  border=True, help="Our Canvas-exact recomputation from the synced assignments (weights, drop "
                                    "rules, excused and unposted grades)")
        m5.metric(f"{unofficial}Recomputed final", fmt.pct(_float(ours.final_percent) if ours else None, 2),
                  border=True, help="Our recomputation with ungraded work counted as zero")
    if ours is None:
        st.warning(whatif_data.NOT_RECOMPUTED, icon=":material/warning:")
        return True
    if hidden_totals:
        st.caption("Unofficial: Canvas hides this course's total, so there is nothing official to compare with.")
        return True
    reasons = [] if letter_only else whatif_data.explanation(row.to_dict(), ours, hidden)
    if reasons:
        st.info("**Why Canvas shows something else:**\n" + "\n".join(f"- {r[:1].upper()}{r[1:]}." for r in reasons),
                icon=":material/search:")
        return True
    note = (f"✓ Our recomputation matches Canvas to the hundredth · {graded} graded assignments" if not letter_only
            else f"{graded} graded assignments")
    if hidden:
        note += (f" · {hidden} grade{' is' if hidden == 1 else 's are'} not posted yet, so neither Canvas "
                 f"nor we count {'it' if hidden == 1 else 'them'}")
    st.caption(note)
    return True


def _flag(value: object) -> bool:
    return bool(value) and value == value  # NaN (a missing column value) is not a flag


Solver = Callable[[Decimal, Mapping[str, Decimal]], TargetResult | None]


def whatif_and_target(course_id: int, cg: CourseGrades | None, tz: ZoneInfo, solve: Solver) -> None:
    """What-if table + projection, then the target solver with best/worst finals.

    `solve(target, what-if scores)` answers the target question (the page passes a cached one).
    Letters come from the course's own scale; a letter-only course takes and shows letters only."""
    st.subheader("What-if and target grade")
    if cg is None:
        st.caption("No recomputation for this course, so no projections.")
        return
    remaining = cg.remaining
    if remaining.empty:
        st.caption("Every assignment in this course has a grade: there is nothing left to project.")
        return
    scale, letters = cg.scale, cg.letter_only

    left, right = st.columns([3, 2], gap="large")
    with left:
        st.caption(("Pick a hypothetical letter" if letters else "Type a hypothetical score (in points)")
                   + " for work that has no grade yet. Nothing is sent to Canvas or saved: the "
                     "scores live in this browser tab only.")
        table = remaining.assign(due_local=remaining["due_at"].dt.tz_convert(tz))
        if letters:
            table = table.assign(whatif=pd.Series([None] * len(table), dtype="object"))
            whatif_col = st.column_config.SelectboxColumn("What-if ✏️", options=scale.names,
                                                         help="The letter you expect to get")
            order = ["name", "whatif", "due_local", "state", "group"]
        else:
            whatif_col = st.column_config.NumberColumn("What-if ✏️", min_value=0.0, max_value=10_000.0, step=0.5,
                                                       format="%g", help="The points you expect to get")
            order = ["name", "whatif", "points_possible", "due_local", "state", "group"]
        edited = st.data_editor(
            table, key=editor_key(course_id), hide_index=True, width="stretch",
            height=min(320, 40 + 35 * len(table)), num_rows="fixed", placeholder="·",
            column_order=order,
            disabled=["assignment_id", "name", "group", "due_at", "due_local", "state", "points_possible"],
            column_config={
                "name": st.column_config.TextColumn("Assignment", width="medium"),
                "group": st.column_config.TextColumn("Group", width=130),
                "due_local": st.column_config.DatetimeColumn("Due", format="MMM D, h:mm A"),
                "state": st.column_config.TextColumn("Status", width=120),
                "points_possible": st.column_config.NumberColumn("Out of", format="%g"),
                "whatif": whatif_col,
            })
        if letters:
            chosen = {str(a): v for a, v in zip(edited["assignment_id"], edited["whatif"], strict=True)
                      if isinstance(v, str) and v}
            scores = whatif_data.letter_scores(cg.inputs, chosen, scale)
        else:
            scores = whatif_data.hypothetical(edited)
        st.button("Clear what-if scores", key=f"whatif_clear_{course_id}", icon=":material/backspace:",
                  on_click=clear_whatif,
                  args=(int(course_id),), disabled=not scores)
    with right:
        projection = whatif_data.project(cg.inputs, scores, scale)
        base = cg.result
        label = "With your what-if scores" if scores else "Projection (enter what-if scores to change it)"
        st.markdown(f"**{label}**")
        if not letters:
            p1, p2 = st.columns(2)
            p1.metric("Projected current", _pct(projection.current), border=True,
                      delta=_delta(projection.current, base.current_percent),
                      help="Graded work plus your what-if scores")
            p2.metric("Projected final", _pct(projection.final), border=True,
                      delta=_delta(projection.final, base.final_percent),
                      help="Work still without a score counts as zero, as in Canvas's final score")
        p3, p4 = st.columns(2)
        p3.metric("Letter (current)", projection.current_letter or "—", border=True, help=scale.label)
        p4.metric("Letter (final)", projection.final_letter or "—", border=True, help=scale.label)
        if scores:
            st.caption(f"{len(scores)} what-if score{'s' if len(scores) != 1 else ''} entered.")

    _target(scores, solve, scale, letters)
    st.caption(scheme_note(scale, letters))


def _delta(value: Decimal | None, base: Decimal | None) -> str | None:
    if value is None or base is None or value == base:
        return None
    return f"{value - base:+.2f} pts"


def _target(scores: dict[str, Decimal], solve: Solver, scale: GradingScale, letters: bool) -> None:
    st.markdown(f"**Target solver** · {scale.label}")
    choices = whatif_data.target_letters(scale)
    c1, c2, c3 = st.columns([1, 1, 3], vertical_alignment="bottom")
    with c1:
        kind = st.radio("Target as", ["Letter"] if letters else ["Letter", "Percent"], key="target_kind",
                        horizontal=True)
    with c2:
        if kind == "Letter":
            if st.session_state.get("target_letter") not in choices:
                st.session_state.pop("target_letter", None)  # a letter from another course's scale
            letter = st.selectbox("Finish with at least", choices, key="target_letter",
                                  index=choices.index("B") if "B" in choices else 0)
            target = whatif_data.target_percent("letter", letter=letter, scale=scale)
            label = whatif_data.target_label("letter", target, letter, letter_only=letters)
        else:
            percent = st.number_input("Finish with at least (%)", min_value=0.0, max_value=200.0, value=90.0,
                                      step=0.5, key="target_value")
            target = whatif_data.target_percent("percent", percent=percent)
            label = whatif_data.target_label("percent", target)
    answer = solve(target, scores)
    if answer is None:
        return
    with c3:
        sentence = (whatif_data.describe_target_letters(answer, label, scale) if letters
                    else whatif_data.describe_target(answer, label))
        if answer.status == "impossible":
            st.warning(sentence, icon=":material/target:")
        else:
            st.success(sentence, icon=":material/target:")
    b1, b2, b3 = st.columns(3)
    best = (scale.letter(answer.best_final) or "—") if letters else _pct(answer.best_final)
    worst = (scale.letter(answer.worst_final) or "—") if letters else _pct(answer.worst_final)
    b1.metric("Best possible final", best, border=True, help="Every remaining assignment at full marks")
    b2.metric("Worst possible final", worst, border=True, help="Every remaining assignment at zero")
    b3.metric("Still to be graded", len(answer.remaining_ids), border=True,
              help="Assignments that count and have no grade you can see")
    if scores:
        st.caption("Your what-if scores count as given; the solver works on the rest.")
