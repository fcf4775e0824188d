"""The Transcript page in a real browser (streamlit run + headless chromium): the GPA metrics, the term
picker and the course table draw on a phone-width screen and on a desktop; saving credits recomputes."""

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


def test_transcript_shows_gpa_terms_and_courses(base_env, engine, sim, add_user, settings, cipher, tmp_path):
    from canvas.sync.runner import sync_user_now

    user_id = add_user(sim, 1)
    sync_user_now(engine, settings, user_id, trigger="cli", owner="test", cipher=cipher)
    with streamlit_server(base_env, log_path=tmp_path / "streamlit.log") as url, browser() as b:
        for width, height in ((1400, 1300), (390, 2400)):
            page = b.new_page(viewport={"width": width, "height": height})
            page.goto(f"{url}/Transcript")
            expect(page.get_by_role("heading", name="Transcript").first).to_be_visible(timeout=60_000)
            if width < 600:  # on a phone the sidebar starts folded away, leaving the page readable
                expect(page.locator('[data-testid="stSidebar"]')).to_have_attribute("data-collapsed", "true")
            cumulative = page.locator('[data-testid="stMetric"]').filter(has_text="Cumulative GPA")
            expect(cumulative.locator('[data-testid="stMetricValue"]')).to_have_text(
                re.compile(r"^\d\.\d\d$"), timeout=30_000)
            expect(page.get_by_text("GPA by term")).to_be_visible(timeout=30_000)
            expect(page.locator('[data-testid="stSelectbox"]').filter(has_text="Term")).to_be_visible()
            expect(page.locator('[data-testid="stDataFrame"]').first).to_be_visible()
            page.screenshot(path=str(tmp_path / f"transcript-{width}.png"), full_page=True)
            # nothing runs off a phone screen sideways
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"{overflow}px of horizontal overflow at {width}px"
            page.close()
