"""Grade calculator inputs, what-if tables and target answers for the Grades page.

Pure (no Streamlit, no I/O): everything starts from one course's cached raw Canvas JSON, the dict
`reads.grade_inputs()` returns: ``{"course": raw course, "groups": [raw group + "assignments":
[raw assignment + "submission"]]}`` (the `groups_json` shape of
``/courses/:id/assignment_groups?include[]=assignments&include[]=submission``), which
`canvas.analysis.gradecalc_io.from_canvas` turns into calculator inputs.

Canvas strings (assignment and group names) stay plain data here; the page shows them only through
dataframes and escaped labels.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

import pandas as pd

from canvas.analysis.explain import ExplainContext, explain_difference
from canvas.analysis.gradecalc_io import from_canvas
from canvas.analysis.grades import GradeInputs, GradeResult, Submission, calculate, submission_map
from canvas.analysis.letters import GradingScale, article, plain_percent, scale_from_course
from canvas.analysis.whatif import TargetResult, best_worst, remaining_ids, target_needed
from canvas.dashboard import class_stats
from canvas.errors import UsageError

GROUP_COLUMNS = ["group_id", "name", "weight", "percent", "score", "possible", "dropped"]
REMAINING_COLUMNS = ["assignment_id", "name", "group", "due_at", "state", "points_possible", "whatif"]
CONTRIBUTION_COLUMNS = ["variant", "group_id", "name", "weight", "earned", "available"]
NOT_RECOMPUTED = ("We couldn't recompute this course from its synced assignments, so the group breakdown, what-if "
                  "and target tools are unavailable for it; Canvas's own scores above are unaffected.")
TARGET_LETTERS = GradingScale().names[:-1]  # Canvas's default scale without its bottom band (F)


def target_letters(scale: GradingScale) -> list[str]:
    """The letters the solver offers: every band but the bottom one (which any grade reaches)."""
    return scale.names[:-1] or scale.names


@dataclass(frozen=True)
class CourseGrades:
    """One course, recomputed: the inputs, our result, and the best/worst final grades."""

    inputs: GradeInputs
    result: GradeResult
    best_final: Decimal | None
    worst_final: Decimal | None
    remaining: pd.DataFrame  # REMAINING_COLUMNS, one row per assignment still without a visible grade
    names: dict[str, str]  # group id -> group name
    scale: GradingScale = field(default_factory=GradingScale)  # the course's own scale, else Canvas's default
    letter_only: bool = False  # restrict_quantitative_data: the student sees letters, not numbers
    # "you vs class": class_stats.COLUMNS, one row per assignment Canvas sent statistics for
    class_stats: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=class_stats.COLUMNS))


# -- inputs ------------------------------------------------------------------------------------
def build_inputs(raw: Mapping[str, Any]) -> GradeInputs:
    """Calculator inputs from `reads.grade_inputs()` (raises `UsageError` on a malformed cache)."""
    return from_canvas(list(raw.get("groups") or []), dict(raw.get("course") or {}))


def course_grades(raw: Mapping[str, Any]) -> CourseGrades:
    """Recompute one course from its cached raw JSON."""
    inputs = build_inputs(raw)
    best, worst = best_worst(inputs)
    course = dict(raw.get("course") or {})
    return CourseGrades(inputs, calculate(inputs), best, worst, remaining_frame(raw, inputs), group_names(raw),
                        scale_from_course(course), letter_only(course), class_stats.you_vs_class(raw))


def letter_only(course: Mapping[str, Any]) -> bool:
    """Canvas's restrict_quantitative_data: show this course in letters only."""
    return _flag(course.get("restrict_quantitative_data"))


def group_names(raw: Mapping[str, Any]) -> dict[str, str]:
    return {str(g.get("id")): str(g.get("name") or g.get("id")) for g in raw.get("groups") or []}


def remaining_frame(raw: Mapping[str, Any], inputs: GradeInputs) -> pd.DataFrame:
    """The work a what-if score can go on: countable assignments without a visible grade, by due date."""
    wanted = set(remaining_ids(inputs))
    subs = submission_map(inputs)
    rows = []
    for g in raw.get("groups") or []:
        for a in g.get("assignments") or []:
            aid = str(a.get("id"))
            if aid not in wanted:
                continue
            rows.append({
                "assignment_id": aid, "name": str(a.get("name") or aid), "group": str(g.get("name") or ""),
                "due_at": a.get("due_at"), "state": _state(a.get("submission") or {}, subs.get(aid)),
                "points_possible": float(a["points_possible"]) if a.get("points_possible") is not None else 0.0,
                "whatif": math.nan,
            })
    df = pd.DataFrame(rows, columns=REMAINING_COLUMNS)
    df["due_at"] = pd.to_datetime(df["due_at"], utc=True)
    df["whatif"] = df["whatif"].astype("float64")
    return df.sort_values(["due_at", "name"], na_position="last", kind="stable").reset_index(drop=True)


