"""The simulator's course facts (schemes, letter-only, statistics) and concluded courses, over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from canvas.simulator import Simulator, token_for
from canvas.simulator.demo import CONCLUDED_COURSE_IDS, POINTS_SCHEME
from canvas.simulator.scoring import letter_for
from tests.unit.conftest import ANCHOR

FACTS = ["total_scores", "term", "concluded", "grading_scheme", "restrict_quantitative_data"]


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """Its own simulator per test: the tests conclude courses."""
    with Simulator(port=0, seed=1, anchor=ANCHOR) as s:
        yield s


def get(sim: Simulator, path: str, **params) -> requests.Response:
    r = requests.get(f"{sim.base_url}/api/v1{path}", headers={"Authorization": f"Bearer {token_for(1)}"},
                     params={"per_page": "100", **params}, timeout=5)
    assert r.status_code == 200, r.text
    return r


def courses(sim: Simulator, **params) -> dict[int, dict]:
    return {c["id"]: c for c in get(sim, "/courses", **{"include[]": FACTS, **params}).json()}


def test_course_facts_only_when_asked(sim: Simulator) -> None:
    plain = get(sim, "/courses", enrollment_state="active").json()
    assert not {"grading_scheme", "restrict_quantitative_data", "hide_distribution_graphs"} & set(plain[0])
    facts = courses(sim, enrollment_state="active")
    calc, hist, dsa = facts[10001], facts[10003], facts[10004]
    assert calc["grading_scheme"][:3] == [["A", 0.93], ["A-", 0.9], ["B+", 0.87]]
    assert calc["points_based_grading_scheme"] is False
    assert [hist["restrict_quantitative_data"], calc["restrict_quantitative_data"]] == [True, False]
    # points-based: pairs are fractions (as Canvas stores them) plus the scaling factor
    assert dsa["grading_scheme"] == [list(p) for p in POINTS_SCHEME]
    assert (dsa["points_based_grading_scheme"], dsa["scaling_factor"]) == (True, 4.0)
    # a course without its own standard still gets Canvas's default scheme
    assert facts[10002]["grading_scheme"][0] == ["A", 0.94] and facts[10002]["grading_standard_id"] is None


def test_course_letters_use_the_course_scheme(sim: Simulator) -> None:
    for c in courses(sim, enrollment_state="active").values():
        enrollment = c["enrollments"][0]
        if c["grading_standard_id"] is None or "computed_current_score" not in enrollment:
            continue
        assert enrollment["computed_current_grade"] == letter_for(enrollment["computed_current_score"],
                                                                  c["grading_scheme"])
    assert letter_for(91.0, [["A", 0.93], ["A-", 0.9]]) == "A-"
    assert letter_for(91.0, None) == "A-" and letter_for(93.5, None) == "A-"


def test_score_statistics_only_where_the_course_shows_them(sim: Simulator) -> None:
    def stats(cid: int, include: bool) -> list[dict]:
        inc = ["assignments", "submission", *(["score_statistics"] if include else [])]
        groups = get(sim, f"/courses/{cid}/assignment_groups", **{"include[]": inc}).json()
        return [a for g in groups for a in g["assignments"] if "score_statistics" in a]

    shown = stats(10001, True)
    assert shown and not stats(10001, False)
    assert set(shown[0]["score_statistics"]) == {"min", "max", "mean", "upper_q", "median", "lower_q"}
    s = shown[0]["score_statistics"]
    assert s["min"] <= s["lower_q"] <= s["median"] <= s["upper_q"] <= s["max"] <= shown[0]["points_possible"]
    assert all(a["submission"].get("score") is not None for a in shown)  # only once the student's grade is posted
    assert not stats(10002, True)  # the course hides distribution graphs
    assert not stats(10003, True)  # letter-only course: no numbers at all


def test_concluded_courses_listed_like_canvas(sim: Simulator) -> None:
    active, completed = courses(sim, enrollment_state="active"), courses(sim, enrollment_state="completed")
    assert sorted(completed) == list(CONCLUDED_COURSE_IDS) and not set(active) & set(completed)
    assert set(courses(sim)) == set(active)  # Canvas's default list: current enrollments
    for c in completed.values():
        enrollment = c["enrollments"][0]
        assert c["concluded"] is True and enrollment["enrollment_state"] == "completed"
        assert enrollment["computed_final_score"] is not None and enrollment["computed_final_grade"]
        assert c["term"]["end_at"] < "2025-03-10"
    # state[] filters by the course's workflow_state: only the teacher-concluded one is "completed"
    assert sorted(courses(sim, **{"state[]": ["completed"]})) == [10_009]
    both = courses(sim, **{"state[]": ["available", "completed"]})
    assert set(both) == set(active) | set(completed)


def test_conclude_mutation_moves_a_course_to_completed(sim: Simulator) -> None:
    before = courses(sim, enrollment_state="active")[10003]
    r = requests.post(f"{sim.base_url}/__sim/mutate", json={"user": 1, "op": "conclude_course", "course_id": 10003},
                      timeout=5)
    assert r.status_code == 200, r.text
    assert 10003 not in courses(sim, enrollment_state="active")
    done = courses(sim, enrollment_state="completed")[10003]
    assert done["workflow_state"] == "completed" and done["concluded"] is True
    assert done["enrollments"][0]["computed_final_score"] == before["enrollments"][0]["computed_final_score"]
    # its work stays readable, like Canvas's read-only concluded course
    assert get(sim, "/courses/10003/assignment_groups").json()
    bad = requests.post(f"{sim.base_url}/__sim/mutate", json={"user": 1, "op": "conclude_course", "course_id": 1},
                        timeout=5)
    assert bad.status_code == 400


def test_a_course_closed_after_its_end_shows_only_its_id(sim: Simulator) -> None:
    sim.mutate(1, "conclude_course", course_id=10003, restrict_past_view=True)
    assert courses(sim, enrollment_state="completed")[10003] == {"id": 10003, "access_restricted_by_date": True}
    r = requests.get(f"{sim.base_url}/api/v1/courses/10003/assignment_groups",
                     headers={"Authorization": f"Bearer {token_for(1)}"}, timeout=5)
    assert r.status_code == 401 and "www-authenticate" not in r.headers  # not authorized, the token is fine
