"""`sync` (now, or queued for a worker) and `status` (a user's sync status, or the workers')."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from canvas import errors
from canvas.cli.common import cipher, command, emit, engine, owner
from canvas.config import Settings
from canvas.rows import SyncKind

log = logging.getLogger("canvas.cli")


def cmd_sync(args: argparse.Namespace, settings: Settings) -> int:
    from canvas.db import jobs, repo
    from canvas.sync.runner import sync_user_now

    eng = engine(settings)
    kind: SyncKind = "recent" if args.recent else "full"
    if args.queue:
        with eng.begin() as conn:
            if args.all:
                ids = [u.id for u in repo.list_users(conn)]
            else:
                if repo.get_user(conn, args.user) is None:
                    raise errors.UsageError(f"no user with id {args.user}")
                ids = [args.user]
            for uid in ids:
                jobs.ensure_job(conn, uid)
                jobs.request_sync(conn, uid, kind)
        doc = {"success": True, "queued": ids}
        emit(doc) if args.json else print(f"Sync requested for user(s) {ids}; a running worker picks it up")
        return 0
    with eng.connect() as conn:
        if args.all:
            ids = [u.id for u in repo.list_users(conn) if u.token_state == "valid" and u.token_ciphertext]
        else:
            if repo.get_user(conn, args.user) is None:
                raise errors.UsageError(f"no user with id {args.user}")
            ids = [args.user]
    ciph = cipher(settings)
    results: list[dict[str, Any]] = []
    for uid in ids:
        try:
            res = sync_user_now(eng, settings, uid, trigger="cli", owner=owner(), cipher=ciph, kind=kind)
            results.append({"user_id": uid, "success": True,
                            "stats": {"courses": res.courses, "assignments": res.assignments, **res.stats}})
        except errors.CanvasDashboardError as exc:
            if not args.all:
                raise
            log.error("user %s: %s", uid, exc)
            results.append({"user_id": uid, "success": False, "error": str(exc)})
    ok = all(r["success"] for r in results)
    if args.json:
        emit(results[0] if not args.all else {"success": ok, "results": results})
    else:
        for r in results:
            if r["success"]:
                s = r["stats"]
                print(f"User {r['user_id']}: {s['courses']} courses, {s['assignments']} assignments "
                      f"({s['requests']} requests, {s['throttled']} throttled)")
            else:
                print(f"User {r['user_id']}: FAILED: {r['error']}")
    return 0 if ok else 1


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from canvas.db import jobs, repo
    from canvas.sync.status import ago, compute_status

    eng = engine(settings)
    if args.workers:
        with eng.connect() as conn:
            workers = jobs.live_workers(conn)
        doc = {"alive": sum(1 for w in workers if w["alive"]), "workers": workers}
        if args.json:
            emit(doc)
        else:
            print(f"{doc['alive']} worker(s) alive")
            for w in workers:
                print(f"  {w['worker_id']} {w['state']} last beat {w['last_beat']:%H:%M:%S} "
                      f"synced {w['synced']} failed {w['failed']} {'(alive)' if w['alive'] else '(silent)'}")
        return 0
    if args.user is None:
        raise errors.UsageError("status needs --user ID (or --workers)")
    with eng.connect() as conn:
        facts = repo.sync_facts(conn, user_id=args.user)
    if facts is None:
        raise errors.UsageError(f"no user with id {args.user}")
    status = compute_status(facts, settings.stale_after)
    if args.json:
        emit(status.as_json())
    else:
        print(f"{status.label} · last sync {ago(status.last_sync, facts['db_now'])} · "
              f"{status.courses} courses, {status.assignments} assignments cached")
        if status.error:
            print(f"  {status.error}")
    return 0


def register(sub: Any) -> None:
    sp = command(sub, "sync", cmd_sync, "sync users' Canvas data into the cache")
    who = sp.add_mutually_exclusive_group(required=True)
    who.add_argument("--user", type=int)
    who.add_argument("--all", action="store_true")
    sp.add_argument("--queue", action="store_true", help="only request it; a running sync_worker.py does it")
    sp.add_argument("--recent", action="store_true", help="only pull newly graded submissions")

    sp = command(sub, "status", cmd_status, "a user's sync status, or the workers' liveness")
    sp.add_argument("--user", type=int)
    sp.add_argument("--workers", action="store_true")
