"""Per-assignment-group breakdown of one course (pure).

Uses the Canvas-exact calculator (`canvas.analysis`) on the cached raw JSON, so drop rules and
hidden scores are treated as Canvas does; falls back to plain kept-points sums if the calculator
refuses the input. The what-if / target-grade tools (issue 5) build on the same inputs.
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

log = logging.getLogger(__name__)

COLUMNS = ["group_id", "name", "weight", "percent", "score", "possible", "dropped"]


def group_breakdown(inputs: dict[str, Any]) -> pd.DataFrame:
    """inputs = reads.grade_inputs(): {"course": raw course, "groups": raw groups with assignments}."""
    groups = inputs.get("groups") or []
    if not groups:
        return pd.DataFrame(columns=COLUMNS)
    try:
        return _exact(inputs["course"], groups)
    except Exception as exc:  # the calculator is strict about input shapes; the chart must still render
        log.warning("grade calculator refused course input (%s); using simple sums", type(exc).__name__)
        return _simple(groups)


def _exact(course: dict[str, Any], groups: list[dict[str, Any]]) -> pd.DataFrame:
    from canvas.analysis.gradecalc_io import from_canvas
    from canvas.analysis.grades import calculate

    result = calculate(from_canvas(groups, course))
    by_id = {str(g["id"]): g for g in groups}
    rows = []
    for g in result.groups:
        raw = by_id.get(str(g.id), {})
        rows.append({
            "group_id": g.id, "name": str(raw.get("name") or g.id),
            "weight": float(raw["group_weight"]) if raw.get("group_weight") is not None else None,
            "percent": float(g.current_percent) if g.current_percent is not None else None,
            "score": float(g.current_score), "possible": float(g.current_possible),
            "dropped": len(g.current_dropped),
        })
    return pd.DataFrame(rows, columns=COLUMNS)


def _simple(groups: list[dict[str, Any]]) -> pd.DataFrame:
    rows = []
    for g in groups:
        score = possible = 0.0
        for a in g.get("assignments") or []:
            sub = a.get("submission") or {}
            if a.get("omit_from_final_grade") or sub.get("excused") or sub.get("score") is None:
                continue
            if a.get("points_possible"):
                score += float(sub["score"])
                possible += float(a["points_possible"])
        rows.append({"group_id": str(g.get("id")), "name": str(g.get("name") or ""),
                     "weight": float(g["group_weight"]) if g.get("group_weight") is not None else None,
                     "percent": score / possible * 100 if possible else None,
                     "score": score, "possible": possible, "dropped": 0})
    return pd.DataFrame(rows, columns=COLUMNS)
