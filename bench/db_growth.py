"""Section 6 of issue 7: database growth after N users, after 30 days of hourly syncs, and bounded by retention.

    python -m bench.db_growth [--smoke]

Uses the worker-scale benchmark's database when it hands one over (ctx.shared["scale_db"]), else
syncs N simulated users once in this process. The 30 days of history are then written with SQL in
the shape real syncs leave (no 720,000 real syncs), and the real retention code prunes them.
"""

from __future__ import annotations

import math
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from bench.common import Context, Section, table
from canvas.db import retention

TABLES = ["sync_runs", "course_score_snapshots", "canvas_assignments_cache", "canvas_assignment_groups_cache",
          "canvas_courses_cache", "users", "sync_jobs", "oauth_states", "worker_heartbeats"]
FAIL_RATE = 0.01  # share of history runs that fail (a Canvas timeout): their rows carry an error text
GRADE_WINDOW_DAYS = 60  # the simulator's graded work lies in the 70 days before now; measure the rate on 60


def run(ctx: Context) -> Section:
    from canvas.db.engine import get_engine

    days = 2 if ctx.smoke else 30
    shared = ctx.shared.get("scale_db")
    step = _Steps()
    if isinstance(shared, dict) and shared.get("url"):
        url, users, source = shared["url"], int(shared["users"]), "the worker-scale benchmark's database"
        settings = ctx.settings(url)
        engine = get_engine(settings)
    else:
        users = 20 if ctx.smoke else 1000
        url = ctx.database()
        settings = ctx.settings(url)
        engine = get_engine(settings)
        synced = _populate(engine, settings, users)
        source = (f"{users} simulated users synced once in this process" if synced == users
                  else f"{users} simulated users, {synced} of them synced (the rest failed 3 times)")
    fig: dict[str, Any] = {"users": users, "days": days, "populate_s": step("populate")}

    _vacuum(engine, full=False)
    initial = _sizes(engine)
    rate = _grading_rate(engine)
    fig["changes_per_course_day"] = round(rate, 3)
    step("measure")
    fig["vacuum_days"] = _simulate_history(engine, days=days, rate=rate)
    fig["history_s"] = step("history")
    _vacuum(engine, full=False)
    grown = _sizes(engine)
    fig.update(sweep_ms=_sweep_ms(engine), fk_ms=_fk_delete_ms(engine))
    step("measure")

    policy = retention.Policy.from_settings(settings)
    res = retention.prune(engine, policy)
    fig.update(prune_s=step("prune"), prune_counts=res.counts)
    _vacuum(engine, full=False)
    files_after = _sizes(engine)  # plain VACUUM: files keep their high-water mark, the space is reused
    fig["hourly_prune"] = _next_hour_prune(engine, policy)
    _vacuum(engine, full=True)
    pruned = _sizes(engine)
    ok = _bounded(engine, policy, users)
    step("measure")
    fig.update(initial=initial, grown=grown, pruned=pruned)
    # hand the retention rule's steady-state history per user to the school model (bench.school_scale)
    body = _body(initial, grown, pruned, files_after, policy, fig, users, days, source)
    ctx.shared["history_mb_per_user"] = fig["projection"]["every 2 h (default interval)"]["history_mb"] / users
    return Section(title="Database growth: 1,000 users, 30 days of hourly syncs, and the retention rule",
                   target="table and index sizes after 1,000 users and after 30 days of simulated hourly syncs "
                          "(score history included), with the retention rule that keeps it bounded",
                   body=body, notes=_notes(policy, rate, days, fig), ok=ok, figures=fig)


class _Steps:
    """Seconds since the previous call, logged on stderr (a full run takes minutes)."""

    def __init__(self) -> None:
        self._t = time.perf_counter()

    def __call__(self, name: str) -> float:
        now = time.perf_counter()
        took, self._t = now - self._t, now
        print(f"   db_growth: {name} {took:.1f} s", file=sys.stderr, flush=True)
        return round(took, 1)


