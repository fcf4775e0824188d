"""Screenshots of every dashboard page into docs/screenshots/ (one command).

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Starts a throw-away embedded PostgreSQL (or uses DATABASE_URL when set: its data is left alone except
for the demo student it adds), the simulated Canvas, syncs the demo student a few times (posting
some grades in between so the score history has a shape), runs `streamlit run app.py`, and saves
one PNG per page with headless chromium (/usr/bin/chromium; no browser download): at desktop width
(<page>.png) and at a phone's 390 px (<page>-mobile.png, sidebar collapsed as a phone shows it).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

log = logging.getLogger("screenshots")

# Page name -> (URL path, viewport height, a text that proves the page drew its content).
MOBILE = {"width": 390, "height": 844}  # an iPhone 12-15's CSS viewport; one screen, as a phone shows it
SHOTS = {
    "overview": ("", 2100, "What to do next"),
    "assignments": ("Assignments", 1000, "Download CSV"),
    "grades": ("Grades", 1900, "Course detail"),
    "sync": ("Sync_activity", 1150, "Recent syncs"),
    "settings": ("Settings", 1900, "Try the demo"),
    "transcript": ("Transcript", 1300, "GPA by term"),
}


def _prepare(tmp: Path) -> dict[str, str]:
    from canvas.db.engine import embedded_url

    data_dir = tmp / "data"
    url = os.environ.get("DATABASE_URL") or embedded_url(data_dir)
    return {"DATABASE_URL": url, "CANVAS_DATA_DIR": str(data_dir), "CANVAS_ALLOWED_HOSTS": "127.0.0.1",
            "XDG_RUNTIME_DIR": os.environ.get("XDG_RUNTIME_DIR", "/tmp")}


def _sync_demo(env: dict[str, str], sim: object) -> int:
    from canvas.accounts import connect_account
    from canvas.config import load_settings
    from canvas.crypto import TokenCipher
    from canvas.db.engine import get_engine
    from canvas.simulator import token_for
    from canvas.sync.runner import sync_user_now

    settings = load_settings(database_url=env["DATABASE_URL"], data_dir=Path(env["CANVAS_DATA_DIR"]),
                             allowed_hosts=("127.0.0.1",))
    engine = get_engine(settings)
    cipher = TokenCipher.from_settings(settings)
    user_id = connect_account(engine, settings, cipher, base_url=sim.base_url, token=token_for(1)).user_id
    sync_user_now(engine, settings, user_id, trigger="cli", owner="screenshots", cipher=cipher)
    # Post a few grades between syncs so the history and the "new grades" list are not flat.
    groups = sim.dataset(1)["assignment_groups"]
    ungraded = [a for course_groups in groups.values() for g in course_groups for a in g.get("assignments", [])
                if a.get("points_possible") and (a.get("submission") or {}).get("submitted_at")
                and (a.get("submission") or {}).get("score") is None][:6]
    # The last sync also moves a due date and adds an assignment, so "What changed" shows several kinds.
    dated = next(a for course_groups in groups.values() for g in course_groups for a in g.get("assignments", [])
                 if a.get("due_at") and not (a.get("submission") or {}).get("submitted_at"))
    for i, a in enumerate(ungraded):
        sim.mutate(1, "grade", assignment_id=a["id"], score=float(a["points_possible"]) * (0.7 + 0.05 * i))
        if i == len(ungraded) - 1:
            due = datetime.fromisoformat(dated["due_at"].replace("Z", "+00:00")) + timedelta(days=2)
            sim.mutate(1, "update_assignment", assignment_id=dated["id"], due_at=due.isoformat())
            sim.mutate(1, "add_assignment", course_id=dated["course_id"], group_id=dated["assignment_group_id"],
                       name="Pop quiz", points_possible=10)
        elif i % 2 == 1:
            time.sleep(1.1)
            sync_user_now(engine, settings, user_id, trigger="schedule", owner="screenshots", cipher=cipher)
    sync_user_now(engine, settings, user_id, trigger="manual", owner="screenshots", cipher=cipher)
    return user_id


def _wait_painted(page) -> None:  # page: a Playwright Page
    """Every chart's SVG and every table's canvas drawn (a fixed pause caught blank grids half the time)."""
    charts = page.locator('[data-testid="stPlotlyChart"]')
    for i in range(charts.count()):
        charts.nth(i).locator(".main-svg").first.wait_for(timeout=30_000)
    tables = page.locator('[data-testid="stDataFrame"]')
    for i in range(tables.count()):
        tables.nth(i).locator("canvas").first.wait_for(timeout=30_000)
    time.sleep(3.0)  # grids and charts draw a few frames after their canvas appears (1.5 s caught blank ones)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    from canvas.simulator import Simulator
    from tests.support.launch import CHROMIUM, browser, streamlit_server

    if not Path(CHROMIUM).exists():
        log.error("%s is missing: apt-get install -y chromium fonts-noto-color-emoji", CHROMIUM)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="canvas-shots-"))
    try:
        env = _prepare(tmp)
        with Simulator(port=0, seed=1) as sim, contextlib.ExitStack() as stack:
            _sync_demo(env, sim)
            log.info("demo student synced; starting a sync worker and streamlit")
            # A live worker, so the Sync & activity page shows real liveness rows.
            worker = subprocess.Popen([sys.executable, str(ROOT / "sync_worker.py")], cwd=ROOT,
                                      env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                                      stderr=(tmp / "worker.log").open("w"))
            stack.callback(worker.wait, 30)
            stack.callback(worker.terminate)
            with streamlit_server(env, log_path=tmp / "streamlit.log") as base, browser() as b:
                for name, (path, height, marker) in SHOTS.items():
                    for suffix, viewport, mobile in (("", {"width": 1440, "height": height}, False),
                                                     ("-mobile", MOBILE, True)):
                        page = b.new_page(viewport=viewport, is_mobile=mobile, has_touch=mobile)
                        page.goto(f"{base}/{path}")
                        # the sidebar (with the status) is collapsed on a phone: wait for the page itself
                        if not mobile:
                            page.get_by_text("Up to date").first.wait_for(timeout=60_000)
                        page.get_by_text(marker).first.wait_for(timeout=60_000)
                        _wait_painted(page)
                        target = args.out / f"{name}{suffix}.png"
                        page.screenshot(path=str(target))
                        page.close()
                        log.info("saved %s", target.relative_to(ROOT) if target.is_relative_to(ROOT) else target)
    finally:
        if os.environ.get("KEEP_TMP"):
            log.info("kept %s", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
