"""The meeting brief: what has changed for an area since the committee last met.

One row per metric with the latest figure and the numbers behind it, the figure at the time of
the meeting and the change in plain words, the SPC signal ("Making Data Count"), the target in
force and whether it was met, a sentence a councillor can read aloud, a sparkline and the source
ids behind the figure.

Built to run for every metric x organisation at once (``organisation_brief``): the series are
sorted once, right-aligned into a matrix and the SPC icons of every latest point are computed
with array operations; the result agrees with ``spc.xmr`` (tested), which the indicator pages
use to draw the full chart.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from metrics.calc import _currency, area_series, format_value
from metrics.catalogue import Catalogue, Metric
from metrics.periods import period_label
from metrics.spc import LIMIT_FACTOR, SPCSettings
from metrics.targets import (
    NUMBER_WORDS,
    format_number,
    format_target,
    status_array,
    status_words,
    targets_for_periods,
    unit_difference,
    visible_decimals,
)

BRIEF_COLUMNS = [
    "metric_id",
    "name",
    "topic",
    "unit",
    "latest_period",
    "latest_label",
    "latest_value",
    "latest_numerator",
    "latest_denominator",
    "value_text",
    "numbers_text",
    "meeting_period",
    "meeting_label",
    "meeting_value",
    "meeting_value_text",
    "change",
    "change_text",
    "direction",
    "signal",
    "variation",
    "assurance",
    "target",
    "target_kind",
    "standard",
    "status",
    "status_text",
    "gap_text",
    "summary",
    "sparkline",
    "n_points",
    "source_ids",
    "currency_text",
    "stale",
]

#: Plain-English signal for each variation icon (NHS England "Making Data Count").
SIGNALS = {
    "common_cause": "ordinary variation",
    "improvement_high": "special cause improvement",
    "improvement_low": "special cause improvement",
    "concern_high": "special cause concern",
    "concern_low": "special cause concern",
    "neither_high": "special cause variation",
    "neither_low": "special cause variation",
    None: "too few points",
}
_SIGNAL_CLAUSE = {
    "ordinary variation": "within ordinary variation",
    "special cause improvement": "showing special cause improvement",
    "special cause concern": "showing special cause concern",
    "special cause variation": "showing special cause variation (neither better nor worse)",
    "too few points": "too few points to judge the variation",
}
SPARKLINE_POINTS = 24


# ---------------------------------------------------------------------------- batch SPC
def latest_spc(matrix, sizes, directions, targets, settings: SPCSettings | None = None) -> dict:
    """Variation and assurance icons of the latest point of many series at once.

    Gives the same icons as ``spc.xmr`` (one segment, no exclusions) for each row: the mean and
    limits use every point; the latest point is flagged when it is beyond a limit, ends a run of
    ``shift_length`` points on one side of the mean, ends a trend of ``trend_length`` points, or
    is one of two out of the last three points beyond 2 sigma (NHS England SPC SQL v2.6).

    Parameters
    ----------
    matrix : 2-D array of float
        One series per row, in date order, right-aligned (the latest point in the last column)
        and padded on the left with NaN.
    sizes : array of int
        Points per row.
    directions : array of str
        Improvement direction per row.
    targets : array of float
        Target at the latest point per row (NaN for none).
    settings : SPCSettings, optional

    Returns
    -------
    dict of arrays
        ``mean``, ``upl``, ``lpl``, ``has_limits``, ``variation`` (icon name or None) and
        ``assurance`` (icon name or None).
    """
    settings = settings or SPCSettings()
    m = np.asarray(matrix, dtype=float)
    rows, width = m.shape
    n = np.asarray(sizes, dtype=float)
    directions = np.asarray(directions, dtype=object)
    targets = np.asarray(targets, dtype=float)
    filled = np.where(np.isnan(m), 0.0, m)
    mean = filled.sum(axis=1) / np.maximum(n, 1)
    if width > 1:
        steps = np.diff(m, axis=1)
        mr = np.where(np.isnan(steps), 0.0, np.abs(steps)).sum(axis=1) / np.maximum(n - 1, 1)
    else:
        mr = np.zeros(rows)
    sigma = LIMIT_FACTOR * mr / 3
    upl, lpl = mean + 3 * sigma, mean - 3 * sigma
    upper2, lower2 = mean + 2 * sigma, mean - 2 * sigma
    last = m[:, -1] if width else np.full(rows, np.nan)
    high = last > upl
    low = last < lpl
    k = settings.shift_length
    if width >= k:
        tail = m[:, -k:]
        high |= (tail > mean[:, None]).all(axis=1)
        low |= (tail < mean[:, None]).all(axis=1)
    t = settings.trend_length
    if width >= t:
        rises = np.diff(m[:, -t:], axis=1)
        high |= (rises > 0).all(axis=1)
        low |= (rises < 0).all(axis=1)
    if width >= 3:
        three = m[:, -3:]
        above, below = three > upper2[:, None], three < lower2[:, None]
        high |= above[:, 2] & (above[:, 0] | above[:, 1])
        low |= below[:, 2] & (below[:, 0] | below[:, 1])
    has_limits = n >= settings.minimum_points
    inc, dec = directions == "increase", directions == "decrease"
    neutral = ~(inc | dec)
    prefer_good = settings.conflict_rule == "improvement"
    # NHS England SPC SQL v2.6: a point flagged on both sides keeps the side named by the
    # conflict rule (MetricConflictRule); see spc.classify_point.
    inc_high = high & (prefer_good | ~low)
    dec_low = low & (prefer_good | ~high)
    variation = np.select(
        [
            ~has_limits,
            neutral & high,
            neutral & low,
            inc & inc_high,
            inc & low,
            dec & dec_low,
            dec & high,
        ],
        [None, "neither_high", "neither_low", "improvement_high", "concern_low", "improvement_low", "concern_high"],
        default="common_cause",
    ).astype(object)
    passes = np.where(inc, targets <= lpl, targets >= upl)
    fails = np.where(inc, targets >= upl, targets <= lpl)
    assurance = np.where(passes, "pass", np.where(fails, "fail", "hit_and_miss")).astype(object)
    assurance[neutral | np.isnan(targets) | ~has_limits] = None
    return {
        "mean": mean,
        "upl": upl,
        "lpl": lpl,
        "has_limits": has_limits,
        "variation": variation,
        "assurance": assurance,
    }


def spc_icons(series_values: Sequence, directions: Sequence[str], targets: Sequence | None = None, settings=None):
    """``latest_spc`` for a list of series (each a sequence of values in date order)."""
    arrays = [np.asarray(v, dtype=float) for v in series_values]
    arrays = [a[~np.isnan(a)] for a in arrays]
    sizes = np.array([len(a) for a in arrays])
    width = int(sizes.max()) if len(sizes) else 0
    matrix = np.full((len(arrays), width), np.nan)
    for i, a in enumerate(arrays):
        if len(a):
            matrix[i, width - len(a) :] = a
    if targets is None:
        targets = np.full(len(arrays), np.nan)
    targets = np.array([np.nan if t is None else float(t) for t in targets])
    return latest_spc(matrix, sizes, np.asarray(directions, dtype=object), targets, settings)


# ---------------------------------------------------------------------------- the brief
def _verb(metric: Metric) -> str:
    """'were' for counted things named in the plural ("A&E attendances were 40,958"), else 'was'."""
    counted = metric.unit in ("count", "days", "beds") and not metric.name.startswith("Population")
    return "were" if counted else "was"


def meeting_brief(
    obs: pd.DataFrame,
    catalogue: Catalogue,
    area_id: str,
    meeting_date,
    metric_ids: Sequence[str] | None = None,
    today: dt.date | None = None,
    include_missing: bool = False,
) -> pd.DataFrame:
    """What has changed for an area since the last meeting, one row per metric.

    Parameters
    ----------
    obs : DataFrame
        Observations (``store.read_observations``).
    catalogue : Catalogue
    area_id : str
        e.g. ``"llr"``; the figures are ``calc.area_series`` (member roll-up, else the area's own
        rows).
    meeting_date : date-like
        The figure "at the meeting" is the latest period starting on or before this date.
    metric_ids : sequence of str, optional
        Defaults to every catalogue metric except the population denominators.
    today : date, optional
        For the data-currency note; defaults to today.
    include_missing : bool
        Add a row saying "not published for this area" for metrics with no figures.

    Returns
    -------
    DataFrame
        ``area_id`` + ``BRIEF_COLUMNS`` in catalogue order (see the module docstring).
    """
    area = catalogue.area_by_id[area_id]
    ids = _metric_ids(catalogue, metric_ids)
    wanted_orgs = {area.org_code}
    for mid in ids:
        wanted_orgs.update(catalogue.members(mid, area_id))
    relevant = obs[obs["metric_id"].isin(ids) & obs["org_code"].isin(wanted_orgs)]
    parts = []
    for mid, rows in relevant.groupby("metric_id", sort=False):
        s = area_series(rows, catalogue, mid, area_id)
        if not s.empty:
            parts.append(s.assign(metric_id=mid))
    if parts:
        series = pd.concat(parts, ignore_index=True)
        series["key"] = area_id
        series["target_org"] = area.org_code
    else:
        series = None
    brief = _brief(series, catalogue, meeting_date, today)
    if include_missing:
        brief = _add_missing(brief, catalogue, ids)
    order = {mid: i for i, mid in enumerate(ids)}
    brief = brief[brief["metric_id"].isin(order)]
    brief = brief.iloc[np.argsort(brief["metric_id"].map(order).to_numpy(), kind="stable")]
    brief.insert(0, "area_id", area_id)
    return brief.drop(columns="key").reset_index(drop=True)


def organisation_brief(
    obs: pd.DataFrame,
    catalogue: Catalogue,
    meeting_date,
    metric_ids: Sequence[str] | None = None,
    today: dt.date | None = None,
) -> pd.DataFrame:
    """The meeting brief for every organisation with data, each treated like an area.

    Each organisation's own rows are its series (``calc.org_series``), so a trust, a council or
    England can be compared on the same columns as ``meeting_brief``.

    Returns
    -------
    DataFrame
        ``org_code`` + ``BRIEF_COLUMNS``, sorted by metric (catalogue order) and organisation.
    """
    ids = _metric_ids(catalogue, metric_ids)
    brief = _brief(obs, catalogue, meeting_date, today, key="org_code", target_org="org_code", metric_ids=ids)
    brief = brief.rename(columns={"key": "org_code"})
    rank = brief["metric_id"].map({mid: i for i, mid in enumerate(ids)}).to_numpy()
    order = np.lexsort((brief["org_code"].to_numpy(dtype=object).astype(str), rank))
    return brief.iloc[order][["org_code", *BRIEF_COLUMNS]].reset_index(drop=True)


def _metric_ids(catalogue: Catalogue, metric_ids) -> list[str]:
    if metric_ids is None:
        return [m.id for m in catalogue.metrics if m.topic != "population"]
    return [catalogue.metric(mid).id for mid in metric_ids]


def _add_missing(brief: pd.DataFrame, catalogue: Catalogue, ids: list[str]) -> pd.DataFrame:
    have = set(brief["metric_id"])
    extra = []
    for mid in ids:
        if mid in have:
            continue
        m = catalogue.metric(mid)
        extra.append(
            {
                **dict.fromkeys(BRIEF_COLUMNS),
                "key": brief["key"].iloc[0] if len(brief) else None,
                "metric_id": mid,
                "name": m.name,
                "topic": m.topic,
                "unit": m.unit,
                "value_text": "–",
                "numbers_text": "",
                "change_text": "",
                "direction": "n/a",
                "signal": "n/a",
                "status": "no_data",
                "status_text": "Not published for this area",
                "gap_text": "",
                "summary": f"{m.name}: not published for this area.",
                "sparkline": [],
                "n_points": 0,
                "source_ids": (),
                "currency_text": "",
                "stale": False,
            }
        )
    if not extra:
        return brief
    return pd.concat([brief, pd.DataFrame(extra)], ignore_index=True) if len(brief) else pd.DataFrame(extra)


def _brief(
    series: pd.DataFrame | None,
    catalogue: Catalogue,
    meeting_date,
    today,
    key: str = "key",
    target_org: str = "target_org",
    metric_ids: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The brief for every (metric_id, ``key``) series in a long frame, vectorised across series.

    ``series`` has metric_id, the ``key`` and ``target_org`` columns (the code whose targets
    apply), period_start, period_type, numerator, denominator, value and ``source_ids``
    (tuples) or ``source_id``. String columns are factorised once and only the latest row of
    each series is looked at in Python.
    """
    today = today or dt.date.today()
    meeting = pd.Timestamp(meeting_date)
    if series is None or series.empty:
        return pd.DataFrame(columns=["key", *BRIEF_COLUMNS])
    mcode, muniq = pd.factorize(series["metric_id"])
    muniq = np.asarray(muniq, dtype=object)
    allowed = set(catalogue.metric_by_id if metric_ids is None else metric_ids)
    metrics = {mid: catalogue.metric(mid) for mid in muniq if mid in allowed and mid in catalogue.metric_by_id}
    pcode, puniq = pd.factorize(series["period_type"])
    ptype_code = {p: i for i, p in enumerate(puniq)}
    # One period type per series: the metric's frequency (a stray yearly total beside a monthly
    # series would otherwise break the run of points). Unknown metrics match nothing (-2).
    wanted = np.array([ptype_code.get(metrics[m].frequency, -2) if m in metrics else -2 for m in muniq])
    keep = (pcode == wanted[mcode]) & series["value"].notna().to_numpy()
    rows = np.flatnonzero(keep)
    if len(rows) == 0:
        return pd.DataFrame(columns=["key", *BRIEF_COLUMNS])
    kcode, kuniq = pd.factorize(series[key])
    kuniq = np.asarray(kuniq, dtype=object)
    ps_all = series["period_start"].to_numpy(dtype="datetime64[ns]").view("int64")
    mcode, kcode, ps = mcode[rows], kcode[rows], ps_all[rows]
    order = np.lexsort((ps, kcode, mcode))
    mcode, kcode, ps = mcode[order], kcode[order], ps[order]
    order = rows[order]  # positions in ``series``
    values = series["value"].to_numpy(dtype=float)[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (mcode[1:] != mcode[:-1]) | (kcode[1:] != kcode[:-1])
    # A period stored twice in one series (should not happen: the store is unique on it) keeps the last.
    dup = np.zeros(len(order), dtype=bool)
    dup[:-1] = ~new[1:] & (ps[1:] == ps[:-1])
    if dup.any():
        keep = ~dup
        order, mcode, kcode, ps, values, new = (a[keep] for a in (order, mcode, kcode, ps, values, new))
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], len(order))
    sizes = ends - starts
    gid = np.repeat(np.arange(len(starts)), sizes)
    width = int(sizes.max())
    col = width - sizes[gid] + (np.arange(len(order)) - starts[gid])
    matrix = np.full((len(starts), width), np.nan)
    matrix[gid, col] = values

    g_metric = muniq[mcode[starts]]
    g_key = kuniq[kcode[starts]]
    last = ends - 1
    take = order[last]
    period_type = np.asarray(puniq, dtype=object)[pcode[take]]
    target_org = series[target_org].take(take).to_numpy(dtype=object)
    latest_ps = ps[last]
    num = series["numerator"].to_numpy(dtype=float)[take]
    den = series["denominator"].to_numpy(dtype=float)[take]
    latest = values[last]

    # Figure at the meeting: within a series the periods are sorted, so those on or before the
    # meeting are a prefix; its length gives the meeting row.
    before = (ps <= meeting.value).astype(np.int64)
    counts = np.add.reduceat(before, starts)
    has_meeting = counts > 0
    meeting_idx = starts + np.maximum(counts, 1) - 1
    meeting_value = np.where(has_meeting, values[meeting_idx], np.nan)
    meeting_ps = np.where(has_meeting, ps[meeting_idx], np.iinfo(np.int64).min)

    # Target in force at the latest period, per series.
    target = np.full(len(starts), np.nan)
    kind = np.full(len(starts), None, dtype=object)
    standard = np.full(len(starts), np.nan)
    for mid, metric in metrics.items():
        if not metric.targets:
            continue
        in_metric = g_metric == mid
        if not in_metric.any():
            continue
        specific = {t.org_code for t in metric.targets if t.org_code is not None}
        groups = [(org, in_metric & (target_org == org)) for org in specific]
        groups.append((None, in_metric & ~np.isin(target_org, list(specific))))
        for org, mask in groups:
            if not mask.any():
                continue
            found = targets_for_periods(metric, org, latest_ps[mask].astype("datetime64[ns]"))
            target[mask] = found["target"].to_numpy()
            kind[mask] = found["kind"].to_numpy()
            standard[mask] = found["standard"].to_numpy()

    direction = np.array([metrics[mid].improvement_direction for mid in g_metric], dtype=object)
    spc = latest_spc(matrix, sizes, direction, target)
    status = np.full(len(starts), "no_target", dtype=object)
    for d in ("increase", "decrease"):
        mask = direction == d
        status[mask] = status_array(latest[mask], target[mask], d)

    source = _latest_sources(series, take)
    texts = _texts(
        metrics, g_metric, latest, num, den, latest_ps, period_type, meeting_value, meeting_ps, has_meeting,
        meeting, target, status, spc["variation"], today,
    )  # fmt: skip
    keep = np.minimum(sizes, SPARKLINE_POINTS)
    tail = matrix[:, -SPARKLINE_POINTS:]
    sparkline = [row[tail.shape[1] - k :].tolist() for row, k in zip(tail, keep, strict=True)]

    names = {mid: m.name for mid, m in metrics.items()}
    out = pd.DataFrame(
        {
            "key": g_key,
            "metric_id": g_metric,
            "name": [names[mid] for mid in g_metric],
            "topic": [metrics[mid].topic for mid in g_metric],
            "unit": [metrics[mid].unit for mid in g_metric],
            "latest_period": latest_ps.astype("datetime64[ns]"),
            "latest_label": texts["latest_label"],
            "latest_value": latest,
            "latest_numerator": num,
            "latest_denominator": den,
            "value_text": texts["value_text"],
            "numbers_text": texts["numbers_text"],
            "meeting_period": pd.to_datetime(np.where(has_meeting, meeting_ps, 0).astype("datetime64[ns]")).where(
                has_meeting
            ),
            "meeting_label": texts["meeting_label"],
            "meeting_value": meeting_value,
            "meeting_value_text": texts["meeting_value_text"],
            "change": texts["change"],
            "change_text": texts["change_text"],
            "direction": texts["direction"],
            "signal": [SIGNALS[v] for v in spc["variation"]],
            "variation": spc["variation"],
            "assurance": spc["assurance"],
            "target": target,
            "target_kind": kind,
            "standard": standard,
            "status": status,
            "status_text": texts["status_text"],
            "gap_text": texts["gap_text"],
            "summary": texts["summary"],
            "sparkline": sparkline,
            "n_points": sizes,
            "source_ids": source,
            "currency_text": texts["currency_text"],
            "stale": texts["stale"],
        }
    )
    return out


