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
    """

    shift_length: int = 6
    trend_length: int = 6
    minimum_points: int = 13
    rebase_minimum_points: int = 12
    rebase_dates: tuple = ()
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


def limits(values) -> Limits:
    """Mean, process limits and sigma lines of an XmR chart.

    Parameters
    ----------
    values : array-like of float
        The points that define the limits, in date order (excluded points removed).

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
    mr_mean = float(np.nanmean(moving_range(v)))
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


def two_of_three_flags(values, upper_2sigma, lower_2sigma) -> tuple[np.ndarray, np.ndarray]:
    """Rule 4: two out of three consecutive points beyond 2 sigma on the same side.

    Points beyond the process limits (3 sigma) count too. The points beyond 2 sigma in a
    qualifying window of three are flagged; the third point is not.

    Returns
    -------
    (high, low) : tuple of numpy.ndarray of bool
    """
    v = np.asarray(values, dtype=float)

    def side(beyond: np.ndarray) -> np.ndarray:
        out = np.zeros(len(v), dtype=bool)
        for i in range(max(len(v) - 2, 0)):
            if beyond[i : i + 3].sum() >= 2:
                out[i : i + 3] |= beyond[i : i + 3]
        return out

    return (side(v > np.asarray(upper_2sigma, dtype=float)), side(v < np.asarray(lower_2sigma, dtype=float)))


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
    values, dates = list(values), list(dates)
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
    if settings.minimum_points < 2 or settings.rebase_minimum_points < 2:
        raise ValueError("minimum_points and rebase_minimum_points must be at least 2")
    numbers = [_number(v, "values", i) for i, v in enumerate(values)]
    raw = pd.Series(dates, dtype=object)
    stamps = pd.to_datetime(raw, format="mixed", errors="coerce").astype("datetime64[ns]")
    for i in np.flatnonzero(stamps.isna()):
        what = "is missing" if pd.isna(raw[i]) else "is not a date"
        raise ValueError(f"dates must all be dates: {raw[i]!r} at position {i} {what}")
    if stamps.duplicated().any():
        raise ValueError(f"dates must be unique: {stamps[stamps.duplicated()].iloc[0].date()} appears more than once")
    if target is not None and not pd.api.types.is_scalar(target):
        target = list(target)
        if len(target) != len(values):
            raise ValueError(
                f"target must be a single number or one per point: got {len(target)} targets for {len(values)} points"
            )
        target = [_number(t, "target", i) for i, t in enumerate(target)]
    elif target is not None:
        target = _number(target, "target", None)
    frame = pd.DataFrame({"date": stamps, "value": numbers, "target": target})
    return frame.dropna(subset=["value"]).sort_values("date", ignore_index=True)


def _segments(dates: pd.Series, excluded: np.ndarray, settings: SPCSettings) -> tuple[np.ndarray, list[str]]:
    """Segment number of each point, and a reason for each rebase that had to be ignored.

    A segment after a rebase needs ``rebase_minimum_points`` points that are not excluded
    (NHS England SPC SQL v2.6: @SettingMinimumPointsPartition = 12); otherwise that rebase
    is ignored and its points stay in the segment before.
    """
    counted = dates[~excluded]
    candidates = sorted({pd.Timestamp(d) for d in settings.rebase_dates})
    kept, reasons = [], []
    # From the latest rebase backwards, so each count covers the segment as finally drawn.
    for rebase in reversed(candidates):
        if len(counted) == 0 or rebase <= counted.iloc[0]:
            continue  # nothing before it: a rebase at the start changes nothing
        end = kept[0] if kept else None
        n = int(((counted >= rebase) & ((counted < end) if end is not None else True)).sum())
        if n >= settings.rebase_minimum_points:
            kept.insert(0, rebase)
        else:
            reasons.append(
                f"The limits were not recalculated from {rebase.date()}: only {n} "
                f"point{'s' if n != 1 else ''} from that date, and at least "
                f"{settings.rebase_minimum_points} are needed."
            )
    reasons.reverse()
    # The points before the first rebase need as many points too, or they join the next segment.
    while kept and (n := int((counted < kept[0]).sum())) < settings.rebase_minimum_points:
        reasons.append(
            f"The limits were not recalculated from {kept.pop(0).date()}: only {n} "
            f"point{'s' if n != 1 else ''} before that date, and at least "
            f"{settings.rebase_minimum_points} are needed."
        )
    segment = np.searchsorted(
        np.array(kept, dtype="datetime64[ns]"), dates.to_numpy(dtype="datetime64[ns]"), side="right"
    )
    return segment.astype(int), reasons


