"""The retention rule (canvas.db.retention) against real PostgreSQL: what an operator would notice
after a prune: old history gone, what the pages need still there, one pruner at a time."""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy import Engine

from canvas.db import jobs, reads, repo, retention
from canvas.sync.status import compute_status
from tests.integration.conftest import new_user as make_user
from tests.integration.conftest import run_sql

POLICY = retention.Policy(sync_runs_days=14, sync_runs_per_user=5, score_changes_days=14, score_history_days=100)


def new_user(engine: Engine, k: int) -> int:
    return make_user(engine, k, due_now=False)


def add_runs(engine: Engine, uid: int, hours_ago: list[float], outcome: str = "success", kind: str = "full") -> None:
    """One sync_runs row per age (hours before now), lasting a minute."""
    run_sql(engine, """
        INSERT INTO sync_runs (user_id, trigger, kind, worker, started_at, finished_at, outcome)
        SELECT :u, 'schedule', :kind, 'w1', now() - make_interval(secs => h * 3600),
               CASE WHEN :outcome = 'running' THEN NULL ELSE now() - make_interval(secs => h * 3600 - 60) END,
               :outcome
          FROM unnest(CAST(:hs AS float8[])) h
    """, u=uid, hs=hours_ago, outcome=outcome, kind=kind)


def run_ages(engine: Engine, uid: int) -> list[int]:
    """Ages in whole hours (the test's own runtime must not show)."""
    return [round(h) for h in run_sql(engine, """
        SELECT extract(epoch FROM now() - started_at) / 3600 FROM sync_runs WHERE user_id = :u ORDER BY started_at DESC
    """, u=uid).scalars()]


def test_old_runs_go_but_each_users_last_runs_latest_success_and_running_rows_stay(engine) -> None:
    active, idle, failing = new_user(engine, 1), new_user(engine, 2), new_user(engine, 3)
    add_runs(engine, active, [12 * i + 1 for i in range(60)])  # every 12 h for 30 days
    add_runs(engine, idle, [24 * (60 + i) for i in range(10)])  # nothing for two months
    add_runs(engine, failing, [24 * 40.0])  # last good full sync 40 days ago
    add_runs(engine, failing, [24 * 35.0], kind="recent")  # and grades refreshed 35 days ago
    add_runs(engine, failing, [24 * 30.0], outcome="running")  # a run nobody ever closed
    add_runs(engine, failing, [6 * i + 2 for i in range(100)], outcome="failed")  # failing every 6 h since

    res = retention.prune(engine, POLICY)

    assert res.ran and not res.dry_run
    assert run_ages(engine, active) == [12 * i + 1 for i in range(28)], "the last 14 days stay, older runs go"
    assert run_ages(engine, idle) == [24 * (60 + i) for i in range(5)], "an idle user keeps their last 5 runs"
    kept = run_sql(engine, "SELECT outcome, kind, round(extract(epoch FROM now() - started_at) / 86400) AS days "
                           "FROM sync_runs WHERE user_id = :u AND started_at < now() - interval '14 days' "
                           "ORDER BY started_at", u=failing).all()
    assert [tuple(r) for r in kept] == [("success", "full", 40), ("success", "recent", 35), ("running", "full", 30)]
    assert res.counts["sync_runs"] == (60 - 28) + (10 - 5) + (100 - 56)


def test_a_prune_changes_nothing_the_status_and_sync_pages_show(engine, settings, cipher, sim, add_user) -> None:
    from canvas.sync.runner import sync_user_now

    uid = add_user(sim, 2)
    sync_user_now(engine, settings, uid, trigger="cli", owner="test", cipher=cipher)
    # That good sync becomes 20 days old; every attempt since failed (more of them than the K kept).
    run_sql(engine, "UPDATE sync_runs SET started_at = started_at - interval '20 days', "
                    "finished_at = finished_at - interval '20 days'")
    run_sql(engine, "UPDATE course_score_snapshots SET taken_at = taken_at - interval '20 days'")
    run_sql(engine, "UPDATE sync_jobs SET last_ok_at = NULL")  # status must then fall back on sync_runs
    add_runs(engine, uid, [24 * 30.0 + i for i in range(30)])  # older history, all gone after the prune
    add_runs(engine, uid, [3 * i + 1 for i in range(10)], outcome="failed")

    def views() -> dict[str, Any]:
        with engine.connect() as conn:
            facts = repo.sync_facts(conn, user_id=uid)
            snaps = reads.score_snapshots(conn, user_id=uid)
            return {"status": compute_status(facts, settings.stale_after).as_json(),
                    "last_success": facts["last_success"],
                    "refreshed": reads.grades_refreshed_at(conn, user_id=uid)["refreshed_at"],
                    "latest_run": reads.sync_runs(conn, user_id=uid).iloc[0]["id"],
                    "latest_scores": snaps.groupby("course_id").last()[["current_score", "final_score"]]
                    .to_dict("index")}

    before = views()
    res = retention.prune(engine, POLICY)
    assert res.counts["sync_runs"] == 30
    after = views()
    assert after["status"]["lastSync"] is not None
    for key in ("refreshed", "last_success", "latest_run", "latest_scores"):
        assert after[key] == before[key], key
    assert after["status"] == before["status"]