# -- populate: N users synced once ------------------------------------------------------------------------
def _populate(engine: Engine, settings: Any, count: int) -> int:
    """Store `count` simulated students as connected users and sync each once; how many synced."""
    from bench.worker_scale import add_users
    from canvas.crypto import TokenCipher
    from canvas.simulator import Simulator
    from canvas.sync.runner import sync_user_now

    cipher = TokenCipher.from_settings(settings)
    with Simulator(port=0, seed=1, latency_ms=0, courses_per_user=8, max_users=count + 1) as sim:
        ids = add_users(engine, settings, sim, count)

        done = []

        def one(uid: int) -> bool:
            for attempt in range(3):
                try:
                    sync_user_now(engine, settings, uid, trigger="schedule", owner="bench", cipher=cipher)
                    break
                except Exception:  # a timeout on a starved machine: the next attempt usually works
                    if attempt == 2:
                        return False
            done.append(uid)
            if len(done) % 100 == 0:
                print(f"   db_growth: {len(done)} users synced", file=sys.stderr, flush=True)
            return True

        with ThreadPoolExecutor(max_workers=4) as pool:  # the shared engine pools 10 connections
            return sum(pool.map(one, ids))


# -- 30 days of history ---------------------------------------------------------------------------------
def _grading_rate(engine: Engine) -> float:
    """Score changes per course per day: the simulator's graded work per course over recent weeks."""
    with engine.connect() as conn:
        graded, courses = conn.execute(text("""
            SELECT (SELECT count(*) FROM canvas_assignments_cache
                     WHERE graded_at > now() - make_interval(days => :d) AND graded_at <= now()),
                   (SELECT count(*) FROM canvas_courses_cache)
        """), {"d": GRADE_WINDOW_DAYS}).one()
    return graded / max(1, courses) / GRADE_WINDOW_DAYS


def _simulate_history(engine: Engine, *, days: int, rate: float) -> list[dict[str, dict[str, int]]]:
    """Hourly runs for `days` before each user's real sync (its row copied, an hour apart), a score
    snapshot whenever a course's score changed (each course-hour with probability rate/24), and per
    day the cache rows a day of syncs rewrites, then a plain VACUUM (what autovacuum does)."""
    hours = days * 24
    with engine.begin() as conn:
        conn.execute(text("SELECT setseed(0.42)"))
        base = conn.execute(text("SELECT coalesce(max(id), 0) FROM sync_runs")).scalar_one()
        conn.execute(text("""
            INSERT INTO sync_runs (user_id, trigger, kind, worker, started_at, finished_at, outcome, courses,
                                   assignments, requests, bytes, throttled, retries, rows_written, skipped,
                                   error_class, error_message)
            SELECT r.user_id, r.trigger, r.kind, r.worker, r.started_at - make_interval(hours => h),
                   r.finished_at - make_interval(hours => h), CASE WHEN f THEN 'failed' ELSE 'success' END,
                   CASE WHEN f THEN NULL ELSE r.courses END, CASE WHEN f THEN NULL ELSE r.assignments END,
                   r.requests, r.bytes, r.throttled, r.retries, 0, r.skipped,
                   CASE WHEN f THEN 'TransportError' END,
                   CASE WHEN f THEN 'Canvas did not answer within 30 s (read timeout) on /api/v1/courses' END
              FROM (SELECT DISTINCT ON (user_id) * FROM sync_runs WHERE outcome = 'success'
                     ORDER BY user_id, started_at DESC) r
             CROSS JOIN generate_series(:hours, 1, -1) h
             CROSS JOIN LATERAL (SELECT random() < :fail AS f) x
             ORDER BY h DESC, r.user_id
        """), {"hours": hours, "fail": FAIL_RATE})
        # The first sync of the period records every course; later ones only changed scores.
        conn.execute(text("""
            INSERT INTO course_score_snapshots (user_id, course_id, sync_run_id, taken_at, current_score,
                                                final_score, current_grade, final_grade)
            SELECT c.user_id, c.canvas_id, r.id, r.finished_at,
                   round(coalesce(c.current_score, 80) + (random() * 6 - 3)::numeric, 2),
                   round(coalesce(c.final_score, 70) + (random() * 6 - 3)::numeric, 2), c.current_grade, c.final_grade
              FROM sync_runs r
              JOIN (SELECT user_id, min(id) AS first_id FROM sync_runs WHERE id > :base GROUP BY user_id) m
                ON m.user_id = r.user_id
              JOIN canvas_courses_cache c ON c.user_id = r.user_id
             WHERE r.id > :base AND r.outcome = 'success' AND (r.id = m.first_id OR random() < :p)
             ORDER BY r.id, c.canvas_id
        """), {"base": base, "p": rate / 24})
    daily = []
    for _ in range(days):
        with engine.begin() as conn:
            conn.execute(text("UPDATE users SET data_version = data_version + 24, updated_at = now()"))
            conn.execute(text("UPDATE sync_jobs SET fence = fence + 72, last_ok_at = now(), last_try_at = now()"))
            conn.execute(text("""
                UPDATE canvas_courses_cache SET current_score = current_score, synced_at = now(),
                       content_hash = md5(content_hash) WHERE random() < :p
            """), {"p": 1 - math.exp(-rate)})
            conn.execute(text("""
                UPDATE canvas_assignments_cache
                   SET score = score, graded_at = now(), synced_at = now(), content_hash = md5(content_hash),
                       raw = jsonb_set(raw, '{submission,graded_at}', to_jsonb(now()::text), true)
                 WHERE random() < :q
            """), {"q": rate * _courses_per_assignment(conn)})
        daily.append(_dead_rows(engine))  # what the day left for (auto)vacuum
        _vacuum(engine, full=False, tables=["users", "sync_jobs", "canvas_courses_cache", "canvas_assignments_cache"])
    return daily


