"""JSON glue for the grade calculator: the ``grade-calc`` CLI contract and an
adapter from Canvas API shapes. Pure: text or dicts in, dicts or inputs out.

Input document (ids are strings; Canvas's integer ids are accepted too)::

    {"weighted": bool,
     "groups": [{"id", "weight"?, "rules"?: {"drop_lowest"?, "drop_highest"?,
                                             "never_drop"?: [ids]}}],
     "assignments": [{"id", "group_id", "points_possible", "omit_from_final_grade"?,
                      "grading_period_id"?, "visible"?}],
     "submissions": [{"assignment_id", "score", "excused"?, "workflow_state"?,
                      "posted"?}],
     "grading_periods"?: {"weighted": bool, "periods": [{"id", "weight"?}]}}

Fields marked ``?`` may be left out (Canvas omits them too); ``weight``,
``points_possible`` and ``score`` may be null. A missing submission or a null score
is ungraded. ``posted: false`` is a grade the student cannot see yet; ``visible:
false`` is an assignment not assigned to the student (left out entirely).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from canvas.analysis.drops import DropRules
from canvas.analysis.grades import (
    Assignment,
    GradeInputs,
    GradeResult,
    GradingPeriod,
    GradingPeriods,
    Group,
    Submission,
    calculate,
)
from canvas.analysis.jsonfields import (
    as_bool,
    as_count,
    as_id,
    as_list,
    as_object,
    as_opt_number,
    as_opt_str,
    fail,
    get,
)
from canvas.errors import UsageError


def grade_calc_command(text: str) -> dict[str, Any]:
    """``python -m canvas grade-calc``: parse ``text``, compute, return the report."""
    return render_result(calculate(parse_grade_calc(text)))


def parse_grade_calc(text: str) -> GradeInputs:
    """Validate the input document; errors name the field path."""
    try:
        # parse_float=Decimal keeps 110.1 exactly 110.1.
        doc = json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise UsageError(f"input: invalid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from exc
    doc = as_object(doc, "input")
    weighted = as_bool(get(doc, "weighted", ""), "weighted")
    groups = _parse_groups(as_list(get(doc, "groups", ""), "groups"))
    periods = _parse_periods(doc.get("grading_periods"))
    group_ids = {g.id for g in groups}
    period_ids = {p.id for p in periods.periods} if periods else set()
    assignments = _parse_assignments(as_list(get(doc, "assignments", ""), "assignments"), group_ids, period_ids)
    submissions = _parse_submissions(as_list(get(doc, "submissions", ""), "submissions"), {a.id for a in assignments})
    return GradeInputs(weighted, groups, assignments, submissions, periods)


def render_result(result: GradeResult) -> dict[str, Any]:
    """The CLI's JSON report: percents as 2-dp floats (null = no grade)."""
    return {
        "current_percent": _percent(result.current_percent),
        "final_percent": _percent(result.final_percent),
        "current_score": _number(result.current_score),
        "current_possible": _number(result.current_possible),
        "final_score": _number(result.final_score),
        "final_possible": _number(result.final_possible),
        "current_dropped": list(result.current_dropped),
        "final_dropped": list(result.final_dropped),
        "groups": [
            {
                "id": g.id,
                "current_percent": _percent(g.current_percent),
                "final_percent": _percent(g.final_percent),
                "current_score": _number(g.current_score),
                "current_possible": _number(g.current_possible),
                "final_score": _number(g.final_score),
                "final_possible": _number(g.final_possible),
            }
            for g in result.groups
        ],
    }


