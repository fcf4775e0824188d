"""`python -m canvas <command>`: the operator's interface, and the only module that prints.

Contract: with --json, exactly one JSON document on stdout; logs always go to stderr.
Exit 0 success, 1 runtime failure (Canvas or database), 2 bad input.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import socket
import sys
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from canvas import errors
from canvas.config import Settings, get_settings
from canvas.log import register_secret, setup_logging

log = logging.getLogger("canvas.cli")


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes | memoryview):
        return None  # ciphertexts never leave the database
    raise TypeError(type(value).__name__)


def emit(doc: Any) -> None:
    sys.stdout.write(json.dumps(doc, default=_default, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _owner() -> str:
    return f"cli:{socket.gethostname()}:{os.getpid()}"


def _read_token(settings: Settings) -> str:
    if settings.canvas_token is not None:
        token = settings.canvas_token.get_secret_value()
    elif sys.stdin.isatty():
        token = getpass.getpass("Canvas access token: ")
    else:
        token = sys.stdin.readline()
    token = token.strip()
    if not token:
        raise errors.UsageError("no Canvas token: set CANVAS_TOKEN or pass it as one line on stdin")
    register_secret(token)
    return token


def _engine(settings: Settings):
    from canvas.db.engine import get_engine

    return get_engine(settings)


def _cipher(settings: Settings):
    from canvas.crypto import TokenCipher

    return TokenCipher.from_settings(settings)


# -- users -------------------------------------------------------------------------------------
def cmd_users_add(args: argparse.Namespace, settings: Settings) -> int:
    from canvas.accounts import connect_account
    from canvas.api.hosts import normalize_base_url

    normalize_base_url(args.base_url, settings.allowed_hosts)  # refuse a bad URL before asking for a token
    token = _read_token(settings)
    acct = connect_account(_engine(settings), settings, _cipher(settings), base_url=args.base_url, token=token)
    doc = {"user_id": acct.user_id, "canvas_user_id": acct.canvas_user_id, "name": acct.name}
    if args.json:
        emit(doc)
    else:
        print(f"Added user {acct.user_id}: {acct.name} (Canvas user {acct.canvas_user_id} at {acct.base_url})")
    return 0


def cmd_users_list(args: argparse.Namespace, settings: Settings) -> int:
    from canvas.db import repo

    with _engine(settings).connect() as conn:
        users = repo.list_users(conn)
    rows = [{"user_id": u.id, "canvas_user_id": u.canvas_user_id, "name": u.name, "base_url": u.base_url,
             "time_zone": u.time_zone, "token": u.token_state if u.token_ciphertext else "missing",
             "token_hint": u.token_hint} for u in users]
    if args.json:
        emit({"users": rows})
    elif not rows:
        print("No users yet. Add one with: python -m canvas users add --base-url URL")
    else:
        for r in rows:
            print(f"{r['user_id']:>5}  {r['name']:<30} {r['base_url']:<40} token {r['token']} {r['token_hint'] or ''}")
    return 0


def cmd_users_remove(args: argparse.Namespace, settings: Settings) -> int:
    from canvas.db import repo

    with _engine(settings).begin() as conn:
        if not repo.delete_user(conn, user_id=args.user):
            raise errors.UsageError(f"no user with id {args.user}")
    if args.json:
        emit({"removed": args.user})
    else:
        print(f"Removed user {args.user} and their cached data")
    return 0


# -- sync --------------------------------------------------------------------------------------
def cmd_sync(args: argparse.Namespace, settings: Settings) -> int:
    from canvas.db import jobs, repo
    from canvas.sync.runner import sync_user_now

    engine = _engine(settings)
    kind = "recent" if args.recent else "full"
    if args.queue:
        with engine.begin() as conn:
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
    with engine.connect() as conn:
        if args.all:
            ids = [u.id for u in repo.list_users(conn) if u.token_state == "valid" and u.token_ciphertext]
        else:
            if repo.get_user(conn, args.user) is None:
                raise errors.UsageError(f"no user with id {args.user}")
            ids = [args.user]
    cipher = _cipher(settings)
    results: list[dict[str, Any]] = []
    for uid in ids:
        try:
            res = sync_user_now(engine, settings, uid, trigger="cli", owner=_owner(), cipher=cipher, kind=kind)
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

    engine = _engine(settings)
    if args.workers:
        with engine.connect() as conn:
            workers = jobs.live_workers(conn)
        doc = {"alive": sum(1 for w in workers if w["alive"] and w["state"] == "running"), "workers": workers}
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
    with engine.connect() as conn:
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


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from canvas.db import repo
    from canvas.export import export_document

    with _engine(settings).connect() as conn:
        if repo.get_user(conn, args.user) is None:
            raise errors.UsageError(f"no user with id {args.user}")
        data = repo.export_user(conn, user_id=args.user)
    emit(export_document(data))
    return 0


def cmd_simulate(args: argparse.Namespace, settings: Settings) -> int:
    from canvas.simulator.cli import main as simulate_main

    argv = ["--port", str(args.port), "--seed", str(args.seed), "--latency-ms", str(args.latency_ms),
            "--host", args.host]
    return simulate_main(argv)


def cmd_grade_calc(args: argparse.Namespace, settings: Settings) -> int:
    from canvas.analysis.gradecalc_io import grade_calc_command

    result = grade_calc_command(sys.stdin.read())
    if args.json:
        emit(result)
    else:
        def pct(v: Any) -> str:
            return "—" if v is None else f"{v:.2f}%"
        print(f"Current: {pct(result['current_percent'])}  Final: {pct(result['final_percent'])}")
        for g in result.get("groups", []):
            print(f"  group {g['id']}: current {pct(g['current_percent'])}, final {pct(g['final_percent'])}")
    return 0


# -- wiring ------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m canvas", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    def add(name: str, fn: Callable[..., int], help_: str, parent: Any = sub) -> argparse.ArgumentParser:
        sp = parent.add_parser(name, help=help_, description=help_)
        sp.set_defaults(fn=fn)
        sp.add_argument("--json", action="store_true", help="print exactly one JSON document on stdout")
        return sp

    users = sub.add_parser("users", help="add, list or remove users").add_subparsers(dest="users_cmd", required=True)
    ua = add("add", cmd_users_add, "check a Canvas token and store it (token from CANVAS_TOKEN or stdin)", users)
    ua.add_argument("--base-url", required=True, help="your Canvas site, e.g. https://school.instructure.com")
    add("list", cmd_users_list, "list users", users)
    ur = add("remove", cmd_users_remove, "remove a user and their cached data", users)
    ur.add_argument("--user", type=int, required=True)

    sp = add("sync", cmd_sync, "sync users' Canvas data into the cache")
    who = sp.add_mutually_exclusive_group(required=True)
    who.add_argument("--user", type=int)
    who.add_argument("--all", action="store_true")
    sp.add_argument("--queue", action="store_true", help="only request it; a running sync_worker.py does it")
    sp.add_argument("--recent", action="store_true", help="only pull newly graded submissions")

    sp = add("status", cmd_status, "a user's sync status, or the workers' liveness")
    sp.add_argument("--user", type=int)
    sp.add_argument("--workers", action="store_true")

    sp = add("export", cmd_export, "print a user's cached data as JSON")
    sp.add_argument("--user", type=int, required=True)

    sp = add("simulate", cmd_simulate, "run the simulated Canvas (demo data, test double)")
    from canvas.simulator.cli import CONTROLS  # the fault and mutation recipes, shown by --help
    sp.epilog, sp.formatter_class = CONTROLS, argparse.RawDescriptionHelpFormatter
    sp.add_argument("--port", type=int, default=8765, help="TCP port (0 = any free port)")
    sp.add_argument("--seed", type=int, default=1, help="data seed (same seed, same data)")
    sp.add_argument("--latency-ms", type=int, default=0, help="delay added to each API request")
    sp.add_argument("--host", default="127.0.0.1", help="address to bind")

    add("grade-calc", cmd_grade_calc, "compute a course grade the way Canvas does (JSON on stdin)")
    _extra_commands(sub, add)
    return p


def _extra_commands(sub: Any, add: Callable[..., argparse.ArgumentParser]) -> None:
    """Commands that live in their own modules (kept apart so this file stays small)."""
    from canvas.cli_more import register

    register(sub, add)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    json_mode = bool(getattr(args, "json", False))
    try:
        settings = get_settings()
        setup_logging(settings.log_level)
        return int(args.fn(args, settings))
    except errors.CanvasDashboardError as exc:
        return _fail(exc, exc.exit_code, json_mode, args)
    except SQLAlchemyError as exc:
        err = errors.DatabaseError(f"database error: {type(exc).__name__}")
        return _fail(err, 1, json_mode, args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _fail(exc: Exception, code: int, json_mode: bool, args: argparse.Namespace) -> int:
    from canvas.log import redact

    message = redact(str(exc))
    print(f"error: {message}", file=sys.stderr)
    if json_mode:
        doc: dict[str, Any] = {"error": message}
        if args.command == "sync":
            doc = {"success": False, "error": message}
        emit(doc)
    return code
