"""Which network addresses the app may connect to (pure policy plus one DNS look-up), shared by the
Canvas URL rule (canvas.api.hosts) and notification endpoints (canvas.notify.urls).

Loopback, private, link-local, shared and reserved addresses, and IP literals in any spelling, are
refused unless the host[:port] is in CANVAS_ALLOWED_HOSTS.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable

from canvas.errors import HostUnresolved, UrlRefused

Resolver = Callable[[str, int], list[str]]


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except socket.gaierror:
        raise HostUnresolved(f"Canvas host {host!r} could not be resolved") from None
    return sorted({str(info[4][0]) for info in infos})


def _literal_ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """Parse an IP literal in any spelling browsers and libc accept (dotted, decimal, hex, octal)."""
    h = host.strip("[]")
    try:
        return ipaddress.ip_address(h)
    except ValueError:
        pass
    try:
        # inet_aton accepts 2130706433, 0x7f000001, 0177.0.0.1, 127.1 ...
        return ipaddress.IPv4Address(socket.inet_aton(h))
    except (OSError, ValueError):
        return None


def is_public_address(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    shared = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT, not covered by is_private
    return not (
        addr.is_private or addr.is_loopback or addr.is_link_local or addr.is_multicast
        or addr.is_reserved or addr.is_unspecified or (addr.version == 4 and addr in shared)
    )


def _allowed(host: str, port: int, default_port: int, allowed_hosts: Iterable[str]) -> bool:
    names = {host.lower(), f"{host.lower()}:{port}"}
    if port == default_port:
        names.add(f"{host.lower()}:{default_port}")
    return any(a.lower() in names for a in allowed_hosts)


def check_service_host(host: str, port: int, default_port: int, allowed_hosts: Iterable[str] = (),
                       resolver: Resolver | None = system_resolver, *, what: str = "Host") -> None:
    """The Canvas host rule for another service we connect to (notification endpoints): IP literals
    and hosts resolving to non-public addresses only when allow-listed. Raise UrlRefused saying why."""
    host = host.lower().strip("[]")
    if _allowed(host, port, default_port, allowed_hosts):
        return
    if _literal_ip(host) is not None:
        raise UrlRefused(f"{what} must be a name, not an IP address ({host}), unless it is in CANVAS_ALLOWED_HOSTS")
    if resolver is None:
        return
    try:
        addresses = resolver(host, port)
    except UrlRefused:
        raise UrlRefused(f"{what} {host} could not be resolved") from None
    for address in addresses:
        if not is_public_address(ipaddress.ip_address(address.split("%")[0])):
            raise UrlRefused(f"{what} {host} is a private or loopback address; add it to CANVAS_ALLOWED_HOSTS "
                             "to allow it")
