"""The change feed in the dashboard: the Overview's "What changed", the sidebar's unseen count, the toast.

Per session and user, `st.session_state["changes"][user_id]` holds:
- ``since``: where "since your last visit" starts (the feed's `last_seen` when the session began), so
  reruns and syncs during the visit keep adding to one feed instead of emptying it;
- ``baseline``: the newest event id this session has already told the student about. A run that finds
  newer events (the sync widget reruns the page when a sync commits) shows a toast: that is "a sync the
  student is watching brought changes". The session's first run only sets the baseline.

Opening the feed (the Overview) marks the events it showed as seen, up to the newest one's
`detected_at` (not "now": an event a concurrent sync commits a moment later stays unseen).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import streamlit as st

from canvas.dashboard import changes_feed, data, fmt, stakes_ui
from canvas.db import changes
from canvas.rows import ChangeEvent

FEED_LIMIT = 50
EARLIER_LIMIT = 10
FIRST_SHOWN = 8  # the rest fold into an expander, so a busy sync does not push the page down
OVERVIEW = "app.py"


def _state(user_id: int) -> dict[str, Any]:
    return st.session_state.setdefault("changes", {}).setdefault(user_id, {})


@data.guarded
def _sidebar_reads(user_id: int, first: bool) -> tuple[list[ChangeEvent], int, datetime | None]:
    with data.engine().connect() as conn:
        recent = changes.list_changes(conn, user_id, limit=20)
        unseen = changes.unseen_count(conn, user_id)
        seen = changes.last_seen(conn, user_id) if first else None
    return recent, unseen, seen


def sidebar(frame: Any, *, on_feed: bool) -> None:
    """The unseen count in the sidebar (a link to the feed) and the toast when a watched sync brought
    changes. `on_feed`: this page shows the feed itself, which marks them seen, so no count."""
    if frame.user is None or not frame.has_data:
        return
    uid = frame.user_id
    state = _state(uid)
    first = "baseline" not in state
    recent, unseen, seen = _sidebar_reads(uid, first)
    if first:
        state["since"] = seen
        state["baseline"] = changes_feed.newest_id(recent)
    else:
        new = [e for e in recent if int(e["id"]) > int(state["baseline"])]
        if new:
            state["baseline"] = changes_feed.newest_id(new)
            letters = stakes_ui.letter_only_courses(uid, frame.version, {int(e["course_id"]) for e in new})
            st.toast(changes_feed.toast_text(new, frame.tz, letters), icon=":material/notifications_active:",
                     duration="long")
    if unseen and not on_feed:  # on the Overview the feed itself shows them (and marks them seen)
        st.page_link(OVERVIEW, label=f"What changed: {unseen} new", icon=":material/notifications:",
                     help="Changes from your syncs you have not seen yet: open the Overview")


@data.guarded
def _feed_reads(user_id: int, since: datetime | None) -> tuple[list[ChangeEvent], list[ChangeEvent]]:
    with data.engine().connect() as conn:
        shown = changes.list_changes(conn, user_id, since=since, limit=FEED_LIMIT)
        earlier = [] if shown else changes.list_changes(conn, user_id, limit=EARLIER_LIMIT)
    return shown, earlier


@data.guarded
def _mark_seen(user_id: int, at: datetime) -> None:
    with data.engine().begin() as conn:
        changes.mark_seen(conn, user_id, at)


def feed(frame: Any, courses: Any) -> None:
    """The Overview's "What changed since your last visit" list; marks what it shows as seen."""
    uid = frame.user_id
    state = _state(uid)
    since = state.get("since")
    shown, earlier = _feed_reads(uid, since)
    st.subheader("What changed", help="Grades, due dates and assignments that changed in Canvas, found by "
                                      "comparing each sync with the one before")
    names = {int(c): str(n) for c, n in zip(courses["course_id"].tolist(), courses["name"].tolist(), strict=True)} \
        if not courses.empty else {}
    events = shown or earlier
    letters = stakes_ui.letter_only_courses(uid, frame.version, {int(e["course_id"]) for e in events})
    if shown:
        st.caption(f"Since your last visit ({fmt.fmt_when(since, frame.tz)})" if since else
                   "Since your first sync")
        _lines(shown, names, letters, frame)
        newest = max(e["detected_at"] for e in shown)
        if since is None or newest > since:
            _mark_seen(uid, newest)
    else:
        st.caption("Nothing changed since your last visit." if since else
                   "Nothing has changed since your first sync: changes show up here after the next ones.")
        if earlier:
            with st.expander(f"Earlier changes ({len(earlier)})"):
                _lines(earlier, names, letters, frame)


def _lines(events: list[ChangeEvent], names: dict[int, str], letters: set[int], frame: Any) -> None:
    def line(e: ChangeEvent) -> None:
        cid = int(e["course_id"])
        st.markdown(changes_feed.feed_line(e, names.get(cid), frame.tz, frame.now, numbers=cid not in letters))

    with st.container(key="changes_feed"):
        for e in events[:FIRST_SHOWN]:
            line(e)
        if len(events) > FIRST_SHOWN:
            with st.expander(f"{len(events) - FIRST_SHOWN} more"):
                for e in events[FIRST_SHOWN:]:
                    line(e)
