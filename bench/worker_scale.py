"""Worker scale (issue 3, issue 7 section 5): N users x C courses synced by 2 worker processes.

    python -m bench --only worker_scale                   # the curve: 100, 300 and 1,000 users
    python -m bench.worker_scale --users 200 [--batch 6]   # one point, printed as key: value lines

The simulated Canvas runs in this process with a fixed latency per request. Users are stored
directly (token encrypted, job due now), the way `users add` leaves them, without the per-user
token check. Then the workers run `sync_worker.py --once` as subprocesses and this measures: wall
time until both exit, throttled responses (Canvas side and client side), each worker's peak RSS
(VmHWM from /proc), and that every user's cache is complete. Each point gets its own database.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, Context, Section, table

TARGET_SECONDS = 300.0
TARGET_RSS_MB = 150.0
CURVE = (100, 300, 1000)

NOTES = """
What it does: starts the simulated Canvas in-process (50 ms per request, 8 courses per user),
stores the users directly (token encrypted, job due now, as `users add` leaves them), then runs
`sync_worker.py --once` twice in parallel as subprocesses with default settings (log level WARNING)
and waits for both to exit. Peak RSS is the kernel's `VmHWM` for each worker process. Throttled
responses are counted on both sides (the simulator's leaky bucket, and `sync_runs.throttled`).
Every point checks that every user's cache is complete (C + 3 requests per user: a first sync also
lists concluded courses once; 0 failed runs).

On a 2-CPU machine the run is CPU-bound (the simulator, both workers and PostgreSQL share two
cores), not latency-bound: each user costs 5 sequential round trips (~0.25 s at 50 ms; the concluded
listing goes out beside the course reads), and the
time per user stays flat along the curve, which is what "cost grows linearly" means here.

