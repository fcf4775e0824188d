"""Classifying Canvas replies, using the error matrix canvasapi recorded from Canvas."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from canvas import errors
from canvas.api.responses import classify, next_link, parse_json, rate_headers

# Recorded by the canvasapi project (MIT); copied from shared/canvas-fixtures.
FIXTURES = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "canvasapi-errors-and-paging.json")
                      .read_text())["errors"]["fixtures"]

EXPECTED = {
    "400": errors.ApiError,
    "401_invalid_access_token": errors.AuthError,  # WWW-Authenticate present: the token is dead
    "401_unauthorized": errors.ForbiddenError,  # no header: a permission problem, token still fine
    "403": errors.ForbiddenError,
    "403_rate_limit": errors.RateLimitedError,  # detected by the body text, not the status
    "403_rate_limit_no_remaining_header": errors.RateLimitedError,
    "404": errors.NotFoundError,
    "409": errors.ApiError,
    "422": errors.ApiError,
    "500": errors.ServerError,
    "502": errors.ServerError,
    "503": errors.ServerError,
    "absurd": errors.ServerError,  # 9001: treat as a server fault and retry
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_canvasapi_error_matrix(name: str) -> None:
    fx = FIXTURES[name]
    err = classify(fx["status_code"], fx["headers"], fx["body"], "/api/v1/courses")
    assert type(err) is EXPECTED[name]
    assert err.path == "/api/v1/courses"


def test_rate_limit_keeps_remaining_and_is_retryable() -> None:
    fx = FIXTURES["403_rate_limit"]
    err = classify(fx["status_code"], fx["headers"], fx["body"], "/x")
    assert isinstance(err, errors.RateLimitedError)
    assert err.remaining == pytest.approx(3.14159265359)
    assert err.retryable


def test_429_is_rate_limited_even_without_body_text() -> None:
    assert isinstance(classify(429, {}, "", "/x"), errors.RateLimitedError)


def test_auth_error_keeps_canvas_message_and_header_case_is_ignored() -> None:
    body = '{"errors":[{"message":"Revoked access token."}]}'
    err = classify(401, {"www-authenticate": 'Bearer realm="canvas-lms"'}, body, "/api/v1/users/self")
    assert isinstance(err, errors.AuthError)
    assert "Revoked access token." in str(err)
    assert not err.retryable


def test_success_is_none_and_redirects_are_refused() -> None:
    assert classify(200, {}, "[]", "/x") is None
    assert isinstance(classify(302, {"location": "http://evil.example/"}, "", "/x"), errors.BadResponseError)


def test_parse_json_strips_while1_and_rejects_garbage() -> None:
    assert parse_json('while(1);[{"id": 1}]', "/x") == [{"id": 1}]
    with pytest.raises(errors.BadResponseError, match="malformed JSON"):
        parse_json("<html>oops", "/x")


@pytest.mark.parametrize(("header", "expected"), [
    ('<https://c.example/api/v1/x?page=2&per_page=2>; rel="next"', "https://c.example/api/v1/x?page=2&per_page=2"),
    # Canvas order: next, last, prev, current, first; bookmarks are opaque
    ('<https://c/x?page=bookmark:abc>; rel="current",<https://c/x?page=bookmark:def>; rel="next",'
     '<https://c/x?page=first>; rel="first"', "https://c/x?page=bookmark:def"),
    ('<https://c/x?page=1>; rel="first",<https://c/x?page=1>; rel="current"', None),  # last page
    ("", None),
])
def test_next_link(header: str, expected: str | None) -> None:
    assert next_link({"link": header}) == expected
    assert next_link({"Link": header}) == expected


def test_rate_headers_lowercase() -> None:
    assert rate_headers({"x-rate-limit-remaining": "598.5", "x-request-cost": "0.2"}) == (598.5, 0.2)