def _state(raw_sub: Mapping[str, Any], sub: Submission | None) -> str:
    if sub is not None and not sub.posted:
        return "grade not posted yet"
    if raw_sub.get("workflow_state") == "pending_review":
        return "awaiting review"
    if raw_sub.get("submitted_at") or raw_sub.get("workflow_state") == "submitted":
        return "submitted, not graded"
    if raw_sub.get("missing"):
        return "missing"
    return "not submitted"


# -- Canvas vs ours ----------------------------------------------------------------------------
def explain_context(course: Mapping[str, Any], result: GradeResult, hidden_grades: int) -> ExplainContext:
    """Facts from the cache: a courses row (hide_final_grades, has_grading_periods) and the hidden count."""
    dropped = tuple(dict.fromkeys(result.current_dropped + result.final_dropped))
    return ExplainContext(hidden_grades=int(hidden_grades),
                          has_grading_periods=_flag(course.get("has_grading_periods")),
                          hide_final_grades=_flag(course.get("hide_final_grades")),
                          dropped_ids=dropped)


def explanation(course: Mapping[str, Any], result: GradeResult, hidden_grades: int) -> list[str]:
    """Why Canvas's current/final score differs from ours by >= 0.01 ([] when they agree)."""
    return explain_difference(_number(course.get("current_score")), _number(course.get("final_score")), result,
                              explain_context(course, result, hidden_grades))


def _flag(value: Any) -> bool:
    return bool(value) and not (isinstance(value, float) and math.isnan(value))


def _number(value: Any) -> Decimal | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


# -- what-if -----------------------------------------------------------------------------------
def hypothetical(edited: pd.DataFrame) -> dict[str, Decimal]:
    """{assignment id: score} for the rows of the what-if table that have a score entered."""
    out: dict[str, Decimal] = {}
    if edited is None or edited.empty:
        return out
    for aid, value in zip(edited["assignment_id"], edited["whatif"], strict=True):
        if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            continue
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            continue
        if number.is_finite() and number >= 0:
            out[str(aid)] = number
    return out


def with_scores(inputs: GradeInputs, scores: Mapping[str, Decimal]) -> GradeInputs:
    """Inputs where each listed assignment has a posted, graded submission with that score."""
    if not scores:
        return inputs
    kept = [s for s in submission_map(inputs).values() if s.assignment_id not in scores]
    added = [Submission(aid, Decimal(score), workflow_state="graded") for aid, score in scores.items()]
    return replace(inputs, submissions=tuple(kept + added))


@dataclass(frozen=True)
class Projection:
    current: Decimal | None
    final: Decimal | None
    current_letter: str | None  # from `scale`
    final_letter: str | None
    letter_source: str = "default"  # "course_scheme" | "default": the scale the letters came from


def project(inputs: GradeInputs, scores: Mapping[str, Decimal], scale: GradingScale | None = None) -> Projection:
    """The course grade with the what-if scores in place, lettered by the course's scale."""
    scale = scale or GradingScale()
    result = calculate(with_scores(inputs, scores))
    return Projection(result.current_percent, result.final_percent,
                      scale.letter(result.current_percent), scale.letter(result.final_percent), scale.source)


def letter_scores(inputs: GradeInputs, letters: Mapping[str, str], scale: GradingScale) -> dict[str, Decimal]:
    """What-if letters as points: each assignment's points × the band's value (Canvas's grade_to_score).

    Letter-only courses take what-if grades as letters; unknown letters are skipped."""
    points = {a.id: a.points_possible or Decimal(0) for a in inputs.assignments}
    out: dict[str, Decimal] = {}
    for aid, letter in letters.items():
        if aid not in points or not isinstance(letter, str) or not letter.strip():
            continue
        try:
            out[aid] = points[aid] * scale.band_percent(letter) / 100
        except UsageError:
            continue
    return out


# -- target solver -----------------------------------------------------------------------------
def target_percent(kind: str, percent: float | None = None, letter: str | None = None,
                   scale: GradingScale | None = None) -> Decimal:
    """The target as a percent: a number, or the lowest percent that earns a letter on the scale."""
    scale = scale or GradingScale()
    if kind == "letter":
        return scale.min_percent(letter or target_letters(scale)[0])
    return Decimal(str(percent if percent is not None else 0))


def target_label(kind: str, target: Decimal, letter: str | None = None, *, letter_only: bool = False) -> str:
    """How the solver names its target: "a B (84%)", "an A- (90%)", "85.5%"; letters alone when the
    course shows no numbers."""
    if kind == "letter" and letter:
        return f"{article(letter)} {letter}" + ("" if letter_only else f" ({plain_percent(target)})")
    return plain_percent(target)


def solve(inputs: GradeInputs, target: Decimal, scores: Mapping[str, Decimal] | None = None) -> TargetResult:
    """target_needed on the inputs with any what-if scores counted as given."""
    return target_needed(with_scores(inputs, scores or {}), target)


