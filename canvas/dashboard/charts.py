"""Plotly figure builders: pure functions from a DataFrame to a Figure (no Streamlit, no I/O).

Every Canvas string that reaches a label goes through `fmt.plot_text`, because plotly interprets
a subset of HTML (<b>, <a href>, <br>) in text.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import plotly.graph_objects as go

from canvas.dashboard.fmt import plot_text

PALETTE = ["#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2", "#B279A2", "#FF9DA6", "#9D755D", "#BAB0AC",
           "#EECA3B"]
OUTCOME_COLORS = {"success": "#54A24B", "failed": "#E45756", "abandoned": "#BAB0AC", "running": "#4C78A8"}



def _figure() -> go.Figure:
    """An empty figure that skips plotly's per-property validation: our builders pass known-good
    properties, and validating every trace and axis update dominated page time (~5x)."""
    return go.Figure(_validate=False)


def _layout_dict(title: str, height: int = 360) -> dict:
    return {"title": {"text": title, "x": 0, "xanchor": "left"}, "height": height,
            "margin": {"l": 10, "r": 10, "t": 50, "b": 10},
            "legend": {"orientation": "h", "yanchor": "top", "y": -0.18, "xanchor": "left", "x": 0}}


def _layout(fig: go.Figure, *, title: str, height: int = 360, **extra: object) -> go.Figure:
    fig.update_layout(title={"text": title, "x": 0, "xanchor": "left"}, height=height,
                      margin={"l": 10, "r": 10, "t": 50, "b": 10},
                      legend={"orientation": "h", "yanchor": "top", "y": -0.18, "xanchor": "left", "x": 0},
                      **extra)
    return fig


def _empty(title: str, message: str) -> go.Figure:
    fig = _figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                       font={"size": 14, "color": "#888"})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, title=title, height=220)


def _pad_time_axis(fig: go.Figure, times: pd.Series) -> None:
    """With points only seconds apart (a first sync), show a readable window instead of milliseconds."""
    lo, hi = times.min(), times.max()
    if pd.isna(lo) or hi - lo >= pd.Timedelta(hours=2):
        return
    fig.update_xaxes(range=[lo - pd.Timedelta(hours=1), hi + pd.Timedelta(hours=1)], tickformat="%b %d %H:%M")


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
    fig = _figure()
    for col, name, color in (("final_score", "Final", "#F58518"), ("current_score", "Current", "#4C78A8")):
        values = df[col]
        fig.add_bar(y=labels, x=values, name=name, orientation="h", marker_color=color,
                    text=[f"{v:.1f}%" if pd.notna(v) else "hidden" for v in values], textposition="auto",
                    customdata=full, hovertemplate="%{customdata}<br>" + name + ": %{x:.2f}%<extra></extra>")
    fig.update_xaxes(title="Score (%)", range=[0, max(100.0, float(df[["current_score", "final_score"]].max().max()))])
    fig.update_yaxes(automargin=True)
    _layout(fig, title=title, height=max(300, 110 + 55 * len(df)), barmode="group", legend_traceorder="reversed")
    fig.update_layout(legend={"y": 1.0, "yanchor": "bottom", "xanchor": "right", "x": 1})
    return fig


def score_history(snapshots: pd.DataFrame, tz: ZoneInfo) -> go.Figure:
    """Current score per course over the syncs that saw it change (stored snapshots)."""
    title = "Current score over time"
    df = snapshots.dropna(subset=["current_score"]) if not snapshots.empty else snapshots
    if df.empty:
        return _empty(title, "No score history yet: it grows with every sync that sees a change")
    fig = _figure()
    for i, (cid, part) in enumerate(df.groupby("course_id", sort=True)):
        part = part.sort_values("taken_at")
        name = plot_text(_short(str(part["course_name"].iloc[0])))
        fig.add_scatter(x=part["taken_at"].dt.tz_convert(tz), y=part["current_score"], mode="lines+markers",
                        name=name, line={"color": PALETTE[i % len(PALETTE)], "shape": "hv"},
                        hovertemplate=name + "<br>%{x|%b %d %H:%M}: %{y:.2f}%<extra></extra>",
                        legendgroup=str(cid))
    fig.update_yaxes(title="Current score (%)")
    _pad_time_axis(fig, df["taken_at"].dt.tz_convert(tz))
    return _layout(fig, title=title, height=400)


def score_distribution(assignments: pd.DataFrame) -> go.Figure:
    """Per-assignment score (% of points) per course, graded work only."""
    title = "Assignment scores by course"
    df = assignments.dropna(subset=["percent"]) if not assignments.empty else assignments
    if df.empty:
        return _empty(title, "No graded assignments yet")
    fig = _figure()
    for i, (_, part) in enumerate(df.groupby("course_name", sort=True)):
        name = plot_text(_short(str(part["course_name"].iloc[0])))
        fig.add_box(x=part["percent"], name=name, boxpoints="all", jitter=0.4, pointpos=0, orientation="h",
                    marker={"color": PALETTE[i % len(PALETTE)], "size": 5, "opacity": 0.6},
                    customdata=[plot_text(n) for n in part["name"]],
                    hovertemplate="%{customdata}: %{x:.1f}%<extra></extra>", showlegend=False)
    fig.update_xaxes(title="Score (% of points)")
    fig.update_yaxes(automargin=True, autorange="reversed")
    return _layout(fig, title=title, height=max(260, 70 + 60 * df["course_name"].nunique()))


def group_breakdown(groups: pd.DataFrame) -> go.Figure:
    """One course's assignment groups: score so far per group (bar) with the group weight in the label."""
    title = "By assignment group"
    df = groups if groups.empty else groups.dropna(subset=["percent"])
    if df.empty:
        return _empty(title, "No graded work in any group yet")
    labels = []
    for name, weight in zip(df["name"], df["weight"], strict=True):
        label = plot_text(_short(str(name), 32))
        labels.append(f"{label} ({weight:g}%)" if pd.notna(weight) and weight else label)
    fig = go.Figure(go.Bar(y=labels, x=df["percent"], orientation="h", marker_color="#4C78A8",
                           text=[f"{v:.1f}%" for v in df["percent"]], textposition="auto",
                           hovertemplate="%{y}: %{x:.2f}%<extra></extra>"))
    fig.update_xaxes(title="Score so far (%)", range=[0, max(100.0, float(df["percent"].max()))])
    fig.update_yaxes(automargin=True, autorange="reversed")
    return _layout(fig, title=title, height=max(220, 70 + 40 * len(df)))