def _latest_sources(s: pd.DataFrame, take: np.ndarray) -> list[tuple]:
    if "source_ids" in s:
        return [tuple(x) if isinstance(x, tuple | list) else () for x in s["source_ids"].take(take)]
    if "source_id" in s:
        ids = s["source_id"].to_numpy(dtype=float)[take]
        return [() if math.isnan(x) else (int(x),) for x in ids]
    return [()] * len(take)


def _texts(
    metrics: dict[str, Metric],
    g_metric,
    latest,
    num,
    den,
    latest_ps,
    period_type,
    meeting_value,
    meeting_ps,
    has_meeting,
    meeting: pd.Timestamp,
    target,
    status,
    variation,
    today: dt.date,
) -> dict[str, list]:
    """Every text column, one pass over the series (a few microseconds each, labels cached)."""
    labels: dict[tuple, str] = {}
    currency: dict[tuple, dict] = {}

    def label(stamp: int, ptype: str) -> str:
        key = (stamp, ptype)
        if key not in labels:
            labels[key] = period_label(pd.Timestamp(stamp).date(), ptype)
        return labels[key]

    meeting_month = f"{meeting:%B %Y}"
    # Python floats and ints: round() and formatting on numpy scalars are several times slower.
    latest, num, den, target = latest.tolist(), num.tolist(), den.tolist(), target.tolist()
    meeting_value, latest_ps, meeting_ps = meeting_value.tolist(), latest_ps.tolist(), meeting_ps.tolist()
    has_meeting, status, variation = has_meeting.tolist(), list(status), list(variation)
    out: dict[str, list] = {
        k: []
        for k in (
            "latest_label",
            "value_text",
            "numbers_text",
            "meeting_label",
            "meeting_value_text",
            "change",
            "change_text",
            "direction",
            "status_text",
            "gap_text",
            "summary",
            "currency_text",
            "stale",
        )
    }
    for i, mid in enumerate(g_metric):
        m = metrics[mid]
        unit, dec, improve = m.unit, m.decimals, m.improvement_direction
        ptype = period_type[i]
        value = latest[i]
        latest_label = label(latest_ps[i], ptype)
        value_text = format_value(value, unit, dec)
        numbers = _numbers_text(m, num[i], den[i])
        t = target[i]
        has_target = not math.isnan(t)

        if has_meeting[i]:
            meeting_label = label(meeting_ps[i], ptype)
            meeting_text = format_value(meeting_value[i], unit, dec)
            if meeting_ps[i] == latest_ps[i]:
                delta = 0.0
                change_text = f"no new figure since the meeting ({meeting_label})"
                short = f"no new figure since the meeting in {meeting_month}"
                direction = "same"
            else:
                # Compare the figures as shown, so the words add up for a reader.
                delta = round(value, dec) - round(meeting_value[i], dec)
                if round(delta, dec) == 0:
                    delta = 0.0
                    change_text = f"no change since the meeting ({meeting_label})"
                    short = f"no change since the meeting in {meeting_month}"
                    direction = "same"
                else:
                    words = "up" if delta > 0 else "down"
                    amount = unit_difference(delta, unit, dec)
                    short_amount = f"{format_number(abs(delta), dec)} points" if unit == "percent" else amount
                    if unit != "percent" and meeting_value[i] != 0:
                        relative = f" ({abs(delta) / abs(meeting_value[i]) * 100:.1f}%)"
                        amount += relative
                        short_amount += relative
                    change_text = f"{words} {amount} since the meeting ({meeting_label})"
                    short = f"{words} {short_amount} since the meeting in {meeting_month}"
                    if improve == "neutral":
                        direction = "n/a"
                    else:
                        direction = "better" if (delta > 0) == (improve == "increase") else "worse"
        else:
            meeting_label, meeting_text, delta = "", "", math.nan
            change_text = "no figure at the time of the meeting"
            short = f"no figure at the time of the meeting in {meeting_month}"
            direction = "n/a"

        if has_target:
            target_text = format_target(t, unit, dec)
            status_text = status_words(value, t, improve, unit, dec)
            shown = round(value, dec)
            position = "at" if shown == round(t, dec) and status[i] == "met" else "above" if value > t else "below"
            target_clause = f", {position} the {target_text} target"
            gap = t - value
            gap_text = "" if status[i] == "met" else unit_difference(gap, unit, visible_decimals(gap, dec))
        else:
            status_text, target_clause, gap_text = "No target", "", ""

        key = (mid, latest_ps[i], ptype)
        if key not in currency:
            currency[key] = _currency(m, pd.Timestamp(latest_ps[i]), ptype, today)
        cur = currency[key]

        summary = (
            f"{m.name} {_verb(m)} {value_text} in {latest_label}{target_clause}; {short}, "
            f"{_SIGNAL_CLAUSE[SIGNALS[variation[i]]]}."
        )
        if cur["stale"]:
            summary += f" {cur['stale_text']}"
        out["latest_label"].append(latest_label)
        out["value_text"].append(value_text)
        out["numbers_text"].append(numbers)
        out["meeting_label"].append(meeting_label)
        out["meeting_value_text"].append(meeting_text)
        out["change"].append(delta)
        out["change_text"].append(change_text)
        out["direction"].append(direction)
        out["status_text"].append(status_text)
        out["gap_text"].append(gap_text)
        out["summary"].append(summary)
        out["currency_text"].append(cur["currency_text"])
        out["stale"].append(cur["stale"])
    return out


def _numbers_text(metric: Metric, numerator: float, denominator: float) -> str:
    """The absolute numbers behind a percentage or rate, e.g. ``6,240 of 10,000 attendances within 4 hours``."""
    if metric.scale is None or math.isnan(numerator) or math.isnan(denominator):
        return ""
    if metric.unit == "rate_per_100k":
        return f"{format_number(numerator)} in a population of {format_number(denominator)}"
    words = NUMBER_WORDS.get(metric.id)
    text = f"{format_number(numerator)} of {format_number(denominator)}"
    return f"{text} {words.of_text}" if words else text
