"""`python -m canvas grades --user ID --json`: every course (active and archived) with its letter and where it
came from, credits and in_gpa, and the GPA per term and cumulative; bad input exits 2 with one line."""

from __future__ import annotations

import json

from canvas.simulator import token_for

FIELDS = {"course_id", "name", "term", "concluded", "current_score", "final_score", "letter", "letter_source",
          "credits", "in_gpa"}


def synced(cli, sim) -> int:
    out = cli("users", "add", "--base-url", sim.base_url, "--json", env={"CANVAS_TOKEN": token_for(1)})
    assert out.returncode == 0, out.stderr
    user_id = json.loads(out.stdout)["user_id"]
    assert cli("sync", "--user", str(user_id), "--json").returncode == 0
    return user_id


def test_grades_json_lists_active_and_archived_courses_with_gpa(cli, sim, engine) -> None:
    from canvas.simulator.demo import CONCLUDED_COURSE_IDS

    user_id = synced(cli, sim)
    out = cli("grades", "--user", str(user_id), "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    courses = {c["course_id"]: c for c in doc["courses"]}
    assert all(FIELDS <= set(c) for c in courses.values())
    assert set(CONCLUDED_COURSE_IDS) <= set(courses), "archived courses are listed"
    assert all(courses[cid]["concluded"] for cid in CONCLUDED_COURSE_IDS)
    assert sum(not c["concluded"] for c in courses.values()) == 6
    assert {c["letter_source"] for c in courses.values()} <= {"canvas", "course_scheme", "default"}
    assert all(c["credits"] == 1 and c["in_gpa"] is True for c in courses.values()), "defaults before any edit"
    # letter-only (History): letters, no numbers
    history = courses[10_003]
    assert history["letter"] and history["current_score"] is None and history["final_score"] is None
    gpa = doc["gpa"]
    assert gpa["scale"] == "us4" and 0 <= gpa["cumulative"] <= 4
    assert set(gpa["terms"]) == {c["term"] or "No term" for c in courses.values()}


def test_grades_unknown_user_is_a_one_line_error(cli, engine) -> None:
    out = cli("grades", "--user", "999", "--json")
    assert out.returncode == 2
    assert json.loads(out.stdout) == {"error": "no user with id 999"}
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
