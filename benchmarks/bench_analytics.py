"""Time SPC and the meeting brief for every metric x organisation.

    python -m benchmarks.bench_analytics                      # synthetic: ~60 metrics x 300 orgs x 120 months
    python -m benchmarks.bench_analytics --db sqlite:///data/dashboard.sqlite
    python -m benchmarks.bench_analytics --metrics 60 --orgs 300 --months 120 --repeat 3

Reading the database is timed separately from the calculations. The aim is <= 2 s for the
calculations on a 2-core machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import numpy as np
import pandas as pd

from metrics.brief import meeting_brief, organisation_brief
from metrics.catalogue import Catalogue, load_catalogue


def synthetic(catalogue: Catalogue, n_metrics: int, n_orgs: int, n_months: int, seed: int = 1):
    """A tidy observation frame and a catalogue with ``n_metrics`` monthly metrics.

    The catalogue's metrics are copied (with new ids) up to ``n_metrics`` and made monthly, so
    targets, units and directions are the real ones.
    """
    rng = np.random.default_rng(seed)
    base = [m for m in catalogue.metrics if m.topic != "population"]
    metrics = []
    for i in range(n_metrics):
        m = base[i % len(base)]
        new_id = f"{m.id}__{i}" if i >= len(base) else m.id
        metrics.append(m.model_dump() | {"id": new_id, "frequency": "month", "series_breaks": [], "derived_from": None})
    raw = catalogue.model_dump()
    raw["metrics"] = metrics
    cat = Catalogue.model_validate(raw)
    months = pd.date_range(end="2025-09-01", periods=n_months, freq="MS")
    orgs = [f"S{i:04d}" for i in range(n_orgs)]
    n = n_metrics * n_orgs * n_months
    metric_ids = np.repeat([m["id"] for m in metrics], n_orgs * n_months)
    org_codes = np.tile(np.repeat(orgs, n_months), n_metrics)
    period = np.tile(months.to_numpy(), n_metrics * n_orgs)
    den = rng.integers(500, 20_000, n).astype(float)
    share = np.clip(rng.normal(0.75, 0.05, n) + rng.normal(0, 0.02, n_metrics * n_orgs).repeat(n_months), 0, 1)
    num = np.round(den * share)
    scales = np.repeat([{"percent": 100.0, "rate_per_100k": 1e5}.get(m["unit"], np.nan) for m in metrics],
                       n_orgs * n_months)  # fmt: skip
    value = np.where(np.isnan(scales), num, num / den * np.nan_to_num(scales))
    has_parts = ~np.isnan(scales)
    obs = pd.DataFrame(
        {
            "metric_id": metric_ids,
            "org_code": org_codes,
            "period_start": period,
            "period_type": "month",
            "numerator": np.where(has_parts, num, np.nan),
            "denominator": np.where(has_parts, den, np.nan),
            "value": value,
            "source_id": rng.integers(1, 50, n),
        }
    )
    # Some organisations stop or start part-way, as real ones do (mergers, new sites).
    late_start = (rng.random(n_metrics * n_orgs) < 0.1).repeat(n_months)
    drop = late_start & (np.tile(np.arange(n_months), n_metrics * n_orgs) < 40)
    return obs[~drop].reset_index(drop=True), cat


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="SQLAlchemy URL of an existing database (default: a synthetic frame)")
    parser.add_argument("--metrics", type=int, default=60)
    parser.add_argument("--orgs", type=int, default=300)
    parser.add_argument("--months", type=int, default=120)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--meeting", default="2025-03-15", help="meeting date (ISO)")
    args = parser.parse_args(argv)
    catalogue = load_catalogue()
    meeting = dt.date.fromisoformat(args.meeting)
    today = dt.date(2025, 11, 1)

    t0 = time.perf_counter()
    if args.db:
        from metrics import store

        engine = store.make_engine(args.db)
        obs = store.read_observations(engine)
        obs = obs[obs["metric_id"].isin(catalogue.metric_by_id)]
        what = f"database {args.db}"
    else:
        obs, catalogue = synthetic(catalogue, args.metrics, args.orgs, args.months)
        what = f"synthetic {args.metrics} metrics x {args.orgs} organisations x {args.months} months"
    read_s = time.perf_counter() - t0
    print(f"{what}: {len(obs):,} observations, {obs['metric_id'].nunique()} metrics, "
          f"{obs['org_code'].nunique()} organisations (prepared in {read_s:.2f} s)")  # fmt: skip

    best = np.inf
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        brief = organisation_brief(obs, catalogue, meeting, today=today)
        best = min(best, time.perf_counter() - t0)
    signals = brief["signal"].value_counts().to_dict()
    print(f"SPC + brief for every metric x organisation: {len(brief):,} series in {best:.2f} s (best of {args.repeat})")
    print(f"  signals: {signals}")

    t0 = time.perf_counter()
    area = meeting_brief(obs, catalogue, "llr", meeting, today=today)
    print(f"meeting brief for LLR: {len(area)} metrics in {time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()
