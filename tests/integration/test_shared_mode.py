"""Shared mode (CANVAS_DASHBOARD_MODE=shared) through AppTest: sign-in gate, per-identity isolation,
Connect Canvas (OAuth2 against the simulated Canvas) and the hidden token form.

Identities are simulated with `at.user` (what st.login puts in st.user: is_logged_in, iss, sub).
Users A and B are connected to simulated students 1 and 2 through the real OAuth backend, and their
AppTests run interleaved in this one process, so they share every st.cache_data / st.cache_resource.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from canvas.accounts import Identity, finish_oauth, start_oauth
from canvas.simulator.oauth import DEFAULT_CLIENT
from tests.integration.conftest import APP, HEADING_KINDS, MESSAGE_KINDS, PAGES, ROOT, open_page
from tests.integration.conftest import texts as conftest_texts

REDIRECT = "http://localhost:8501/Settings"
ISSUER = "https://idp.example.edu"
ALICE = Identity(ISSUER, "alice-sub-0001")
BOB = Identity(ISSUER, "bob-sub-0002")
AUTH_SECRETS = {  # what .streamlit/secrets.toml's [auth] holds (never read here: st.login is not called)
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "test-cookie-secret-0123456789abcdef",
    "client_id": "canvas-dashboard",
    "client_secret": "test-idp-secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}


@pytest.fixture
def shared_env(monkeypatch, app_env):
    """The app in shared mode against the test database, with the simulator's default developer key."""
    from canvas.config import get_settings

    monkeypatch.setenv("CANVAS_DASHBOARD_MODE", "shared")
    monkeypatch.setenv("CANVAS_OAUTH_CLIENT_ID", DEFAULT_CLIENT[0])
    monkeypatch.setenv("CANVAS_OAUTH_CLIENT_SECRET", DEFAULT_CLIENT[1])
    monkeypatch.setenv("CANVAS_OAUTH_REDIRECT_URI", REDIRECT)
    get_settings.cache_clear()
    yield app_env
    get_settings.cache_clear()


@pytest.fixture
def ssettings(shared_env):
    from canvas.config import get_settings

    return get_settings()


def signed_in(identity: Identity | None, name: str = "") -> dict:
    if identity is None:
        return {"is_logged_in": False}
    return {"is_logged_in": True, "iss": identity.issuer, "sub": identity.subject, "name": name,
            "email": f"{identity.subject}@example.edu"}


def app(identity: Identity | None, name: str = "", *, auth: bool = True) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.user = signed_in(identity, name)
    if auth:
        at.secrets["auth"] = dict(AUTH_SECRETS)
    return at


def texts(at: AppTest) -> str:
    return conftest_texts(at, MESSAGE_KINDS + HEADING_KINDS)


def all_strings(at: AppTest) -> str:
    """Everything the page shows, tables included (to look for another student's course names)."""
    parts = [texts(at), *(str(m.value) for m in at.metric), *(str(b.label) for b in at.button)]
    for df in at.dataframe:
        parts.append(df.value.to_csv())
    for sb in at.selectbox:
        parts += [str(o) for o in sb.options]
    for ms in at.multiselect:
        parts += [str(o) for o in ms.options]
    return "\n".join(parts)


def authorize_redirect(auth_url: str, student: int) -> dict[str, str]:
    """What the student's browser does at Canvas: open the (auto-approving) page, get sent back."""
    r = requests.get(auth_url, params={"unique_id": str(student)}, allow_redirects=False, timeout=10)
    assert r.status_code == 302, r.text
    location = r.headers["location"]
    assert location.startswith(REDIRECT + "?")
    return dict(parse_qsl(urlsplit(location).query))


def connect(engine, settings, cipher, sim, identity: Identity, student: int) -> int:
    url = start_oauth(engine, settings, base_url=sim.base_url, identity=identity)
    query = authorize_redirect(url, student)
    return finish_oauth(engine, settings, cipher, query=query, identity=identity).user_id


def course_names(engine, user_id: int) -> set[str]:
    with engine.connect() as conn:
        # the current courses (the pages' default view; concluded ones are the archive)
        return set(conn.execute(text("SELECT name FROM canvas_courses_cache WHERE user_id = :u AND NOT concluded"),
                                {"u": user_id}).scalars())