def from_canvas(groups_json: list[dict[str, Any]], course: dict[str, Any]) -> GradeInputs:
    """Calculator inputs from Canvas API shapes, as the student's token sees them.

    ``course``: a course object (``apply_assignment_group_weights``, optional
    ``grading_periods`` list with ``start_date``/``end_date``/``weight``, optional
    ``weighted_grading_periods`` flag). ``groups_json``: the list from
    ``/courses/:id/assignment_groups?include[]=assignments&include[]=submission``.
    Unpublished and ``not_graded`` assignments are left out, as Canvas does.
    """
    weighted = bool(course.get("apply_assignment_group_weights"))
    raw_periods = as_list(course.get("grading_periods") or [], "course.grading_periods")
    periods = _canvas_periods(raw_periods, bool(course.get("weighted_grading_periods")))
    spans = _period_spans(raw_periods)
    groups: list[Group] = []
    assignments: list[Assignment] = []
    submissions: list[Submission] = []
    for gi, raw in enumerate(as_list(groups_json, "groups_json")):
        path = f"groups_json[{gi}]"
        group = as_object(raw, path)
        group_id = as_id(get(group, "id", path), f"{path}.id")
        rules = as_object(group.get("rules") or {}, f"{path}.rules")
        groups.append(
            Group(
                group_id,
                as_opt_number(group.get("group_weight"), f"{path}.group_weight"),
                _rules(rules, f"{path}.rules"),
            )
        )
        for ai, item in enumerate(as_list(group.get("assignments") or [], f"{path}.assignments")):
            apath = f"{path}.assignments[{ai}]"
            a = as_object(item, apath)
            if not _counts_in_canvas(a):
                continue
            assignment_id = as_id(get(a, "id", apath), f"{apath}.id")
            assignments.append(
                Assignment(
                    assignment_id,
                    group_id,
                    as_opt_number(a.get("points_possible"), f"{apath}.points_possible"),
                    bool(a.get("omit_from_final_grade")),
                    _canvas_period_id(a, spans, apath),
                )
            )
            sub = a.get("submission")
            if sub is not None:
                submissions.append(_canvas_submission(assignment_id, as_object(sub, f"{apath}.submission"), apath))
    return GradeInputs(weighted, tuple(groups), tuple(assignments), tuple(submissions), periods)


# --- CLI document ---------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise UsageError(f"input: invalid JSON ({name} is not a number)")


def _parse_groups(raw: list[Any]) -> tuple[Group, ...]:
    groups: list[Group] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        path = f"groups[{i}]"
        obj = as_object(item, path)
        group_id = as_id(get(obj, "id", path), f"{path}.id")
        if group_id in seen:
            raise fail(f"{path}.id", f"duplicate group id {group_id!r}")
        seen.add(group_id)
        rules = as_object(obj.get("rules") or {}, f"{path}.rules")
        weight = as_opt_number(obj.get("weight"), f"{path}.weight", minimum=0)
        groups.append(Group(group_id, weight, _rules(rules, f"{path}.rules")))
    return tuple(groups)


def _rules(rules: dict[str, Any], path: str) -> DropRules:
    never = as_list(rules.get("never_drop") or [], f"{path}.never_drop")
    return DropRules(
        as_count(rules.get("drop_lowest") or 0, f"{path}.drop_lowest"),
        as_count(rules.get("drop_highest") or 0, f"{path}.drop_highest"),
        frozenset(as_id(v, f"{path}.never_drop[{i}]") for i, v in enumerate(never)),
    )


def _parse_periods(raw: Any) -> GradingPeriods | None:
    if raw is None:
        return None
    obj = as_object(raw, "grading_periods")
    weighted = as_bool(get(obj, "weighted", "grading_periods"), "grading_periods.weighted")
    periods: list[GradingPeriod] = []
    items = as_list(get(obj, "periods", "grading_periods"), "grading_periods.periods")
    for i, item in enumerate(items):
        path = f"grading_periods.periods[{i}]"
        period = as_object(item, path)
        period_id = as_id(get(period, "id", path), f"{path}.id")
        if any(p.id == period_id for p in periods):
            raise fail(f"{path}.id", f"duplicate grading period id {period_id!r}")
        weight = as_opt_number(period.get("weight"), f"{path}.weight", minimum=0)
        periods.append(GradingPeriod(period_id, weight))
    return GradingPeriods(weighted, tuple(periods))


def _parse_assignments(raw: list[Any], group_ids: set[str], period_ids: set[str]) -> tuple[Assignment, ...]:
    assignments: list[Assignment] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        path = f"assignments[{i}]"
        obj = as_object(item, path)
        assignment_id = as_id(get(obj, "id", path), f"{path}.id")
        if assignment_id in seen:
            raise fail(f"{path}.id", f"duplicate assignment id {assignment_id!r}")
        seen.add(assignment_id)
        group_id = as_id(get(obj, "group_id", path), f"{path}.group_id")
        if group_id not in group_ids:
            raise fail(f"{path}.group_id", f"unknown group {group_id!r}")
        period_id = as_opt_str(obj.get("grading_period_id"), f"{path}.grading_period_id")
        if period_id is not None and period_id not in period_ids:
            raise fail(f"{path}.grading_period_id", f"unknown grading period {period_id!r}")
        points = get(obj, "points_possible", path)
        assignments.append(
            Assignment(
                assignment_id,
                group_id,
                as_opt_number(points, f"{path}.points_possible", minimum=0),
                as_bool(obj.get("omit_from_final_grade", False), f"{path}.omit_from_final_grade"),
                period_id,
                as_bool(obj.get("visible", True), f"{path}.visible"),
            )
        )
    return tuple(assignments)


