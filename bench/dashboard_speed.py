"""Dashboard speed: Overview data from PostgreSQL, a full AppTest run of the Overview page, and the
same data fetched live from the simulated Canvas at 80 ms latency.

    .venv/bin/python bench/dashboard_speed.py [--runs 50]

Uses DATABASE_URL when set, else a throw-away embedded PostgreSQL. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

COURSES, ASSIGNMENTS, LATENCY_MS, STUDENT = 10, 600, 80, 2


def build_simulator():
    from canvas.simulator import Simulator

    sim = Simulator(port=0, seed=7, courses_per_user=COURSES).start()
    data = sim.dataset(STUDENT)
    have = sum(len(g["assignments"]) for gs in data["assignment_groups"].values() for g in gs)
    groups = [(cid, gs[0]["id"]) for cid, gs in data["assignment_groups"].items()]
    due = datetime.now(UTC)
    for i in range(ASSIGNMENTS - have):  # top up to exactly 600 assignments, spread over the courses
        cid, gid = groups[i % len(groups)]
        sim.mutate(STUDENT, "add_assignment", course_id=cid, group_id=gid, name=f"Extra {i}", points_possible=10,
                   due_at=(due + timedelta(hours=7 * i)).isoformat().replace("+00:00", "Z"))
    return sim


def median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="canvas-bench-"))
    os.environ.setdefault("CANVAS_DATA_DIR", str(tmp / "data"))
    os.environ["CANVAS_ALLOWED_HOSTS"] = "127.0.0.1"
    os.environ["CANVAS_DEMO_PORT"] = "0"
    os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")
    from canvas.accounts import connect_account
    from canvas.config import get_settings
    from canvas.crypto import TokenCipher
    from canvas.db import reads, repo
    from canvas.db.engine import get_engine
    from canvas.simulator import token_for
    from canvas.sync.fetch import fetch_all
    from canvas.sync.runner import make_client, sync_user_now

    settings = get_settings()
    engine = get_engine(settings)
    cipher = TokenCipher.from_settings(settings)
    sim = build_simulator()
    user = connect_account(engine, settings, cipher, base_url=sim.base_url, token=token_for(STUDENT))
    result = sync_user_now(engine, settings, user.user_id, trigger="cli", owner="bench", cipher=cipher)
    assert (result.courses, result.assignments) == (COURSES, ASSIGNMENTS), (result.courses, result.assignments)

    def overview_data() -> None:
        with engine.connect() as conn:
            repo.sync_facts(conn, user_id=user.user_id)
            reads.courses(conn, user_id=user.user_id)
            reads.assignments(conn, user_id=user.user_id)

    db_ms = median_ms(overview_data, args.runs)

    from streamlit.testing.v1 import AppTest

    def apptest() -> None:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.run()
        assert not at.exception, at.exception

    apptest()  # warm imports and the per-server caches, as a running server would be
    app_ms = median_ms(apptest, max(5, args.runs // 5))

    sim.set_faults(latency_ms=LATENCY_MS)

    def live() -> None:
        with make_client(settings, sim.base_url, token_for(STUDENT)) as client:
            fetch_all(client, 0, max_workers=settings.max_in_flight)

    live_ms = median_ms(live, 3)
    sim.stop()
    print(f"| What ({COURSES} courses, {ASSIGNMENTS} assignments cached) | Median |")
    print("|---|---|")
    print(f"| Overview data from PostgreSQL (status + courses + assignments) | {db_ms:.1f} ms |")
    print(f"| Full AppTest run of the Overview page (warm server caches) | {app_ms:.0f} ms |")
    print(f"| The same data fetched live from the simulated Canvas at {LATENCY_MS} ms latency | {live_ms:.0f} ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