def snapshot(engine: Engine, uid: int, course: int, day: int, hour: float, score: float) -> None:
    """A snapshot at `hour` (UTC) of the day `day` days before today (UTC)."""
    run_sql(engine, """
        INSERT INTO course_score_snapshots (user_id, course_id, taken_at, current_score, final_score)
        VALUES (:u, :c, date_trunc('day', now(), 'UTC') - make_interval(days => :d) + make_interval(secs => :h * 3600),
                :s, :s)
    """, u=uid, c=course, d=day, h=hour, s=score)


def snapshot_times(engine: Engine, uid: int, course: int) -> list[tuple[int, float]]:
    rows = run_sql(engine, """
        SELECT extract(day FROM date_trunc('day', now(), 'UTC') - date_trunc('day', taken_at, 'UTC')) AS day,
               extract(epoch FROM taken_at - date_trunc('day', taken_at, 'UTC')) / 3600 AS hour
          FROM course_score_snapshots WHERE user_id = :u AND course_id = :c ORDER BY taken_at
    """, u=uid, c=course).all()
    return [(int(r.day), round(float(r.hour), 2)) for r in rows]


def test_snapshots_thinned_to_one_a_day_past_the_window_latest_and_recent_changes_kept(engine) -> None:
    uid = new_user(engine, 1)
    for day, hour in [(150, 9), (120, 9), (120, 18)]:  # past the 100-day history: only a later one matters
        snapshot(engine, uid, 7, day, hour, 50 + hour)
    for hour in (1, 5, 23.5):  # 20 days ago, three changes in one UTC day
        snapshot(engine, uid, 7, 20, hour, 60 + hour)
    snapshot(engine, uid, 7, 19, 12, 70)
    for hour in (1, 2, 3, 4):  # two days ago: recent, every change stays
        snapshot(engine, uid, 7, 2, hour, 80 + hour)
    snapshot(engine, uid, 8, 200, 10, 91)  # a course whose score has not changed for 200 days
    snapshot(engine, uid, 8, 200, 8, 90)

    res = retention.prune(engine, POLICY)

    assert snapshot_times(engine, uid, 7) == [(20, 23.5), (19, 12.0), (2, 1.0), (2, 2.0), (2, 3.0), (2, 4.0)]
    assert snapshot_times(engine, uid, 8) == [(200, 10.0)], "a course's latest snapshot always stays"
    assert res.counts["course_score_snapshots"] == 3 + 2 + 1


def test_dry_run_counts_exactly_what_a_prune_deletes_and_deletes_nothing(engine) -> None:
    uid = new_user(engine, 1)
    add_runs(engine, uid, [24.0 * i + 1 for i in range(40)])
    run_sql(engine, """
        INSERT INTO course_score_snapshots (user_id, course_id, taken_at, current_score)
        SELECT :u, 7, date_trunc('day', now(), 'UTC') - make_interval(days => d, hours => -h), d * 10 + h
          FROM unnest(CAST(:days AS int[])) d, unnest(ARRAY[3, 9, 15]) h
    """, u=uid, days=[*range(1, 11), *range(16, 31)])  # days near the 14-day cut would depend on the hour
    run_sql(engine, "INSERT INTO oauth_states (state_hash, base_url, created_at) VALUES "
                    "('old', 'https://canvas.example.edu', now() - interval '1 hour'), "
                    "('fresh', 'https://canvas.example.edu', now())")
    count = "SELECT (SELECT count(*) FROM sync_runs) + (SELECT count(*) FROM course_score_snapshots) " \
            "+ (SELECT count(*) FROM oauth_states)"
    rows_before = run_sql(engine, count).scalar_one()

    dry = retention.prune(engine, POLICY, dry_run=True)

    assert dry.dry_run and run_sql(engine, count).scalar_one() == rows_before
    real = retention.prune(engine, POLICY)
    assert dry.counts == real.counts
    assert real.counts["sync_runs"] == 40 - 14 and real.counts["course_score_snapshots"] == 2 * 15
    assert real.counts["oauth_states"] == 1
    assert run_sql(engine, count).scalar_one() == rows_before - real.total


