"""Shared mode's Canvas OAuth2 end to end: the simulated Canvas over HTTP, a real PostgreSQL.

Connect (state, code exchange), tokens at rest, refresh by whichever process needs it (once, under a
row lock), refusal -> "reconnect Canvas", revoke, and a sync that runs on an OAuth token.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import requests
from pydantic import SecretStr
from sqlalchemy import text

from canvas import errors
from canvas.accounts import (
    AccountTaken,
    Identity,
    connect_oauth_account,
    disconnect_oauth_account,
    finish_oauth,
    start_oauth,
)
from canvas.api import oauth
from canvas.db import repo
from canvas.sync.runner import sync_user_now
from canvas.tokens import access_token_for, unpack

CLIENT, SECRET = "170000000000042", "oauth-test-client-secret-31337"
REDIRECT = "https://dash.example.edu/oauth/callback"
ALICE = Identity("https://idp.example.edu", "alice")
BOB = Identity("https://idp.example.edu", "bob")


@pytest.fixture
def osettings(settings):
    return settings.model_copy(update={"oauth_client_id": CLIENT, "oauth_client_secret": SecretStr(SECRET),
                                       "oauth_redirect_uri": REDIRECT, "dashboard_mode": "shared"})


@pytest.fixture
def osim(sim):
    sim.set_faults(oauth_clients={CLIENT: SECRET})
    return sim


def browser(auth_url: str, student: int = 1) -> str:
    """What the student's browser does: open Canvas's page (auto-approved), get sent back."""
    r = requests.get(auth_url, params={"unique_id": str(student)}, allow_redirects=False, timeout=5)
    assert r.status_code == 302, r.text
    loc = r.headers["location"]
    assert loc.startswith(REDIRECT + "?")
    return urlsplit(loc).query


def connect(engine, osettings, cipher, sim, identity=ALICE, student: int = 1):
    url = start_oauth(engine, osettings, base_url=sim.base_url, identity=identity)
    return finish_oauth(engine, osettings, cipher, query=browser(url, student), identity=identity)


def stored(engine, cipher, user_id: int):
    with engine.connect() as conn:
        row = repo.token_row(conn, user_id)
    return row, unpack(cipher.decrypt(user_id, row.token_ciphertext))


def token_posts(sim) -> int:
    return sum(1 for e in sim.stats()["log"] if e["method"] == "POST" and e["path"] == "/login/oauth2/token")


def user_state(engine, user_id: int):
    with engine.connect() as conn:
        return conn.execute(text("SELECT token_state, token_error FROM users WHERE id = :u"), {"u": user_id}).one()


def test_full_authorization_code_flow_connects_and_a_sync_runs_on_the_oauth_token(engine, osettings, cipher, osim):
    url = start_oauth(engine, osettings, base_url=osim.base_url, identity=ALICE)
    q = dict(p.split("=", 1) for p in urlsplit(url).query.split("&"))
    assert q["client_id"] == CLIENT and q["response_type"] == "code" and len(q["state"]) >= 40
    with engine.connect() as conn:  # only a hash of the state is kept
        assert conn.execute(text("SELECT count(*) FROM oauth_states")).scalar_one() == 1
        assert conn.execute(text("SELECT count(*) FROM oauth_states WHERE state_hash = :s"),
                            {"s": q["state"]}).scalar_one() == 0
    done = finish_oauth(engine, osettings, cipher, query=browser(url), identity=ALICE)
    row, _ = stored(engine, cipher, done.user_id)
    assert row.auth_kind == "oauth" and row.identity_subject == "alice" and row.token_state == "valid"
    assert row.access_token_expires_at > datetime.now(UTC) + timedelta(minutes=58)
    assert osim.oauth.counts["exchanged"] == 1
    osim.reset_stats()
    result = sync_user_now(engine, osettings, done.user_id, trigger="cli", owner="test", cipher=cipher)
    assert result.courses > 0
    assert token_posts(osim) == 0  # a live token: no refresh
    assert all(e["status"] == 200 for e in osim.stats()["log"])
    assert osim.stats()["by_token"].get("user:1", 0) == len(osim.stats()["log"])


def test_state_is_single_use_bound_to_the_identity_and_checked(engine, osettings, cipher, osim):
    url = start_oauth(engine, osettings, base_url=osim.base_url, identity=ALICE)
    query = browser(url)
    forged = query.replace("state=", "state=x")
    with pytest.raises(oauth.OAuthStateError):
        finish_oauth(engine, osettings, cipher, query=forged, identity=ALICE)
    with pytest.raises(oauth.OAuthStateError):  # Bob can't complete Alice's sign-in
        finish_oauth(engine, osettings, cipher, query=query, identity=BOB)
    # Bob's attempt consumed the state: even Alice can't use it now, and the code was never sent
    with pytest.raises(oauth.OAuthStateError):
        finish_oauth(engine, osettings, cipher, query=query, identity=ALICE)
    assert osim.oauth.counts["exchanged"] == 0
    url = start_oauth(engine, osettings, base_url=osim.base_url, identity=ALICE)
    query = browser(url)
    finish_oauth(engine, osettings, cipher, query=query, identity=ALICE)
    with pytest.raises(oauth.OAuthStateError):  # replaying the callback
        finish_oauth(engine, osettings, cipher, query=query, identity=ALICE)


def test_expired_state_is_refused(engine, osettings, cipher, osim):
    url = start_oauth(engine, osettings, base_url=osim.base_url, identity=ALICE)
    with engine.begin() as conn:
        conn.execute(text("UPDATE oauth_states SET created_at = now() - interval '16 minutes'"))
    with pytest.raises(oauth.OAuthStateError):
        finish_oauth(engine, osettings, cipher, query=browser(url), identity=ALICE)


def test_code_is_single_use_at_canvas(engine, osettings, cipher, osim):
    url = start_oauth(engine, osettings, base_url=osim.base_url)
    code = oauth.parse_callback(browser(url), dict(p.split("=", 1) for p in urlsplit(url).query.split("&"))["state"])
    connect_oauth_account(engine, osettings, cipher, base_url=osim.base_url, code=code)
    with pytest.raises(oauth.OAuthReauthorize):
        connect_oauth_account(engine, osettings, cipher, base_url=osim.base_url, code=code)


def test_wrong_secret_is_refused_and_nothing_is_stored(engine, osettings, cipher, osim):
    bad = osettings.model_copy(update={"oauth_client_secret": SecretStr("not-the-secret")})
    url = start_oauth(engine, bad, base_url=osim.base_url, identity=ALICE)
    with pytest.raises(oauth.OAuthClientError) as info:
        finish_oauth(engine, bad, cipher, query=browser(url), identity=ALICE)
    assert "not-the-secret" not in str(info.value)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM users")).scalar_one() == 0


def test_denied_authorization_stores_nothing(engine, osettings, cipher, osim):
    osim.set_faults(oauth={"deny": True})
    url = start_oauth(engine, osettings, base_url=osim.base_url, identity=ALICE)
    with pytest.raises(oauth.OAuthDenied):
        finish_oauth(engine, osettings, cipher, query=browser(url), identity=ALICE)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM users")).scalar_one() == 0


def test_refused_url_is_checked_before_anything(engine, osettings, osim):
    with pytest.raises(errors.UrlRefused):
        start_oauth(engine, osettings.model_copy(update={"allowed_hosts": ()}), base_url=osim.base_url)
    with pytest.raises(errors.UrlRefused):
        start_oauth(engine, osettings, base_url="https://169.254.169.254")
    assert osim.stats()["requests"] == 0


def test_canvas_account_stays_with_its_first_identity(engine, osettings, cipher, osim):
    connect(engine, osettings, cipher, osim, ALICE)
    with pytest.raises(AccountTaken):
        connect(engine, osettings, cipher, osim, BOB)
    assert osim.oauth.counts["revoked"] == 1  # Bob's unused grant is not left live at Canvas
    with engine.connect() as conn:
        assert conn.execute(text("SELECT identity_subject FROM users")).scalars().all() == ["alice"]


def test_tokens_at_rest_are_encrypted_nowhere_in_a_database_dump(engine, osettings, cipher, osim):
    done = connect(engine, osettings, cipher, osim)
    _, tokens = stored(engine, cipher, done.user_id)
    osim.set_faults(oauth={"expires_in": 3600})
    access_token_for(engine, osettings, cipher, done.user_id, now=datetime.now(UTC) + timedelta(hours=1))
    _, refreshed = stored(engine, cipher, done.user_id)
    with engine.connect() as conn:
        tables = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars().all()
        # every row as text, and again with bytea rendered as raw bytes (a plaintext column would show)
        as_text = "SELECT x::text FROM \"{}\" x"
        as_bytes = "SELECT encode(convert_to(x::text, 'UTF8'), 'escape') FROM \"{}\" x"
        dump = "\n".join(str(r) for t in tables for q in (as_text, as_bytes)
                         for r in conn.execute(text(q.format(t))))
        for t in tables:  # bytea columns decoded as bytes
            cols = conn.execute(text("SELECT column_name FROM information_schema.columns WHERE table_name = :t "
                                     "AND data_type = 'bytea'"), {"t": t}).scalars().all()
            for c in cols:
                dump += "\n".join(bytes(v or b"").decode("latin-1")
                                  for v in conn.execute(text(f'SELECT "{c}" FROM "{t}"')).scalars())
    for secret in (tokens.access, tokens.refresh, refreshed.access, SECRET):
        assert secret not in dump
        assert secret.split("~")[-1] not in dump
    # bound to the row: copied into another user's row, the ciphertext does not open
    other = connect(engine, osettings, cipher, osim, BOB, student=2)
    with engine.begin() as conn:
        conn.execute(text("UPDATE users SET token_ciphertext = (SELECT token_ciphertext FROM users WHERE id = :a) "
                          "WHERE id = :b"), {"a": done.user_id, "b": other.user_id})
    with pytest.raises(errors.TokenUnreadable, match="cannot be decrypted"):
        access_token_for(engine, osettings, cipher, other.user_id)


def test_live_token_is_reused_and_refreshed_before_expiry(engine, osettings, cipher, osim):
    done = connect(engine, osettings, cipher, osim)
    _, tokens = stored(engine, cipher, done.user_id)
    assert access_token_for(engine, osettings, cipher, done.user_id) == tokens.access
    # 59 minutes in: Canvas's token still has a minute, but we refresh now (expires_in - 60 s)
    later = datetime.now(UTC) + timedelta(minutes=59, seconds=1)
    osim.reset_stats()
    new = access_token_for(engine, osettings, cipher, done.user_id, now=later)
    assert new != tokens.access and token_posts(osim) == 1
    row, stored_now = stored(engine, cipher, done.user_id)
    assert stored_now.access == new and stored_now.refresh == tokens.refresh  # refresh token kept
    assert row.access_token_expires_at > datetime.now(UTC) + timedelta(minutes=58)
    assert access_token_for(engine, osettings, cipher, done.user_id) == new and token_posts(osim) == 1


def test_sync_after_expiry_refreshes_once_and_succeeds(engine, osettings, cipher, osim, caplog):
    caplog.set_level(logging.DEBUG)
    osim.set_faults(oauth={"expires_in": 2})
    done = connect(engine, osettings, cipher, osim)
    _, old = stored(engine, cipher, done.user_id)
    time.sleep(2.2)
    osim.set_faults(oauth={"expires_in": 3600})
    r = requests.get(f"{osim.base_url}/api/v1/users/self", headers={"Authorization": f"Bearer {old.access}"},
                     timeout=5)
    assert r.status_code == 401 and r.json()["errors"][0]["message"] == "Expired access token."
    osim.reset_stats()
    result = sync_user_now(engine, osettings, done.user_id, trigger="cli", owner="test", cipher=cipher)
    assert result.courses > 0
    log = osim.stats()["log"]
    assert token_posts(osim) == 1 and osim.oauth.counts["refreshed"] == 1
    assert log[0]["path"] == "/login/oauth2/token"  # refreshed before the first API request
    assert all(e["status"] == 200 for e in log)
    _, new = stored(engine, cipher, done.user_id)
    for secret in (old.access, new.access, new.refresh, SECRET):
        assert secret not in caplog.text


def test_refresh_refused_with_401_marks_the_user_reconnect(engine, osettings, cipher, osim):
    done = connect(engine, osettings, cipher, osim)
    osim.set_faults(fail=[{"path": "^/login/oauth2/token$", "method": "POST", "status": 401}])
    osim.reset_stats()
    later = datetime.now(UTC) + timedelta(hours=2)
    with pytest.raises(oauth.OAuthReauthorize):
        access_token_for(engine, osettings, cipher, done.user_id, now=later)
    state, error = user_state(engine, done.user_id)
    assert state == "invalid" and "reconnect Canvas" in error
    assert token_posts(osim) == 1  # a refusal is not retried


def test_sync_with_a_revoked_refresh_token_fails_and_marks_reconnect(engine, osettings, cipher, osim):
    osim.set_faults(oauth={"expires_in": 1})
    done = connect(engine, osettings, cipher, osim)
    _, tokens = stored(engine, cipher, done.user_id)
    requests.delete(f"{osim.base_url}/login/oauth2/token", headers={"Authorization": f"Bearer {tokens.access}"},
                    timeout=5).raise_for_status()  # the student removed the app in Canvas
    time.sleep(1.1)
    with pytest.raises(errors.AuthError):
        sync_user_now(engine, osettings, done.user_id, trigger="cli", owner="test", cipher=cipher)
    state, error = user_state(engine, done.user_id)
    assert state == "invalid" and "reconnect" in error
    with engine.connect() as conn:
        job = conn.execute(text("SELECT state FROM sync_jobs WHERE user_id = :u"), {"u": done.user_id}).scalar_one()
        run = conn.execute(text("SELECT outcome, error_message FROM sync_runs WHERE user_id = :u"),
                           {"u": done.user_id}).one()
    assert job == "token_invalid" and run.outcome == "failed"
    assert tokens.refresh not in run.error_message


def test_transient_refresh_failure_is_retried_and_does_not_blame_the_student(engine, osettings, cipher, osim):
    done = connect(engine, osettings, cipher, osim)
    later = datetime.now(UTC) + timedelta(hours=2)
    osim.set_faults(fail=[{"path": "^/login/oauth2/token$", "method": "POST", "status": 503, "times": 1}])
    assert access_token_for(engine, osettings, cipher, done.user_id, now=later)  # retried, then fine
    osim.set_faults(fail=[{"path": "^/login/oauth2/token$", "method": "POST", "status": 503}])
    with pytest.raises(errors.ServerError):
        access_token_for(engine, osettings, cipher, done.user_id, now=later + timedelta(hours=2))
    assert user_state(engine, done.user_id).token_state == "valid"


def test_two_concurrent_refreshers_make_one_refresh_request(engine, osettings, cipher, osim):
    osim.set_faults(oauth={"expires_in": 2})
    done = connect(engine, osettings, cipher, osim)
    time.sleep(1.1)  # past our refresh point (half of a 2 s lifetime)
    osim.set_faults(oauth={"expires_in": 3600}, latency_ms=300)  # slow: the others arrive mid-refresh
    osim.reset_stats()
    barrier = threading.Barrier(3)
    got: list[str] = []
    failures: list[BaseException] = []

    def refresher() -> None:
        barrier.wait()
        try:
            got.append(access_token_for(engine, osettings, cipher, done.user_id))
        except BaseException as exc:  # surfaced below
            failures.append(exc)

    threads = [threading.Thread(target=refresher) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not failures
    assert len(got) == 3 and len(set(got)) == 1
    assert token_posts(osim) == 1 and osim.oauth.counts["refreshed"] == 1
    r = requests.get(f"{osim.base_url}/api/v1/users/self", headers={"Authorization": f"Bearer {got[0]}"}, timeout=5)
    assert r.status_code == 200


def test_disconnect_revokes_at_canvas_and_forgets_the_tokens(engine, osettings, cipher, osim):
    done = connect(engine, osettings, cipher, osim)
    _, tokens = stored(engine, cipher, done.user_id)
    assert disconnect_oauth_account(engine, osettings, cipher, user_id=done.user_id) is True
    assert osim.oauth.counts["revoked"] == 1
    r = requests.get(f"{osim.base_url}/api/v1/users/self", headers={"Authorization": f"Bearer {tokens.access}"},
                     timeout=5)
    assert r.status_code == 401
    with engine.connect() as conn:
        assert repo.token_row(conn, done.user_id).token_ciphertext is None
    with pytest.raises(errors.NoTokenSaved, match="No Canvas token saved"):
        access_token_for(engine, osettings, cipher, done.user_id)


def test_personal_token_users_are_unchanged(engine, settings, cipher, sim, add_user):
    from canvas.simulator import token_for

    user_id = add_user(sim, 2)
    assert access_token_for(engine, settings, cipher, user_id) == token_for(2)
    result = sync_user_now(engine, settings, user_id, trigger="cli", owner="test", cipher=cipher)
    assert result.courses > 0
