"""`simulate`: run the simulated Canvas (demo data, the tests' double)."""

from __future__ import annotations

import argparse
from typing import Any

from canvas.cli.common import command
from canvas.config import Settings


def cmd_simulate(args: argparse.Namespace, settings: Settings) -> int:
    from canvas.simulator.cli import main as simulate_main

    argv = ["--port", str(args.port), "--seed", str(args.seed), "--latency-ms", str(args.latency_ms),
            "--host", args.host]
    return simulate_main(argv)


def register(sub: Any) -> None:
    from canvas.simulator.cli import CONTROLS  # the fault and mutation recipes, shown by --help

    sp = command(sub, "simulate", cmd_simulate, "run the simulated Canvas (demo data, test double)")
    sp.epilog, sp.formatter_class = CONTROLS, argparse.RawDescriptionHelpFormatter
    sp.add_argument("--port", type=int, default=8765, help="TCP port (0 = any free port)")
    sp.add_argument("--seed", type=int, default=1, help="data seed (same seed, same data)")
    sp.add_argument("--latency-ms", type=int, default=0, help="delay added to each API request")
    sp.add_argument("--host", default="127.0.0.1", help="address to bind")