@pytest.fixture
def two_students(shared_env, ssettings, sim, cipher):
    """A = student 1, B = student 2, both connected by OAuth and synced."""
    from canvas.sync.runner import sync_user_now

    a = connect(shared_env, ssettings, cipher, sim, ALICE, 1)
    b = connect(shared_env, ssettings, cipher, sim, BOB, 2)
    for uid in (a, b):
        sync_user_now(shared_env, ssettings, uid, trigger="cli", owner="test", cipher=cipher)
    names_a, names_b = course_names(shared_env, a), course_names(shared_env, b)
    assert names_a and names_b
    only_a = names_a - names_b
    assert only_a, "the simulated students need at least one course name the other one lacks"
    return {"a": a, "b": b, "names_a": names_a, "names_b": names_b, "only_a": only_a,
            "only_b": names_b - names_a}


# -- anonymous ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(PAGES))
def test_anonymous_sees_only_the_sign_in_page_on_every_page(two_students, name):
    at = open_page(app(None), PAGES[name])
    assert [t.value for t in at.title] == ["🎓 Canvas Dashboard"]
    assert [b.label for b in at.button] == ["Sign in"] and not at.button(key="sign_in").disabled
    assert not at.sidebar.markdown and not at.sidebar.button and not at.sidebar.caption
    assert not at.markdown and not at.caption and not at.text and not at.metric and not at.dataframe
    assert not at.error and not at.info and not at.warning and not at.success
    assert not at.get("plotly_chart") and not at.text_input and not at.selectbox


def test_deep_link_opened_first_still_shows_only_the_sign_in_page(two_students):
    """A page file as the very first script of the session (no app.py run before it)."""
    at = AppTest.from_file(str(ROOT / PAGES["grades"]), default_timeout=60)
    at.user = signed_in(None)
    at.secrets["auth"] = dict(AUTH_SECRETS)
    at.run()
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.dataframe and not at.metric and not at.get("plotly_chart") and not at.sidebar.markdown


def test_sign_in_page_without_auth_secrets_says_so(shared_env, monkeypatch):
    from canvas.dashboard import signin

    monkeypatch.setattr(signin, "auth_configured", lambda: False)  # as if no secrets.toml at all
    at = open_page(app(None, auth=False), None)
    assert at.button(key="sign_in").disabled
    assert "Sign-in is not configured" in at.error[0].value


# -- signed in: isolation ---------------------------------------------------------------------------
def test_a_and_b_interleaved_never_see_each_other(two_students):
    """Two sessions in one process (shared st caches): each sees only its own courses, page by page."""
    a_session = app(ALICE, "Alice")
    b_session = app(BOB, "Bob")
    open_page(a_session, None)
    open_page(b_session, None)
    for page in [None, *[p for p in PAGES.values() if p]]:
        for at, own, other in ((a_session, "a", "b"), (b_session, "b", "a")):
            if page:
                at.switch_page(page)
            at.run()
            assert not at.exception, [e.value for e in at.exception]
            shown = all_strings(at)
            for course in two_students[f"only_{other}"]:
                assert course not in shown, f"{own.upper()} sees {other.upper()}'s course {course!r} on {page}"
            if page in (None, PAGES["assignments"], PAGES["grades"]):
                assert any(course in shown for course in two_students[f"names_{own}"]), (own, page)
            assert "Sign out" in [b.label for b in at.sidebar.button]
    metrics = {m.label: m.value for m in open_page(app(ALICE), None).metric}
    assert metrics["Active courses"] == str(len(two_students["names_a"]))


def test_bobs_grades_page_lists_only_bobs_courses(two_students):
    app(ALICE).run()  # warm the caches with A's data first
    at = open_page(app(BOB), PAGES["grades"])
    assert set(at.selectbox(key="grades_course").options) <= two_students["names_b"]
    at = open_page(app(BOB), PAGES["assignments"])
    assert set(at.dataframe[0].value["course_name"]) <= two_students["names_b"]


