"""canvas.api.permits: slots handed out in order, one store round trip per batch, late slots dropped."""

from __future__ import annotations

import itertools

import pytest

from canvas.api.permits import BudgetExhausted, HostPermits


class FakeStore:
    """A GCRA store on a fake clock, as canvas.db.budget answers (seconds until the first slot)."""

    def __init__(self, clock: list[float], rate: float) -> None:
        self.clock, self.rate, self.calls = clock, rate, []
        self.tat: dict[str, float] = {}

    def reserve(self, host: str, n: int) -> float:
        self.calls.append((host, n))
        start = max(self.tat.get(host, 0.0), self.clock[0])
        self.tat[host] = start + n / self.rate
        return start - self.clock[0]


def make(rate: float = 10.0, batch: int = 1):
    clock = [100.0]
    store = FakeStore(clock, rate)

    def sleep(s: float) -> None:
        clock[0] += s

    return clock, store, HostPermits(store.reserve, rate, batch=batch, clock=lambda: clock[0], sleep=sleep)


def test_back_to_back_requests_are_spaced_by_the_rate() -> None:
    clock, store, permits = make(rate=10.0)
    sent = []
    for _ in range(5):
        permits("canvas.school.edu:443")
        sent.append(clock[0])
    assert [round(b - a, 6) for a, b in itertools.pairwise(sent)] == [0.1] * 4
    assert len(store.calls) == 5  # batch 1: one round trip per request


def test_a_batch_costs_one_round_trip_and_keeps_the_spacing() -> None:
    clock, store, permits = make(rate=10.0, batch=4)
    sent = []
    for _ in range(8):
        permits("h:443")
        sent.append(round(clock[0], 6))
    assert store.calls == [("h:443", 4), ("h:443", 4)]
    assert sent == [round(100 + 0.1 * i, 6) for i in range(8)]


def test_a_slot_left_unused_past_the_next_one_is_dropped_not_sent_late() -> None:
    clock, store, permits = make(rate=10.0, batch=4)
    permits("h:443")  # slots at 100.0 (used), 100.1, 100.2, 100.3
    clock[0] = 105.0  # idle: the rest are stale; sending them now would be a burst
    permits("h:443")
    assert permits.dropped == 3 and len(store.calls) == 2


def test_hosts_have_separate_budgets() -> None:
    clock, _store, permits = make(rate=1.0)
    permits("a:443")
    permits("b:443")
    assert clock[0] == 100.0  # neither waited for the other


def test_a_budget_booked_far_ahead_fails_the_run_instead_of_sleeping_for_ever() -> None:
    clock, store, permits = make(rate=1.0)
    store.tat["h:443"] = clock[0] + 10_000
    with pytest.raises(BudgetExhausted):
        permits("h:443")
