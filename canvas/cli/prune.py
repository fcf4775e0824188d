"""`prune`: apply the retention rule once (CANVAS_RETAIN_*); `--dry-run` only counts."""

from __future__ import annotations

import argparse
from typing import Any

from canvas import errors
from canvas.cli.common import command, emit, engine
from canvas.config import Settings


def cmd_prune(args: argparse.Namespace, settings: Settings) -> int:
    from canvas.db import retention

    batch_size = retention.BATCH_SIZE if args.batch_size is None else args.batch_size
    if not 1 <= batch_size <= 100_000:
        raise errors.UsageError("--batch-size: expected 1 to 100000 rows")
    policy = retention.Policy.from_settings(settings)
    res = retention.prune(engine(settings), policy, dry_run=args.dry_run, batch_size=batch_size)
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


def register(sub: Any) -> None:
    pp = command(sub, "prune", cmd_prune, "delete history past the retention windows (CANVAS_RETAIN_*), once")
    pp.add_argument("--dry-run", action="store_true", help="count what would be deleted; delete nothing")
    # No default here: importing canvas.db to show it would load the database layer for every command
    # (`fetch` must work without it).
    pp.add_argument("--batch-size", type=int, default=None, metavar="N",
                    help="rows per delete transaction (default 5000)")
