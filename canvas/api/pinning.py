"""Connect to the address that passed the URL check, never to a fresh DNS answer.

Without this, a host could resolve to a public address when checked and to 169.254.169.254 (or
127.0.0.1) a moment later when `requests` connects (DNS rebinding). The adapter's connections
dial the pinned address while TLS still verifies the certificate against the host name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError


def _classes(host: str, port: int, addresses: Sequence[str]) -> dict[str, type]:
    allowed = (host.lower().strip("[]"), port)

    def dial(conn: Any, parent: type[HTTPConnection]) -> Any:
        if (conn.host.lower().strip("[]"), conn.port) != allowed:
            raise NewConnectionError(conn, f"connection to {conn.host} refused: not the checked Canvas host")
        original = conn._dns_host
        last: Exception | None = None
        for address in addresses:
            conn._dns_host = address  # only the socket dial uses it; TLS reads the restored name
            try:
                return parent._new_conn(conn)
            except NewConnectionError as exc:
                last = exc
            finally:
                conn._dns_host = original
        raise last or NewConnectionError(conn, "no address to connect to")

    class PinnedHTTPConnection(HTTPConnection):
        def _new_conn(self) -> Any:
            return dial(self, HTTPConnection)

    class PinnedHTTPSConnection(HTTPSConnection):
        def _new_conn(self) -> Any:
            return dial(self, HTTPSConnection)

    class PinnedHTTPPool(HTTPConnectionPool):
        ConnectionCls = PinnedHTTPConnection

    class PinnedHTTPSPool(HTTPSConnectionPool):
        ConnectionCls = PinnedHTTPSConnection

    return {"http": PinnedHTTPPool, "https": PinnedHTTPSPool}


class PinnedAdapter(HTTPAdapter):
    def __init__(self, host: str, port: int, addresses: Sequence[str], **kw: Any) -> None:
        self._pools = _classes(host, port, list(addresses))
        super().__init__(**kw)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(self._pools)
