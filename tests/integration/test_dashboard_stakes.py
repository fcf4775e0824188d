"""AppTest: "What to do next" on the Overview, the "At stake" column on Assignments, letter-only courses."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import text

from canvas.analysis.gradecalc_io import from_canvas
from canvas.analysis.whatif import what_if
from canvas.db import reads
from tests.integration.conftest import PAGES
from tests.integration.test_dashboard_pages import plotly_specs, run_page, texts


def frame_with(at, column):
    return next(df.value for df in at.dataframe if column in df.value.columns)


def engine_stake(conn, user_id, course_id, assignment_id):
    """The oracle: Canvas-style what-if at full marks and at zero, through whatif.what_if."""
    raw = reads.grade_inputs(conn, user_id=user_id, course_id=course_id)
    inputs = from_canvas(raw["groups"], raw["course"])
    points = next(a.points_possible for a in inputs.assignments if a.id == str(assignment_id))
    best = what_if(inputs, {str(assignment_id): points}).final_percent
    worst = what_if(inputs, {str(assignment_id): Decimal(0)}).final_percent
    return float(best - worst)


def test_overview_ranks_open_work_by_points_at_stake(synced):
    at = run_page()
    assert "What to do next" in [s.value for s in at.subheader]
    ranked = frame_with(at, "stake")
    assert 1 <= len(ranked) <= 5
    # Numbers where the course shows them; a level (High / Medium / Low) in letter-only courses.
    assert all(s.endswith(" pts") or s in {"High", "Medium", "Low"} for s in ranked["stake"])
    points = [float(s.split()[0]) for s in ranked["stake"] if s.endswith(" pts")]
    assert points and points == sorted(points, reverse=True), "most at stake first"
    chart = next(s for s in plotly_specs(at) if s["layout"]["title"]["text"].startswith("Points at stake per week"))
    assert chart["data"] and sum(sum(t["y"]) for t in chart["data"]) > 0


def test_assignments_at_stake_column_matches_the_grade_engine(synced, app_env):
    at = run_page(PAGES["assignments"])
    table = at.dataframe[0].value
    assert {"at_stake", "stake_level"} <= set(table.columns)
    open_rows = table[table["at_stake"].notna()]
    assert len(open_rows) > 10
    graded = table[table["status_label"].str.startswith("Graded")]
    assert graded["at_stake"].isna().all(), "nothing left at stake once graded"
    unique = open_rows.drop_duplicates(["name", "course_name"], keep=False)
    sample = unique.sort_values("at_stake", ascending=False).head(3)
    assert sample["at_stake"].iloc[0] > 0
    with app_env.connect() as conn:
        # Look the sampled rows up by name and course (the table shows no ids).
        for _, row in sample.iterrows():
            aid = conn.execute(text(
                "SELECT a.canvas_id FROM canvas_assignments_cache a JOIN canvas_courses_cache c "
                "ON c.user_id = a.user_id AND c.canvas_id = a.course_id "
                "WHERE a.user_id = :u AND a.name = :n AND c.name = :c"),
                {"u": synced, "n": row["name"], "c": row["course_name"]}).scalar_one()
            course_id = conn.execute(text("SELECT course_id FROM canvas_assignments_cache WHERE user_id = :u "
                                          "AND canvas_id = :a"), {"u": synced, "a": aid}).scalar_one()
            assert abs(engine_stake(conn, synced, course_id, aid) - row["at_stake"]) < 1e-9
    # The column sorts as numbers (the table's header click sorts the dtype).
    assert str(table["at_stake"].dtype) == "float64"


def letter_only(conn, course_filter="TRUE"):
    conn.execute(text("UPDATE canvas_courses_cache SET raw = raw || '{\"restrict_quantitative_data\": true}'"
                      f" WHERE {course_filter}"))


def test_letter_only_courses_rank_without_numbers(synced, app_env):
    with app_env.begin() as conn:
        letter_only(conn)
    at = run_page()
    ranked = frame_with(at, "stake")
    assert len(ranked) >= 1
    assert set(ranked["stake"]) <= {"High", "Medium", "Low"}, "no numbers in a letter-only course"
    chart = next(s for s in plotly_specs(at) if s["layout"]["title"]["text"].startswith("Points at stake per week"))
    assert not chart["data"]
    assert "Letter-only courses are left out of the chart" in texts(at)

    at = run_page(PAGES["assignments"])
    table = at.dataframe[0].value
    assert table["at_stake"].isna().all()
    assert set(table["stake_level"].dropna()) <= {"High", "Medium", "Low"} and table["stake_level"].notna().any()


def test_one_letter_only_course_keeps_the_others_numbers(synced, app_env):
    with app_env.begin() as conn:
        course = conn.execute(text("SELECT canvas_id, name FROM canvas_courses_cache WHERE user_id = :u "
                                   "ORDER BY canvas_id LIMIT 1"), {"u": synced}).one()
        letter_only(conn, f"canvas_id = {int(course.canvas_id)}")
    table = run_page(PAGES["assignments"]).dataframe[0].value
    mine = table[table["course_name"] == course.name]
    others = table[table["course_name"] != course.name]
    assert mine["at_stake"].isna().all() and mine["stake_level"].notna().any()
    assert others["at_stake"].notna().any()


def test_course_stakes_equal_the_one_by_one_engine_answers_on_every_demo_course(synced, app_env):
    from canvas.analysis.stakes import at_stake
    from canvas.dashboard import stakes_data

    with app_env.connect() as conn:
        ids = conn.execute(text("SELECT canvas_id FROM canvas_courses_cache WHERE user_id = :u"),
                           {"u": synced}).scalars().all()
        raws = [reads.grade_inputs(conn, user_id=synced, course_id=c) for c in ids]
    checked = 0
    for raw in raws:
        inputs = from_canvas(raw["groups"], raw["course"])
        got = stakes_data.course_stakes(raw).points
        assert got == {int(i): float(at_stake(inputs, i)) for i in stakes_data.open_ids(raw)}
        checked += len(got)
    assert checked > 50
