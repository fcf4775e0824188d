"""The leaky-bucket throttle of the simulated Canvas: 403/429, refill, parallel requests."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from canvas.simulator import Simulator, token_for
from canvas.simulator.throttle import Throttle, ThrottleConfig


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(port=0, seed=1) as s:
        yield s


def get(sim: Simulator, n: int = 1) -> requests.Response:
    headers = {"Authorization": f"Bearer {token_for(n)}"}
    return requests.get(f"{sim.base_url}/api/v1/users/self", headers=headers, timeout=5)


def test_normal_replies_carry_cost_and_remaining(sim: Simulator) -> None:
    r = get(sim)
    cost = float(r.headers["x-request-cost"])
    assert 0 < cost < 1
    assert 599 < float(r.headers["x-rate-limit-remaining"]) <= 600


def test_bigger_replies_cost_more(sim: Simulator) -> None:
    small = get(sim)
    big = requests.get(
        f"{sim.base_url}/api/v1/courses/10004/assignment_groups",
        params={"include[]": ["assignments", "submission"], "per_page": "100"},
        headers={"Authorization": f"Bearer {token_for(1)}"},
        timeout=5,
    )
    assert float(big.headers["x-request-cost"]) > float(small.headers["x-request-cost"])


@pytest.mark.parametrize(
    ("status", "body"),
    [(403, b"403 Forbidden (Rate Limit Exceeded)\n"), (429, b"429 Too Many Requests (Rate Limit Exceeded)\n")],
)
def test_full_bucket_refuses_with_canvas_reply(sim: Simulator, status: int, body: bytes) -> None:
    # each request costs ~25 units and the bucket barely leaks: the 4th is refused (75 >= 60)
    sim.set_faults(throttle={"hwm": 60, "outflow": 0.01, "cost": 25, "up_front": 0, "status": status})
    assert [get(sim).status_code for _ in range(3)] == [200, 200, 200]
    r = get(sim)
    assert r.status_code == status and r.content == body
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.headers["x-rate-limit-remaining"] == "0.0"
    assert "x-request-cost" not in r.headers and "retry-after" not in r.headers
    assert get(sim, n=2).status_code == 200  # buckets are per token
    stats = sim.stats()
    assert stats["throttled"] == 1 and stats["log"][-2]["status"] == status


def test_bucket_leaks_and_admits_again(sim: Simulator) -> None:
    sim.set_faults(throttle={"hwm": 60, "outflow": 200, "cost": 25, "up_front": 0})
    while get(sim).status_code == 200:  # fill it (leak is fast, so this takes a few requests)
        pass
    time.sleep(0.4)  # 200 units/s drains it completely
    r = get(sim)
    assert r.status_code == 200
    assert float(r.headers["x-rate-limit-remaining"]) > 30


def test_parallel_requests_fill_the_bucket_up_front(sim: Simulator) -> None:
    # up-front 50 per in-flight request, charged before the check: the 3rd slow one hits 150 >= 120
    sim.set_faults(throttle={"hwm": 120, "up_front": 50, "outflow": 0.01}, latency_ms=300)
    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = sorted(pool.map(lambda _: get(sim).status_code, range(8)))
    assert codes == [200, 200, 403, 403, 403, 403, 403, 403]
    time.sleep(0.05)
    assert get(sim).status_code == 200  # charges are refunded once requests finish


def test_default_bucket_refuses_the_12th_parallel_request() -> None:
    t = Throttle(clock=lambda: 0.0)
    admitted = [t.begin("k") is not None for _ in range(12)]
    assert admitted == [True] * 11 + [False]  # 12 x 50 = 600 = hwm


def test_throttle_math_with_a_fake_clock() -> None:
    now = [0.0]
    t = Throttle(clock=lambda: now[0])
    t.config = ThrottleConfig(hwm=120, outflow=10, up_front=50)
    held = [t.begin("k"), t.begin("k")]
    assert None not in held and t.begin("k") is None  # 150 >= hwm: refused, nothing kept
    assert t.level("k") == pytest.approx(100)
    assert t.end("k", 50, 0.5) == pytest.approx(69.5)  # one charge swapped for its cost
    now[0] = 2.0  # leaks 20
    assert t.level("k") == pytest.approx(30.5)
