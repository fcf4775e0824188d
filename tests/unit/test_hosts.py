"""The Canvas URL policy: public https allowed, everything risky refused unless allow-listed."""

from __future__ import annotations

import pytest

from canvas.api.hosts import normalize_base_url, same_origin
from canvas.errors import UrlRefused


def public(host: str, port: int) -> list[str]:
    return ["93.184.216.34"]


def private(host: str, port: int) -> list[str]:
    return ["10.0.0.5"]


@pytest.mark.parametrize(("url", "expected"), [
    ("https://school.instructure.com", "https://school.instructure.com"),
    ("https://School.Instructure.com/", "https://school.instructure.com"),  # case and trailing slash
    ("school.instructure.com", "https://school.instructure.com"),  # scheme added
    ("https://canvas.example.edu:8443", "https://canvas.example.edu:8443"),
])
def test_public_https_allowed(url: str, expected: str) -> None:
    assert normalize_base_url(url, (), resolver=public) == expected


@pytest.mark.parametrize(("url", "why"), [
    ("http://school.instructure.com", "https"),
    ("ftp://school.instructure.com", "https"),
    ("https://user:pw@school.instructure.com", "user name"),
    ("https://school.instructure.com/api/v1", "just the site"),
    ("https://school.instructure.com/?x=1", "just the site"),
    ("https://school.instructure.com/#frag", "just the site"),
    ("https://127.0.0.1", "IP address"),
    ("https://2130706433", "IP address"),  # decimal spelling of 127.0.0.1
    ("https://0x7f000001", "IP address"),  # hex
    ("https://0177.0.0.1", "IP address"),  # octal
    ("https://[::ffff:169.254.169.254]", "IP address"),  # IPv4-mapped IPv6 metadata address
    ("https://169.254.169.254", "IP address"),
])
def test_refused(url: str, why: str) -> None:
    with pytest.raises(UrlRefused, match=why):
        normalize_base_url(url, (), resolver=public)


def test_host_resolving_to_private_address_refused() -> None:
    with pytest.raises(UrlRefused, match="non-public"):
        normalize_base_url("https://intranet.example.com", (), resolver=private)


def test_allow_list_admits_loopback_http_with_port() -> None:
    assert normalize_base_url("http://127.0.0.1:8765", ("127.0.0.1",), resolver=None) == "http://127.0.0.1:8765"
    assert normalize_base_url("http://127.0.0.1:8765", ("127.0.0.1:8765",), resolver=None) == "http://127.0.0.1:8765"
    with pytest.raises(UrlRefused):
        normalize_base_url("http://127.0.0.1:8765", ("127.0.0.1:9999",), resolver=None)


@pytest.mark.parametrize(("link", "ok"), [
    ("https://c.example.com/api/v1/x?page=2", True),
    ("https://c.example.com:443/api/v1/x", True),
    ("http://c.example.com/api/v1/x", False),  # scheme downgrade
    ("https://evil.example/api/v1/x", False),
    ("https://c.example.com:8443/api/v1/x", False),
])
def test_pagination_links_must_stay_on_origin(link: str, ok: bool) -> None:
    assert same_origin("https://c.example.com", link) is ok
