"""A Streamlit session without a browser: Streamlit's own websocket protocol, as its frontend speaks it.

What a browser tab sends is small: a `rerun_script` BackMsg when the student opens a page, and one
for each `run_every` fragment when its timer fires (the server announces those with `auto_rerun`).
Everything else is rendering, which happens on the student's device, not on the server. So this
client drives the server exactly as that many open tabs do, at a fraction of a browser's CPU and
memory, which is what lets 100 sessions and the server share this 2-core machine: a page time
here is from the request to the server's `script_finished`, the server's whole share of a page.

A session needs the cookies a signed-in browser holds (Streamlit's XSRF cookie and the signed
`_streamlit_user` cookie from st.login; the proxy's stickiness cookie behind nginx): the bench
signs each student in with a real browser first, then hands the cookies to this client.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import urlsplit

XSRF_COOKIE = "_streamlit_xsrf"
FINISHED, EARLY = 0, 2  # ForwardMsg.ScriptFinishedStatus: a full run done; ended early for a rerun


class PageRunFailed(Exception):
    """The server did not finish the page run in time (or the connection closed)."""


class StreamlitSession:
    """One open tab: connect, open pages by title, keep the page's fragments running on their timers."""

    def __init__(self, url: str, cookies: dict[str, str], *, timeout: float = 120.0, label: str = "") -> None:
        self.url, self.cookies, self.timeout, self.label = url.rstrip("/"), cookies, timeout, label
        self.pages: dict[str, str] = {}  # page title -> page_script_hash, from the `navigation` message
        self.current = ""
        self.fragment_runs = 0
        self._ws: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._timers: dict[str, asyncio.Task[None]] = {}
        self._done: asyncio.Queue[int] = asyncio.Queue()
        self._payloads: list[bytes] = []
        self.received: dict[str, int] = {}  # message kinds, for a failure's explanation

    async def __aenter__(self) -> StreamlitSession:
        from websockets.asyncio.client import connect

        parts = urlsplit(self.url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self._ws = await connect(f"{scheme}://{parts.netloc}{parts.path}/_stcore/stream",
                                 subprotocols=["streamlit", self.cookies[XSRF_COOKIE]],  # type: ignore[list-item]
                                 origin=f"{parts.scheme}://{parts.netloc}",  # type: ignore[arg-type]
                                 additional_headers={"Cookie": cookie}, max_size=None,
                                 open_timeout=self.timeout, ping_interval=None, proxy=None)
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in [*self._timers.values(), *([self._reader] if self._reader else [])]:
            task.cancel()
        if self._ws is not None:
            await self._ws.close()

    # -- what the tab sends -------------------------------------------------------------------------
    async def _send_rerun(self, page_hash: str, fragment_id: str = "") -> None:
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ClientState_pb2 import ClientState, ContextInfo

        msg = BackMsg(rerun_script=ClientState(
            page_script_hash=page_hash, fragment_id=fragment_id, is_auto_rerun=bool(fragment_id),
            context_info=ContextInfo(timezone="UTC", timezone_offset=0, locale="en-US",
                                     url=self.url, is_embedded=False, color_scheme="light")))
        await self._ws.send(msg.SerializeToString())

    async def open_page(self, title: str = "") -> tuple[float, bytes]:
        """Open a page (the default one for ""): seconds until the server finished it, and what it sent."""
        page_hash = self._hash_of(title) if title else ""
        if title and not page_hash:
            raise PageRunFailed(f"no page titled {title!r} (pages: {sorted(self.pages)})")
        for task in self._timers.values():  # a new page run replaces the old page's fragments
            task.cancel()
        self._timers.clear()
        while not self._done.empty():
            self._done.get_nowait()
        self._payloads = []
        self.current = page_hash
        t = time.perf_counter()
        await self._send_rerun(page_hash)
        deadline = t + self.timeout
        while True:
            try:
                status = await asyncio.wait_for(self._done.get(), max(0.0, deadline - time.perf_counter()))
            except TimeoutError:
                raise PageRunFailed(f"{title or 'first page'}: no answer within {self.timeout:.0f} s "
                                    f"(received {self.received})") from None
            if status == FINISHED:
                return time.perf_counter() - t, b"".join(self._payloads)
            if status < 0:
                raise PageRunFailed("the server closed the connection")

    def _hash_of(self, title: str) -> str:
        """A page by its title as the sidebar shows it: Streamlit names a pages/ file's page after the
        file, without the characters a file name drops ("Sync & activity" is "Sync activity")."""
        def key(name: str) -> str:
            return "".join(ch for ch in name.lower() if ch.isalnum())
        return next((h for name, h in self.pages.items() if key(name) == key(title)), "")

    # -- what the server sends ----------------------------------------------------------------------
    async def _read(self) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        try:
            async for data in self._ws:
                msg = ForwardMsg()
                msg.ParseFromString(data)
                kind = msg.WhichOneof("type") or "?"
                self.received[kind] = self.received.get(kind, 0) + 1
                if kind == "delta":
                    self._payloads.append(data)
                elif kind == "new_session":  # the page this run is for, as the frontend keeps it
                    if msg.new_session.page_script_hash:
                        self.current = msg.new_session.page_script_hash
                elif kind == "navigation":
                    self.pages = {p.page_name: p.page_script_hash for p in msg.navigation.app_pages}
                    if msg.navigation.page_script_hash:
                        self.current = msg.navigation.page_script_hash
                elif kind == "auto_rerun":
                    fid, every = msg.auto_rerun.fragment_id, msg.auto_rerun.interval
                    if fid in self._timers:
                        self._timers[fid].cancel()
                    self._timers[fid] = asyncio.create_task(self._fragment_timer(fid, every))
                elif kind == "stop_auto_rerun":
                    for fid in msg.stop_auto_rerun.fragment_ids:
                        task = self._timers.pop(fid, None)
                        if task is not None:
                            task.cancel()
                elif kind == "script_finished":
                    self._done.put_nowait(msg.script_finished)
        except Exception:
            pass
        self._done.put_nowait(-1)

    async def _fragment_timer(self, fragment_id: str, every: float) -> None:
        """The frontend's timer for a `run_every` fragment: a fragment-only rerun every `every` seconds."""
        while True:
            await asyncio.sleep(every)
            await self._send_rerun(self.current, fragment_id)
            self.fragment_runs += 1