def due_timeline(assignments: pd.DataFrame, now: datetime, tz: ZoneInfo, days: int = 14) -> go.Figure:
    """Unsubmitted work per day over the next `days` days, stacked by course."""
    title = f"Work due in the next {days} days"
    if assignments.empty:
        return _empty(title, "Nothing due")
    end = now + timedelta(days=days)
    df = assignments[["course_name", "due_at", "unsubmitted"]]  # filter three columns, not all of them
    df = df[df["unsubmitted"].astype(bool) & df["due_at"].notna() & (df["due_at"] >= now) & (df["due_at"] <= end)]
    if df.empty:
        return _empty(title, "Nothing due in the next two weeks 🎉")
    start = pd.Timestamp(now).tz_convert(tz).normalize()
    days_local = [(start + pd.Timedelta(days=d)) for d in range(days + 1)]
    all_days = [d.strftime("%Y-%m-%d") for d in days_local]
    # Count per (course, local day) with a Counter (pd.crosstab cost ~10 ms for a few dozen rows);
    # the figure is built as plain data (no validation).
    local_days = df["due_at"].dt.tz_convert(tz).dt.strftime("%Y-%m-%d").tolist()
    counts = Counter((c, d) for c, d in zip(df["course_name"].tolist(), local_days, strict=True) if pd.notna(c))
    traces = []
    for i, course in enumerate(sorted({c for c, _ in counts})):
        name = plot_text(_short(str(course)))
        traces.append({"type": "bar", "x": all_days, "y": [counts[(course, d)] for d in all_days], "name": name,
                       "marker": {"color": PALETTE[i % len(PALETTE)]},
                       "hovertemplate": "%{x}: %{y} due<extra>" + name + "</extra>"})
    layout = _layout_dict(title, height=400)
    layout["legend"]["y"] = -0.3
    layout.update(barmode="stack",
                  xaxis={"type": "category", "tickformat": "%a %d", "tickvals": all_days,
                         "ticktext": [d.strftime("%a %d") for d in days_local]},
                  yaxis={"title": {"text": "Assignments"}, "dtick": 1})
    return go.Figure({"data": traces, "layout": layout}, _validate=False)


