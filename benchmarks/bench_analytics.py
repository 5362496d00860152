"""Time the read layer: every metric for every area, and the meeting brief of each area.

    python -m benchmarks.bench_analytics --db sqlite:///data/dashboard.sqlite [--repeat 3]

Reading the database is timed separately from the calculations (``metrics.query.indicator``:
roll-up, membership, SPC segments, targets, currency). Prints a table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import time

from metrics import calc, query, store
from metrics.brief import meeting_brief
from metrics.catalogue import load_catalogue


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True, help="SQLAlchemy URL of a database")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--meeting", default="2025-12-01", help="meeting date (ISO)")
    args = parser.parse_args(argv)
    catalogue = load_catalogue()
    meeting = dt.date.fromisoformat(args.meeting)
    today = dt.date.today()

    t0 = time.perf_counter()
    engine = store.make_engine(args.db)
    obs = calc.add_derived_rates(store.read_observations(engine), catalogue)
    engine.dispose()
    read_s = time.perf_counter() - t0
    by_metric = dict(tuple(obs.groupby("metric_id")))
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}")
    print(f"{len(obs):,} observations read in {read_s:.2f} s\n")
    print("| area | indicators with figures | every indicator s | meeting brief s |")
    print("|---|---|---|---|")
    for area in catalogue.areas:
        best_ind = best_brief = float("inf")
        shown = 0
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            shown = sum(
                not query.indicator(by_metric[m.id], catalogue, m.id, area.id, today).empty
                for m in catalogue.metrics
                if m.id in by_metric
            )
            best_ind = min(best_ind, time.perf_counter() - t0)
            t0 = time.perf_counter()
            meeting_brief(obs, catalogue, area.id, meeting, today=today)
            best_brief = min(best_brief, time.perf_counter() - t0)
        print(f"| {area.short_name} | {shown} | {best_ind:.2f} | {best_brief:.2f} |")


if __name__ == "__main__":
    main()
