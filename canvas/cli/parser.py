"""The argument parser (built from the command groups), exit codes, and `main`."""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Any

from canvas import errors
from canvas.cli.common import emit
from canvas.config import get_settings
from canvas.log import setup_logging

EXIT_OK = 0
EXIT_FAILURE = 1  # Canvas or the database failed (errors.CanvasDashboardError.exit_code)
EXIT_USAGE = 2  # bad input (errors.UsageError.exit_code; argparse uses 2 as well)
EXIT_INTERRUPTED = 130

DESCRIPTION = "`python -m canvas <command>`: the operator's interface, and the only module that prints."

# Command groups in --help order; each module has `register(subparsers)`.
GROUPS = ("users", "sync", "changes", "export", "grades", "simulate", "gradecalc", "fetch", "keys", "prune")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m canvas", description=DESCRIPTION)
    sub = p.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        importlib.import_module(f"canvas.cli.{group}").register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    json_mode = bool(getattr(args, "json", False))
    try:
        settings = get_settings()
        setup_logging(settings.log_level)
        return int(args.fn(args, settings))
    except errors.CanvasDashboardError as exc:  # DatabaseError included: canvas/db converts them
        return _fail(exc, exc.exit_code, json_mode, args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


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
