"""`python -m canvas changes --user ID [--since ISO-8601] [--limit N] --json`: the change feed.

Prints {"changes": [{kind, course_id, assignment_id, title, before, after, detected_at, html_url}]},
newest first.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from canvas import errors
from canvas.cli.common import command, emit, engine
from canvas.config import Settings

FIELDS = ("kind", "course_id", "assignment_id", "title", "before", "after", "detected_at", "html_url")


def parse_since(value: str | None) -> datetime | None:
    """ISO-8601 date or time; a time without an offset is UTC."""
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise errors.UsageError(f"--since: expected an ISO-8601 time such as 2026-12-01T08:00:00Z, "
                                f"not {value[:40]!r}") from None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def cmd_changes(args: argparse.Namespace, settings: Settings) -> int:
    from canvas.db import changes, repo

    since = parse_since(args.since)
    if not 1 <= args.limit <= 10_000:
        raise errors.UsageError("--limit: expected 1 to 10000")
    with engine(settings).connect() as conn:
        if repo.get_user(conn, args.user) is None:
            raise errors.UsageError(f"no user with id {args.user}")
        rows = changes.list_changes(conn, args.user, since=since, limit=args.limit)
    items = [{k: v for k, v in r.items() if k in FIELDS} for r in rows]
    if args.json:
        emit({"changes": items})
        return 0
    if not items:
        print("No changes" + (f" since {since.isoformat()}" if since else "") + ".")
    for c in items:
        arrow = f"{c['before']} -> {c['after']}" if c["before"] is not None or c["after"] is not None else ""
        print(f"{c['detected_at']:%Y-%m-%d %H:%M}  {c['kind']:<21} {c['title']}  {arrow}".rstrip())
    return 0


def register(sub: Any) -> None:
    sp = command(sub, "changes", cmd_changes, "what changed in a user's Canvas data, newest first")
    sp.add_argument("--user", type=int, required=True)
    sp.add_argument("--since", metavar="ISO-8601", help="only changes detected after this time")
    sp.add_argument("--limit", type=int, default=200, metavar="N", help="at most N changes (default 200)")