def _dead_rows(engine: Engine) -> dict[str, dict[str, int]]:
    """pg_stat_user_tables per table: dead row versions now, and (auto)vacuum runs so far."""
    time.sleep(1.1)  # backends flush their statistics at most once a second
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_stat_clear_snapshot()"))
        rows = conn.execute(text("""
            SELECT relname, n_live_tup, n_dead_tup, autovacuum_count, vacuum_count
              FROM pg_stat_user_tables WHERE relname = ANY(:t)"""), {"t": TABLES}).mappings().all()
    return {r["relname"]: {k: int(v) for k, v in r.items() if k != "relname"} for r in rows}


def _courses_per_assignment(conn: Any) -> float:
    courses, assignments = conn.execute(text(
        "SELECT (SELECT count(*) FROM canvas_courses_cache), (SELECT count(*) FROM canvas_assignments_cache)")).one()
    return courses / max(1, assignments)


def _next_hour_prune(engine: Engine, policy: Any) -> dict[str, Any]:
    """The steady state's hourly prune: one hour of runs crosses the window."""
    with engine.begin() as conn:
        conn.execute(text("""
            INSERT INTO sync_runs (user_id, trigger, kind, worker, started_at, finished_at, outcome, courses,
                                   assignments, requests, bytes, skipped)
            SELECT DISTINCT ON (user_id) user_id, trigger, kind, worker,
                   now() - make_interval(days => :d, mins => 30), now() - make_interval(days => :d, mins => 29),
                   'success', courses, assignments, requests, bytes, skipped
              FROM sync_runs WHERE outcome = 'success' ORDER BY user_id, started_at DESC
        """), {"d": policy.sync_runs_days})
    res = retention.prune(engine, policy)
    return {"seconds": round(res.seconds, 2), "deleted": res.total}


