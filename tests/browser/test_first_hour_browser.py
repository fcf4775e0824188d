"""A student's first hour in a real browser (Playwright + Debian chromium, `streamlit run app.py`).

1. On a phone (390 px wide) the sidebar starts collapsed and the Overview's content is what shows,
   readable without sideways scrolling.
2. At desktop width, each way a sync can fail shows its one plain sentence (never an exception
   class name) with what happens next: Canvas hung (the sync's deadline), refused (nothing
   listening) and the token revoked.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.launch import CHROMIUM, browser, streamlit_server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed"),
]
playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect

CLASS_NAME = re.compile(r"\b[A-Z][A-Za-z]+(Error|Exception|TimedOut|Refused)\b")
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def synced_user(engine, sim, add_user, settings, cipher) -> int:
    from canvas.sync.runner import sync_user_now

    user_id = add_user(sim, 1)
    sync_user_now(engine, settings, user_id, trigger="cli", owner="test", cipher=cipher)
    return user_id


def test_phone_width_starts_with_the_sidebar_collapsed_and_the_overview_visible(base_env, synced_user, tmp_path):
    with streamlit_server(base_env, log_path=tmp_path / "streamlit.log") as url, browser() as b:
        page = b.new_page(viewport=PHONE, is_mobile=True, has_touch=True)
        page.goto(url)
        metric = page.locator('[data-testid="stMetric"]').filter(has_text="Active courses")
        expect(metric.locator('[data-testid="stMetricValue"]')).to_have_text("6", timeout=60_000)
        sidebar = page.locator('[data-testid="stSidebar"]')
        expect(sidebar).to_have_attribute("data-collapsed", "true")
        box = metric.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        heading = page.get_by_role("heading", name="Overview").first
        expect(heading).to_be_in_viewport()
        # The four cards sit two to a row, so the first screen reaches the news below them.
        cards = page.locator('[data-testid="stMetric"]')
        expect(cards).to_have_count(4)
        rows = {round(cards.nth(i).bounding_box()["y"]) for i in range(4)}
        assert len(rows) == 2, rows
        expect(page.get_by_role("heading", name="What changed").first).to_be_in_viewport()
        # nothing on the page is wider than the phone (no sideways scrolling)
        overflow = page.evaluate("() => document.documentElement.scrollWidth")
        assert overflow <= PHONE["width"], overflow
        page.screenshot(path=str(tmp_path / "phone-overview.png"))

        # still collapsed after navigating (open the menu, pick a page)
        page.locator('[data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapsedControl"] button'
                     ).first.click()
        expect(sidebar).to_have_attribute("data-collapsed", "false")
        sidebar.get_by_role("link", name="Assignments").click()
        expect(page.get_by_role("heading", name="Assignments").first).to_be_visible(timeout=30_000)
        expect(sidebar).to_have_attribute("data-collapsed", "true", timeout=10_000)


def _failure_shown(page, sentence: str) -> str:
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_role("button", name="Sync now").click()
    expect(sidebar.locator('[data-testid="stAlert"]').filter(has_text=sentence)).to_be_visible(timeout=60_000)
    banner = page.locator('[data-testid="stMain"] [data-testid="stAlert"]').filter(has_text=sentence)
    expect(banner).to_be_visible(timeout=30_000)
    expect(sidebar.get_by_text("Last sync:")).to_have_count(1, timeout=10_000)  # no stale status lines left
    return page.locator("body").inner_text()


@pytest.mark.parametrize("state", ["hung", "refused", "revoked"])
def test_each_failure_shows_its_sentence_without_class_names(state, base_env, synced_user, sim, tmp_path):
    env = {**base_env, "CANVAS_SYNC_DEADLINE_SECONDS": "3"}
    with streamlit_server(env, log_path=tmp_path / "streamlit.log") as url, browser() as b:
        page = b.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        sidebar = page.locator('[data-testid="stSidebar"]')
        expect(sidebar.get_by_text("Up to date")).to_be_visible(timeout=60_000)
        if state == "hung":
            sim.set_faults(fail=[{"path": "/api/v1/", "status": "timeout", "seconds": 60}])
            text = _failure_shown(page, "Canvas was too slow to answer")
            assert "press Sync now to try again" in text  # no worker runs here: nothing retries by itself
        elif state == "refused":
            sim.stop()  # nothing listens on Canvas's port any more
            text = _failure_shown(page, "Canvas did not answer")
            assert "press Sync now to try again" in text
        else:
            sim.set_faults(revoke=[1])
            text = _failure_shown(page, "Canvas no longer accepts your access token")
            assert "reconnect in Settings" in text
            assert text.count("no longer accepts your access token") == 2  # sidebar + banner, not doubled up
            expect(sidebar.get_by_role("button", name="Sync now")).to_be_disabled()
        assert "Showing your data from the last successful sync" in text  # the cache, and how old it is
        assert not CLASS_NAME.search(text), CLASS_NAME.search(text)
        metric = page.locator('[data-testid="stMetric"]').filter(has_text="Active courses")
        expect(metric.locator('[data-testid="stMetricValue"]')).to_have_text("6")
        page.screenshot(path=str(tmp_path / f"failure-{state}.png"))
