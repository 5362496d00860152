"""Time to build the LLR meeting pack: gathering from the read layer, HTML, XLSX and PDF.

    python -m benchmarks.bench_pack [--db URL] [--since 2026-09-15] [--repeat 3]

Uses the database named by ``--db`` (default: ``DATABASE_URL``, else the catalogue's default, the
published snapshot once it is the default). Prints a table of the median time of each step and
the total. Aim: the whole pack, PDF included, in <= 6 s. Timings are informative only; no test
asserts them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from metrics import pack, store  # noqa: E402
from metrics.catalogue import load_catalogue  # noqa: E402


def _time(step, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = step()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="SQLAlchemy URL (default: DATABASE_URL, else the catalogue's default)")
    parser.add_argument("--area", default="llr")
    parser.add_argument("--since", default="2026-09-15", type=dt.date.fromisoformat)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    catalogue = load_catalogue()
    url = store.resolve_database_url(args.db, catalogue)
    engine = store.make_engine(url)
    rows = []
    gather, built = _time(lambda: pack.read_pack(engine, catalogue, args.area, args.since), args.repeat)
    rows.append(("gather (read layer)", gather))
    html_time, html = _time(lambda: pack.pack_html(built), args.repeat)
    rows.append(("HTML", html_time))
    xlsx_time, _ = _time(lambda: pack.pack_xlsx(built), args.repeat)
    rows.append(("XLSX", xlsx_time))
    if pack.chromium_path():
        pdf_time, _ = _time(lambda: pack.pack_pdf(built, html), args.repeat)
        rows.append(("PDF (Chromium)", pdf_time))
    else:
        rows.append(("PDF (no Chromium)", float("nan")))
    total = sum(t for _, t in rows if t == t)
    print(f"Meeting pack for {args.area}, meeting {args.since}: {len(built.items)} indicators, "
          f"{len(built.topics)} topics; {url}")  # fmt: skip
    print(f"{platform.python_implementation()} {platform.python_version()}, median of {args.repeat}")
    print(f"{'step':<22} {'seconds':>8}")
    for name, seconds in rows:
        print(f"{name:<22} {seconds:>8.2f}")
    print(f"{'total':<22} {total:>8.2f}  (aim <= 6 s, PDF included)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
