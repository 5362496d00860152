"""Targets in force, met / not met (RAG in words), and the gap to a target in plain numbers.

Targets change over time: the A&E 4-hour constitutional standard is 95%, with an
interim 76% for 2023/24 and 78% for 2024/25 and 2025/26, and a local STF trajectory of 92.1% for
LLR in March 2017. The catalogue holds them all; this module picks the one that applies to an
organisation and period, keeping the constitutional standard visible beside a local target.

Status is never shown by colour alone (WCAG 2.2 AA): ``status_words`` says it in plain English.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from metrics.catalogue import Expectation, Metric, NumberWords, Target
from metrics.periods import period_label

# Among targets for the same organisation scope, a time-limited ambition (a trajectory, an operating
# plan figure, a local or interim target) is what the organisation is held to in that period; the
# constitutional standard stays in force and is reported beside it.
_KIND_RANK = {"trajectory": 3, "plan": 3, "local": 3, "interim": 3, "standard": 1}
# Tolerance for float noise when comparing a value with its target (78.0 must meet 78).
_EPS = 1e-9

TARGET_COLUMNS = ["period_start", "target", "kind", "source_text", "standard"]


def _rank(target: Target) -> tuple:
    # Organisation-specific beats all-organisations; then kind; then the most recent start wins.
    return (target.org_code is not None, _KIND_RANK[target.kind], target.valid_from)


def targets_for_periods(metric: Metric, org_code: str | None, periods: Iterable) -> pd.DataFrame:
    """The target in force for each period, vectorised over the periods.

    Parameters
    ----------
    metric : Metric
    org_code : str or None
    periods : iterable of date-like
        Period start dates.

    Returns
    -------
    DataFrame
        ``period_start`` (datetime64), ``target`` (float, NaN when none), ``kind``,
        ``source_text`` (None when none) and ``standard``: the standard in force when the
        target shown is something else (e.g. 95 beside an interim 78), otherwise NaN.
    """
    if isinstance(periods, (pd.Series, pd.Index, np.ndarray)) and np.asarray(periods).dtype.kind == "M":
        day = np.asarray(periods, dtype="datetime64[ns]")
    else:
        day = pd.to_datetime(pd.Series(list(periods), dtype=object)).to_numpy(dtype="datetime64[ns]")
    n = len(day)
    target = np.full(n, np.nan)
    kind = np.full(n, None, dtype=object)
    source_text = np.full(n, None, dtype=object)
    standard = np.full(n, np.nan)
    applicable = [t for t in metric.targets if t.org_code is None or t.org_code == org_code]
    if n and applicable:
        rank = np.full(n, -1, dtype=int)
        chosen = np.full(n, -1, dtype=int)
        std_rank = np.full(n, -1, dtype=int)
        std_value = np.full(n, np.nan)
        # Sorting by rank once means a later target in the loop always wins a tie on rank.
        order = sorted(range(len(applicable)), key=lambda i: _rank(applicable[i]))
        for position, i in enumerate(order):
            t = applicable[i]
            valid = day >= np.datetime64(t.valid_from, "ns")
            if t.valid_to is not None:
                valid &= day <= np.datetime64(t.valid_to, "ns")
            take = valid & (position > rank)
            rank[take], chosen[take] = position, i
            if t.kind == "standard":
                std = valid & (position > std_rank)
                std_rank[std], std_value[std] = position, t.value
        has = chosen >= 0
        target[has] = [applicable[i].value for i in chosen[has]]
        kind[has] = [applicable[i].kind for i in chosen[has]]
        source_text[has] = [applicable[i].source_text for i in chosen[has]]
        standard = np.where(has & (kind != "standard"), std_value, np.nan)
    return pd.DataFrame(
        {
            "period_start": day,
            "target": target,
            "kind": pd.array(kind, dtype=object),
            "source_text": pd.array(source_text, dtype=object),
            "standard": standard,
        }
    )


def target_in_force(metric: Metric, org_code: str | None, day) -> Target | None:
    """The target that applies to ``org_code`` on ``day`` (the same choice as ``targets_for_periods``)."""
    when = pd.Timestamp(day).date()
    applicable = [
        t
        for t in metric.targets
        if (t.org_code is None or t.org_code == org_code)
        and t.valid_from <= when
        and (t.valid_to is None or when <= t.valid_to)
    ]
    return max(applicable, key=_rank) if applicable else None


def target_period_words(target: Target) -> str:
    """When a target applies, as people say it: ``from November 2010``, ``April 2024 to March 2026``."""
    if target.valid_to is None:
        return f"from {target.valid_from:%B %Y}"
    if (target.valid_from.year, target.valid_from.month) == (target.valid_to.year, target.valid_to.month):
        return f"{target.valid_from:%B %Y} only"
    return f"{target.valid_from:%B %Y} to {target.valid_to:%B %Y}"


# ---------------------------------------------------------------------------- expectations over years
def expectation_words(exp: Expectation, unit: str) -> str:
    """``1,011 to 2,022, expected by December 2019 to December 2021 (from December 2016)``."""
    amount = format_target(exp.low, unit)
    if exp.high is not None:
        amount += f" to {format_target(exp.high, unit)}"
    if exp.judged_on == "total_over_span":
        amount += " in total"
    return f"{amount}, expected by {exp.earliest_end:%B %Y} to {exp.end:%B %Y} (from {exp.start:%B %Y})"


_SPAN_STEP = {"month": "MS", "quarter": "3MS", "year": "12MS"}


def judge_expectation(exp: Expectation, series: pd.DataFrame, metric: Metric, today) -> tuple[str, str]:
    """Judge an expectation over years honestly, or say why it is not judged.

    Parameters
    ----------
    exp : Expectation
    series : DataFrame
        The area's series (``period_start``, ``value``).
    metric : Metric
    today : date-like

    Returns
    -------
    tuple of str
        ``(status, words)``. ``status`` is ``"met"`` (the figure for the span reached the low end of
        the range), ``"not_met"`` (the span is over and it did not) or ``"not_judged"`` (the span has
        not reached its earliest end, or the figures it needs are not held). A month's figure is
        never judged against the whole range: ``level_at_end`` uses the figure at the end of the
        span, ``total_over_span`` the sum over every period of the span.
    """
    today = pd.Timestamp(today)
    earliest, end, start = pd.Timestamp(exp.earliest_end), pd.Timestamp(exp.end), pd.Timestamp(exp.start)
    rows = series.loc[series["value"].notna(), ["period_start", "value"]].sort_values("period_start")
    held = (
        f"the latest figure held is {period_label(rows['period_start'].iloc[-1].date(), metric.frequency)}"
        if len(rows)
        else "no figure is held"
    )
    if today < earliest:
        return "not_judged", f"Not judged until {exp.earliest_end:%B %Y}, the earliest end of the span"
    if exp.judged_on == "level_at_end":
        inside = rows[(rows["period_start"] >= earliest) & (rows["period_start"] <= end)]
        if inside.empty:
            return "not_judged", (
                f"Not judged: no figure is held for {exp.earliest_end:%B %Y} to {exp.end:%B %Y}, "
                f"the end of the span ({held})"
            )
        last = inside.iloc[-1]
        when = period_label(last["period_start"].date(), metric.frequency)
        amount = float(last["value"])
    else:
        periods = pd.date_range(start, end, freq=_SPAN_STEP[metric.frequency])
        inside = rows[rows["period_start"].isin(periods)]
        if len(inside) < len(periods):
            return "not_judged", (
                f"Not judged: the total needs every figure from {exp.start:%B %Y} to {exp.end:%B %Y}; "
                f"{len(inside)} of {len(periods)} are held"
            )
        when = f"{exp.start:%B %Y} to {exp.end:%B %Y}"
        amount = float(inside["value"].sum())
    expected = format_target(exp.low, metric.unit) + (
        f" to {format_target(exp.high, metric.unit)}" if exp.high is not None else ""
    )
    figure = format_number(amount, metric.decimals)
    if amount >= exp.low - _EPS:
        return "met", f"Met: {figure} in {when}, against the {expected} expected"
    if today <= end and exp.judged_on == "level_at_end":
        return "not_judged", f"Not yet: {figure} in {when}; the span runs to {exp.end:%B %Y}"
    return "not_met", f"Not met: {figure} in {when}, against the {expected} expected"


# ---------------------------------------------------------------------------- status
def _missing(x) -> bool:
    return x is None or (pd.api.types.is_scalar(x) and bool(pd.isna(x)))


def status(value, target, direction: str) -> str:
    """Whether a value meets its target.

    Parameters
    ----------
    value : float
    target : float or None
    direction : {"increase", "decrease", "neutral"}
        The metric's improvement direction: for "increase" a value at or above the target is
        met; for "decrease" a value at or below it.

    Returns
    -------
    str
        ``"met"``, ``"not_met"``, ``"no_target"`` (no target, or a neutral metric) or
        ``"no_data"`` (a target but no value to judge).
    """
    if direction == "neutral" or _missing(target):
        return "no_target"
    if _missing(value):
        return "no_data"
    if direction == "increase":
        return "met" if value >= target - _EPS else "not_met"
    if direction == "decrease":
        return "met" if value <= target + _EPS else "not_met"
    raise ValueError(f"direction must be 'increase', 'decrease' or 'neutral', got {direction!r}")


def status_array(values, targets, direction: str) -> np.ndarray:
    """``status`` for arrays of values and targets (one direction)."""
    v = np.asarray(values, dtype=float)
    t = np.asarray(targets, dtype=float)
    if direction == "neutral":
        return np.full(v.shape, "no_target", dtype=object)
    met = v >= t - _EPS if direction == "increase" else v <= t + _EPS
    out = np.where(met, "met", "not_met").astype(object)
    out[np.isnan(v)] = "no_data"
    out[np.isnan(t)] = "no_target"
    return out


def format_number(x: float, decimals: int = 0, strip: bool = False) -> str:
    """``1,234.5`` with thousands separators; ``strip`` drops trailing zeros (``78.0`` -> ``78``)."""
    text = f"{x:,.{decimals}f}"
    if strip and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_target(target: float, unit: str, decimals: int = 1) -> str:
    """A target as people write it: ``78%``, ``92.1%``, ``1,011``, ``92 beds``."""
    number = format_number(target, max(decimals, 1), strip=True)
    return _with_unit(number, unit)


def _with_unit(number: str, unit: str) -> str:
    if unit == "percent":
        return f"{number}%"
    if unit == "gbp":
        return f"-£{number[1:]}" if number.startswith("-") else f"£{number}"
    if unit == "rate_per_100k":
        return f"{number} per 100,000"
    if unit in ("days", "beds"):
        return f"{number} {unit}"
    return number


def unit_difference(delta: float, unit: str, decimals: int) -> str:
    """A difference in the metric's unit: ``4.2 percentage points``, ``906``, ``12 beds``, ``£1,000``."""
    number = format_number(abs(delta), decimals)
    if unit == "percent":
        return f"{number} percentage point{'' if number == '1' else 's'}"
    if unit == "days":
        return f"{number} day{'' if number == '1' else 's'}"
    if unit == "beds":
        return f"{number} bed{'' if number == '1' else 's'}"
    return _with_unit(number, unit)


