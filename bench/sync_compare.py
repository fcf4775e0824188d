"""Issue 7, sections 1 and 2: one student's full sync, ours against a typical canvasapi script and the
seed system's request plan, then our resync with nothing changed.

    .venv/bin/python -m bench.sync_compare [--smoke]

Every side talks to the same in-process simulated Canvas (real HTTP on loopback, its leaky-bucket
throttle, a fixed latency per request); requests, bytes and throttled replies are the simulator's own
counts. Sides run alternately, one per round, and the table shows medians.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from bench.common import Context, Section, alternate, machine, table, timed
from canvas.simulator import Simulator, token_for

STUDENT = 2  # a generated student (1 is the hand-made demo)


@dataclass(frozen=True)
class Plan:
    courses: int
    per_course: int  # assignments in every course but the first (generated ones keep their 12-20)
    big: int  # assignments in the first course: past the seed's single page of 100
    latency_ms: int
    rounds: int


FULL = Plan(courses=8, per_course=40, big=300, latency_ms=80, rounds=3)
SMOKE = Plan(courses=2, per_course=0, big=101, latency_ms=0, rounds=1)


def build_simulator(plan: Plan) -> tuple[Simulator, int]:
    """The benchmark student's Canvas, topped up with the simulator's own add_assignment; (sim, total)."""
    sim = Simulator(port=0, seed=7, courses_per_user=plan.courses).start()
    groups = sim.dataset(STUDENT)["assignment_groups"]
    due = datetime.now(UTC) - timedelta(days=60)
    for k, (cid, gs) in enumerate(sorted(groups.items())):
        have = sum(len(g["assignments"]) for g in gs)
        for i in range(max(0, (plan.big if k == 0 else plan.per_course) - have)):
            sim.mutate(STUDENT, "add_assignment", course_id=cid, group_id=gs[i % len(gs)]["id"],
                       name=f"Extra {i + 1}", points_possible=10,
                       due_at=(due + timedelta(hours=5 * i)).isoformat().replace("+00:00", "Z"))
    total = sum(len(g["assignments"]) for gs in sim.dataset(STUDENT)["assignment_groups"].values() for g in gs)
    return sim, total


def measure(sim: Simulator, fn: Any) -> dict[str, Any]:
    """One side's run: the simulator's counts, wall time, and what the side reports (assignments, outcome)."""
    sim.reset_stats()
    seconds, out = timed(fn)
    stats = sim.stats()
    return {"requests": stats["requests"], "bytes": stats["bytes"], "throttled": stats["throttled"],
            "seconds": seconds, **out}


# --- (a) a typical canvasapi script -----------------------------------------------------------------
def canvasapi_script(base_url: str, token: str) -> dict[str, Any]:
    from canvasapi import Canvas

    got: dict[int, Any] = {}  # assignment id -> its submission: what the script ends up holding
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "use HTTPS": the simulator is loopback HTTP
            canvas = Canvas(base_url, token)
        for course in canvas.get_courses():
            for assignment in course.get_assignments():
                got[assignment.id] = assignment.get_submission("self")
            list(course.get_assignment_groups())
            list(course.get_enrollments(user_id="self"))
    except Exception as exc:  # e.g. canvasapi's Forbidden on a 403 throttle reply: that is the outcome
        return {"assignments": len(got), "outcome": f"crashed: {type(exc).__name__}"}
    return {"assignments": len(got), "outcome": "ok"}


# --- (b) the seed system's request plan ---------------------------------------------------------------
def seed_plan(base_url: str, token: str) -> dict[str, Any]:
    with requests.Session() as s:
        s.headers["Authorization"] = f"Bearer {token}"
        courses = s.get(f"{base_url}/api/v1/courses", timeout=30).json()
        got = 0
        for i, course in enumerate(courses):
            if i:
                time.sleep(0.1)  # the seed's "rate limiting"
            r = s.get(f"{base_url}/api/v1/courses/{course['id']}/assignments",
                      params={"per_page": "100", "include[]": "submission"}, timeout=30)
            got += len(r.json())  # first page only: the seed never read the link header
    return {"assignments": got, "outcome": "ok"}


# --- ours: the product's full sync, then a resync with nothing changed -----------------------------------
CACHE = {"canvas_courses_cache": "canvas_id", "canvas_assignment_groups_cache": "canvas_id",
         "canvas_assignments_cache": "canvas_id", "course_score_snapshots": "id",
         "users": "id"}  # table -> row key; the users row carries the pages' cache key (data_version)


def row_versions(engine: Engine) -> set[tuple[str, int, str]]:
    """(table, key, xmin) of every cache row: a rewritten row gets a new xmin, an untouched one keeps it."""
    sql = " UNION ALL ".join(f"SELECT '{t}', {k}, xmin::text FROM {t}" for t, k in CACHE.items())
    with engine.connect() as conn:
        return {(r[0], int(r[1]), r[2]) for r in conn.execute(text(sql))}


def tuple_counts(monitor: Engine) -> dict[str, int]:
    """ins+upd+del per table (pg_stat_user_tables), and "backends": other sessions on this database."""
    with monitor.connect() as conn:  # a new transaction each time: a fresh statistics snapshot
        rows = conn.execute(text("SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables"))
        out = {r[0]: int(r[1]) for r in rows}
        out["backends"] = conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_type = 'client backend'")).scalar_one()
    return out


def settled_counts(monitor: Engine, engine: Engine, ready: Any) -> dict[str, int] | None:
    """The counters once every sync backend has flushed its statistics (None if that takes over 10 s).

    Statistics reach pg_stat_* asynchronously; a backend flushes at exit, so the pool is closed, then
    we wait for no other session, `ready(counts)` (the run's own writes visible) and two equal reads."""
    engine.dispose()
    last: dict[str, int] | None = None
    for _ in range(100):
        counts = tuple_counts(monitor)
        if counts == last and counts["backends"] == 0 and ready(counts):
            return counts
        last = counts
        time.sleep(0.1)
    return None


def ours(ctx: Context, sim: Simulator) -> dict[str, Any]:
    from canvas.accounts import connect_account
    from canvas.crypto import TokenCipher
    from canvas.db.engine import get_engine
    from canvas.sync.runner import sync_user_now

    settings = ctx.settings(ctx.database())
    engine = get_engine(settings)  # migrations run here, outside the timing
    monitor = create_engine(settings.database_url, poolclass=NullPool)
    cipher = TokenCipher.from_settings(settings)
    user = connect_account(engine, settings, cipher, base_url=sim.base_url, token=token_for(STUDENT))

    def sync() -> dict[str, Any]:
        return {"run": sync_user_now(engine, settings, user.user_id, trigger="cli", owner="bench", cipher=cipher)}

    def facts(side: dict[str, Any]) -> dict[str, Any]:
        """What the product stored and recorded for this run (read after the timing)."""
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT count(*) FROM canvas_assignments_cache WHERE user_id = :u"),
                                  {"u": user.user_id}).scalar_one()
            recorded = conn.execute(text("SELECT requests, rows_written FROM sync_runs WHERE id = :r"),
                                    {"r": side.pop("run").run_id}).one()
        return {**side, "assignments": stored, "outcome": "ok", "rows_written": recorded.rows_written,
                "recorded_requests": recorded.requests}

    cold = facts(measure(sim, sync))
    before = settled_counts(monitor, engine, lambda c: c.get("canvas_assignments_cache", 0) >= cold["assignments"])
    versions = row_versions(engine)
    again = facts(measure(sim, sync))
    now = row_versions(engine)
    after = None
    if before is not None:
        # The run's own row (inserted, then finished in the cache transaction) shows its stats are in.
        after = settled_counts(monitor, engine, lambda c: c.get("sync_runs", 0) >= before.get("sync_runs", 0) + 2)
    again.update(rewritten=len(now - versions), vanished=len({v[:2] for v in versions} - {v[:2] for v in now}),
                 pg_stat=sum(after[t] - before.get(t, 0) for t in CACHE) if after and before else None)
    engine.dispose()
    monitor.dispose()
    return {"cold": cold, "resync": again}


