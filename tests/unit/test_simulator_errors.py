"""Auth errors, 404s and switchable faults of the simulated Canvas, byte for byte."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
import requests

from canvas.simulator import Simulator, token_for

NOT_FOUND = b'{"errors":[{"message":"The specified resource does not exist."}]}'
UNAUTHORIZED = b'{"status":"unauthorized","errors":[{"message":"user not authorized to perform that action"}]}'
REALM = 'Bearer realm="canvas-lms"'


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(port=0, seed=1) as s:
        yield s


def get(sim: Simulator, path: str, token: str | None = token_for(1), **kw) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(f"{sim.base_url}/api/v1{path}", headers=headers, timeout=kw.pop("timeout", 5), **kw)


# --- auth ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", ["nope", "canvas-sim-token-0", "canvas-sim-token-01", "canvas-sim-token-5001"])
def test_unknown_token_is_401_invalid_with_realm(sim: Simulator, token: str) -> None:
    r = get(sim, "/users/self/profile", token=token)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == REALM
    assert r.content == b'{"errors":[{"message":"Invalid access token."}]}'


def test_missing_token_is_401_unauthenticated(sim: Simulator) -> None:
    r = get(sim, "/courses", token=None)
    assert r.status_code == 401 and r.headers["www-authenticate"] == REALM
    assert r.json() == {"status": "unauthenticated", "errors": [{"message": "user authorization required"}]}


def test_access_token_param_works_and_any_user_up_to_max(sim: Simulator) -> None:
    r = requests.get(f"{sim.base_url}/api/v1/users/self", params={"access_token": token_for(5000)}, timeout=5)
    assert r.status_code == 200 and r.json()["id"] == 105_000
    assert r.headers["x-canvas-user-id"] == "105000"


def test_revoked_and_expired_tokens(sim: Simulator) -> None:
    sim.set_faults(revoke=[1], expire=[2])
    r = get(sim, "/courses")
    assert r.status_code == 401 and r.headers["www-authenticate"] == REALM
    assert r.content == b'{"errors":[{"message":"Revoked access token."}]}'
    r = get(sim, "/courses", token=token_for(2))
    assert r.status_code == 401 and r.headers["www-authenticate"] == REALM
    error = r.json()["errors"][0]
    assert error["message"] == "Expired access token." and error["expired_at"].endswith("Z")
    assert get(sim, "/courses", token=token_for(3)).status_code == 200
    sim.set_faults(clear=True)
    assert get(sim, "/courses").status_code == 200


def test_other_users_data_is_unauthorized(sim: Simulator) -> None:
    r = get(sim, "/users/100002/profile")
    assert r.status_code == 401 and "www-authenticate" not in r.headers
    assert r.content == UNAUTHORIZED
    assert get(sim, "/users/100001/profile").json()["name"] == "Zoë Ångström"


# --- 404s -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/courses/999999/assignment_groups",  # no such course
        "/courses/20001/assignments",  # student 2's course, not student 1's
        "/courses/10001/discussion_topics",  # an endpoint the simulator does not have
        "/nonsense",
    ],
)
def test_not_found_has_canvas_body(sim: Simulator, path: str) -> None:
    r = get(sim, path)
    assert r.status_code == 404 and r.content == NOT_FOUND


@pytest.mark.parametrize(("status", "body"), [(401, UNAUTHORIZED), (403, UNAUTHORIZED), (404, NOT_FOUND)])
def test_forbid_courses(sim: Simulator, status: int, body: bytes) -> None:
    sim.set_faults(forbid_courses={10001: status})
    r = get(sim, "/courses/10001/assignment_groups")
    assert r.status_code == status and r.content == body
    assert "www-authenticate" not in r.headers  # a permission problem, not a dead token
    assert get(sim, "/courses/10002/assignment_groups").status_code == 200
    assert 10001 in [c["id"] for c in get(sim, "/courses").json()]  # still listed


# --- faults ----------------------------------------------------------------------------------------


def test_fail_n_times_then_succeed(sim: Simulator) -> None:
    sim.set_faults(fail=[{"path": r"/assignment_groups$", "status": 500, "times": 2}])
    first = get(sim, "/courses/10001/assignment_groups")
    assert first.status_code == 500
    assert first.json()["errors"][0] == {"message": "An error occurred.", "error_code": "internal_server_error"}
    assert get(sim, "/courses/10001/assignments").status_code == 200  # other paths unaffected
    assert get(sim, "/courses/10002/assignment_groups").status_code == 500
    assert get(sim, "/courses/10001/assignment_groups").status_code == 200


def test_fail_always_with_custom_body(sim: Simulator) -> None:
    sim.set_faults(fail=[{"path": "/courses$", "status": 503, "times": None, "body": "<html>down</html>"}])
    for _ in range(3):
        r = get(sim, "/courses")
        assert r.status_code == 503 and r.text == "<html>down</html>"
        assert r.headers["content-type"].startswith("text/html")


def test_malformed_json(sim: Simulator) -> None:
    sim.set_faults(fail=[{"path": "/users/self/profile", "status": "malformed", "times": 1}])
    r = get(sim, "/users/self/profile")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.text)
    assert get(sim, "/users/self/profile").json()["id"] == 100_001


def test_connection_reset(sim: Simulator) -> None:
    sim.set_faults(fail=[{"path": "/courses", "status": "reset", "times": 1}])
    with pytest.raises(requests.ConnectionError):
        get(sim, "/courses")
    assert get(sim, "/courses").status_code == 200
    assert [e["status"] for e in sim.stats()["log"]] == [0, 200]  # 0 = no reply sent


def test_timeout_and_latency(sim: Simulator) -> None:
    sim.set_faults(fail=[{"path": "/courses", "status": "timeout", "seconds": 5, "times": 1}])
    with pytest.raises(requests.ReadTimeout):
        get(sim, "/courses", timeout=0.3)
    sim.set_faults(fail=[], latency_ms=150)
    started = time.monotonic()
    assert get(sim, "/courses").status_code == 200
    assert time.monotonic() - started >= 0.15


def test_bad_fault_settings_are_rejected(sim: Simulator) -> None:
    with pytest.raises(ValueError, match="unknown fault"):
        sim.set_faults(bogus=True)
    with pytest.raises(ValueError):
        sim.set_faults(forbid_courses={10001: 500})
    with pytest.raises(ValueError):
        sim.set_faults(throttle={"status": 418})
