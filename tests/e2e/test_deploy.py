"""The multi-process deployment (``deploy/``): two app processes on one PostgreSQL database behind nginx.

A reader gets the Meeting brief through the proxy in headless Chromium, every request of one browser
reaches the same process while different readers spread over both, the sessions benchmark works
through the proxy, and stopping the stack leaves nothing running. Skipped when nginx or PostgreSQL
is absent; under CI (``CI=true``) that is a failure.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from deploy import run
from metrics.catalogue import PROJECT_ROOT
from tests.conftest import IN_CI, POSTGRES_URL
from tests.e2e.conftest import run_benchmark

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

ERROR_SELECTORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'
FLOOR_APP = PROJECT_ROOT / "benchmarks" / "floor_app" / "app.py"


def _absent(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason}: required under CI (.ci/run installs it)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def nginx() -> str:
    found = run.find_nginx()
    if found is None:
        _absent("nginx is not installed (apt-get install nginx)")
    return found


@pytest.fixture(scope="module")
def published_postgres() -> str:
    """A throwaway PostgreSQL database holding the published snapshot (``loaders restore``)."""
    name = f"dashboard_deploy_{uuid.uuid4().hex[:10]}"
    try:
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any connection failure means no server here
        _absent(f"no PostgreSQL server reachable at {POSTGRES_URL}: {exc.__class__.__name__}")
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "loaders", "restore", "data/published", "--db", url],
            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def stack(nginx, published_postgres):
    """Two app processes and nginx, on free loopback ports."""
    with run.Deployment(published_postgres, processes=2, listen="127.0.0.1:0", first_port=0) as deployment:
        yield deployment


def _upstreams(deployment: run.Deployment, path: str = "") -> list[str]:
    """The app process (127.0.0.1:port) that served each logged request, optionally for one path."""
    log = (deployment.run_dir / "access.log").read_text(encoding="utf-8")
    return [m.group(2) for m in re.finditer(r'"\w+ (\S+) [^"]*".*upstream=(\S+)', log) if path in m.group(1)]


def _get(url: str, cookie: str | None = None):
    request = urllib.request.Request(url, headers={"Cookie": f"dashboard_backend={cookie}"} if cookie else {})
    return urllib.request.urlopen(request, timeout=30)


def test_the_meeting_brief_through_the_proxy(stack, page):
    before = len(_upstreams(stack))
    page.goto(f"{stack.url}/?meeting=2025-12-01", wait_until="domcontentloaded")
    page.wait_for_selector("h1", timeout=90_000)
    heading = "Meeting brief: Leicester, Leicestershire and Rutland"
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible(timeout=60_000)
    # A real card from the restored PostgreSQL database, drawn over the websocket through nginx.
    expect(page.get_by_role("heading", name="A&E 4-hour performance (all types)").first).to_be_visible(timeout=60_000)
    assert page.get_by_text("Demonstration data").count() == 0
    assert page.locator(ERROR_SELECTORS).count() == 0, "the page shows an error"
    cookies = {c["name"] for c in page.context.cookies()}
    assert "dashboard_backend" in cookies, "the proxy gives the browser its affinity cookie"
    # nginx logs a websocket when it closes: close the tab, then read which process served everything.
    page.close()
    deadline = time.monotonic() + 10
    while not _upstreams(stack, "/_stcore/stream") and time.monotonic() < deadline:
        time.sleep(0.2)
    served = _upstreams(stack)[before:]
    assert _upstreams(stack, "/_stcore/stream"), "the websocket went through nginx"
    assert len(set(served)) == 1, f"one browser's requests (page, scripts, websocket) reach one process: {served}"


def test_affinity_keeps_a_reader_on_one_process_and_spreads_readers(stack):
    readers = [f"{i:032x}" for i in range(1, 21)]  # fixed cookie values: the routing is deterministic
    for cookie in readers:
        for visit in (1, 2):
            with _get(f"{stack.url}/_stcore/health?probe={cookie}-{visit}", cookie) as response:
                assert response.status == 200
    deadline = time.monotonic() + 10
    while len(_upstreams(stack, "probe=")) < 2 * len(readers) and time.monotonic() < deadline:
        time.sleep(0.2)
    first = [_upstreams(stack, f"probe={cookie}-1") for cookie in readers]
    second = [_upstreams(stack, f"probe={cookie}-2") for cookie in readers]
    assert first == second, "the same cookie reaches the same process every time"
    assert {u for (u,) in first} == {f"127.0.0.1:{p}" for p in stack.ports}, "readers spread over both processes"


def test_the_sessions_benchmark_runs_through_the_proxy(stack):
    pids = ",".join(map(str, stack.pids()))
    out = run_benchmark(
        "bench_sessions", "--url", stack.url, "--server-pids", pids, "--pages", "brief", "--sessions", "4",
        "--repeat", "1", "--budget", "240",
    )  # fmt: skip
    brief = [line.split() for line in out.splitlines() if line.startswith("Meeting brief")]
    # first table: Meeting brief, processes, sessions, median, p95, max, errors, elements, CPU s/session
    assert brief[0][3] == "4" and brief[0][7] == "0", f"four sessions through nginx, none failed: {brief[0]}"
    assert int(brief[0][8]) > 10, "the brief sends its elements"
    assert float(brief[0][9]) > 0, "the app processes' CPU time is read from their ids"
    assert f"served by {stack.url}" in out


def test_stop_leaves_nothing_running(nginx):
    deployment = run.Deployment(None, processes=1, listen="127.0.0.1:0", first_port=0, app=FLOOR_APP)
    with deployment:
        with _get(f"{deployment.url}/") as response:
            assert response.status == 200 and b"<html" in response.read().lower()
        processes = [*deployment.apps, deployment.nginx]
        run_dir, ports = deployment.run_dir, [deployment.port, *deployment.ports]
    assert all(p.poll() is not None for p in processes), "nginx and the app process have exited"
    assert all(run.port_is_free("127.0.0.1", p) for p in ports), "their ports are free again"
    assert not Path(run_dir).exists(), "the temporary run folder is removed"