def describe_target(answer: TargetResult, label: str) -> str:
    """One sentence answering "what do I need on the rest to finish with at least `label`?"."""
    n = len(answer.remaining_ids)
    rest = f"the remaining {n} assignment{'s' if n != 1 else ''}"
    if answer.status == "guaranteed":
        return f"You finish with at least {label} even with 0% on {rest}." if n else \
            f"Your final grade already meets {label}."
    if answer.status == "reachable":
        return f"To finish with at least {label} you need an average of {_pct(answer.needed_percent)} on {rest}."
    if not n:
        return f"Nothing is left to grade, and your final grade is below {label}."
    if answer.needed_percent is not None:
        return (f"Out of reach without extra credit: finishing with at least {label} would take an average of "
                f"{_pct(answer.needed_percent)} on {rest}.")
    return f"Out of reach: even 100% on {rest} gives a final grade of {_pct(answer.best_final)}."


def _pct(value: Decimal | None) -> str:
    return "no grade" if value is None else plain_percent(value)


def describe_target_letters(answer: TargetResult, label: str, scale: GradingScale) -> str:
    """The solver's answer for a letter-only course: the letter to average on the rest, no numbers."""
    n = len(answer.remaining_ids)
    rest = f"the remaining {n} assignment{'s' if n != 1 else ''}"
    if answer.status == "guaranteed":
        return f"You finish with at least {label} whatever you get on {rest}." if n else \
            f"Your final grade already meets {label}."
    if answer.status == "reachable" and answer.needed_percent is not None:
        need = _letter_needed(answer.needed_percent, scale)
        return f"To finish with at least {label} you need about {article(need)} {need} average on {rest}."
    if not n:
        return f"Nothing is left to grade, and your final grade is below {label}."
    return f"Out of reach: even full marks on {rest} do not give {label}."


def _letter_needed(percent: Decimal, scale: GradingScale) -> str:
    """The lowest band whose assignment value (grade_to_score) meets the needed average."""
    for name, _ in reversed(scale.bands):
        if scale.band_percent(name) >= percent:
            return name
    return scale.bands[0][0]


# -- statistics for charts ---------------------------------------------------------------------
def group_contributions(inputs: GradeInputs, result: GradeResult, names: Mapping[str, str]) -> pd.DataFrame:
    """How many course-grade points each group adds, for the current and the final grade.

    ``earned`` sums to the course percent (before its 2-dp rounding); ``available`` is the most the
    group could add (its share of the total). Mirrors the calculator's combination step: points
    over points when unweighted; weight × group ratio, scaled up when the weights in play sum below
    100, when weighted. Under weighted grading periods the course is built from period scores, so
    the shares are an approximation there.
    """
    rows = []
    weights = {g.id: Fraction(g.weight or 0) for g in inputs.groups}
    for variant in ("current", "final"):
        parts = [(g, getattr(g, f"{variant}_score"), getattr(g, f"{variant}_possible")) for g in result.groups]
        if inputs.weighted:
            live = [(g, s, p) for g, s, p in parts if p > 0]
            wsum = sum((weights[g.id] for g, _, _ in live), Fraction(0))
            scale = Fraction(100) / wsum if 0 < wsum < 100 else Fraction(1)
            for g, s, p in live:
                share = weights[g.id] * scale
                rows.append((variant, g.id, share, Fraction(s) / Fraction(p) * share))
        else:
            total = sum((Fraction(p) for _, _, p in parts), Fraction(0))
            if total <= 0:
                continue
            for g, s, p in parts:
                if p > 0:
                    rows.append((variant, g.id, Fraction(p) / total * 100, Fraction(s) / total * 100))
    df = pd.DataFrame(
        [{"variant": v, "group_id": gid, "name": names.get(gid, gid),
          "weight": float(weights[gid]) if inputs.weighted else None,
          "earned": float(earned), "available": float(available)} for v, gid, available, earned in rows],
        columns=CONTRIBUTION_COLUMNS)
    df["weight"] = df["weight"].astype("float64")
    return df


def group_contributions_empty() -> pd.DataFrame:
    return pd.DataFrame(columns=CONTRIBUTION_COLUMNS)


def group_breakdown(cg: CourseGrades | None) -> pd.DataFrame:
    """The per-group table (current variant: kept points, percent, dropped count), read from the one
    calculation the page already holds. Empty when there is none: the page says why, once."""
    if cg is None:
        return pd.DataFrame(columns=GROUP_COLUMNS)
    weights = {g.id: g.weight for g in cg.inputs.groups}
    rows = [{"group_id": g.id, "name": cg.names.get(g.id, g.id),
             "weight": float(w) if (w := weights.get(g.id)) is not None else None,
             "percent": float(g.current_percent) if g.current_percent is not None else None,
             "score": float(g.current_score), "possible": float(g.current_possible),
             "dropped": len(g.current_dropped)} for g in cg.result.groups]
    return pd.DataFrame(rows, columns=GROUP_COLUMNS)