def _parse_submissions(raw: list[Any], assignment_ids: set[str]) -> tuple[Submission, ...]:
    submissions: list[Submission] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        path = f"submissions[{i}]"
        obj = as_object(item, path)
        assignment_id = as_id(get(obj, "assignment_id", path), f"{path}.assignment_id")
        if assignment_id not in assignment_ids:
            raise fail(f"{path}.assignment_id", f"unknown assignment {assignment_id!r}")
        if assignment_id in seen:
            raise fail(f"{path}.assignment_id", f"second submission for {assignment_id!r}")
        seen.add(assignment_id)
        submissions.append(
            Submission(
                assignment_id,
                as_opt_number(get(obj, "score", path), f"{path}.score"),
                as_bool(obj.get("excused", False), f"{path}.excused"),
                as_opt_str(obj.get("workflow_state"), f"{path}.workflow_state"),
                as_bool(obj.get("posted", True), f"{path}.posted"),
            )
        )
    return tuple(submissions)


def _percent(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


# --- Canvas API shapes -------------------------------------------------------------


def _counts_in_canvas(assignment: dict[str, Any]) -> bool:
    # Ruby grades only course.assignments.published.gradeable (lib/grade_calculator.rb).
    if assignment.get("published") is False:
        return False
    if assignment.get("grading_type") == "not_graded":
        return False
    return assignment.get("submission_types") != ["not_graded"]


def _canvas_submission(assignment_id: str, sub: dict[str, Any], path: str) -> Submission:
    # The API deletes "score" when the student may not see the grade: that is a
    # hidden grade, unlike a null score (ungraded).
    if "score" not in sub:
        return Submission(assignment_id, None, bool(sub.get("excused")), None, posted=False)
    score = as_opt_number(sub["score"], f"{path}.submission.score")
    # Canvas's Submission#posted? is posted_at.present?; absent key = unknown = posted.
    posted = not ("posted_at" in sub and sub["posted_at"] is None and score is not None)
    state = sub.get("workflow_state")
    return Submission(
        assignment_id,
        score,
        bool(sub.get("excused")),
        state if isinstance(state, str) else None,
        posted,
    )


def _canvas_periods(raw: list[Any], weighted: bool) -> GradingPeriods | None:
    if not raw:
        return None
    periods = []
    for i, item in enumerate(raw):
        path = f"course.grading_periods[{i}]"
        period = as_object(item, path)
        periods.append(
            GradingPeriod(
                as_id(get(period, "id", path), f"{path}.id"),
                as_opt_number(period.get("weight"), f"{path}.weight"),
            )
        )
    return GradingPeriods(weighted, tuple(periods))


def _period_spans(periods: list[Any]) -> list[tuple[datetime, datetime, str]]:
    spans = []
    for i, period in enumerate(periods):
        path = f"course.grading_periods[{i}]"
        start = _time(get(period, "start_date", path), f"{path}.start_date")
        end = _time(get(period, "end_date", path), f"{path}.end_date")
        spans.append((start, end, as_id(period["id"], f"{path}.id")))
    return spans


def _canvas_period_id(assignment: dict[str, Any], spans: list[tuple[datetime, datetime, str]], path: str) -> str | None:
    """The period holding the (student's) due date; undated work goes to the last."""
    if not spans:
        return None
    if assignment.get("grading_period_id") is not None:
        return as_id(assignment["grading_period_id"], f"{path}.grading_period_id")
    due_at = assignment.get("due_at")
    if due_at is None:
        return max(spans, key=lambda span: span[1])[2]
    due = _time(due_at, f"{path}.due_at")
    # GradingPeriod#in_date_range?: start_date < date <= end_date.
    return next((pid for start, end, pid in spans if start < due <= end), None)


def _time(value: Any, path: str) -> datetime:
    if not isinstance(value, str):
        raise fail(path, "expected an ISO 8601 date-time")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise fail(path, "expected an ISO 8601 date-time") from exc
    # Canvas sends UTC ("Z"); treat a naive value as UTC rather than local time.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