def test_signed_in_without_a_connection_sees_no_one_elses_data(two_students):
    carol = Identity(ISSUER, "carol-sub-0003")
    at = open_page(app(carol, "Carol"), None)
    assert "Connect your Canvas account in Settings" in texts(at)
    assert not at.metric and not at.dataframe
    assert "No Canvas account connected yet" in "\n".join(c.value for c in at.sidebar.caption)
    other_issuer = Identity("https://evil.example.com", ALICE.subject)  # same sub, another issuer
    at = open_page(app(other_issuer), PAGES["assignments"])
    assert not at.dataframe and "Connect your Canvas account" in texts(at)


def test_shared_mode_has_no_user_picker_and_no_demo(two_students):
    at = open_page(app(ALICE), PAGES["settings"])
    assert not at.sidebar.selectbox
    labels = [b.label for b in at.button]
    assert "Try the demo" not in labels
    assert "Sign out" in [b.label for b in at.sidebar.button]


def test_sync_page_hides_other_users_ids(two_students, shared_env):
    from canvas.db import jobs

    with shared_env.begin() as conn:
        jobs.beat(conn, worker_id="w-1", host="h", pid=1, current_user=two_students["a"], synced=1)
    at = open_page(app(BOB), PAGES["sync"])
    workers = next(df.value for df in at.dataframe if "worker_id" in df.value.columns)
    assert "current_user_id" not in workers.columns


# -- tokens: OAuth only unless the operator allows pasting -------------------------------------------
def test_shared_mode_hides_the_token_form(two_students):
    at = open_page(app(ALICE), PAGES["settings"])
    keys = {t.key for t in at.text_input}
    assert "connect_token" not in keys and "connect_url" not in keys
    assert "oauth_url" in keys
    assert "Check and save" not in [b.label for b in at.button]
    assert "Connect Canvas" in [b.label for b in at.button]


def test_pasted_token_is_refused_server_side(shared_env, ssettings, sim, cipher):
    """Hiding the form is not the control: the connect path itself refuses (and contacts no one)."""
    from canvas.accounts import PastedTokensRefused
    from canvas.dashboard.accounts_ui import connect_pasted_for_identity
    from canvas.simulator import token_for

    before = len(sim.stats()["log"])
    with pytest.raises(PastedTokensRefused):
        connect_pasted_for_identity(shared_env, ssettings, cipher, base_url=sim.base_url, token=token_for(1),
                                    identity=ALICE)
    assert len(sim.stats()["log"]) == before
    with shared_env.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM users")).scalar_one() == 0


def test_pasted_tokens_allowed_by_the_operator_bind_the_identity(shared_env, sim, monkeypatch):
    from canvas.config import get_settings
    from canvas.simulator import token_for

    monkeypatch.setenv("CANVAS_ALLOW_PASTED_TOKENS", "true")
    get_settings.cache_clear()
    at = open_page(app(BOB), PAGES["settings"])
    assert "Try the demo" not in [b.label for b in at.button], "the demo stays personal-mode only"
    at.text_input(key="connect_url").input(sim.base_url)
    at.text_input(key="connect_token").input(token_for(2))
    next(b for b in at.button if b.label == "Check and save").click().run()
    assert not at.exception
    assert "Connected as" in at.success[0].value
    with shared_env.connect() as conn:
        row = conn.execute(text("SELECT identity_issuer, identity_subject, auth_kind FROM users")).one()
    assert tuple(row) == (BOB.issuer, BOB.subject, "pat")
    # Another identity pasting a token for the same Canvas account does not take it over.
    at = open_page(app(ALICE), PAGES["settings"])
    at.text_input(key="connect_url").input(sim.base_url)
    at.text_input(key="connect_token").input(token_for(2))
    next(b for b in at.button if b.label == "Check and save").click().run()
    assert "already connected to another sign-in" in at.error[0].value
    with shared_env.connect() as conn:
        assert conn.execute(text("SELECT identity_subject FROM users")).scalar_one() == BOB.subject


