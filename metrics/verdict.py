"""One verdict sentence per indicator: the latest figure against its target, and what the process implies.

A card that says "Met the 78% target" beside "Consistently misses target" reads as a
contradiction to a councillor (issue #20): both are true, about different things. The latest
point is judged against the target in force; the SPC assurance (NHS England, Making Data Count)
says what the process, on its past variation, will usually do. This module says both in one
sentence, e.g.

    The latest figure, 78.8% in March 2026, met the 78% target, but it is unusually high for
    this series: on past variation the target will usually be missed.

Pure: the words come from the same fields as the badges (target status, variation icon,
assurance icon), so the sentence cannot disagree with them. The card, the topic page,
Indicator detail and the meeting pack all show this sentence.
"""

from __future__ import annotations

import math

import pandas as pd

from metrics import targets
from metrics.calc import format_value
from metrics.catalogue import Metric

#: What one period is called in "met in some months and missed in others".
PERIOD_PLURALS = {"month": "months", "quarter": "quarters", "year": "years", "week": "weeks", "day": "days"}

#: What the process (the assurance icon) implies for the target, in words.
PROCESS_WORDS = {
    "pass": "on past variation the target will usually be met",
    "fail": "on past variation the target will usually be missed",
}


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or (not isinstance(x, str) and pd.isna(x))


def unusual_words(variation: str | None) -> str:
    """The latest point's special cause in words (from the variation icon), '' when there is none.

    ``"improvement_high"`` -> ``"unusually high for this series"``; ``"common_cause"`` or no
    icon -> ``""``.
    """
    if not isinstance(variation, str) or variation == "common_cause":
        return ""
    if variation.endswith("_high"):
        return "unusually high for this series"
    if variation.endswith("_low"):
        return "unusually low for this series"
    return "unusual for this series"


def process_words(assurance: str | None, frequency: str) -> str:
    """What the assurance icon implies for the target ('' for no icon)."""
    if assurance in PROCESS_WORDS:
        return PROCESS_WORDS[assurance]
    if assurance == "hit_and_miss":
        periods = PERIOD_PLURALS.get(frequency, "periods")
        return f"on past variation the target will be met in some {periods} and missed in others"
    return ""


def verdict_sentence(
    metric: Metric,
    value: float,
    period_label: str,
    target: float | None,
    variation: str | None,
    assurance: str | None,
) -> str:
    """The one verdict on an indicator, in plain English (see the module docstring).

    Parameters
    ----------
    metric : Metric
        For the unit, decimals, improvement direction and frequency.
    value : float
        The latest figure.
    period_label : str
        Its period, e.g. ``"March 2026"``.
    target : float or None
        The target in force for that period (None or NaN: no target).
    variation, assurance : str or None
        The read layer's SPC icons (``metrics.spc``): None when there are too few points for
        process limits (variation) or no target or limits (assurance).

    Returns
    -------
    str
        One sentence ending with a full stop.
    """
    lead = f"The latest figure, {format_value(value, metric.unit, metric.decimals)} in {period_label},"
    unusual = unusual_words(variation)
    has_target = not _missing(target) and metric.improvement_direction != "neutral"
    if not has_target:
        if variation is None:
            return f"{lead} has no target, and there are too few points yet to judge its variation."
        if unusual:
            return f"{lead} is {unusual}; there is no target."
        return f"{lead} is within the ordinary variation of this series; there is no target."

    status = targets.status(value, float(target), metric.improvement_direction)
    target_text = targets.format_target(float(target), metric.unit, metric.decimals)
    if status == "met":
        judged = f"met the {target_text} target"
    else:
        judged = targets.status_words(
            value, float(target), metric.improvement_direction, metric.unit, metric.decimals
        ).replace("Missed", "missed", 1)
    process = process_words(assurance, metric.frequency)
    if not process:  # no process limits (too few points), so nothing to say about future periods
        if unusual:
            return f"{lead} {judged}, and it is {unusual}."
        if variation is None:
            return f"{lead} {judged}; there are too few points yet to say whether the target will usually be met."
        return f"{lead} {judged}."
    # "but" where the process says the opposite of the latest point: a met target on a process
    # that will usually miss it (issue #20), or a miss on a process that will usually meet it.
    contrast = (status == "met" and assurance == "fail") or (status == "not_met" and assurance == "pass")
    if unusual:
        return f"{lead} {judged}, {'but' if contrast else 'and'} it is {unusual}: {process}."
    if contrast:
        return f"{lead} {judged}, but {process}."
    return f"{lead} {judged}; {process}."


def indicator_verdict(ind) -> str:
    """:func:`verdict_sentence` for a read-layer indicator (``metrics.query.Indicator``); '' when empty."""
    last = ind.latest
    if last is None:
        return ""
    target = None if pd.isna(last["target"]) else float(last["target"])
    return verdict_sentence(
        ind.metric, float(last["value"]), last["period_label"], target, ind.variation, ind.assurance
    )
