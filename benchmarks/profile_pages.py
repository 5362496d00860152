"""Where a page's server time goes: each page run warm under Streamlit's ``AppTest`` with pyinstrument.

    python -m benchmarks.profile_pages --db sqlite:////tmp/corpus.sqlite [--pages brief,discharge]
        [--repeat 3] [--top 25] [--out DIR]

For every page it runs the app once to fill the caches, then profiles ``--repeat`` warm runs of the
script thread (pyinstrument samples the thread that runs the page, where the time is spent). It
prints, per page, the warm run time, the elements it sends, and the functions with the largest
*total* time (time inside the function and everything it calls), summed over the runs and divided
by their number (read from ``<module> app.py`` down: the lines above it are the script thread's own
frames). ``--out`` also writes each page's full call tree (text). AppTest does not serialise
the messages for a websocket, so the served time (``bench_sessions``) is a little higher. Timings are
informative only; no test asserts them.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pyinstrument import Profiler  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402
from streamlit.testing.v1.local_script_runner import LocalScriptRunner  # noqa: E402

from benchmarks.served import APP, AppPage, select_pages  # noqa: E402

_PROFILE = threading.Event()  # set while the warm runs are profiled
_sessions: list = []  # one pyinstrument session per profiled script run
_original_thread_body = LocalScriptRunner._run_script_thread


def _profiled_thread_body(self) -> None:
    """The script thread's body, under pyinstrument while profiling is switched on."""
    if not _PROFILE.is_set():
        return _original_thread_body(self)
    profiler = Profiler(interval=0.0005)
    profiler.start()
    try:
        return _original_thread_body(self)
    finally:
        profiler.stop()
        _sessions.append(profiler.last_session)


def profile_page(page: AppPage, repeat: int) -> tuple[float, int, Profiler]:
    """Seconds per warm run, element-tree nodes, and a profiler holding the combined warm runs."""
    at = AppTest.from_file(str(APP), default_timeout=300)
    at.run()
    if page.url_path:
        at.switch_page(page.script).run()
    if at.exception:
        raise RuntimeError([e.value for e in at.exception])
    _sessions.clear()
    _PROFILE.set()
    try:
        start = time.perf_counter()
        for _ in range(repeat):
            at.run()
        seconds = (time.perf_counter() - start) / repeat
    finally:
        _PROFILE.clear()
    elements = sum(1 for _ in _walk(at._tree))
    combined = Profiler()
    from pyinstrument.session import Session

    session = _sessions[0]
    for other in _sessions[1:]:
        session = Session.combine(session, other)
    combined._last_session = session
    return seconds, elements, combined


def _walk(node):
    for child in getattr(node, "children", {}).values():
        yield child
        yield from _walk(child)


def top_functions(profiler: Profiler, repeat: int, top: int) -> list[str]:
    """The ``top`` lines of pyinstrument's flat listing by total time, per run."""
    text = profiler.output_text(flat=True, flat_time="total", show_all=True, unicode=False, color=False)
    lines = [line for line in text.splitlines() if line.strip() and line.lstrip()[0].isdigit()]
    out = []
    for line in lines[:top]:
        seconds, _, rest = line.strip().partition(" ")
        out.append(f"  {float(seconds) / repeat:7.3f}  {rest.strip()}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_pages", description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="database URL (DATABASE_URL), already built")
    parser.add_argument("--pages", help="comma-separated URL paths or titles ('brief' for the root); default all")
    parser.add_argument("--repeat", type=int, default=3, help="warm runs profiled per page")
    parser.add_argument("--top", type=int, default=25, help="functions listed per page")
    parser.add_argument("--out", help="folder for each page's full call tree")
    args = parser.parse_args(argv)
    os.environ["DATABASE_URL"] = args.db
    LocalScriptRunner._run_script_thread = _profiled_thread_body
    out = Path(args.out) if args.out else None
    if out:
        out.mkdir(parents=True, exist_ok=True)
    for page in select_pages(args.pages):
        seconds, elements, profiler = profile_page(page, max(1, min(args.repeat, 20)))
        print(f"== {page.title}: {seconds:.3f} s per warm AppTest run, {elements} nodes in the element tree")
        print("  total s  function (per run)")
        print("\n".join(top_functions(profiler, args.repeat, args.top)))
        if out:
            tree = profiler.output_text(unicode=False, color=False, show_all=False)
            (out / f"{page.url_path or 'meeting_brief'}.txt").write_text(tree, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