# -- Connect Canvas: the OAuth callback on the Settings page -----------------------------------------
def settings_with_query(identity: Identity, query: dict[str, str]) -> AppTest:
    at = app(identity, "Alice")
    at.run()
    at.switch_page(PAGES["settings"])
    at.query_params.update(query)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_connect_canvas_button_gives_the_authorize_link(shared_env, sim):
    at = open_page(app(ALICE), PAGES["settings"])
    at.text_input(key="oauth_url").input(sim.base_url)
    next(b for b in at.button if b.label == "Connect Canvas").click().run()
    assert not at.exception
    links = at.get("link_button")
    assert len(links) == 1
    url = links[0].proto.url
    assert url.startswith(sim.base_url + "/login/oauth2/auth?")
    params = dict(parse_qsl(urlsplit(url).query))
    assert params["client_id"] == DEFAULT_CLIENT[0] and params["redirect_uri"] == REDIRECT and params["state"]
    # The link works end to end: Canvas sends the browser back with a code for this state.
    back = authorize_redirect(url, 1)
    assert back["state"] == params["state"] and back["code"]


def test_oauth_callback_connects_a_once_and_a_replay_is_a_one_line_error(shared_env, ssettings, sim):
    from canvas.dashboard import syncing

    auth_url = start_oauth(shared_env, ssettings, base_url=sim.base_url, identity=ALICE)
    query = authorize_redirect(auth_url, 1)
    at = settings_with_query(ALICE, query)
    assert "Connected as" in at.success[0].value, texts(at)
    assert not at.query_params.get("code") and not at.query_params.get("state"), "the query is cleared"
    assert "Student: Zoë Ångström" in [t.value for t in at.text]
    with shared_env.connect() as conn:
        row = conn.execute(text("SELECT identity_issuer, identity_subject, auth_kind FROM users")).one()
    assert tuple(row) == (ALICE.issuer, ALICE.subject, "oauth")
    syncing.wait_all(60)
    overview = open_page(app(ALICE), None)
    assert int({m.label: m.value for m in overview.metric}["Active courses"]) >= 1

    replay = settings_with_query(ALICE, query)  # the same code + state again (a reload, an attacker)
    assert not replay.success
    assert len(replay.error) == 1 and "\n" not in replay.error[0].value
    assert "already used" in replay.error[0].value
    with shared_env.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM users")).scalar_one() == 1


def test_oauth_callback_for_another_identity_is_refused(shared_env, ssettings, sim):
    auth_url = start_oauth(shared_env, ssettings, base_url=sim.base_url, identity=ALICE)
    query = authorize_redirect(auth_url, 1)
    at = settings_with_query(BOB, query)  # Bob's session lands on Alice's callback URL
    assert not at.success and "already used" in at.error[0].value
    with shared_env.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM users")).scalar_one() == 0


def test_oauth_denied_is_a_one_line_error(shared_env, ssettings, sim):
    sim.set_faults(oauth={"deny": True})
    auth_url = start_oauth(shared_env, ssettings, base_url=sim.base_url, identity=ALICE)
    query = authorize_redirect(auth_url, 1)
    assert query.get("error") == "access_denied"
    at = settings_with_query(ALICE, query)
    assert len(at.error) == 1 and "not granted" in at.error[0].value


def test_disconnect_revokes_and_keeps_the_identity_row(two_students, shared_env):
    at = open_page(app(ALICE), PAGES["settings"])
    at.button(key="disconnect").click().run()
    at.button(key="confirm_yes").click().run()  # Disconnect asks first
    assert not at.exception
    assert "Disconnected" in at.info[0].value
    with shared_env.connect() as conn:
        rows = dict(conn.execute(text("SELECT id, token_ciphertext IS NULL FROM users")).all())
    assert rows[two_students["a"]] is True and rows[two_students["b"]] is False


def test_delete_my_data_removes_only_the_signed_in_students_account(two_students, shared_env):
    at = open_page(app(ALICE), PAGES["settings"])
    at.button(key="delete_data").click().run()
    at.button(key="confirm_yes").click().run()
    assert not at.exception
    assert "Deleted" in at.success[0].value
    with shared_env.connect() as conn:
        ids = set(conn.execute(text("SELECT id FROM users")).scalars())
    assert ids == {two_students["b"]}
