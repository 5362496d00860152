"""Every integrated care board set beside England for one month: a funnel plot and a ranked table.

A league table ranks the smallest systems by noise; a funnel plot does not. Each ICB's proportion
(e.g. A&E attendances within 4 hours) is drawn against its denominator, with control limits
around the England proportion that narrow as the denominator grows (Spiegelhalter, "Funnel plots
for comparing institutional performance", Statistics in Medicine 2005). An ICB outside the 99.8%
limits differs from England by more than chance would explain (about 1 in 500 by chance alone).

Limits: the normal approximation to the binomial, ``p0 ± z·sqrt(p0·(1 − p0)/n)``, with ``p0``
England's proportion in the month and ``z`` 1.96 (95%) and 3.09 (99.8%). ICB denominators are in
the thousands, where the approximation matches the exact binomial limits to within a hundredth of
a percentage point.

The ranked table gives each ICB's Wilson score interval and says, in words, whether it is better,
similar or worse than England (England outside the ICB's interval, as Fingertips does). A
committee's peers are the ICBs of its own NHS England region and those nearest in population,
each named as such.

Pure: read-layer series in, frames out (``metrics.reader.Reader.funnel`` reads).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from metrics.catalogue import Area, Catalogue, Metric
from metrics.compare import COMPARISON_WORDS, Z95, Z998, compare_with_england, wilson_interval

#: ICBs nearest in population that count as peers (beside the region's own).
NEAREST_IN_POPULATION = 5
POINT_COLUMNS = [
    "area_id", "name", "short_name", "region", "population", "numerator", "denominator", "value",
    "low95", "high95", "low998", "high998", "outside", "ci95_low", "ci95_high", "vs_england",
]  # fmt: skip


@dataclass(frozen=True)
class Funnel:
    """One metric, one period: every ICB's point, England's proportion and the limits."""

    metric: Metric
    period_start: pd.Timestamp | None
    england_numerator: float
    england_denominator: float
    points: pd.DataFrame  # POINT_COLUMNS, one row per ICB with a figure in the period

    @property
    def england_value(self) -> float:
        """England's proportion as a percentage (NaN without England's figure)."""
        if not self.england_denominator or pd.isna(self.england_denominator):
            return math.nan
        return 100 * self.england_numerator / self.england_denominator

    @property
    def empty(self) -> bool:
        return self.points.empty or pd.isna(self.england_value)

    def curve(self, points: int = 200) -> pd.DataFrame:
        """The limits drawn as lines: ``denominator, low95, high95, low998, high998`` on a log grid
        spanning the ICBs' denominators."""
        if self.empty:
            return pd.DataFrame(columns=["denominator", "low95", "high95", "low998", "high998"])
        n = self.points["denominator"]
        grid = np.geomspace(max(n.min() * 0.8, 1.0), n.max() * 1.2, points)
        p0 = self.england_value / 100
        return pd.DataFrame({"denominator": grid, **limit_columns(p0, grid)})

    def outliers(self) -> tuple[list[str], list[str]]:
        """ICB names above and below the 99.8% limits."""
        above = self.points[self.points["outside"] == "above"]["name"].tolist()
        below = self.points[self.points["outside"] == "below"]["name"].tolist()
        return above, below


def control_limits(p0: float, n: float, z: float) -> tuple[float, float]:
    """Lower and upper control limits (percentages) around proportion ``p0`` (0-1) for denominator ``n``.

    ``100 · (p0 ± z·sqrt(p0·(1 − p0)/n))``, clipped to 0-100.
    """
    if n is None or pd.isna(n) or n <= 0 or pd.isna(p0):
        return math.nan, math.nan
    spread = z * math.sqrt(p0 * (1 - p0) / n)
    return 100 * max(p0 - spread, 0.0), 100 * min(p0 + spread, 1.0)


def limit_columns(p0: float, n) -> dict[str, np.ndarray]:
    """``low95, high95, low998, high998`` for an array of denominators (percentages)."""
    n = np.asarray(n, dtype=float)
    out = {}
    for name, z in (("95", Z95), ("998", Z998)):
        spread = z * np.sqrt(p0 * (1 - p0) / n)
        out[f"low{name}"] = 100 * np.clip(p0 - spread, 0, 1)
        out[f"high{name}"] = 100 * np.clip(p0 + spread, 0, 1)
    return out


def icb_areas(catalogue: Catalogue) -> list[Area]:
    """The areas that are integrated care boards (generated ones, and LLR under its ODS code)."""
    return [a for a in catalogue.areas if a.region is not None]


