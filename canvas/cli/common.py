"""What every command group shares: declaring a subcommand, --json output, engine, cipher, token."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import socket
import sys
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from canvas import errors
from canvas.config import Settings
from canvas.log import register_secret

Command = Callable[[argparse.Namespace, Settings], int]


def command(parent: Any, name: str, fn: Command, help_: str) -> argparse.ArgumentParser:
    """Add subcommand `name` (running `fn`) to `parent` (a subparsers object), with --json."""
    sp = parent.add_parser(name, help=help_, description=help_)
    sp.set_defaults(fn=fn)
    sp.add_argument("--json", action="store_true", help="print exactly one JSON document on stdout")
    return sp


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


def owner() -> str:
    return f"cli:{socket.gethostname()}:{os.getpid()}"


def read_token(settings: Settings) -> str:
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


def engine(settings: Settings):
    from canvas.db.engine import get_engine

    return get_engine(settings)


def cipher(settings: Settings):
    from canvas.crypto import TokenCipher

    return TokenCipher.from_settings(settings)
