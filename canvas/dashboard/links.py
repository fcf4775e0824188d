"""Deep links into the Assignments list with a filter set (the Overview's Missing and Due cards).

`?status=missing` presets the Status filter; `?due=7d` shows only unsubmitted work due in the next
7 days (the same rows the Overview counts). A filter the student has since changed wins.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

ASSIGNMENTS_PAGE = "pages/1_Assignments.py"
DUE_WEEK = {"due": "7d"}
MISSING = {"status": "missing"}


def card_link(query: dict[str, str], label: str, container: Any = st) -> None:
    container.page_link(ASSIGNMENTS_PAGE, label=label, icon=":material/arrow_forward:", query_params=query)


def preset_filters(statuses: tuple[str, ...]) -> None:
    """Before the filter widgets are drawn: copy a deep link's filter into their state once."""
    query = st.query_params
    status = query.get("status")
    if status in statuses and "filter_status" not in st.session_state:
        st.session_state["filter_status"] = [status]
    if "filter_due_week" not in st.session_state:
        st.session_state["filter_due_week"] = query.get("due") == "7d"
