""""You vs class": Canvas's per-assignment score statistics beside the student's own score.

Canvas sends ``score_statistics`` {min, max, mean, upper_q, median, lower_q} on an assignment
(``include[]=score_statistics``) only when the course shows statistics and enough students were
graded (canvas-api.md §10); assignments without them are simply left out. Pure except `figure`,
which only builds a Plotly figure. Values are in points, as Canvas sends them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from canvas.dashboard.fmt import plot_text

STATS = ("min", "lower_q", "median", "mean", "upper_q", "max")
COLUMNS = ["assignment_id", "name", "points_possible", "you", *STATS]


def _num(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def you_vs_class(raw: Mapping[str, Any]) -> pd.DataFrame:
    """One row per assignment with statistics: your visible score and the class's spread (points)."""
    rows = []
    for g in raw.get("groups") or []:
        for a in g.get("assignments") or []:
            stats = a.get("score_statistics")
            if not isinstance(stats, Mapping):
                continue
            values = {k: _num(stats.get(k)) for k in STATS}
            if values["mean"] is None and values["median"] is None:
                continue
            sub = a.get("submission") or {}
            # an unposted grade has no score on the student's submission: nothing to compare yet
            you = None if sub.get("excused") else _num(sub.get("score"))
            rows.append({"assignment_id": str(a.get("id")), "name": str(a.get("name") or a.get("id")),
                         "points_possible": _num(a.get("points_possible")), "you": you, **values})
    return pd.DataFrame(rows, columns=COLUMNS)


def figure(stats: pd.DataFrame) -> go.Figure:
    """Per assignment: the class's range and quartiles (box) and your score (diamond)."""
    fig = go.Figure()
    names = [plot_text(n if len(n) <= 28 else n[:27] + "…") for n in stats["name"]]
    fig.add_trace(go.Box(
        y=names, q1=stats["lower_q"], median=stats["median"], q3=stats["upper_q"], lowerfence=stats["min"],
        upperfence=stats["max"], mean=stats["mean"], orientation="h", name="Class", marker={"color": "#9AA5B1"},
        hoverinfo="x"))
    fig.add_trace(go.Scatter(
        y=names, x=stats["you"], mode="markers", name="You",
        marker={"symbol": "diamond", "size": 12, "color": "#E45756"},
        hovertemplate="You: %{x:g} pts<extra></extra>"))
    fig.update_layout(title="You vs class (points)", height=max(260, 90 + 48 * len(stats)),
                      margin={"l": 10, "r": 10, "t": 50, "b": 40}, yaxis={"automargin": True, "autorange": "reversed"},
                      xaxis={"title": {"text": "Points"}}, legend={"orientation": "h", "y": -0.2})
    return fig
