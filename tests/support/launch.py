"""Start `streamlit run app.py` as a subprocess and drive it with headless chromium (dev tooling).

Shared by the browser tests and `scripts/screenshots.py`; not part of the app package. Uses
Debian's chromium through Playwright's `executable_path`; never downloads a browser.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# URL path of each page under Streamlit's pages-directory routing (file name minus the number prefix).
PAGE_URLS = {"overview": "", "assignments": "Assignments", "grades": "Grades", "sync": "Sync_activity",
             "settings": "Settings", "transcript": "Transcript"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(cmd: Sequence[str], health_url: str, *, timeout: float, env: dict[str, str] | None = None,
            log_path: Path | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """Run `cmd` until `health_url` answers 200; yield the process; stop it on exit (TERM, then KILL)."""
    log = open(log_path, "wb") if log_path else subprocess.DEVNULL  # closed in the finally below
    proc = subprocess.Popen(list(cmd), cwd=ROOT, env={**os.environ, **(env or {})}, stdout=log,
                            stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                tail = log_path.read_text(errors="replace")[-2000:] if log_path else ""
                raise RuntimeError(f"{' '.join(cmd[:4])} exited with code {proc.returncode}"
                                   + (f": {tail}" if tail else ""))
            try:
                with urllib.request.urlopen(health_url, timeout=1) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{health_url} did not answer within {timeout:.0f} s")
            time.sleep(0.2)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        if log is not subprocess.DEVNULL:
            log.close()  # type: ignore[union-attr]


@contextmanager
def openid_provider(log_path: Path) -> Iterator[str]:
    """oidc-provider-mock in its own process (its Authlib deprecation warnings stay out of pytest)."""
    port = free_port()
    url = f"http://localhost:{port}"
    cmd = [sys.executable, "-W", "ignore", "-m", "oidc_provider_mock", "--port", str(port)]
    with serving(cmd, f"{url}/.well-known/openid-configuration", timeout=30, log_path=log_path):
        yield url


@contextmanager
def streamlit_server(env: dict[str, str], *, port: int | None = None, timeout: float = 60.0,
                     log_path: Path | None = None, extra_args: Sequence[str] = ()) -> Iterator[str]:
    """Run the dashboard on 127.0.0.1:<port>; yields its base URL; stops it on exit.

    `extra_args` go to `streamlit run` (e.g. `--secrets.files <path>` for a test's [auth] section)."""
    port = port or free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none", *extra_args]
    url = f"http://127.0.0.1:{port}"
    with serving(cmd, f"{url}/_stcore/health", timeout=timeout, env=env, log_path=log_path):
        yield url


@contextmanager
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()
