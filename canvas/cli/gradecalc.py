"""`grade-calc`: compute a course grade the way Canvas does, from JSON on stdin."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from canvas.cli.common import command, emit
from canvas.config import Settings


def cmd_grade_calc(args: argparse.Namespace, settings: Settings) -> int:
    from canvas.analysis.gradecalc_io import grade_calc_command

    result = grade_calc_command(sys.stdin.read())
    if args.json:
        emit(result)
    else:
        def pct(v: Any) -> str:
            return "—" if v is None else f"{v:.2f}%"
        print(f"Current: {pct(result['current_percent'])}  Final: {pct(result['final_percent'])}")
        for g in result.get("groups", []):
            print(f"  group {g['id']}: current {pct(g['current_percent'])}, final {pct(g['final_percent'])}")
    return 0


def register(sub: Any) -> None:
    command(sub, "grade-calc", cmd_grade_calc, "compute a course grade the way Canvas does (JSON on stdin)")
