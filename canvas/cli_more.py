"""Further CLI commands: the fetch report (`fetch`), key rotation (`keys rotate`) and `prune`."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from canvas import errors
from canvas.config import Settings

TOKEN_ARG_WARNING = ("warning: a token given on the command line is visible to other local users "
                     "(process list, shell history); set CANVAS_TOKEN instead")


# -- fetch: the report without a database ---------------------------------------------------------
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
    from canvas.cli import _read_token
    from canvas.log import register_secret

    if positional is None:
        return _read_token(settings)  # CANVAS_TOKEN, else a prompt or one line on stdin
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


def cmd_keys_rotate(args: argparse.Namespace, settings: Settings) -> int:
    from cryptography.fernet import InvalidToken

    from canvas.cli import _engine, emit
    from canvas.crypto import TokenCipher, add_primary_key, key_path, load_keyring
    from canvas.db import jobs, notify, repo

    engine = _engine(settings)
    path = key_path(settings)
    add_primary_key(path)
    cipher = TokenCipher(load_keyring(path))
    rotated, unreadable = 0, []
    with engine.begin() as conn:
        for user_id, ciphertext in repo.all_token_rows(conn):
            try:
                repo.set_ciphertext(conn, user_id=user_id, ciphertext=cipher.rotate(ciphertext))
                rotated += 1
            except InvalidToken:  # no key in the ring opens this row
                unreadable.append(user_id)
                jobs.mark_token_invalid(conn, user_id, "Stored token cannot be decrypted. Reconnect in Settings.")
        rotated_targets = notify.rotate_targets(conn, cipher)  # notification URLs use the same key ring
    doc = {"rotated": rotated, "unreadable": unreadable, "key_file": str(path),
           "rotated_notification_urls": rotated_targets}
    if args.json:
        emit(doc)
    else:
        print(f"Re-encrypted {rotated} token(s) under a new primary key in {path}")
        if unreadable:
            print(f"{len(unreadable)} token(s) could not be opened; those users must reconnect: {unreadable}")
    return 0


# -- prune: the retention rule, once ----------------------------------------------------------------
def cmd_prune(args: argparse.Namespace, settings: Settings) -> int:
    from canvas.cli import _engine, emit
    from canvas.db import retention

    batch_size = retention.BATCH_SIZE if args.batch_size is None else args.batch_size
    if not 1 <= batch_size <= 100_000:
        raise errors.UsageError("--batch-size: expected 1 to 100000 rows")
    policy = retention.Policy.from_settings(settings)
    res = retention.prune(_engine(settings), policy, dry_run=args.dry_run, batch_size=batch_size)
    if args.json:
        emit({"ran": res.ran, "dry_run": res.dry_run, "tables": res.counts, "seconds": round(res.seconds, 3)})
        return 0
    if not res.ran:
        print("Another process (a worker) is pruning right now; nothing done")
        return 0
    verb = "would delete" if res.dry_run else "deleted"
    print(f"Retention: {policy.describe()}")
    for name, n in res.counts.items():
        print(f"  {name:<24} {n:>10} {verb}")
    print(f"{'Nothing deleted (dry run)' if res.dry_run else f'{res.total} row(s) deleted'} in {res.seconds:.1f}s")
    return 0


def register(sub: Any, add: Callable[..., argparse.ArgumentParser]) -> None:
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

    keys = sub.add_parser("keys", help="token encryption keys").add_subparsers(dest="keys_cmd", required=True)
    add("rotate", cmd_keys_rotate, "re-encrypt every stored token under a new primary key", keys)

    pp = add("prune", cmd_prune, "delete history past the retention windows (CANVAS_RETAIN_*), once")
    pp.add_argument("--dry-run", action="store_true", help="count what would be deleted; delete nothing")
    # No default here: importing canvas.db to show it would load the database layer for every command
    # (`fetch` must work without it).
    pp.add_argument("--batch-size", type=int, default=None, metavar="N",
                    help="rows per delete transaction (default 5000)")
