"""Sync & activity: the sync history, how long syncs take, and whether a worker is alive."""

import streamlit as st

from canvas.dashboard import charts, data, fmt
from canvas.dashboard.frame import render_frame
from canvas.sync.status import ago

fr = render_frame("Sync & activity", "🔄")
runs = data.sync_runs(fr.user_id)
workers = data.workers()

finished = runs[runs["outcome"] != "running"] if not runs.empty else runs
ok = finished[finished["outcome"] == "success"] if not finished.empty else finished
last_ok = ok["finished_at"].max() if not ok.empty else None
alive = workers[workers["alive"].astype(bool)] if not workers.empty else workers

c1, c2, c3, c4 = st.columns(4)
c1.metric("Last successful sync", ago(last_ok, fr.now) if last_ok is not None else "never", border=True)
c2.metric("Success rate", fmt.pct(len(ok) / len(finished) * 100, 0) if len(finished) else "—", border=True,
          help=f"Over the last {len(finished)} finished syncs")
c3.metric("Median duration", fmt.duration(finished["duration_s"].median()) if len(finished) else "—", border=True)
c4.metric("Workers alive", len(alive), border=True)

if alive.empty:
    st.info("No sync worker is running: **Sync now** runs the sync inside the dashboard instead. Start "
            "`python sync_worker.py` for scheduled background syncs.", icon="ℹ️")

st.plotly_chart(charts.sync_durations(runs, fr.tz), width="stretch", key="sync_durations")

st.subheader("Sync history")
if runs.empty:
    st.caption("No syncs yet.")
else:
    table = runs.assign(
        started=runs["started_at"].dt.tz_convert(fr.tz),
        duration=runs["duration_s"].map(fmt.duration),
        error=(runs["error_class"].fillna("") + ": " + runs["error_message"].fillna("")).str.strip(": "),
    )
    st.dataframe(
        table[["started", "trigger", "kind", "duration", "requests", "throttled", "retries", "courses",
               "assignments", "outcome", "error"]],
        hide_index=True, width="stretch", key="runs_table",
        column_config={
            "started": st.column_config.DatetimeColumn("When", format="ddd MMM D, h:mm:ss a"),
            "trigger": "Trigger", "kind": "Kind", "duration": "Duration",
            "requests": st.column_config.NumberColumn("Requests", format="%d"),
            "throttled": st.column_config.NumberColumn("Throttled", format="%d"),
            "retries": st.column_config.NumberColumn("Retries", format="%d"),
            "courses": st.column_config.NumberColumn("Courses", format="%d"),
            "assignments": st.column_config.NumberColumn("Assignments", format="%d"),
            "outcome": "Outcome", "error": st.column_config.TextColumn("Error", width="large"),
        })

st.subheader("Workers")
if workers.empty:
    st.caption("No worker has ever reported a heartbeat.")
else:
    st.dataframe(
        workers.assign(last_beat=workers["last_beat"].dt.tz_convert(fr.tz),
                       started_at=workers["started_at"].dt.tz_convert(fr.tz))[
            ["worker_id", "alive", "state", "last_beat", "started_at", "synced", "failed",
             *([] if fr.shared else ["current_user_id"])]],  # shared: other students' ids are not ours to show
        hide_index=True, width="stretch", key="workers_table",
        column_config={
            "worker_id": "Worker", "alive": st.column_config.CheckboxColumn("Alive"), "state": "State",
            "last_beat": st.column_config.DatetimeColumn("Last heartbeat", format="MMM D, h:mm:ss a"),
            "started_at": st.column_config.DatetimeColumn("Started", format="MMM D, h:mm a"),
            "synced": "Synced", "failed": "Failed", "current_user_id": "Syncing user",
        })
