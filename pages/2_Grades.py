"""Grades: Canvas's current/final scores, their history over syncs, score spread, group breakdown."""

import streamlit as st

from canvas.dashboard import charts, data, fmt, grading
from canvas.dashboard.frame import refresh_grades_if_stale, render_frame
from canvas.sync.status import ago

fr = render_frame("Grades", "📈")
refresh = refresh_grades_if_stale(fr)
if refresh in ("worker", "app"):
    st.toast("Grades are over 6 h old: fetching recently posted grades…", icon="🔄")

courses = data.courses(fr.user_id, fr.version)
work = fmt.enrich(data.assignments(fr.user_id, fr.version), fr.now, fr.tz)
history = data.snapshots(fr.user_id, fr.version)
if courses.empty:
    st.caption("No courses cached yet.")
    st.stop()

st.caption(f"Scores as Canvas reports them · last sync {ago(fr.status.last_sync if fr.status else None, fr.now)}")
left, right = st.columns(2, gap="large")
with left:
    st.plotly_chart(charts.course_scores(courses), width="stretch", key="course_scores")
with right:
    st.plotly_chart(charts.score_history(history, fr.tz), width="stretch", key="score_history")

st.plotly_chart(charts.score_distribution(work), width="stretch", key="score_distribution")

st.subheader("Course detail")
names = dict(zip(courses["course_id"], courses["name"], strict=True))
course_id = st.selectbox("Course", list(names), format_func=lambda c: names[c], key="grades_course")
row = courses[courses["course_id"] == course_id].iloc[0]
m1, m2, m3, m4 = st.columns(4)
m1.metric("Current score", fmt.pct(row["current_score"], 2), border=True)
m2.metric("Final score", fmt.pct(row["final_score"], 2), border=True,
          help="Counts ungraded work as zero, as Canvas does")
m3.metric("Current grade", row["current_grade"] or "—", border=True)
graded = work[(work["course_id"] == course_id) & work["percent"].notna()] if not work.empty else work
m4.metric("Graded assignments", len(graded), border=True)
if row["hide_final_grades"]:
    st.caption("This course hides its totals from students: Canvas sends no course score.")

groups = grading.group_breakdown(data.grade_inputs(fr.user_id, fr.version, int(course_id)))
g1, g2 = st.columns(2, gap="large")
with g1:
    st.plotly_chart(charts.group_breakdown(groups), width="stretch", key="group_breakdown")
with g2:
    st.dataframe(groups[["name", "weight", "score", "possible", "percent", "dropped"]], hide_index=True,
                 width="stretch", key="groups_table",
                 column_config={
                     "name": st.column_config.TextColumn("Group"),
                     "weight": st.column_config.NumberColumn("Weight", format="%g%%"),
                     "score": st.column_config.NumberColumn("Points", format="%.2f"),
                     "possible": st.column_config.NumberColumn("of", format="%g"),
                     "percent": st.column_config.ProgressColumn("%", min_value=0, max_value=100, format="%.1f%%"),
                     "dropped": st.column_config.NumberColumn("Dropped", format="%d"),
                 })

# What-if and target-grade tools (issue 5) render here, for the selected course.
whatif_slot = st.container(key="whatif_slot")
