"""Grades: Canvas's scores beside our recomputation, what-if and target tools, history and statistics."""

import streamlit as st

from canvas.dashboard import charts, class_stats, course_view, data, fmt, whatif_data, whatif_ui
from canvas.dashboard.frame import refresh_grades_if_stale, render_frame
from canvas.sync.status import ago

fr = render_frame("Grades", "📈")
refresh = refresh_grades_if_stale(fr)
if refresh in ("worker", "app"):
    st.toast("Grades are over 6 h old: fetching recently posted grades…", icon=":material/sync:")

facts = course_view.facts(fr.user_id, fr.version)
term = course_view.term_picker(facts, "grades_term")
letter_only = course_view.letter_only_ids(facts)
# Letter-only courses: their numbers are blanked before any table or chart sees them.
courses = course_view.letters_only_courses(course_view.rows_for("courses", fr.user_id, fr.version, term, facts), facts)
work = course_view.letters_only_work(
    fmt.enrich(course_view.rows_for("assignments", fr.user_id, fr.version, term, facts), fr.now, fr.tz), facts)
history = course_view.without_courses(course_view.rows_for("snapshots", fr.user_id, fr.version, term, facts),
                                      letter_only)
if courses.empty:
    st.caption("No courses cached yet.")
    st.stop()

st.caption(f"Scores as Canvas reports them · last sync {ago(fr.status.last_sync if fr.status else None, fr.now)}")
left, right = st.columns(2, gap="large")
with left:
    st.plotly_chart(charts.course_scores(courses), width="stretch", key="course_scores", config=charts.PLOTLY_CONFIG)
with right:
    st.plotly_chart(charts.score_history(history, fr.tz), width="stretch", key="score_history",
                    config=charts.PLOTLY_CONFIG)

st.subheader("Course detail")
names = dict(zip(courses["course_id"], courses["name"], strict=True))
course_id = st.selectbox("Course", list(names), format_func=lambda c: names[c], key="grades_course")
row = courses[courses["course_id"] == course_id].iloc[0]
course_work = work[work["course_id"] == course_id] if not work.empty else work
graded = course_work[course_work["percent"].notna()] if not course_work.empty else course_work
hidden = int(course_work["score_hidden"].astype(bool).sum()) if not course_work.empty else 0
cg = data.course_grades(fr.user_id, fr.version, int(course_id))

# Canvas's own score is the headline; our recomputation sits beside it, with the reason when they differ.
# A course hiding its totals shows the recomputation (and what-if) only when the student opts in.
graded_count = len(graded) if int(course_id) not in letter_only else int(course_work["grade"].notna().sum())
recomputed = whatif_ui.comparison(row, cg, hidden, graded_count)

# What-if and target-grade tools (issue 5), for the selected course.
whatif_slot = st.container(key="whatif_slot")
with whatif_slot:
    if recomputed:
        whatif_ui.whatif_and_target(
            int(course_id), cg, fr.tz,
            lambda target, scores: data.target_answer(fr.user_id, fr.version, int(course_id), target, scores))

# You vs class, where Canvas sends statistics (never for letter-only courses: no numbers there).
if cg is not None and not cg.class_stats.empty and int(course_id) not in letter_only:
    st.subheader("You vs class")
    st.plotly_chart(class_stats.figure(cg.class_stats), width="stretch", key="you_vs_class",
                    config=charts.PLOTLY_CONFIG)

# The group statistics are numbers (hidden in letter-only courses) and a recomputation (opt-in when
# the course hides its totals).
if int(course_id) not in letter_only and recomputed:
    st.subheader("Course statistics")
    groups = whatif_data.group_breakdown(cg)  # the same calculation as the numbers above
    g1, g2 = st.columns(2, gap="large")
    with g1:
        st.plotly_chart(charts.group_breakdown(groups, recomputed=cg is not None), width="stretch",
                        key="group_breakdown", config=charts.PLOTLY_CONFIG)
    with g2:
        st.dataframe(groups[["name", "weight", "score", "possible", "percent", "dropped"]], hide_index=True,
                     width="stretch", key="groups_table",
                     column_config={
                         "name": st.column_config.TextColumn("Group"),
                         "weight": st.column_config.NumberColumn("Weight", format="%g%%"),
                         "score": st.column_config.NumberColumn("Points", format="%.2f"),
                         "possible": st.column_config.NumberColumn("of", format="%g"),
                         "percent": st.column_config.ProgressColumn("%", min_value=0, max_value=100, format="%.2f%%"),
                         "dropped": st.column_config.NumberColumn("Dropped", format="%d"),
                     })
    t1, t2 = st.columns(2, gap="large")
    with t1:
        contrib = (whatif_data.group_contributions(cg.inputs, cg.result, cg.names) if cg
                   else whatif_data.group_contributions_empty())
        st.plotly_chart(charts.group_contribution(contrib), width="stretch", key="group_contribution",
                        config=charts.PLOTLY_CONFIG)
    with t2:
        course_history = history[history["course_id"] == course_id] if not history.empty else history
        st.plotly_chart(charts.course_trend(course_history, graded, fr.tz), width="stretch", key="course_trend",
                        config=charts.PLOTLY_CONFIG)

st.subheader("All courses")
st.plotly_chart(charts.score_distribution(work), width="stretch", key="score_distribution", config=charts.PLOTLY_CONFIG)