def sync_durations(runs: pd.DataFrame, tz: ZoneInfo) -> go.Figure:
    """Duration of each finished sync over time, coloured by outcome, one marker shape per kind."""
    title = "Sync durations"
    df = runs.dropna(subset=["duration_s"]) if not runs.empty else runs
    if df.empty:
        return _empty(title, "No finished syncs yet")
    fig = _figure()
    for outcome, part in df.groupby("outcome", sort=True):
        symbols = ["circle" if k == "full" else "diamond" for k in part["kind"]]
        fig.add_scatter(x=part["started_at"].dt.tz_convert(tz), y=part["duration_s"], mode="markers",
                        name=str(outcome), marker={"color": OUTCOME_COLORS.get(str(outcome), "#888"),
                                                   "size": 10, "symbol": symbols},
                        customdata=list(zip(part["kind"], part["trigger"], part["requests"], strict=True)),
                        hovertemplate="%{x|%b %d %H:%M:%S}<br>%{y:.2f} s · %{customdata[0]} "
                                      "(%{customdata[1]}) · %{customdata[2]} requests<extra></extra>")
    fig.update_yaxes(title="Seconds", rangemode="tozero")
    _pad_time_axis(fig, df["started_at"].dt.tz_convert(tz))
    return _layout(fig, title=title, height=320)


def group_contribution(contrib: pd.DataFrame) -> go.Figure:
    """Percentage points each assignment group adds to the current and the final grade (stacked bars).

    `contrib` is `whatif_data.group_contributions()`: one row per (variant, group) with `earned`
    and `available`; the grey tail is what the groups could still have added.
    """
    title = "What each group adds to the grade"
    if contrib.empty:
        return _empty(title, "No graded work in any group yet")
    variants = [("final", "Final"), ("current", "Current")]
    order = list(dict.fromkeys(contrib["group_id"]))
    fig = _figure()
    for i, gid in enumerate(order):
        part = contrib[contrib["group_id"] == gid].set_index("variant")
        name = plot_text(_short(str(part["name"].iloc[0]), 32))
        xs = [float(part.loc[v, "earned"]) if v in part.index else 0.0 for v, _ in variants]
        fig.add_bar(y=[label for _, label in variants], x=xs, name=name, orientation="h",
                    marker_color=PALETTE[i % len(PALETTE)], text=[f"{x:.1f}" if x >= 4 else "" for x in xs],
                    textposition="inside", insidetextanchor="middle",
                    hovertemplate=name + "<br>%{y}: +%{x:.2f} points<extra></extra>")
    missed = []
    for v, _ in variants:
        part = contrib[contrib["variant"] == v]
        missed.append(max(0.0, float(part["available"].sum() - part["earned"].sum())) if not part.empty else 0.0)
    fig.add_bar(y=[label for _, label in variants], x=missed, name="Not earned", orientation="h",
                marker_color="#E6E6E6", hovertemplate="%{y}: %{x:.2f} points not earned<extra></extra>")
    fig.update_xaxes(range=[0, 100], ticksuffix=" pts")
    fig.update_yaxes(automargin=True)
    _layout(fig, title=title, height=300, barmode="stack")
    fig.update_layout(legend={"y": -0.2, "traceorder": "normal"})
    return fig


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
    fig = _figure()
    if not marks.empty:
        marks = marks.sort_values("graded_at")
        fig.add_scatter(x=marks["graded_at"].dt.tz_convert(tz), y=marks["percent"], mode="markers",
                        name="Assignment grade (graded date)",
                        marker={"color": "#72B7B2", "size": 7, "opacity": 0.75},
                        customdata=[plot_text(n) for n in marks["name"]],
                        hovertemplate="%{customdata}<br>%{x|%b %d}: %{y:.1f}%<extra></extra>")
    if not snaps.empty:
        snaps = snaps.sort_values("taken_at")
        fig.add_scatter(x=snaps["taken_at"].dt.tz_convert(tz), y=snaps["current_score"], mode="lines+markers",
                        name="Canvas current score (at each sync)", line={"color": "#4C78A8", "shape": "hv",
                                                                           "width": 3},
                        hovertemplate="%{x|%b %d %H:%M}: %{y:.2f}%<extra></extra>")
    fig.update_yaxes(title="Score (%)", rangemode="tozero")
    return _layout(fig, title=title, height=340)
