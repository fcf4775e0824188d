"""Mutations between syncs: they show up in the dataset, over the API and in the scores."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from canvas.simulator import Simulator, token_for


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(port=0, seed=1) as s:
        yield s


def get(sim: Simulator, path: str, **params) -> requests.Response:
    headers = {"Authorization": f"Bearer {token_for(1)}"}
    return requests.get(f"{sim.base_url}/api/v1{path}", headers=headers, params=params, timeout=5)


def enrollment(sim: Simulator, course_id: int) -> dict:
    courses = get(sim, "/courses", per_page="100", **{"include[]": "total_scores"}).json()
    return next(c for c in courses if c["id"] == course_id)["enrollments"][0]


def graded_feed(sim: Simulator) -> list[dict]:
    r = get(sim, "/users/self/graded_submissions", per_page="100")
    feed = r.json()
    while "next" in r.links:
        r = requests.get(r.links["next"]["url"], headers={"Authorization": f"Bearer {token_for(1)}"}, timeout=5)
        feed.extend(r.json())
    return feed


def find(sim: Simulator, course_id: int, predicate) -> dict:
    groups = sim.dataset(1)["assignment_groups"][course_id]
    return next(a for g in groups for a in g["assignments"] if predicate(a))


def test_grade_changes_submission_scores_and_feed(sim: Simulator) -> None:
    target = find(sim, 10001, lambda a: a["submission"]["workflow_state"] == "unsubmitted" and a["due_at"])
    before = enrollment(sim, 10001)
    sim.mutate(1, "grade", assignment_id=target["id"], score=0)
    after = find(sim, 10001, lambda a: a["id"] == target["id"])["submission"]
    assert after["score"] == 0 and after["workflow_state"] == "graded" and after["posted_at"]
    assert enrollment(sim, 10001)["computed_current_score"] < before["computed_current_score"]
    newest = get(sim, "/users/self/graded_submissions", per_page="1").json()[0]
    assert newest["assignment_id"] == target["id"]


def test_grade_unposted_stays_hidden(sim: Simulator) -> None:
    target = find(sim, 10002, lambda a: a["submission"]["workflow_state"] == "submitted")
    sim.mutate(1, "grade", assignment_id=target["id"], score=4, posted=False)
    sub = find(sim, 10002, lambda a: a["id"] == target["id"])["submission"]
    assert "score" not in sub and sub["posted_at"] is None


def test_post_old_grade_is_behind_the_watermark(sim: Simulator) -> None:
    hidden = next(a for gs in sim.dataset(1)["assignment_groups"].values() for g in gs for a in g["assignments"]
                  if "score" not in a["submission"])
    assert hidden["id"] not in [s["assignment_id"] for s in graded_feed(sim)]
    sim.mutate(1, "post_old_grade", assignment_id=hidden["id"], score=40)
    feed = graded_feed(sim)
    assert feed[-1]["assignment_id"] == hidden["id"]  # newest-first: it sorts last, behind any watermark
    visible = find(sim, hidden["course_id"], lambda a: a["id"] == hidden["id"])["submission"]
    assert visible["score"] == 40 and visible["posted_at"] > visible["graded_at"]


def test_add_and_delete_assignment(sim: Simulator) -> None:
    group_id = sim.dataset(1)["assignment_groups"][10002][0]["id"]
    before = enrollment(sim, 10002)["computed_final_score"]
    new_id = sim.mutate(1, "add_assignment", course_id=10002, group_id=group_id, name="Pop quiz ✓",
                        points_possible=50, due_at="2099-01-01T00:00:00Z")
    listed = get(sim, "/courses/10002/assignments", per_page="100", **{"include[]": "submission"}).json()
    added = next(a for a in listed if a["id"] == new_id)
    assert added["name"] == "Pop quiz ✓" and added["submission"]["workflow_state"] == "unsubmitted"
    assert added["created_at"] == added["updated_at"]
    assert enrollment(sim, 10002)["computed_final_score"] < before  # ungraded counts as 0 in final
    sim.mutate(1, "delete_assignment", assignment_id=new_id)
    assert new_id not in [a["id"] for a in get(sim, "/courses/10002/assignments", per_page="100").json()]
    assert enrollment(sim, 10002)["computed_final_score"] == before


def test_rename_and_drop_course(sim: Simulator) -> None:
    sim.mutate(1, "rename_course", course_id=10003, name="History (renamed)")
    names = {c["id"]: c["name"] for c in get(sim, "/courses").json()}
    assert names[10003] == "History (renamed)"
    sim.mutate(1, "drop_course", course_id=10003)
    assert 10003 not in [c["id"] for c in get(sim, "/courses").json()]
    assert get(sim, "/courses/10003/assignment_groups").status_code == 404
    assert 10003 not in sim.dataset(1)["assignment_groups"]
    feed = get(sim, "/users/self/graded_submissions", per_page="100", **{"include[]": "assignment"}).json()
    assert all(s["assignment"]["course_id"] != 10003 for s in feed)


def test_bad_mutations_are_rejected(sim: Simulator) -> None:
    with pytest.raises(ValueError, match="unknown op"):
        sim.mutate(1, "explode")
    with pytest.raises(ValueError, match="no assignment"):
        sim.mutate(1, "grade", assignment_id=1, score=1)
    with pytest.raises(ValueError):
        sim.mutate(1, "grade", score=1)  # missing assignment_id
    with pytest.raises(ValueError):
        sim.mutate(0, "rename_course", course_id=10001, name="x")


def test_update_assignment_bumps_updated_at(sim: Simulator) -> None:
    target = find(sim, 10001, lambda a: a["due_at"] is not None)
    sim.mutate(1, "update_assignment", assignment_id=target["id"], due_at="2031-05-01T12:00:00Z", name="Moved")
    after = find(sim, 10001, lambda a: a["id"] == target["id"])
    assert after["due_at"] == "2031-05-01T12:00:00Z" and after["name"] == "Moved"
    assert after["updated_at"] > target["updated_at"]
    assert after["submission"]["cached_due_date"] == "2031-05-01T12:00:00Z"
    with pytest.raises(ValueError, match="update_assignment"):
        sim.mutate(1, "update_assignment", assignment_id=target["id"], course_id=5)
