"""The dashboard in a real browser: `streamlit run app.py` + Debian's headless chromium (Playwright).

1. Sync now: a connected, never-synced student; click "Sync now" (no worker alive, so the app syncs in
   a background thread); the status widget moves to ✅ and the Overview's data and chart appear
   without any further click. The .ics download is checked too.
2. Deep links: each page's URL opened *first* on a freshly started server still draws the shared
   frame (the sidebar status widget), because every page file calls render_frame() itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.launch import CHROMIUM, PAGE_URLS, browser, streamlit_server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed"),
]
playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect

LOADED_MS = 120_000  # one step's bound on a heavily loaded machine (each takes ~1-5 s when idle)
HEADINGS = {"overview": "Overview", "assignments": "Assignments", "grades": "Grades",
            "sync": "Sync & activity", "settings": "Settings", "transcript": "Transcript"}


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("browser-screenshots")


def test_sync_now_moves_status_to_up_to_date_and_renders_charts(base_env, engine, sim, add_user, shots, tmp_path):
    add_user(sim, 1)
    # Bounds: ~15 s in all on an idle machine; a machine loaded 5-10x (2 CPUs, several test runs)
    # stretches every step, so each wait below is bounded generously rather than tightly.
    with streamlit_server(base_env, log_path=tmp_path / "streamlit.log", timeout=120) as url, browser() as b:
        page = b.new_page(viewport={"width": 1400, "height": 1100})
        page.set_default_timeout(LOADED_MS)  # clicks wait for a rerun to end; loaded, that can pass 30 s
        page.goto(url)
        sidebar = page.locator('[data-testid="stSidebar"]')
        expect(sidebar.get_by_text("Never synced")).to_be_visible(timeout=LOADED_MS)
        page.screenshot(path=str(shots / "before-sync.png"))

        sidebar.get_by_role("button", name="Sync now").click()
        expect(sidebar.get_by_text("Up to date")).to_be_visible(timeout=LOADED_MS)
        # The page refreshed by itself when the sync committed: data and the chart are there.
        metric = page.locator('[data-testid="stMetric"]').filter(has_text="Active courses")
        # .first: while the page reruns after the sync, the old copy of a metric can still be on screen.
        expect(metric.locator('[data-testid="stMetricValue"]').first).to_have_text("6", timeout=LOADED_MS)
        page.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=LOADED_MS)
        expect(sidebar).to_contain_text("9 courses", timeout=LOADED_MS)  # 3 archived courses included
        page.screenshot(path=str(shots / "after-sync.png"))

        page.locator('[data-testid="stSidebar"]').get_by_role("link", name="Assignments").click()
        expect(page.get_by_role("heading", name="Assignments")).to_be_visible(timeout=LOADED_MS)
        with page.expect_download(timeout=LOADED_MS) as download:
            page.get_by_role("button", name="Calendar (.ics)").click()
        body = Path(download.value.path()).read_text()
        assert body.startswith("BEGIN:VCALENDAR") and "UID:assignment-" in body
        assert "@canvas-dashboard" in body

        page.locator('[data-testid="stSidebar"]').get_by_role("link", name="Grades").click()
        expect(page.get_by_role("heading", name="Grades")).to_be_visible(timeout=LOADED_MS)
        expect(page.locator('[data-testid="stPlotlyChart"]')).to_have_count(7, timeout=LOADED_MS)  # + you vs class
        page.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=LOADED_MS)
        page.screenshot(path=str(shots / "grades.png"))


@pytest.mark.parametrize("name", list(PAGE_URLS))
def test_deep_link_on_a_fresh_server_draws_the_frame(name, base_env, engine, sim, add_user, settings, cipher, shots,
                                                     tmp_path):
    from canvas.sync.runner import sync_user_now

    user_id = add_user(sim, 1)
    sync_user_now(engine, settings, user_id, trigger="cli", owner="test", cipher=cipher)
    with streamlit_server(base_env, log_path=tmp_path / "streamlit.log") as url, browser() as b:
        page = b.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/{PAGE_URLS[name]}")  # the very first request this server sees
        sidebar = page.locator('[data-testid="stSidebar"]')
        expect(sidebar.get_by_text("Up to date")).to_be_visible(timeout=60_000)
        expect(sidebar.get_by_role("button", name="Sync now")).to_be_visible(timeout=30_000)
        expect(page.get_by_role("heading", name=HEADINGS[name]).first).to_be_visible(timeout=30_000)
        page.screenshot(path=str(shots / f"deep-link-{name}.png"))
