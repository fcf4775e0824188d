"""Settings once an account is connected: Disconnect and "Delete my data", each confirmed first,
and the note that connecting another account (or the demo) switches the dashboard to it.

Two-step buttons (the first click only asks, in session state) so a stray tap on a shared
computer's screen never forgets a token or deletes data.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from canvas.accounts import delete_account
from canvas.dashboard import accounts_ui, data, signin

CONFIRM_KEY = "settings_confirm"  # session_state: ("disconnect" | "delete", user id)


def _ask(what: str, user_id: int) -> None:
    st.session_state[CONFIRM_KEY] = (what, user_id)


def _never_mind() -> None:
    st.session_state.pop(CONFIRM_KEY, None)


def _disconnect(user_id: int) -> None:
    _never_mind()
    accounts_ui.disconnect(user_id)


def _delete(user_id: int) -> None:
    _never_mind()
    settings = data.settings()
    if settings.dashboard_mode == "shared":
        identity = signin.current_identity()
        own = data.user_for_identity(identity.issuer, identity.subject) if identity else None
        if own is None or int(own["id"]) != int(user_id):  # only ever this identity's own row
            st.session_state["settings_feedback"] = ("error", "Nothing to delete.")
            return
    delete_account(data.engine(), settings, data.cipher(), user_id=user_id)
    st.session_state.pop("dashboard_user", None)
    st.cache_data.clear()  # nothing of this account may linger in the page caches
    st.session_state["settings_feedback"] = (
        "success", "Deleted: this account's token, courses, assignments, grades and sync history are gone from "
                   "this dashboard. Canvas itself is unchanged.")


def buttons(user: dict[str, Any]) -> None:
    uid = int(user["id"])
    if user["has_token"]:
        st.button("Disconnect", key="disconnect", icon=":material/link_off:", on_click=_ask,
                  args=("disconnect", uid), width="stretch",
                  help="Forget the token; the cached data stays viewable")
    st.button("Delete my data", key="delete_data", icon=":material/delete:", on_click=_ask, args=("delete", uid),
              width="stretch", help="Remove the token and everything cached for this account (a shared computer)")


def confirmations(user: dict[str, Any], shared: bool) -> None:
    pending = st.session_state.get(CONFIRM_KEY)
    if not pending or pending[1] != int(user["id"]):
        return
    what, uid = pending
    with st.container(border=True, key="confirm_box"):
        if what == "disconnect":
            st.warning("Disconnect this Canvas account? The dashboard forgets the token and stops syncing; "
                       "your cached data stays viewable until you connect again.", icon=":material/link_off:")
            yes, label = _disconnect, "Yes, disconnect"
        else:
            st.warning("Delete everything this dashboard keeps for this account: the token, your courses, "
                       "assignments, grades and sync history? This cannot be undone (Canvas itself is not "
                       "touched).", icon=":material/delete:")
            yes, label = _delete, "Yes, delete my data"
        c1, c2 = st.columns(2)
        c1.button(label, key="confirm_yes", type="primary", on_click=yes, args=(uid,), width="stretch")
        c2.button("Cancel", key="confirm_no", on_click=_never_mind, width="stretch")


def replace_warning(user: dict[str, Any] | None, shared: bool) -> None:
    if user is None or shared:
        return
    st.caption(":material/swap_horiz: Connecting another account switches this dashboard to it. The current "
               "account stays selectable under **Account** in the sidebar while it has a token; Disconnect or "
               "Delete my data above to stop using it.")
