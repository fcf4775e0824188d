"""Apprise URLs: what may be stored (host policy, same rules as Canvas URLs) and how one is shown.

A URL is a secret (it carries webhook tokens, passwords, topics): it is shown only as its scheme
("ntfy://…"). Hosts of self-hosted services are checked like a Canvas host: loopback, private,
link-local and reserved addresses (and IP literals) only when allow-listed in CANVAS_ALLOWED_HOSTS.
The check runs when a URL is saved and again before every delivery (DNS may have changed).
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from canvas.errors import UsageError
from canvas.netpolicy import Resolver, check_service_host, system_resolver

# Schemes whose host part is the server Apprise connects to. Others (discord://, tgram://, ...)
# carry ids or tokens there and always talk to their public cloud service.
SELF_HOSTED = frozenset({
    "json", "jsons", "form", "forms", "xml", "xmls", "ntfy", "ntfys", "gotify", "gotifys", "matrix", "matrixs",
    "mmost", "mmosts", "rocket", "rockets", "apprise", "apprises", "mqtt", "mqtts", "nctalk", "nctalks",
    "ncloud", "nclouds", "signal", "signals", "mailto", "mailtos", "gchat", "whatsapp", "misskey", "misskeys",
})
_DEFAULT_PORT = {"s": 443, "": 80}


def scheme_of(url: str) -> str:
    return url.split("://", 1)[0].strip().lower() if "://" in url else ""


def label(url: str) -> str:
    """What the UI shows for a stored URL: "ntfy://…", never the URL itself."""
    return f"{scheme_of(url) or '?'}://…"


def _looks_like_ip(host: str) -> bool:
    # Dotted digits or IPv6 only: discord://<digits>/... carries a webhook id where the host would be.
    return ("." in host and host.replace(".", "").isdigit()) or ":" in host


def check_url(url: str, allowed_hosts: Iterable[str] = (), resolver: Resolver | None = system_resolver) -> str:
    """Raise UsageError (one sentence, never echoing the URL) unless Apprise understands `url` and its
    host is allowed; return the URL stripped."""
    import apprise  # imported here: the dashboard loads this module on every Settings run

    url = url.strip()
    if not url or len(url) > 2000 or any(c.isspace() for c in url):
        raise UsageError("Paste one notification URL, such as ntfy://my-topic (no spaces).")
    if apprise.Apprise.instantiate(url, suppress_exceptions=True) is None:
        raise UsageError(f"Apprise does not understand this {label(url)} URL; check it against the Apprise docs.")
    scheme = scheme_of(url)
    try:
        parts = urlsplit(url)
        host, port = (parts.hostname or "").lower(), parts.port
    except ValueError:
        raise UsageError(f"This {label(url)} URL has an invalid host or port.") from None
    if not host:
        return url
    if scheme == "ntfy" and "." not in host and host != "localhost":
        return url  # ntfy://topic: the public ntfy.sh service
    if scheme in SELF_HOSTED or host == "localhost" or _looks_like_ip(host):
        default = _DEFAULT_PORT["s" if scheme.endswith("s") else ""]
        check_service_host(host, port or default, default, allowed_hosts, resolver,
                           what="Notification host")
    return url
