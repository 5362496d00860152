"""Every page in headless Chromium, cold and warm, and the first page after ``streamlit run`` on a fresh machine.

    python -m benchmarks.bench_browser --db sqlite:////tmp/corpus.sqlite [--pages brief,discharge]
        [--repeat 3] [--timeout 90] [--budget 900] [--no-first-run]

Chromium is Debian's (``/usr/bin/chromium`` or ``CHROMIUM_PATH``) driven by Playwright, with the flags
that keep it off the network (the same as the end-to-end tests); every server is ``streamlit run
serve.py`` on a free loopback port.

A page counts as **fully drawn** at the first moment (polled every 25 ms) when all of these hold, and
still hold 0.3 s later (a page that reruns itself is not drawn until the last run has finished):

1. the app root (``[data-testid=stApp]``) says the script is not running
   (``data-test-script-state="notRunning"``) and the websocket is connected
   (``data-test-connection-state="CONNECTED"``), i.e. Streamlit's running indicator is gone;
2. the page heading (``h1``) is on the page;
3. no element left over from a previous run is shown (no ``[data-stale=true]``) and no loading
   skeleton (``[data-testid=stSkeleton]``) remains;
4. every Plotly chart (``[data-testid=stPlotlyChart]``) has been drawn (holds Plotly's ``svg.main-svg``).

The times:

* **cold**: a fresh server for each page (its caches empty, the database already built) and a fresh
  browser context (empty HTTP cache); from ``page.goto`` to fully drawn, the page opened as soon as
  the server answers its health check (so while ``serve.py``'s start-up warming still works);
* **warm**: then, once the server's warming has finished, ``--repeat`` reloads of the same page in
  the same context (median);
* **first run**: ``streamlit run`` in a fresh copy of the project's files (no ``DATABASE_URL``, no
  database yet, so the app restores the published snapshot on its first page, as on a fresh clone),
  from starting the process to the default page fully drawn, with the part spent before the server
  answered its health check.

**The floor**: the bare app in ``benchmarks/floor_app/`` (two pages, no data) is timed the same way,
cold and warm, before the dashboard's pages, and the table gives each page's cold and warm times as
a ratio to the floor (the slower of its two pages, measure by measure), with the 1-minute load
average (``os.getloadavg``) when the page's timing started.

``--budget`` bounds the whole run (pages not started within it are skipped). Timings are
informative only; no test asserts them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.served import (  # noqa: E402
    FLOOR_APP,
    SERVED,
    AppPage,
    AppServer,
    floor_of,
    floor_pages,
    load_average,
    machine,
    ratio,
    select_pages,
)
from metrics.catalogue import PROJECT_ROOT  # noqa: E402
from metrics.pack.pdf import CHROMIUM_ARGS  # noqa: E402 - the project's one list of offline Chromium flags

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
VIEWPORT = {"width": 1400, "height": 1000}

DRAWN = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (app.getAttribute('data-test-connection-state') !== 'CONNECTED') return false;
  if (!document.querySelector('h1')) return false;
  if (document.querySelector('[data-stale="true"], [data-testid="stSkeleton"]')) return false;
  for (const chart of document.querySelectorAll('[data-testid="stPlotlyChart"]')) {
    if (!chart.querySelector('svg.main-svg')) return false;
  }
  return true;
}"""
COUNTS = """() => [
  document.querySelectorAll('[data-testid="stElementContainer"]').length,
  document.querySelectorAll('[data-testid="stPlotlyChart"]').length,
  document.querySelectorAll('[data-testid="stException"], [data-testid="stAlertContentError"]').length,
]"""
SETTLE_S = 0.3


def wait_drawn(page, start: float, timeout: float) -> float:
    """Seconds from ``start`` until the page is fully drawn (see the module docstring)."""
    deadline = time.monotonic() + timeout
    for _ in range(20):  # a page may rerun a few times; each pass waits for it to settle again
        remaining_ms = max(1.0, (deadline - time.monotonic()) * 1000)
        page.wait_for_function(DRAWN, polling=25, timeout=remaining_ms)
        drawn = time.perf_counter() - start
        page.wait_for_timeout(SETTLE_S * 1000)
        if page.evaluate(DRAWN):
            return drawn
    raise TimeoutError("the page kept rerunning")


def open_page(context, url: str, timeout: float) -> tuple[object, float]:
    page = context.new_page()
    start = time.perf_counter()
    page.goto(url, wait_until="commit", timeout=timeout * 1000)
    return page, wait_drawn(page, start, timeout)


def empty_row(app_page: AppPage, note: str = "") -> dict:
    return {"page": app_page.title, "cold": None, "warm": None, "elements": 0, "charts": 0, "errors": 0,
            "note": note, "load": None, "floor": False}  # fmt: skip


