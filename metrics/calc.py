"""Calculations on the tidy metrics layer: roll-ups, rates, change, reconciliation.

Pure functions on DataFrames (docs/architecture.md: IO at the edges). The observation frame has the columns
``store.read_observations`` returns: metric_id, org_code, period_start (datetime64), period_type,
numerator, denominator, value, source_id.

Roll-ups follow the metric's ``rollup`` rule: a percentage or rate for an area is the ratio of the
summed numerators and denominators (never the mean of the members' percentages), counts are
summed, and a metric without a roll-up rule is only shown where a single organisation reports it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from metrics.catalogue import Catalogue, Metric
from metrics.periods import period_label
from metrics.targets import _with_unit as _number_with_unit
from metrics.targets import format_number, unit_difference

ROLLUP_COLUMNS = [
    "period_start",
    "period_type",
    "numerator",
    "denominator",
    "value",
    "members_reporting",
    "members_expected",
    "members",
    "source_ids",
]
SERIES_COLUMNS = [
    "period_start",
    "period_type",
    "numerator",
    "denominator",
    "value",
    "basis",
    "members_reporting",
    "members_expected",
    "members",
    "source_ids",
]
RECONCILE_COLUMNS = [
    "metric_id",
    "area_id",
    "period_start",
    "period_type",
    "reported",
    "published",
    "difference",
    "members_reporting",
    "note",
    "members",  # the organisation codes the published figure adds up
]


# ---------------------------------------------------------------------------- formatting
def format_value(value, unit: str, decimals: int = 0) -> str:
    """A value as a reader sees it: ``62.4%``, ``1,234``, ``1,234 beds``, ``£2,061,000``, ``12.3 per 100,000``.

    Missing values are shown as an en dash ("–"), never as "nan".
    """
    if value is None or pd.isna(value):
        return "–"
    return _number_with_unit(format_number(float(value), decimals), unit)


def _empty(columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    frame["period_start"] = pd.Series(dtype="datetime64[ns]")
    for col in ("numerator", "denominator", "value"):
        if col in frame:
            frame[col] = pd.Series(dtype="float64")
    for col in ("members_reporting", "members_expected"):
        if col in frame:
            frame[col] = pd.Series(dtype="int64")
    return frame


# ---------------------------------------------------------------------------- roll-ups
def rollup(
    obs: pd.DataFrame, metric: Metric, members: Sequence[str], successors: dict[str, str] | None = None
) -> pd.DataFrame:
    """Combine member organisations' rows into one row per period.

    Parameters
    ----------
    obs : DataFrame
        Observations (rows for other metrics, when ``metric_id`` is present, are ignored).
    metric : Metric
        Its ``rollup`` decides the method: ``ratio_of_sums`` -> numerator = sum of numerators,
        denominator = sum of denominators, value = scale x numerator / denominator, counting only
        members that report both; ``sum`` -> value = sum of values (numerator and denominator
        summed where present); ``none`` -> the member's own rows, only when there is exactly one
        member. A ``ratio_of_sums`` metric with a single member passes that member's published
        value through unchanged.
    members : sequence of str
        Organisation codes.
    successors : dict, optional
        Old code -> current code (``Catalogue.successor_map``): a site that changed its code
        is the same member in the ``members`` column.

    Returns
    -------
    DataFrame
        ``ROLLUP_COLUMNS``, one row per period with member data, sorted by period; ``members``
        is the sorted tuple of the member codes counted in that period (the membership in force).
    """
    successors = successors or {}
    members = tuple(dict.fromkeys(members))
    expected = len(members)
    if metric.rollup == "none" and expected != 1:
        return _empty(ROLLUP_COLUMNS)
    rows = obs
    if "metric_id" in rows:
        rows = rows[rows["metric_id"].to_numpy(dtype=object) == metric.id]
    codes = rows["org_code"].to_numpy(dtype=object)
    mask = np.isin(codes, np.array(members, dtype=object))
    num, den, val = (rows[c].to_numpy(dtype=float) for c in ("numerator", "denominator", "value"))
    single = expected == 1 and metric.rollup in ("none", "ratio_of_sums")
    if metric.rollup == "ratio_of_sums" and not single:
        # Only members giving both parts count: a member with a percentage but no counts
        # cannot be weighted, and leaving out half a pair would bias the ratio.
        mask &= ~np.isnan(num) & ~np.isnan(den)
    else:
        mask &= ~np.isnan(val)
    if not mask.any():
        return _empty(ROLLUP_COLUMNS)
    codes, num, den, val = codes[mask], num[mask], den[mask], val[mask]
    starts = rows["period_start"].to_numpy(dtype="datetime64[ns]")[mask]
    types = rows["period_type"].to_numpy(dtype=object)[mask]
    sources = rows["source_id"].to_numpy(dtype=float)[mask] if "source_id" in rows else np.full(len(codes), np.nan)
    type_names = sorted(set(types))
    key = starts.view("int64") * 4 + np.array([type_names.index(t) for t in types])
    groups, inverse = np.unique(key, return_inverse=True)
    n = len(groups)

    def group_sum(x: np.ndarray) -> np.ndarray:
        known = ~np.isnan(x)
        total = np.bincount(inverse, weights=np.where(known, x, 0.0), minlength=n)
        return np.where(np.bincount(inverse, weights=known, minlength=n) > 0, total, np.nan)

    numerator, denominator, value = group_sum(num), group_sum(den), group_sum(val)
    if metric.rollup == "ratio_of_sums" and not single:
        with np.errstate(divide="ignore", invalid="ignore"):
            value = metric.scale * numerator / np.where(denominator > 0, denominator, np.nan)
    member_sets = [set() for _ in range(n)]
    raw_codes = [set() for _ in range(n)]
    source_sets = [set() for _ in range(n)]
    for g, code, src in zip(inverse.tolist(), codes.tolist(), sources.tolist(), strict=True):
        raw_codes[g].add(code)
        member_sets[g].add(successors.get(code, code))
        if src == src:  # not NaN
            source_sets[g].add(int(src))
    return pd.DataFrame(
        {
            "period_start": (groups // 4).astype("datetime64[ns]"),
            "period_type": pd.array([type_names[i] for i in (groups % 4)], dtype=object),
            "numerator": numerator,
            "denominator": denominator,
            "value": value,
            "members_reporting": np.array([len(c) for c in raw_codes], dtype="int64"),
            "members_expected": np.full(n, expected, dtype="int64"),
            "members": pd.array([tuple(sorted(m)) for m in member_sets], dtype=object),
            "source_ids": pd.array([tuple(sorted(x)) for x in source_sets], dtype=object),
        },
        columns=ROLLUP_COLUMNS,
    )


def area_series(obs: pd.DataFrame, catalogue: Catalogue, metric_id: str, area_id: str) -> pd.DataFrame:
    """The series a reader sees for an area: the members' roll-up, else the area's own rows.

    For periods where member organisations have data the figure is their roll-up (``basis``
    'rollup'); for other periods, rows stored under the area's own code are used (``basis``
    'direct': figures reported to committee, or England's E92000001).

    Returns
    -------
    DataFrame
        ``SERIES_COLUMNS`` sorted by period; ``source_ids`` is a tuple of ints per row.
    """
    metric = catalogue.metric(metric_id)
    area = catalogue.area_by_id[area_id]
    rows = obs[obs["metric_id"].to_numpy(dtype=object) == metric_id] if "metric_id" in obs else obs
    members = catalogue.members(metric_id, area_id)
    if members and area_id in catalogue.member_periods:
        rows = in_membership_periods(rows, catalogue.member_periods[area_id], metric.frequency)
    rolled = rollup(rows, metric, members, catalogue.successor_map) if members else _empty(ROLLUP_COLUMNS)
    rolled.insert(5, "basis", pd.array(["rollup"] * len(rolled), dtype=object))
    direct = org_series(rows, metric_id, area.org_code)
    if rolled.empty:
        return direct
    if direct.empty:
        return rolled[SERIES_COLUMNS]
    taken = set(zip(rolled["period_start"].tolist(), rolled["period_type"].tolist(), strict=True))
    keep = [k not in taken for k in zip(direct["period_start"].tolist(), direct["period_type"].tolist(), strict=True)]
    out = pd.concat([rolled[SERIES_COLUMNS], direct[keep]], ignore_index=True)
    return out.sort_values(["period_start", "period_type"], ignore_index=True)


_PERIOD_MONTHS = {"month": 1, "quarter": 3, "year": 12}


def in_membership_periods(rows: pd.DataFrame, periods: dict, frequency: str) -> pd.DataFrame:
    """The rows of members for periods in which they belonged to the area.

    ``periods`` maps a member code to (first day, last day), either None for open-ended (a
    trust's open and close dates). A row counts when its period overlaps that span, so a trust
    that closed in December counts in the quarter it closed and not after; codes without an
    entry always count.
    """
    if rows.empty or not periods:
        return rows
    codes = rows["org_code"].to_numpy(dtype=object)
    starts = rows["period_start"].to_numpy(dtype="datetime64[ns]")
    months = _PERIOD_MONTHS.get(frequency, 1)
    ends = (pd.DatetimeIndex(starts) + pd.DateOffset(months=months) - pd.Timedelta(days=1)).to_numpy()
    keep = np.ones(len(rows), dtype=bool)
    for code, (first, last) in periods.items():
        mine = codes == code
        if not mine.any():
            continue
        if first is not None:
            keep &= ~mine | (ends >= np.datetime64(first, "ns"))
        if last is not None:
            keep &= ~mine | (starts <= np.datetime64(last, "ns"))
    return rows[keep]


def org_series(obs: pd.DataFrame, metric_id: str, org_code: str) -> pd.DataFrame:
    """One organisation's own rows in the shape of ``area_series`` (``basis`` 'direct').

    Lets any organisation (a trust, a council, England) be shown and briefed like an area.
    """
    mask = obs["org_code"].to_numpy(dtype=object) == org_code
    if "metric_id" in obs:
        mask &= obs["metric_id"].to_numpy(dtype=object) == metric_id
    mask &= ~np.isnan(obs["value"].to_numpy(dtype=float))
    if not mask.any():
        return _empty(SERIES_COLUMNS)
    rows = obs[mask]
    ids = rows["source_id"].to_numpy(dtype=float) if "source_id" in rows else np.full(len(rows), np.nan)
    out = pd.DataFrame(
        {
            "period_start": rows["period_start"].to_numpy(dtype="datetime64[ns]"),
            "period_type": pd.array(rows["period_type"].to_numpy(dtype=object), dtype=object),
            "numerator": rows["numerator"].to_numpy(dtype=float),
            "denominator": rows["denominator"].to_numpy(dtype=float),
            "value": rows["value"].to_numpy(dtype=float),
            "basis": pd.array(["direct"] * len(rows), dtype=object),
            "members_reporting": np.zeros(len(rows), dtype="int64"),
            "members_expected": np.zeros(len(rows), dtype="int64"),
            "members": pd.array([()] * len(rows), dtype=object),
            "source_ids": pd.array([(int(s),) if s == s else () for s in ids.tolist()], dtype=object),
        },
        columns=SERIES_COLUMNS,
    )
    return out.sort_values(["period_start", "period_type"], ignore_index=True)


# ---------------------------------------------------------------------------- rates
def financial_year_start(period_start: pd.Series) -> pd.Series:
    """1 April of the financial year containing each date (financial years start 1 April)."""
    ps = pd.to_datetime(period_start)
    year = ps.dt.year - (ps.dt.month < 4).astype(int)
    return pd.to_datetime(pd.DataFrame({"year": year, "month": 4, "day": 1})).astype("datetime64[ns]")


def rate_per_100k(counts: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """Rates per 100,000 from counts and a yearly population series.

    A monthly or quarterly count uses the population of the financial year containing it (a
    mid-year estimate for 30 June of year Y is filed under Y/Y+1, see config.yaml). When that
    year's estimate is not loaded yet, the latest earlier estimate is used, as ONS estimates are
    published about a year after the date they describe.

    Parameters
    ----------
    counts : DataFrame
        ``period_start``, ``value`` (the count), optionally ``period_type`` and ``org_code``.
    population : DataFrame
        ``period_start`` (1 April of each financial year), ``value``; with ``org_code`` when the
        counts have one.

    Returns
    -------
    DataFrame
        The counts' rows in their original order with ``numerator`` (the count),
        ``denominator`` (the population), ``value`` (the rate) and ``population_year``.
    """
    by = ["org_code"] if "org_code" in counts and "org_code" in population else []
    left = counts.copy()
    left["_order"] = np.arange(len(left))
    left["numerator"] = left["value"].astype(float)
    left["population_year"] = financial_year_start(left["period_start"])
    pop = population[["period_start", "value", *by]].rename(
        columns={"period_start": "population_year", "value": "denominator"}
    )
    pop = pop.assign(population_year=pd.to_datetime(pop["population_year"]).astype("datetime64[ns]"))
    pop = pop.dropna(subset=["denominator"]).sort_values("population_year")
    left = left.drop(columns=["denominator"], errors="ignore").sort_values("population_year")
    merged = pd.merge_asof(
        left.rename(columns={"population_year": "_year"}),
        pop.assign(_year=pop["population_year"]),
        on="_year",
        by=by or None,
        direction="backward",
    ).drop(columns="_year")
    den = merged["denominator"].where(merged["denominator"] > 0)
    merged["value"] = 100_000.0 * merged["numerator"] / den
    return merged.sort_values("_order").drop(columns="_order").reset_index(drop=True)


def inputs_for(metric_ids, catalogue: Catalogue) -> list[str]:
    """``metric_ids`` plus the stored metrics their derived rates are computed from."""
    wanted = list(metric_ids)
    for metric_id in list(wanted):
        derived = catalogue.metric_by_id[metric_id].derived_from if metric_id in catalogue.metric_by_id else None
        if derived is not None:
            wanted += [derived.count_metric, derived.population_metric]
    return list(dict.fromkeys(wanted))


def add_derived_rates(obs: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """Add rows for rates the catalogue derives at read time (``derived_from``), where none are stored.

    Each derived row keeps the count's ``source_id`` (the file the delayed days came from), its
    numerator (the count) and denominator (the population), so roll-ups stay ratios of sums.
    """
    extra = []
    for metric in catalogue.metrics:
        if metric.derived_from is None:
            continue
        counts = obs[obs["metric_id"] == metric.derived_from.count_metric]
        population = obs[obs["metric_id"] == metric.derived_from.population_metric]
        if counts.empty or population.empty:
            continue
        stored = obs[obs["metric_id"] == metric.id]
        if len(stored):
            have = set(zip(stored["org_code"], stored["period_start"], strict=True))
            keep = [(o, p) not in have for o, p in zip(counts["org_code"], counts["period_start"], strict=True)]
            counts = counts[keep]
        counts = counts[counts["org_code"].isin(set(population["org_code"]))]
        if counts.empty:
            continue
        rates = rate_per_100k(counts, population)
        rates = rates.dropna(subset=["value"]).assign(metric_id=metric.id)
        extra.append(rates[list(obs.columns)])
    if not extra:
        return obs
    return pd.concat([obs, *extra], ignore_index=True)


# ---------------------------------------------------------------------------- reconciliation
def reconcile_reported_area(
    reported: pd.DataFrame, obs: pd.DataFrame, metric: Metric, area_id: str, catalogue: Catalogue
) -> pd.DataFrame:
    """Figures reported to committee for one metric and area beside the published roll-up.

    A row stored under an area's own code (e.g. ``LLR``) for a period in which the area's member
    organisations also have published figures is a figure reported to committee; this puts the
    two side by side (e.g. A&E September 2016: 79.48% reported for LLR against about 79.9% from
    University Hospitals of Leicester's published figures). The published figure is the read
    layer's roll-up: the same members, successor codes and frequency as every page.

    Parameters
    ----------
    reported : DataFrame
        The area's own rows for the metric.
    obs : DataFrame
        The metric's rows for the area's members.

    Returns
    -------
    DataFrame
        ``RECONCILE_COLUMNS``; ``difference`` = reported - published, in the metric's unit.
    """
    members = catalogue.members(metric.id, area_id)
    reported = reported[(reported["period_type"] == metric.frequency) & reported["value"].notna()]
    if not members or reported.empty:
        return _empty(RECONCILE_COLUMNS)
    published = rollup(obs, metric, members, catalogue.successor_map)
    joined = reported.merge(published, on=["period_start", "period_type"], suffixes=("_reported", ""))
    rows = [
        {
            "metric_id": metric.id,
            "area_id": area_id,
            "period_start": r.period_start,
            "period_type": r.period_type,
            "reported": float(r.value_reported),
            "published": float(r.value),
            "difference": float(r.value_reported) - float(r.value),
            "members_reporting": int(r.members_reporting),
            "note": _reconcile_note(metric, r, tuple(r.members)),
            "members": tuple(r.members),
        }
        for r in joined.itertuples(index=False)
    ]
    return pd.DataFrame(rows, columns=RECONCILE_COLUMNS) if rows else _empty(RECONCILE_COLUMNS)


def _reconcile_note(metric: Metric, r, members: tuple[str, ...]) -> str:
    codes = ", ".join(sorted(members))
    # Committee papers quote figures to two decimals (79.48%); keep what was reported.
    reported_number = format_number(float(r.value_reported), max(metric.decimals, 2), strip=True)
    reported_text = _number_with_unit(reported_number, metric.unit)
    published_text = format_value(r.value, metric.unit, metric.decimals)
    diff = float(r.value_reported) - float(r.value)
    label = period_label(pd.Timestamp(r.period_start).date(), r.period_type)
    if round(diff, 2) == 0:
        return f"{label}: reported as {reported_text}, the same as the published figures ({codes})."
    return (
        f"{label}: reported as {reported_text}; the published figures ({codes}) give {published_text}, "
        f"so the reported figure is {unit_difference(diff, metric.unit, 2)} {'higher' if diff > 0 else 'lower'}."
    )
