"""Change feed and notifications (issue 12): what change detection adds to a sync, and how fast
workers drain the outbox.

    python -m bench --only notify_cost            # with the worker-scale section, compare to its per-user time
    python -m bench.notify_cost --users 20 --messages 200

Change detection: each simulated student (8 courses, as in the worker-scale run) is synced once
(the baseline), then Canvas changes (two grades, one due date) and the resync's cache write is
timed with its change detection, alternating with the detection alone (read the old rows, compare,
record the events), each in a rolled-back transaction so every round sees the same change. A quiet
resync (nothing new) is timed the same way. Drain rate: M test messages to a loopback HTTP endpoint
through Apprise's json://, drained by 1 and 2 threads (as two workers would), each message claimed,
sent and marked under its lease.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import Context, Section, table

TARGET_PCT = 10.0  # of the worker-scale run's time per user
WORKER_MS_PER_USER = 132.0  # docs/benchmarks.md, 1,000 users in 132 s (used when worker_scale did not run)


def _fetch(settings: Any, sim: Any, user_id: int, n: int) -> Any:
    from canvas.simulator import token_for
    from canvas.sync.fetch import fetch_all
    from canvas.sync.runner import make_client

    with make_client(settings, sim.base_url, token_for(n)) as client:
        return fetch_all(client, user_id)


def _write(engine: Any, uid: int, run_id: int, data: Any) -> float:
    """The resync's cache write, change detection included (rolled back: every round the same)."""
    from canvas.db import repo

    with engine.connect() as conn:
        t = time.perf_counter()
        with conn.begin() as tx:
            repo.write_full_sync(conn, user_id=uid, run_id=run_id, data=data)
            ms = (time.perf_counter() - t) * 1000
            tx.rollback()
    return ms


def _detect(engine: Any, uid: int, run_id: int, data: Any) -> tuple[float, int]:
    """Change detection alone: read the old rows, compare, record the events (rolled back)."""
    from canvas.analysis import changes as diff
    from canvas.db import changes

    with engine.connect() as conn:
        t = time.perf_counter()
        with conn.begin() as tx:
            before = changes.before_write(conn, uid)
            found = diff.diff_sync(before.courses, before.assignments, data.courses, data.assignments,
                                   skipped=data.skipped_ids)
            changes.record(conn, user_id=uid, run_id=run_id, changes=found)
            ms = (time.perf_counter() - t) * 1000
            tx.rollback()
    return ms, len(found)


def detection(ctx: Context, users: int, rounds: int) -> dict[str, Any]:
    from canvas.db import repo
    from canvas.db.engine import get_engine
    from canvas.simulator import Simulator

    settings = ctx.settings(ctx.database())
    engine = get_engine(settings)
    write_ms: list[float] = []
    detect_ms: list[float] = []
    quiet_write_ms: list[float] = []
    quiet_detect_ms: list[float] = []
    events = 0
    with Simulator(port=0, seed=1, courses_per_user=8, max_users=users + 1) as sim:
        for n in range(2, users + 2):
            with engine.begin() as conn:
                uid = repo.upsert_user(conn, base_url=sim.base_url, canvas_user_id=sim.canvas_user_id(n),
                                       name=f"S{n}", time_zone=None)
                run_id = repo.start_run(conn, user_id=uid, trigger="bench", kind="full", worker=None)
            base = _fetch(settings, sim, uid, n)
            with engine.begin() as conn:
                repo.write_full_sync(conn, user_id=uid, run_id=run_id, data=base)
            data = sim.dataset(n)
            work = [a for gs in data["assignment_groups"].values() for g in gs for a in g["assignments"]]
            for a in [a for a in work if a.get("points_possible")][:2]:
                sim.mutate(n, "grade", assignment_id=a["id"], score=a["points_possible"] / 3)
            moved = next(a for a in work if a.get("due_at"))
            sim.mutate(n, "update_assignment", assignment_id=moved["id"], due_at="2031-01-01T00:00:00Z")
            changed = _fetch(settings, sim, uid, n)

            for _ in range(rounds):
                write_ms.append(_write(engine, uid, run_id, changed))
                ms, events = _detect(engine, uid, run_id, changed)
                detect_ms.append(ms)
                quiet_write_ms.append(_write(engine, uid, run_id, base))
                quiet_detect_ms.append(_detect(engine, uid, run_id, base)[0])
        assignments = len(changed.assignments)
    return {"users": users, "rounds": rounds, "assignments_per_user": assignments, "events_per_resync": events,
            "write_ms": statistics.median(write_ms), "detect_ms": statistics.median(detect_ms),
            "quiet_write_ms": statistics.median(quiet_write_ms),
            "quiet_detect_ms": statistics.median(quiet_detect_ms)}