def common_period(series: dict[str, pd.DataFrame], england: pd.DataFrame) -> pd.Timestamp | None:
    """The latest period England has that at least half of the ICBs with any figures also have
    (a month a few trusts have not yet reported is not compared)."""
    having = [s for s in series.values() if not s.empty]
    if england.empty or not having:
        return None
    for period in sorted(england["period_start"].unique(), reverse=True):
        count = sum(bool((s["period_start"] == period).any()) for s in having)
        if count * 2 >= len(having):
            return pd.Timestamp(period)
    return None


def build_funnel(
    catalogue: Catalogue, metric: Metric, series: dict[str, pd.DataFrame], england: pd.DataFrame, period=None
) -> Funnel:
    """Each ICB's point for one period, with control limits and Wilson intervals.

    Parameters
    ----------
    series : dict
        Area id -> the read layer's series (``calc.area_series``) in the metric's frequency.
    england : DataFrame
        England's series (the same shape).
    period : Timestamp, optional
        Default: ``common_period``.
    """
    period = pd.Timestamp(period) if period is not None else common_period(series, england)
    empty = Funnel(metric, period, math.nan, math.nan, pd.DataFrame(columns=POINT_COLUMNS))
    if period is None:
        return empty
    eng = england[england["period_start"] == period]
    if eng.empty or pd.isna(eng["denominator"].iloc[-1]) or eng["denominator"].iloc[-1] <= 0:
        return empty
    eng_num, eng_den = float(eng["numerator"].iloc[-1]), float(eng["denominator"].iloc[-1])
    p0 = eng_num / eng_den
    rows = []
    for area_id, frame in series.items():
        row = frame[frame["period_start"] == period]
        if row.empty or pd.isna(row["denominator"].iloc[-1]) or row["denominator"].iloc[-1] <= 0:
            continue
        area = catalogue.area_by_id[area_id]
        num, den = float(row["numerator"].iloc[-1]), float(row["denominator"].iloc[-1])
        value = 100 * num / den
        low95, high95 = control_limits(p0, den, Z95)
        low998, high998 = control_limits(p0, den, Z998)
        ci_low, ci_high = wilson_interval(num, den, Z95)
        vs = compare_with_england(ci_low, ci_high, 100 * p0, metric.improvement_direction)
        outside = "above" if value > high998 else "below" if value < low998 else ""
        rows.append(
            dict(area_id=area_id, name=area.name, short_name=area.short_name, region=area.region,
                 population=area.population, numerator=num, denominator=den, value=value,
                 low95=low95, high95=high95, low998=low998, high998=high998, outside=outside,
                 ci95_low=ci_low, ci95_high=ci_high, vs_england=vs)
        )  # fmt: skip
    points = pd.DataFrame(rows, columns=POINT_COLUMNS)
    return Funnel(metric, period, eng_num, eng_den, points)


def peers(catalogue: Catalogue, area_id: str, nearest: int = NEAREST_IN_POPULATION) -> dict[str, str]:
    """The systems like ``area_id``: area id -> why (``same region``, ``similar population``).

    Same region: the ICBs of its NHS England region. Similar population: the ``nearest`` ICBs
    closest in population on a ratio scale (1.2 million is as near to 1 million as 1 million is
    to 833,000).
    """
    icbs = icb_areas(catalogue)
    me = catalogue.area_by_id.get(area_id)
    if me is None or me.region is None:
        return {}
    out: dict[str, str] = {}
    for a in icbs:
        if a.id != me.id and a.region == me.region:
            out[a.id] = "same region"
    if me.population:
        sized = [a for a in icbs if a.id != me.id and a.population]
        sized.sort(key=lambda a: abs(math.log(a.population / me.population)))
        for a in sized[:nearest]:
            out[a.id] = "same region; similar population" if a.id in out else "similar population"
    return out


def ranked_table(result: Funnel, chosen: str | None, peer_reasons: dict[str, str]) -> pd.DataFrame:
    """Every ICB ranked (1 = best for the metric's direction) with its Wilson interval, the
    comparison with England in words and, for peers, why they are peers."""
    m = result.metric
    points = result.points.copy()
    if points.empty:
        return pd.DataFrame(
            columns=["Rank", "ICB", "Value", "95% interval", "Compared with England", "Population", "Peer"]
        )
    ascending = m.improvement_direction == "decrease"
    points = points.sort_values("value", ascending=ascending, kind="stable").reset_index(drop=True)
    points["rank"] = points["value"].rank(ascending=ascending, method="min").astype(int)
    names = zip(points["area_id"], points["name"], strict=True)
    chosen_names = [f"{n} (chosen)" if a == chosen else n for a, n in names]
    intervals = zip(points["ci95_low"], points["ci95_high"], strict=True)
    return pd.DataFrame(
        {
            "Rank": points["rank"],
            "ICB": chosen_names,
            "Value": [f"{v:.{m.decimals}f}%" for v in points["value"]],
            "95% interval": [f"{lo:.1f}% to {hi:.1f}%" for lo, hi in intervals],
            "Compared with England": points["vs_england"].map(COMPARISON_WORDS),
            "Within 99.8% limits": points["outside"].map({"": "yes", "above": "no: above", "below": "no: below"}),
            "Numerator": [f"{v:,.0f}" for v in points["numerator"]],
            "Denominator": [f"{v:,.0f}" for v in points["denominator"]],
            "Population": [f"{v:,.0f}" if pd.notna(v) else "" for v in points["population"]],
            "Peer": [peer_reasons.get(a, "") for a in points["area_id"]],
        }
    )  # fmt: skip


