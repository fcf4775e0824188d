"""Overview: what is due, what is missing, what was graded since the last visit.

Run with `streamlit run app.py`. Pages live in `pages/` (Streamlit's pages-directory routing); every
page, this one included, draws the shared frame first.
"""

from datetime import timedelta

import streamlit as st

from canvas.dashboard import changes_ui, charts, course_view, data, fmt, links, stakes_ui
from canvas.dashboard.frame import render_frame

fr = render_frame("Overview", "🏠")
facts = course_view.facts(fr.user_id, fr.version)
# The current term's courses (archived ones live on the Transcript and under past terms elsewhere).
courses = course_view.in_term(data.courses(fr.user_id, fr.version), course_view.current_ids(facts))
grades_since = fr.visit_since or fr.now
work = stakes_ui.with_stakes(course_view.letters_only_work(  # letter-only courses: letters, never points
    fmt.enrich(data.overview_work(fr.user_id, fr.version, fr.now, grades_since), fr.now, fr.tz), facts),
    fr.user_id, fr.version)

# One filtered copy of the rows ahead serves the count, the list and the chart (each whole-frame
# filter copies every column; the profile showed them adding up).
ahead = fmt.due_within(work, fr.now, 365)
due_week = int((ahead["due_at"] <= fr.now + timedelta(days=7)).sum()) if not ahead.empty else 0
missing = int((work["missing"].astype(bool) & ~work["excused"].astype(bool)).sum()) if not work.empty else 0
average, left_out = course_view.average_current(courses, facts)
new_grades = fmt.newly_graded(work, grades_since)

# The four cards wrap two to a row on a phone (st.columns would stack them one per row there, and
# they alone would fill the first screen); four across on a wider screen.
with st.container(horizontal=True, key="overview_cards"):
    c1, c2, c3, c4 = (st.container(width="stretch") for _ in range(4))
c1.metric("Active courses", len(courses), border=True)
c2.metric("Due in 7 days", due_week, border=True, help="Work not yet submitted, due in the next 7 days")
links.card_link(links.DUE_WEEK, "See what is due", c2)
c3.metric("Missing", missing, border=True, help="Canvas marks these missing")
links.card_link(links.MISSING, "See what is missing", c3)
c4.metric("Current average", fmt.pct(average), border=True,
          help="Mean of Canvas's current score over the courses that show one (never a recomputation)")
if left_out:
    st.caption("Left out of the average: " + fmt.md_escape(", ".join(left_out)))

changes_ui.feed(fr, courses)

st.subheader("Next up")
upcoming = ahead.head(10)
if upcoming.empty:
    st.caption(":material/celebration: Nothing due.")
else:
    st.dataframe(
        # What and when first: on a phone those two columns are what fits without scrolling the table.
        upcoming.assign(when=upcoming["due_at"].map(lambda d: fmt.relative(d, fr.now)))[
            ["name", "when", "due_local", "course_name", "points_possible", "link"]],
        hide_index=True, width="stretch", placeholder="—", key="next_up",
        column_config={
            "name": st.column_config.TextColumn("Assignment", width=230),
            "when": st.column_config.TextColumn("Due", width=90),
            "due_local": st.column_config.DatetimeColumn("Date", format="ddd MMM D, h:mm A", width=160),
            "course_name": st.column_config.TextColumn("Course", width=240),
            "points_possible": st.column_config.NumberColumn("Points", format="%g", width=70),
            "link": st.column_config.LinkColumn("Canvas", display_text="Open ↗", width=80),
        })

todo, load = st.columns(2, gap="large")
with todo:
    stakes_ui.next_up_list(work, fr.now)
with load:
    stakes_ui.load_chart(work, fr.now, fr.tz)

left, right = st.columns(2, gap="large")
with left:
    st.plotly_chart(charts.due_timeline(ahead, fr.now, fr.tz), width="stretch", key="due_timeline",
                    config=charts.PLOTLY_CONFIG)
with right:
    since = fr.visit_since.astimezone(fr.tz) if fr.visit_since else None
    st.subheader("New grades")
    st.caption(f"Posted since {fmt.fmt_when(since, fr.tz)}" if since else "")
    if new_grades.empty:
        st.caption("No new grades.")
    else:
        shown = new_grades.head(8)
        st.dataframe(
            shown.assign(result=shown.apply(fmt.score_text, axis=1))[["name", "course_name", "result", "percent"]],
            hide_index=True, width="stretch", placeholder="—", key="new_grades",
            column_config={
                "name": st.column_config.TextColumn("Assignment", width=160),
                "course_name": st.column_config.TextColumn("Course", width=110),
                "result": st.column_config.TextColumn("Score", width=70),
                "percent": st.column_config.ProgressColumn("%", min_value=0, max_value=100, format="%.0f%%",
                                                           width=80),
            })

with st.expander("Letters by course"):
    st.dataframe(course_view.letters_frame(courses, facts), hide_index=True, width="stretch", key="course_letters",
                 column_config={"name": st.column_config.TextColumn("Course"),
                                "score": st.column_config.NumberColumn("Current", format="%.2f%%"),
                                "letter": st.column_config.TextColumn("Letter"),
                                "scale": st.column_config.TextColumn("Letter from")})