# -- measurements ---------------------------------------------------------------------------------------
def _vacuum(engine: Engine, *, full: bool, tables: list[str] | None = None) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for name in tables or TABLES:
            conn.execute(text(f"VACUUM {'FULL ' if full else ''}ANALYZE {name}"))


def _sizes(engine: Engine) -> dict[str, dict[str, int]]:
    out = {}
    with engine.connect() as conn:
        for name in TABLES:
            row = conn.execute(text(f"""
                SELECT (SELECT count(*) FROM {name}) AS rows, pg_table_size('{name}') AS heap,
                       pg_indexes_size('{name}') AS indexes, pg_total_relation_size('{name}') AS total
            """)).mappings().one()
            out[name] = dict(row)
        out["database"] = {"total": conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()}
    return out


def _sweep_ms(engine: Engine) -> dict[str, float]:
    """The worker's 30 s sweep for runs of dead workers, with and without the partial index (rolled back)."""
    from canvas.db import jobs

    out = {}
    for label, drop in (("with", False), ("without", True)):
        with engine.connect() as conn:
            if drop:
                conn.execute(text("DROP INDEX ix_sync_runs_running"))
            times = []
            for _ in range(5):
                t = time.perf_counter()
                jobs.abandon_lost_runs(conn)
                times.append((time.perf_counter() - t) * 1000)
            conn.rollback()
        out[label] = round(sorted(times)[2], 2)
    return out


def _fk_delete_ms(engine: Engine) -> dict[str, float]:
    """Deleting 200 old runs (ON DELETE SET NULL on snapshots), with and without ix_snapshots_sync_run."""
    out = {}
    for label, drop in (("with", False), ("without", True)):
        with engine.connect() as conn:
            if drop:
                conn.execute(text("DROP INDEX ix_snapshots_sync_run"))
            t = time.perf_counter()
            conn.execute(text("DELETE FROM sync_runs WHERE id IN (SELECT id FROM sync_runs ORDER BY id LIMIT 200)"))
            out[label] = round((time.perf_counter() - t) * 1000 / 200, 3)
            conn.rollback()
    return out


def _bounded(engine: Engine, policy: Any, users: int) -> bool:
    """After the prune: no user keeps more runs past the window than the rule allows, and no course
    more than one snapshot per day past the change window."""
    with engine.connect() as conn:
        extra_runs = conn.execute(text("""
            SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM sync_runs
                                              WHERE started_at < now() - make_interval(days => :d)
                                              GROUP BY user_id) x
        """), {"d": policy.sync_runs_days}).scalar_one()
        doubled_days = conn.execute(text("""
            SELECT count(*) FROM (SELECT 1 FROM course_score_snapshots
                                   WHERE taken_at < now() - make_interval(days => :d)
                                   GROUP BY user_id, course_id, date_trunc('day', taken_at, 'UTC')
                                  HAVING count(*) > 1) x
        """), {"d": policy.score_changes_days}).scalar_one()
    return extra_runs <= policy.sync_runs_per_user + 2 and doubled_days == 0


# -- report ---------------------------------------------------------------------------------------------
def _mb(n: float) -> str:
    return f"{n / 1e6:,.1f}" if n >= 1e5 else f"{n / 1e6:,.2f}"


def _state_table(state: dict[str, dict[str, int]], files: dict[str, dict[str, int]] | None = None) -> str:
    headers = ["table", "rows", "table MB", "indexes MB", "total MB"]
    headers += ["file MB before VACUUM FULL"] if files else []
    rows = []
    for name in TABLES:
        s = state[name]
        row = [f"`{name}`", f"{s['rows']:,}", _mb(s["heap"]), _mb(s["indexes"]), _mb(s["total"])]
        if files:
            row.append(_mb(files[name]["total"]))
        rows.append(row)
    total = [_mb(sum(state[n][k] for n in TABLES)) for k in ("heap", "indexes", "total")]
    rows.append(["**all tables**", f"{sum(state[n]['rows'] for n in TABLES):,}", *total]
                + ([_mb(sum(files[n]["total"] for n in TABLES))] if files else []))
    return table(headers, rows)


