"""The served app for the benchmarks: ``streamlit run serve.py`` on a free loopback port, and its pages.

Used by :mod:`benchmarks.bench_sessions` and :mod:`benchmarks.bench_browser`. Every server is bound to
127.0.0.1 and stopped by :meth:`AppServer.stop` (the benchmarks call it in ``finally``), so no benchmark
leaves a process behind or listens beyond this machine.
"""

from __future__ import annotations

import ast
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from metrics.catalogue import PROJECT_ROOT

APP = PROJECT_ROOT / "app.py"
#: What serves it (``streamlit run serve.py``, as the README starts it: the router plus warming at start).
SERVED = PROJECT_ROOT / "serve.py"
#: Streamlit's own floor: a bare two-page app with no data, timed beside the dashboard's pages.
FLOOR_APP = PROJECT_ROOT / "benchmarks" / "floor_app" / "app.py"


@dataclass(frozen=True)
class AppPage:
    """One page of the router: its title, its URL path ("" for the default page) and its script."""

    title: str
    url_path: str
    script: str


def app_pages(app: Path = APP) -> list[AppPage]:
    """Every ``st.Page`` declared in the router, in order, read from its source (not by running it).

    The URL path is ``url_path=`` when given, otherwise the file name without ``.py``; the page
    marked ``default=True`` is served at the root.
    """
    pages = []
    for node in ast.walk(ast.parse(app.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "Page" and node.args):
            continue
        kwargs = {k.arg: k.value.value for k in node.keywords if isinstance(k.value, ast.Constant)}
        script = node.args[0].value
        url_path = "" if kwargs.get("default") else kwargs.get("url_path", Path(script).stem)
        pages.append((node.lineno, node.col_offset, AppPage(kwargs.get("title", Path(script).stem), url_path, script)))
    return [p for _, _, p in sorted(pages)]


def select_pages(spec: str | None) -> list[AppPage]:
    """The pages named in a comma-separated ``spec`` (URL paths or titles; "brief" for the root), or all."""
    pages = app_pages()
    if not spec:
        return pages
    wanted = [w.strip().lower() for w in spec.split(",") if w.strip()]
    chosen = []
    for w in wanted:
        match = [p for p in pages if w in (p.url_path.lower(), p.title.lower()) or (w == "brief" and p.url_path == "")]
        if not match:
            raise SystemExit(f"unknown page {w!r}; pages: {', '.join(p.url_path or 'brief' for p in pages)}")
        chosen.extend(match)
    return chosen


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) process ``pid`` has used so far, from ``/proc/PID/stat`` (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class RunningProcess:
    """A server started elsewhere (e.g. by ``deploy.run``), known by its process id, for its CPU time."""

    pid: int

    def cpu_seconds(self) -> float:
        return process_cpu_seconds(self.pid)


def floor_pages() -> list[AppPage]:
    """The floor app's two pages (text and metrics; a chart and a table)."""
    return app_pages(FLOOR_APP)


class AppServer:
    """``streamlit run serve.py`` on a free loopback port with ``DATABASE_URL`` set to ``db_url``.

    ``app`` serves another script (the floor app, which reads no database: ``db_url`` None); with
    ``db_url`` None the dashboard opens its default database (``root``'s ``data/``). ``root`` is
    the folder the server runs in (a fresh copy of the project for the first-start timing). The
    server log goes to a temporary file, shown when the app fails to start.
    """

    def __init__(self, db_url: str | None, app: Path = SERVED, root: Path = PROJECT_ROOT) -> None:
        self.port = free_port()
        self.app = Path(app)
        self.url = f"http://127.0.0.1:{self.port}"
        self.started = time.perf_counter()
        self.log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed in stop()
        env = dict(os.environ)
        env.pop("DATABASE_URL", None)
        env.pop("DASHBOARD_DEMO", None)
        if db_url is not None:
            env["DATABASE_URL"] = db_url
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=root, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def wait_until_healthy(self, seconds: float = 90) -> float:
        """Seconds from start until ``/_stcore/health`` answers; raises with the log if it never does."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        return time.perf_counter() - self.started
            except OSError:
                time.sleep(0.05)
        self.log.seek(0)
        raise RuntimeError(f"the app did not start on {self.url}:\n{self.log.read()[-3000:]}")

    def wait_until_warmed(self, seconds: float = 120) -> float | None:
        """Seconds from start until ``serve.py``'s start-up warming (``ui.warm``) has finished, read
        from the server's log; None for a script that does not warm (the floor app).

        Steady-state timings wait for it: a run timed while the warming thread still works would
        share the CPU with it.
        """
        if self.app.name != SERVED.name:
            return None
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and self.proc.poll() is None:
            # A reading of its own (Linux): moving the shared offset could make the server overwrite its log.
            with open(f"/proc/self/fd/{self.log.fileno()}") as log:
                text = log.read()
            if "Warmed at start" in text or "Warming at start stopped" in text:
                return time.perf_counter() - self.started
            time.sleep(0.1)
        self.log.seek(0)
        raise RuntimeError(f"the app on {self.url} did not finish warming:\n{self.log.read()[-3000:]}")

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server process has used so far, from ``/proc`` (Linux).

        Beside wall-clock times it shows the work a run costs whatever else the machine is doing.
        """
        return process_cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()


def start_servers(db_url: str | None, count: int, app: Path = SERVED) -> list[AppServer]:
    """``count`` servers on one database, all healthy and done warming (``AppServer.wait_until_warmed``);
    on any failure the started ones are stopped."""
    servers: list[AppServer] = []
    try:
        for _ in range(count):
            servers.append(AppServer(db_url, app))
        for s in servers:
            s.wait_until_healthy()
        for s in servers:
            s.wait_until_warmed()
    except BaseException:
        stop_all(servers)
        raise
    return servers


def stop_all(servers: list[AppServer]) -> None:
    for s in servers:
        s.stop()


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100): with 10 values p95 is the largest, with 20 the 19th."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def load_average() -> float:
    """The 1-minute load average now (``os.getloadavg``): printed beside each timing, since other
    work on the machine skews it."""
    return os.getloadavg()[0]


def floor_of(values: list[float | None]) -> float | None:
    """The floor for one measure: the slower of the floor app's pages in this run (None if none ran)."""
    present = [v for v in values if v is not None]
    return max(present) if present else None


def ratio(value: float | None, floor: float | None) -> str:
    """``value / floor`` formatted for a table (``-`` when either is missing)."""
    if value is None or floor is None or floor <= 0 or value != value:  # value != value: NaN
        return "-"
    return f"{value / floor:.2f}"


def machine() -> str:
    """The machine line every benchmark prints, with the load at the end (other work skews timings)."""
    import platform

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.platform()}; "
        f"load average at the end {load}"
    )
