"""The data path end to end: the CLI as a subprocess, the simulated Canvas over HTTP, real PostgreSQL."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from canvas.simulator import token_for


def add(cli, sim, n: int = 1):
    return cli("users", "add", "--base-url", sim.base_url, "--json", env={"CANVAS_TOKEN": token_for(n)})


def synced(cli, sim, n: int = 1) -> int:
    out = add(cli, sim, n)
    assert out.returncode == 0, out.stderr
    user_id = json.loads(out.stdout)["user_id"]
    res = cli("sync", "--user", str(user_id), "--json")
    assert res.returncode == 0, res.stderr
    return user_id


def export(cli, user_id: int) -> dict:
    out = cli("export", "--user", str(user_id), "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_users_add_checks_token_and_prints_one_json(cli, sim, engine) -> None:
    out = add(cli, sim)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    profile = sim.dataset(1)["profile"]
    assert doc == {"user_id": 1, "canvas_user_id": profile["id"], "name": profile["name"]}
    listed = json.loads(cli("users", "list", "--json").stdout)["users"]
    assert [u["name"] for u in listed] == [profile["name"]]


def test_bad_token_stores_nothing(cli, sim, engine) -> None:
    out = cli("users", "add", "--base-url", sim.base_url, "--json", env={"CANVAS_TOKEN": "not-a-real-token"})
    assert out.returncode == 1
    assert "Invalid access token." in out.stderr
    assert "Traceback" not in out.stderr
    assert json.loads(out.stdout) == {"error": json.loads(out.stdout)["error"]}
    assert json.loads(cli("users", "list", "--json").stdout)["users"] == []


def test_token_from_stdin(cli, sim, engine) -> None:
    out = cli("users", "add", "--base-url", sim.base_url, "--json", input=token_for(1) + "\n")
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize("url", ["ftp://canvas.example", "https://user:pw@canvas.example", "http://10.1.2.3"])
def test_refused_url_exits_2_with_one_line(cli, sim, engine, url: str) -> None:
    out = cli("users", "add", "--base-url", url, env={"CANVAS_TOKEN": token_for(1)})
    assert out.returncode == 2
    assert len(out.stderr.strip().splitlines()) == 1
    assert sim.stats()["requests"] == 0


def course_facts_asked(log: list[dict]) -> None:
    """The plan asks for the course facts on the requests it makes anyway (no request of its own)."""
    listings = [{v for k, v in e["query"] if k == "include[]"} for e in log if e["path"] == "/api/v1/courses"]
    assert listings and all({"grading_scheme", "restrict_quantitative_data"} <= asked for asked in listings)
    groups = [e for e in log if e["path"].endswith("/assignment_groups")]
    assert groups and all(["include[]", "score_statistics"] in e["query"] for e in groups)


def test_full_sync_equals_canvas_and_costs_c_plus_2_requests(cli, sim, engine) -> None:
    user_id = json.loads(add(cli, sim).stdout)["user_id"]
    sim.reset_stats()
    res = cli("sync", "--user", str(user_id), "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    data = sim.dataset(1)
    courses = data["courses"]  # current and concluded: the first sync reads the archive once
    current = [c for c in courses if not c["concluded"]]
    expected_assignments = [a for cid in data["assignment_groups"] for g in data["assignment_groups"][cid]
                            for a in g["assignments"]]
    assert doc["success"] is True
    assert doc["stats"]["courses"] == len(courses)
    assert doc["stats"]["assignments"] == len(expected_assignments)
    # profile + the active /courses page + the concluded listing (never read before) + one
    # assignment_groups call per course (per_page=100)
    assert sim.stats()["requests"] == len(courses) + 3 == doc["stats"]["requests"]
    course_facts_asked(sim.stats()["log"])
    # a full sync after that is C + 2 again: profile, active courses, one call per current course
    sim.reset_stats()
    again = json.loads(cli("sync", "--user", str(user_id), "--json").stdout)
    assert sim.stats()["requests"] == len(current) + 2 == again["stats"]["requests"]
    course_facts_asked(sim.stats()["log"])
    for line in ("Starting Canvas data sync...", "Syncing courses...", f"Cached {len(courses)} courses",
                 "Syncing assignments...", f"Cached {len(expected_assignments)} assignments",
                 "Sync completed successfully!"):
        assert line in res.stderr

    exported = export(cli, user_id)
    assert sorted(c["id"] for c in exported["courses"]) == sorted(c["id"] for c in courses)
    assert {c["id"]: c["name"] for c in exported["courses"]} == {c["id"]: c["name"] for c in courses}
    by_id = {a["id"]: a for a in expected_assignments}
    assert len(exported["assignments"]) == len(by_id)
    for a in exported["assignments"]:
        assert a["submission"] == by_id[a["id"]].get("submission")
        assert (a["name"], a["due_at"], a["points_possible"]) == (by_id[a["id"]]["name"], by_id[a["id"]]["due_at"],
                                                                  by_id[a["id"]]["points_possible"])
    big = max(data["assignment_groups"].values(), key=lambda gs: sum(len(g["assignments"]) for g in gs))
    assert sum(len(g["assignments"]) for g in big) > 250
    grades = {g["course_id"]: g for g in exported["grades"]}
    for c in courses:
        enrollment = next(e for e in c["enrollments"] if e["type"] == "student")
        assert grades[c["id"]]["current_score"] == enrollment.get("computed_current_score")
        assert grades[c["id"]]["hidden"] is ("computed_current_score" not in enrollment)


def test_resync_unchanged_writes_nothing_then_picks_up_a_change(cli, sim, engine) -> None:
    user_id = synced(cli, sim)

    def user_row() -> tuple:
        with engine.connect() as conn:
            return tuple(conn.execute(text("SELECT data_version, xmin::text FROM users WHERE id = :u"),
                                      {"u": user_id}).one())

    before = user_row()
    again = json.loads(cli("sync", "--user", str(user_id), "--json").stdout)
    assert again["stats"]["rows_written"] == 0
    assert user_row() == before, "nothing new: the data version (the pages' cache key) and the row stay"
    data = sim.dataset(1)
    target = next(a for gs in data["assignment_groups"].values() for g in gs for a in g["assignments"]
                  if a.get("submission") and a["submission"].get("score") is None
                  and "score" in a["submission"] and a["points_possible"])
    sim.mutate(1, "grade", assignment_id=target["id"], score=target["points_possible"] / 2)
    changed = json.loads(cli("sync", "--user", str(user_id), "--json").stdout)
    assert changed["stats"]["rows_written"] >= 1
    assert user_row()[0] == before[0] + 1, "a change moves the data version, so the pages show it"
    after = {a["id"]: a for a in export(cli, user_id)["assignments"]}
    assert after[target["id"]]["submission"]["score"] == target["points_possible"] / 2


def test_failing_page_beyond_retry_budget_keeps_old_cache(cli, sim, engine) -> None:
    user_id = synced(cli, sim)
    before = export(cli, user_id)
    course_id = before["courses"][0]["id"]
    sim.set_faults(fail=[{"path": f"/api/v1/courses/{course_id}/assignment_groups", "status": 500, "times": None}])
    sim.mutate(1, "rename_course", course_id=course_id, name="Renamed while failing")
    res = cli("sync", "--user", str(user_id), "--json")
    assert res.returncode == 1
    assert json.loads(res.stdout)["success"] is False
    assert "Traceback" not in res.stderr
    assert export(cli, user_id) == before  # nothing half-written
    with engine.connect() as conn:
        outcome = conn.execute(text("SELECT outcome, error_class FROM sync_runs ORDER BY id DESC LIMIT 1")).one()
    assert tuple(outcome) == ("failed", "ServerError")


def test_revoked_token_fails_fast_with_canvas_message(cli, sim, engine) -> None:
    user_id = synced(cli, sim)
    sim.set_faults(revoke=[1])
    sim.reset_stats()
    res = cli("sync", "--user", str(user_id), "--json")
    assert res.returncode == 1
    assert "Revoked access token." in json.loads(res.stdout)["error"]
    assert "Traceback" not in res.stderr
    assert sim.stats()["requests"] == 1  # a dead token is never retried
    status = json.loads(cli("status", "--user", str(user_id), "--json").stdout)
    assert status["state"] == "error" and "Settings" in status["error"]
    assert status["cached"]["courses"] > 0  # the old cache is still served


def test_throttled_sync_completes(cli, sim, engine) -> None:
    user_id = json.loads(add(cli, sim).stdout)["user_id"]
    # A small bucket: the third of three overlapping requests pre-charges past the high-water mark.
    sim.set_faults(throttle={"up_front": 250, "status": 429}, latency_ms=150)
    res = cli("sync", "--user", str(user_id), "--json", env={"CANVAS_SYNC_MAX_RETRIES": "8"})
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["stats"]["throttled"] > 0
    assert doc["stats"]["courses"] == len(sim.dataset(1)["courses"])


def test_status_before_and_after_sync(cli, sim, engine) -> None:
    user_id = json.loads(add(cli, sim).stdout)["user_id"]
    before = json.loads(cli("status", "--user", str(user_id), "--json").stdout)
    assert before == {"lastSync": None, "needsSync": True, "cached": {"courses": 0, "assignments": 0},
                      "state": "never_synced", "error": None}
    cli("sync", "--user", str(user_id), "--json")
    after = json.loads(cli("status", "--user", str(user_id), "--json").stdout)
    assert after["state"] == "up_to_date" and after["needsSync"] is False and after["lastSync"]
    assert after["cached"]["courses"] == len(sim.dataset(1)["courses"])


def test_unknown_user_is_bad_input(cli, engine) -> None:
    for args in (["sync", "--user", "999"], ["status", "--user", "999"], ["export", "--user", "999", "--json"]):
        out = cli(*args)
        assert out.returncode == 2, args
        assert "no user with id 999" in out.stderr


def test_bad_setting_exits_2_naming_it(cli, engine) -> None:
    out = cli("users", "list", env={"CANVAS_SYNC_BATCH_SIZE": "lots"})
    assert out.returncode == 2
    assert "CANVAS_SYNC_BATCH_SIZE" in out.stderr


def test_token_never_stored_or_logged(cli, sim, engine) -> None:
    user_id = synced(cli, sim)
    res = cli("sync", "--user", str(user_id), "--json", env={"CANVAS_LOG_LEVEL": "DEBUG"})
    assert token_for(1) not in res.stdout + res.stderr
    with engine.connect() as conn:
        dump = conn.execute(text("SELECT string_agg(t::text, '') FROM users t")).scalar_one()
        runs = conn.execute(text("SELECT string_agg(t::text, '') FROM sync_runs t")).scalar_one()
    assert token_for(1) not in dump and token_for(1) not in runs


@pytest.mark.parametrize("status", [401, 403, 404])
def test_one_unreadable_course_is_skipped_and_recorded(cli, sim, engine, status: int) -> None:
    user_id = synced(cli, sim)
    before = {a["id"] for a in export(cli, user_id)["assignments"] if a["course_id"] == 10002}
    sim.set_faults(forbid_courses={10002: status})
    res = cli("sync", "--user", str(user_id), "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["stats"]["skipped"] == [
        {"course_id": 10002, "status": status, "error": "NotFoundError" if status == 404 else "ForbiddenError"}]
    after = export(cli, user_id)
    # The skipped course keeps its last known assignments; the token stays valid.
    assert {a["id"] for a in after["assignments"] if a["course_id"] == 10002} == before
    assert json.loads(cli("status", "--user", str(user_id), "--json").stdout)["state"] == "up_to_date"
