"""The Canvas client against the simulated Canvas over real HTTP."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from canvas import errors
from canvas.api.client import CanvasClient
from canvas.api.hosts import check_base_url
from canvas.simulator import token_for


def client(sim, token: str | None = None, **kw) -> CanvasClient:
    checked = check_base_url(sim.base_url, ("127.0.0.1",))
    return CanvasClient.for_checked(checked, token or token_for(1), backoff_base=0.01, **kw)


def test_pagination_reaches_every_item_with_per_page_100(sim) -> None:
    with client(sim) as c:
        big = max(sim.dataset(1)["assignment_groups"], key=lambda cid: len(sim.dataset(1)["assignment_groups"][cid]))
        items = c.get_all(f"courses/{big}/assignments")
    expected = sum(len(g["assignments"]) for g in sim.dataset(1)["assignment_groups"][big])
    assert len(items) == expected > 250
    assert len({a["id"] for a in items}) == expected  # each exactly once
    assert c.stats.requests == -(-expected // 100)  # ceil(n / 100) pages


def test_pagination_loop_is_detected(sim) -> None:
    sim.set_faults(loop_links=True)
    with client(sim) as c, pytest.raises(errors.BadResponseError, match="loop"):
        c.get_all("courses/10004/assignments")


def test_next_link_to_another_host_is_refused(sim) -> None:
    sim.set_faults(foreign_next=True)
    with client(sim) as c, pytest.raises(errors.BadResponseError, match="another host"):
        c.get_all("courses/10004/assignments")


def test_transient_failures_are_retried_then_succeed(sim) -> None:
    sim.set_faults(fail=[{"path": "/api/v1/users/self/profile", "status": 503, "times": 2}])
    with client(sim, max_attempts=3) as c:
        assert c.get("users/self/profile")["id"] == sim.dataset(1)["profile"]["id"]
    assert c.stats.retries == 2


def test_retry_budget_is_bounded(sim) -> None:
    sim.set_faults(fail=[{"path": "/api/v1/users/self/profile", "status": 500, "times": None}])
    with client(sim, max_attempts=3) as c, pytest.raises(errors.ServerError):
        c.get("users/self/profile")
    assert sim.stats()["requests"] == 3


def test_malformed_json_is_a_typed_error(sim) -> None:
    sim.set_faults(fail=[{"path": "/api/v1/users/self/profile", "status": "malformed", "times": None}])
    with client(sim) as c, pytest.raises(errors.BadResponseError, match="malformed"):
        c.get("users/self/profile")


def test_timeout_is_retried_as_transport_error(sim) -> None:
    sim.set_faults(fail=[{"path": "/api/v1/users/self/profile", "status": "timeout", "seconds": 2, "times": None}])
    with client(sim, timeout=0.3, max_attempts=2) as c, pytest.raises(errors.TransportError, match="timed out"):
        c.get("users/self/profile")


def test_dead_token_is_not_retried(sim) -> None:
    with client(sim, token="garbage-token") as c, pytest.raises(errors.AuthError, match="Invalid access token"):
        c.get("users/self")
    assert sim.stats()["requests"] == 1


def test_permission_401_without_header_is_forbidden_not_dead_token(sim) -> None:
    sim.set_faults(forbid_courses={10002: 401})
    with client(sim) as c, pytest.raises(errors.ForbiddenError):
        c.get_all("courses/10002/assignment_groups")


def test_connection_goes_to_the_checked_address(sim) -> None:
    """An allow-listed name that no DNS knows still reaches the address checked for it (no second lookup)."""
    port = urlsplit(sim.base_url).port
    checked = check_base_url(f"http://canvas.test:{port}", ("canvas.test",), resolver=lambda h, p: ["127.0.0.1"])
    with CanvasClient.for_checked(checked, token_for(1)) as c:
        assert c.get("users/self/profile")["id"] == sim.dataset(1)["profile"]["id"]


def test_refused_url_sends_nothing(sim) -> None:
    port = urlsplit(sim.base_url).port
    for url in (f"http://localhost:{port}", f"https://localhost:{port}", f"http://127.0.0.1:{port}"):
        with pytest.raises(errors.UrlRefused):
            check_base_url(url, ())
    assert sim.stats()["requests"] == 0
