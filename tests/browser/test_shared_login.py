"""Shared mode in a real browser: st.login against a real local OpenID provider (oidc-provider-mock).

The student's users row is connected beforehand with Canvas OAuth2 (simulated Canvas) and bound to
the identity the provider will issue (its issuer + the subject typed on its authorization form).
The browser opens a deep link, sees only the sign-in page, signs in at the provider, comes back
signed in and sees the sidebar (sync status, Sign out) and its own data.
"""

from __future__ import annotations

import importlib.util
import json
import urllib.request
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from tests.support.launch import CHROMIUM, browser, free_port, openid_provider, streamlit_server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed"),
    pytest.mark.skipif(importlib.util.find_spec("oidc_provider_mock") is None,
                       reason="oidc-provider-mock is not installed (requirements-dev.txt)"),
]
playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect

SUBJECT = "alice-sub-0001"


def test_sign_in_with_openid_connect_then_see_the_sidebar(base_env, engine, settings, cipher, sim, tmp_path):
    from pydantic import SecretStr

    from canvas.accounts import Identity, finish_oauth, start_oauth
    from canvas.simulator.oauth import DEFAULT_CLIENT
    from canvas.sync.runner import sync_user_now

    port = free_port()
    app_url = f"http://127.0.0.1:{port}"
    with openid_provider(tmp_path / "idp.log") as idp_url:
        with urllib.request.urlopen(f"{idp_url}/.well-known/openid-configuration", timeout=5) as resp:
            issuer = json.load(resp)["issuer"]
        secrets = tmp_path / "secrets.toml"
        secrets.write_text(
            "[auth]\n"
            f'redirect_uri = "{app_url}/oauth2callback"\n'
            'cookie_secret = "browser-test-cookie-secret-0123456789"\n'
            'client_id = "canvas-dashboard"\n'
            'client_secret = "browser-test-idp-secret"\n'
            f'server_metadata_url = "{idp_url}/.well-known/openid-configuration"\n')

        env = {**base_env, "CANVAS_DASHBOARD_MODE": "shared", "CANVAS_OAUTH_CLIENT_ID": DEFAULT_CLIENT[0],
               "CANVAS_OAUTH_CLIENT_SECRET": DEFAULT_CLIENT[1], "CANVAS_OAUTH_REDIRECT_URI": f"{app_url}/Settings"}
        shared = settings.model_copy(update={
            "dashboard_mode": "shared", "oauth_client_id": DEFAULT_CLIENT[0],
            "oauth_client_secret": SecretStr(DEFAULT_CLIENT[1]), "oauth_redirect_uri": f"{app_url}/Settings"})
        identity = Identity(issuer, SUBJECT)
        authorize = start_oauth(engine, shared, base_url=sim.base_url, identity=identity)
        back = requests.get(authorize, params={"unique_id": "1"}, allow_redirects=False, timeout=10)
        query = dict(parse_qsl(urlsplit(back.headers["location"]).query))
        user_id = finish_oauth(engine, shared, cipher, query=query, identity=identity).user_id
        sync_user_now(engine, shared, user_id, trigger="cli", owner="test", cipher=cipher)

        with streamlit_server(env, port=port, log_path=tmp_path / "streamlit.log",
                              extra_args=["--secrets.files", str(secrets)]) as url, browser() as b:
            page = b.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{url}/Grades")  # a deep link, anonymous
            sign_in = page.get_by_role("button", name="Sign in")
            expect(sign_in).to_be_visible(timeout=60_000)
            assert page.locator('[data-testid="stSidebar"]').count() == 0
            assert page.locator('[data-testid="stMetric"]').count() == 0
            sign_in.click()

            page.wait_for_url(f"{idp_url}/**", timeout=30_000)  # the provider's authorization form
            page.locator('input[name="sub"]').fill(SUBJECT)
            page.get_by_role("button", name="Authorize").click()

            sidebar = page.locator('[data-testid="stSidebar"]')
            expect(sidebar.get_by_role("button", name="Sign out")).to_be_visible(timeout=60_000)
            expect(sidebar.get_by_text("Up to date")).to_be_visible(timeout=30_000)
            metric = page.locator('[data-testid="stMetric"]').filter(has_text="Active courses")
            expect(metric.locator('[data-testid="stMetricValue"]')).to_have_text("6", timeout=30_000)
            page.screenshot(path=str(tmp_path / "signed-in.png"))

            sidebar.get_by_role("button", name="Sign out").click()
            # st.logout ends the session at the provider too (its end-session page), then comes back.
            page.get_by_role("button", name="End session").click(timeout=30_000)
            expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=60_000)
            expect(page.locator('[data-testid="stMetric"]')).to_have_count(0)
