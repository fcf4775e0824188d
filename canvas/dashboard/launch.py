"""Start `streamlit run app.py` as a subprocess and drive it with headless chromium (dev tooling).

Shared by the browser tests and `scripts/screenshots.py`. Uses Debian's chromium through
Playwright's `executable_path`; never downloads a browser.
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
             "settings": "Settings"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def streamlit_server(env: dict[str, str], *, port: int | None = None, timeout: float = 60.0,
                     log_path: Path | None = None, extra_args: Sequence[str] = ()) -> Iterator[str]:
    """Run the dashboard on 127.0.0.1:<port>; yields its base URL; stops it on exit.

    `extra_args` go to `streamlit run` (e.g. `--secrets.files <path>` for a test's [auth] section)."""
    port = port or free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none", *extra_args]
    log = open(log_path, "wb") if log_path else subprocess.DEVNULL  # closed in the finally below
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with code {proc.returncode}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("streamlit did not become healthy")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        if log_path and log is not subprocess.DEVNULL:
            log.close()  # type: ignore[union-attr]


@contextmanager
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()
