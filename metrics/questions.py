"""Suggested questions for scrutiny: what the read layer says, turned into questions a member can ask.

For one indicator of an area (``metrics.query.Indicator``) and a meeting date, each rule below
looks at what the read layer already decided and, when it fires, asks its question in the words
of the catalogue (``questions:`` in config.yaml; nothing is generated here). Every question
quotes the figures it rests on (value, period, limit or target).

The rules, in the order their questions are listed:

- ``special_cause_concern``: a point after the meeting that the read layer flagged as special
  cause concern (the latest such point);
- ``assurance_fail``: the process limits say the target in force at the latest figure will
  consistently be missed;
- ``trajectory_missed``: the latest figure misses a trajectory, interim target or planned level
  (a target set on the way to the standard);
- ``hit_and_miss``: the target lies inside the process limits, so it will be met only some of
  the time;
- ``series_break`` / ``membership_change``: new SPC limits that start after the meeting, because
  the series or the organisations in the total changed;
- ``overdue`` / ``discontinued``: the data currency (``metrics.currency``);
- ``reported_gap``: a figure reported to committee far from the published statistic for the same
  area and period (``Reader.reconciliation``; "far" is ``questions.large_difference``).

A discontinued collection gets only its ``discontinued`` question and any ``reported_gap``: asking
whether a target will be met by a collection that has stopped helps nobody.

Pure: read-layer results in, frozen questions out.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from metrics.calc import format_value
from metrics.catalogue import Catalogue, Metric
from metrics.currency import day_text
from metrics.periods import period_label
from metrics.query import Indicator
from metrics.targets import format_number, format_target, status, unit_difference

#: Target kinds set on the way to a standard: missing one raises ``trajectory_missed``.
STEPPING_KINDS = ("trajectory", "interim", "plan")
#: The SPC rules that say where a special-cause point lies, most telling first.
_PLACE_RULES = ("outside_limits", "two_of_three", "shift", "trend")
RULES = (
    "special_cause_concern", "assurance_fail", "trajectory_missed", "hit_and_miss", "series_break",
    "membership_change", "overdue", "discontinued", "reported_gap",
)  # fmt: skip
QUESTION_COLUMNS = ["topic", "indicator", "question", "figures", "rule", "metric_id", "area_id", "period"]


@dataclass(frozen=True)
class Question:
    """One suggested question about one indicator of one area."""

    rule: str
    metric_id: str
    area_id: str
    topic: str  # the topic's name, e.g. "Urgent and emergency care"
    indicator: str  # the metric's name
    text: str  # the question
    figures: str  # the figures it rests on
    period: str  # the period the figures are for, e.g. "February 2026"


# ---------------------------------------------------------------------------- one indicator
def indicator_questions(
    ind: Indicator,
    catalogue: Catalogue,
    meeting: dt.date | pd.Timestamp,
    reported: pd.DataFrame | None = None,
) -> list[Question]:
    """The questions one indicator raises, in rule order.

    Parameters
    ----------
    ind : Indicator
        What the read layer says for the metric and area (``Reader.indicator``).
    catalogue : Catalogue
        Its ``questions`` block gives the thresholds and the words.
    meeting : date-like
        "Since the meeting": special cause and new limits after this date raise questions.
    reported : DataFrame, optional
        ``Reader.reconciliation()`` rows (any metrics and areas; this one's are picked).

    Returns
    -------
    list of Question
    """
    if ind.empty:
        return []
    meeting = pd.Timestamp(meeting)
    m = ind.metric
    last = ind.latest
    common = {
        "indicator": m.name,
        "area": catalogue.area_by_id[ind.area_id].name,
        "value": _value(last["value"], m),
        "period": str(last["period_label"]),
    }
    out: list[Question] = []

    def ask(rule: str, fields: dict, period: str | None = None) -> None:
        words = catalogue.questions.rules[rule]
        values = {**common, **fields}
        out.append(
            Question(
                rule, m.id, ind.area_id, m.topic_name, m.name,
                _tidy(words.question.format_map(values)), _tidy(words.figures.format_map(values)),
                period or values["period"],
            )
        )  # fmt: skip

    if not ind.currency.discontinued:
        _special_cause(ind, catalogue, meeting, ask)
        _targets(ind, catalogue, ask)
        _rebases(ind, meeting, ask)
        if ind.currency.overdue:
            c = ind.currency
            ask("overdue", {"next_period": c.next_period_label, "due": day_text(c.next_expected)})
    else:
        c = ind.currency
        ask("discontinued", {"stopped": c.stopped_label, "successor": c.successor or "none named"})
    if reported is not None and len(reported):
        _reported(ind, catalogue, reported, ask)
    return out


def _tidy(text: str) -> str:
    """One line: folded YAML may leave doubled spaces."""
    return " ".join(text.split())


def _value(value, m: Metric) -> str:
    return format_value(value, m.unit, m.decimals)


def _special_cause(ind: Indicator, catalogue: Catalogue, meeting: pd.Timestamp, ask) -> None:
    s = ind.series
    flagged = s[(s["period_start"] > meeting) & (s["special_cause"].fillna("") == "concern")]
    if flagged.empty:
        return
    point = flagged.iloc[-1]
    m = ind.metric
    side = (
        point["direction"]
        if point["direction"] in ("high", "low")
        else ("high" if point["value"] > point["mean"] else "low")
    )
    fired = set(str(point["rules"] or "").split(","))
    rule = next((r for r in _PLACE_RULES if r in fired), "outside_limits")
    words = catalogue.questions.special_cause_words[f"{rule}_{side}"]
    if rule in ("outside_limits", "two_of_three"):
        limit = point["lpl"] if side == "low" else point["upl"]
        limit_text = f"{'lower' if side == 'low' else 'upper'} process limit {_value(limit, m)}"
    else:
        limit_text = f"average {_value(point['mean'], m)}"
    ask(
        "special_cause_concern",
        {
            "value": _value(point["value"], m),
            "period": str(point["period_label"]),
            "moved": "fell to" if side == "low" else "rose to",
            "where": words,
            "limit": limit_text,
        },
    )


def _targets(ind: Indicator, catalogue: Catalogue, ask) -> None:
    last = ind.latest
    m = ind.metric
    if pd.isna(last["target"]) or m.improvement_direction == "neutral":
        return
    target = float(last["target"])
    kind = str(last["target_kind"])
    limits = {
        "target": format_target(target, m.unit, m.decimals),
        "target_kind": catalogue.questions.target_kinds.get(kind, "target"),
        "lower_limit": _value(last["lpl"], m),
        "upper_limit": _value(last["upl"], m),
    }
    has_limits = pd.notna(last["lpl"]) and pd.notna(last["upl"])
    if ind.assurance == "fail" and has_limits:
        ask("assurance_fail", limits)
    if kind in STEPPING_KINDS and status(float(last["value"]), target, m.improvement_direction) == "not_met":
        gap = target - float(last["value"])
        ask(
            "trajectory_missed",
            {
                "target": limits["target"],
                "target_kind": limits["target_kind"],
                "target_source": str(last["target_source"]),
                "gap": unit_difference(gap, m.unit, m.decimals),
            },
        )
    if ind.assurance == "hit_and_miss" and has_limits:
        ask("hit_and_miss", limits)


def _rebases(ind: Indicator, meeting: pd.Timestamp, ask) -> None:
    for r in ind.rebases:
        if r.start <= meeting:
            continue
        label = period_label(r.start.date(), ind.metric.frequency)
        rule = "membership_change" if r.kind == "membership" else "series_break"
        ask(rule, {"change_period": label, "reason": r.reason})


def is_large_difference(reported: float, published: float, unit: str, catalogue: Catalogue) -> bool:
    """True when a reported figure is far enough from the published one to ask why.

    Percentages: at least ``questions.large_difference.percentage_points`` apart. Other units: at
    least ``relative`` of the published figure (any difference when it is zero).
    """
    big = catalogue.questions.large_difference
    diff = abs(float(reported) - float(published))
    if unit == "percent":
        return round(diff, 6) >= big.percentage_points
    if float(published) == 0:
        return diff > 0
    return diff / abs(float(published)) >= big.relative


def _reported(ind: Indicator, catalogue: Catalogue, reported: pd.DataFrame, ask) -> None:
    m = ind.metric
    mine = reported[(reported["metric_id"] == m.id) & (reported["area_id"] == ind.area_id)]
    for r in mine.sort_values("period_start").itertuples():
        if not is_large_difference(r.reported, r.published, m.unit, catalogue):
            continue
        label = period_label(pd.Timestamp(r.period_start).date(), r.period_type)
        ask(
            "reported_gap",
            {
                "period": label,
                "reported": reported_text(r.reported, m),
                "published": _value(r.published, m),
                "difference": signed_difference(r.difference, m),
            },
        )


def reported_text(value: float, m: Metric) -> str:
    """A figure as reported to committee: papers quote two decimals (79.48%), so keep them."""
    number = format_number(float(value), max(m.decimals, 2), strip=True)
    return format_value(float(value), m.unit, _decimals(number))


def _decimals(number: str) -> int:
    return len(number.split(".")[1]) if "." in number else 0


def signed_difference(delta: float, m: Metric) -> str:
    """Reported minus published, signed, in the metric's unit: ``-0.42 percentage points``."""
    if delta is None or (isinstance(delta, float) and math.isnan(delta)):
        return ""
    decimals = max(m.decimals, 2)
    text = unit_difference(float(delta), m.unit, decimals)
    if round(float(delta), decimals) == 0:
        return text
    return ("+" if delta > 0 else "\u2212") + text


# ---------------------------------------------------------------------------- many indicators
def area_questions(
    indicators: Iterable[Indicator],
    catalogue: Catalogue,
    meeting: dt.date | pd.Timestamp,
    reported: pd.DataFrame | None = None,
) -> list[Question]:
    """Every question of an area's indicators, in the order the indicators are given."""
    return [q for ind in indicators for q in indicator_questions(ind, catalogue, meeting, reported)]


def brief_questions(
    indicators: Mapping[str, Indicator],
    catalogue: Catalogue,
    meeting: dt.date | pd.Timestamp,
    metric_ids: Sequence[str],
    reported: pd.DataFrame | None = None,
) -> list[Question]:
    """The questions of a brief's indicators, in the brief's order.

    ``indicators`` are the read layer's for the area (``Reader.area_indicators``), the same the
    brief's cards and the pack are built from, so the questions use the same figures as the cards.
    """
    return area_questions((indicators[mid] for mid in metric_ids if mid in indicators), catalogue, meeting, reported)


def questions_frame(questions: Sequence[Question]) -> pd.DataFrame:
    """Questions as a table, one row each (``QUESTION_COLUMNS``): the pack's sheet and the downloads."""
    rows = [
        {"topic": q.topic, "indicator": q.indicator, "question": q.text, "figures": q.figures, "rule": q.rule,
         "metric_id": q.metric_id, "area_id": q.area_id, "period": q.period}
        for q in questions
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=QUESTION_COLUMNS)


def for_the_chair(questions: Sequence[Question]) -> list[Question]:
    """One list for the chair: by rule (concerns first, data currency and reported figures last),
    then in the order given (the brief's catalogue order)."""
    order = {rule: i for i, rule in enumerate(RULES)}
    return sorted(questions, key=lambda q: order[q.rule])
