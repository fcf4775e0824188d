"""Assignments: every course in one table, filtered by course and status, with CSV and .ics downloads."""

import streamlit as st

from canvas.dashboard import course_view, fmt, ics, links, notify_ui, stakes_ui
from canvas.dashboard.frame import render_frame

fr = render_frame("Assignments", "📝")
facts = course_view.facts(fr.user_id, fr.version)
term = course_view.term_picker(facts, "assignments_term")
# Letter-only courses show (and export) letters, never points or percentages.
work = stakes_ui.with_stakes(course_view.letters_only_work(
    fmt.enrich(course_view.rows_for("assignments", fr.user_id, fr.version, term, facts), fr.now, fr.tz), facts),
    fr.user_id, fr.version)
if work.empty:
    st.caption("No assignments cached yet.")
    st.stop()

course_names = sorted(work["course_name"].dropna().unique())
links.preset_filters(fmt.STATUSES)  # the Overview's "Missing" and "Due in 7 days" cards link here
f1, f2, f3 = st.columns([2, 2, 1])
chosen_courses = f1.multiselect("Course", course_names, key="filter_courses", placeholder="All courses")
chosen_status = f2.multiselect("Status", list(fmt.STATUSES), key="filter_status", placeholder="Any status",
                               format_func=lambda s: s.capitalize())
search = f3.text_input("Search", key="filter_search", placeholder="Assignment name")
due_week = st.toggle("Only what is due in the next 7 days", key="filter_due_week")
shown = fmt.default_order(
    fmt.filter_assignments(work, courses=chosen_courses, statuses=chosen_status, search=search), fr.now)
if due_week:
    shown = fmt.due_within(shown, fr.now, 7)

st.caption(f"{len(shown)} of {len(work)} assignments · upcoming first, then most recent · due dates in "
           f"{fr.tz.key}")
st.dataframe(
    shown.assign(result=shown.apply(fmt.score_text, axis=1) if not shown.empty else [])[
        # What, when and its status first: on a phone those are what fits without scrolling the table.
        ["name", "due_local", "status_label", "course_name", "result", "percent", "at_stake", "stake_level",
         "link"]],
    hide_index=True, width="stretch", height=560, placeholder="—", key="assignments_table",
    column_config={
        "name": st.column_config.TextColumn("Assignment", width=200),
        "due_local": st.column_config.DatetimeColumn("Due", format="ddd MMM D YYYY, h:mm A", width=175),
        "status_label": st.column_config.TextColumn("Status", width=125),
        "course_name": st.column_config.TextColumn("Course", width=200),
        "result": st.column_config.TextColumn("Score", width=80),
        "percent": st.column_config.ProgressColumn("%", min_value=0, max_value=100, format="%.0f%%", width=90),
        "link": st.column_config.LinkColumn("Canvas", display_text="Open ↗", width=75),
        **stakes_ui.column_config(),
    })

export = shown.assign(
    due=shown["due_local"].map(lambda d: d.isoformat() if d is not None and d == d else ""),
    status=shown["status"], tags=shown["tags"].map(" ".join),
    name=shown["name"].map(fmt.csv_cell), course_name=shown["course_name"].map(fmt.csv_cell))[
    ["assignment_id", "course_name", "name", "due", "status", "tags", "score", "points_possible", "percent",
     "grade", "html_url"]]
todo = int((shown["unsubmitted"].astype(bool) & shown["due_at"].notna()).sum())
d1, d2, d3 = st.columns([1, 1, 2], vertical_alignment="center")
d1.download_button("Download CSV", export.to_csv(index=False).encode("utf-8"), "assignments.csv", "text/csv",
                   on_click="ignore", icon=":material/download:", key="download_csv", width="stretch")
calendar = ics.calendar_from_frame(shown, now=fr.now, lead_times_minutes=notify_ui.lead_times(fr.user_id))
d2.download_button("Calendar (.ics)", calendar.encode("utf-8"),
                   "canvas-due.ics", "text/calendar", on_click="ignore", icon=":material/calendar_month:",
                   key="download_ics", width="stretch",
                   help="Unsubmitted work with due dates (the filters above apply); "
                        "re-importing updates the same events")
d3.caption(f"The calendar holds the {todo} unsubmitted, dated assignments shown above.")
