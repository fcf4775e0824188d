"""The dashboard and the fetch report decide missing and late by the same rule (canvas.analysis.status)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest

from canvas.dashboard import fmt
from canvas.models import assignment_row
from canvas.report.analyze import work_items

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
DUE = (NOW - timedelta(days=1)).isoformat()


def assignment(sub: dict[str, Any] | None) -> dict[str, Any]:
    return {"id": 5, "name": "Essay", "assignment_group_id": 1, "due_at": DUE, "points_possible": 10,
            "grading_type": "points", "submission_types": ["online_upload"], "published": True,
            "html_url": "https://canvas.example/a/5", "submission": sub}


@pytest.mark.parametrize("sub", [
    {"missing": True, "score": None, "workflow_state": "unsubmitted"},
    {"missing": True, "late_policy_status": "missing", "score": 0, "workflow_state": "graded"},
    # Canvas's flag says no although the policy status says missing (a custom grade status is set).
    {"missing": False, "late_policy_status": "missing", "custom_grade_status_id": 3, "score": 0},
    {"missing": False, "late_policy_status": "none", "score": None, "workflow_state": "unsubmitted"},
    {"late": True, "score": 7, "submitted_at": DUE, "workflow_state": "graded"},
    {"late": False, "late_policy_status": "late", "score": 7, "workflow_state": "graded"},
    {"missing": True, "late": True, "excused": True, "score": None},
    None,
], ids=["flag", "policy-and-flag", "custom-status", "policy-none", "late", "stale-late-policy", "excused",
        "no-submission"])
def test_dashboard_and_report_agree_on_missing_and_late(sub: dict[str, Any] | None) -> None:
    raw = assignment(sub)
    shown = fmt.enrich(pd.DataFrame([assignment_row(1, 1, raw)]), NOW, fmt.zone("UTC")).iloc[0]
    (item,) = work_items({"id": 1, "name": "Course"}, [{"id": 1, "assignments": [raw]}])
    assert ("missing" in shown["tags"]) is item.missing
    assert ("late" in shown["tags"]) is item.late
    # and both follow Canvas's flags, never the policy status on its own
    canvas_sub = sub or {}
    assert item.missing is (bool(canvas_sub.get("missing")) and not canvas_sub.get("excused"))
