"""The simulated students' data: shapes Canvas really sends, determinism, computed scores."""

from __future__ import annotations

from datetime import datetime

import pytest
import requests

from canvas.simulator import Simulator, token_for
from canvas.simulator.scoring import course_scores
from tests.unit.conftest import ANCHOR

ALL_INCLUDES = ["total_scores", "current_grading_period_scores", "grading_periods", "term", "concluded",
                "grading_scheme", "restrict_quantitative_data"]
SCORE_KEYS = {"computed_current_score", "computed_final_score", "computed_current_grade", "computed_final_grade"}



def submissions(dataset: dict) -> list[dict]:
    return [a["submission"] for gs in dataset["assignment_groups"].values() for g in gs for a in g["assignments"]]


def assignments(dataset: dict) -> list[dict]:
    return [a for gs in dataset["assignment_groups"].values() for g in gs for a in g["assignments"]]


def test_profile_of_the_demo_student(demo: dict) -> None:
    p = demo["profile"]
    assert p["name"] == "Zoë Ångström" and p["time_zone"] == "America/Denver"
    assert {"id", "short_name", "sortable_name", "primary_email", "login_id", "avatar_url", "locale"} <= set(p)


def active(demo: dict) -> list[dict]:
    return [c for c in demo["courses"] if not c["concluded"]]


def test_demo_courses_cover_weighting_hiding_and_periods(demo: dict) -> None:
    # six current courses plus three concluded ones in past terms (the archive)
    assert len(demo["courses"]) == 9
    courses = {c["id"]: c for c in active(demo)}
    assert len(courses) == 6
    weighted = [c for c in courses.values() if c["apply_assignment_group_weights"]]
    assert weighted and len(weighted) < 6
    for c in weighted:
        weights = [g["group_weight"] for g in demo["assignment_groups"][c["id"]]]
        assert sum(weights) == 100
    hidden = [c for c in courses.values() if c["hide_final_grades"]]
    assert len(hidden) == 1 and not SCORE_KEYS & set(hidden[0]["enrollments"][0])
    assert any(c["grading_periods"] for c in courses.values())
    assert any(c["id"] > 2**31 for c in courses.values())
    assert max(len(assignments({"assignment_groups": {k: v}})) for k, v in demo["assignment_groups"].items()) > 250
    for c in courses.values():
        enrollment = c["enrollments"][0]
        assert enrollment["type"] == "student" and enrollment["role"] == "StudentEnrollment"
        assert c["term"]["name"] and c["concluded"] is False
        if not c["hide_final_grades"]:
            assert SCORE_KEYS <= set(enrollment)


def test_drop_rules_and_group_fields(demo: dict) -> None:
    rules = [g["rules"] for gs in demo["assignment_groups"].values() for g in gs]
    assert any(r.get("drop_lowest") for r in rules)
    assert any(r.get("drop_highest") for r in rules)
    assert any(r.get("never_drop") for r in rules)
    assert {} in rules  # keys only when set
    group = demo["assignment_groups"][10001][0]
    assert {"id", "name", "position", "group_weight", "rules", "assignments"} <= set(group)


def test_every_submission_state_is_present(demo: dict) -> None:
    subs = submissions(demo)
    states = {s["workflow_state"] for s in subs}
    assert states == {"graded", "submitted", "unsubmitted", "pending_review"}
    assert any(s["excused"] for s in subs)
    assert any(s["missing"] for s in subs)
    late = [s for s in subs if s["late"]]
    assert late and all(s["seconds_late"] > 0 and s["points_deducted"] > 0 for s in late)
    assert all(s["score"] == pytest.approx(s["entered_score"] - s["points_deducted"]) for s in late if s["score"])
    assert any(s["workflow_state"] == "submitted" and s["score"] is None for s in subs)
    types = {a["grading_type"] for a in assignments(demo)}
    assert {"points", "letter_grade", "pass_fail", "percent"} <= types
    assert any(a["due_at"] is None for a in assignments(demo))
    assert any(a["id"] > 2**31 for a in assignments(demo))


def test_due_dates_spread_around_the_anchor(demo: dict) -> None:
    days = [
        (datetime.fromisoformat(a["due_at"].replace("Z", "+00:00")) - ANCHOR).total_seconds() / 86400
        for a in assignments(demo)
        if a["due_at"]
    ]
    assert any(d < -14 for d in days) and any(0 < d <= 7 for d in days)
    assert any(7 < d <= 14 for d in days) and any(d > 30 for d in days)
    times = [s["graded_at"] for s in submissions(demo) if s["graded_at"]]
    assert all(t < "2025-03-10T15:00:00Z" for t in times)
    assert all(t.endswith("Z") for t in times)


