"""The simulated Canvas's OAuth2 endpoints over real HTTP: authorize, token, refresh, expiry, revoke."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from canvas.simulator import Simulator
from canvas.simulator.builder import canvas_user_id

CLIENT, SECRET = "170000000000042", "sim-secret-for-tests"
REDIRECT = "https://dash.example.edu/oauth/callback"
REALM = 'Bearer realm="canvas-lms"'


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(port=0, seed=1, oauth_clients={CLIENT: SECRET}) as s:
        yield s


def authorize(sim: Simulator, **extra: str) -> requests.Response:
    params = {"client_id": CLIENT, "response_type": "code", "redirect_uri": REDIRECT, "state": "st-1", **extra}
    return requests.get(f"{sim.base_url}/login/oauth2/auth", params=params, allow_redirects=False, timeout=5)


def code_of(resp: requests.Response) -> str:
    assert resp.status_code == 302
    loc = urlsplit(resp.headers["location"])
    assert f"{loc.scheme}://{loc.netloc}{loc.path}" == REDIRECT
    q = parse_qs(loc.query)
    assert q["state"] == ["st-1"]
    return q["code"][0]


def token(sim: Simulator, **form: str) -> requests.Response:
    data = {"client_id": CLIENT, "client_secret": SECRET, "redirect_uri": REDIRECT, **form}
    return requests.post(f"{sim.base_url}/login/oauth2/token", data=data, timeout=5)


def exchange(sim: Simulator, **extra: str) -> dict:
    r = token(sim, grant_type="authorization_code", code=code_of(authorize(sim, **extra)))
    assert r.status_code == 200, r.text
    return r.json()


def api(sim: Simulator, access: str) -> requests.Response:
    return requests.get(f"{sim.base_url}/api/v1/users/self", headers={"Authorization": f"Bearer {access}"},
                        timeout=5)


def test_authorize_redirects_with_code_and_state_then_code_gives_canvas_shaped_tokens(sim) -> None:
    body = exchange(sim)
    assert set(body) == {"access_token", "token_type", "user", "refresh_token", "expires_in"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["user"]["id"] == canvas_user_id(1) and body["user"]["name"]
    for key in ("access_token", "refresh_token"):
        shard, _, rest = body[key].partition("~")
        assert shard.isdigit() and len(rest) == 64 and rest.isalnum()
    r = api(sim, body["access_token"])
    assert r.status_code == 200 and r.json()["id"] == canvas_user_id(1)


@pytest.mark.parametrize("param", ["unique_id", "login_hint"])
def test_login_hint_chooses_the_student(sim, param: str) -> None:
    body = exchange(sim, **{param: "3"})
    assert body["user"]["id"] == canvas_user_id(3)
    assert api(sim, body["access_token"]).json()["id"] == canvas_user_id(3)


def test_code_is_single_use_and_bound_to_client_and_redirect(sim) -> None:
    code = code_of(authorize(sim))
    bad_redirect = token(sim, grant_type="authorization_code", code=code, redirect_uri="https://evil.example/cb")
    assert bad_redirect.status_code == 400
    # the refused attempt used the code up, like a replayed code
    again = token(sim, grant_type="authorization_code", code=code)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    code = code_of(authorize(sim))
    assert token(sim, grant_type="authorization_code", code=code).status_code == 200
    replay = token(sim, grant_type="authorization_code", code=code)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"


def test_wrong_secret_and_unknown_client_are_invalid_client_401(sim) -> None:
    code = code_of(authorize(sim))
    r = token(sim, grant_type="authorization_code", code=code, client_secret="nope")
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    r = token(sim, grant_type="authorization_code", code=code, client_id="999")
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    r = authorize(sim, client_id="999")
    assert r.status_code == 400 and r.json()["error"] == "invalid_client"


def test_deny_fault_redirects_with_access_denied(sim) -> None:
    sim.set_faults(oauth={"deny": True})
    r = authorize(sim)
    assert r.status_code == 302
    q = parse_qs(urlsplit(r.headers["location"]).query)
    assert q["error"] == ["access_denied"] and q["state"] == ["st-1"] and "code" not in q


def test_access_token_expires_then_refresh_gives_a_new_one_and_no_new_refresh_token() -> None:
    # The simulator's OAuth clock is driven by the test: a loaded machine may take longer than the
    # token's whole life between two requests, so real sleeping made this flaky.
    now = [1000.0]
    with Simulator(port=0, seed=1, oauth_clients={CLIENT: SECRET}, oauth_clock=lambda: now[0]) as sim:
        _expire_then_refresh(sim, now)


def _expire_then_refresh(sim: Simulator, now: list[float]) -> None:
    sim.set_faults(oauth={"expires_in": 1})
    body = exchange(sim)
    assert body["expires_in"] == 1
    assert api(sim, body["access_token"]).status_code == 200
    issued = now[0]
    now[0] = issued + 0.9
    assert api(sim, body["access_token"]).status_code == 200, "live until expires_in has passed"
    now[0] = issued + 1.0
    r = api(sim, body["access_token"])
    assert r.status_code == 401 and r.headers["www-authenticate"] == REALM
    assert r.json()["errors"][0]["message"] == "Expired access token."
    sim.set_faults(oauth={"expires_in": 3600})
    ref = token(sim, grant_type="refresh_token", refresh_token=body["refresh_token"])
    assert ref.status_code == 200
    new = ref.json()
    assert "refresh_token" not in new and new["token_type"] == "Bearer" and new["expires_in"] == 3600
    assert new["access_token"] != body["access_token"]
    assert api(sim, new["access_token"]).status_code == 200
    # the refresh token is reusable; each refresh retires the previous access token
    newer = token(sim, grant_type="refresh_token", refresh_token=body["refresh_token"]).json()
    assert api(sim, newer["access_token"]).status_code == 200
    assert api(sim, new["access_token"]).status_code == 401
    assert sim.oauth.counts["refreshed"] == 2


def test_delete_revokes_access_and_refresh_token(sim) -> None:
    body = exchange(sim)
    r = requests.delete(f"{sim.base_url}/login/oauth2/token",
                        headers={"Authorization": f"Bearer {body['access_token']}"}, timeout=5)
    assert r.status_code == 200
    assert api(sim, body["access_token"]).status_code == 401
    r = token(sim, grant_type="refresh_token", refresh_token=body["refresh_token"])
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    again = requests.delete(f"{sim.base_url}/login/oauth2/token",
                            headers={"Authorization": f"Bearer {body['access_token']}"}, timeout=5)
    assert again.status_code == 401


def test_revoke_fault_by_student_also_kills_oauth_tokens(sim) -> None:
    body = exchange(sim)
    sim.set_faults(revoke=[1])
    assert api(sim, body["access_token"]).json()["errors"][0]["message"] == "Revoked access token."


def test_fail_rules_apply_to_the_token_endpoint_and_requests_are_counted(sim) -> None:
    body = exchange(sim)
    sim.reset_stats()
    sim.set_faults(fail=[{"path": "^/login/oauth2/token$", "status": 503, "times": 1}])
    assert token(sim, grant_type="refresh_token", refresh_token=body["refresh_token"]).status_code == 503
    assert token(sim, grant_type="refresh_token", refresh_token=body["refresh_token"]).status_code == 200
    log = sim.stats()["log"]
    assert [(e["method"], e["path"], e["status"]) for e in log] == [
        ("POST", "/login/oauth2/token", 503), ("POST", "/login/oauth2/token", 200)]


def test_clients_and_settings_via_the_control_endpoint(sim) -> None:
    r = requests.post(f"{sim.base_url}/__sim/faults", json={"oauth_clients": {"77": "s77"},
                                                           "oauth": {"expires_in": 5}}, timeout=5)
    assert r.status_code == 200
    faults = r.json()["faults"]
    assert faults["oauth"] == {"expires_in": 5, "deny": False}
    assert faults["oauth_clients"] == ["77"]  # ids only, never secrets
    code = code_of(authorize(sim, client_id="77"))
    r = token(sim, grant_type="authorization_code", code=code, client_id="77", client_secret="s77")
    assert r.status_code == 200 and r.json()["expires_in"] == 5
    bad = requests.post(f"{sim.base_url}/__sim/faults", json={"oauth": {"lifetime": 5}}, timeout=5)
    assert bad.status_code == 400
    with pytest.raises(ValueError):
        sim.set_faults(oauth={"expires_in": 0})


def test_unsupported_grant_and_missing_code(sim) -> None:
    assert token(sim, grant_type="password").json()["error"] == "unsupported_grant_type"
    assert token(sim, grant_type="authorization_code").json()["error"] == "invalid_request"
