"""NHS England "Making Data Count" XmR charts as pure functions.

``xmr()`` validates its inputs, then pipes small steps that are each tested on their own:
segments (re-baselining) -> ``limits`` -> rule flags (``outside_flags``, ``shift_flags``,
``trend_flags``, ``two_of_three_flags``) -> ``classify_point`` -> ``variation_icon`` and
``assurance_icon``.

Defaults follow NHS England's SPC SQL v2.6; the run lengths are settings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# NHS England SPC SQL v2.6: process limits sit 2.66 mean moving ranges from the mean
# (3 / d2 with d2 = 1.128 for ranges of two points).
LIMIT_FACTOR = 2.66
# Upper range limit of a moving range (D4 for ranges of two points): a moving range at or
# above 3.267 times the mean moving range is screened out when screening is on.
SCREEN_FACTOR = 3.267
#: Months from one period's start to the next, by period type (gaps are found with it).
PERIOD_MONTHS = {"month": 1, "quarter": 3, "year": 12}
IMPROVEMENT_DIRECTIONS = ("increase", "decrease", "neutral")
CONFLICT_RULES = ("improvement", "concern")
COLUMNS = [
    "date",
    "value",
    "mean",
    "upl",
    "lpl",
    "upper_2sigma",
    "lower_2sigma",
    "upper_1sigma",
    "lower_1sigma",
    "excluded",
    "segment",
    "rules",
    "special_cause",
    "direction",
    "follows_gap",
]

ICON_DESCRIPTIONS = {
    "common_cause": "Common cause variation: the latest point is within the usual ups and downs "
    "of this measure, with no sign of significant change.",
    "improvement_high": "Special cause variation of an improving nature where the measure is significantly higher.",
    "improvement_low": "Special cause variation of an improving nature where the measure is significantly lower.",
    "concern_high": "Special cause variation of a concerning nature where the measure is significantly higher.",
    "concern_low": "Special cause variation of a concerning nature where the measure is significantly lower.",
    "neither_high": "Special cause variation where the measure is significantly higher; "
    "higher is neither better nor worse for this measure.",
    "neither_low": "Special cause variation where the measure is significantly lower; "
    "lower is neither better nor worse for this measure.",
    "pass": "The process limits show the target will consistently be met if nothing changes.",
    "fail": "The process limits show the target will consistently be missed if nothing changes.",
    "hit_and_miss": "The target lies within the process limits, so it will sometimes be met "
    "and sometimes missed by chance alone.",
}


@dataclass(frozen=True)
class SPCSettings:
    """Options for ``xmr``; the defaults follow NHS England's SPC SQL v2.6.

    ``conflict_rule`` decides how a point flagged as both improvement and concern by
    different rules (e.g. a falling trend above the mean) is shown: NHS England SPC
    SQL v2.6 sets this per metric (``MetricConflictRule``) and keeps only that side.

    ``two_of_three_same_side`` is the 2023 revision of the two-out-of-three rule
    (NHSRplotthedots 0.2.0, issue #143): the three points must all lie on the same side of
    the mean. ``screen_moving_ranges`` leaves out moving ranges above 3.267 times their mean
    before the limits are calculated (NHSRplotthedots ``screen_outliers``).
    ``fix_after_n_points`` fixes each segment's limits on its first n points (the baseline).
    ``rebase_dates`` start new segments; ``rebase_reasons`` (same order) say why.
    The project's values live in ``config.yaml`` under ``spc`` (``metrics.catalogue``).
    """

    shift_length: int = 6
    trend_length: int = 6
    minimum_points: int = 13
    two_of_three_same_side: bool = True
    screen_moving_ranges: bool = False
    fix_after_n_points: int | None = None
    rebase_dates: tuple = ()
    rebase_reasons: tuple = ()
    excluded_dates: tuple = ()
    conflict_rule: str = "improvement"


@dataclass(frozen=True)
class Limits:
    """Centre line and limits of one XmR segment."""

    mean: float
    mr_mean: float
    upl: float
    lpl: float
    upper_2sigma: float
    lower_2sigma: float
    upper_1sigma: float
    lower_1sigma: float


@dataclass(frozen=True)
class SPCResult:
    """Points with their limits and rule flags, plus the chart's icons."""

    points: pd.DataFrame
    variation: str | None
    assurance: str | None
    has_limits: bool
    reason: str


# -- small pure steps ------------------------------------------------------------------------


def moving_range(values) -> np.ndarray:
    """Absolute difference between each value and the one before.

    Parameters
    ----------
    values : array-like of float
        Values in date order (excluded points already removed).

    Returns
    -------
    numpy.ndarray
        Same length as ``values``; the first element is NaN (no previous value).
    """
    v = np.asarray(values, dtype=float)
    out = np.full(len(v), np.nan)
    out[1:] = np.abs(np.diff(v))
    return out


def limits(values, gaps=None, screen: bool = False) -> Limits:
    """Mean, process limits and sigma lines of an XmR chart.

    Parameters
    ----------
    values : array-like of float
        The points that define the limits, in date order (excluded points removed).
    gaps : array-like of bool, optional
        True where a point comes after a missing period: the moving range is not taken
        across a gap (a jump over a missing year is not a month-to-month variation).
    screen : bool
        Leave out moving ranges of 3.267 times their mean or more before averaging them
        (NHSRplotthedots ``screen_outliers``, after Wheeler: 3.267 is the upper range limit).

    Returns
    -------
    Limits
        ``upl``/``lpl`` = mean +/- 2.66 x mean moving range; the 1 and 2 sigma lines lie
        1/3 and 2/3 of the way from the mean to each limit.
    """
    v = np.asarray(values, dtype=float)
    if len(v) < 2:
        raise ValueError(f"limits need at least 2 values, got {len(v)}")
    mean = float(v.mean())
    ranges = moving_range(v)
    if gaps is not None:
        ranges[np.asarray(gaps, dtype=bool)] = np.nan
    if np.isnan(ranges).all():
        raise ValueError("limits need at least 2 consecutive values: every value follows a gap")
    mr_mean = float(np.nanmean(ranges))
    if screen and mr_mean > 0:
        ranges = np.where(ranges < SCREEN_FACTOR * mr_mean, ranges, np.nan)
        mr_mean = float(np.nanmean(ranges))
    sigma = LIMIT_FACTOR * mr_mean / 3  # 0 for a constant series: every line equals the mean
    return Limits(
        mean,
        mr_mean,
        mean + 3 * sigma,
        mean - 3 * sigma,
        mean + 2 * sigma,
        mean - 2 * sigma,
        mean + sigma,
        mean - sigma,
    )


def _runs(mask: np.ndarray, length: int) -> np.ndarray:
    """Flag every element of each run of True values that is at least ``length`` long."""
    mask = np.asarray(mask, dtype=bool)
    out = np.zeros(len(mask), dtype=bool)
    start = None
    for i, m in enumerate(np.append(mask, False)):
        if m and start is None:
            start = i
        elif not m and start is not None:
            if i - start >= length:
                out[start:i] = True
            start = None
    return out


def outside_flags(values, upl, lpl) -> tuple[np.ndarray, np.ndarray]:
    """Rule 1: points strictly above the upper or below the lower process limit.

    Returns
    -------
    (high, low) : tuple of numpy.ndarray of bool
    """
    v = np.asarray(values, dtype=float)
    return v > np.asarray(upl, dtype=float), v < np.asarray(lpl, dtype=float)


def shift_flags(values, mean, length: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Rule 2: runs of ``length`` or more points all above (or all below) the mean.

    NHS England SPC SQL v2.6: a point exactly on the mean is neither above nor below, so
    it breaks the run; every point in a qualifying run is flagged.

    Returns
    -------
    (high, low) : tuple of numpy.ndarray of bool
    """
    v = np.asarray(values, dtype=float)
    m = np.asarray(mean, dtype=float)
    return _runs(v > m, length), _runs(v < m, length)


def trend_flags(values, length: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Rule 3: ``length`` or more points in a row, each higher (or lower) than the last.

    NHS England SPC SQL v2.6: a trend counts both end points (6 points = 5 rises); equal
    neighbours are neither a rise nor a fall, so they break the trend.

    Returns
    -------
    (up, down) : tuple of numpy.ndarray of bool
    """
    v = np.asarray(values, dtype=float)
    steps = np.diff(v)

    def points(step_mask: np.ndarray) -> np.ndarray:
        rises = _runs(step_mask, length - 1)  # flags steps; step i joins points i and i+1
        out = np.zeros(len(v), dtype=bool)
        out[:-1] |= rises
        out[1:] |= rises
        return out

    if len(v) < 2:
        return np.zeros(len(v), dtype=bool), np.zeros(len(v), dtype=bool)
    return points(steps > 0), points(steps < 0)


def two_of_three_flags(values, upper_2sigma, lower_2sigma, mean=None) -> tuple[np.ndarray, np.ndarray]:
    """Rule 4: two out of three consecutive points beyond 2 sigma on the same side.

    Points beyond the process limits (3 sigma) count too. The points beyond 2 sigma in a
    qualifying window of three are flagged; the third point is not. With ``mean`` given
    (the 2023 revision, NHSRplotthedots 0.2.0 issue #143) all three points of the window
    must lie on that side of the mean, so two points near opposite limits never qualify.

    Returns
    -------
    (high, low) : tuple of numpy.ndarray of bool
    """
    v = np.asarray(values, dtype=float)
    above_mean = v > np.asarray(mean, dtype=float) if mean is not None else np.ones(len(v), dtype=bool)
    below_mean = v < np.asarray(mean, dtype=float) if mean is not None else np.ones(len(v), dtype=bool)

    def side(beyond: np.ndarray, same_side: np.ndarray) -> np.ndarray:
        out = np.zeros(len(v), dtype=bool)
        for i in range(max(len(v) - 2, 0)):
            if beyond[i : i + 3].sum() >= 2 and same_side[i : i + 3].all():
                out[i : i + 3] |= beyond[i : i + 3]
        return out

    return (
        side(v > np.asarray(upper_2sigma, dtype=float), above_mean),
        side(v < np.asarray(lower_2sigma, dtype=float), below_mean),
    )


def classify_point(
    high: bool, low: bool, improvement_direction: str, conflict_rule: str = "improvement"
) -> tuple[str, str]:
    """Special cause and side of one point from its high/low rule flags.

    Parameters
    ----------
    high, low : bool
        Whether any rule flagged the point as high (above the mean, beyond the upper limit,
        rising trend) or as low.
    improvement_direction : {"increase", "decrease", "neutral"}
    conflict_rule : {"improvement", "concern"}
        Which side wins when a point is flagged both high and low.

    Returns
    -------
    (special_cause, direction) : tuple of str
        e.g. ``("improvement", "high")``; ``("", "")`` for common cause.
    """
    if not (high or low):
        return "", ""
    if improvement_direction == "neutral":
        # NHS England SPC SQL v2.6 checks "Neither (High)" before "Neither (Low)".
        return "neither", "high" if high else "low"
    good_side = "high" if improvement_direction == "increase" else "low"
    bad_side = "low" if good_side == "high" else "high"
    good = high if good_side == "high" else low
    bad = low if good_side == "high" else high
    if good and bad:
        # NHS England SPC SQL v2.6: a point that triggers improvement and concern rules keeps
        # only the side named by the metric's conflict rule (MetricConflictRule).
        if conflict_rule == "improvement":
            return "improvement", good_side
        return "concern", bad_side
    return ("improvement", good_side) if good else ("concern", bad_side)


def variation_icon(special_cause: str, direction: str) -> str:
    """Variation icon name for the latest point, e.g. ``"improvement_high"``.

    Parameters
    ----------
    special_cause : {"improvement", "concern", "neither", ""}
    direction : {"high", "low", ""}
    """
    return f"{special_cause}_{direction}" if special_cause else "common_cause"


def assurance_icon(target, lpl: float, upl: float, improvement_direction: str) -> str | None:
    """Assurance icon: can the process be relied on to meet the target?

    NHS England SPC SQL v2.6 compares the target with the process limits, boundaries
    inclusive. For "increase": target <= lower limit -> ``"pass"``; target >= upper limit
    -> ``"fail"``; otherwise ``"hit_and_miss"``. Mirrored for "decrease".

    Returns
    -------
    str or None
        None for a neutral metric, no target, or no limits.
    """
    if improvement_direction == "neutral" or target is None or pd.isna(target):
        return None
    if pd.isna(lpl) or pd.isna(upl):
        return None
    if improvement_direction == "increase":
        passes, fails = target <= lpl, target >= upl
    else:
        passes, fails = target >= upl, target <= lpl
    # A constant series has lpl == upl; a target equal to both passes (checked first).
    return "pass" if passes else "fail" if fails else "hit_and_miss"


# -- validation and segments -----------------------------------------------------------------


def _number(v, what: str, i: int | None) -> float:
    """``v`` as a float (NaN when missing), or a ValueError naming the offending item."""
    if pd.api.types.is_scalar(v) and pd.isna(v):
        return np.nan
    where = f" at position {i}" if i is not None else ""
    if not isinstance(v, (str, bytes, bool, np.bool_)):
        try:
            return float(v)
        except (TypeError, ValueError):
            pass
    raise ValueError(f"{what} must be numeric: {v!r}{where} is not a number")


def _validate(values, dates, improvement_direction, target, settings) -> pd.DataFrame:
    """Check the inputs and return a frame of date, value, target in date order, NaNs dropped."""
    fast_values = isinstance(values, np.ndarray) and values.dtype.kind == "f"
    fast_dates = isinstance(dates, np.ndarray) and dates.dtype.kind == "M"
    values = values if fast_values else list(values)
    dates = dates if fast_dates else list(dates)
    if len(values) != len(dates):
        raise ValueError(f"values and dates must be the same length: got {len(values)} values and {len(dates)} dates")
    if improvement_direction not in IMPROVEMENT_DIRECTIONS:
        raise ValueError(
            f"improvement_direction must be 'increase', 'decrease' or 'neutral', got {improvement_direction!r}"
        )
    if settings.conflict_rule not in CONFLICT_RULES:
        raise ValueError(f"conflict_rule must be 'improvement' or 'concern', got {settings.conflict_rule!r}")
    if settings.shift_length < 2 or settings.trend_length < 2:
        raise ValueError("shift_length and trend_length must be at least 2")
    if settings.minimum_points < 2:
        raise ValueError("minimum_points must be at least 2")
    if settings.fix_after_n_points is not None and settings.fix_after_n_points < 2:
        raise ValueError("fix_after_n_points must be at least 2 (or None)")
    if settings.rebase_reasons and len(settings.rebase_reasons) != len(settings.rebase_dates):
        raise ValueError("rebase_reasons must give one reason per rebase date")
    # The read layer passes float and datetime64 arrays: nothing to convert item by item.
    numbers = values if fast_values else [_number(v, "values", i) for i, v in enumerate(values)]
    raw = pd.Series(dates, dtype=object) if not fast_dates else pd.Series(dates.astype("datetime64[ns]"))
    if fast_dates:
        stamps = raw
    else:
        stamps = pd.to_datetime(raw, format="mixed", errors="coerce").astype("datetime64[ns]")
    for i in np.flatnonzero(stamps.isna()):
        what = "is missing" if pd.isna(raw[i]) else "is not a date"
        raise ValueError(f"dates must all be dates: {raw[i]!r} at position {i} {what}")
    if stamps.duplicated().any():
        raise ValueError(f"dates must be unique: {stamps[stamps.duplicated()].iloc[0].date()} appears more than once")
    if isinstance(target, np.ndarray) and target.dtype.kind == "f" and len(target) == len(values):
        pass
    elif target is not None and not pd.api.types.is_scalar(target):
        target = list(target)
        if len(target) != len(values):
            raise ValueError(
                f"target must be a single number or one per point: got {len(target)} targets for {len(values)} points"
            )
        target = [_number(t, "target", i) for i, t in enumerate(target)]
    elif target is not None:
        target = _number(target, "target", None)
    frame = pd.DataFrame({"date": stamps.to_numpy(), "value": numbers, "target": target})
    return frame.dropna(subset=["value"]).sort_values("date", ignore_index=True)


def follows_gap(dates: pd.Series, frequency: str | None) -> np.ndarray:
    """True for each point whose previous period is missing (dates sorted, one per period).

    Without a frequency no gaps are known and every point is taken as consecutive.
    """
    out = np.zeros(len(dates), dtype=bool)
    if frequency is None or len(dates) < 2:
        return out
    if frequency not in PERIOD_MONTHS:
        raise ValueError(f"frequency must be 'month', 'quarter' or 'year', got {frequency!r}")
    stamps = pd.DatetimeIndex(dates)
    index = stamps.year.to_numpy() * 12 + stamps.month.to_numpy()
    out[1:] = np.diff(index) != PERIOD_MONTHS[frequency]
    return out


def _segments(dates: pd.Series, settings: SPCSettings) -> tuple[np.ndarray, list[tuple[pd.Timestamp, str]]]:
    """Segment number of each point, and the (first date, reason) of each segment after the first.

    Every rebase inside the series starts a new segment (Making Data Count: recalculate the
    limits after a known change in the process). A segment too short for limits is shown as
    a run chart rather than blended into its neighbour (see ``xmr``).
    """
    reasons = dict(zip(settings.rebase_dates, settings.rebase_reasons, strict=False))
    by_date: dict[pd.Timestamp, str] = {}
    for d in settings.rebase_dates:
        stamp = pd.Timestamp(d)
        text = reasons.get(d, "")
        by_date[stamp] = "; ".join(x for x in (by_date.get(stamp, ""), text) if x)
    first, last = (dates.iloc[0], dates.iloc[-1]) if len(dates) else (None, None)
    kept = sorted(d for d in by_date if first is not None and first < d <= last)
    segment = np.searchsorted(
        np.array(kept, dtype="datetime64[ns]"), dates.to_numpy(dtype="datetime64[ns]"), side="right"
    ).astype(int)
    # A rebase between two points starts its segment at the first point on or after it.
    starts = []
    for seg in range(1, len(kept) + 1):
        rows = np.flatnonzero(segment == seg)
        if len(rows):
            starts.append((dates.iloc[rows[0]], by_date[kept[seg - 1]]))
    # Renumber so segments with no points leave no holes.
    _, segment = np.unique(segment, return_inverse=True)
    return segment.astype(int), starts


def _blocks(gaps: np.ndarray) -> list[np.ndarray]:
    """Positions split into runs of consecutive periods (a new block after each gap)."""
    cuts = np.flatnonzero(gaps)
    return [b for b in np.split(np.arange(len(gaps)), cuts) if len(b)]


# -- the chart ---------------------------------------------------------------------------------


def xmr(
    values,
    dates,
    improvement_direction: str,
    target=None,
    settings: SPCSettings | None = None,
    frequency: str | None = None,
) -> SPCResult:
    """Build an NHS England "Making Data Count" XmR chart.

    Parameters
    ----------
    values : sequence of float
        The measure; NaN values are dropped together with their dates.
    dates : sequence of date-like
        One per value; the result is in date order.
    improvement_direction : {"increase", "decrease", "neutral"}
        Whether higher is better, lower is better, or neither.
    target : float or sequence of float, optional
        A single target or one per point (time-varying); the target at the latest point is used.
    settings : SPCSettings, optional
        Run lengths, minimum points, rebase and excluded dates, screening, baseline.
    frequency : {"month", "quarter", "year"}, optional
        The period type. With it, a missing period is a gap: the moving range is not taken
        across it and runs (shift, trend, two of three) stop at it.

    Returns
    -------
    SPCResult
        ``points`` has one row per (non-NaN) point with its segment, limits and rule flags
        (a segment with fewer than ``minimum_points`` points has no limits: a run chart).
        The icons come from the latest segment; they are None, and ``reason`` says why, when
        that segment is too short for process limits.

    Raises
    ------
    ValueError
        If the lengths differ, the direction is unknown, or a value is not a number.
    """
    settings = settings or SPCSettings()
    frame = _validate(values, dates, improvement_direction, target, settings)
    excluded_dates = {pd.Timestamp(d) for d in settings.excluded_dates}
    excluded = frame["date"].isin(excluded_dates).to_numpy(dtype=bool)
    gaps = follows_gap(frame["date"], frequency)
    segment, starts = _segments(frame["date"], settings)
    n = len(frame)
    lines = {col: np.full(n, np.nan) for col in COLUMNS[2:9]}

    def assemble(rules_text, causes, sides) -> pd.DataFrame:
        return pd.DataFrame(
            {"date": frame["date"].to_numpy(), "value": frame["value"].to_numpy(), **lines, "excluded": excluded,
             "segment": segment, "rules": pd.array(rules_text, dtype=object),
             "special_cause": pd.array(causes, dtype=object), "direction": pd.array(sides, dtype=object),
             "follows_gap": gaps},
            columns=COLUMNS,
        )  # fmt: skip

    keep_all = np.flatnonzero(~excluded)
    if len(keep_all) == 0:
        need = settings.minimum_points
        reason = f"Only 0 points: at least {need} are needed for process limits; shown as a run chart."
        return SPCResult(assemble([""] * n, [""] * n, [""] * n), None, None, False, reason)
    values_all = frame["value"].to_numpy()
    rules = {name: np.zeros((n, 2), dtype=bool) for name in ("outside_limits", "shift", "trend", "two_of_three")}
    limited = np.zeros(n, dtype=bool)
    for seg in np.unique(segment):
        rows = np.flatnonzero(segment == seg)
        keep = rows[~excluded[rows]]  # excluded ("ghosted") points take no part in limits or rules
        if len(keep) < settings.minimum_points:
            continue
        base = keep[: settings.fix_after_n_points] if settings.fix_after_n_points else keep
        seg_gaps = gaps[base].copy()
        seg_gaps[0] = False
        lim = limits(values_all[base], seg_gaps, settings.screen_moving_ranges)
        for col in COLUMNS[2:9]:
            lines[col][rows] = getattr(lim, col)
        limited[rows] = True
        v = values_all[keep]
        rules["outside_limits"][keep] = np.column_stack(outside_flags(v, lim.upl, lim.lpl))
        block_gaps = gaps[keep].copy()
        block_gaps[0] = False
        for block in _blocks(block_gaps):
            at, bv = keep[block], v[block]
            rules["shift"][at] = np.column_stack(shift_flags(bv, lim.mean, settings.shift_length))
            rules["trend"][at] = np.column_stack(trend_flags(bv, settings.trend_length))
            mean = lim.mean if settings.two_of_three_same_side else None
            rules["two_of_three"][at] = np.column_stack(
                two_of_three_flags(bv, lim.upper_2sigma, lim.lower_2sigma, mean)
            )

    high = np.any([f[:, 0] for f in rules.values()], axis=0)
    low = np.any([f[:, 1] for f in rules.values()], axis=0)
    flags = {name: f.any(axis=1).tolist() for name, f in rules.items()}
    rules_text = [",".join(name for name in rules if flags[name][i]) for i in range(n)]
    classified = [
        classify_point(h, lo, improvement_direction, settings.conflict_rule)
        for h, lo in zip(high.tolist(), low.tolist(), strict=True)
    ]
    points = assemble(rules_text, [c for c, _ in classified], [d for _, d in classified])

    # NHS England SPC SQL v2.6: both icons use the last point that is not excluded (ghosted).
    last = keep_all[-1]
    reason = _short_segment_reason(points, excluded, last, starts, settings)
    if not limited[last]:
        return SPCResult(points, None, None, bool(limited.any()), reason)
    variation = variation_icon(*classified[last])
    target_last = frame["target"].iloc[last]
    assurance = assurance_icon(
        None if pd.isna(target_last) else float(target_last),
        points["lpl"].iloc[last],
        points["upl"].iloc[last],
        improvement_direction,
    )
    return SPCResult(points, variation, assurance, True, reason)


def _short_segment_reason(points, excluded, last, starts, settings: SPCSettings) -> str:
    """Why the latest stretch, or the whole chart, is a run chart (empty when it is not)."""
    segment = points["segment"].to_numpy()
    used = int(((segment == segment[last]) & ~excluded).sum())
    if used >= settings.minimum_points:
        return ""
    plural = "s" if used != 1 else ""
    need = f"at least {settings.minimum_points} are needed for process limits"
    if segment[last] == 0:
        total = int((segment == 0).sum())
        left_out = f" (after leaving out {total - used} excluded)" if used < total else ""
        return f"Only {used} point{plural}{left_out}: {need}; shown as a run chart."
    since, why = starts[segment[last] - 1]
    because = f" ({why.rstrip('.')})" if why else ""
    return (
        f"Only {used} point{plural} since {since:%B %Y}{because}: {need}, "
        "so the latest stretch is shown as a run chart with no variation or assurance icons."
    )
