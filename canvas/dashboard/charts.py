"""Plotly figure builders: pure functions from a DataFrame to a Figure (no Streamlit, no I/O).

Every Canvas string that reaches a label goes through `fmt.plot_text`, because plotly interprets
a subset of HTML (<b>, <a href>, <br>) in text.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import plotly.graph_objects as go

from canvas.dashboard.fmt import plot_text

PALETTE = ["#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2", "#B279A2", "#FF9DA6", "#9D755D", "#BAB0AC",
           "#EECA3B"]
OUTCOME_COLORS = {"success": "#54A24B", "failed": "#E45756", "abandoned": "#BAB0AC", "running": "#4C78A8"}



def _figure(traces: list[dict[str, Any]], title: str, height: int = 360, **layout: Any) -> go.Figure:
    """A figure from plain data, unvalidated: our builders pass known-good properties, and plotly's
    per-property validation dominated page time (one `update_layout` ~10 ms, the dict ~1 ms).
    A nested dict in `layout` merges into the default one of that name (the legend); others replace."""
    spec = _layout_dict(title, height)
    for key, value in layout.items():
        if value == {}:  # e.g. no time window to set
            continue
        base = spec.get(key)
        spec[key] = {**base, **value} if isinstance(base, dict) and isinstance(value, dict) else value
    return go.Figure({"data": traces, "layout": spec}, _validate=False)


def _layout_dict(title: str, height: int = 360) -> dict[str, Any]:
    return {"title": {"text": title, "x": 0, "xanchor": "left"}, "height": height,
            "margin": {"l": 10, "r": 10, "t": 50, "b": 10},
            # axis titles get room however narrow the screen (at 390 px the left one was cut)
            "yaxis": {"automargin": True}, "xaxis": {"automargin": True},
            "legend": {"orientation": "h", "yanchor": "top", "y": -0.18, "xanchor": "left", "x": 0}}


def _axis_title(text: str, **props: Any) -> dict[str, Any]:
    return {"title": {"text": text}, **props}


def _empty(title: str, message: str) -> go.Figure:
    note = {"text": message, "showarrow": False, "x": 0.5, "y": 0.5, "xref": "paper", "yref": "paper",
            "font": {"size": 14, "color": "#888"}}
    return _figure([], title, height=220, annotations=[note], xaxis={"visible": False}, yaxis={"visible": False})


def _time_window(times: pd.Series) -> dict[str, Any]:
    """With points only seconds apart (a first sync), show a readable window instead of milliseconds."""
    lo, hi = times.min(), times.max()
    if pd.isna(lo) or hi - lo >= pd.Timedelta(hours=2):
        return {}
    return {"range": [lo - pd.Timedelta(hours=1), hi + pd.Timedelta(hours=1)], "tickformat": "%b %d %H:%M"}


def _short(name: str, limit: int = 28) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def course_scores(courses: pd.DataFrame) -> go.Figure:
    """Current and final score per course (Canvas's own numbers), as grouped horizontal bars."""
    title = "Current and final score by course"
    df = courses.dropna(subset=["current_score", "final_score"], how="all") if not courses.empty else courses
    if df.empty:
        return _empty(title, "No course scores yet (Canvas may hide totals)")
    df = df.sort_values("name", ascending=False)
    labels = [plot_text(_short(n)) for n in df["name"]]
    full = [plot_text(n) for n in df["name"]]
    traces = []
    for col, name, color in (("final_score", "Final", "#F58518"), ("current_score", "Current", "#4C78A8")):
        values = df[col]
        traces.append({"type": "bar", "y": labels, "x": values, "name": name, "orientation": "h",
                       "marker": {"color": color}, "textposition": "auto", "customdata": full,
                       "text": [f"{v:.2f}%" if pd.notna(v) else "hidden" for v in values],
                       "hovertemplate": "%{customdata}<br>" + name + ": %{x:.2f}%<extra></extra>"})
    top = max(100.0, float(df[["current_score", "final_score"]].max().max()))
    return _figure(traces, title, height=max(300, 110 + 55 * len(df)), barmode="group",
                   xaxis=_axis_title("Score (%)", range=[0, top]), yaxis={"automargin": True},
                   legend={"traceorder": "reversed", "y": 1.0, "yanchor": "bottom", "xanchor": "right", "x": 1})


HISTORY_NOTE = "Builds up as syncs see your scores change"
PLOTLY_CONFIG = {"displayModeBar": False}  # no toolbar over the chart titles (a phone has room for neither)


def score_history(snapshots: pd.DataFrame, tz: ZoneInfo) -> go.Figure:
    """Current score per course over the syncs that saw it change (stored snapshots)."""
    title = "Current score over time"
    df = snapshots.dropna(subset=["current_score"]) if not snapshots.empty else snapshots
    if df.empty:
        return _empty(title, "No score history yet: it grows with every sync that sees a change")
    traces = []
    for i, (cid, part) in enumerate(df.groupby("course_id", sort=True)):
        part = part.sort_values("taken_at")
        name = plot_text(_short(str(part["course_name"].iloc[0])))
        traces.append({"type": "scatter", "x": part["taken_at"].dt.tz_convert(tz), "y": part["current_score"],
                       "mode": "lines+markers", "name": name,
                       "line": {"color": PALETTE[i % len(PALETTE)], "shape": "hv"},
                       "hovertemplate": name + "<br>%{x|%b %d %H:%M}: %{y:.2f}%<extra></extra>",
                       "legendgroup": str(cid)})
    fig = _figure(traces, title, height=400, yaxis=_axis_title("Current score (%)"),
                  xaxis=_time_window(df["taken_at"].dt.tz_convert(tz)), margin={"t": 70})
    fig.layout.title.subtitle.text = HISTORY_NOTE  # history is what syncs saw: say so under the title
    return fig


def score_distribution(assignments: pd.DataFrame) -> go.Figure:
    """Per-assignment score (% of points) per course, graded work only."""
    title = "Assignment scores by course"
    df = assignments.dropna(subset=["percent"]) if not assignments.empty else assignments
    if df.empty:
        return _empty(title, "No graded assignments yet")
    traces = []
    for i, (_, part) in enumerate(df.groupby("course_name", sort=True)):
        name = plot_text(_short(str(part["course_name"].iloc[0])))
        traces.append({"type": "box", "x": part["percent"], "name": name, "boxpoints": "all", "jitter": 0.4,
                       "pointpos": 0, "orientation": "h",
                       "marker": {"color": PALETTE[i % len(PALETTE)], "size": 5, "opacity": 0.6},
                       "customdata": [plot_text(n) for n in part["name"]],
                       "hovertemplate": "%{customdata}: %{x:.1f}%<extra></extra>", "showlegend": False})
    return _figure(traces, title, height=max(260, 70 + 60 * df["course_name"].nunique()),
                   xaxis=_axis_title("Score (% of points)"), yaxis={"automargin": True, "autorange": "reversed"})


def group_breakdown(groups: pd.DataFrame, recomputed: bool = True) -> go.Figure:
    """One course's assignment groups: score so far per group (bar) with the group weight in the label.
    `recomputed=False`: the course could not be recomputed, so there are no group numbers to show."""
    title = "By assignment group"
    df = groups if groups.empty else groups.dropna(subset=["percent"])
    if df.empty:
        return _empty(title, "No graded work in any group yet" if recomputed else "Not available for this course")
    labels = []
    for name, weight in zip(df["name"], df["weight"], strict=True):
        label = plot_text(_short(str(name), 32))
        labels.append(f"{label} ({weight:g}%)" if pd.notna(weight) and weight else label)
    bar = {"type": "bar", "y": labels, "x": df["percent"], "orientation": "h", "marker": {"color": "#4C78A8"},
           "text": [f"{v:.2f}%" for v in df["percent"]], "textposition": "auto",
           "hovertemplate": "%{y}: %{x:.2f}%<extra></extra>"}
    return _figure([bar], title, height=max(220, 70 + 40 * len(df)),
                   xaxis=_axis_title("Score so far (%)", range=[0, max(100.0, float(df["percent"].max()))]),
                   yaxis={"automargin": True, "autorange": "reversed"})


def due_timeline(assignments: pd.DataFrame, now: datetime, tz: ZoneInfo, days: int = 14) -> go.Figure:
    """Unsubmitted work per day over the next `days` days, stacked by course."""
    title = f"Work due in the next {days} days"
    if assignments.empty:
        return _empty(title, "Nothing due")
    end = now + timedelta(days=days)
    df = assignments[["course_name", "due_at", "unsubmitted"]]  # filter three columns, not all of them
    df = df[df["unsubmitted"].astype(bool) & df["due_at"].notna() & (df["due_at"] >= now) & (df["due_at"] <= end)]
    if df.empty:
        return _empty(title, "Nothing due in the next two weeks")
    start = pd.Timestamp(now).tz_convert(tz).normalize()
    days_local = [(start + pd.Timedelta(days=d)) for d in range(days + 1)]
    all_days = [d.strftime("%Y-%m-%d") for d in days_local]
    # Count per (course, local day) with a Counter (pd.crosstab cost ~10 ms for a few dozen rows).
    local_days = df["due_at"].dt.tz_convert(tz).dt.strftime("%Y-%m-%d").tolist()
    counts = Counter((c, d) for c, d in zip(df["course_name"].tolist(), local_days, strict=True) if pd.notna(c))
    traces = []
    for i, course in enumerate(sorted({c for c, _ in counts})):
        name = plot_text(_short(str(course)))
        traces.append({"type": "bar", "x": all_days, "y": [counts[(course, d)] for d in all_days], "name": name,
                       "marker": {"color": PALETTE[i % len(PALETTE)]},
                       "hovertemplate": "%{x}: %{y} due<extra>" + name + "</extra>"})
    return _figure(traces, title, height=400, barmode="stack", legend={"y": -0.3},
                   xaxis={"type": "category", "tickformat": "%a %d", "tickvals": all_days,
                          "ticktext": [d.strftime("%a %d") for d in days_local]},
                   yaxis=_axis_title("Assignments", dtick=1))


def sync_durations(runs: pd.DataFrame, tz: ZoneInfo) -> go.Figure:
    """Duration of each finished sync over time, coloured by outcome, one marker shape per kind."""
    title = "Sync durations"
    df = runs.dropna(subset=["duration_s"]) if not runs.empty else runs
    if df.empty:
        return _empty(title, "No finished syncs yet")
    traces = []
    for outcome, part in df.groupby("outcome", sort=True):
        symbols = ["circle" if k == "full" else "diamond" for k in part["kind"]]
        traces.append({"type": "scatter", "x": part["started_at"].dt.tz_convert(tz), "y": part["duration_s"],
                       "mode": "markers", "name": str(outcome),
                       "marker": {"color": OUTCOME_COLORS.get(str(outcome), "#888"), "size": 10, "symbol": symbols},
                       "customdata": list(zip(part["kind"], part["trigger"], part["requests"], strict=True)),
                       "hovertemplate": "%{x|%b %d %H:%M:%S}<br>%{y:.2f} s · %{customdata[0]} "
                                        "(%{customdata[1]}) · %{customdata[2]} requests<extra></extra>"})
    return _figure(traces, title, height=320, yaxis=_axis_title("Seconds", rangemode="tozero"),
                   xaxis=_time_window(df["started_at"].dt.tz_convert(tz)))


def group_contribution(contrib: pd.DataFrame) -> go.Figure:
    """Percentage points each assignment group adds to the current and the final grade (stacked bars).

    `contrib` is `whatif_data.group_contributions()`: one row per (variant, group) with `earned`
    and `available`; the grey tail is what the groups could still have added.
    """
    title = "What each group adds to the grade"
    if contrib.empty:
        return _empty(title, "No graded work in any group yet")
    variants = [("final", "Final"), ("current", "Current")]
    labels = [label for _, label in variants]
    traces = []
    for i, gid in enumerate(dict.fromkeys(contrib["group_id"])):
        part = contrib[contrib["group_id"] == gid].set_index("variant")
        name = plot_text(_short(str(part["name"].iloc[0]), 32))
        xs = [float(part.loc[v, "earned"]) if v in part.index else 0.0 for v, _ in variants]
        traces.append({"type": "bar", "y": labels, "x": xs, "name": name, "orientation": "h",
                       "marker": {"color": PALETTE[i % len(PALETTE)]},
                       "text": [f"{x:.1f}" if x >= 4 else "" for x in xs], "textposition": "inside",
                       "insidetextanchor": "middle",
                       "hovertemplate": name + "<br>%{y}: +%{x:.2f} percentage points<extra></extra>"})
    missed = []
    for v, _ in variants:
        part = contrib[contrib["variant"] == v]
        missed.append(max(0.0, float(part["available"].sum() - part["earned"].sum())) if not part.empty else 0.0)
    traces.append({"type": "bar", "y": labels, "x": missed, "name": "Not earned", "orientation": "h",
                   "marker": {"color": "#E6E6E6"},
                   "hovertemplate": "%{y}: %{x:.2f} percentage points not earned<extra></extra>"})
    return _figure(traces, title, height=320, barmode="stack",
                   xaxis={"range": [0, 100], "ticksuffix": "", **_axis_title("Percentage points of the grade")},
                   yaxis={"automargin": True}, legend={"y": -0.3, "traceorder": "normal"})


def course_trend(snapshots: pd.DataFrame, graded: pd.DataFrame, tz: ZoneInfo) -> go.Figure:
    """One course over time: Canvas's current score at each sync (line) and each grade by graded date.

    `snapshots`: rows of `reads.score_snapshots()` for the course; `graded`: enriched assignments of
    the course with `graded_at`, `percent` and `name`.
    """
    title = "Grades over time"
    snaps = snapshots.dropna(subset=["current_score"]) if not snapshots.empty else snapshots
    marks = graded.dropna(subset=["percent", "graded_at"]) if not graded.empty else graded
    if snaps.empty and marks.empty:
        return _empty(title, "No graded work yet")
    traces = []
    if not marks.empty:
        marks = marks.sort_values("graded_at")
        traces.append({"type": "scatter", "x": marks["graded_at"].dt.tz_convert(tz), "y": marks["percent"],
                       "mode": "markers", "name": "Assignment grade (graded date)",
                       "marker": {"color": "#72B7B2", "size": 7, "opacity": 0.75},
                       "customdata": [plot_text(n) for n in marks["name"]],
                       "hovertemplate": "%{customdata}<br>%{x|%b %d}: %{y:.1f}%<extra></extra>"})
    if not snaps.empty:
        snaps = snaps.sort_values("taken_at")
        traces.append({"type": "scatter", "x": snaps["taken_at"].dt.tz_convert(tz), "y": snaps["current_score"],
                       "mode": "lines+markers", "name": "Canvas current score (at each sync)",
                       "line": {"color": "#4C78A8", "shape": "hv", "width": 3},
                       "hovertemplate": "%{x|%b %d %H:%M}: %{y:.2f}%<extra></extra>"})
    return _figure(traces, title, height=340, yaxis=_axis_title("Score (%)", rangemode="tozero"))


def stakes_per_week(load: pd.DataFrame, first_week: pd.Timestamp, weeks: int = 8) -> go.Figure:
    """Points of final grades at stake per week, stacked by course (`stakes_data.weekly_load` rows).

    A course's points are percentage points of that course's final grade, so the stack reads as
    "how much of my grades is decided this week", not a sum with meaning of its own."""
    title = f"Points at stake per week (next {weeks} weeks)"
    if load.empty:
        return _empty(title, "Nothing with points at stake is due")
    start = pd.Timestamp(first_week).tz_localize(None) if pd.Timestamp(first_week).tzinfo else first_week
    week_list = [start + pd.Timedelta(weeks=w) for w in range(weeks)]
    keys = [w.strftime("%Y-%m-%d") for w in week_list]
    cells = {(c, w.strftime("%Y-%m-%d")): (p, n) for w, c, p, n in
             zip(load["week"].tolist(), load["course_name"].tolist(), load["points"].tolist(),
                 load["count"].tolist(), strict=True)}
    traces = []
    for i, course in enumerate(sorted({c for c, _ in cells})):
        name = plot_text(_short(str(course)))
        values = [cells.get((course, k), (0.0, 0)) for k in keys]
        traces.append({"type": "bar", "x": keys, "y": [round(p, 2) for p, _ in values], "name": name,
                       "customdata": [n for _, n in values], "marker": {"color": PALETTE[i % len(PALETTE)]},
                       "hovertemplate": "Week of %{x}: %{y:.1f} pts in %{customdata} due<extra>" + name
                                        + "</extra>"})
    return _figure(traces, title, height=400, barmode="stack", legend={"y": -0.3},
                   xaxis={"type": "category", "tickvals": keys, "ticktext": [w.strftime("%b %d") for w in week_list]},
                   yaxis=_axis_title("Points of the final grade"))
