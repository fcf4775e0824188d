"""The frame every page draws first: page config, sidebar (navigation, sync widget), the current user.

The app uses Streamlit's pages-directory routing (no st.navigation), so a page opened directly by
URL on a fresh server still runs its own first line, `render_frame(...)`: the sidebar and the
shared-mode sign-in gate cannot be skipped. The automatic sidebar nav is hidden in .streamlit/config.toml;
the frame draws its own links with proper labels.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import streamlit as st
from sqlalchemy import Engine

from canvas.accounts import Identity
from canvas.config import Settings
from canvas.dashboard import changes_ui, data, demo, fmt, mobile, signin, status_ui, syncing, visits
from canvas.errors import CanvasDashboardError, ConfigError
from canvas.rows import SyncFacts, UserRow
from canvas.sync.status import SyncStatus, compute_status

APP_NAME = "Canvas Dashboard"
PAGES = (
    ("app.py", "Overview", ":material/home:"),
    ("pages/1_Assignments.py", "Assignments", ":material/assignment:"),
    ("pages/2_Grades.py", "Grades", ":material/trending_up:"),
    ("pages/3_Sync_activity.py", "Sync & activity", ":material/sync:"),
    ("pages/5_Transcript.py", "Transcript", ":material/school:"),
    ("pages/4_Settings.py", "Settings", ":material/settings:"),
)
# Pages still pass an emoji; on screen it becomes the Material icon (no emoji font needed).
_MATERIAL = {"🏠": ":material/home:", "📝": ":material/assignment:", "📈": ":material/trending_up:",
             "🔄": ":material/sync:", "⚙️": ":material/settings:", "🎓": ":material/school:"}
SETTINGS_PAGE = PAGES[-1][0]
# The sidebar's status fragment polls one row: one fragment run per tick per open page (~6-15 ms
# of server CPU with runner.postScriptGC off, bench/dashboard_load). A page polls fast only while a sync
# is asked for or running (progress moves, the student is watching) and slowly otherwise (a scheduled
# sync still shows up within POLL_IDLE_SECONDS).
POLL_SECONDS = 2.0
POLL_IDLE_SECONDS = 10.0
DEFAULT_VISIT_WINDOW = timedelta(days=7)


@dataclass
class Frame:
    settings: Settings
    engine: Engine
    user: UserRow | None
    facts: SyncFacts | None = None
    status: SyncStatus | None = None
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    visit_since: datetime | None = None
    identity: Identity | None = None  # shared mode: the signed-in person (issuer + subject)

    @property
    def shared(self) -> bool:
        return self.settings.dashboard_mode == "shared"

    @property
    def user_id(self) -> int:
        assert self.user is not None
        return int(self.user["id"])

    @property
    def version(self) -> int:
        return int(self.facts["data_version"] or 0) if self.facts else 0

    @property
    def has_data(self) -> bool:
        return bool(self.status and (self.status.courses or self.status.assignments))


def render_frame(title: str, icon: str, *, needs_user: bool = True) -> Frame:
    """Draw the shared frame; stops the run with a clear message when there is nothing to show."""
    icon = _MATERIAL.get(icon, icon)
    # "auto": open on desktop, collapsed under Streamlit's mobile breakpoint (a phone sees the page).
    st.set_page_config(page_title=f"{title} · {APP_NAME}", page_icon=icon, layout="wide",
                       initial_sidebar_state="auto")
    try:
        settings = data.settings()
    except ConfigError as exc:
        st.error(f"**The configuration is invalid.** {exc}", icon=":material/error:")
        st.stop()
    identity = None
    if settings.dashboard_mode == "shared":
        # Before the sidebar and before any database access: anonymous sees the sign-in page only.
        identity = signin.current_identity()
        if identity is None:
            signin.sign_in_page()
    with st.sidebar:
        st.markdown(f"### :material/school: {APP_NAME}")
        for path, label, page_icon in PAGES:
            st.page_link(path, label=label, icon=page_icon)
        mobile.close_sidebar_after_navigation()
        st.divider()
    try:
        engine = data.engine()
    except CanvasDashboardError as exc:  # DatabaseError from the bootstrap/migrations
        data.db_down(exc)
        raise
    except Exception as exc:  # the driver's own connection errors, not yet wrapped
        data.db_down(exc)
        raise
    user = resolve_user(settings)
    frame = Frame(settings=settings, engine=engine, user=user, identity=identity)
    if user is not None:
        _load_status(frame)
        with st.sidebar:
            sync_widget(frame)
            changes_ui.sidebar(frame, on_feed=title == "Overview")
    else:
        with st.sidebar:
            st.caption("No Canvas account connected yet.")
    if identity is not None:
        with st.sidebar:
            st.divider()
            signin.sign_out_button()
    st.title(f"{icon} {title}")
    if needs_user:
        require_user(frame)
        _data_banner(frame)
    return frame


# -- who is looking ------------------------------------------------------------------------------
def resolve_user(settings: Settings) -> UserRow | None:
    """The user whose dashboard this is: the one place that decides who is looking.

    Shared mode: the users row bound to the signed-in identity (st.user's issuer + subject), or
    None until that identity connects Canvas; an anonymous session gets the sign-in page (the run
    stops). There is no picker: a session only ever sees its own identity's user.

    Personal mode: the most recently updated user with a saved token (a sidebar picker when there
    are several); if none has a token, the most recent user, so cached data stays viewable.
    """
    if settings.dashboard_mode == "shared":
        identity = signin.current_identity()
        if identity is None:
            signin.sign_in_page()
        return data.user_for_identity(identity.issuer, identity.subject)
    rows = data.users()
    if not rows:
        return None
    candidates = [u for u in rows if u["has_token"]] or rows
    if len(candidates) == 1:
        return candidates[0]
    by_id = {int(u["id"]): u for u in candidates}
    ids = list(by_id)
    if st.session_state.get("dashboard_user") not in by_id:
        st.session_state.pop("dashboard_user", None)
    with st.sidebar:
        chosen = st.selectbox("Account", ids, key="dashboard_user",
                              format_func=lambda i: _account_label(by_id[i]))
    return by_id[int(chosen)]


def _account_label(user: UserRow) -> str:
    host = str(user["base_url"]).split("://", 1)[-1]
    name = user["name"] or "Unnamed"
    return f"{name} · {host}" + ("" if user["has_token"] else " (disconnected)")


def require_user(frame: Frame) -> None:
    if frame.user is not None:
        return
    if frame.shared:
        st.info("**Welcome!** Connect your Canvas account in Settings to see your courses, assignments and "
                "grades here.", icon=":material/waving_hand:")
        st.page_link(SETTINGS_PAGE, label="Open Settings", icon=":material/settings:")
        st.stop()
    st.info("**Welcome!** Connect your Canvas account in Settings, or try the demo there: it starts a "
            "simulated Canvas and fills this dashboard in a few seconds.", icon=":material/waving_hand:")
    st.page_link(SETTINGS_PAGE, label="Open Settings", icon=":material/settings:")
    st.stop()


def _load_status(frame: Frame) -> None:
    facts = data.sync_facts(frame.user_id)
    frame.facts = facts
    if facts is None:
        return
    frame.status = compute_status(facts, frame.settings.stale_after)
    frame.now = facts["db_now"]
    frame.tz = fmt.zone(frame.user.get("time_zone") if frame.user else None)
    st.session_state.setdefault("seen_facts", {})[frame.user_id] = _page_signature(facts, frame.status)
    frame.visit_since = _visit_since(frame)


def _visit_since(frame: Frame) -> datetime:
    """Where "new grades" start for this session (read once; visits count only once data exists)."""
    since = st.session_state.setdefault("visit_since", {})
    if frame.user_id not in since:
        if not frame.has_data:
            return frame.now - DEFAULT_VISIT_WINDOW
        path = visits.visits_path(frame.settings.data_dir)
        since[frame.user_id] = visits.start_visit(path, frame.user_id, frame.now, DEFAULT_VISIT_WINDOW)
    return since[frame.user_id]


def _data_banner(frame: Frame) -> None:
    status_ui.banner(frame.facts, frame.status, frame.has_data, syncing.running_here(frame.user_id), frame.now,
                     frame.tz)


# -- the sidebar sync widget ---------------------------------------------------------------------
def _on_sync_click(user_id: int, base_url: str) -> None:
    """Fast: one UPDATE (and maybe a thread start); the sync itself never runs in the callback."""
    settings = data.settings()
    try:
        result = syncing.request_sync(data.engine(), demo.settings_for(settings, base_url), user_id, kind="full",
                                      cipher=data.cipher(), in_app=demo.is_demo_user(base_url, settings))
    except Exception:
        st.session_state["sync_feedback"] = ("error", "Could not ask for a sync (the database did not answer): "
                                                      "try again in a moment.")
        return
    icon = ":material/warning:" if result.outcome == "refused" else ":material/sync:"
    st.session_state["sync_feedback"] = (icon, result.message)


def sync_widget(frame: Frame) -> None:
    user: Mapping[str, Any] = frame.user or {}
    st.button("Sync now", key="sync_now", icon=":material/sync:", type="primary", width="stretch",
              on_click=_on_sync_click, args=(frame.user_id, str(user.get("base_url") or "")),
              disabled=not user.get("has_token") or user.get("token_state") != "valid",
              help="Fetch your courses, assignments and grades from Canvas now" if user.get("has_token")
              and user.get("token_state") == "valid" else "Reconnect in Settings first")
    feedback = st.session_state.pop("sync_feedback", None)
    if feedback:
        icon, message = feedback
        st.toast(message, icon=icon if icon != "error" else ":material/error:")
    fast = frame.facts is not None and frame.status is not None and _sync_active(frame.user_id, frame.facts,
                                                                                  frame.status)
    poll = _sync_status_fast if fast else _sync_status_idle
    poll(frame.user_id, frame.settings.sync_stale_after_ms, frame.settings.sync_deadline_s, frame.tz.key, fast)


def _sync_active(user_id: int, facts: SyncFacts, status: SyncStatus) -> bool:
    """A sync is running, or asked for and a live worker is about to pick it up: poll fast."""
    return status.state == "syncing" or syncing.running_here(user_id) or (
        facts.get("requested_at") is not None and facts.get("job_state") == "idle" and bool(facts.get("worker_alive")))


def sync_status(user_id: int, stale_after_ms: int, deadline_s: float = 45.0, tz_name: str = "UTC",
                fast: bool = True) -> None:
    """Polls the one-row status; when the data version moves, reruns the whole page with fresh data,
    and when a sync starts or ends, reruns it so the next poll runs at the other speed."""
    try:
        facts = data.read_sync_facts(user_id)
    except Exception:
        st.caption(":material/warning: The database is not answering: status unknown")
        return
    if facts is None:
        return
    status = compute_status(facts, timedelta(milliseconds=stale_after_ms))
    syncing_now = status.state == "syncing" or syncing.running_here(user_id)
    status_ui.render(user_id, facts, status, syncing_now, deadline_s, fmt.zone(tz_name), SETTINGS_PAGE)
    seen = st.session_state.setdefault("seen_facts", {})
    signature = _page_signature(facts, status)
    if user_id in seen and signature != seen[user_id]:
        seen[user_id] = signature
        st.rerun()
    if _sync_active(user_id, facts, status) != fast:
        st.rerun()


@st.fragment(run_every=POLL_SECONDS)
def _sync_status_fast(user_id: int, stale_after_ms: int, deadline_s: float, tz_name: str, fast: bool) -> None:
    sync_status(user_id, stale_after_ms, deadline_s, tz_name, fast)


@st.fragment(run_every=POLL_IDLE_SECONDS)
def _sync_status_idle(user_id: int, stale_after_ms: int, deadline_s: float, tz_name: str, fast: bool) -> None:
    sync_status(user_id, stale_after_ms, deadline_s, tz_name, fast)


def _page_signature(facts: SyncFacts, status: SyncStatus) -> tuple[Any, ...]:
    """What the page body shows beyond the sidebar: its data (the version, which moves only when a sync
    changed something), the last sync's outcome and the error banner. A change reruns the page; an
    unchanged version keeps its cached reads, so a resync that found nothing new costs only the rerun."""
    return int(facts.get("data_version") or 0), facts.get("last_success"), status.state == "error"


# -- the Grades page's light refresh ---------------------------------------------------------
GRADES_STALE_AFTER = timedelta(hours=6)


def refresh_grades_if_stale(frame: Frame) -> str | None:
    """Once per session: grades older than 6 h → ask for the "recent grades" refresh (the page keeps
    showing the cache; the sync widget reruns the page when the refresh commits)."""
    if frame.user is None or not frame.user.get("has_token") or not frame.has_data:
        return None
    done = st.session_state.setdefault("grades_refresh_requested", set())
    if frame.user_id in done:
        return None
    info = data.grades_refreshed_at(frame.user_id)
    refreshed = info["refreshed_at"]
    if refreshed is not None and info["db_now"] - refreshed <= GRADES_STALE_AFTER:
        return None
    done.add(frame.user_id)
    base_url = str(frame.user.get("base_url") or "")
    try:
        result = syncing.request_sync(frame.engine, demo.settings_for(frame.settings, base_url), frame.user_id,
                                      kind="recent", cipher=data.cipher(),
                                      in_app=demo.is_demo_user(base_url, frame.settings))
    except Exception:
        return None
    return result.outcome
