"""The shared-mode dashboard under many students at once (issue 15): real sign-ins, real page runs.

    python -m bench.dashboard_load --sessions 10                      # one server, 10 students at once
    python -m bench.dashboard_load --sessions 10,50,100 --replica-check 10 --write   # updates docs/benchmarks.md
    python -m bench.dashboard_load --sessions 4 --replicas 2          # two replicas behind nginx (sticky)

Every student signs in as a student does: a headless chromium context opens the dashboard, presses
Sign in, and goes through the OpenID provider (oidc-provider-mock, what the tests use) and st.login.
Then (the default `--client websocket`) the browser is closed and each student's session is held
open on Streamlit's own websocket protocol with the cookies the browser got (bench/st_client.py):
the same messages a tab sends, a page run when the student opens a page and a fragment run when
the sidebar's `run_every` timer fires, without a browser rendering 100 pages on the server's two
cores (a chromium tab takes ~250 MB and a share of a core: 50 of them starved the server of CPU
and 100 would not fit in this machine's memory). All sessions then open the pages at the same
time, `--rounds` times; a page time is from the request to the server's `script_finished`, the
whole of the server's work for that page. `--client browser` keeps every session a chromium tab
instead, and times from the click to the page's late element on screen.

Memory per session is the growth of the server processes' RSS (VmRSS) from one warm session to
all of them, divided by the added sessions; server CPU is from /proc, idle (everyone open, nobody
clicking) and while clicking. With `--replicas 2` the dashboards sit behind nginx rendered from
deploy/nginx-canvas-dashboard.conf (websockets, cookie stickiness), and each replica's share of
the websockets is counted from nginx's access log.

What the runs found (2026-12-06): Streamlit forces a full garbage collection (`gc.collect(2)`)
after every script run, the sidebar's 10 s status poll included, and with many students' sessions
and caches in one process that took ~40 % of the server's CPU (py-spy on the 100-session run): a
status poll cost ~120 ms, 50 open tabs took 0.73 of the core for polling alone, and 20 students
clicking at once waited p50 8.3 s / p95 15.1 s. `.streamlit/config.toml` now turns
`runner.postScriptGC` off (Python's own generational GC still runs): the same 20 students, p50
2.4 s / p95 4.5 s, 138 ms instead of 198 ms of CPU per page run, and an open tab's 10 s poll
costs ~0.6-1.2 ms of CPU a second instead of ~12 (so open tabs no longer limit a process: clicks do).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import AsyncExitStack, ExitStack, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from bench.common import ROOT, Context, Section, machine, scrub_environment, table
from bench.worker_scale import cpu_seconds

# (sidebar link label = the page's title, an element the page draws late): a page run is done for the
# student when its title and that element are on screen. (Streamlit's own script state is no help:
# the sidebar's status fragment reruns on a timer, so on a busy server it is "running" much of the time.)
PAGES = [("Assignments", "Calendar (.ics)"), ("Grades", "All courses"), ("Sync & activity", "Details for the operator"),
         ("Overview", "Next up")]
NGINX = "/usr/sbin/nginx"
TEMPLATE = ROOT / "deploy" / "nginx-canvas-dashboard.conf"
DEFAULT_SESSIONS = (10,)
HEADING = "## Dashboard under load"


def idle_seconds() -> float:
    """Sessions open, nobody clicking: the server's CPU for open pages alone. Two idle poll periods, so
    every open page's status fragment fires in it (its timer starts at the page's last run). Imported
    late: the dashboard's modules pull in Streamlit, which the other bench sections don't need."""
    from canvas.dashboard.frame import POLL_IDLE_SECONDS

    return 2 * POLL_IDLE_SECONDS


# -- the pieces: students, identity provider, replicas, proxy ------------------------------------------
def add_students(engine: Any, settings: Any, cipher: Any, sim: Any, issuer: str,
                 count: int) -> list[tuple[str, str]]:
    """`count` students connected with Canvas OAuth2 and bound to subjects student-<n>, synced once:
    (subject, the name Canvas gave) each."""
    import requests

    from canvas.accounts import Identity, finish_oauth, start_oauth
    from canvas.db import repo
    from canvas.sync.runner import sync_user_now

    subjects = []
    for n in range(2, count + 2):
        identity = Identity(issuer, f"student-{n}")
        authorize = start_oauth(engine, settings, base_url=sim.base_url, identity=identity)
        back = requests.get(authorize, params={"unique_id": str(n)}, allow_redirects=False, timeout=10)
        query = dict(parse_qsl(urlsplit(back.headers["location"]).query))
        uid = finish_oauth(engine, settings, cipher, query=query, identity=identity).user_id
        sync_user_now(engine, settings, uid, trigger="cli", owner="bench", cipher=cipher)
        with engine.connect() as conn:
            subjects.append((identity.subject, repo.get_user(conn, uid).name))
    return subjects


def render_nginx(upstreams: list[str], listen_port: int, prefix: Path) -> Path:
    """The deployment's nginx config with this machine's upstreams and a loopback port, plus the
    process-level lines a non-root throw-away nginx needs (pid, logs, temp paths in `prefix`)."""
    site = (TEMPLATE.read_text()
            .replace("@UPSTREAMS@", "\n".join(f"    server {u};" for u in upstreams))
            .replace("@LISTEN@", f"    listen 127.0.0.1:{listen_port};")
            .replace("@COOKIE_FLAGS@", ""))  # plain HTTP on loopback; the deployment adds "; Secure"
    for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(f"""
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    log_format upstreamlog '$request_uri $status $upstream_addr $canvas_lb_key';
    access_log {prefix}/access.log upstreamlog;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
{site}
}}
""")
    return conf


def _log_lines(prefix: Path) -> list[list[str]]:
    log = prefix / "access.log"
    return [line.split() for line in log.read_text().splitlines()] if log.exists() else []


def websockets_per_upstream(prefix: Path) -> dict[str, int]:
    counts: Counter[str] = Counter(parts[2] for parts in _log_lines(prefix)
                                   if len(parts) >= 4 and parts[0].startswith("/_stcore/stream"))
    return dict(counts)


def sticky_violations(prefix: Path) -> int:
    """Browsers (cookie keys) whose requests reached more than one replica: 0 when stickiness holds."""
    seen: dict[str, set[str]] = {}
    for parts in _log_lines(prefix):
        if len(parts) >= 4 and parts[2] != "-":
            seen.setdefault(parts[3], set()).add(parts[2])
    return sum(len(v) > 1 for v in seen.values())


def keys_per_upstream(app_url: str, prefix: Path, probes: int = 24) -> dict[str, list[str]]:
    """Fresh visitors' cookie keys, grouped by the replica each one is pinned to (from nginx's log)."""
    for _ in range(probes):
        with urllib.request.urlopen(f"{app_url}/_stcore/health", timeout=10) as resp:
            resp.read()
    time.sleep(0.2)  # the access log is written after the response
    out: dict[str, list[str]] = {}
    for parts in _log_lines(prefix):
        if len(parts) >= 4 and parts[0] == "/_stcore/health" and parts[2] != "-":
            out.setdefault(parts[2], []).append(parts[3])
    return out


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# -- the students --------------------------------------------------------------------------------------
def _say(msg: str) -> None:
    print(f"   dashboard_load: {msg}", file=sys.stderr, flush=True)


# One sign-in step or page run at most; far beyond any healthy figure (BENCH_STEP_TIMEOUT_MS to change).
STEP_TIMEOUT_MS = int(os.environ.get("BENCH_STEP_TIMEOUT_MS", "120000"))


async def _sign_in(ctx: Any, url: str, subject: str) -> Any:
    page = await ctx.new_page()
    page.set_default_timeout(STEP_TIMEOUT_MS)
    await page.goto(url)
    await page.get_by_role("button", name="Sign in").click()
    await page.locator('input[name="sub"]').fill(subject)
    await page.get_by_role("button", name="Authorize").click()
    await page.locator('[data-testid="stSidebar"]').get_by_role("button", name="Sign out").wait_for()
    await _settled(page, "Overview", "Next up")
    return page


async def _settled(page: Any, title: str, marker: str) -> None:
    await page.locator("h1", has_text=title).first.wait_for()
    await page.locator('[data-testid="stMain"]').get_by_text(marker, exact=True).first.wait_for()


async def _nav(page: Any, label: str) -> None:
    await page.locator('[data-testid="stSidebar"]').get_by_role("link", name=label).first.click()


async def _browse(page: Any, rounds: int, times: list[tuple[str, float]], errors: list[str]) -> None:
    for _ in range(rounds):
        for label, marker in PAGES:
            t = time.perf_counter()
            try:
                await _nav(page, label)
                await _settled(page, label, marker)
            except Exception as exc:  # a timeout under load is a result, not a crash of the bench
                errors.append(f"{label}: {type(exc).__name__}")
                continue
            times.append((label, time.perf_counter() - t))


async def drive(url: str, students: list[tuple[str, str]], rounds: int, server_pids: list[int],
                signin_concurrency: int = 5, lb_keys: list[str] | None = None,
                idle_s: float | None = None) -> dict[str, Any]:
    """Sign every student in (a few at a time: sign-in is not what is measured), then all browse at once."""
    subjects = [s for s, _ in students]
    from playwright.async_api import async_playwright

    from tests.support.launch import CHROMIUM, CHROMIUM_ARGS

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            contexts = [await browser.new_context(viewport={"width": 1280, "height": 900}) for _ in subjects]
            for ctx, key in zip(contexts, lb_keys or [], strict=False):  # as if the proxy had issued it
                await ctx.add_cookies([{"name": "canvas_lb", "value": key, "url": url}])
            first = await _sign_in(contexts[0], url, subjects[0])
            _say("first student signed in")
            base_rss = sum(rss_kb(pid) for pid in server_pids)
            gate = asyncio.Semaphore(signin_concurrency)

            async def one(ctx: Any, subject: str) -> Any:
                async with gate:
                    return await _sign_in(ctx, url, subject)

            t = time.perf_counter()
            pages = [first, *await asyncio.gather(*(one(c, s) for c, s in zip(contexts[1:], subjects[1:],
                                                                                  strict=True)))]
            signin_s = time.perf_counter() - t
            _say(f"all {len(pages)} signed in ({signin_s:.0f} s); browsing")
            full_rss = sum(rss_kb(pid) for pid in server_pids)
            # Open but idle: what every open page costs by itself (the sidebar's status poll).
            idle0, t_idle = sum(cpu_seconds(pid) for pid in server_pids), time.perf_counter()
            await asyncio.sleep(idle_seconds() if idle_s is None else idle_s)
            idle_share = (sum(cpu_seconds(pid) for pid in server_pids) - idle0) / (time.perf_counter() - t_idle)
            cpu0 = sum(cpu_seconds(pid) for pid in server_pids)
            times: list[tuple[str, float]] = []
            errors: list[str] = []
            t = time.perf_counter()
            await asyncio.gather(*(_browse(pg, rounds, times, errors) for pg in pages))
            browse_s = time.perf_counter() - t
            cpu1 = sum(cpu_seconds(pid) for pid in server_pids)
            peak_rss = sum(rss_kb(pid) for pid in server_pids)
            # each student still sees their own data after all that: the sidebar names them
            own = 0
            for pg, (_, name) in zip(pages, students, strict=True):
                await _nav(pg, "Settings")
                await _settled(pg, "Settings", "Canvas account")
                try:  # the account line renders just after the subheader: wait for it, boundedly
                    await pg.get_by_text(f"Student: {name}", exact=False).first.wait_for(timeout=STEP_TIMEOUT_MS)
                    own += 1
                except Exception:
                    pass
        finally:
            await browser.close()
    res = _summary(subjects, rounds, times, errors, signin_s, browse_s, cpu0, cpu1, idle_share,
                   base_rss, full_rss, peak_rss, own)
    res.update(client="browser")
    return res


def _summary(subjects: list[str], rounds: int, times: list[tuple[str, float]], errors: list[str], signin_s: float,
             browse_s: float, cpu0: float, cpu1: float, idle_share: float, base_rss: int, full_rss: int,
             peak_rss: int, own: int) -> dict[str, Any]:
    secs = sorted(s for _, s in times)
    by_page = {title: statistics.median([s for t2, s in times if t2 == title]) for title, _ in PAGES
               if any(t2 == title for t2, _ in times)}
    return {
        "sessions": len(subjects), "rounds": rounds, "page_runs": len(secs), "errors": len(errors),
        "error_kinds": dict(Counter(errors)),
        "p50_s": round(secs[len(secs) // 2], 2) if secs else None,
        "p95_s": round(secs[int(len(secs) * 0.95)], 2) if secs else None,
        "max_s": round(secs[-1], 2) if secs else None,
        "by_page_p50_s": {k: round(v, 2) for k, v in by_page.items()},
        "signin_s": round(signin_s, 1), "browse_s": round(browse_s, 1),
        "page_runs_per_s": round(len(secs) / browse_s, 2) if browse_s else None,
        # what the clicks cost beyond the open pages' own polling (which goes on while they click)
        "server_cpu_per_page_ms": round(max(0.0, (cpu1 - cpu0) - idle_share * browse_s) * 1000 / max(1, len(secs)), 1),
        "server_cpu_share": round((cpu1 - cpu0) / browse_s, 2) if browse_s else None,
        "rss_base_mb": round(base_rss / 1024, 1), "rss_all_mb": round(full_rss / 1024, 1),
        "rss_after_mb": round(peak_rss / 1024, 1),
        "idle_cpu_share": round(idle_share, 3),
        "idle_cpu_ms_per_session_s": round(idle_share * 1000 / len(subjects), 1),
        "mb_per_session": round((peak_rss - base_rss) / 1024 / max(1, len(subjects) - 1), 2),
        "saw_own_data": own,
    }


async def _cookies_of(browser: Any, url: str, subject: str, lb_key: str | None) -> dict[str, str]:
    """Sign one student in with a real browser (st.login through the identity provider) and keep
    the cookies the tab would hold; the browser context is closed again."""
    ctx = await browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        if lb_key:
            await ctx.add_cookies([{"name": "canvas_lb", "value": lb_key, "url": url}])
        await _sign_in(ctx, url, subject)
        return {c["name"]: c["value"] for c in await ctx.cookies(url)}
    finally:
        await ctx.close()


async def drive_ws(url: str, students: list[tuple[str, str]], rounds: int, server_pids: list[int],
                   signin_concurrency: int = 8, lb_keys: list[str] | None = None,
                   idle_s: float | None = None) -> dict[str, Any]:
    """Sign every student in with a browser, then hold every session open on Streamlit's websocket
    protocol (bench.st_client) and click through the pages all at once."""
    from playwright.async_api import async_playwright

    from bench.st_client import PageRunFailed, StreamlitSession
    from tests.support.launch import CHROMIUM, CHROMIUM_ARGS

    subjects = [s for s, _ in students]
    keys = list(lb_keys or []) + [None] * len(subjects)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            gate = asyncio.Semaphore(signin_concurrency)

            async def cookies(subject: str, key: str | None) -> dict[str, str]:
                async with gate:
                    return await _cookies_of(browser, url, subject, key)

            t = time.perf_counter()
            jars = await asyncio.gather(*(cookies(s, k) for s, k in zip(subjects, keys, strict=False)))
            signin_s = time.perf_counter() - t
        finally:
            await browser.close()
    _say(f"all {len(jars)} signed in with a browser ({signin_s:.0f} s); opening websocket sessions")
    timeout = STEP_TIMEOUT_MS / 1000
    async with AsyncExitStack() as stack:
        # Students arrive one after another (as they finish signing in), each opening the app once.
        sessions: list[StreamlitSession] = []
        errors: list[str] = []
        base_rss = 0
        for jar, (_, name) in zip(jars, students, strict=True):
            session = await stack.enter_async_context(StreamlitSession(url, jar, timeout=timeout, label=name))
            try:
                await session.open_page()
                sessions.append(session)
            except PageRunFailed as exc:
                errors.append(f"first page: {exc}")
            base_rss = base_rss or sum(rss_kb(pid) for pid in server_pids)
        full_rss = sum(rss_kb(pid) for pid in server_pids)
        fragments0 = sum(s.fragment_runs for s in sessions)
        idle0, t_idle = sum(cpu_seconds(pid) for pid in server_pids), time.perf_counter()
        await asyncio.sleep(idle_seconds() if idle_s is None else idle_s)
        idle_wall = time.perf_counter() - t_idle
        idle_share = (sum(cpu_seconds(pid) for pid in server_pids) - idle0) / idle_wall
        fragment_rate = (sum(s.fragment_runs for s in sessions) - fragments0) / idle_wall
        times: list[tuple[str, float]] = []

        async def browse(session: StreamlitSession) -> None:
            for _ in range(rounds):
                for label, _marker in PAGES:
                    try:
                        page = "" if label == PAGES[-1][0] else label  # Overview: app.py, the default page
                        times.append((label, (await session.open_page(page))[0]))
                    except PageRunFailed as exc:
                        errors.append(f"{label}: {exc}")

        cpu0, t = sum(cpu_seconds(pid) for pid in server_pids), time.perf_counter()
        await asyncio.gather(*(browse(s) for s in sessions))
        browse_s = time.perf_counter() - t
        cpu1 = sum(cpu_seconds(pid) for pid in server_pids)
        peak_rss = sum(rss_kb(pid) for pid in server_pids)
        own = 0  # each student still sees their own data: the Settings page names their Canvas account
        for session in sessions:
            try:
                own += f"Student: {session.label}".encode() in (await session.open_page("Settings"))[1]
            except PageRunFailed:
                pass
    res = _summary(subjects, rounds, times, errors, signin_s, browse_s, cpu0, cpu1, idle_share,
                   base_rss, full_rss, peak_rss, own)
    res.update(client="websocket", fragment_runs_per_s=round(fragment_rate, 2))
    return res


# -- one measurement -----------------------------------------------------------------------------------
def measure(ctx: Context, sessions: int, *, rounds: int = 3, replicas: int = 1,
            client: str = "websocket", idle_s: float | None = None) -> dict[str, Any]:
    """One run: `sessions` students on `replicas` dashboards; idle_s shortens the open-but-idle window
    (two poll periods by default) where its figure is not wanted."""
    from pydantic import SecretStr

    from canvas.crypto import TokenCipher
    from canvas.db.engine import get_engine
    from canvas.simulator import Simulator
    from canvas.simulator.oauth import DEFAULT_CLIENT
    from tests.support.launch import free_port, openid_provider, serving

    url = ctx.database()
    tmp = ctx.tmp / f"load-{sessions}-{replicas}"
    tmp.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        sim = stack.enter_context(Simulator(port=0, seed=1, courses_per_user=6, max_users=sessions + 2))
        idp = stack.enter_context(openid_provider(tmp / "idp.log"))
        with urllib.request.urlopen(f"{idp}/.well-known/openid-configuration", timeout=5) as resp:
            issuer = json.load(resp)["issuer"]
        ports = [free_port() for _ in range(replicas)]
        proxy_port = free_port()  # reserved now: the redirect URIs must name the public address
        public = f"http://127.0.0.1:{ports[0] if replicas == 1 else proxy_port}"
        settings = ctx.settings(url).model_copy(update={
            "dashboard_mode": "shared", "oauth_client_id": DEFAULT_CLIENT[0],
            "oauth_client_secret": SecretStr(DEFAULT_CLIENT[1]), "oauth_redirect_uri": f"{public}/Settings"})
        engine = get_engine(settings)
        cipher = TokenCipher.from_settings(settings)
        t = time.perf_counter()
        subjects = add_students(engine, settings, cipher, sim, issuer, sessions)
        setup_s = time.perf_counter() - t
        _say(f"{sessions} students connected and synced in {setup_s:.0f} s")
        secrets = tmp / "secrets.toml"
        secrets.write_text(
            "[auth]\n"
            f'redirect_uri = "{public}/oauth2callback"\n'
            'cookie_secret = "bench-cookie-secret-shared-by-every-replica-0123"\n'
            'client_id = "canvas-dashboard"\nclient_secret = "bench-idp-secret"\n'
            f'server_metadata_url = "{idp}/.well-known/openid-configuration"\n')
        env = {**ctx.env(url), "CANVAS_DASHBOARD_MODE": "shared", "CANVAS_OAUTH_CLIENT_ID": DEFAULT_CLIENT[0],
               "CANVAS_OAUTH_CLIENT_SECRET": DEFAULT_CLIENT[1], "CANVAS_OAUTH_REDIRECT_URI": f"{public}/Settings"}
        procs = []
        for i, port in enumerate(ports):
            cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
                   "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats",
                   "false", "--server.fileWatcherType", "none", "--secrets.files", str(secrets)]
            procs.append(stack.enter_context(serving(cmd, f"http://127.0.0.1:{port}/_stcore/health", timeout=90,
                                                     env=env, log_path=tmp / f"streamlit-{i}.log")))
        app_url, lb_keys = public, None
        if replicas > 1:
            app_url = stack.enter_context(_nginx_on(proxy_port, [f"127.0.0.1:{p}" for p in ports], tmp / "nginx"))
            # Students arrive with keys the proxy issued at random; deal them so that every replica
            # gets its share (a random draw of a few students could leave one replica idle).
            pools = list(keys_per_upstream(app_url, tmp / "nginx", probes=max(24, 2 * len(subjects))).values())
            lb_keys = [pools[i % len(pools)][i // len(pools) % len(pools[i % len(pools)])]
                       for i in range(len(subjects))]
        _say(f"{replicas} dashboard(s) up at {app_url}")
        driver = drive_ws if client == "websocket" else drive
        res = asyncio.run(driver(app_url, subjects, rounds, [p.pid for p in procs], lb_keys=lb_keys, idle_s=idle_s))
    res.update(replicas=replicas, setup_s=round(setup_s, 1))
    if replicas > 1:
        res.update(websockets_per_replica=websockets_per_upstream(tmp / "nginx"),
                   sticky_violations=sticky_violations(tmp / "nginx"))
    return res


@contextmanager
def _nginx_on(port: int, upstreams: list[str], prefix: Path) -> Iterator[str]:
    from tests.support.launch import serving

    conf = render_nginx(upstreams, port, prefix)
    cmd = [NGINX, "-p", str(prefix), "-c", str(conf), "-g", "daemon off; user root;"]
    with serving(cmd, f"http://127.0.0.1:{port}/_stcore/health", timeout=30, log_path=prefix / "nginx.out"):
        yield f"http://127.0.0.1:{port}"


# -- report --------------------------------------------------------------------------------------------
def section(points: list[dict[str, Any]], command: str, host: str) -> Section:
    rows = [[p["sessions"], p["replicas"], f"{p['page_runs']} ({p['errors']} failed)", f"**{p['p50_s']} s**",
             f"**{p['p95_s']} s**", f"{p['max_s']} s", f"{p['page_runs_per_s']}",
             f"{p['server_cpu_per_page_ms']:.0f} ms",
             f"{p['server_cpu_share']:.2f}", f"{p['idle_cpu_share']:.2f}",
             f"{p['rss_base_mb']:.0f} -> {p['rss_after_mb']:.0f} MB",
             f"**{p['mb_per_session']:.1f} MB**" if p["replicas"] == 1 else "(n/a: two processes warming up)",
             f"{p['saw_own_data']}/{p['sessions']}", p.get("client", "browser")] for p in points]
    body = (f"Regenerate: `{command}`. Machine: {host}.\n\n"
            + table(["Sessions at once", "Replicas", "Page runs", "p50", "p95", "max", "Page runs/s",
                     "Server CPU per page run (beyond polling)", "Server CPU while clicking (cores)",
                     "Server CPU, all open but idle (cores)",
                     "Server RSS (1 session -> all)",
                     "Memory per session", "Saw own data", "Client"], rows))
    by_page = "; ".join(f"{p['sessions']} sessions" + (f" on {p['replicas']} replicas" if p["replicas"] > 1 else "")
                        + ": " + ", ".join(f"{k} {v} s" for k, v in p["by_page_p50_s"].items())
                        for p in points)
    body += f"\n\nMedian per page: {by_page}."
    failed = "; ".join(f"{p['sessions']} sessions: {p['error_kinds']}" for p in points if p["errors"])
    if failed:
        body += (f" Failed page runs (no page within {STEP_TIMEOUT_MS / 1000:.0f} s, or the click itself timed "
                 f"out): {failed}.")
    one = [p for p in points if p["replicas"] == 1]
    if one:
        from canvas.dashboard.frame import POLL_IDLE_SECONDS, POLL_SECONDS

        idle = max(p["idle_cpu_ms_per_session_s"] for p in one)
        cpu = statistics.median(p["server_cpu_per_page_ms"] for p in one)
        worst = max(one, key=lambda p: p["sessions"])
        body += (
            "\n\nWhat limits one process: a Streamlit server runs every session's scripts in threads of one "
            "Python process (one GIL), so it gets at most one core however many the machine has, and page runs "
            "that arrive together queue for it. Measured here: a page run costs ~"
            f"{cpu:.0f} ms of server CPU (median over the rows), so one process finishes at most "
            f"~{1000 / max(cpu, 1):.0f} page runs a second; an open page that nobody touches costs "
            f"~{idle:.1f} ms of CPU a second (the sidebar's status fragment, every {POLL_IDLE_SECONDS:.0f} s "
            f"while no sync runs, every {POLL_SECONDS:.0f} s while one does), so open but idle tabs alone "
            f"fill a core at ~{1000 / max(idle, 0.1):,.0f} of them. Both count: at {worst['sessions']} students "
            f"clicking at once the polling took {worst['idle_cpu_share']:.2f} of the core and page runs queued for "
            f"the rest (p95 {worst['p95_s']} s); a student who clicks every ~10 s adds ~{cpu / 10:.0f} ms/s, so a "
            f"process stays responsive up to roughly {int(0.7 * 1000 / (cpu / 10 + idle)):,} students actively "
            f"using the dashboard at once, or ~{int(0.7 * 1000 / max(idle, 0.1)):,} open tabs, whichever comes "
            "first (70 % of a core). Past that: more replicas behind the sticky proxy, each its own process "
            "on its own core, all reading the same PostgreSQL (docs/deploy.md). Memory is small: "
            f"~{statistics.median(p['mb_per_session'] for p in one):.1f} MB per open session on a "
            f"~{statistics.median(p['rss_base_mb'] for p in one):.0f} MB process.")
    for p in points:
        if p.get("websockets_per_replica"):
            body += (f"\n\nTwo replicas behind nginx ({p['sessions']} sessions, deploy/nginx-canvas-dashboard.conf): "
                     f"websockets per replica {p['websockets_per_replica']}, browsers whose requests reached two "
                     f"replicas: {p['sticky_violations']}; every student saw their own data.")
    ok = all(p["errors"] == 0 and p["saw_own_data"] == p["sessions"] and not p.get("sticky_violations")
             for p in points)
    return Section(title="Dashboard under load: concurrent students in shared mode",
                   target="p50/p95 page time and memory per session at 10, 50 and 100 concurrent sessions on one "
                          "server process; two replicas behind a sticky proxy working against one PostgreSQL",
                   body=body, notes=__doc__.split("\n\n", 2)[2], ok=ok, figures={"points": points})


def write_section(md: str, path: Path) -> None:
    from bench.school_scale import write_section as _write

    _write(md, path, heading=HEADING)


def main(argv: list[str] | None = None) -> int:
    from canvas.db.scratch import ScratchServer

    parser = argparse.ArgumentParser(prog="python -m bench.dashboard_load", description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", default="10", help="comma-separated, e.g. 10,50,100")
    parser.add_argument("--rounds", type=int, default=3, help="times each student clicks through the pages")
    parser.add_argument("--replicas", type=int, default=1, help="dashboard processes (2+: behind nginx)")
    parser.add_argument("--replica-check", type=int, default=0, metavar="N",
                        help="then N sessions on two replicas behind nginx (the deployment's proxy config)")
    parser.add_argument("--client", choices=("websocket", "browser"), default="websocket",
                        help="websocket: each session on Streamlit's protocol after a browser sign-in "
                             "(bench.st_client); browser: each session a headless chromium tab all along")
    parser.add_argument("--write", action="store_true", help="update the section in docs/benchmarks.md")
    args = parser.parse_args(argv)
    server_url = scrub_environment()
    tmp = Path(tempfile.mkdtemp(prefix="canvas-bench-"))
    command = "python -m bench.dashboard_load " + " ".join(argv if argv is not None else sys.argv[1:])
    points, host = [], machine()
    try:
        with ScratchServer(tmp, server_url) as server:
            ctx = Context(smoke=False, tmp=tmp, server=server)
            for n in (int(x) for x in args.sessions.split(",")):
                print(f"   dashboard_load: {n} sessions, {args.replicas} replica(s) ...", file=sys.stderr, flush=True)
                points.append(measure(ctx, n, rounds=args.rounds, replicas=args.replicas, client=args.client))
                print(f"   {json.dumps(points[-1])}", file=sys.stderr, flush=True)
            if args.replica_check:
                _say(f"{args.replica_check} sessions on two replicas behind nginx ...")
                points.append(measure(ctx, args.replica_check, rounds=args.rounds, replicas=2, client=args.client))
                print(f"   {json.dumps(points[-1])}", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    sec = section(points, command.strip(), host)
    md = sec.markdown()
    print(md)
    if args.write:
        write_section(md, ROOT / "docs" / "benchmarks.md")
    return 0 if sec.ok else 1


if __name__ == "__main__":
    sys.exit(main())
