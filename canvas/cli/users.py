"""`users add | list | remove`: connect a Canvas account (token checked live), list, forget."""

from __future__ import annotations

import argparse
from typing import Any

from canvas import errors
from canvas.cli.common import cipher, command, emit, engine, read_token
from canvas.config import Settings


def cmd_users_add(args: argparse.Namespace, settings: Settings) -> int:
    from canvas.accounts import connect_account
    from canvas.api.hosts import normalize_base_url

    normalize_base_url(args.base_url, settings.allowed_hosts)  # refuse a bad URL before asking for a token
    token = read_token(settings)
    acct = connect_account(engine(settings), settings, cipher(settings), base_url=args.base_url, token=token)
    doc = {"user_id": acct.user_id, "canvas_user_id": acct.canvas_user_id, "name": acct.name}
    if args.json:
        emit(doc)
    else:
        print(f"Added user {acct.user_id}: {acct.name} (Canvas user {acct.canvas_user_id} at {acct.base_url})")
    return 0


def cmd_users_list(args: argparse.Namespace, settings: Settings) -> int:
    from canvas.db import repo

    with engine(settings).connect() as conn:
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

    with engine(settings).begin() as conn:
        if not repo.delete_user(conn, user_id=args.user):
            raise errors.UsageError(f"no user with id {args.user}")
    if args.json:
        emit({"removed": args.user})
    else:
        print(f"Removed user {args.user} and their cached data")
    return 0


def register(sub: Any) -> None:
    users = sub.add_parser("users", help="add, list or remove users").add_subparsers(dest="users_cmd", required=True)
    ua = command(users, "add", cmd_users_add, "check a Canvas token and store it (token from CANVAS_TOKEN or stdin)")
    ua.add_argument("--base-url", required=True, help="your Canvas site, e.g. https://school.instructure.com")
    command(users, "list", cmd_users_list, "list users")
    ur = command(users, "remove", cmd_users_remove, "remove a user and their cached data")
    ur.add_argument("--user", type=int, required=True)
