"""Grades: Canvas's scores beside our recomputation, what-if and target tools, history and statistics."""

import streamlit as st

from canvas.dashboard import charts, data, fmt, whatif_data, whatif_ui
from canvas.dashboard.frame import refresh_grades_if_stale, render_frame
from canvas.sync.status import ago

fr = render_frame("Grades", "📈")
refresh = refresh_grades_if_stale(fr)
if refresh in ("worker", "app"):
    st.toast("Grades are over 6 h old: fetching recently posted grades…", icon=":material/sync:")

courses = data.courses(fr.user_id, fr.version)
work = fmt.enrich(data.assignments(fr.user_id, fr.version), fr.now, fr.tz)
history = data.snapshots(fr.user_id, fr.version)
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
whatif_ui.comparison(row, cg, hidden, len(graded))
if row["hide_final_grades"]:
    st.caption("This course hides its totals from students: Canvas sends no course score.")

# What-if and target-grade tools (issue 5), for the selected course.
whatif_slot = st.container(key="whatif_slot")
with whatif_slot:
    whatif_ui.whatif_and_target(
        int(course_id), cg, fr.tz,
        lambda target, scores: data.target_answer(fr.user_id, fr.version, int(course_id), target, scores))

st.subheader("Course statistics")
groups = whatif_data.group_breakdown(cg)  # the same calculation as the numbers above
g1, g2 = st.columns(2, gap="large")
with g1:
    st.plotly_chart(charts.group_breakdown(groups, recomputed=cg is not None), width="stretch", key="group_breakdown",
                    config=charts.PLOTLY_CONFIG)
with g2:
    st.dataframe(groups[["name", "weight", "score", "possible", "percent", "dropped"]], hide_index=True,
                 placeholder="—", width="stretch", key="groups_table",
                 column_config={
                     "name": st.column_config.TextColumn("Group", width=130),
                     "weight": st.column_config.NumberColumn("Weight", format="%g%%", width=70),
                     "score": st.column_config.NumberColumn("Points", format="%.2f", width=70),
                     "possible": st.column_config.NumberColumn("of", format="%g", width=50),
                     "percent": st.column_config.ProgressColumn("%", min_value=0, max_value=100, format="%.2f%%"),
                     "dropped": st.column_config.NumberColumn("Dropped", format="%d", width=80),
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