def test_deletes_go_in_small_batches_and_nothing_deletable_is_left(engine) -> None:
    uid = new_user(engine, 1)
    add_runs(engine, uid, [24 * 20 + i for i in range(53)])
    add_runs(engine, uid, [1.0])
    res = retention.prune(engine, retention.Policy(sync_runs_days=14, sync_runs_per_user=1), batch_size=7)
    assert res.counts["sync_runs"] == 53
    assert run_ages(engine, uid) == [1]
    again = retention.prune(engine, retention.Policy(sync_runs_days=14, sync_runs_per_user=1), batch_size=7)
    assert again.total == 0


def test_stale_oauth_states_and_long_silent_workers_go(engine) -> None:
    run_sql(engine, "INSERT INTO oauth_states (state_hash, base_url, created_at) VALUES "
                    "('expired', 'https://canvas.example.edu', now() - interval '16 minutes'), "
                    "('pending', 'https://canvas.example.edu', now() - interval '5 minutes')")
    with engine.begin() as conn:
        for wid in ("gone", "quiet", "alive"):
            jobs.beat(conn, worker_id=wid, host="h", pid=1, current_user=None)
    run_sql(engine, "UPDATE worker_heartbeats SET last_beat = now() - interval '8 days' WHERE worker_id = 'gone'")
    run_sql(engine, "UPDATE worker_heartbeats SET last_beat = now() - interval '6 days' WHERE worker_id = 'quiet'")

    res = retention.prune(engine, POLICY)

    assert run_sql(engine, "SELECT state_hash FROM oauth_states").scalars().all() == ["pending"]
    assert sorted(run_sql(engine, "SELECT worker_id FROM worker_heartbeats").scalars()) == ["alive", "quiet"]
    assert res.counts["oauth_states"] == 1 and res.counts["worker_heartbeats"] == 1


def test_two_concurrent_prunes_do_not_both_run(engine, monkeypatch) -> None:
    uid = new_user(engine, 1)
    add_runs(engine, uid, [24 * 20 + i for i in range(30)])
    inside, release = threading.Event(), threading.Event()
    real = retention._delete_batches

    def slow(*args: Any, **kw: Any) -> int:
        inside.set()
        release.wait(10)
        return real(*args, **kw)

    monkeypatch.setattr(retention, "_delete_batches", slow)
    first: list[retention.PruneResult] = []
    t = threading.Thread(target=lambda: first.append(retention.prune(engine, POLICY)))
    t.start()
    try:
        assert inside.wait(10)
        second = retention.prune(engine, POLICY)
    finally:
        release.set()
        t.join(10)
    assert second.ran is False and second.total == 0
    assert first[0].ran is True and first[0].counts["sync_runs"] == 25
    third = retention.prune(engine, POLICY)  # the lock was given back
    assert third.ran is True and third.total == 0


def test_the_worker_prunes_in_the_background_and_logs_one_line(engine, settings, caplog) -> None:
    from canvas.worker import Worker, WorkerOptions

    uid = new_user(engine, 1)
    run_sql(engine, "UPDATE users SET token_ciphertext = NULL")  # nothing to sync: only the prune runs
    add_runs(engine, uid, [24 * 30 + i for i in range(40)])
    stop = threading.Event()
    worker = Worker(engine, settings, WorkerOptions(retention_delay=0.2, poll_seconds=0.5), stop=stop)
    caplog.set_level(logging.INFO, logger="canvas.worker")
    t = threading.Thread(target=worker.run)
    t.start()
    try:
        for _ in range(200):
            if "Retention: deleted" in caplog.text:
                break
            stop.wait(0.05)
    finally:
        stop.set()
        t.join(30)
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Retention")]
    assert len(lines) == 1 and "20 sync_runs" in lines[0], lines
    assert len(run_ages(engine, uid)) == 20  # the default keeps a user's last 20 runs