def bench_page(browser, db_url: str | None, app_page: AppPage, repeat: int, timeout: float, app: Path = SERVED) -> dict:
    """One page cold (fresh server and context) and warm (reloads); ``app`` is the script served."""
    row = empty_row(app_page)
    row["load"] = load_average()
    server = AppServer(db_url, app)
    context = None
    try:
        server.wait_until_healthy()
        context = browser.new_context(viewport=VIEWPORT)
        page, row["cold"] = open_page(context, f"{server.url}/{app_page.url_path}", timeout)
        server.wait_until_warmed()  # warm reloads are the steady state: the start-up warming done
        warm = []
        for _ in range(repeat):
            start = time.perf_counter()
            page.reload(wait_until="commit", timeout=timeout * 1000)
            warm.append(wait_drawn(page, start, timeout))
        row["warm"] = statistics.median(warm) if warm else None
        row["elements"], row["charts"], row["errors"] = page.evaluate(COUNTS)
    except Exception as exc:  # noqa: BLE001 - a page that fails is reported in the table, the rest still run
        row["note"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:100]}"
    finally:
        if context is not None:
            context.close()
        server.stop()
    return row


def fresh_copy(folder: Path) -> Path:
    """The project's files as a fresh clone has them (tracked and new files, no database) in ``folder``."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=PROJECT_ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        source = PROJECT_ROOT / name
        if source.is_file() and not name.endswith((".sqlite", ".sqlite-wal", ".sqlite-shm", ".lock")):
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, folder / name)
    return folder


def first_run(browser, timeout: float) -> dict:
    """``streamlit run`` in a fresh copy of the project (no database yet), to the default page fully drawn.

    No ``DATABASE_URL``: the app opens its default SQLite file, finds none and builds it from the
    published snapshot (``data/published``) while the reader waits, as on a fresh clone.
    """
    with tempfile.TemporaryDirectory(prefix="bench-first-run-") as folder:
        root = fresh_copy(Path(folder))
        server = AppServer(None, root / "serve.py", root=root)
        context = None
        row = {"healthy": None, "drawn": None, "note": ""}
        try:
            row["healthy"] = server.wait_until_healthy()
            context = browser.new_context(viewport=VIEWPORT)
            page = context.new_page()
            page.goto(f"{server.url}/", wait_until="commit", timeout=timeout * 1000)
            wait_drawn(page, server.started, timeout)
            row["drawn"] = time.perf_counter() - server.started
            if not (root / "data" / "dashboard.sqlite").exists():
                row["note"] = "the default database was not built"
        except Exception as exc:  # noqa: BLE001 - reported in the table
            row["note"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:100]}"
        finally:
            if context is not None:
                context.close()
            server.stop()
    return row


def fmt(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "-"


def print_table(rows: list[dict]) -> None:
    """Cold and warm times per page, each also as a ratio to the floor, with the load average."""
    floor = {m: floor_of([r[m] for r in rows if r["floor"]]) for m in ("cold", "warm")}
    head = (
        f"{'page':<28} {'load':>5} {'cold s':>7} {'warm s':>7} {'cold x floor':>12} {'warm x floor':>12} "
        f"{'elements':>8} {'charts':>6} {'errors':>6}  note"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        load = f"{r['load']:.1f}" if r["load"] is not None else "-"
        print(
            f"{r['page'][:28]:<28} {load:>5} {fmt(r['cold']):>7} {fmt(r['warm']):>7} "
            f"{ratio(r['cold'], floor['cold']):>12} {ratio(r['warm'], floor['warm']):>12} {r['elements']:>8} "
            f"{r['charts']:>6} {r['errors']:>6}  {r['note']}"
        )
    print(
        f"floor = the slower of the floor app's two pages in this run: cold {fmt(floor['cold'])} s, "
        f"warm {fmt(floor['warm'])} s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_browser", description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="database URL the servers use (DATABASE_URL), already built")
    parser.add_argument("--pages", help="comma-separated URL paths or titles ('brief' for the root); default all")
    parser.add_argument("--repeat", type=int, default=3, help="warm reloads per page (median)")
    parser.add_argument("--timeout", type=float, default=90, help="seconds one page may take to be drawn")
    parser.add_argument("--budget", type=float, default=900, help="seconds for the whole run")
    parser.add_argument("--no-first-run", action="store_true", help="skip the fresh-machine first page")
    args = parser.parse_args(argv)
    if not 0 <= args.repeat <= 20:
        parser.error("--repeat: between 0 and 20")
    if not Path(CHROMIUM).exists():
        parser.error(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)")
    pages = select_pages(args.pages)
    deadline = time.monotonic() + args.budget
    from playwright.sync_api import sync_playwright

    rows, first = [], None
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            if not args.no_first_run:
                first = first_run(browser, args.timeout)
            # The floor first, then every page, in one run and with the same settings.
            plan = [(p, None, FLOOR_APP, True) for p in floor_pages()] + [(p, args.db, SERVED, False) for p in pages]
            for app_page, db_url, app, is_floor in plan:
                if time.monotonic() > deadline:
                    rows.append(empty_row(app_page, "skipped: time budget spent") | {"floor": is_floor})
                    continue
                rows.append(bench_page(browser, db_url, app_page, args.repeat, args.timeout, app) | {"floor": is_floor})
        finally:
            browser.close()
    print_table(rows)
    if first is not None:
        print(
            "first page after streamlit run on a fresh copy of the project (published snapshot restored): "
            f"{fmt(first['drawn'])} s "
            f"(server answering after {fmt(first['healthy'])} s) {first['note']}"
        )
    print(
        f"cold = fresh server and browser context, goto -> fully drawn; warm = median of {args.repeat} reloads; "
        f"elements = element containers on the page; database: {args.db}"
    )
    print(machine())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
