"""Compare areas with England and rank organisations among peers that do the same job.

Ranks are fair only within a pool of like organisations (issue: an acute trust's type 1
department ranked against urgent treatment centres at 100% is "worst quarter" for doing a
different job). The catalogue's ``peer_groups`` say who belongs with whom for each metric, and
every ranking names its pool. Proportions get Wilson score intervals and a comparison with
England as Fingertips (OHID) does: significantly better or worse when England's value lies
outside the area's interval.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from metrics.catalogue import Catalogue, Metric, PeerGroup
from metrics.query import Indicator

QUARTILE_WORDS = {1: "best quarter", 2: "second quarter", 3: "third quarter", 4: "worst quarter"}
#: Two-sided normal quantiles for the 95% and 99.8% intervals Fingertips uses.
Z95 = 1.959963984540054
Z998 = 3.090232306167813
RANK_COLUMNS = [
    "org_code",
    "name",
    "kind",
    "pool",
    "period_start",
    "value",
    "rank",
    "peers",
    "quartile",
    "quartile_words",
]


def wilson_interval(numerator: float, denominator: float, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion, as percentages (0-100).

    Parameters
    ----------
    numerator, denominator : float
        Events and people (e.g. attendances within 4 hours, all attendances).
    z : float
        The normal quantile: ``Z95`` for 95%, ``Z998`` for 99.8%.

    Returns
    -------
    (low, high) : tuple of float
        NaNs when the denominator is not positive or a count is missing.
    """
    if numerator is None or denominator is None or pd.isna(numerator) or pd.isna(denominator) or denominator <= 0:
        return math.nan, math.nan
    n, p = float(denominator), float(numerator) / float(denominator)
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    scale = 1 + z * z / n
    return 100 * (centre - spread) / scale, 100 * (centre + spread) / scale


def compare_with_england(low: float, high: float, england: float, direction: str) -> str:
    """``"better"``, ``"similar"``, ``"worse"`` (or ``"higher"``/``"lower"`` for a neutral metric).

    Significantly different when England's value lies outside the area's interval; ``""`` when
    there is nothing to compare.
    """
    if any(pd.isna(x) for x in (low, high, england)):
        return ""
    if low <= england <= high:
        return "similar"
    higher = low > england
    if direction == "neutral":
        return "higher" if higher else "lower"
    return "better" if higher == (direction == "increase") else "worse"


COMPARISON_WORDS = {
    "better": "Better than England",
    "worse": "Worse than England",
    "similar": "Similar to England",
    "higher": "Higher than England",
    "lower": "Lower than England",
    "": "",
}


def latest_by_area(indicators: dict[str, Indicator], cat: Catalogue) -> pd.DataFrame:
    """One row per area: its latest period, value and numbers, Wilson intervals and England comparison.

    England is compared at the area's own latest period. Intervals are given only for
    proportions of people or events (the catalogue's ``interval: wilson``) published with their
    numerator and denominator: never for bed occupancy, an average of beds over days.
    """
    england_id = cat.settings.england_area
    england = indicators.get(england_id)
    eng_values = (
        dict(zip(england.series["period_start"], england.series["value"], strict=True)) if england is not None else {}
    )
    rows = []
    for area_id, ind in indicators.items():
        area = cat.area_by_id[area_id]
        row = {"area": area.name, "area_id": area_id, "period_start": pd.NaT, "period_label": "", "value": np.nan,
               "numerator": np.nan, "denominator": np.nan, "ci95_low": np.nan, "ci95_high": np.nan,
               "ci998_low": np.nan, "ci998_high": np.nan, "vs_england_95": "", "vs_england_998": ""}  # fmt: skip
        if ind.latest is not None:
            last = ind.latest
            row.update(period_start=last["period_start"], period_label=last["period_label"], value=last["value"],
                       numerator=last["numerator"], denominator=last["denominator"])  # fmt: skip
            if ind.metric.interval == "wilson":
                row["ci95_low"], row["ci95_high"] = wilson_interval(last["numerator"], last["denominator"], Z95)
                row["ci998_low"], row["ci998_high"] = wilson_interval(last["numerator"], last["denominator"], Z998)
                if area_id != england_id:
                    eng = eng_values.get(last["period_start"], np.nan)
                    d = ind.metric.improvement_direction
                    row["vs_england_95"] = compare_with_england(row["ci95_low"], row["ci95_high"], eng, d)
                    row["vs_england_998"] = compare_with_england(row["ci998_low"], row["ci998_high"], eng, d)
        rows.append(row)
    return pd.DataFrame(rows)


