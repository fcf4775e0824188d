"""AppTest of the Grades page's recomputation, explanation, what-if and target solver (demo data)."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from tests.integration.conftest import APP

GRADES = "pages/2_Grades.py"

COURSES = {"calculus": 10001, "biology": 10002, "history": 10003, "dsa": 10004, "french": 10005,
           "ethics": 90_000_000_001}


def grades_page(course_id: int, **state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    at.switch_page(GRADES).run()
    at.selectbox(key="grades_course").set_value(course_id).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def captions(at: AppTest) -> str:
    return "\n".join(str(c.value) for c in at.caption)


def expected(engine, user_id: int, course_id: int):
    """The page's numbers, computed straight from the cache with the pure modules."""
    from canvas.dashboard import whatif_data
    from canvas.db import reads

    with engine.connect() as conn:
        return whatif_data.course_grades(reads.grade_inputs(conn, user_id=user_id, course_id=course_id))


@pytest.mark.parametrize("course", ["calculus", "biology", "dsa", "ethics"])
def test_recomputation_matches_canvas(synced, course):
    at = grades_page(COURSES[course])
    m = metrics(at)
    assert m["Canvas current"] == m["Recomputed current"] != "—"
    assert m["Canvas final"] == m["Recomputed final"] != "—"
    assert "matches Canvas to the hundredth" in captions(at)
    assert not at.info, "no explanation when the numbers agree"
    if course == "biology":  # no letter grades in Canvas: the default scale's letter, labelled as such
        assert "Canvas grade" not in m and m["Grade (Canvas default scale)"] == "B"
    else:
        assert m["Canvas grade"]


def test_letter_only_course_shows_letters_and_no_numbers(synced):
    at = grades_page(COURSES["history"])
    m = metrics(at)
    assert m["Canvas grade"] and m["Recomputed (current)"] and "Canvas current" not in m
    numbers = [v for v in m.values() if "%" in v] + [str(s.value) for s in at.success if "%" in str(s.value)]
    assert not numbers, numbers
    assert "This course shows letters only" in captions(at)
    assert not re.search(r"\b0 graded", captions(at)), "graded work counts in letter-only courses too"
    assert not re.search(r"\d%", captions(at) + "\n".join(str(m.value) for m in at.markdown)), "no percentages"
    assert "1 grade is not posted yet" in captions(at)  # the unposted essay: counted by neither, and said so
    assert at.radio(key="target_kind").options == ["Letter"]
    assert "You vs class" not in [h.value for h in at.subheader]


def test_hidden_totals_recomputation_only_on_request_and_unofficial(synced):
    at = grades_page(COURSES["french"])
    m = metrics(at)
    assert m["Canvas current"] == "—"
    assert not any("Recomputed" in label for label in m), "nothing recomputed until the student asks"
    assert "hides its total" in "\n".join(str(i.value) for i in at.info)
    assert not at.data_editor, "no what-if on an unofficial total the student has not asked for"
    at.toggle(key=f"unofficial_totals_{COURSES['french']}").set_value(True).run()
    assert not at.exception
    m = metrics(at)
    assert m["Unofficial Recomputed current"].endswith("%")
    assert "Unofficial" in captions(at)


def test_a_course_the_calculator_refuses_is_said_once_not_replaced_by_other_numbers(synced, app_env):
    from sqlalchemy import text

    with app_env.begin() as conn:  # a drifting API stored a score the calculator cannot read
        conn.execute(text("""
            UPDATE canvas_assignments_cache SET raw = jsonb_set(raw, '{submission,score}', '"eight"')
             WHERE user_id = :u AND course_id = :c AND raw->'submission' ? 'score'
        """), {"u": synced, "c": COURSES["calculus"]})
    at = grades_page(COURSES["calculus"])
    m = metrics(at)
    assert m["Canvas current"].endswith("%"), "Canvas's own numbers still show"
    assert m["Recomputed current"] == m["Recomputed final"] == "—"
    assert [w.value for w in at.warning] == [
        "We couldn't recompute this course from its synced assignments, so the group breakdown, what-if and "
        "target tools are unavailable for it; Canvas's own scores above are unaffected."]
    groups = next(df.value for df in at.dataframe if "dropped" in df.value.columns)
    assert groups.empty, "no group numbers from a second, simpler calculator"


def test_whatif_changes_projection_and_clear_restores(synced, app_env):
    from decimal import Decimal

    course = COURSES["calculus"]
    at = grades_page(course)
    before = metrics(at)
    assert before["Projected final"] == before["Recomputed final"] == "61.25%"
    assert at.button(key=f"whatif_clear_{course}").disabled, "nothing to clear yet"
    table = at.data_editor[0].value
    final_exam = int(table.index[table["name"] == "Final Exam"][0])

    # Seed the editor's edit state as the browser would send it (AppTest can't type into cells).
    key = f"whatif_editor_{course}_0"
    at.session_state[key] = {"edited_rows": {final_exam: {"whatif": 150}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    after = metrics(at)
    cg = expected(app_env, synced, course)
    from canvas.dashboard import whatif_data

    want = whatif_data.project(cg.inputs, {"1000019": Decimal(150)}, cg.scale)
    assert after["Projected final"] == f"{want.final:.2f}%" != before["Projected final"]
    assert after["Projected current"] == f"{want.current:.2f}%" != before["Projected current"]
    assert after["Letter (final)"] == want.final_letter
    assert after["Canvas current"] == before["Canvas current"], "Canvas's number is untouched"
    assert "1 what-if score entered." in captions(at)

    at.button(key=f"whatif_clear_{course}").click().run()
    assert not at.exception
    cleared = metrics(at)
    assert cleared["Projected final"] == "61.25%" and cleared["Projected current"] == before["Projected current"]
    assert key not in at.session_state and f"whatif_editor_{course}_1" in at.session_state
    assert at.button(key=f"whatif_clear_{course}").disabled


def test_target_solver_for_a_letter_and_a_percent(synced, app_env):
    from decimal import Decimal

    from canvas.analysis.letters import plain_percent
    from canvas.analysis.whatif import target_needed

    course = COURSES["calculus"]
    cg = expected(app_env, synced, course)
    at = grades_page(course)
    m = metrics(at)
    assert m["Best possible final"] == f"{cg.best_final:.2f}%" and m["Worst possible final"] == "61.25%"
    assert m["Still to be graded"] == str(len(cg.remaining))

    at.selectbox(key="target_letter").set_value("B+").run()
    need = target_needed(cg.inputs, Decimal(87)).needed_percent
    assert [s.value for s in at.success] == [
        f"To finish with at least a B+ (87%) you need an average of {plain_percent(need)} on the remaining "
        f"{len(cg.remaining)} assignments."]

    at.radio(key="target_kind").set_value("Percent").run()
    at.number_input(key="target_value").set_value(60.0).run()
    assert "even with 0%" in at.success[0].value, "60% is already guaranteed (worst final 61.25%)"
    at.number_input(key="target_value").set_value(99.0).run()
    assert not at.success and "Out of reach" in at.warning[0].value
    assert not at.exception
