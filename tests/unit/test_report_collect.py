"""The fetch report's I/O half against the simulated Canvas (in process, real HTTP)."""

from __future__ import annotations

import io
import itertools
import time

import pytest

from canvas import errors
from canvas.api.hosts import check_base_url
from canvas.api.ratelimit import RateLimiter
from canvas.config import load_settings
from canvas.report.collect import fetch, open_client
from canvas.report.progress import Progress
from canvas.simulator import token_for


def run(sim, token: str = token_for(1), progress: Progress | None = None, interval_ms: int = 0):
    settings = load_settings(allowed_hosts=("127.0.0.1",), retry_backoff_ms=10)
    checked = check_base_url(sim.base_url, settings.allowed_hosts)
    with open_client(settings, checked, token, min_interval_s=interval_ms / 1000) as client:
        return fetch(client, progress, max_workers=settings.max_in_flight, min_interval_ms=interval_ms)


def test_fetches_the_minimal_plan_and_counts_it(sim) -> None:
    out = io.StringIO()
    result = run(sim, progress=Progress(out, interactive=True))
    data = sim.dataset(1)
    current = [c for c in data["courses"] if not c["concluded"]]  # the report covers the current term
    assert result.raw.profile == data["profile"]
    assert [c["id"] for c in result.raw.courses] == [c["id"] for c in current]
    for course_id in [c["id"] for c in current]:
        groups = data["assignment_groups"][course_id]
        fetched = result.raw.groups[course_id]
        assert [g["id"] for g in fetched] == [g["id"] for g in groups]
        assert [a["id"] for g in fetched for a in g["assignments"]] == [a["id"] for g in groups
                                                                      for a in g["assignments"]]
        assert all("description" not in a for g in fetched for a in g["assignments"])  # the sync's trimming
    perf = result.performance
    assert perf["requests"] == sim.stats()["requests"] == len(current) + 2
    assert perf["bytes"] > 100_000 and perf["throttled"] == 0 and perf["retries"] == 0
    assert perf["min_rate_limit_remaining"] is not None and perf["min_rate_limit_remaining"] <= 600
    shown = out.getvalue()
    assert "Fetching profile…" in shown and "Fetching assignments… (6/6)" in shown
    assert shown.endswith("\r\x1b[K")  # the line is gone before the report prints


@pytest.mark.parametrize("status", [401, 403, 404])
def test_a_course_canvas_will_not_show_is_skipped(sim, status: int) -> None:
    sim.set_faults(forbid_courses={10002: status})
    result = run(sim)
    skipped = result.raw.skipped
    assert [(s["course_id"], s["name"], s["status"]) for s in skipped] == [(10002, "Introduction to Biology", status)]
    assert 10002 not in result.raw.groups and len(result.raw.groups) == 5


def test_a_revoked_token_stops_the_fetch(sim) -> None:
    sim.set_faults(revoke=[1])
    out = io.StringIO()
    with pytest.raises(errors.AuthError, match="Revoked access token"):
        run(sim, progress=Progress(out, interactive=True))
    assert sim.stats()["requests"] == 1  # never retried, nothing after the profile
    assert out.getvalue().endswith("\r\x1b[K")


class RevokeWhenCoursesStart(Progress):
    def __init__(self, sim) -> None:
        super().__init__(io.StringIO(), interactive=False)
        self.sim = sim

    def update(self, stage: str, done: int | None = None, total: int | None = None) -> None:
        if stage == "Fetching assignments" and done == 0:
            self.sim.set_faults(revoke=[1])


def test_a_token_revoked_mid_fetch_fails_the_fetch_instead_of_skipping_courses(sim) -> None:
    with pytest.raises(errors.AuthError, match="Revoked access token"):
        run(sim, progress=RevokeWhenCoursesStart(sim))
    log = sim.stats()["log"]
    assert [e["status"] for e in log[:2]] == [200, 200] and {e["status"] for e in log[2:]} == {401}


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


@pytest.mark.parametrize(("interval", "advances", "slept"), [
    (0.1, [0.0, 0.0, 0.0], [0.1, 0.1]),  # back to back: each waits the full interval
    (0.1, [0.0, 0.04, 0.25], [0.06]),  # partly waited already; a late one doesn't wait at all
    (0.0, [0.0, 0.0], []),  # 0 turns pacing off
])
def test_limiter_keeps_actual_sends_apart(interval: float, advances: list[float], slept: list[float]) -> None:
    clock = FakeClock()
    limiter = RateLimiter(max_in_flight=3, min_interval=interval, clock=clock, sleep=clock.sleep)
    for advance in advances:
        clock.now += advance
        with limiter.slot():
            pass
    assert clock.slept == slept


def test_sends_are_at_least_the_interval_apart(sim) -> None:
    settings = load_settings(allowed_hosts=("127.0.0.1",), retry_backoff_ms=10)
    sends: list[float] = []
    with open_client(settings, check_base_url(sim.base_url, settings.allowed_hosts), token_for(1),
                     min_interval_s=0.1) as client:
        real_request = client._session.request

        def timed_get(*args, **kw):
            sends.append(time.monotonic())
            return real_request(*args, **kw)

        client._session.request = timed_get  # type: ignore[method-assign]
        fetch(client, max_workers=3)
    gaps = [b - a for a, b in itertools.pairwise(sends)]
    assert len(sends) == len([c for c in sim.dataset(1)["courses"] if not c["concluded"]]) + 2
    assert min(gaps) >= 0.099, gaps  # three workers in flight, yet never two sends within 100 ms
