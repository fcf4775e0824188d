"""Phone layout helpers.

Streamlit collapses the sidebar on narrow screens at load (initial_sidebar_state="auto"), and its
own page menu closes it after a tap, but `st.page_link` (our sidebar links) does not: on a phone
the menu would stay over the page just opened. This script closes it after a tap on a sidebar
link, under the same breakpoint Streamlit uses (768 px).
"""

from __future__ import annotations

import streamlit as st

BREAKPOINT_PX = 768

_SCRIPT = """<script>
(function () {
  if (window.__canvasNavCloses) return;  // one listener per browser tab, however often this runs
  window.__canvasNavCloses = true;
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest('[data-testid="stSidebar"] a');
    if (!link || window.innerWidth >= BREAKPOINT) return;
    var close = document.querySelector('[data-testid="stSidebar"] button[aria-label="Collapse sidebar"]');
    if (close) setTimeout(function () { close.click(); }, 0);
  }, true);
})();
</script>""".replace("BREAKPOINT", str(BREAKPOINT_PX))


def close_sidebar_after_navigation() -> None:
    st.html(_SCRIPT, unsafe_allow_javascript=True, width="content")
