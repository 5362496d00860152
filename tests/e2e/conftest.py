"""The served app (``streamlit run app.py`` on a free localhost port) driven by headless Chromium.

Debian's Chromium is used through Playwright (``executable_path``); no browser is ever downloaded.
Outside CI the tests skip when Chromium is not installed; under CI (``CI=true``) that is a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from metrics.catalogue import PROJECT_ROOT

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = PROJECT_ROOT / "tests" / "e2e" / "artifacts"
IN_CI = os.environ.get("CI", "").lower() == "true"
# Without the background-networking flags Chromium tries to reach Google's services at start-up.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def served_app(tmp_path_factory):
    """The dashboard served on localhost, starting from no database (so the first-run build is tested)."""
    port = _free_port()
    db = tmp_path_factory.mktemp("e2e") / "dashboard.sqlite"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}"}
    log = open(tmp_path_factory.mktemp("e2e-log") / "streamlit.log", "w+")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
        if proc.poll() is not None:
            break
    else:
        proc.terminate()
        log.seek(0)
        pytest.fail(f"the app did not start within 90 s:\n{log.read()[-3000:]}")
    if proc.poll() is not None:
        log.seek(0)
        pytest.fail(f"the app exited:\n{log.read()[-3000:]}")
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        if IN_CI:
            pytest.fail(f"Chromium is required under CI ({CHROMIUM}); .ci/run installs Debian's chromium")
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
