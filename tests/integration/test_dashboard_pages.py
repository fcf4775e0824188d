"""AppTest of every dashboard page against the real test database and the simulated Canvas.

States covered: empty database, demo data synced, an invalid token, the database unreachable,
the "Sync now" button (worker alive → request only; no worker → the in-app thread), the demo path.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from tests.integration.conftest import APP, PAGES, open_page, texts


def run_page(page: str | None = None, **state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in state.items():
        at.session_state[key] = value
    return open_page(at, page)


def sidebar_text(at: AppTest) -> str:
    return "\n".join(str(m.value) for m in [*at.sidebar.markdown, *at.sidebar.caption, *at.sidebar.error])


def table_with(at: AppTest, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def plotly_specs(at: AppTest) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


# -- empty database ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_renders_on_an_empty_database(app_env, name):
    at = run_page(PAGES[name])
    body = texts(at)
    if name == "settings":
        assert at.button(key="try_demo")
        assert "No account connected" in body
    else:
        assert "Connect your Canvas account in Settings" in body
    assert "No Canvas account connected yet" in sidebar_text(at)


# -- demo data ---------------------------------------------------------------------------------
def test_overview_shows_metrics_next_due_and_chart(synced):
    at = run_page()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Active courses"] == "6"
    assert int(metrics["Missing"]) >= 1
    assert metrics["Current average"].endswith("%")
    assert int(metrics["Due in 7 days"]) >= 1
    next_up = at.dataframe[0].value
    assert list(next_up.columns)[:3] == ["name", "when", "due_local"]  # what and when first (a phone)
    assert (next_up["due_local"].dt.tz is not None) and str(next_up["due_local"].dt.tz) == "America/Denver"
    assert plotly_specs(at)[0]["data"], "the due timeline has bars"
    assert "Up to date" in sidebar_text(at)
    assert "9 courses" in sidebar_text(at)  # what is cached: 6 current and 3 archived (concluded) courses


def test_hostile_canvas_names_stay_inert(synced):
    from canvas.simulator.demo import HOSTILE_NAME

    at = run_page(PAGES["assignments"])
    table = at.dataframe[0].value
    assert HOSTILE_NAME in set(table["name"]), "shown verbatim as data, not markup"
    for el in [*at.markdown, *at.caption]:
        assert "<script>" not in str(el.value)
    assert all(link is None or link.startswith("http") for link in table["link"])


@pytest.mark.parametrize(("query", "card"), [({"status": "missing"}, "Missing"),
                                             ({"due": "7d"}, "Due in 7 days")])
def test_overview_cards_link_to_the_filtered_assignments_list(synced, query, card):
    at = run_page()
    counted = int({m.label: m.value for m in at.metric}[card])
    from urllib.parse import urlencode

    links = [el.proto for el in at.get("page_link")]
    assert any(p.query_string == urlencode(query) and p.label.startswith("See what is") for p in links), links
    listing = AppTest.from_file(APP, default_timeout=60)
    for key, value in query.items():
        listing.query_params[key] = value
    listing.run()
    listing.switch_page(PAGES["assignments"]).run()
    assert not listing.exception
    assert len(listing.dataframe[0].value) == counted  # the list shows exactly what the card counted


def test_assignments_filters_and_downloads(synced):
    at = run_page(PAGES["assignments"])
    everything = len(at.dataframe[0].value)
    assert everything > 300
    at.multiselect(key="filter_status").set_value(["missing"]).run()
    missing = at.dataframe[0].value
    assert 0 < len(missing) < everything
    assert missing["status_label"].str.contains("Missing").all()
    course = missing["course_name"].iloc[0]
    at.multiselect(key="filter_courses").set_value([course]).run()
    assert set(at.dataframe[0].value["course_name"]) == {course}
    labels = [b.label for b in at.get("download_button")]
    assert labels[0] == "Download CSV" and labels[1].startswith("Calendar (.ics)")


def test_grades_page_charts(synced):
    at = run_page(PAGES["grades"])
    specs = plotly_specs(at)
    titles = [s["layout"]["title"]["text"] for s in specs]
    assert titles == ["Current and final score by course", "Current score over time", "You vs class (points)",
                      "By assignment group", "What each group adds to the grade", "Grades over time",
                      "Assignment scores by course"]
    assert [t["name"] for t in specs[2]["data"]] == ["Class", "You"]
    bars = specs[0]["data"]
    assert {t["name"] for t in bars} == {"Current", "Final"}
    assert len(specs[1]["data"]) >= 1, "one history line per course with a score"
    groups = next(df.value for df in at.dataframe if "percent" in df.value.columns)
    assert len(groups) >= 1 and groups["percent"].notna().any()
    at.selectbox(key="grades_course").select_index(1).run()
    assert not at.exception


def test_grades_older_than_6h_request_the_recent_refresh_once(synced, app_env):
    with app_env.begin() as conn:
        conn.execute(text("UPDATE sync_runs SET finished_at = finished_at - interval '7 hours', "
                          "started_at = started_at - interval '7 hours'"))
        conn.execute(text("INSERT INTO worker_heartbeats (worker_id, host, pid) VALUES ('w1', 'h', 1)"))
    at = run_page(PAGES["grades"])
    with app_env.connect() as conn:
        job = conn.execute(text("SELECT requested_kind, requested_at FROM sync_jobs")).one()
    assert job.requested_kind == "recent" and job.requested_at is not None
    assert at.toast[0].value.startswith("Grades are over 6 h old")
    at.run()  # same session: not asked again
    assert not at.toast


def test_sync_activity_page(synced):
    at = run_page(PAGES["sync"])
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Last successful sync"] == "just now"
    assert metrics["Next automatic sync"].startswith(("today at", "in a moment")) or " at " in metrics[
        "Next automatic sync"]
    simple = table_with(at, "result")
    assert list(simple.columns) == ["when", "what", "result", "took"]
    assert list(simple["result"]) == ["Synced"] and list(simple["what"]) == ["Everything"]
    # the operator's detail is still there, in the expander
    assert metrics["Workers alive"] == "0"
    assert metrics["Success rate"] == "100%"
    runs = table_with(at, "requests")
    assert list(runs["outcome"]) == ["success"] and runs["requests"].iloc[0] > 0
    assert "No sync worker is running" in texts(at)
    assert plotly_specs(at)[0]["layout"]["title"]["text"] == "Sync durations"


def test_sync_activity_explains_a_failed_run_and_counts_its_requests(synced, app_env, sim, settings, cipher):
    from canvas.sync.runner import sync_user_now

    sim.set_faults(fail=[{"path": "/api/v1/courses", "status": "reset"}])  # no reply at all
    with pytest.raises(Exception):  # noqa: B017 - the dropped connections, after the retries
        sync_user_now(app_env, settings, synced, trigger="cli", owner="test", cipher=cipher)
    at = run_page(PAGES["sync"])
    simple = table_with(at, "result")
    assert simple["result"].iloc[0].startswith("Canvas did not answer")
    runs = table_with(at, "requests")
    # profile + 3 attempts at /courses: every request counted, not "0"
    assert runs["requests"].iloc[0] == 1 + settings.sync_max_retries and runs["retries"].iloc[0] == 2
    shown = texts(at)
    assert "TransportError" not in shown.replace(runs["error"].iloc[0], "")  # class names only in the operator table


def test_settings_shows_token_hint_never_the_token(synced):
    from canvas.simulator import token_for

    at = run_page(PAGES["settings"])
    shown = "\n".join(t.value for t in at.text)
    assert "Zoë Ångström" in shown
    assert token_for(1) not in shown and token_for(1)[-4:] in shown


# -- error states ------------------------------------------------------------------------------
def test_invalid_token_shows_reconnect_and_keeps_cached_data(synced, app_env):
    from canvas.db import jobs

    with app_env.begin() as conn:
        jobs.mark_token_invalid(conn, synced, "Invalid access token.")
    at = run_page()
    assert "reconnect in settings" in sidebar_text(at).lower()
    assert any("from the last successful sync" in w.value and "no longer accepts your access token" in w.value
               for w in at.warning)
    assert {m.label: m.value for m in at.metric}["Active courses"] == "6"
    assert at.sidebar.button(key="sync_now").disabled


def test_sync_request_is_refused_for_an_invalid_token(synced, app_env, settings, cipher):
    from canvas.dashboard import syncing
    from canvas.db import jobs

    with app_env.begin() as conn:
        jobs.mark_token_invalid(conn, synced, "Invalid access token.")
    result = syncing.request_sync(app_env, settings, synced, cipher=cipher)
    assert result.outcome == "refused" and "reconnect in Settings" in result.message


def test_database_unreachable_is_a_message_not_a_traceback(app_env, monkeypatch):
    from canvas.config import get_settings

    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:9/nowhere")
    get_settings.cache_clear()
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    assert "The database is unreachable" in at.error[0].value


def test_unreachable_canvas_keeps_the_cache_and_says_how_old(synced, app_env, sim, settings, cipher):
    from canvas.sync.runner import sync_user_now

    sim.stop()
    with pytest.raises(Exception):  # noqa: B017 - any transport failure
        sync_user_now(app_env, settings, synced, trigger="cli", owner="test", cipher=cipher)
    at = run_page()
    assert {m.label: m.value for m in at.metric}["Active courses"] == "6"
    warning = next(w.value for w in at.warning if "Showing your data from the last successful sync" in w.value)
    assert warning.startswith("Canvas did not answer") and "press Sync now to try again" in warning  # no worker
    with app_env.begin() as conn:  # with a worker alive, the automatic retry's time is given
        conn.execute(text("INSERT INTO worker_heartbeats (worker_id, host, pid) VALUES ('w1', 'h', 1)"))
        conn.execute(text("UPDATE sync_jobs SET due_at = now() + interval '2 minutes'"))
    at = run_page()
    warning = next(w.value for w in at.warning if "Showing your data from the last successful sync" in w.value)
    assert "the dashboard tries again at" in warning and ("AM" in warning or "PM" in warning)
    assert "Error" not in warning  # a plain sentence, never an exception class name
    assert "Canvas did not answer" in sidebar_text(at)


# -- the sync button ---------------------------------------------------------------------------
def test_sync_now_without_a_worker_syncs_in_the_app_and_the_page_refreshes(app_env, sim, add_user):
    from canvas.dashboard import syncing

    add_user(sim, 1)
    at = run_page()
    assert "Nothing cached yet" in texts(at)
    assert "Never synced" in sidebar_text(at)
    at.sidebar.button(key="sync_now").click().run()
    assert at.toast[0].value.startswith("Syncing now")
    syncing.wait_all(60)
    at.run()
    assert {m.label: m.value for m in at.metric}["Active courses"] == "6"
    assert "Up to date" in sidebar_text(at)
    with app_env.connect() as conn:
        assert conn.execute(text("SELECT trigger, outcome FROM sync_runs")).one() == ("app", "success")


def test_sync_now_with_a_live_worker_only_records_the_request(app_env, sim, add_user):
    user_id = add_user(sim, 1)
    with app_env.begin() as conn:
        conn.execute(text("INSERT INTO worker_heartbeats (worker_id, host, pid) VALUES ('w1', 'h', 1)"))
    at = run_page()
    at.sidebar.button(key="sync_now").click().run()
    assert at.toast[0].value.startswith("Sync requested")
    assert "Sync requested" in sidebar_text(at)
    with app_env.connect() as conn:
        row = conn.execute(text("SELECT requested_kind, state FROM sync_jobs WHERE user_id = :u"),
                           {"u": user_id}).one()
        assert row == ("full", "idle")
        assert conn.execute(text("SELECT count(*) FROM sync_runs")).scalar_one() == 0


def test_running_sync_shows_progress(synced, app_env):
    with app_env.begin() as conn:
        conn.execute(text("UPDATE sync_jobs SET state = 'running', lease_until = now() + interval '1 minute'"))
        conn.execute(text("INSERT INTO sync_runs (user_id, trigger, kind, progress_done, progress_total) "
                          "VALUES (:u, 'schedule', 'full', 2, 6)"), {"u": synced})
    at = run_page()
    assert "Syncing" in sidebar_text(at)
    bar = at.sidebar.get("progress")[0]
    # what arrived, not elapsed time: 2 of 6 courses
    assert bar.proto.value == 33 and bar.proto.text.startswith("2 of 6 courses")
    at.sidebar.button(key="cancel_sync").click().run()
    with app_env.connect() as conn:
        assert conn.execute(text("SELECT cancel_requested_at IS NOT NULL FROM sync_runs "
                                 "WHERE outcome = 'running'")).scalar_one()


def test_data_version_change_reruns_the_page(synced, app_env):
    at = run_page()
    with app_env.begin() as conn:
        conn.execute(text("DELETE FROM canvas_courses_cache WHERE canvas_id = "
                          "(SELECT min(canvas_id) FROM canvas_courses_cache)"))
        conn.execute(text("UPDATE users SET data_version = data_version + 1"))
    at.run()
    assert {m.label: m.value for m in at.metric}["Active courses"] == "5"


# -- settings actions --------------------------------------------------------------------------
def test_try_the_demo_connects_and_syncs(app_env):
    from canvas.dashboard import syncing

    at = run_page(PAGES["settings"])
    at.button(key="try_demo").click().run()
    assert not at.exception
    assert "Demo connected as Zoë Ångström" in at.success[0].value
    syncing.wait_all(60)
    at.switch_page("app.py").run()
    assert {m.label: m.value for m in at.metric}["Active courses"] == "6"
    with app_env.connect() as conn:
        assert conn.execute(text("SELECT trigger, outcome FROM sync_runs")).one() == ("demo", "success")
        # a few weeks of score history, so "Current score over time" has a shape on first look
        span = conn.execute(text("SELECT count(DISTINCT course_id), max(taken_at) - min(taken_at) "
                                 "FROM course_score_snapshots")).one()
    assert span[0] >= 5 and span[1] >= timedelta(days=27)
    at.switch_page(PAGES["grades"]).run()
    history = next(s for s in plotly_specs(at) if s["layout"]["title"]["text"] == "Current score over time")
    assert all(len(trace["x"]) >= 5 for trace in history["data"])


def test_connect_checks_the_token_live_and_refuses_a_bad_one(app_env, sim):
    from canvas.simulator import token_for

    at = run_page(PAGES["settings"])
    at.text_input(key="connect_url").input(sim.base_url)
    at.text_input(key="connect_token").input("not-a-real-token")
    next(b for b in at.button if b.label == "Check and save").click().run()
    assert "Canvas rejected this access token" in at.error[0].value
    with app_env.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM users")).scalar_one() == 0
    at.text_input(key="connect_url").input(sim.base_url)
    at.text_input(key="connect_token").input(token_for(2))
    next(b for b in at.button if b.label == "Check and save").click().run()
    assert "Connected as" in at.success[0].value
    with app_env.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM users")).scalar_one() == 1


def test_disconnect_forgets_the_token(synced, app_env):
    at = run_page(PAGES["settings"])
    at.button(key="disconnect").click().run()
    with app_env.connect() as conn:  # the first click only asks
        assert conn.execute(text("SELECT token_ciphertext FROM users")).scalar_one() is not None
    assert "Disconnect this Canvas account?" in texts(at)
    at.button(key="confirm_yes").click().run()
    assert "Disconnected" in at.info[0].value
    with app_env.connect() as conn:
        assert conn.execute(text("SELECT token_ciphertext FROM users")).scalar_one() is None
    assert not [b for b in at.button if b.key == "disconnect"], "nothing left to disconnect"
    # a deliberate disconnect is a neutral state, not a red sync error
    assert "Not connected" in sidebar_text(at) and "Sync error" not in sidebar_text(at)
    assert not at.sidebar.error
    at.switch_page("app.py").run()
    assert {m.label: m.value for m in at.metric}["Active courses"] == "6", "cached data stays viewable"
    assert not at.error and not at.warning


def test_delete_my_data_asks_then_removes_everything(synced, app_env):
    at = run_page(PAGES["settings"])
    at.button(key="delete_data").click().run()
    at.button(key="confirm_no").click().run()
    with app_env.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM canvas_courses_cache")).scalar_one() > 0  # kept
    at.button(key="delete_data").click().run()
    at.button(key="confirm_yes").click().run()
    assert "Deleted" in at.success[0].value
    with app_env.connect() as conn:
        for table in ("users", "canvas_courses_cache", "canvas_assignments_cache", "sync_runs", "sync_jobs"):
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0, table
    assert "No Canvas account connected yet" in sidebar_text(at)


def test_connect_form_names_each_failure_and_keeps_what_was_typed(app_env, sim):
    at = run_page(PAGES["settings"])
    cases = [
        ("not a url", "does not look like a web address"),
        ("https://no-such-school.invalid", "No site answers to that address"),
        ("http://localhost:1", "cannot be used: Canvas URL must use https://, not plain http"),
        ("http://127.0.0.1:1", "could not be reached"),  # allowed host (tests), nothing listening
        (sim.base_url, "Canvas rejected this access token"),
    ]
    for url, sentence in cases:
        at.text_input(key="connect_url").input(url)
        at.text_input(key="connect_token").input("typed-token-1234")
        next(b for b in at.button if b.label == "Check and save").click().run()
        shown = at.error[0].value.replace("\\", "")  # markdown escapes
        assert sentence in shown and shown.endswith("Nothing was saved."), (url, shown)
        assert "Error" not in shown and "CANVAS_" not in shown, shown
        assert at.text_input(key="connect_url").value == url  # what was typed stays
        assert at.text_input(key="connect_token").value == "typed-token-1234"


def test_new_grades_since_the_last_visit(synced, app_env, settings):
    from canvas.dashboard import visits

    path = visits.visits_path(settings.data_dir)
    long_ago = datetime.now(UTC) - timedelta(days=3650)
    visits.start_visit(path, synced, long_ago, timedelta(days=1))  # the previous visit, ten years ago
    at = run_page()
    new = next(df.value for df in at.dataframe if "result" in df.value.columns)
    assert len(new) >= 5
    assert list(new.columns) == ["name", "course_name", "result", "percent"]
    # A reload soon after continues the same visit: the list does not empty itself.
    again = run_page()
    assert len(next(df.value for df in again.dataframe if "result" in df.value.columns)) == len(new)


def test_sync_page_lists_a_live_worker(synced, app_env):
    from canvas.db import jobs

    with app_env.begin() as conn:
        jobs.beat(conn, worker_id="host-a:123:abc", host="host-a", pid=123, current_user=None, synced=4)
    at = run_page(PAGES["sync"])
    assert not at.exception
    assert [m.value for m in at.metric if m.label == "Workers alive"] == ["1"]
    table = next(df.value for df in at.dataframe if "worker_id" in df.value.columns)
    assert table["worker_id"].tolist() == ["host-a:123:abc"] and bool(table["alive"].iloc[0])


def test_hostile_html_invisible_characters_and_huge_descriptions_stay_inert(app_env, sim, add_user, settings,
                                                                           cipher):
    """T18: onerror= markup, zero-width and right-to-left characters, a 5 MB description."""
    from sqlalchemy import text as sql

    from canvas.sync.runner import sync_user_now

    nasty = '<img src=x onerror="alert(1)"> Lab\u200b 9 \u202egnp.exe'
    target = next(a for gs in sim.dataset(1)["assignment_groups"].values() for g in gs for a in g["assignments"])
    sim.mutate(1, "update_assignment", assignment_id=target["id"], name=nasty,
               description="<p>" + "x" * 5_000_000 + '</p><a href="javascript:alert(1)">click</a>')
    user_id = add_user(sim, 1)
    sync_user_now(app_env, settings, user_id, trigger="cli", owner="test", cipher=cipher)
    with app_env.connect() as conn:  # descriptions are never requested, so 5 MB never reaches the cache
        biggest = conn.execute(sql("SELECT max(length(raw::text)) FROM canvas_assignments_cache")).scalar_one()
    assert biggest < 100_000
    at = run_page(PAGES["assignments"])
    assert not at.exception
    table = at.dataframe[0].value
    assert nasty in set(table["name"]), "shown verbatim, as data"
    for el in [*at.markdown, *at.caption, *at.sidebar.markdown]:
        assert "onerror" not in str(el.value) and "javascript:" not in str(el.value)
    assert all(link is None or link.startswith("http") for link in table["link"])


def test_grades_term_picker_and_class_statistics(synced):
    archive = {"Linear Algebra I", "Academic Writing", "Introduction to Psychology"}  # the demo's concluded courses
    at = run_page(PAGES["grades"])
    picker = at.selectbox(key="grades_term")
    assert picker.value == "Current term" and "All terms" in picker.options
    current = set(at.selectbox(key="grades_course").options)
    assert len(current) == 6 and not current & archive, "archived courses stay under their past terms"
    # a course whose Canvas shows no statistics: no "you vs class" at all
    at.selectbox(key="grades_course").set_value(10_002).run()
    assert "You vs class" not in [h.value for h in at.subheader]
    from canvas.simulator.demo import LAST_TERM

    assert LAST_TERM.name in picker.options
    at.selectbox(key="grades_term").set_value(LAST_TERM.name).run()
    assert not at.exception, [e.value for e in at.exception]
    archived = set(at.selectbox(key="grades_course").options)
    assert archived and archived <= archive
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Canvas final"].endswith("%"), "an archived course keeps its final grade"


def test_letter_only_course_shows_letters_on_the_assignments_page(synced):
    at = run_page(PAGES["assignments"])
    table = at.dataframe[0].value  # the CSV and .ics are built from these same rows
    history = table[table["course_name"] == "World History: Ancient Civilizations"]
    others = table[table["course_name"] != "World History: Ancient Civilizations"]
    assert len(history) and history["percent"].isna().all()
    assert not history["result"].str.contains("/").any(), "no points shown"
    graded = history[history["result"] != "—"]
    assert len(graded) and graded["result"].str.fullmatch(r"[A-F][+-]?|excused|hidden").all()
    assert others["result"].str.contains(" / ").any(), "other courses keep their points"


def test_overview_average_says_what_it_leaves_out_and_letters_name_their_scale(synced):
    at = run_page()
    left_out = [str(c.value).replace("\\", "") for c in at.caption  # shown as Markdown, escaped
                if str(c.value).startswith("Left out of the average")]
    assert left_out and "Français intermédiaire II (hides its total)" in left_out[0]
    assert "World History: Ancient Civilizations (letters only)" in left_out[0]
    letters = next(df.value for df in at.dataframe if "scale" in df.value.columns)
    rows = {r["name"]: r for r in letters.to_dict("records")}
    assert rows["Introduction to Biology"]["scale"] == "Canvas default scale"  # Canvas sends no letter there
    assert rows["Calculus II — Section 3"]["scale"] == "Canvas"
    assert rows["Français intermédiaire II"]["letter"] == "hidden"
    history = rows["World History: Ancient Civilizations"]
    assert history["letter"] and history["score"] != history["score"], "letter-only: no number (NaN)"
