"""`fetch`: fetch your Canvas data and print a report. Needs no database (never imports canvas.db)."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from canvas import errors
from canvas.cli.common import read_token
from canvas.config import Settings

TOKEN_ARG_WARNING = ("warning: a token given on the command line is visible to other local users "
                     "(process list, shell history); set CANVAS_TOKEN instead")


def cmd_fetch(args: argparse.Namespace, settings: Settings) -> int:
    from canvas.api.hosts import check_base_url
    from canvas.report import build_report, debug_document, render_text
    from canvas.report.collect import fetch, open_client
    from canvas.report.progress import Progress

    checked = check_base_url(args.base_url, settings.allowed_hosts)  # refused: exit 2, nothing sent
    base = checked.base_url
    interval_ms = _interval_ms(args.min_interval_ms, settings)
    target = _json_target(args.json_file)
    token = _fetch_token(args.token, settings)
    with open_client(settings, checked, token, min_interval_s=interval_ms / 1000) as client:
        try:
            run = fetch(client, Progress(), max_workers=settings.max_in_flight, min_interval_ms=interval_ms)
        except errors.AuthError as exc:
            raise errors.CanvasError(f"Canvas rejected the access token: {exc.detail} "
                                     f"(HTTP {exc.status} for {exc.path})") from None
        except errors.TransportError as exc:
            raise errors.CanvasError(f"cannot reach Canvas at {base}: {exc}") from None
    report = build_report(run.raw, datetime.now(UTC), run.performance)
    if target != "-":
        sys.stdout.write(render_text(report, base_url=base, limit=args.limit))
        sys.stdout.flush()
    if target is not None:
        _write_json(target, debug_document(run.raw, report, base))
    return 0


def _fetch_token(positional: str | None, settings: Settings) -> str:
    from canvas.log import register_secret

    if positional is None:
        return read_token(settings)  # CANVAS_TOKEN, else a prompt or one line on stdin
    register_secret(positional)
    print(TOKEN_ARG_WARNING, file=sys.stderr)
    token = positional.strip()
    if not token:
        raise errors.UsageError("TOKEN is empty: set CANVAS_TOKEN instead")
    return token


def _interval_ms(value: int | None, settings: Settings) -> int:
    from canvas.report.collect import DEFAULT_MIN_INTERVAL_MS

    ms = max(DEFAULT_MIN_INTERVAL_MS, settings.min_request_interval_ms) if value is None else value
    if not 0 <= ms <= 60_000:
        raise errors.UsageError("--min-interval-ms: expected 0 to 60000 milliseconds")
    return ms


def _json_target(value: str | None) -> Path | str | None:
    """Check the --json destination before any request, so a typo doesn't waste a fetch."""
    if value is None or value == "-":
        return value
    path = Path(value).expanduser()
    if path.is_dir():
        raise errors.UsageError(f"--json: {value} is a directory; name a file")
    if not path.parent.is_dir():
        raise errors.UsageError(f"--json: directory {path.parent} does not exist")
    return path


def _write_json(target: Path | str, doc: dict[str, Any]) -> None:
    import json
    import logging

    from canvas.log import redact

    # The raw data holds no token; redact() is the belt to that brace (it knows the token in use).
    text = redact(json.dumps(doc, ensure_ascii=False, indent=2)) + "\n"
    if target == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    path = Path(target)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        # Grades and e-mail are personal: owner-only, and written whole or not at all.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise errors.CanvasDashboardError(f"cannot write {path}: {exc.strerror or exc}") from None
    logging.getLogger("canvas.report").info("Wrote the raw data and the analysis to %s", path)


def register(sub: Any) -> None:
    about = ("fetch your Canvas data and print a report: grades (Canvas's and ours), upcoming, missing and "
             "late work, statistics, performance. Needs no database. Token from CANVAS_TOKEN.")
    fp = sub.add_parser("fetch", help="fetch your Canvas data and print a report (no database needed)",
                        description=about)
    fp.set_defaults(fn=cmd_fetch)
    fp.add_argument("base_url", metavar="BASE_URL", help="your Canvas site, e.g. https://school.instructure.com")
    fp.add_argument("token", metavar="TOKEN", nargs="?",
                    help="discouraged (other local users can see it); set CANVAS_TOKEN instead")
    fp.add_argument("--json", dest="json_file", metavar="FILE",
                    help="also write the raw data plus the analysis to FILE ('-' for stdout instead of the report)")
    fp.add_argument("--min-interval-ms", type=int, default=None, metavar="MS",
                    help="least time between two requests (default 100, or CANVAS_MIN_REQUEST_INTERVAL_MS "
                         "if larger)")
    fp.add_argument("--limit", type=int, default=20, metavar="N",
                    help="show at most N items per work list (default 20; 0 shows all)")
