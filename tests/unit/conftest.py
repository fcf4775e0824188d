"""Fixtures shared by the unit tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from canvas.simulator import Simulator

ANCHOR = datetime(2025, 3, 10, 15, tzinfo=UTC)  # the simulator's "now": generated dates hang off it


@pytest.fixture(scope="module")
def anchored_sim() -> Iterator[Simulator]:
    """A simulated Canvas (seed 1, dates from ANCHOR) over real HTTP, one per test module."""
    with Simulator(port=0, seed=1, anchor=ANCHOR) as s:
        yield s


@pytest.fixture(scope="module")
def demo(anchored_sim: Simulator) -> dict:
    """Simulated student 1's whole dataset."""
    return anchored_sim.dataset(1)
