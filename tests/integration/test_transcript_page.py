"""AppTest of the Transcript page (demo data over the simulated Canvas, real PostgreSQL): GPA metrics,
the term picker with archived courses, editing credits and "In GPA" through the prefs table, bad input
refused with one sentence and nothing saved, and the GPA scale settings."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.integration.conftest import APP, PAGES

TRANSCRIPT = PAGES["transcript"]


def open_transcript(**state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    at.switch_page(TRANSCRIPT).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def table(at: AppTest):
    return at.data_editor[0].value


def prefs(engine, user_id: int) -> dict[int, dict]:
    from canvas.db import prefs as prefs_db
    from canvas.grades_report import _prefs_map

    with engine.connect() as conn:
        return _prefs_map(prefs_db.get_course_prefs(conn, user_id))


def edit(at: AppTest, rows: dict[int, dict]) -> AppTest:
    """Seed the course table's edits as the browser sends them (AppTest cannot type into cells)."""
    generation = at.session_state["transcript_generation"] if "transcript_generation" in at.session_state else 0
    key = f"transcript_editor_{at.selectbox(key='transcript_term').value}_{generation}"
    at.session_state[key] = {"edited_rows": rows, "added_rows": [], "deleted_rows": []}
    at.run()
    return at


def test_transcript_shows_current_term_gpa_and_archived_terms(synced):
    at = open_transcript()
    m = metrics(at)
    assert m["Cumulative GPA"] not in ("", "—") and float(m["Cumulative GPA"]) <= 4.0
    assert "This term, if current letters hold" in m
    current = table(at)
    assert set(current["status"]) == {"current letter"}
    terms = at.selectbox(key="transcript_term").options
    assert terms[-1] == "All terms" and len(terms) >= 3, "past terms hold the archived courses"
    at.selectbox(key="transcript_term").set_value(terms[1]).run()
    past = table(at)
    assert set(past["status"]) == {"archived"} and past["letter"].ne("—").all()
    assert "Completed terms" in metrics(at) and metrics(at)["Completed terms"] != "—"
    # the hidden-totals course is listed but not counted, with the reason
    at.selectbox(key="transcript_term").set_value("All terms").run()
    notes = dict(zip(table(at)["name"], table(at)["note"], strict=True))
    assert notes["Français intermédiaire II"] == "Canvas hides this course's total"


def test_saving_credits_and_leaving_out_changes_the_gpa(synced, app_env):
    from canvas.grades_report import load, report

    at = open_transcript()
    before = metrics(at)["Cumulative GPA"]
    with app_env.connect() as conn:
        report_before = report(*load(conn, synced))["gpa"]["cumulative"]
    rows = table(at)
    first, second = rows.index[0], rows.index[1]
    cid_first, cid_second = int(rows.loc[first, "course_id"]), int(rows.loc[second, "course_id"])
    edit(at, {int(first): {"credits": "4"}, int(second): {"in_gpa": False}})
    at.button(key="transcript_save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    saved = prefs(app_env, synced)
    assert float(saved[cid_first]["credits"]) == 4 and saved[cid_second]["in_gpa"] is False
    assert "Saved 2 courses." in [s.value for s in at.success]
    notes = dict(zip(table(at)["course_id"], table(at)["note"], strict=True))
    assert notes[cid_second] == "left out of the GPA by you"
    with app_env.connect() as conn:
        want = report(*load(conn, synced))["gpa"]["cumulative"]
    assert metrics(at)["Cumulative GPA"] == f"{want:.2f}"
    assert before == f"{report_before:.2f}"


def test_bad_credits_are_refused_and_nothing_is_saved(synced, app_env):
    at = open_transcript()
    rows = table(at)
    first, second = rows.index[0], rows.index[1]
    edit(at, {int(first): {"credits": "3"}, int(second): {"credits": "-2"}})
    at.button(key="transcript_save").click().run()
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "cannot be negative" in errors[0] and errors[0].endswith("Nothing was saved.")
    assert prefs(app_env, synced) == {} or all(float(p["credits"]) == 1 for p in prefs(app_env, synced).values())
    edit(at, {int(first): {"credits": "three"}})
    at.button(key="transcript_save").click().run()
    assert "must be a number" in at.error[0].value


def test_custom_scale_without_f_is_refused_then_a_good_one_is_used(synced, app_env):
    from canvas.db import prefs as prefs_db

    at = open_transcript()
    at.radio(key="transcript_scale").set_value("custom").run()
    at.session_state["transcript_custom"] = {"edited_rows": {}, "added_rows": [],
                                             "deleted_rows": list(range(12, 13))}  # drop the F row
    at.run()
    assert not at.exception, [e.stack_trace for e in at.exception]
    at.button(key="transcript_save_scale").click().run()
    assert "needs an F row" in at.error[0].value
    with app_env.connect() as conn:
        assert (prefs_db.get_gpa_settings(conn, synced) or {}).get("scale", "us4") == "us4"

    at.session_state["transcript_custom"] = {"edited_rows": {0: {"points": "5"}}, "added_rows": [],
                                             "deleted_rows": []}
    at.run()
    at.button(key="transcript_save_scale").click().run()
    assert not at.exception and not at.error
    with app_env.connect() as conn:
        saved = prefs_db.get_gpa_settings(conn, synced)
    assert saved["scale"] == "custom" and float(saved["custom_table"]["A+"]) == 5
    assert "Custom table" in "\n".join(str(c.value) for c in at.caption)


def test_percentage_scale(synced, app_env):
    at = open_transcript()
    at.radio(key="transcript_scale").set_value("percent").run()
    at.button(key="transcript_save_scale").click().run()
    assert metrics(at)["Cumulative GPA"].endswith("%")