RATE_COLUMNS = ["Rank", "ICB", "Count", "Population", "Per 100,000", "95% interval", "Compared with England", "Peer"]


def byar_interval(count: float, z: float = Z95) -> tuple[float, float]:
    """Byar's approximation to the exact Poisson interval of a count (as Fingertips uses for counts)."""
    if count is None or pd.isna(count) or count < 0:
        return math.nan, math.nan
    low = 0.0 if count == 0 else count * (1 - 1 / (9 * count) - z / (3 * math.sqrt(count))) ** 3
    high = (count + 1) * (1 - 1 / (9 * (count + 1)) + z / (3 * math.sqrt(count + 1))) ** 3
    return low, high


def peer_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of a ranked or rate table (:func:`ranked_table`, :func:`rate_table`) for the chosen
    board and its peers: the boards with a reason in ``Peer``, and the one marked "(chosen)"."""
    return table[table["Peer"].ne("") | table["ICB"].str.endswith("(chosen)")]


def rate_table(
    catalogue: Catalogue,
    metric: Metric,
    series: dict[str, pd.DataFrame],
    england: pd.DataFrame,
    england_population: float | None,
    chosen: str | None,
    peer_reasons: dict[str, str],
    period=None,
) -> tuple[pd.Timestamp | None, float, pd.DataFrame]:
    """Counts compared as rates per 100,000 residents, each with a 95% interval (Byar), ranked.

    Returns the period, England's rate and the table (``RATE_COLUMNS``). Boards without a
    population are left out. Whether a higher rate is better follows the metric's direction;
    a neutral metric is ranked from highest and compared as higher or lower.

    England's rate is the boards' counts together over England's population, so it counts the same
    sites as the boards do (England's published total also counts independent-sector sites).
    """
    period = pd.Timestamp(period) if period is not None else common_period(series, england)
    if period is None or not england_population:
        return period, math.nan, pd.DataFrame(columns=RATE_COLUMNS)
    counts = [f.loc[f["period_start"] == period, "value"].sum() for f in series.values()]
    eng_rate = 100_000 * float(sum(counts)) / england_population
    rows = []
    for area_id, frame in series.items():
        area = catalogue.area_by_id[area_id]
        row = frame[frame["period_start"] == period]
        if row.empty or not area.population:
            continue
        count = float(row["value"].iloc[-1])
        low, high = byar_interval(count)
        scale = 100_000 / area.population
        rows.append(dict(area_id=area_id, name=area.name, count=count, population=area.population,
                         rate=count * scale, low=low * scale, high=high * scale))  # fmt: skip
    if not rows:
        return period, eng_rate, pd.DataFrame(columns=RATE_COLUMNS)
    frame = pd.DataFrame(rows)
    ascending = metric.improvement_direction == "decrease"
    frame = frame.sort_values("rate", ascending=ascending, kind="stable").reset_index(drop=True)
    frame["rank"] = frame["rate"].rank(ascending=ascending, method="min").astype(int)
    vs = [
        compare_with_england(lo, hi, eng_rate, metric.improvement_direction)
        for lo, hi in zip(frame["low"], frame["high"], strict=True)
    ]
    names = zip(frame["area_id"], frame["name"], strict=True)
    table = pd.DataFrame(
        {
            "Rank": frame["rank"],
            "ICB": [f"{n} (chosen)" if a == chosen else n for a, n in names],
            "Count": [f"{v:,.0f}" for v in frame["count"]],
            "Population": [f"{v:,.0f}" for v in frame["population"]],
            "Per 100,000": [f"{v:,.1f}" for v in frame["rate"]],
            "95% interval": [f"{lo:,.1f} to {hi:,.1f}" for lo, hi in zip(frame["low"], frame["high"], strict=True)],
            "Compared with England": pd.Series(vs).map(COMPARISON_WORDS),
            "Peer": [peer_reasons.get(a, "") for a in frame["area_id"]],
        }
    )
    return period, eng_rate, table
