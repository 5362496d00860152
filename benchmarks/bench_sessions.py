"""Concurrent readers at the protocol level: many Streamlit sessions against a served app, per page.

    python -m benchmarks.bench_sessions --db sqlite:////tmp/corpus.sqlite [--sessions 1,10,20]
        [--pages brief,discharge] [--processes 2] [--url http://127.0.0.1:8501] [--floor-url URL]
        [--server-pids PID,PID] [--batches 3] [--budget 600]

It starts ``--processes`` servers (``streamlit run serve.py`` on free loopback ports, ``DATABASE_URL``
= ``--db``; timed once each has finished its start-up warming), or attaches to one already running
(``--url``, loopback only: a single process or the
deployment in ``deploy/`` behind nginx). Beside them it serves **the floor**, the bare app in
``benchmarks/floor_app/`` (two pages, no data: 51 text and metric elements; a Plotly chart and a
table), as many processes as the app (one when attached, unless ``--floor-url`` names a floor
already served, e.g. the same deployment started with ``--app benchmarks/floor_app/app.py``;
``--server-pids`` gives the attached processes' ids so their CPU time is read too). The floor's
pages are timed first, in the same run, and a last table gives every page's figures as a ratio to
the floor: for each measure, the slower of the floor's two pages. Each session does what a browser
tab does when it opens a link: it opens the websocket ``/_stcore/stream`` and sends one
``BackMsg.rerun_script`` carrying the page's URL path (``page_name``) and query string; the server runs
the script and streams ``ForwardMsg`` deltas back. A session's time runs from opening the websocket
to the ``script_finished`` message (finished successfully); it counts as an error if the page shows an
exception, the page is not found, the connection fails, or it has not finished within ``--timeout``.

For every page it first runs one warm-up session per server (fills the caches), then:

* *one warm run*: one session alone, the median of ``--repeat`` runs (the server time of a warm page);
* for each ``--sessions`` count N: N sessions opened at the same moment, spread round-robin over the
  servers, ``--batches`` times one after the other; median, p95 and max over all the batches'
  sessions (nearest rank: of 3 batches of 20 sessions, the 57th of 60). One batch of 20 gave a p95
  that moved by half from one run to the next for the same page (its 19th session); three steady it.

Each page's row records the 1-minute load average (``os.getloadavg``) when its timing started:
other work on the machine skews wall-clock times. The client runs in this process on the same
machine, so it takes a little of the CPU it measures. ``--budget`` bounds the whole run: cases not
started within it are reported as skipped. Timings are informative only; no test asserts them.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))

from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402

from benchmarks.served import (  # noqa: E402
    FLOOR_APP,
    AppPage,
    RunningProcess,
    floor_of,
    floor_pages,
    load_average,
    machine,
    percentile,
    ratio,
    select_pages,
    start_servers,
    stop_all,
)

FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR}


@dataclass
class Run:
    """One session: seconds to ``script_finished``, what it drew, and its error if any."""

    seconds: float
    elements: int = 0
    blocks: int = 0
    charts: int = 0
    error: str = ""


async def open_session(base_url: str, page: AppPage, query: str = "", timeout: float = 120) -> Run:
    """Open one session on ``page`` and read until its script has finished."""
    ws_url = base_url.replace("http://", "ws://", 1).rstrip("/") + "/_stcore/stream"
    msg = BackMsg()
    state = msg.rerun_script
    state.query_string = query
    state.page_script_hash = ""
    state.page_name = page.url_path
    state.context_info.timezone = "Europe/London"
    state.context_info.locale = "en-GB"
    state.context_info.url = f"{base_url.rstrip('/')}/{page.url_path}" + (f"?{query}" if query else "")
    start = time.perf_counter()
    run = Run(0.0)
    try:
        async with asyncio.timeout(timeout):
            # No keepalive pings, like a browser: a busy server answers pings late and the client would
            # then close a session that is only waiting for its turn.
            async with connect(
                ws_url, subprotocols=["streamlit"], max_size=None, compression=None, ping_interval=None
            ) as ws:
                await ws.send(msg.SerializeToString())
                async for frame in ws:
                    fwd = ForwardMsg()
                    fwd.ParseFromString(frame)
                    kind = fwd.WhichOneof("type")
                    if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                        element = fwd.delta.new_element.WhichOneof("type")
                        run.elements += 1
                        run.charts += element == "plotly_chart"
                        if element == "exception":
                            run.error = run.error or f"exception: {fwd.delta.new_element.exception.message[:120]}"
                    elif kind == "delta" and fwd.delta.WhichOneof("type") == "add_block":
                        run.elements += 1
                        run.blocks += 1
                    elif kind == "page_not_found":
                        run.error = f"page not found: {page.url_path!r}"
                    elif kind == "script_finished" and fwd.script_finished in FINISHED:
                        if fwd.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                            run.error = run.error or "the script did not compile"
                        break
                else:
                    run.error = run.error or "the server closed the connection before the script finished"
    except TimeoutError:
        run.error = f"not finished within {timeout:.0f} s"
    except (OSError, Exception) as exc:  # noqa: BLE001 - any failure of a session is counted, not raised
        run.error = f"{type(exc).__name__}: {exc}"[:160]
    run.seconds = time.perf_counter() - start
    return run


async def many_sessions(urls: list[str], page: AppPage, count: int, timeout: float) -> list[Run]:
    """``count`` sessions started together, spread round-robin over ``urls``."""
    return list(await asyncio.gather(*(open_session(urls[i % len(urls)], page, timeout=timeout) for i in range(count))))


@dataclass
class PageResult:
    page: AppPage
    warm: Run | None = None
    warm_cpu: float | None = None  # server CPU seconds per warm run (when this benchmark started the servers)
    concurrent: dict[int, list[Run]] | None = None
    concurrent_cpu: dict[int, float] | None = None  # server CPU seconds per session
    skipped: str = ""
    load: float | None = None  # 1-minute load average when the page's timing started
    floor: bool = False  # one of the floor app's pages
    processes: int = 1  # the URLs its sessions were spread over

    def p95(self, n: int) -> float | None:
        runs = (self.concurrent or {}).get(n)
        return percentile([x.seconds for x in runs], 95) if runs else None


def bench_page(urls: list[str], servers: list, page: AppPage, counts: list[int], repeat: int, timeout: float,
               deadline: float, batches: int = 1) -> PageResult:  # fmt: skip
    result = PageResult(page, concurrent={}, concurrent_cpu={}, load=load_average())

    def cpu() -> float | None:
        return sum(s.cpu_seconds() for s in servers) if servers else None

    def wait_idle(seconds: float = 180) -> None:
        # A session that timed out leaves its script running on the server: let it finish before the
        # next case, so that case is not timed behind it (idle = under 0.1 CPU s per 0.5 s).
        end = time.monotonic() + seconds
        while servers and time.monotonic() < end:
            before = cpu()
            time.sleep(0.5)
            if cpu() - before < 0.1:
                return

    warmups = [asyncio.run(open_session(u, page, timeout=timeout)) for u in urls]
    failed = [w for w in warmups if w.error]
    if failed:
        result.warm = failed[0]
        wait_idle()
        return result
    before = cpu()
    runs = [asyncio.run(open_session(urls[0], page, timeout=timeout)) for _ in range(repeat)]
    if before is not None:
        result.warm_cpu = (cpu() - before) / repeat
    last = runs[-1]
    result.warm = Run(statistics.median(r.seconds for r in runs), last.elements, last.blocks, last.charts,
                      next((r.error for r in runs if r.error), ""))  # fmt: skip
    for n in counts:
        if time.monotonic() > deadline:
            result.skipped = f"sessions {n}+ skipped: time budget spent"
            break
        before = cpu()
        result.concurrent[n] = []
        for _ in range(batches if n > 1 else 1):
            result.concurrent[n] += asyncio.run(many_sessions(urls, page, n, timeout))
        if before is not None:
            result.concurrent_cpu[n] = (cpu() - before) / len(result.concurrent[n])
        if any(r.error for r in result.concurrent[n]):
            wait_idle()
    return result


def print_tables(results: list[PageResult], counts: list[int]) -> None:
    head = (
        f"{'page':<28} {'processes':>9} {'sessions':>8} {'median s':>9} {'p95 s':>7} {'max s':>7} {'errors':>6} "
        f"{'elements':>8} {'CPU s/session':>13}"
    )
    print(head)
    print("-" * len(head))
    for r in results:
        for n, runs in (r.concurrent or {}).items():
            times = [x.seconds for x in runs]
            errors = [x for x in runs if x.error]
            cpu = r.concurrent_cpu.get(n)
            print(
                f"{r.page.title[:28]:<28} {r.processes:>9} {n:>8} {statistics.median(times):>9.2f} "
                f"{percentile(times, 95):>7.2f} {max(times):>7.2f} {len(errors):>6} {r.warm.elements:>8} "
                f"{cpu if cpu is not None else float('nan'):>13.3f}"
            )
            for e in {x.error for x in errors}:
                print(f"    error: {e}")
    print()
    cols = "".join(f" {'p95 @' + str(n):>8}" for n in counts)
    head = (
        f"{'page':<28} {'load':>5} {'elements':>8} {'blocks':>6} {'charts':>6} {'one warm run s':>14} "
        f"{'CPU s':>6}{cols}"
    )
    print(head)
    print("-" * len(head))
    for r in results:
        warm = r.warm
        load = f"{r.load:>5.1f}" if r.load is not None else f"{'-':>5}"
        if warm is None or (warm.error and not r.concurrent):
            print(f"{r.page.title[:28]:<28} {load} failed: {warm.error if warm else r.skipped}")
            continue
        p95s = "".join(f" {r.p95(n):>8.2f}" if n in r.concurrent else f" {'-':>8}" for n in counts)
        print(
            f"{r.page.title[:28]:<28} {load} {warm.elements:>8} {warm.blocks:>6} {warm.charts:>6} "
            f"{warm.seconds:>14.3f} {r.warm_cpu if r.warm_cpu is not None else float('nan'):>6.3f}{p95s}"
        )
        if r.skipped:
            print(f"    {r.skipped}")
    print()
    print_ratios(results, counts)


def _warm_seconds(r: PageResult) -> float | None:
    return r.warm.seconds if r.warm is not None and not r.warm.error else None


def print_ratios(results: list[PageResult], counts: list[int]) -> None:
    """Every page's figures divided by the floor's (the slower floor page, measure by measure)."""
    floor = [r for r in results if r.floor]
    measures = [("warm x floor", _warm_seconds), ("CPU x floor", lambda r: r.warm_cpu)]
    measures += [(f"p95@{n} x floor", lambda r, n=n: r.p95(n)) for n in counts]
    floors = [floor_of([get(r) for r in floor]) for _, get in measures]
    print("ratio to the floor: each figure divided by the slower of the floor app's two pages in this run")
    head = f"{'page':<28} {'load':>5}" + "".join(f" {name:>{max(len(name), 6)}}" for name, _ in measures)
    print(head)
    print("-" * len(head))
    for r in results:
        load = f"{r.load:>5.1f}" if r.load is not None else f"{'-':>5}"
        cells = "".join(
            f" {ratio(get(r), f):>{max(len(name), 6)}}" for (name, get), f in zip(measures, floors, strict=True)
        )
        print(f"{r.page.title[:28]:<28} {load}{cells}")
    shown = ", ".join(f"{name.split(' x ')[0]} {f:.3f}" for (name, _), f in zip(measures, floors, strict=True) if f)
    print(f"floor (s): {shown or 'not measured'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_sessions", description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database URL the started servers use (DATABASE_URL)")
    parser.add_argument("--url", help="attach to an app already served on loopback instead of starting one")
    parser.add_argument("--sessions", default="1,10,20", help="comma-separated concurrent session counts")
    parser.add_argument("--pages", help="comma-separated URL paths or titles ('brief' for the root); default all")
    parser.add_argument("--processes", type=int, default=1, help="app processes on the same database (round-robin)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the single warm session (median)")
    parser.add_argument("--batches", type=int, default=3, help="batches of each --sessions count above 1")
    parser.add_argument("--timeout", type=float, default=120, help="seconds one session may take")
    parser.add_argument("--budget", type=float, default=900, help="seconds for the whole run")
    parser.add_argument(
        "--floor-url", help="with --url: the floor app already served on loopback (default: start one process)"
    )
    parser.add_argument(
        "--server-pids", help="with --url: the served processes' ids (comma-separated), to read their CPU time"
    )
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.sessions.split(",") if n.strip()]
    if not counts or min(counts) < 1 or max(counts) > 200:
        parser.error("--sessions: counts between 1 and 200")
    if not 1 <= args.processes <= 8:
        parser.error("--processes: between 1 and 8")
    for given in (args.url, args.floor_url):
        if given and urlparse(given).hostname not in ("127.0.0.1", "localhost", "::1"):
            parser.error("--url, --floor-url: loopback addresses only")
    if args.server_pids and not all(p.strip().isdigit() for p in args.server_pids.split(",")):
        parser.error("--server-pids: process ids separated by commas, e.g. 1234,1235")
    if (args.floor_url or args.server_pids) and not args.url:
        parser.error("--floor-url and --server-pids go with --url (without it the benchmark starts the servers)")
    if not args.url and not args.db:
        parser.error("give --db (a database URL) or --url (a served app)")
    pages = select_pages(args.pages)
    deadline = time.monotonic() + args.budget
    servers, floor_servers = [], []
    try:
        if args.url:
            urls = [args.url]
            # Read-only: the attached processes' CPU time from /proc, never a signal to them.
            servers = [RunningProcess(int(p)) for p in (args.server_pids or "").split(",") if p.strip()]
        else:
            servers = start_servers(args.db, args.processes)
            urls = [s.url for s in servers]
        if args.floor_url:
            floor_urls = [args.floor_url]
        else:
            floor_servers = start_servers(None, len(urls), FLOOR_APP)
            floor_urls = [s.url for s in floor_servers]
        # The floor first, then every page, in one run and with the same settings.
        plan = [(p, floor_urls, floor_servers, True) for p in floor_pages()]
        plan += [(p, urls, servers, False) for p in pages]
        results = []
        for page, page_urls, page_servers, is_floor in plan:
            if time.monotonic() > deadline:
                results.append(PageResult(page, skipped="skipped: time budget spent", floor=is_floor))
                continue
            result = bench_page(
                page_urls, page_servers, page, counts, args.repeat, args.timeout, deadline, args.batches
            )
            result.floor, result.processes = is_floor, len(page_urls)
            results.append(result)
    finally:
        stop_all(floor_servers if args.url else servers + floor_servers)
    print_tables(results, counts)
    where = args.url or f"{len(servers)} process(es) of streamlit run serve.py on loopback, DATABASE_URL={args.db}"
    floor_where = args.floor_url or f"{len(floor_servers)} process(es) of streamlit run {FLOOR_APP.relative_to(ROOT)}"
    print(f"served by {where}; the floor by {floor_where}")
    print(
        f"time = websocket opened -> script_finished; sessions above 1 in {args.batches} batch(es) each, median, "
        "p95 (nearest rank) and max over all of them; elements = the deltas a page sends in one "
        "run (new elements and layout blocks), of which blocks and Plotly charts; CPU s = the server processes' CPU "
        "time per run (user + system, from /proc), steadier than wall time on a busy machine; load = the 1-minute "
        "load average when the page's timing started"
    )
    print(machine())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
