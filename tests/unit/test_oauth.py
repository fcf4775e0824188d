"""Pure parts of Canvas OAuth2: URL building, callback and token-response parsing, expiry math, errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from canvas import errors
from canvas.accounts import pasted_tokens_allowed, require_pasted_tokens_allowed
from canvas.api import oauth
from canvas.config import load_settings
from canvas.log import redact
from canvas.tokens import OAuthTokens, pack, unpack

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CONFIG = oauth.OAuthConfig("170000000000042", "the-client-secret-xyz", "https://dash.example.edu/oauth/callback")
ACCESS = "7~" + "a1" * 32
REFRESH = "7~" + "b2" * 32


def test_authorization_url_carries_state_and_space_separated_scopes() -> None:
    url = oauth.authorization_url("https://school.instructure.com/", CONFIG, "st4te",
                                  scopes=("url:GET|/api/v1/courses", "url:GET|/api/v1/users/:user_id/profile"),
                                  force_login=True)
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "school.instructure.com", "/login/oauth2/auth")
    q = parse_qs(parts.query)
    assert q["client_id"] == [CONFIG.client_id] and q["response_type"] == ["code"]
    assert q["redirect_uri"] == [CONFIG.redirect_uri] and q["state"] == ["st4te"]
    assert q["scope"] == ["url:GET|/api/v1/courses url:GET|/api/v1/users/:user_id/profile"]  # one parameter
    assert q["force_login"] == ["1"]
    assert CONFIG.client_secret not in url
    with pytest.raises(ValueError):
        oauth.authorization_url("https://x.edu", CONFIG, "")


def test_new_state_is_random_and_hashed_for_storage() -> None:
    a, b = oauth.new_state(), oauth.new_state()
    assert a != b and len(a) >= 40
    assert oauth.state_hash(a) != a and len(oauth.state_hash(a)) == 64


def test_parse_callback_checks_state_first() -> None:
    assert oauth.parse_callback("code=abc&state=s1", "s1") == "abc"
    assert oauth.parse_callback({"code": ["abc"], "state": ["s1"]}, "s1") == "abc"  # list-valued mappings
    with pytest.raises(oauth.OAuthStateError):
        oauth.parse_callback("code=abc&state=other", "s1")
    with pytest.raises(oauth.OAuthStateError):
        oauth.parse_callback("code=abc", "s1")
    with pytest.raises(oauth.OAuthStateError):  # a forged error redirect is still a state failure
        oauth.parse_callback("error=access_denied&state=forged", "s1")
    with pytest.raises(oauth.OAuthDenied, match="access_denied"):
        oauth.parse_callback("error=access_denied&state=s1", "s1")
    with pytest.raises(oauth.OAuthDenied):
        oauth.parse_callback("state=s1", "s1")


def test_expiry_is_canvas_expiry_minus_a_minute_or_half_of_short_lifetimes() -> None:
    assert oauth.expires_at(NOW, 3600) == NOW + timedelta(seconds=3540)
    assert oauth.expires_at(NOW, 2) == NOW + timedelta(seconds=1)
    assert oauth.expires_at(NOW, None) is None


def test_parse_token_response() -> None:
    body = {"access_token": ACCESS, "token_type": "Bearer", "user": {"id": 42, "name": "Ada"},
            "refresh_token": REFRESH, "expires_in": 3600}
    grant = oauth.parse_token_response(body, NOW)
    assert (grant.access_token, grant.refresh_token) == (ACCESS, REFRESH)
    assert (grant.canvas_user_id, grant.user_name) == (42, "Ada")
    assert grant.expires_at == NOW + timedelta(seconds=3540)
    assert ACCESS not in repr(grant) and REFRESH not in repr(grant)
    refreshed = oauth.parse_token_response({k: v for k, v in body.items() if k != "refresh_token"}, NOW)
    assert refreshed.refresh_token is None


@pytest.mark.parametrize("body", [
    [], {"token_type": "Bearer"}, {"access_token": ""}, {"access_token": ACCESS, "token_type": "mac"},
    {"access_token": ACCESS, "expires_in": "soon"}, {"access_token": ACCESS, "expires_in": -1},
    {"access_token": ACCESS, "refresh_token": 5}, {"access_token": ACCESS, "user": {"id": "x"}},
])
def test_bad_token_responses_are_typed_and_never_quote_the_body(body) -> None:
    with pytest.raises(errors.BadResponseError) as info:
        oauth.parse_token_response(body, NOW)
    assert ACCESS not in str(info.value)


@pytest.mark.parametrize(("status", "body", "expected"), [
    (401, '{"error":"invalid_client","error_description":"invalid client"}', oauth.OAuthClientError),
    (400, '{"error":"invalid_grant","error_description":"refresh_token not found"}', oauth.OAuthReauthorize),
    (401, '{"errors":[{"message":"nope"}]}', oauth.OAuthReauthorize),
    (401, "", oauth.OAuthReauthorize),
    (500, "<html>oops</html>", errors.ServerError),
    (429, "", errors.RateLimitedError),
    (302, "", errors.BadResponseError),
    (400, '{"error":"invalid_request","error_description":"x"}', errors.ApiError),
])
def test_token_errors_are_classified(status, body, expected) -> None:
    exc = oauth.token_error(status, {}, body)
    assert type(exc) is expected
    if expected is oauth.OAuthReauthorize:
        assert isinstance(exc, errors.AuthError)  # the sync runner marks the user "reconnect Canvas"
    if expected is oauth.OAuthClientError:
        assert not isinstance(exc, errors.AuthError)  # an operator problem, not the student's


def test_config_from_settings_names_the_missing_variable_and_hides_the_secret() -> None:
    with pytest.raises(errors.ConfigError, match="CANVAS_OAUTH_CLIENT_ID"):
        oauth.OAuthConfig.from_settings(load_settings())
    settings = load_settings(oauth_client_id="1", oauth_client_secret="s3cret-value-1",
                             oauth_redirect_uri="https://x.edu/cb")
    config = oauth.OAuthConfig.from_settings(settings)
    assert config.client_secret == "s3cret-value-1"
    assert "s3cret-value-1" not in repr(config) and "s3cret-value-1" not in repr(settings)


def test_settings_fields_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("CANVAS_OAUTH_CLIENT_ID", "99")
    monkeypatch.setenv("CANVAS_OAUTH_CLIENT_SECRET", "sec")
    monkeypatch.setenv("CANVAS_OAUTH_REDIRECT_URI", "https://x.edu/cb")
    monkeypatch.setenv("CANVAS_ALLOW_PASTED_TOKENS", "true")
    s = load_settings()
    assert (s.oauth_client_id, s.oauth_client_secret.get_secret_value(), s.oauth_redirect_uri,
            s.allow_pasted_tokens) == ("99", "sec", "https://x.edu/cb", True)


def test_pasted_tokens_only_in_personal_mode_unless_allowed() -> None:
    assert pasted_tokens_allowed(load_settings())
    shared = load_settings(dashboard_mode="shared")
    assert not pasted_tokens_allowed(shared)
    with pytest.raises(errors.UsageError):
        require_pasted_tokens_allowed(shared)
    assert pasted_tokens_allowed(load_settings(dashboard_mode="shared", allow_pasted_tokens=True))


def test_stored_token_blob_round_trips_and_a_personal_token_is_not_a_blob() -> None:
    blob = pack(OAuthTokens(ACCESS, REFRESH))
    assert unpack(blob) == OAuthTokens(ACCESS, REFRESH)
    assert ACCESS not in repr(OAuthTokens(ACCESS, REFRESH))
    assert unpack("1~" + "x" * 64) is None
    assert unpack('{"v": 2}') is None and unpack("{not json") is None


def test_log_redaction_covers_oauth_payloads() -> None:
    lines = [
        f'{{"access_token":"{ACCESS}","token_type":"Bearer","refresh_token":"{REFRESH}","expires_in":3600}}',
        f"grant_type=refresh_token&refresh_token={REFRESH}&client_id=1&client_secret={CONFIG.client_secret}",
        "GET /oauth/callback?code=0123456789abcdef&state=s1",
        f"Authorization: Bearer {ACCESS}",
    ]
    for line in lines:
        clean = redact(line)
        for secret in (ACCESS, REFRESH, CONFIG.client_secret, "0123456789abcdef"):
            assert secret not in clean