def _projection(grown: dict[str, dict[str, int]], policy: Any, users: int, rate: float) -> tuple[str, dict]:
    """Steady state under the rule, for hourly syncs and for the default 2-hour interval."""
    courses = max(1, grown["canvas_courses_cache"]["rows"])
    per_run = grown["sync_runs"]["total"] / max(1, grown["sync_runs"]["rows"])
    per_snap = grown["course_score_snapshots"]["total"] / max(1, grown["course_score_snapshots"]["rows"])
    snaps = courses * (rate * policy.score_changes_days
                       + (1 - math.exp(-rate)) * (policy.score_history_days - policy.score_changes_days) + 1)
    cache = sum(grown[n]["total"] for n in TABLES if n not in ("sync_runs", "course_score_snapshots"))
    rows, out = [], {}
    for label, per_day in (("hourly syncs", 24), ("every 2 h (default interval)", 12)):
        runs = users * max(per_day * policy.sync_runs_days + 1, policy.sync_runs_per_user)
        total = runs * per_run + snaps * per_snap + cache
        out[label] = {"sync_runs": runs, "snapshots": round(snaps), "total_mb": round(total / 1e6, 1),
                      "history_mb": round((total - cache) / 1e6, 1)}
        rows.append([label, f"{runs:,}", _mb(runs * per_run), f"{snaps:,.0f}", _mb(snaps * per_snap),
                     _mb(cache), f"**{_mb(total)}**"])
    headers = ["syncs", "`sync_runs` rows", "MB", "snapshot rows (upper bound)", "MB", "cache and the rest MB",
               "total MB"]
    return table(headers, rows), out


def _body(initial: dict, grown: dict, pruned: dict, files_after: dict, policy: Any, fig: dict, users: int,
          days: int, source: str) -> str:
    growth = grown["database"]["total"] - initial["database"]["total"]
    proj, fig["projection"] = _projection(grown, policy, users, fig["changes_per_course_day"])
    pr = fig["prune_counts"]
    return "\n\n".join([
        f"**After the initial sync** ({source}; populating took {fig['populate_s']:.0f} s), after plain VACUUM:",
        _state_table(initial),
        f"**After {days} days of hourly syncs, no retention** (history written in {fig['history_s']:.0f} s), after "
        f"plain VACUUM (history is insert-only, so these are the real file sizes). The database grew "
        f"{_mb(growth)} MB: {_mb(growth / days)} MB a day, {_mb(growth / days * 365 / 1000)} GB a year if "
        "nothing were ever deleted.",
        _state_table(grown),
        f"**After the retention rule** (the worker's prune with the default settings, at day {days}: deleted "
        f"{pr['sync_runs']:,} runs, {pr['course_score_snapshots']:,} snapshots in {fig['prune_s']:.1f} s, in "
        f"batches of {retention.BATCH_SIZE:,} rows), sizes after VACUUM FULL (live data); the last column is the "
        "file size after the plain VACUUM autovacuum would do: PostgreSQL keeps the file and reuses the freed "
        "space for new rows, so a table's file stays at about its steady-state size instead of growing.",
        _state_table(pruned, files_after),
        f"**Steady state the rule bounds the database to** ({users:,} users; bytes per row as measured above, "
        "indexes included; snapshots assume every course keeps changing for the whole "
        f"{policy.score_history_days}-day history window, an upper bound: a finished course stops changing):",
        proj,
        _vacuum_text(fig["vacuum_days"], days),
        f"Hourly prune in the steady state (one hour of runs crossing the window): {fig['hourly_prune']['seconds']} s, "
        f"{fig['hourly_prune']['deleted']:,} rows. The worker's 30 s sweep for runs of dead workers on the "
        f"{days}-day table: {fig['sweep_ms']['with']} ms with the partial index `ix_sync_runs_running`, "
        f"{fig['sweep_ms']['without']} ms without. Deleting a run (its snapshots' `sync_run_id` set to NULL): "
        f"{fig['fk_ms']['with']} ms per run with `ix_snapshots_sync_run`, {fig['fk_ms']['without']} ms without.",
    ])


