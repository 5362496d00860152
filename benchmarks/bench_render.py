"""Warm render times of the Meeting brief and an Indicator detail page, demo versus public corpus.

    python -m benchmarks.bench_render [--repeat 5] [--corpus-db URL]

Builds (in a temporary folder) the demo database and a database from the whole shared public
corpus (or uses ``--corpus-db``), then for each database and page runs the app once with
Streamlit's ``AppTest`` (cold: fills the caches) and times ``--repeat`` further runs (warm). Prints
a table with the median warm time and the corpus/demo ratio. Aim: <= 1 s each, and the corpus
time <= 1.5 x the demo time. Timings are informative only; no test asserts them.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from streamlit.testing.v1 import AppTest  # noqa: E402

from loaders.demo import build_demo_database  # noqa: E402
from loaders.ingest import ingest_paths  # noqa: E402
from metrics import store  # noqa: E402
from metrics.catalogue import PROJECT_ROOT, load_catalogue  # noqa: E402

PUBLIC = PROJECT_ROOT.parent / "shared" / "data" / "public"
APP = str(PROJECT_ROOT / "app.py")
CASES = [
    ("Meeting brief", None, {}),
    ("Indicator detail (A&E 4-hour)", "pages/indicator.py", {"metric": "ae_4hr_all"}),
]


def _time_page(url: str, page: str | None, query: dict, repeat: int) -> tuple[float, float]:
    os.environ["DATABASE_URL"] = url
    at = AppTest.from_file(APP, default_timeout=300)
    for key, value in query.items():
        at.query_params[key] = value
    start = time.perf_counter()
    at.run()
    if page:
        at.switch_page(page).run()
    cold = time.perf_counter() - start
    if at.exception:
        raise RuntimeError([e.value for e in at.exception])
    warm = []
    for _ in range(repeat):
        start = time.perf_counter()
        at.run()
        warm.append(time.perf_counter() - start)
    return cold, statistics.median(warm)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--corpus-db", help="an existing database built from the public corpus")
    args = parser.parse_args()
    catalogue = load_catalogue()
    folder = Path(tempfile.mkdtemp(prefix="bench-render-"))
    demo_url = f"sqlite:///{folder / 'demo.sqlite'}"
    build_demo_database(store.make_engine(demo_url), catalogue)
    corpus_url = args.corpus_db
    if corpus_url is None:
        corpus_url = f"sqlite:///{folder / 'corpus.sqlite'}"
        ingest_paths([PUBLIC], store.make_engine(corpus_url), catalogue)
    rows = []
    for name, page, query in CASES:
        demo_cold, demo_warm = _time_page(demo_url, page, query, args.repeat)
        corpus_cold, corpus_warm = _time_page(corpus_url, page, query, args.repeat)
        rows.append((name, demo_cold, demo_warm, corpus_cold, corpus_warm, corpus_warm / demo_warm))
    header = f"{'page':<32}{'demo cold s':>12}{'demo warm s':>12}{'corpus cold s':>14}{'corpus warm s':>14}{'ratio':>7}"
    print(header)
    print("-" * len(header))
    for name, dc, dw, cc, cw, ratio in rows:
        print(f"{name:<32}{dc:>12.2f}{dw:>12.2f}{cc:>14.2f}{cw:>14.2f}{ratio:>7.2f}")
    print(f"warm = median of {args.repeat} reruns after a cold run; ratio = corpus warm / demo warm")
    print(f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.platform()}")


if __name__ == "__main__":
    main()
