"""What every benchmark shares: a throw-away database, alternating runs, medians, Markdown tables.

A benchmark module exposes `run(ctx) -> Section`. Comparisons run their sides alternately in one
process run (machines are noisy: a slow minute hits both sides, and the ratio stays honest).
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from canvas.db.scratch import ScratchServer

ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")


@dataclass
class Section:
    title: str
    target: str  # what the issue asks for, in words
    body: str  # generated: tables and figures of this run
    notes: str = ""  # hand-written: how it was measured, what the profile showed
    ok: bool | None = None  # targets met (None: nothing to meet)
    figures: dict[str, Any] = field(default_factory=dict)

    def markdown(self) -> str:
        verdict = {True: "targets met", False: "**target missed**", None: "reference"}[self.ok]
        parts = [f"## {self.title}", f"Target: {self.target} ({verdict})", self.body.strip()]
        if self.notes.strip():
            parts.append(self.notes.strip())
        return "\n\n".join(parts) + "\n"


@dataclass
class Context:
    smoke: bool
    tmp: Path
    server: ScratchServer
    shared: dict[str, Any] = field(default_factory=dict)  # results one section hands to a later one

    def database(self) -> str:
        return self.server.new_database("canvas_bench")

    def settings(self, url: str, **overrides: Any) -> Any:
        from canvas.config import load_settings

        return load_settings(database_url=url, data_dir=self.tmp / "data", allowed_hosts=("127.0.0.1",),
                             **overrides)

    def env(self, url: str, **extra: str) -> dict[str, str]:
        """Environment for a subprocess (CLI, worker) using this database."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("CANVAS_") and k != "DATABASE_URL"}
        env.update(DATABASE_URL=url, CANVAS_DATA_DIR=str(self.tmp / "data"), CANVAS_ALLOWED_HOSTS="127.0.0.1",
                   CANVAS_LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT))
        env.setdefault("XDG_RUNTIME_DIR", "/tmp")
        env.update(extra)
        return env


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    """(seconds, result) of one call."""
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def median_ms(fn: Callable[[], object], runs: int) -> float:
    return statistics.median(timed(fn)[0] * 1000 for _ in range(runs))


def alternate(sides: dict[str, Callable[[], T]], rounds: int) -> dict[str, list[T]]:
    """Run each side once per round, in turn (A B C A B C ...); results per side, in order."""
    out: dict[str, list[T]] = {name: [] for name in sides}
    for _ in range(rounds):
        for name, fn in sides.items():
            out[name].append(fn())
    return out


def table(headers: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def machine() -> str:
    load = os.getloadavg()[0]
    return (f"{platform.machine()}, {os.cpu_count()} CPU, Python {platform.python_version()}, "
            f"load average {load:.1f} at start")


def scrub_environment() -> str | None:
    """Take DATABASE_URL (sections make their own scratch databases on that server, or on an embedded
    one) and drop every CANVAS_ setting, so a developer's settings never leak into the figures."""
    server_url = os.environ.pop("DATABASE_URL", None)
    for var in [v for v in os.environ if v.startswith("CANVAS_")]:
        del os.environ[var]
    os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")
    return server_url