How the target was met (issue 3): the first measurement missed it (384 s for 1,000 users). A
profile of one sync showed the cache write at 0.3-0.45 s of CPU per user, 57 % of it SQLAlchemy
compiling a new multi-row `INSERT ... VALUES` for every call (a different statement per row count,
so nothing was cached). `repo._upsert` now executes one cached statement with a list of parameter
sets (SQLAlchemy's insertmanyvalues): 0.06 s CPU per user and 228 s. Moving lease renewal from the
request path to a background thread per run (for correctness: a slow request must not cost the
lease) took it to 160-180 s.
"""


def add_users(engine: Any, settings: Any, sim: Any, count: int) -> list[int]:
    """Store `count` simulated students as connected users, all due now (one transaction)."""
    from canvas.crypto import TokenCipher, token_hint
    from canvas.db import jobs, repo
    from canvas.simulator import token_for

    cipher = TokenCipher.from_settings(settings)
    ids = []
    with engine.begin() as conn:
        for n in range(2, count + 2):  # student 1 is the hand-made demo student; the rest are uniform
            uid = repo.upsert_user(conn, base_url=sim.base_url, canvas_user_id=sim.canvas_user_id(n),
                                   name=f"Student {n}", time_zone=None)
            token = token_for(n)
            repo.set_token(conn, user_id=uid, ciphertext=cipher.encrypt(uid, token), hint=token_hint(token))
            jobs.reset_after_new_token(conn, uid)
            ids.append(uid)
    return ids


class _RssWatch(threading.Thread):
    """Polls /proc/<pid>/status; VmHWM is the kernel's own peak-RSS counter for the process."""

    def __init__(self, pids: list[int]) -> None:
        super().__init__(daemon=True)
        self.peak_kb = dict.fromkeys(pids, 0)
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            for pid in self.peak_kb:
                try:
                    text = Path(f"/proc/{pid}/status").read_text()
                except OSError:
                    continue
                for line in text.splitlines():
                    if line.startswith("VmHWM:"):
                        self.peak_kb[pid] = max(self.peak_kb[pid], int(line.split()[1]))
            self.done.wait(0.2)


def measure(ctx: Context, users: int, *, courses: int = 8, latency_ms: int = 50, workers: int = 2,
            batch: int | None = None, url: str | None = None) -> dict[str, Any]:
    """One point of the curve on a fresh database (or `url`); returns the figures."""
    from sqlalchemy import text

    from canvas.db.engine import get_engine
    from canvas.simulator import Simulator

    url = url or ctx.database()
    settings = ctx.settings(url)
    engine = get_engine(settings)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with Simulator(port=0, seed=1, latency_ms=latency_ms, courses_per_user=courses,
                       max_users=users + 1) as sim:
            ids = add_users(engine, settings, sim, users)
            sim.reset_stats()
            extra = {"CANVAS_SYNC_BATCH_SIZE": str(batch)} if batch else {}
            env = ctx.env(url, **extra)
            logs = [(ctx.tmp / f"worker-{i}.log").open("wb") for i in range(workers)]
            start = time.perf_counter()
            procs = [subprocess.Popen([sys.executable, "sync_worker.py", "--once"], cwd=ROOT, env=env,
                                      stdout=log, stderr=subprocess.STDOUT) for log in logs]
            watch = _RssWatch([p.pid for p in procs])
            watch.start()
            codes = [p.wait() for p in procs]
            wall = time.perf_counter() - start
            watch.done.set()
            watch.join()
            sim_stats = sim.stats()
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    with engine.connect() as conn:
        r = conn.execute(text("""
            SELECT count(*) FILTER (WHERE outcome = 'success') AS ok,
                   count(*) FILTER (WHERE outcome <> 'success') AS not_ok,
                   count(DISTINCT user_id) FILTER (WHERE outcome = 'success') AS users_ok,
                   coalesce(sum(throttled), 0) AS throttled, coalesce(sum(requests), 0) AS requests,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - started_at))
                       AS p50
              FROM sync_runs""")).one()
        per_worker = conn.execute(text("SELECT count(*) FROM sync_runs GROUP BY worker")).scalars().all()
        cached = conn.execute(text("SELECT count(*) FROM canvas_courses_cache")).scalar_one()
    peak_mb = [round(kb / 1024, 1) for kb in watch.peak_kb.values()]
    complete = (codes == [0] * workers and r.users_ok == len(ids) and r.not_ok == 0
                and cached == len(ids) * courses)
    return {
        "users": users, "courses": courses, "latency_ms": latency_ms, "workers": workers,
        "batch": batch or settings.sync_batch_size, "wall_s": wall, "users_per_s": users / wall,
        "ms_per_user": wall * 1000 / users, "complete": complete, "runs_not_ok": r.not_ok,
        "requests_canvas": sim_stats["requests"], "requests_client": int(r.requests),
        "throttled_canvas": sim_stats["throttled"], "throttled_client": int(r.throttled),
        "run_p50_s": float(r.p50 or 0), "peak_rss_mb": peak_mb,
        "runs_per_worker": sorted(per_worker, reverse=True), "exit_codes": codes, "url": url,
    }


def max_in_window(times: list[float], width: float) -> int:
    """The most events in any window of `width` seconds (times sorted): what a rate cap is judged on."""
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while t - times[lo] >= width:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def spread_due(engine: Any, cycle_s: float) -> None:
    """Every job due at its user's phase of the coming cycle (canvas.db.schedule), as a school in
    its steady state is: users spread over the interval, not all due at the top of it."""
    from sqlalchemy import text

    from canvas.db.schedule import PHASE_DUE_SQL

    with engine.begin() as conn:
        conn.execute(text(f"UPDATE sync_jobs SET due_at = {PHASE_DUE_SQL}"), {"iv": cycle_s})


def permit_round_trip_ms(engine: Any, calls: int = 200) -> dict[str, float]:
    """One permit's round trip to PostgreSQL (canvas.db.budget), sequential, on a scratch host key."""
    from canvas.db.budget import HostBudget, reset

    budget = HostBudget(engine, rate=1e6)  # never waits: this times the statement alone
    times = []
    for _ in range(calls):
        t = time.perf_counter()
        budget.reserve("bench.invalid:443", 1)
        times.append((time.perf_counter() - t) * 1000)
    reset(engine, "bench.invalid:443")
    times.sort()
    return {"p50": round(times[len(times) // 2], 3), "p95": round(times[int(len(times) * 0.95)], 3)}


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and of its reaped children (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / ticks  # utime stime cutime cstime


def postgres_cpu(engine: Any) -> float | None:
    """CPU seconds used so far by the PostgreSQL server (postmaster, its live and reaped children),
    when it runs on this machine; None otherwise."""
    from sqlalchemy import text

    try:
        with engine.connect() as conn:
            data_dir = conn.execute(text("SELECT current_setting('data_directory')")).scalar_one()
        master = int(Path(data_dir, "postmaster.pid").read_text().split()[0])
    except Exception:  # a remote or managed server: no process to read
        return None
    total = cpu_seconds(master)
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat[1]) == master:  # ppid
            total += (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
    return total


_TABLE_STATS = """
    SELECT relname, n_live_tup, n_dead_tup, n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del,
           autovacuum_count, vacuum_count, autoanalyze_count
      FROM pg_stat_user_tables"""


def _db_counters(engine: Any) -> dict[str, Any]:
    from sqlalchemy import text

    with engine.connect() as conn:
        conn.execute(text("SELECT pg_stat_clear_snapshot()"))
        wal = conn.execute(text("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")).scalar_one()
        db = conn.execute(text("""SELECT xact_commit, tup_inserted, tup_updated, tup_deleted, blks_hit, blks_read
                                    FROM pg_stat_database WHERE datname = current_database()""")).mappings().one()
        tables = {r["relname"]: dict(r) for r in conn.execute(text(_TABLE_STATS)).mappings()}
        size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
    return {"wal": int(wal), "db": dict(db), "tables": tables, "size": int(size)}


def _snapshot(engine: Any, procs: list[subprocess.Popen[bytes]], synced: int) -> dict[str, Any]:
    """Everything a phase's per-sync costs are computed from, at one moment."""
    time.sleep(1.2)  # PostgreSQL flushes backends' statistics at most once a second
    return {**_db_counters(engine), "pg_cpu": postgres_cpu(engine), "synced": synced,
            "worker_cpu": sum(cpu_seconds(p.pid) for p in procs), "t": time.perf_counter()}


def _phase_costs(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Per-sync costs between two snapshots, and each table's churn."""
    n = max(1, b["synced"] - a["synced"])
    d = {k: b["db"][k] - a["db"][k] for k in b["db"]}
    churn = {}
    for name, t1 in b["tables"].items():
        t0 = a["tables"].get(name, dict.fromkeys(t1, 0))
        churn[name] = {k: t1[k] - t0[k] for k in ("n_tup_ins", "n_tup_upd", "n_tup_hot_upd", "n_tup_del",
                                                   "autovacuum_count", "autoanalyze_count")}
        churn[name].update(n_live_tup=t1["n_live_tup"], n_dead_tup=t1["n_dead_tup"])
    pg = (b["pg_cpu"] - a["pg_cpu"]) if a["pg_cpu"] is not None and b["pg_cpu"] is not None else None
    return {
        "syncs": n, "seconds": round(b["t"] - a["t"], 1),
        "worker_cpu_per_user_ms": round((b["worker_cpu"] - a["worker_cpu"]) * 1000 / n, 1),
        "pg_cpu_per_user_ms": round(pg * 1000 / n, 1) if pg is not None else None,
        "wal_per_user_kb": round((b["wal"] - a["wal"]) / n / 1024, 1),
        "commits_per_user": round(d["xact_commit"] / n, 1),
        "rows_written_per_user": round((d["tup_inserted"] + d["tup_updated"] + d["tup_deleted"]) / n, 1),
        "db_growth_per_user_kb": round((b["size"] - a["size"]) / n / 1024, 1),
        "table_churn": churn,
    }


def measure_cycle(ctx: Context, users: int, *, workers: int = 4, courses: int = 8, latency_ms: int = 150,
                  cycle_s: float | None = None, cycles: int = 2, max_rps: float | None = None,
                  batch: int = 3, permit_batch: int = 1, url: str | None = None) -> dict[str, Any]:
    """The steady state of a school: `users` due across a cycle (each at its phase), `workers`
    replicas running as services for `cycles` cycles under the host budget. The first cycle is
    every student's first sync (the day a school connects everyone); later cycles are resyncs,
    the steady state. Costs are reported per sync for both phases."""
    import signal

    from sqlalchemy import text

    from canvas.db.engine import get_engine
    from canvas.simulator import Simulator

    cycle_s = cycle_s or max(60.0, users / 2.5)
    per_user = courses + 2
    need_rps = users * per_user / cycle_s
    max_rps = max_rps or round(need_rps * 1.5, 1)  # the budget a school would set: 1.5x what it needs
    url = url or ctx.database()
    settings = ctx.settings(url)
    engine = get_engine(settings)
    procs: list[subprocess.Popen[bytes]] = []
    with Simulator(port=0, seed=1, latency_ms=latency_ms, courses_per_user=courses, max_users=users + 1) as sim:
        add_users(engine, settings, sim, users)
        spread_due(engine, cycle_s)
        permit_ms = permit_round_trip_ms(engine)
        with engine.connect() as conn:
            due0 = dict(conn.execute(text("SELECT user_id, extract(epoch FROM due_at)::float8 FROM sync_jobs")).all())
        sim.reset_stats()
        env = ctx.env(url, CANVAS_SYNC_BATCH_SIZE=str(batch), CANVAS_SYNC_INTERVAL=str(int(cycle_s * 1000)),
                      CANVAS_SYNC_STALE_AFTER=str(int(cycle_s * 500)), CANVAS_HOST_MAX_RPS=str(max_rps),
                      CANVAS_HOST_PERMIT_BATCH=str(permit_batch))
        logs = [(ctx.tmp / f"cycle-worker-{i}.log").open("wb") for i in range(workers)]
        snaps = [_snapshot(engine, [], 0)]
        start = time.perf_counter()
        procs = [subprocess.Popen([sys.executable, "sync_worker.py"], cwd=ROOT, env=env, stdout=log,
                                  stderr=subprocess.STDOUT) for log in logs]
        watch = _RssWatch([p.pid for p in procs])
        watch.start()
        target, deadline = users * cycles, start + cycles * cycle_s * 1.5 + 60
        done = 0
        try:
            while time.perf_counter() < deadline and all(p.poll() is None for p in procs):
                time.sleep(1.0)
                with engine.connect() as conn:
                    done = conn.execute(text("SELECT count(*) FROM sync_runs WHERE outcome = 'success'")).scalar_one()
                if len(snaps) == 1 and done >= users:
                    snaps.append(_snapshot(engine, procs, done))  # the first cycle is over
                if done >= target:
                    break
            wall = time.perf_counter() - start
            snaps.append(_snapshot(engine, procs, done))
            for p in procs:
                p.send_signal(signal.SIGTERM)
            codes = [p.wait(timeout=60) for p in procs]
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
            watch.done.set()
        arrivals = sim.arrivals()
        sim_stats = sim.stats()
    with engine.connect() as conn:
        runs = conn.execute(text("""SELECT user_id, extract(epoch FROM started_at)::float8 AS started, outcome,
                                           requests, extract(epoch FROM finished_at - started_at)::float8 AS took
                                      FROM sync_runs ORDER BY user_id, started_at""")).all()
    ok = [r for r in runs if r.outcome == "success"]
    seen: dict[int, int] = {}
    lags = []
    for r in ok:  # the k-th run of a user against its k-th due time
        k = seen.get(r.user_id, 0)
        seen[r.user_id] = k + 1
        lags.append(max(0.0, r.started - (due0[r.user_id] + k * cycle_s)))
    lags.sort()
    took = sorted(r.took for r in ok)
    first = _phase_costs(snaps[0], snaps[1]) if len(snaps) == 3 else None
    steady = _phase_costs(snaps[-2], snaps[-1])
    span = (arrivals[-1] - arrivals[0]) if len(arrivals) > 1 else 1.0

    def pct(xs: list[float], q: float) -> float | None:
        return round(xs[min(len(xs) - 1, int(len(xs) * q))], 2) if xs else None

    return {
        "users": users, "courses": courses, "latency_ms": latency_ms, "workers": workers, "batch": batch,
        "cycle_s": cycle_s, "cycles": cycles, "max_rps": max_rps, "need_rps": round(need_rps, 2),
        "permit_batch": permit_batch, "wall_s": round(wall, 1), "synced": len(ok), "target": target,
        "users_all_synced": len(seen) == users, "runs_not_ok": len(runs) - len(ok), "exit_codes": codes,
        "requests": sim_stats["requests"], "requests_per_user": sim_stats["requests"] / max(1, len(ok)),
        "throttled_canvas": sim_stats["throttled"],
        "rps_mean": round((len(arrivals) - 1) / span, 2), "rps_max_1s": max_in_window(arrivals, 1.0),
        "rps_max_5s": round(max_in_window(arrivals, 5.0) / 5, 1),
        "lag_p50_s": pct(lags, 0.5), "lag_p95_s": pct(lags, 0.95), "lag_max_s": pct(lags, 1.0),
        "run_p50_s": pct(took, 0.5), "run_p95_s": pct(took, 0.95),
        "peak_rss_mb": [round(kb / 1024, 1) for kb in watch.peak_kb.values()],
        "db_size_mb": round(snaps[-1]["size"] / 1e6, 1),
        "first_sync": first, "steady": steady, "permit_round_trip_ms": permit_ms, "url": url,
    }

def run(ctx: Context) -> Section:
    points = (6, 12) if ctx.smoke else CURVE
    latency = 0 if ctx.smoke else 50
    courses = 2 if ctx.smoke else 8
    results = [measure(ctx, n, courses=courses, latency_ms=latency) for n in points]
    biggest = results[-1]
    ctx.shared["scale_db"] = {"url": biggest["url"], "users": biggest["users"]}  # for db_growth
    ctx.shared["worker_ms_per_user"] = biggest["ms_per_user"]  # notify_cost compares detection with it
    rows = [[f"{p['users']:,}", f"**{p['wall_s']:.0f} s**" if p is biggest else f"{p['wall_s']:.1f} s",
             f"{p['ms_per_user']:.0f} ms", f"{p['users_per_s']:.1f}", f"{p['requests_canvas']:,}",
             f"{p['throttled_canvas']} / {p['throttled_client']}",
             ", ".join(f"{m:.0f} MB" for m in p["peak_rss_mb"]), f"{p['run_p50_s']:.2f} s",
             "/".join(str(n) for n in p["runs_per_worker"]), "yes" if p["complete"] else "**no**"]
            for p in results]
    body = (f"{courses} courses per user, {latency} ms latency per request, 2 worker processes "
            f"(`sync_worker.py --once`, batch {biggest['batch']}):\n\n"
            + table(["Users", "Wall time", "Per user", "Users/s", "Requests", "Throttled (Canvas / client)",
                     "Peak RSS per worker", "Run p50", "Runs per worker", "All complete"], rows))
    ok = (all(p["complete"] and p["throttled_canvas"] == 0 and p["throttled_client"] == 0 for p in results)
          and biggest["wall_s"] < TARGET_SECONDS and max(biggest["peak_rss_mb"]) < TARGET_RSS_MB)
    return Section(
        title="Worker scale: 100 / 300 / 1,000 users, 2 workers",
        target=(f"1,000 users x 8 courses at 50 ms latency in under {TARGET_SECONDS / 60:.0f} minutes with no "
                f"throttled responses, under {TARGET_RSS_MB:.0f} MB per worker, cost linear in users"),
        body=body, notes=NOTES, ok=ok, figures={"points": [{k: v for k, v in p.items() if k != "url"}
                                                           for p in results]})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--courses", type=int, default=8, help="courses per user")
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=None, help="CANVAS_SYNC_BATCH_SIZE (default: the setting's)")
    args = parser.parse_args()
    from canvas.db.scratch import ScratchServer

    tmp = Path(tempfile.mkdtemp(prefix="canvas-bench-"))
    with ScratchServer(tmp, os.environ.pop("DATABASE_URL", None)) as server:
        doc = measure(Context(smoke=False, tmp=tmp, server=server), args.users, courses=args.courses,
                      latency_ms=args.latency_ms, workers=args.workers, batch=args.batch)
    for key, value in doc.items():
        if key != "url":
            print(f"{key:>18}: {value}")
    return 0 if doc["complete"] else 1


if __name__ == "__main__":
    sys.exit(main())
