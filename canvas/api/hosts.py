"""Which Canvas URLs we may talk to (pure policy plus one DNS look-up).

Public https hosts are allowed. Plain http, loopback, private, link-local, shared and reserved
addresses are refused unless the host[:port] is in CANVAS_ALLOWED_HOSTS (the simulated Canvas on
127.0.0.1 is allow-listed that way). IP literals are refused in every spelling unless allow-listed.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from canvas.errors import NotAUrl, UrlRefused
from canvas.netpolicy import Resolver, _allowed, _literal_ip, is_public_address, system_resolver

# A DNS name: dot-separated labels of letters, digits and inner hyphens (IDNs arrive as punycode).
_HOSTNAME = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?")

__all__ = ["CheckedUrl", "Resolver", "check_base_url", "is_public_address", "normalize_base_url", "same_origin",
           "system_resolver"]


@dataclass(frozen=True)
class CheckedUrl:
    base_url: str  # "scheme://host[:port]"
    host: str
    port: int
    addresses: tuple[str, ...]  # what the host resolved to when checked: connections go only there


def normalize_base_url(url: str, allowed_hosts: Iterable[str] = (),
                       resolver: Resolver | None = system_resolver) -> str:
    """Return "scheme://host[:port]" for a Canvas base URL, or raise UrlRefused saying why."""
    return check_base_url(url, allowed_hosts, resolver).base_url


def check_base_url(url: str, allowed_hosts: Iterable[str] = (),
                   resolver: Resolver | None = system_resolver) -> CheckedUrl:
    """Check a Canvas base URL against the policy and resolve it once (raise UrlRefused saying why)."""
    raw = url.strip()
    if not raw or any(c.isspace() for c in raw):
        raise NotAUrl(f"{raw!r} is not a web address")
    try:
        parts = urlsplit(raw if "://" in raw else f"https://{raw}")
    except ValueError:
        raise NotAUrl(f"{raw!r} is not a web address") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise UrlRefused(f"Canvas URL must use https, not {scheme!r}")
    if parts.username or parts.password:
        raise UrlRefused("Canvas URL must not contain a user name or password")
    if parts.query or parts.fragment or parts.path.rstrip("/") not in ("",):
        raise UrlRefused("Canvas URL must be just the site, e.g. https://school.instructure.com")
    host = (parts.hostname or "").lower()
    if not host:
        raise NotAUrl("Canvas URL has no host")
    if ":" not in host and _literal_ip(host) is None and not _HOSTNAME.fullmatch(host):
        raise NotAUrl(f"{host!r} is not a web address")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise UrlRefused("Canvas URL has an invalid port") from None
    default_port = 443 if scheme == "https" else 80
    allowed = _allowed(host, port, default_port, allowed_hosts)
    if scheme == "http" and not allowed:
        # (the operator may allow plain http for a host with CANVAS_ALLOWED_HOSTS; a student can't)
        raise UrlRefused("Canvas URL must use https://, not plain http")
    literal = _literal_ip(host)
    if literal is not None and not allowed:
        raise UrlRefused(f"Canvas URL must name a host, not an IP address ({host})")
    addresses: list[str] = []
    if literal is not None:
        addresses = [str(literal)]
    elif resolver is not None:
        addresses = resolver(host, port)
        if not allowed:
            for address in addresses:
                if not is_public_address(ipaddress.ip_address(address.split("%")[0])):
                    raise UrlRefused(f"{host} points to a private (non-public) network address")
    netloc = host if ":" not in host else f"[{host}]"
    if parts.port and port != default_port:
        netloc += f":{port}"
    return CheckedUrl(f"{scheme}://{netloc}", host, port, tuple(addresses))


def same_origin(base_url: str, url: str) -> bool:
    """Pagination links must stay on the base URL's scheme, host and port."""
    a, b = urlsplit(base_url), urlsplit(url)
    def key(p: SplitResult) -> tuple[str, str | None, int]:
        return p.scheme, p.hostname, p.port or _dport(p.scheme)

    return key(a) == key(b)


def _dport(scheme: str) -> int:
    return 443 if scheme == "https" else 80

