"""The fetch report's pure analysis: fetched Canvas JSON + now -> the report dict."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

import pytest

from canvas.report.analyze import (
    FetchedRaw,
    build_report,
    debug_document,
    describe,
    performance_summary,
    student_zone,
)

NOW = datetime(2025, 3, 10, 15, 0, tzinfo=UTC)  # 08:00 in Denver (MST, UTC-7)


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def assignment(aid: int, points: float | None = 10, due: timedelta | None = None, sub: dict | None = None,
               **kw: Any) -> dict[str, Any]:
    a: dict[str, Any] = {"id": aid, "name": f"A{aid}", "points_possible": points, "published": True,
                         "grading_type": "points", "submission_types": ["online_upload"],
                         "due_at": iso(NOW + due) if due is not None else None,
                         "html_url": f"https://canvas.example/courses/1/assignments/{aid}", **kw}
    if sub is not None:
        a["submission"] = {"assignment_id": aid, "workflow_state": "graded", "excused": False, "late": False,
                           "missing": False, "posted_at": "2025-03-01T00:00:00Z", **sub}
    return a


def graded(aid: int, score: float, points: float = 10, **kw: Any) -> dict[str, Any]:
    return assignment(aid, points, sub={"score": score, "grade": str(score)}, **kw)


def group(gid: int, *assignments: dict[str, Any], weight: float | None = None, **rules: Any) -> dict[str, Any]:
    return {"id": gid, "name": f"G{gid}", "group_weight": weight, "rules": rules, "assignments": list(assignments)}


def course(cid: int = 1, current: float | None = None, final: float | None = None, **kw: Any) -> dict[str, Any]:
    enrollment: dict[str, Any] = {"type": "student", "role": "StudentEnrollment"}
    if current is not None or final is not None:
        enrollment.update(computed_current_score=current, computed_final_score=final,
                          computed_current_grade=None, computed_final_grade=None)
    return {"id": cid, "name": f"Course {cid}", "course_code": f"C{cid}", "apply_assignment_group_weights": False,
            "hide_final_grades": False, "grading_standard_id": None, "grading_periods": [],
            "term": {"name": "Spring"}, "enrollments": [enrollment], **kw}


def raw(*pairs: tuple[dict[str, Any], list[dict[str, Any]]], tz: str | None = "America/Denver",
        skipped: list[dict[str, Any]] | None = None) -> FetchedRaw:
    profile = {"id": 42, "name": "Zoë", "login_id": "zoe", "primary_email": "z@example.edu", "time_zone": tz}
    return FetchedRaw(profile=profile, courses=[c for c, _ in pairs],
                      groups={c["id"]: gs for c, gs in pairs}, skipped=skipped or [])


def one_course(*assignments: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return build_report(raw((course(**kw), [group(1, *assignments)])), NOW)


def ids(items: list[dict[str, Any]]) -> list[int]:
    return [i["assignment_id"] for i in items]


# --- upcoming: the 7- and 14-day windows ---------------------------------------------------------

SECOND = timedelta(seconds=1)
DAY = timedelta(days=1)


@pytest.mark.parametrize(("due", "extra", "in_7", "in_14"), [
    (-timedelta(hours=1), {}, False, False),  # already past
    (timedelta(0), {}, False, False),  # due this very second: no longer upcoming
    (SECOND, {}, True, True),
    (7 * DAY, {}, True, True),  # the window's end is inclusive
    (7 * DAY + SECOND, {}, False, True),
    (14 * DAY, {}, False, True),
    (14 * DAY + SECOND, {}, False, False),
    (DAY, {"published": False}, False, False),  # students never see unpublished work
    (DAY, {"sub": {"excused": True, "score": None}}, False, False),  # excused: nothing to do
    (DAY, {"sub": {"submitted_at": iso(NOW), "workflow_state": "submitted", "score": None}}, True, True),
    (None, {}, False, False),  # undated work is never "due soon"
])
def test_upcoming_windows(due: timedelta | None, extra: dict[str, Any], in_7: bool, in_14: bool) -> None:
    report = one_course(assignment(7, due=due, **extra))
    assert (ids(report["upcoming"]["next_7_days"]) == [7]) is in_7
    assert (ids(report["upcoming"]["next_14_days"]) == [7]) is in_14
    assert report["summary"]["next_7_days"] == int(in_7)
    assert report["courses"][0]["counts"]["next_14_days"] == int(in_14)


def test_upcoming_is_sorted_soonest_first_and_says_if_submitted() -> None:
    report = one_course(
        assignment(1, due=3 * DAY),
        assignment(2, due=DAY, sub={"submitted_at": iso(NOW), "workflow_state": "submitted", "score": None}),
        assignment(3, due=2 * DAY),
    )
    items = report["upcoming"]["next_7_days"]
    assert ids(items) == [2, 3, 1]
    assert [i["submitted"] for i in items] == [True, False, False]


@pytest.mark.parametrize(("tz", "due_utc", "due_local", "days"), [
    # 06:30 UTC on the 11th is still the evening of the 10th in Denver: due *today* there.
    ("America/Denver", "2025-03-11T05:30:00Z", "2025-03-10T23:30:00-06:00", 0),
    ("UTC", "2025-03-11T06:30:00Z", "2025-03-11T06:30:00+00:00", 1),
    ("Asia/Tokyo", "2025-03-11T16:00:00Z", "2025-03-12T01:00:00+09:00", 1),
    (None, "2025-03-11T06:30:00Z", "2025-03-11T06:30:00+00:00", 1),  # no zone: UTC
])
def test_due_times_are_in_the_students_zone(tz: str | None, due_utc: str, due_local: str, days: int) -> None:
    a = assignment(1)
    a["due_at"] = due_utc
    report = build_report(raw((course(), [group(1, a)]), tz=tz), NOW)
    item = report["upcoming"]["next_7_days"][0]
    # (Denver switched to MDT on 9 March 2025, hence -06:00.)
    assert (item["due_at"], item["due_in_days"]) == (due_local, days)
    assert report["generated_at"].startswith(NOW.astimezone(student_zone(tz)[0]).isoformat()[:16])


@pytest.mark.parametrize(("name", "zone", "noted"), [
    ("America/Denver", "America/Denver", False),
    (" Europe/Paris ", "Europe/Paris", False),
    (None, "UTC", True),
    ("", "UTC", True),
    ("Mars/Olympus_Mons", "UTC", True),
    ("../../etc/passwd", "UTC", True),
    (7, "UTC", True),
])
def test_student_zone_falls_back_to_utc_with_a_note(name: Any, zone: str, noted: bool) -> None:
    _tz, shown, note = student_zone(name)
    assert shown == zone
    assert (note is not None) is noted


# --- missing and late -----------------------------------------------------------------------------


@pytest.mark.parametrize(("sub", "missing", "late"), [
    ({"missing": True, "score": None, "workflow_state": "unsubmitted"}, True, False),
    # A teacher's late-policy status reaches us inside Canvas's flags (Submission#missing?/#late?)...
    ({"late_policy_status": "missing", "missing": True, "score": 0}, True, False),
    # ...and the flags win when the two disagree, as on the student's Canvas page: "none" clears
    # missing on past-due work, and a custom grade status clears a stale "missing".
    ({"late_policy_status": "none", "missing": False, "score": None}, False, False),
    ({"late_policy_status": "missing", "missing": False, "custom_grade_status_id": 3, "score": 0}, False, False),
    ({"late": True, "score": 7, "points_deducted": 1, "seconds_late": 7200}, False, True),
    ({"late_policy_status": "late", "late": True, "score": 7}, False, True),
    ({"late_policy_status": "extended", "late": False, "score": 7}, False, False),
    ({"missing": True, "excused": True, "score": None}, False, False),  # excused trumps both
    ({"late": True, "excused": True, "score": None}, False, False),
    ({"score": 9}, False, False),
    (None, False, False),  # no submission object at all
])
def test_missing_and_late(sub: dict[str, Any] | None, missing: bool, late: bool) -> None:
    report = one_course(assignment(5, due=-DAY, sub=sub))
    assert (ids(report["missing"]) == [5]) is missing
    assert (ids(report["late"]) == [5]) is late
    assert report["courses"][0]["counts"]["missing"] == int(missing)


def test_late_items_carry_the_deduction_and_how_late() -> None:
    report = one_course(assignment(5, due=-DAY, sub={"late": True, "score": 7, "points_deducted": 1.5,
                                                     "seconds_late": 7200}))
    item = report["late"][0]
    assert (item["score"], item["points_deducted"], item["seconds_late"], item["points_possible"]) == (7, 1.5, 7200,
                                                                                                        10)


def test_missing_and_late_lists_run_oldest_first_across_courses() -> None:
    c1 = (course(1), [group(1, assignment(11, due=-DAY, sub={"missing": True, "score": None}))])
    c2 = (course(2), [group(2, assignment(21, due=-3 * DAY, sub={"missing": True, "score": None}),
                             assignment(22, due=None, sub={"missing": True, "score": None}))])
    report = build_report(raw(c1, c2), NOW)
    assert ids(report["missing"]) == [21, 11, 22]  # undated last
    assert [i["course"] for i in report["missing"]] == ["C2", "C1", "C2"]


# --- grade statistics ----------------------------------------------------------------------------


@pytest.mark.parametrize(("values", "expected"), [
    ([], {"count": 0, "mean": None, "median": None, "stdev": None, "min": None, "max": None}),
    ([50], {"count": 1, "mean": 50.0, "median": 50.0, "stdev": None, "min": 50.0, "max": 50.0}),
    ([50, 100], {"count": 2, "mean": 75.0, "median": 75.0, "stdev": 35.36, "min": 50.0, "max": 100.0}),
    ([70, 80, 90, 100], {"count": 4, "mean": 85.0, "median": 85.0, "stdev": 12.91, "min": 70.0, "max": 100.0}),
    ([Fraction(200, 3)], {"count": 1, "mean": 66.67, "median": 66.67, "stdev": None, "min": 66.67, "max": 66.67}),
    # half-up like Canvas, not banker's rounding: 125.125 -> 125.13
    ([Fraction(1001, 8)], {"count": 1, "mean": 125.13, "median": 125.13, "stdev": None, "min": 125.13,
                           "max": 125.13}),
    ([0, 0, 100], {"count": 3, "mean": 33.33, "median": 0.0, "stdev": 57.74, "min": 0.0, "max": 100.0}),
])
def test_describe(values: list[Any], expected: dict[str, Any]) -> None:
    assert describe(values) == expected


@pytest.mark.parametrize(("item", "percent"), [
    (graded(1, 8), 80.0),
    (graded(1, 12), 120.0),  # extra credit counts as it is
    (graded(1, 0), 0.0),
    (assignment(1, sub={"score": None, "workflow_state": "unsubmitted"}), None),  # not graded yet
    (assignment(1), None),  # no submission
    (assignment(1, sub={"excused": True, "score": None}), None),
    (assignment(1, sub={"grade": None}), None),  # Canvas removed "score": the grade is hidden
    (graded(1, 8, posted_at=None), 80.0),  # posted_at on the *assignment* means nothing
    (assignment(1, sub={"score": 8, "posted_at": None}), None),  # not posted yet
    (assignment(1, sub={"score": 8, "workflow_state": "pending_review"}), None),
    (graded(1, 8, points=0), None),  # zero-point work has no percentage
    (graded(1, 8, omit_from_final_grade=True), None),
    (graded(1, 8, grading_type="not_graded"), None),
    (graded(1, 8, published=False), None),
])
def test_which_scores_count_in_the_statistics(item: dict[str, Any], percent: float | None) -> None:
    stats = one_course(item)["courses"][0]["statistics"]
    assert stats["mean"] == percent
    assert stats["count"] == (0 if percent is None else 1)


def test_statistics_per_course_and_across_courses() -> None:
    c1 = (course(1), [group(1, graded(11, 5), graded(12, 10))])
    c2 = (course(2), [group(2, graded(21, 7, points=7))])
    report = build_report(raw(c1, c2), NOW)
    assert [c["statistics"]["mean"] for c in report["courses"]] == [75.0, 100.0]
    assert report["statistics"]["all_courses"] == describe([50, 100, 100])
    assert report["summary"]["graded"] == 3


# --- grades: Canvas's numbers, ours, and why they differ -------------------------------------------


def test_recomputation_matches_canvas() -> None:
    report = one_course(graded(1, 8), graded(2, 9), assignment(3), current=85.0, final=56.67)
    c = report["courses"][0]
    assert c["canvas"]["current_score"] == 85.0
    assert c["ours"]["current_percent"] == 85.0 and c["ours"]["final_percent"] == 56.67
    assert c["matches_canvas"] is True and c["differences"] == []
    assert report["summary"]["courses_differing"] == 0


@pytest.mark.parametrize(("course_kw", "items", "reason"), [
    # Canvas is a grade change behind: nothing in the data explains it.
    ({"current": 70.0, "final": 70.0}, [graded(1, 8)], "may not have recalculated"),
    # The course hides its total: the enrollment has no computed_* fields at all.
    ({"hide_final_grades": True}, [graded(1, 8)], "hides the course total"),
    # A grade the student can't see yet is the first suspect for any gap.
    ({"current": 75.0, "final": 37.5}, [graded(1, 8), assignment(2, sub={"grade": None})], "not posted yet"),
    # Grading periods: Canvas may show the current period.
    ({"current": 50.0, "final": 50.0, "has_grading_periods": True}, [graded(1, 8)], "grading periods"),
])
def test_differences_are_explained(course_kw: dict[str, Any], items: list[dict[str, Any]], reason: str) -> None:
    c = one_course(*items, **course_kw)["courses"][0]
    assert c["matches_canvas"] is False
    assert any(reason in r for r in c["differences"]), c["differences"]


def test_unposted_grade_explains_a_real_gap() -> None:
    # Ours leaves the hidden grade out exactly like Canvas, so with Canvas's own numbers they agree.
    c = one_course(graded(1, 8), assignment(2, sub={"grade": None}), current=80.0, final=40.0)["courses"][0]
    assert c["ours"]["current_percent"] == 80.0
    assert c["matches_canvas"] is True


@pytest.mark.parametrize(("course_kw", "letters"), [
    ({"grading_standard_id": None}, (None, None)),  # no scheme: Canvas shows no letter either
    ({"grading_standard_id": 1}, ("B", "F")),  # Canvas's default scheme
])
def test_letters_only_when_the_course_uses_a_scheme(course_kw: dict[str, Any], letters: tuple) -> None:
    c = one_course(graded(1, 8.5), assignment(2, points=90), **course_kw)["courses"][0]
    assert (c["ours"]["current_letter"], c["ours"]["final_letter"]) == letters


def test_weighted_groups_and_drop_rules_go_through_the_exact_calculator() -> None:
    groups = [group(1, graded(1, 2), graded(2, 10), graded(3, 9), weight=60, drop_lowest=1),
              group(2, graded(4, 50, points=100), weight=40)]
    c = build_report(raw((course(apply_assignment_group_weights=True, current=77.0, final=77.0), groups)),
                     NOW)["courses"][0]
    # Homework keeps 10 and 9 of 20 (95%) after dropping the 2; 0.6*95 + 0.4*50 = 77.
    assert c["ours"]["current_percent"] == 77.0 and c["ours"]["dropped"] == 1
    assert c["matches_canvas"] is True


def test_a_course_the_calculator_refuses_still_reports_the_rest() -> None:
    bad = group(1, graded(1, 8))
    del bad["id"]
    good = (course(2, current=80.0, final=80.0), [group(2, graded(21, 8))])
    report = build_report(raw((course(1, current=80.0, final=80.0), [bad]), good), NOW)
    broken, fine = report["courses"]
    assert broken["ours"] is None and broken["matches_canvas"] is None
    assert "groups_json[0].id" in broken["ours_error"]
    assert broken["statistics"]["count"] == 1  # the assignment itself is still readable
    assert fine["matches_canvas"] is True


def test_current_grading_period_scores_are_reported() -> None:
    c = course(current=80.0, final=80.0)
    c["enrollments"][0].update(current_grading_period_title="Quarter 2",
                               current_period_computed_current_score=75.0,
                               current_period_computed_final_score=3.41,
                               current_period_computed_current_grade="C")
    period = build_report(raw((c, [group(1, graded(1, 8))])), NOW)["courses"][0]["grading_period"]
    assert period == {"title": "Quarter 2", "current_score": 75.0, "final_score": 3.41, "current_grade": "C",
                      "final_grade": None}


# --- the document as a whole -------------------------------------------------------------------------


def test_skipped_courses_are_listed_not_analysed() -> None:
    skipped = [{"course_id": 2, "name": "Locked", "status": 403, "error": "ForbiddenError"}]
    report = build_report(raw((course(1), [group(1, graded(1, 8))]), (course(2), []), skipped=skipped), NOW)
    assert [c["id"] for c in report["courses"]] == [1]
    assert report["skipped_courses"] == [{"id": 2, "name": "Locked", "status": 403, "error": "ForbiddenError"}]
    assert report["summary"]["skipped_courses"] == 1


def test_malformed_records_are_ignored() -> None:
    g = group(1, graded(1, 8), "not an object", {"name": "no id"})
    fetched = FetchedRaw(profile={"time_zone": "UTC"}, courses=[course(1), {"name": "no id"}],
                         groups={1: [g, "junk"]})  # type: ignore[list-item]
    report = build_report(fetched, NOW)
    assert [c["id"] for c in report["courses"]] == [1]
    assert report["summary"]["assignments"] == 1


def test_report_is_plain_json_and_the_debug_file_holds_raw_plus_analysis() -> None:
    fetched = raw((course(1, current=80.0, final=80.0), [group(1, graded(1, 8), assignment(2, due=DAY))]))
    report = build_report(fetched, NOW, {"requests": 4, "bytes": 1000, "elapsed_s": 0.5})
    text = json.dumps(report, allow_nan=False)  # no Decimal, datetime or NaN anywhere
    assert json.loads(text) == report
    doc = debug_document(fetched, report, "https://canvas.example")
    assert doc["report"] is report and doc["base_url"] == "https://canvas.example"
    assert doc["raw"]["assignment_groups"] == {"1": fetched.groups[1]}
    assert doc["raw"]["profile"]["time_zone"] == "America/Denver"
    json.dumps(doc, allow_nan=False)


@pytest.mark.parametrize(("perf", "avg"), [
    ({"requests": 8, "elapsed_s": 0.8}, 100.0),
    ({"requests": 3, "elapsed_s": 0.1}, 33.3),
    ({"requests": 0, "elapsed_s": 0.0}, None),
])
def test_performance_summary(perf: dict[str, Any], avg: float | None) -> None:
    out = performance_summary(perf)
    assert out["avg_ms_per_request"] == avg
    assert out["requests"] == perf["requests"]


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        build_report(raw(), datetime(2025, 3, 10, 15))
