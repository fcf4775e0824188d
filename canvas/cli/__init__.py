"""`python -m canvas <command>`: the operator's interface, and the only package that prints.

Contract: with --json, exactly one JSON document on stdout; logs always go to stderr.
Exit 0 success, 1 runtime failure (Canvas or database), 2 bad input (see `parser`).

Layout:

* `parser`  builds the argument parser from the command groups, runs the command, maps errors
            to exit codes (`main`).
* `common`  what every group shares: `command()` to declare a subcommand, `emit()` for --json,
            the engine, the cipher, reading a token.
* one module per command group (`users`, `sync` (sync and status), `export`, `simulate`,
  `gradecalc`, `fetch`, `keys`, `prune`).

Adding a command group: write `canvas/cli/<group>.py` with a `register(subparsers)` function that
adds its parser(s) (usually with `common.command(subparsers, name, fn, help)`, which also adds
--json), and list the module in `parser.GROUPS` (the order there is the order in --help).
A command function takes `(args, settings)` and returns the exit code. Import the database layer,
the HTTP client and anything heavy *inside* the command function, never at module level: building
the parser must not load `canvas.db` (`fetch` works without a database;
tests/acceptance/test_fetch_report.py checks it).
"""

from __future__ import annotations

from canvas.cli.parser import build_parser, main

__all__ = ["build_parser", "main"]
