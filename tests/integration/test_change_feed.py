"""The change feed from both sync kinds, on real PostgreSQL with the simulated Canvas over HTTP."""

from __future__ import annotations

from sqlalchemy import text

from canvas.db import changes
from canvas.sync.runner import sync_user_now


def _ungraded(sim) -> dict:
    data = sim.dataset(1)
    return next(a for gs in data["assignment_groups"].values() for g in gs for a in g["assignments"]
                if a.get("submission") and "score" in a["submission"] and a["submission"]["score"] is None
                and a["points_possible"])


def test_recent_refresh_records_a_grade_once_and_the_next_full_sync_does_not_repeat_it(engine, settings, cipher,
                                                                                       sim, add_user) -> None:
    user_id = add_user(sim)
    sync_user_now(engine, settings, user_id, trigger="cli", owner="test", cipher=cipher)
    work = _ungraded(sim)
    sim.mutate(1, "grade", assignment_id=work["id"], score=work["points_possible"])
    sync_user_now(engine, settings, user_id, trigger="cli", owner="test", cipher=cipher, kind="recent")
    with engine.connect() as conn:
        feed = changes.list_changes(conn, user_id)
    assert [(c["kind"], c["assignment_id"], c["after"]) for c in feed] == [
        ("grade_posted", work["id"], work["points_possible"])]
    sync_user_now(engine, settings, user_id, trigger="cli", owner="test", cipher=cipher)
    with engine.connect() as conn:
        kinds = [c["kind"] for c in changes.list_changes(conn, user_id)]
    assert kinds.count("grade_posted") == 1, kinds  # the full sync may add the course score, not the grade again


def test_an_old_grade_made_visible_counts_even_with_an_old_graded_at(engine, settings, cipher, sim,
                                                                      add_user) -> None:
    user_id = add_user(sim)
    sync_user_now(engine, settings, user_id, trigger="cli", owner="test", cipher=cipher)
    work = _ungraded(sim)
    sim.mutate(1, "post_old_grade", assignment_id=work["id"], score=1)
    sync_user_now(engine, settings, user_id, trigger="cli", owner="test", cipher=cipher)
    with engine.connect() as conn:
        feed = changes.list_changes(conn, user_id)
        runs = conn.execute(text("SELECT count(*) FROM sync_runs WHERE outcome = 'success'")).scalar_one()
    assert ("grade_posted", work["id"], 1) in [(c["kind"], c["assignment_id"], c["after"]) for c in feed]
    assert runs == 2