# -- the chart ---------------------------------------------------------------------------------


def xmr(values, dates, improvement_direction: str, target=None, settings: SPCSettings | None = None) -> SPCResult:
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
        Run lengths, minimum points, rebase and excluded dates.

    Returns
    -------
    SPCResult
        ``points`` has one row per (non-NaN) point with its limits and rule flags; icons are
        None and ``reason`` says why when there are too few points for process limits.

    Raises
    ------
    ValueError
        If the lengths differ, the direction is unknown, or a value is not a number.
    """
    settings = settings or SPCSettings()
    frame = _validate(values, dates, improvement_direction, target, settings)
    excluded_dates = {pd.Timestamp(d) for d in settings.excluded_dates}
    excluded = frame["date"].isin(excluded_dates).to_numpy(dtype=bool)
    segment, reasons = _segments(frame["date"], excluded, settings)
    n = len(frame)
    points = frame.drop(columns="target").assign(excluded=excluded, segment=segment)
    for col in COLUMNS[2:9]:
        points[col] = np.nan
    points["rules"], points["special_cause"], points["direction"] = "", "", ""

    used = int((~excluded).sum())
    if used < settings.minimum_points:
        left_out = f" (after leaving out {n - used} excluded)" if used < n else ""
        reason = (
            f"Only {used} point{'s' if used != 1 else ''}{left_out}: at least "
            f"{settings.minimum_points} are needed for process limits; shown as a run chart."
        )
        return SPCResult(points[COLUMNS], None, None, False, reason)

    rules = {name: np.zeros((n, 2), dtype=bool) for name in ("outside_limits", "shift", "trend", "two_of_three")}
    for seg in np.unique(segment):
        rows = np.flatnonzero(segment == seg)
        keep = rows[~excluded[rows]]  # excluded ("ghosted") points take no part in rules
        lim = limits(frame["value"].to_numpy()[keep])
        for col in COLUMNS[2:9]:
            points.loc[rows, col] = getattr(lim, col)
        v = frame["value"].to_numpy()[keep]
        rules["outside_limits"][keep] = np.column_stack(outside_flags(v, lim.upl, lim.lpl))
        rules["shift"][keep] = np.column_stack(shift_flags(v, lim.mean, settings.shift_length))
        rules["two_of_three"][keep] = np.column_stack(two_of_three_flags(v, lim.upper_2sigma, lim.lower_2sigma))
    # NHS England SPC SQL v2.6: the trend rule ignores limits, so it runs across rebases.
    keep = np.flatnonzero(~excluded)
    rules["trend"][keep] = np.column_stack(trend_flags(frame["value"].to_numpy()[keep], settings.trend_length))

    high = np.any([f[:, 0] for f in rules.values()], axis=0)
    low = np.any([f[:, 1] for f in rules.values()], axis=0)
    points["rules"] = [",".join(name for name, f in rules.items() if f[i].any()) for i in range(n)]
    classified = [
        classify_point(h, lo, improvement_direction, settings.conflict_rule) for h, lo in zip(high, low, strict=True)
    ]
    points["special_cause"] = [c for c, _ in classified]
    points["direction"] = [d for _, d in classified]

    # NHS England SPC SQL v2.6: both icons use the last point that is not excluded (ghosted).
    last = keep[-1]
    variation = variation_icon(*classified[last])
    target_last = frame["target"].iloc[last]
    assurance = assurance_icon(
        None if pd.isna(target_last) else float(target_last),
        points["lpl"].iloc[last],
        points["upl"].iloc[last],
        improvement_direction,
    )
    return SPCResult(points[COLUMNS], variation, assurance, True, " ".join(reasons))
