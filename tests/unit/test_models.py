"""Canvas JSON -> cache rows: the facts that bite (hidden vs ungraded, hidden totals, drift)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from canvas.models import assignment_row, content_hash, course_row, group_row


def test_absent_score_keys_mean_hidden_not_ungraded() -> None:
    hidden = assignment_row(1, 5, {"id": 10, "name": "Quiz", "submission": {"workflow_state": "graded"}})
    ungraded = assignment_row(1, 5, {"id": 11, "name": "Quiz", "submission": {"score": None, "grade": None}})
    assert (hidden["score_hidden"], hidden["score"]) == (True, None)
    assert (ungraded["score_hidden"], ungraded["score"]) == (False, None)


def test_no_submission_at_all() -> None:
    row = assignment_row(1, 5, {"id": 12, "name": "Essay", "due_at": None})
    assert (row["has_submission"], row["score_hidden"], row["due_at"]) == (False, False, None)


@pytest.mark.parametrize(("points", "expected"), [
    (10, Decimal("10")), (2.5, Decimal("2.5")), ("NaN", None), ("Infinity", None), (None, None), (True, None),
])
def test_points_drift(points, expected) -> None:
    assert assignment_row(1, 5, {"id": "13", "name": "x", "points_possible": points})["points_possible"] == expected


def test_string_ids_and_utc_times() -> None:
    row = assignment_row(1, 5, {"id": "90000000002", "name": "x", "due_at": "2026-12-01T06:59:59Z",
                                "assignment_group_id": "7"})
    assert row["canvas_id"] == 90000000002 and row["group_id"] == 7
    assert row["due_at"] == datetime(2026, 12, 1, 6, 59, 59, tzinfo=UTC)


def test_hidden_course_totals_stay_null_not_zero() -> None:
    course = {"id": 1, "name": "Bio", "hide_final_grades": True,
              "enrollments": [{"type": "student", "enrollment_state": "active"}]}
    row = course_row(1, course)
    assert row["current_score"] is None and row["final_score"] is None and row["hide_final_grades"]
    shown = course_row(1, {"id": 2, "name": "Chem", "enrollments": [
        {"type": "student", "computed_current_score": 91.5, "computed_current_grade": "A-"}]})
    assert (shown["current_score"], shown["current_grade"]) == (Decimal("91.5"), "A-")


def test_group_rules_and_hash_ignores_embedded_assignments() -> None:
    g = {"id": 3, "name": "Labs", "group_weight": 40, "rules": {"drop_lowest": 1, "never_drop": [9]},
         "assignments": [{"id": 9}]}
    row = group_row(1, 5, g)
    assert (row["drop_lowest"], row["drop_highest"], row["never_drop"]) == (1, 0, [9])
    assert row["content_hash"] == group_row(1, 5, {**g, "assignments": []})["content_hash"]
    assert content_hash({"a": 1, "b": 2}) == content_hash({"b": 2, "a": 1})


@pytest.mark.parametrize(("course", "concluded"), [
    ({"concluded": True}, True),  # include[]=concluded
    ({"workflow_state": "completed"}, True),  # concluded by the teacher
    ({"enrollments": [{"type": "StudentEnrollment", "enrollment_state": "completed"}]}, True),  # listed as completed
    ({"concluded": False, "workflow_state": "available",
      "enrollments": [{"type": "student", "enrollment_state": "active"}]}, False),
    ({"concluded": "yes"}, False),  # drift: only Canvas's boolean counts
])
def test_concluded_from_what_canvas_says(course: dict, concluded: bool) -> None:
    assert course_row(1, {"id": 3, "name": "x", **course})["concluded"] is concluded


def test_course_facts_typed_next_to_raw() -> None:
    course = {"id": 4, "name": "Calc", "grading_scheme": [["A", 0.93], ["F", 0.0]], "restrict_quantitative_data": True,
              "term": {"id": "998", "name": "Fall", "start_at": "2025-08-20T06:00:00Z", "end_at": "not a date"}}
    row = course_row(1, course)
    assert row["grading_scheme"] == [["A", 0.93], ["F", 0.0]] and row["restrict_quantitative_data"] is True
    assert (row["term_id"], row["term_name"], row["term_end_at"]) == (998, "Fall", None)
    assert row["term_start_at"] == datetime(2025, 8, 20, 6, tzinfo=UTC)
    drift = course_row(1, {"id": 5, "name": "x", "grading_scheme": {"A": 0.9}, "restrict_quantitative_data": 1,
                           "term": "Fall"})
    assert drift["grading_scheme"] is None and drift["restrict_quantitative_data"] is False
    assert drift["term_id"] is None and drift["raw"]["grading_scheme"] == {"A": 0.9}  # raw keeps what Canvas sent
