"""The served app (``streamlit run serve.py`` on a free localhost port) driven by headless Chromium.

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

from metrics import access
from metrics.catalogue import PROJECT_ROOT
from metrics.pack.pdf import CHROMIUM_ARGS  # the project's one list of offline Chromium flags

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = PROJECT_ROOT / "tests" / "e2e" / "artifacts"
IN_CI = os.environ.get("CI", "").lower() == "true"
#: The served app's database is not the local default, so uploads need the administrator; this
#: throwaway password exists only for these tests (the server gets its hash, as in production).
ADMIN_PASSWORD = "e2e-administrator-password"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _demo_database(folder: Path) -> Path:
    """The demo database, built by the explicit command (the app never builds a DATABASE_URL database):
    the browser tests exercise the demo-only features (Home First 2-day, BCF plans) and their labels."""
    path = folder / "demo.sqlite"
    done = subprocess.run(
        [sys.executable, "-m", "loaders", "demo", "--db", f"sqlite:///{path}"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return path


class _Server:
    """``streamlit run serve.py`` (the README's command) on a free localhost port, against its own copy
    of the demo database."""

    def __init__(self, folder: Path, database: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        shutil.copyfile(database, folder / "dashboard.sqlite")
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{folder / 'dashboard.sqlite'}",
            access.HASH_VARIABLE: access.hash_password(ADMIN_PASSWORD),
        }
        self.log = open(folder / "streamlit.log", "w+")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=PROJECT_ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def wait_until_healthy(self, seconds: float = 90) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        self.log.seek(0)
        self.stop()
        pytest.fail(f"the app did not start:\n{self.log.read()[-3000:]}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory) -> Path:
    return _demo_database(tmp_path_factory.mktemp("e2e-db"))


@pytest.fixture(scope="session")
def served_app(tmp_path_factory, demo_database):
    """The dashboard served on localhost on the demo database."""
    server = _Server(tmp_path_factory.mktemp("e2e"), demo_database)
    server.wait_until_healthy()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def published_app(tmp_path_factory):
    """The dashboard served on the published snapshot, loaded by ``python -m loaders restore``."""
    folder = tmp_path_factory.mktemp("e2e-published")
    database = folder / "published.sqlite"
    done = subprocess.run(
        [sys.executable, "-m", "loaders", "restore", "data/published", "--db", f"sqlite:///{database}"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    server = _Server(folder, database)
    server.wait_until_healthy()
    yield server.url
    server.stop()


@pytest.fixture
def fresh_server(tmp_path, demo_database):
    """A server nobody has visited yet (for what the very first request does)."""
    server = _Server(tmp_path, demo_database)
    server.wait_until_healthy()
    yield server.url
    server.stop()


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


def run_benchmark(name: str, *args: str) -> str:
    """``python -m benchmarks.NAME ARGS`` as an operator runs it, its printed tables returned.

    In its own process, so the browser fixture's Playwright event loop is not in its way.
    """
    done = subprocess.run(
        [sys.executable, "-m", f"benchmarks.{name}", *args], cwd=PROJECT_ROOT, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout
