"""Sync & activity: when your data last synced, whether the last try worked and why not.

The student's view comes first; the operator's detail (request, throttle and retry counts, worker
heartbeats, durations) sits in an expander below.
"""

import streamlit as st

from canvas import messages
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
facts = fr.facts or {}

# -- for the student ---------------------------------------------------------------------------
c1, c2 = st.columns(2)
c1.metric("Last successful sync", ago(last_ok, fr.now) if last_ok is not None else "never", border=True,
          help=fmt.fmt_when(last_ok, fr.tz) if last_ok is not None else None)
if facts.get("has_token") and facts.get("token_state") == "valid":
    c2.metric("Next automatic sync", messages.next_sync(facts.get("retry_at"), fr.now, fr.tz), border=True,
              help="The dashboard syncs by itself every couple of hours; Sync now in the sidebar does it at once")
else:
    c2.metric("Next automatic sync", "—", border=True, help="Connect Canvas in Settings to sync again")
if not finished.empty:
    last = finished.iloc[0]
    if last["outcome"] == "success":
        st.success(f"The last sync worked ({fmt.fmt_when(last['finished_at'], fr.tz)}).",
                   icon=":material/check_circle:")
    elif fr.status is not None and fr.status.state == "error":
        pass  # the page-top banner already says what went wrong and when the next try is
    else:
        st.info(f"The last sync, {fmt.fmt_when(last['started_at'], fr.tz)}: "
                f"{messages.run_result(last['outcome'], last['error_class'])}.", icon=":material/info:")

st.subheader("Recent syncs")
if runs.empty:
    st.caption("No syncs yet.")
else:
    recent = runs.head(20)
    st.dataframe(
        recent.assign(
            when=recent["started_at"].map(lambda t: fmt.fmt_when(t, fr.tz)),
            what=recent["kind"].map({"full": "Everything", "recent": "New grades"}).fillna("—"),
            result=[messages.run_result(o, e) for o, e in zip(recent["outcome"], recent["error_class"], strict=True)],
            took=recent["duration_s"].map(fmt.duration),
        )[["when", "what", "result", "took"]],
        hide_index=True, width="stretch", placeholder="—", key="runs_simple",
        column_config={
            "when": st.column_config.TextColumn("When", width="small"),
            "what": st.column_config.TextColumn("Fetched", width="small"),
            "result": st.column_config.TextColumn("Result", width="large"),
            "took": st.column_config.TextColumn("Took", width="small"),
        })

# -- for whoever runs the dashboard --------------------------------------------------------------
with st.expander("Details for the operator", icon=":material/engineering:"):
    o1, o2, o3 = st.columns(3)
    o1.metric("Success rate", fmt.pct(len(ok) / len(finished) * 100, 0) if len(finished) else "—", border=True,
              help=f"Over the last {len(finished)} finished syncs")
    o2.metric("Median duration", fmt.duration(finished["duration_s"].median()) if len(finished) else "—",
              border=True)
    o3.metric("Workers alive", len(alive), border=True)
    if alive.empty:
        st.caption("No sync worker is running: **Sync now** runs the sync inside the dashboard instead. Start "
                   "`python sync_worker.py` for scheduled background syncs.")
    st.plotly_chart(charts.sync_durations(runs, fr.tz), width="stretch", key="sync_durations",
                    config=charts.PLOTLY_CONFIG)
    if not runs.empty:
        table = runs.assign(
            started=runs["started_at"].map(lambda t: fmt.fmt_when(t, fr.tz)),
            duration=runs["duration_s"].map(fmt.duration),
            error=(runs["error_class"].fillna("") + ": " + runs["error_message"].fillna("")).str.strip(": ")
            .replace("", "—"),
        )
        st.dataframe(
            table[["started", "trigger", "kind", "duration", "requests", "throttled", "retries", "courses",
                   "assignments", "outcome", "error"]],
            hide_index=True, width="stretch", placeholder="—", key="runs_table",
            column_config={
                "started": st.column_config.TextColumn("When"),
                "trigger": "Trigger", "kind": "Kind", "duration": "Duration",
                "requests": st.column_config.NumberColumn("Requests", format="%d",
                                                          help="Requests sent, including ones that got no reply"),
                "throttled": st.column_config.NumberColumn("Throttled", format="%d"),
                "retries": st.column_config.NumberColumn("Retries", format="%d"),
                "courses": st.column_config.NumberColumn("Courses", format="%d"),
                "assignments": st.column_config.NumberColumn("Assignments", format="%d"),
                "outcome": "Outcome", "error": st.column_config.TextColumn("Error", width="large"),
            })
    if workers.empty:
        st.caption("No worker has ever reported a heartbeat.")
    else:
        st.dataframe(
            workers.assign(last_beat=workers["last_beat"].map(lambda t: fmt.fmt_when(t, fr.tz)),
                           started_at=workers["started_at"].map(lambda t: fmt.fmt_when(t, fr.tz)))[
                ["worker_id", "alive", "state", "last_beat", "started_at", "synced", "failed",
                 *([] if fr.shared else ["current_user_id"])]],  # shared: other students' ids are not ours
            hide_index=True, width="stretch", placeholder="—", key="workers_table",
            column_config={
                "worker_id": "Worker", "alive": st.column_config.CheckboxColumn("Alive"), "state": "State",
                "last_beat": "Last heartbeat", "started_at": "Started",
                "synced": "Synced", "failed": "Failed", "current_user_id": "Syncing user",
            })