# --- the section -----------------------------------------------------------------------------------------
def med(runs: list[dict[str, Any]], key: str) -> Any:
    values = [r[key] for r in runs]
    if any(v is None for v in values):
        return None
    return statistics.median(values)


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    out = {k: med(runs, k) for k in ("requests", "bytes", "throttled", "seconds", "assignments")}
    outcomes = sorted({r["outcome"] for r in runs})
    out["outcome"] = ", ".join(outcomes)
    return out


def progress(name: str, fn: Any) -> Any:
    """fn, printing how long each call took on stderr (a full run takes minutes)."""
    def wrapped() -> Any:
        seconds, out = timed(fn)
        print(f"   sync_compare: {name} {seconds:.1f} s", file=sys.stderr, flush=True)
        return out
    return wrapped


def run(ctx: Context) -> Section:
    plan = SMOKE if ctx.smoke else FULL
    sim, exist = build_simulator(plan)
    try:
        sim.set_faults(latency_ms=plan.latency_ms)
        token = token_for(STUDENT)
        results = alternate({
            "ours": progress("ours", lambda: ours(ctx, sim)),
            "canvasapi": progress("canvasapi", lambda: measure(sim, lambda: canvasapi_script(sim.base_url, token))),
            "seed": progress("seed", lambda: measure(sim, lambda: seed_plan(sim.base_url, token))),
        }, plan.rounds)
    finally:
        sim.stop()
    sides = {"ours": summary([r["cold"] for r in results["ours"]]),
             "canvasapi": summary(results["canvasapi"]), "seed": summary(results["seed"])}
    resync = [r["resync"] for r in results["ours"]]
    rs = {k: med(resync, k) for k in ("requests", "seconds", "rows_written", "recorded_requests", "rewritten",
                                      "vanished", "pg_stat")}
    return section(plan, exist, sides, rs)


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}x" if b else "n/a"


