"""Settings: connect Canvas (checked live before saving), disconnect, or try the demo."""

import streamlit as st

from canvas.dashboard import accounts_ui
from canvas.dashboard.frame import render_frame

fr = render_frame("Settings", "⚙️", needs_user=False)
accounts_ui.show_feedback()

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
            st.error("Canvas rejected the saved token. Paste a new one below to reconnect.", icon="⚠️")
    with right:
        st.button("Disconnect", key="disconnect", icon="🔌", disabled=not u["has_token"],
                  on_click=accounts_ui.disconnect, args=(int(u["id"]),),
                  help="Forget the token; the cached data stays viewable")

st.subheader("Connect Canvas")
with st.form("connect", clear_on_submit=True, border=True):
    st.text_input("Canvas URL", key="connect_url", placeholder="https://school.instructure.com")
    st.text_input("Access token", key="connect_token", type="password",
                  help="Canvas → Account → Settings → New access token. It is checked with Canvas before "
                       "it is saved, stored encrypted, and never shown again.")
    st.form_submit_button("Check and save", icon="🔐", type="primary", on_click=accounts_ui.connect)

st.subheader("No Canvas account at hand?")
st.write("The demo starts a simulated Canvas inside the dashboard with a student who has six courses, "
         "then syncs it, so every page fills in within seconds.")
st.button("Try the demo", key="try_demo", icon="🚀", on_click=accounts_ui.try_demo)
