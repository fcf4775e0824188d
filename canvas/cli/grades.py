"""`grades`: every course (active and archived) with its letter, credits and GPA.

The document comes from `canvas.grades_report` (pure, table-tested); this module only wires it in."""

from __future__ import annotations

import argparse
from typing import Any

from canvas.cli.common import command, emit
from canvas.config import Settings


def cmd_grades(args: argparse.Namespace, settings: Settings) -> int:
    from canvas.grades_report import as_text, run

    doc = run(args.user, settings)
    if args.json:
        emit(doc)
    else:
        print(as_text(doc))
    return 0


def register(sub: Any) -> None:
    sp = command(sub, "grades", cmd_grades,
                 "every course (active and archived) with its letter, credits and GPA per term and overall")
    sp.add_argument("--user", type=int, required=True)
