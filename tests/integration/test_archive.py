"""The archive of finished terms and the course facts, end to end: the simulated Canvas over HTTP, the
real sync, PostgreSQL. A concluded course stays cached with its work and final grade, is read once
when it concludes and not again; a resync costs at most C_active + 3 requests."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from sqlalchemy import text

from canvas.db import prefs, reads
from canvas.simulator.demo import CONCLUDED_COURSE_IDS
from canvas.sync.runner import sync_user_now

HISTORY = 10003  # a current course of the demo student, concluded by the tests


@pytest.fixture
def sync(engine, settings, cipher):
    def _sync(user_id: int):
        return sync_user_now(engine, settings, user_id, trigger="cli", owner="test", cipher=cipher)

    return _sync


def per_path(sim) -> Counter:
    return Counter(e["path"] for e in sim.stats()["log"])


def cached_course(engine, user_id: int, course_id: int) -> dict | None:
    with engine.connect() as conn:
        row = conn.execute(text("""
            SELECT concluded, final_score, final_grade, workflow_state, term_name,
                   (SELECT count(*) FROM canvas_assignments_cache a
                     WHERE a.user_id = c.user_id AND a.course_id = c.canvas_id) AS assignments,
                   (SELECT count(*) FROM canvas_assignments_cache a WHERE a.user_id = c.user_id
                       AND a.course_id = c.canvas_id AND a.score IS NOT NULL) AS scored
              FROM canvas_courses_cache c WHERE user_id = :u AND canvas_id = :c
        """), {"u": user_id, "c": course_id}).mappings().first()
    return dict(row) if row else None


def canvas_counts(sim, course_id: int) -> tuple[int, dict]:
    data = sim.dataset(1)
    course = next(c for c in data["courses"] if c["id"] == course_id)
    return sum(len(g["assignments"]) for g in data["assignment_groups"][course_id]), course["enrollments"][0]


def test_first_sync_archives_past_terms_with_their_facts(engine, sim, add_user, sync) -> None:
    user_id = add_user(sim)
    sync(user_id)
    with engine.connect() as conn:
        current = reads.courses(conn, user_id=user_id)
        everything = reads.courses(conn, user_id=user_id, include_concluded=True)
        archive = reads.archive(conn, user_id=user_id)
        work = reads.assignments(conn, user_id=user_id)
        inputs = reads.grade_inputs(conn, user_id=user_id, course_id=10004)
    assert sorted(set(everything["course_id"]) - set(current["course_id"])) == list(CONCLUDED_COURSE_IDS)
    assert not current["concluded"].any() and not set(work["course_id"]) & set(CONCLUDED_COURSE_IDS)
    for cid in CONCLUDED_COURSE_IDS:
        row = cached_course(engine, user_id, cid)
        assignments, enrollment = canvas_counts(sim, cid)
        assert row["concluded"] is True and row["assignments"] == assignments and row["scored"] > 0
        assert (float(row["final_score"]), row["final_grade"]) == (enrollment["computed_final_score"],
                                                                   enrollment["computed_final_grade"])
    # the transcript read: current courses first, then newest term first; GPA defaults
    assert list(archive["concluded"]) == [False] * 6 + [True] * 3
    assert list(archive["name"][:6]) == sorted(current["name"])
    past = archive[archive["concluded"]]
    assert list(past["term_name"]) == ["Fall Term (simulated)"] * 2 + ["Spring Term, last year (simulated)"]
    assert (archive["credits"] == 1).all() and archive["in_gpa"].all()
    facts = current.set_index("course_id")
    assert bool(facts.loc[10003, "restrict_quantitative_data"]) and not facts.loc[10001, "restrict_quantitative_data"]
    assert facts.loc[10001, "grading_scheme"][0] == ["A", 0.93]
    assert bool(facts.loc[10004, "points_based"]) and facts.loc[10004, "scaling_factor"] == 4.0
    assert not facts.loc[10002, "letter_grades"] and facts.loc[10001, "letter_grades"]
    # the calculator's raw JSON carries the facts and the class statistics Canvas showed
    assert inputs["course"]["points_based_grading_scheme"] is True and inputs["course"]["term"]["end_at"]
    stats = [a["score_statistics"] for g in inputs["groups"] for a in g["assignments"] if "score_statistics" in a]
    assert stats and {"mean", "min", "max", "lower_q", "median", "upper_q"} == set(stats[0])


def test_a_concluded_course_stays_through_two_resyncs_and_is_read_once(engine, sim, add_user, sync) -> None:
    user_id = add_user(sim)
    sync(user_id)
    active = 6
    assignments, _ = canvas_counts(sim, HISTORY)
    sim.mutate(1, "conclude_course", course_id=HISTORY)
    _, final = canvas_counts(sim, HISTORY)

    sim.reset_stats()
    seen = sync(user_id)
    paths = per_path(sim)
    # profile + active courses + the concluded listing + the five current courses + the newly concluded one
    assert seen.stats["requests"] == sim.stats()["requests"] == (active - 1) + 3 + 1
    assert paths[f"/api/v1/courses/{HISTORY}/assignment_groups"] == 1 and paths["/api/v1/courses"] == 2
    row = cached_course(engine, user_id, HISTORY)
    assert row["concluded"] is True and row["workflow_state"] == "completed" and row["assignments"] == assignments
    assert (float(row["final_score"]), row["final_grade"]) == (final["computed_final_score"],
                                                               final["computed_final_grade"])

    for _ in range(2):
        sim.reset_stats()
        again = sync(user_id)
        paths = per_path(sim)
        assert again.stats["requests"] == (active - 1) + 2, "a steady resync: profile, active courses, one per course"
        assert paths[f"/api/v1/courses/{HISTORY}/assignment_groups"] == 0 and paths["/api/v1/courses"] == 1
        assert again.stats["rows_written"] == 0
        assert cached_course(engine, user_id, HISTORY) == row
        for cid in CONCLUDED_COURSE_IDS:
            assert cached_course(engine, user_id, cid)["concluded"] is True


def test_export_json_marks_concluded_courses(cli, engine, sim, add_user, sync) -> None:
    user_id = add_user(sim)
    sim.mutate(1, "conclude_course", course_id=HISTORY)
    sync(user_id)
    out = cli("export", "--user", str(user_id), "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    courses = {c["id"]: c for c in doc["courses"]}
    grades = {g["course_id"]: g for g in doc["grades"]}
    for cid in (*CONCLUDED_COURSE_IDS, HISTORY):
        assert courses[cid]["concluded"] is True and grades[cid]["concluded"] is True
        assert grades[cid]["final_grade"] == courses[cid]["enrollments"][0]["computed_final_grade"]
    assert grades[HISTORY]["workflow_state"] == "completed" and grades[10_009]["workflow_state"] == "completed"
    assert grades[10_007]["workflow_state"] == "available"  # ended with its term, not by the teacher
    assert grades[10001]["concluded"] is False and courses[10001]["concluded"] is False
    assert {a["course_id"] for a in doc["assignments"]} >= {*CONCLUDED_COURSE_IDS, HISTORY}


def test_failed_sync_after_a_course_concludes_leaves_the_cache_whole(engine, sim, add_user, sync) -> None:
    from canvas import errors

    user_id = add_user(sim)
    sync(user_id)
    before = cached_course(engine, user_id, HISTORY)
    with engine.connect() as conn:
        exported = reads.courses(conn, user_id=user_id, include_concluded=True)
    sim.mutate(1, "conclude_course", course_id=HISTORY)
    sim.set_faults(fail=[{"path": f"/api/v1/courses/{HISTORY}/assignment_groups", "status": 500, "times": None}])
    with pytest.raises(errors.ServerError):
        sync(user_id)
    assert cached_course(engine, user_id, HISTORY) == before and before["concluded"] is False
    with engine.connect() as conn:
        after = reads.courses(conn, user_id=user_id, include_concluded=True)
    assert list(after["course_id"]) == list(exported["course_id"])
    sim.set_faults(clear=True)
    sync(user_id)
    assert cached_course(engine, user_id, HISTORY)["concluded"] is True


def test_a_dropped_course_still_goes_but_the_archive_stays(engine, sim, add_user, sync) -> None:
    user_id = add_user(sim)
    sync(user_id)
    sim.mutate(1, "drop_course", course_id=10002)
    sync(user_id)
    assert cached_course(engine, user_id, 10002) is None  # no longer enrolled: not history
    assert all(cached_course(engine, user_id, cid)["concluded"] for cid in CONCLUDED_COURSE_IDS)


def test_course_prefs_and_gpa_settings_round_trip_and_cascade(engine, sim, add_user, sync) -> None:
    from decimal import Decimal

    from canvas import errors
    from canvas.db import repo

    user_id = add_user(sim)
    sync(user_id)
    with engine.begin() as conn:
        assert prefs.get_course_prefs(conn, user_id) == {}
        assert prefs.get_gpa_settings(conn, user_id) == {"scale": "us4", "custom_table": None}
        assert prefs.set_course_pref(conn, user_id, 10_007, credits=Decimal("3.5")) == {
            "credits": Decimal("3.5"), "in_gpa": True}
        prefs.set_course_pref(conn, user_id, 10_007, in_gpa=False)  # credits kept
        prefs.set_course_pref(conn, user_id, 10001, credits=0)
        prefs.set_gpa_settings(conn, user_id, "custom", {"A": Decimal("4.0"), "B": 3, "F": 0})
    with engine.connect() as conn:
        assert prefs.get_course_prefs(conn, user_id) == {
            10_007: {"credits": Decimal("3.5"), "in_gpa": False}, 10001: {"credits": Decimal(0), "in_gpa": True}}
        assert prefs.get_gpa_settings(conn, user_id) == {"scale": "custom", "custom_table": {"A": 4, "B": 3, "F": 0}}
        row = reads.archive(conn, user_id=user_id).set_index("course_id").loc[10_007]
        assert (row["credits"], bool(row["in_gpa"])) == (3.5, False)
    # the database refuses what the validation (canvas.analysis) must never let through; nothing changes
    with pytest.raises(errors.DatabaseError) as refused, engine.begin() as conn:
        prefs.set_course_pref(conn, user_id, 10001, credits=-1)
    assert "ck_course_prefs_credits" in str(refused.value.__cause__)
    with pytest.raises(errors.DatabaseError) as refused, engine.begin() as conn:
        prefs.set_gpa_settings(conn, user_id, "us5", None)
    assert "ck_gpa_settings_scale" in str(refused.value.__cause__)
    with engine.connect() as conn:
        assert prefs.get_course_prefs(conn, user_id)[10001] == {"credits": Decimal(0), "in_gpa": True}
        assert prefs.get_gpa_settings(conn, user_id)["scale"] == "custom"
    with engine.begin() as conn:
        assert repo.delete_user(conn, user_id=user_id)
        left = conn.execute(text("SELECT (SELECT count(*) FROM course_prefs) + (SELECT count(*) FROM gpa_settings)"))
        assert left.scalar_one() == 0


def test_retention_drops_prefs_of_courses_no_longer_cached(engine, settings, sim, add_user, sync) -> None:
    from canvas.db.retention import Policy, prune

    user_id = add_user(sim)
    sync(user_id)
    with engine.begin() as conn:
        prefs.set_course_pref(conn, user_id, 10002, credits=4)
        prefs.set_course_pref(conn, user_id, 10_008, credits=3)
    sim.mutate(1, "drop_course", course_id=10002)
    sync(user_id)
    assert prune(engine, Policy(), dry_run=True).counts["course_prefs"] == 1
    assert prune(engine, Policy()).counts["course_prefs"] == 1
    with engine.connect() as conn:
        assert list(prefs.get_course_prefs(conn, user_id)) == [10_008]  # the archived course's choice stays


def test_a_course_closed_after_its_end_keeps_what_was_cached(engine, sim, add_user, sync) -> None:
    """Canvas can hide a finished course from the student entirely ("access restricted by date"):
    the cache keeps the course as last seen, marked concluded, instead of losing the student's history."""
    user_id = add_user(sim)
    sync(user_id)
    before = cached_course(engine, user_id, HISTORY)
    sim.mutate(1, "conclude_course", course_id=HISTORY, restrict_past_view=True)
    sim.reset_stats()
    sync(user_id)
    assert per_path(sim)[f"/api/v1/courses/{HISTORY}/assignment_groups"] == 0
    after = cached_course(engine, user_id, HISTORY)
    assert after == {**before, "concluded": True}
    sim.reset_stats()
    assert sync(user_id).stats["rows_written"] == 0 and sim.stats()["requests"] == 5 + 2
    assert cached_course(engine, user_id, HISTORY) == after