def drain_rate(ctx: Context, messages: int, threads: int) -> dict[str, Any]:
    from canvas.crypto import TokenCipher
    from canvas.db import notify, repo
    from canvas.db.engine import get_engine
    from canvas.notify import courier
    from tests.notify_endpoint import Endpoint

    settings = ctx.settings(ctx.database())
    engine = get_engine(settings)
    cipher = TokenCipher.from_settings(settings)
    with Endpoint() as endpoint:
        with engine.begin() as conn:
            uid = repo.upsert_user(conn, base_url="https://canvas.example", canvas_user_id=1, name="S", time_zone=None)
            notify.add_target(conn, cipher, uid, endpoint.url(), allowed_hosts=("127.0.0.1",))
            for _ in range(messages):
                notify.enqueue_test(conn, uid)
        results: list[courier.DrainResult] = []

        def one(i: int) -> None:
            results.append(courier.drain(engine, settings, cipher, f"bench-{i}", max_messages=messages))

        pool = [threading.Thread(target=one, args=(i,)) for i in range(threads)]
        t = time.perf_counter()
        for th in pool:
            th.start()
        for th in pool:
            th.join()
        wall = time.perf_counter() - t
        with engine.connect() as conn:
            counts = notify.outbox_counts(conn)
        received = len(endpoint.accepted)
    return {"messages": messages, "threads": threads, "wall_s": wall, "per_s": messages / wall,
            "sent": sum(r.sent for r in results), "received": received, "states": counts,
            "exactly_once": received == messages == counts.get("sent", 0)}


def run(ctx: Context) -> Section:
    users, rounds = (3, 3) if ctx.smoke else (50, 5)
    messages = 40 if ctx.smoke else 1000
    det = detection(ctx, users, rounds)
    drains = [drain_rate(ctx, messages, k) for k in (1, 2)]
    per_user = ctx.shared.get("worker_ms_per_user", WORKER_MS_PER_USER)
    pct = det["detect_ms"] / per_user * 100
    quiet_pct = det["quiet_detect_ms"] / per_user * 100
    body = (f"{users} students x 8 courses ({det['assignments_per_user']} assignments each), "
            f"median of {rounds} rounds per student; worker-scale time per user: {per_user:.0f} ms.\n\n"
            + table(["Resync", "Cache write (with detection)", "Change detection alone", "Events",
                     "Detection / worker time per user"],
                    [["2 grades + 1 due date changed", f"{det['write_ms']:.1f} ms", f"{det['detect_ms']:.1f} ms",
                      det["events_per_resync"], f"**{pct:.1f} %**"],
                     ["nothing new", f"{det['quiet_write_ms']:.1f} ms", f"{det['quiet_detect_ms']:.1f} ms", 0,
                      f"{quiet_pct:.1f} %"]])
            + "\n\nOutbox drain (Apprise json:// to a loopback endpoint, one claim + send + mark per message):\n\n"
            + table(["Messages", "Senders", "Wall time", "Messages/s", "Received", "Each exactly once"],
                    [[d["messages"], d["threads"], f"{d['wall_s']:.1f} s", f"**{d['per_s']:.0f}**", d["received"],
                      "yes" if d["exactly_once"] else "**no**"] for d in drains]))
    ok = pct < TARGET_PCT and all(d["exactly_once"] for d in drains)
    return Section(
        title="Change feed: detection cost and outbox drain rate",
        target=(f"change detection within {TARGET_PCT:.0f} % of the worker-scale time per user; every message "
                "delivered exactly once"),
        body=body, notes=__doc__.split("\n\n", 2)[2], ok=ok,
        figures={"detection": det, "drain": drains, "worker_ms_per_user": per_user})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--messages", type=int, default=200)
    args = parser.parse_args()
    from canvas.db.scratch import ScratchServer

    tmp = Path(tempfile.mkdtemp(prefix="canvas-bench-"))
    os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")
    with ScratchServer(tmp, os.environ.pop("DATABASE_URL", None)) as server:
        ctx = Context(smoke=False, tmp=tmp, server=server)
        det = detection(ctx, args.users, args.rounds)
        drains = [drain_rate(ctx, args.messages, k) for k in (1, 2)]
    for key, value in det.items():
        print(f"{key:>22}: {value:.2f}" if isinstance(value, float) else f"{key:>22}: {value}")
    for d in drains:
        print(f"drain {d['threads']} sender(s): {d['messages']} messages in {d['wall_s']:.2f} s = "
              f"{d['per_s']:.0f}/s, received {d['received']}, exactly once: {d['exactly_once']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
