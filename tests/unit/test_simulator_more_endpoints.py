"""The per-item endpoints a typical canvasapi script calls, over real HTTP: a single assignment,
a single submission (``submissions/self``) and the course enrollments with the student's grades."""

from __future__ import annotations

import warnings

import pytest
import requests

from canvas.simulator import Simulator, token_for
from canvas.simulator.api import NOT_FOUND, UNAUTHORIZED

AUTH = {"Authorization": f"Bearer {token_for(1)}"}
BIG_COURSE = 10004  # student 1's 260-assignment course



def get(anchored_sim: Simulator, path: str, **params) -> requests.Response:
    return requests.get(f"{anchored_sim.base_url}/api/v1{path}", headers=AUTH, params=params, timeout=5)


def embedded(demo: dict) -> list[dict]:
    """Every assignment with its submission, as assignment_groups embeds them."""
    return [a for gs in demo["assignment_groups"].values() for g in gs for a in g["assignments"]]


def test_single_submission_is_the_embedded_one_for_self_and_own_id(anchored_sim: Simulator, demo: dict) -> None:
    for a in embedded(demo)[:25]:
        r = get(anchored_sim, f"/courses/{a['course_id']}/assignments/{a['id']}/submissions/self")
        assert r.status_code == 200, r.text
        assert r.json() == a["submission"]
    a = embedded(demo)[0]
    me = anchored_sim.canvas_user_id(1)
    own = get(anchored_sim, f"/courses/{a['course_id']}/assignments/{a['id']}/submissions/{me}")
    assert own.json() == a["submission"]


def test_single_submission_hides_an_unposted_grade_by_removing_the_keys(anchored_sim: Simulator, demo: dict) -> None:
    hidden = [a for a in embedded(demo) if "score" not in a["submission"]]
    assert hidden, "the demo student has an unposted grade"
    a = hidden[0]
    body = get(anchored_sim, f"/courses/{a['course_id']}/assignments/{a['id']}/submissions/self").json()
    assert "score" not in body and "grade" not in body and body["workflow_state"] == "graded"


def test_single_submission_errors_like_canvas(anchored_sim: Simulator, demo: dict) -> None:
    a = embedded(demo)[0]
    other_course = next(c["id"] for c in demo["courses"] if c["id"] != a["course_id"])
    cases = [
        (f"/courses/{a['course_id']}/assignments/999999999/submissions/self", 404, NOT_FOUND),
        (f"/courses/{other_course}/assignments/{a['id']}/submissions/self", 404, NOT_FOUND),
        (f"/courses/123/assignments/{a['id']}/submissions/self", 404, NOT_FOUND),
        (f"/courses/{a['course_id']}/assignments/{a['id']}/submissions/100002", 401, UNAUTHORIZED),
    ]
    for path, status, body in cases:
        r = get(anchored_sim, path)
        assert (r.status_code, r.json()) == (status, body), path


def test_single_assignment_with_and_without_the_submission(anchored_sim: Simulator, demo: dict) -> None:
    a = embedded(demo)[3]
    path = f"/courses/{a['course_id']}/assignments/{a['id']}"
    assert get(anchored_sim, path, **{"include[]": ["submission", "score_statistics"]}).json() == a
    plain = get(anchored_sim, path).json()
    assert "submission" not in plain and plain == {k: v for k, v in a.items()
                                                   if k not in ("submission", "score_statistics")}
    assert get(anchored_sim, f"/courses/{a['course_id']}/assignments/1").status_code == 404


def test_enrollments_carry_the_courses_scores_as_grades(anchored_sim: Simulator, demo: dict) -> None:
    shown = 0
    for course in demo["courses"]:
        r = get(anchored_sim, f"/courses/{course['id']}/enrollments", user_id="self")
        assert r.status_code == 200
        (enr,) = r.json()
        state = "completed" if course["concluded"] else "active"
        assert (enr["type"], enr["enrollment_state"], enr["course_id"]) == ("StudentEnrollment", state, course["id"])
        assert enr["user_id"] == anchored_sim.canvas_user_id(1) and enr["user"]["id"] == enr["user_id"]
        scores = course["enrollments"][0]
        grades = enr["grades"]
        assert grades["html_url"].endswith(f"/courses/{course['id']}/grades/{enr['user_id']}")
        if course["hide_final_grades"]:
            assert set(grades) == {"html_url"}  # Canvas: no grade permission for the student then
            continue
        shown += 1
        for key in ("current_score", "final_score", "current_grade", "final_grade"):
            assert grades[key] == scores[f"computed_{key}"], (course["id"], key)
    assert shown >= 4


def test_enrollment_filters_and_paging(anchored_sim: Simulator) -> None:
    path = f"/courses/{BIG_COURSE}/enrollments"
    r = get(anchored_sim, path)
    assert len(r.json()) == 1 and set(r.links) == {"current", "first"}  # paginated, one page
    assert len(get(anchored_sim, path, user_id=str(anchored_sim.canvas_user_id(1))).json()) == 1
    assert len(get(anchored_sim, path, **{"type[]": ["StudentEnrollment", "TeacherEnrollment"]}).json()) == 1
    assert get(anchored_sim, path, user_id="100002").json() == []
    assert get(anchored_sim, path, **{"type[]": "TeacherEnrollment"}).json() == []
    assert get(anchored_sim, path, **{"state[]": "completed"}).json() == []
    assert get(anchored_sim, "/courses/123/enrollments").status_code == 404


def test_a_typical_canvasapi_script_reads_everything() -> None:
    canvasapi = pytest.importorskip("canvasapi")  # installed for the benchmarks (bench/requirements.txt)
    with Simulator(port=0, seed=1, courses_per_user=2) as small:  # canvasapi parses every field: keep it small
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "use HTTPS": the simulator is plain HTTP on loopback
            canvas = canvasapi.Canvas(small.base_url, token_for(2))
        want = {a["id"]: a["submission"] for a in embedded(small.dataset(2))}
        got: dict[int, dict] = {}
        for course in canvas.get_courses():
            for a in course.get_assignments(per_page=7):  # several pages: canvasapi follows the link header
                got[a.id] = a.get_submission("self").__dict__
            assert list(course.get_assignment_groups())
            (enr,) = course.get_enrollments(user_id="self")
            assert enr.grades["html_url"] and enr.course_id == course.id
        assert set(got) == set(want)
        assert all(got[i]["workflow_state"] == want[i]["workflow_state"] for i in want)