def section(plan: Plan, exist: int, sides: dict[str, dict[str, Any]], rs: dict[str, Any]) -> Section:
    c, o, a, b = plan.courses, sides["ours"], sides["canvasapi"], sides["seed"]
    names = {"ours": "ours (`sync_user_now`, full sync into PostgreSQL)",
             "canvasapi": "(a) typical `canvasapi` script", "seed": "(b) the seed's request plan"}
    rows = [[names[k], f"{s['requests']:g}", f"{s['bytes'] / 1024:,.0f}", f"{s['seconds']:.2f} s",
             f"{s['throttled']:g}", f"{s['assignments']:g} / {exist}", s["outcome"],
             _ratio(s["requests"], o["requests"]), _ratio(s["seconds"], o["seconds"])]
            for k, s in sides.items()]
    checks = {
        f"ours at most C + 3 = {c + 3} requests": o["requests"] <= c + 3,
        "at least 10x fewer requests than (a)": a["requests"] >= 10 * o["requests"],
        "at least 5x less wall time than (a)": a["seconds"] >= 5 * o["seconds"],
        "ours complete": o["assignments"] == exist,
        "resync rewrites no cache rows": rs["rows_written"] == 0 and rs["rewritten"] == 0,
    }
    pg = "not flushed in time" if rs["pg_stat"] is None else f"{rs['pg_stat']:g}"
    body = "\n\n".join([
        f"{c} courses, {exist} assignments ({c - 1} courses of {plan.per_course or '12-20'}, one of {plan.big}); "
        f"{plan.latency_ms} ms latency per request; median of {plan.rounds} alternating round(s).",
        table(["Side", "Requests", "KB", "Wall time", "Throttled", "Assignments stored / exist", "Outcome",
               "Requests vs ours", "Wall time vs ours"], rows),
        table(["Resync, nothing changed (ours)", "Requests", "Wall time", "Cache rows written (sync_runs)",
               "Rows with a new xmin / gone", "pg_stat_user_tables ins+upd+del"],
              [["median", f"{rs['requests']:g}", f"{rs['seconds']:.2f} s", f"{rs['rows_written']:g}",
                f"{rs['rewritten']:g} / {rs['vanished']:g}", pg]]),
        "\n".join(f"- {'met' if ok else '**missed**'}: {what}" for what, ok in checks.items()),
    ])
    lost = exist - b["assignments"]
    notes = (
        "How each side runs. **Ours**: the product's `sync_user_now` for a user connected the way "
        "`connect_account` does (that token check is outside the timing), into a fresh database each round: "
        "profile, courses with scores, then one `assignment_groups` request per course carrying every "
        "assignment and the student's submission, three in flight, one transaction. "
        "**(a)** canvasapi as its docs show it: `get_courses()`, per course `get_assignments()` and for each "
        "assignment `get_submission(\"self\")` (one request per assignment, the N+1 pattern), then "
        "`get_assignment_groups()` and `get_enrollments(user_id=\"self\")`; its lists ask `per_page=100` and "
        "follow the link header; it runs serially and has no retry, so a throttled reply (403) would end it "
        "with an exception, shown as the outcome. "
        "**(b)** the seed's plan with `requests`: `/courses`, then per course "
        "`/assignments?per_page=100&include[]=submission`, 100 ms sleep between courses, first page only: "
        f"it silently drops {lost:g} of the {plan.big}-assignment course's assignments. "
        "Resync: the same full sync again, nothing changed in Canvas; the product's figure is "
        "`sync_runs.rows_written` (cache rows inserted, updated or deleted), cross-checked by PostgreSQL: "
        "rows whose `xmin` changed, and `pg_stat_user_tables` counters, read once the sync's backend has "
        "flushed them (the pool is closed first); both also cover `course_score_snapshots`, which "
        "`rows_written` leaves out, and the `users` row, whose `data_version` (the pages' cache key) moves "
        "only when a sync changed something. Such a resync writes only its bookkeeping: its `sync_runs` "
        "row and the job's `sync_jobs` row."
    )
    figures = {"plan": asdict(plan), "assignments_exist": exist, **sides, "resync": rs, "checks": checks}
    return Section(title="Full sync of one student: ours vs canvasapi vs the seed's plan",
                   target="ours at most C + 3 requests, at least 10x fewer requests and 5x less wall time than "
                          "a typical canvasapi script, complete data where the seed's plan drops assignments; "
                          "a resync with nothing changed rewrites no cache rows",
                   body=body, notes=notes, ok=all(checks.values()), figures=figures)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sync_compare", description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny data, no latency, one round")
    args = parser.parse_args(argv)
    from canvas.db.scratch import ScratchServer

    server_url = os.environ.pop("DATABASE_URL", None)
    for var in [v for v in os.environ if v.startswith("CANVAS_")]:
        del os.environ[var]  # a developer's settings must not leak into the figures
    tmp = Path(tempfile.mkdtemp(prefix="canvas-bench-"))
    try:
        with ScratchServer(tmp, server_url) as server:
            print(f"<!-- {machine()} -->\n")
            print(run(Context(args.smoke, tmp, server)).markdown())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
