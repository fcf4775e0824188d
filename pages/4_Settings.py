"""Settings: connect Canvas, disconnect, or try the demo.

Personal mode: paste a personal access token (checked live before saving) or try the demo.
Shared mode: "Connect Canvas" (OAuth2: this page is CANVAS_OAUTH_REDIRECT_URI, so Canvas sends the
browser back here with ?code&state); pasted tokens only when the operator allows them; no demo.
"""

import streamlit as st

from canvas.accounts import pasted_tokens_allowed
from canvas.dashboard import account_actions, accounts_ui, notify_ui
from canvas.dashboard.frame import render_frame

fr = render_frame("Settings", "⚙️", needs_user=False)
if accounts_ui.handle_oauth_callback(fr.identity):
    st.rerun()  # the frame picks up the newly connected account; the feedback survives the rerun
accounts_ui.show_feedback()
pasting = pasted_tokens_allowed(fr.settings)

st.subheader("Canvas account")
if fr.user is None:
    st.caption("No account connected.")
else:
    u = fr.user
    left, right = st.columns([3, 1])
    with left:
        st.text(f"Student: {u['name'] or '—'}")
        st.text(f"Canvas:  {u['base_url']}")
        st.text(f"Token:   {u['token_hint'] or '(none saved)'}" if u["has_token"] else "Token:   (disconnected)")
        if u["token_state"] == "invalid":
            st.error("Canvas refused the saved connection. Connect Canvas again below." if fr.shared else
                     "Canvas rejected the saved token. Paste a new one below to reconnect.", icon=":material/warning:")
    with right:
        account_actions.buttons(u)
    account_actions.confirmations(u, fr.shared)

if fr.user is not None:
    notify_ui.section(fr)

if fr.shared:
    st.subheader("Connect Canvas")
    st.write("Sign in to Canvas and allow this dashboard to read your courses, assignments and grades. "
             "You can revoke it any time with Disconnect, or in Canvas under Account → Settings.")
    with st.form("oauth_connect", border=True):
        st.text_input("Canvas URL", key="oauth_url", placeholder="https://school.instructure.com",
                      value=str(fr.user["base_url"]) if fr.user else "")
        st.form_submit_button("Connect Canvas", icon=":material/link:", type="primary",
                              on_click=accounts_ui.start_connect)
    authorize = accounts_ui.authorize_url(fr.identity)
    if authorize:
        st.link_button("Continue to Canvas", authorize, icon=":material/open_in_new:", type="primary")
        st.caption("Canvas asks you to authorize the dashboard, then sends you back to this page.")

if pasting:
    st.subheader("Or paste an access token" if fr.shared else
                 "Connect a different Canvas account" if fr.user is not None else "Connect Canvas")
    account_actions.replace_warning(fr.user, fr.shared)
    # What was typed stays after a failed check (the token field is emptied once it is saved).
    with st.form("connect", clear_on_submit=False, border=True):
        st.text_input("Canvas URL", key="connect_url", placeholder="https://school.instructure.com")
        st.text_input("Access token", key="connect_token", type="password",
                      help="Canvas → Account → Settings → New access token. It is checked with Canvas before "
                           "it is saved, stored encrypted, and never shown again.")
        st.form_submit_button("Check and save", icon=":material/lock:", type="primary", on_click=accounts_ui.connect)

if not fr.shared:
    st.subheader("No Canvas account at hand?")
    st.write("The demo starts a simulated Canvas inside the dashboard with a student who has six courses, "
             "then syncs it, so every page fills in within seconds.")
    if fr.user is not None:
        st.caption("The demo is a separate account: the dashboard switches to it (pick this one again under "
                   "Account in the sidebar).")
    st.button("Try the demo", key="try_demo", icon=":material/rocket_launch:", on_click=accounts_ui.try_demo)
