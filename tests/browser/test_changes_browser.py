"""The change feed in a real browser: a grade posted in Canvas shows up as a toast and in "What changed"
after the student presses Sync now (`streamlit run app.py` + Debian's headless chromium, Playwright).

The grade is posted through the simulator's HTTP control endpoint (as an instructor would in Canvas);
no worker runs, so "Sync now" syncs in the app's background thread and the sidebar's status fragment
reruns the page when the sync commits.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.support.launch import CHROMIUM, browser, streamlit_server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed"),
]
playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect


def _control(sim, method: str, path: str, body: object = None) -> requests.Response:
    r = requests.request(method, f"{sim.base_url}/__sim/{path}", json=body, timeout=10)
    r.raise_for_status()
    return r


def test_sync_now_that_brings_a_grade_shows_a_toast_and_the_feed(base_env, engine, sim, add_user, settings, cipher,
                                                                 tmp_path):
    from canvas.sync.runner import sync_user_now

    user_id = add_user(sim, 1)
    sync_user_now(engine, settings, user_id, trigger="cli", owner="test", cipher=cipher)  # the baseline
    data = _control(sim, "GET", "dataset/1").json()
    work = [a for gs in data["assignment_groups"].values() for g in gs for a in g["assignments"]]
    target = next(a for a in work if a.get("submission") and "score" in a["submission"]
                  and a["submission"].get("score") is None and a["points_possible"]
                  and a["name"].isascii() and a["name"].replace(" ", "").isalnum())

    with streamlit_server(base_env, log_path=tmp_path / "streamlit.log") as url, browser() as b:
        page = b.new_page(viewport={"width": 1400, "height": 1100})
        page.goto(url)
        sidebar = page.locator('[data-testid="stSidebar"]')
        expect(sidebar.get_by_text("Up to date")).to_be_visible(timeout=60_000)
        expect(page.get_by_text("Nothing has changed since your first sync", exact=False)).to_be_visible(timeout=30_000)

        _control(sim, "POST", "mutate", {"user": 1, "op": "grade", "assignment_id": target["id"],
                                         "score": target["points_possible"]})
        sidebar.get_by_role("button", name="Sync now").click()

        toast = page.locator('[data-testid="stToast"]').filter(has_text="from Canvas")
        expect(toast.first).to_be_visible(timeout=60_000)
        expect(toast.first).to_contain_text(target["name"])
        feed = page.locator(".st-key-changes_feed")
        expect(feed).to_contain_text("Grade posted", timeout=30_000)
        expect(feed).to_contain_text(target["name"])
        expect(feed.get_by_role("link", name=target["name"]).first).to_have_attribute(
            "href", f"{sim.base_url}/courses/{target['course_id']}/assignments/{target['id']}")
        page.screenshot(path=str(tmp_path / "changes-after-sync.png"))