def _in_group(group: PeerGroup, codes: pd.Series, kinds: pd.Series, reporting: dict[str, set]) -> np.ndarray:
    ok = np.ones(len(codes), dtype=bool)
    if group.org_kind is not None:
        ok &= (codes.map(kinds) == group.org_kind).to_numpy()
    if group.reports_metric is not None:
        ok &= codes.isin(reporting.get(group.reports_metric, set())).to_numpy()
    if group.lacks_metric is not None:
        ok &= ~codes.isin(reporting.get(group.lacks_metric, set())).to_numpy()
    return ok


def peer_pools(
    obs: pd.DataFrame, organisations: pd.DataFrame, catalogue: Catalogue, metric: Metric, period: pd.Timestamp
) -> pd.DataFrame:
    """Every organisation with a figure for ``metric`` in ``period``, with the pool it is ranked in.

    ``obs`` holds the metric's rows and those of any metric its peer groups refer to. Only rows
    of each metric's own frequency count (a yearly total beside monthly figures is not a peer).

    Returns
    -------
    DataFrame
        ``org_code``, ``value``, ``pool`` (the group's name; organisations of the same kind when
        the metric names no groups), ``kind``.
    """
    frequencies = {m.id: m.frequency for m in catalogue.metrics}
    freq = obs["metric_id"].map(frequencies).fillna("")
    at = obs[(obs["period_start"] == period) & obs["value"].notna() & (obs["period_type"] == freq)]
    rows = at[at["metric_id"] == metric.id][["org_code", "value"]].reset_index(drop=True)
    if rows["org_code"].duplicated().any():
        dupes = ", ".join(sorted(set(rows.loc[rows["org_code"].duplicated(), "org_code"])))
        raise ValueError(f"{metric.id}: more than one figure for {dupes} in {period:%Y-%m-%d}")
    kinds = organisations.set_index("code")["kind"]
    rows["kind"] = rows["org_code"].map(kinds)
    # Countries, regions and systems are totals of others, never peers.
    rows = rows[~rows["kind"].isin(["country", "region", "system"]) & rows["kind"].notna()].reset_index(drop=True)
    reporting = {mid: set(part["org_code"]) for mid, part in at.groupby("metric_id")}
    pool = pd.Series([None] * len(rows), dtype=object)
    if metric.peer_groups:
        for name in metric.peer_groups:
            group = catalogue.peer_groups[name]
            fits = _in_group(group, rows["org_code"], kinds, reporting) & pool.isna().to_numpy()
            pool[fits] = group.name
    else:
        pool = rows["kind"].map(lambda k: f"Organisations of the same kind ({str(k).replace('_', ' ')})")
    rows["pool"] = pool.to_numpy()
    return rows[rows["pool"].notna()].reset_index(drop=True)


def latest_period(obs: pd.DataFrame, metric: Metric) -> pd.Timestamp | None:
    """The newest period of ``metric``'s own frequency with any figure (None when there is none)."""
    rows = obs[(obs["metric_id"] == metric.id) & (obs["period_type"] == metric.frequency) & obs["value"].notna()]
    return None if rows.empty else rows["period_start"].max()


def rank_among_peers(
    obs: pd.DataFrame,
    organisations: pd.DataFrame,
    catalogue: Catalogue,
    metric: Metric,
    codes: list[str],
    period: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Rank each organisation in ``codes`` within its pool, all in one period: ``period``, else the metric's newest.

    A rank compares only organisations reporting the period being ranked: a site that closed (or
    has not yet reported) is left out rather than ranked with an old figure among new ones.
    Rank 1 is the best value given the metric's improvement direction (for a neutral metric,
    the highest). Quartile 1 is the best quarter.

    Returns
    -------
    DataFrame
        ``RANK_COLUMNS``; ``pool`` names who it is ranked with and ``peers`` how many.
    """
    when = latest_period(obs, metric) if period is None else pd.Timestamp(period)
    if when is None:
        return pd.DataFrame(columns=RANK_COLUMNS)
    pools = peer_pools(obs, organisations, catalogue, metric, when)
    names = organisations.set_index("code")["name"]
    out = []
    for code in codes:
        mine = pools[pools["org_code"] == code]
        if mine.empty:
            continue
        pool_name = mine["pool"].iloc[0]
        peers = pools[pools["pool"] == pool_name].set_index("org_code")["value"]
        ranks = peers.rank(ascending=metric.improvement_direction == "decrease", method="min")
        n, rank = len(peers), int(ranks[code])
        quartile = min(4, int((rank - 1) * 4 // n) + 1)
        out.append(
            {
                "org_code": code,
                "name": names.get(code, code),
                "kind": mine["kind"].iloc[0],
                "pool": pool_name,
                "period_start": when,
                "value": float(peers[code]),
                "rank": rank,
                "peers": n,
                "quartile": quartile,
                "quartile_words": QUARTILE_WORDS[quartile],
            }
        )
    return pd.DataFrame(out, columns=RANK_COLUMNS)