def test_hidden_grade_keys_are_absent_not_null(demo: dict) -> None:
    hidden = [s for s in submissions(demo) if "score" not in s]
    assert len(hidden) == 1
    sub = hidden[0]
    assert not {"score", "grade", "entered_score", "entered_grade"} & set(sub)
    assert sub["posted_at"] is None and sub["workflow_state"] == "graded"


def test_hostile_and_non_ascii_text_is_served_verbatim(anchored_sim: Simulator, demo: dict) -> None:
    names = [a["name"] for a in assignments(demo)]
    assert '<b>Lab</b> & "Quiz" <script>alert(1)</script>' in names
    assert any("<script>" in (a["description"] or "") for a in assignments(demo))
    r = requests.get(
        f"{anchored_sim.base_url}/api/v1/courses/10002/assignments",
        headers={"Authorization": f"Bearer {token_for(1)}"},
        params={"per_page": "100"},
        timeout=5,
    )
    assert '<b>Lab</b> & "Quiz" <script>alert(1)</script>' in [a["name"] for a in r.json()]
    assert r.json()[0]["html_url"] == f"{anchored_sim.base_url}/courses/10002/assignments/{r.json()[0]['id']}"


def test_api_matches_dataset_and_scores_recompute(anchored_sim: Simulator, demo: dict) -> None:
    r = requests.get(
        f"{anchored_sim.base_url}/api/v1/courses",
        headers={"Authorization": f"Bearer {token_for(1)}"},
        params={"include[]": ALL_INCLUDES, "per_page": "100", "enrollment_state": "active"},
        timeout=5,
    )
    assert r.json() == active(demo)
    for course in demo["courses"]:
        if course["hide_final_grades"]:
            continue
        groups = demo["assignment_groups"][course["id"]]
        items = [a for g in groups for a in g["assignments"]]
        subs = {a["id"]: a["submission"] for a in items}
        expected = course_scores(groups, items, subs, course["apply_assignment_group_weights"])
        enrollment = course["enrollments"][0]
        assert enrollment["computed_current_score"] == expected["current_score"]
        assert enrollment["computed_final_score"] == expected["final_score"]
        letters = course["grading_standard_id"] is not None
        assert (enrollment["computed_current_grade"] is not None) == letters


def test_grading_period_fields(demo: dict) -> None:
    course = next(c for c in demo["courses"] if c["grading_periods"])
    enrollment = course["enrollments"][0]
    assert course["has_grading_periods"] is True and enrollment["has_grading_periods"] is True
    assert enrollment["current_grading_period_title"] == "Quarter 2"
    assert enrollment["current_grading_period_id"] == course["grading_periods"][1]["id"]
    assert isinstance(enrollment["current_period_computed_current_score"], float)


def test_same_seed_and_anchor_same_data_other_seed_differs() -> None:
    a = Simulator(seed=7, anchor=ANCHOR)
    b = Simulator(seed=7, anchor=ANCHOR)
    c = Simulator(seed=8, anchor=ANCHOR)
    assert a.dataset(1) == b.dataset(1) and a.dataset(3) == b.dataset(3)
    assert a.dataset(1) != c.dataset(1) and a.dataset(3) != c.dataset(3)


def test_generated_students(anchored_sim: Simulator) -> None:
    two, three = anchored_sim.dataset(2), anchored_sim.dataset(3)
    assert len(two["courses"]) == 8 and two["profile"]["id"] == 100_002
    for cid, groups in two["assignment_groups"].items():
        assert 20_000 < cid < 30_000 and 2 <= len(groups) <= 4
        assert 12 <= sum(len(g["assignments"]) for g in groups) <= 20
    ids_two = {a["id"] for a in assignments(two)}
    assert not ids_two & {a["id"] for a in assignments(three)}
    assert len(Simulator(courses_per_user=3, anchor=ANCHOR).dataset(9)["courses"]) == 3


def test_dataset_is_a_copy(anchored_sim: Simulator) -> None:
    data = anchored_sim.dataset(1)
    data["courses"][0]["name"] = "changed"
    data["assignment_groups"][10001][0]["assignments"][0]["submission_types"].append("x")
    fresh = anchored_sim.dataset(1)
    assert fresh["courses"][0]["name"] != "changed"
    assert "x" not in fresh["assignment_groups"][10001][0]["assignments"][0]["submission_types"]