def visible_decimals(delta: float, decimals: int, most: int = 3) -> int:
    """Decimals enough to show a non-zero gap as non-zero (77.96 misses 78 by 0.04, not by "0.0")."""
    places = decimals
    while places < most and delta != 0 and round(abs(delta), places) == 0:
        places += 1
    return places


def status_words(value, target, direction: str, unit: str = "percent", decimals: int = 1) -> str:
    """The status in plain English, so it never relies on colour alone (WCAG 2.2 AA).

    Examples: ``"Met the 78% target"``, ``"Missed the 78% target by 4.2 percentage points"``,
    ``"No target"``.
    """
    result = status(value, target, direction)
    if result == "no_target":
        return "No target"
    target_text = format_target(float(target), unit, decimals)
    if result == "no_data":
        return f"No figure to compare with the {target_text} target"
    if result == "met":
        return f"Met the {target_text} target"
    gap = value - target
    return f"Missed the {target_text} target by {unit_difference(gap, unit, visible_decimals(gap, decimals))}"


# ---------------------------------------------------------------------------- gap in numbers
def gap_to_target(value, numerator, denominator, target, metric: Metric) -> dict:
    """How far a value is from its target, in the metric's unit and in absolute numbers.

    For a percentage or rate with a numerator and denominator the absolute number is the
    smallest whole number of extra (or fewer) numerator events that would have met the target,
    e.g. A&E 4-hour at 78%: ``ceil(78 / 100 x attendances - attendances within 4 hours)``.
    For a count with no denominator it is the difference itself, rounded up.

    Parameters
    ----------
    value, numerator, denominator, target : float or None
    metric : Metric

    Returns
    -------
    dict
        ``status``; ``gap`` (target minus value, in the metric's unit; NaN without a target);
        ``gap_text`` (``"4.2 percentage points"``, '' when met or no target); ``numbers_needed``
        (int or None; 0 when met); ``numbers_text`` (``"412 more patients would have needed to be
        seen within 4 hours"``, '' when met or not computable).
    """
    result = status(value, target, metric.improvement_direction)
    out = {"status": result, "gap": math.nan, "gap_text": "", "numbers_needed": None, "numbers_text": ""}
    if result in ("no_target", "no_data"):
        return out
    out["gap"] = float(target) - float(value)
    if result == "met":
        out["numbers_needed"] = 0
        return out
    out["gap_text"] = unit_difference(out["gap"], metric.unit, visible_decimals(out["gap"], metric.decimals))
    increase = metric.improvement_direction == "increase"
    words = metric.number_words or NumberWords(of="")
    scale = metric.scale
    if scale is not None and not _missing(numerator) and not _missing(denominator) and denominator > 0:
        required = float(target) / scale * float(denominator)
        # Round up: a fraction of a patient still needs a whole patient to meet the target;
        # the small tolerance stops float noise (e.g. 7800.0000001) adding one.
        raw = required - float(numerator) if increase else float(numerator) - required
        needed = max(math.ceil(raw - 1e-6), 0)
    elif scale is None:
        raw = float(target) - float(value) if increase else float(value) - float(target)
        needed = max(math.ceil(raw - 1e-6), 0)
    else:
        return out
    out["numbers_needed"] = int(needed)
    phrase = words.more if increase else words.fewer
    if scale is None:
        phrase = f"{'more' if increase else 'fewer'} would have been needed to meet the target"
        number = format_number(needed)
        if metric.unit == "gbp":
            number = f"£{number}"
        elif metric.unit in ("days", "beds"):
            number = f"{number} {metric.unit}"
        out["numbers_text"] = f"{number} {phrase}"
    else:
        out["numbers_text"] = f"{format_number(needed)} {phrase}"
    return out
