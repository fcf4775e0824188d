"""`changes --json` end to end: the CLI as a subprocess, the simulated Canvas over HTTP, real PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import text

from canvas.simulator import token_for


def _sync(cli, user_id: int) -> dict:
    res = cli("sync", "--user", str(user_id), "--json")
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def _changes(cli, user_id: int, *extra: str) -> list[dict]:
    res = cli("changes", "--user", str(user_id), "--json", *extra)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)["changes"]


def _assignments(sim) -> list[dict]:
    data = sim.dataset(1)
    return [a for gs in data["assignment_groups"].values() for g in gs for a in g["assignments"]]


def test_first_sync_is_a_baseline_and_a_quiet_resync_adds_nothing(cli, sim, engine) -> None:
    out = cli("users", "add", "--base-url", sim.base_url, "--json", env={"CANVAS_TOKEN": token_for(1)})
    user_id = json.loads(out.stdout)["user_id"]
    _sync(cli, user_id)
    assert _changes(cli, user_id) == []
    again = _sync(cli, user_id)
    assert again["stats"]["rows_written"] == 0
    assert _changes(cli, user_id) == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM change_events")).scalar_one() == 0


def test_changes_lists_grades_due_dates_and_new_work_newest_first(cli, sim, engine) -> None:
    out = cli("users", "add", "--base-url", sim.base_url, "--json", env={"CANVAS_TOKEN": token_for(1)})
    user_id = json.loads(out.stdout)["user_id"]
    _sync(cli, user_id)
    work = _assignments(sim)
    ungraded = next(a for a in work if a.get("submission") and "score" in a["submission"]
                    and a["submission"].get("score") is None and a["points_possible"])
    graded = next(a for a in work if a.get("submission") and a["submission"].get("score") is not None
                  and a["points_possible"] and a["id"] != ungraded["id"])
    moved = next(a for a in work if a.get("due_at") and a["id"] not in (ungraded["id"], graded["id"]))
    sim.mutate(1, "grade", assignment_id=ungraded["id"], score=ungraded["points_possible"] / 2)
    new_score = 0 if graded["submission"]["score"] else graded["points_possible"]
    sim.mutate(1, "grade", assignment_id=graded["id"], score=new_score)
    new_due = (datetime.fromisoformat(moved["due_at"].replace("Z", "+00:00")) + timedelta(days=2))
    sim.mutate(1, "update_assignment", assignment_id=moved["id"], due_at=new_due.isoformat())
    course_id, group_id = graded["course_id"], graded["assignment_group_id"]
    added = sim.mutate(1, "add_assignment", course_id=course_id, group_id=group_id, name="Pop quiz",
                       points_possible=10)
    _sync(cli, user_id)

    changes = _changes(cli, user_id)
    by = {(c["kind"], c["assignment_id"]): c for c in changes}
    posted = by[("grade_posted", ungraded["id"])]
    assert (posted["before"], posted["after"]) == (None, ungraded["points_possible"] / 2)
    assert posted["title"] == ungraded["name"] and posted["course_id"] == ungraded["course_id"]
    changed = by[("grade_changed", graded["id"])]
    assert (changed["before"], changed["after"]) == (graded["submission"]["score"], new_score)
    due = by[("due_date_changed", moved["id"])]
    assert datetime.fromisoformat(due["before"]) == datetime.fromisoformat(moved["due_at"].replace("Z", "+00:00"))
    assert datetime.fromisoformat(due["after"]) == new_due
    assert by[("assignment_added", added)]["title"] == "Pop quiz"
    assert set(changes[0]) >= {"kind", "course_id", "assignment_id", "title", "before", "after", "detected_at"}
    times = [c["detected_at"] for c in changes]
    assert times == sorted(times, reverse=True)

    # a later resync with nothing new adds nothing; --since after the change shows nothing
    _sync(cli, user_id)
    assert len(_changes(cli, user_id)) == len(changes)
    assert _changes(cli, user_id, "--since", "2999-01-01T00:00:00Z") == []
    assert len(_changes(cli, user_id, "--since", "2000-01-01")) == len(changes)


def test_changes_rejects_a_bad_since_in_one_line(cli, sim, engine) -> None:
    out = cli("users", "add", "--base-url", sim.base_url, "--json", env={"CANVAS_TOKEN": token_for(1)})
    user_id = json.loads(out.stdout)["user_id"]
    res = cli("changes", "--user", str(user_id), "--since", "last tuesday")
    assert res.returncode == 2
    assert len(res.stderr.strip().splitlines()) == 1 and "--since" in res.stderr


def test_a_course_that_concludes_is_one_change_and_stays_in_the_archive(cli, sim, engine) -> None:
    out = cli("users", "add", "--base-url", sim.base_url, "--json", env={"CANVAS_TOKEN": token_for(1)})
    user_id = json.loads(out.stdout)["user_id"]
    _sync(cli, user_id)
    course = next(c for c in sim.dataset(1)["courses"] if c["id"] == 10001)
    sim.mutate(1, "conclude_course", course_id=course["id"])
    _sync(cli, user_id)
    found = _changes(cli, user_id)
    concluded = [c for c in found if c["kind"] == "course_concluded"]
    assert [(c["course_id"], c["before"], c["after"]) for c in concluded] == [(course["id"], False, True)]
    assert not [c for c in found if c["kind"] == "assignment_removed"], "archived work is not 'removed'"
    _sync(cli, user_id)
    assert _changes(cli, user_id) == found, "a resync of the archive adds nothing"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT concluded FROM canvas_courses_cache WHERE canvas_id = :c"),
                            {"c": course["id"]}).scalar_one() is True