def _vacuum_text(daily: list[dict[str, dict[str, int]]], days: int) -> str:
    """Dead row versions each simulated day left behind, before that day's VACUUM."""
    if not daily:
        return ""
    names = [n for n in ("users", "sync_jobs", "canvas_courses_cache", "canvas_assignments_cache")
             if n in daily[0]]
    picks = sorted({0, len(daily) // 2, len(daily) - 1})
    rows = [[f"day {i + 1}"] + [f"{daily[i][n]['n_dead_tup']:,} of {daily[i][n]['n_live_tup']:,}" for n in names]
            for i in picks]
    last = daily[-1]
    runs = ", ".join(f"`{n}` {last[n]['autovacuum_count']} auto / {last[n]['vacuum_count']} manual"
                     for n in names)
    return (f"**Vacuum over the {days} simulated days** (`pg_stat_user_tables`: dead row versions a day of syncs "
            "leaves, before that day's plain VACUUM, of the live rows; every table stays far below autovacuum's "
            "50 + 20 % trigger or just at it, so each run is small and the files do not grow):\n\n"
            + table(["Simulated day", *[f"`{n}` dead / live" for n in names]], rows)
            + f"\n\nVacuum runs over the whole simulation: {runs}.")


def _notes(policy: Any, rate: float, days: int, fig: dict) -> str:
    return (
        "How the history was simulated: each user's real `sync_runs` row from the initial sync is copied once per "
        f"hour for the {days} days before it (same worker, request and byte counts; {FAIL_RATE:.0%} marked failed "
        "with an error text), oldest first, so the physical layout is a real one. Score snapshots: the first "
        "sync of the period records every course; after that a course gets a snapshot in an hour with "
        f"probability rate/24, where the rate ({rate:.3f} score changes per course per day) is the simulator's "
        f"own: graded assignments with `graded_at` in the last {GRADE_WINDOW_DAYS} days per course per day (a "
        "grade posting is what changes Canvas's course score; the simulator's grades are otherwise static). "
        "Each snapshot points at its run, as `repo._snapshots` records it. The cache tables get a day's "
        "rewrites per simulated day (every user's row and job row, the changed courses and graded assignments), "
        "followed by a plain VACUUM as autovacuum would do. Sizes: `pg_table_size` (heap, TOAST, maps), "
        "`pg_indexes_size`, `pg_total_relation_size`; rows by `count(*)`.\n\n"
        f"The retention rule (`canvas/db/retention.py`, run hourly by each worker, and by `python -m canvas "
        f"prune`): {policy.describe()}. Windows are the `CANVAS_RETAIN_*` settings. Deletes go in batches of "
        f"{retention.BATCH_SIZE:,} rows, each its own transaction; a session advisory lock lets one process prune "
        "at a time (the others skip)."
    )


def main(argv: list[str] | None = None) -> int:
    import argparse
    import shutil
    import tempfile

    from canvas.db.scratch import ScratchServer

    parser = argparse.ArgumentParser(prog="python -m bench.db_growth", description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="20 users, 2 days: seconds")
    args = parser.parse_args(argv)
    server_url = os.environ.pop("DATABASE_URL", None)
    for var in [v for v in os.environ if v.startswith("CANVAS_")]:
        del os.environ[var]  # a developer's settings must not leak into the figures
    os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")
    tmp = Path(tempfile.mkdtemp(prefix="canvas-bench-"))
    try:
        with ScratchServer(tmp, server_url) as server:
            t = time.perf_counter()
            section = run(Context(args.smoke, tmp, server))
            print(section.markdown())
            print(f"({time.perf_counter() - t:.0f} s)", file=sys.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
