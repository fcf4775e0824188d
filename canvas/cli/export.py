"""`export`: print a user's cached data as one JSON document."""

from __future__ import annotations

import argparse
from typing import Any

from canvas import errors
from canvas.cli.common import command, emit, engine
from canvas.config import Settings


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from canvas.db import repo
    from canvas.export import export_document

    with engine(settings).connect() as conn:
        if repo.get_user(conn, args.user) is None:
            raise errors.UsageError(f"no user with id {args.user}")
        data = repo.export_user(conn, user_id=args.user)
    emit(export_document(data))
    return 0


def register(sub: Any) -> None:
    sp = command(sub, "export", cmd_export, "print a user's cached data as JSON")
    sp.add_argument("--user", type=int, required=True)
