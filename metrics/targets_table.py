"""The Targets page's table: every indicator of a brief against its target, in words.

Pure: the brief's rows (``metrics.brief``), the catalogue's targets and expectations, and, for an
expectation over years, the indicator's series through ``series_for``. Each row says which period
its figure is for, how current it is, when its target applied and which target is in force now; the
status is in words with a symbol, never colour alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import pandas as pd

from metrics.catalogue import TOPICS, Catalogue
from metrics.glossary import STATUS_WORDS, assurance_words
from metrics.targets import (
    expectation_words,
    format_target,
    judge_expectation,
    target_in_force,
    target_period_words,
)

#: The Targets page's status filter: the brief's statuses, and an expectation over years not judged.
TARGET_STATUSES = ["met", "not_met", "not_judged", "no_target"]
_STATUS_MARK = {"met": "✔", "not_met": "✘", "not_judged": "…"}

#: How old each figure is comes straight after its name, so a phone shows it without scrolling.
COLUMNS = ["Indicator", "Latest period", "Currency", "Status", "Latest value", "Target", "Target applies",
           "Target in force now", "Kind of target", "In words", "Assurance", "Topic"]  # fmt: skip


def target_status_words(status: str) -> str:
    """The Targets page's words for a status (``Not judged`` beside the brief's words)."""
    return "Not judged" if status == "not_judged" else STATUS_WORDS.get(status, STATUS_WORDS["no_target"])


def targets_rows(
    brief: pd.DataFrame,
    catalogue: Catalogue,
    area_id: str | None,
    statuses: Sequence[str],
    topics: Sequence[str],
    everything: bool = False,
    past_targets: bool = False,
    today: dt.date | None = None,
    series_for: Callable[[str], pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """The Targets table for an area's brief.

    By default only published collections still released, as the brief's summary counts them;
    ``everything`` adds discontinued collections and figures quoted in committee papers. By
    default an indicator whose every target has ended is left out (``past_targets`` keeps it).
    An expectation over years ("1,011 to 2,022 over 3 to 5 years") is judged on the figure for the
    end of its span (``metrics.targets.judge_expectation``), never on a month's figure.

    Parameters
    ----------
    brief : DataFrame
        The area's brief (``metrics.brief.meeting_brief``).
    catalogue : Catalogue
    area_id : str or None
        The area, for targets set for its organisation; None for national targets only.
    statuses, topics : sequence of str
        The rows to keep (``TARGET_STATUSES``; topic ids).
    everything, past_targets : bool
    today : date, optional
        What "in force now" means; defaults to today.
    series_for : callable, optional
        ``metric_id -> series`` (``Indicator.series``) for judging an expectation; without it an
        expectation is judged on no figures ("Not judged").

    Returns
    -------
    DataFrame
        ``COLUMNS``, indexed like ``brief``.
    """
    today = today or dt.date.today()
    org_code = catalogue.area_by_id[area_id].org_code if area_id else None
    keep = brief["topic"].isin(topics)
    if not everything:
        keep &= brief["currency_state"].isin(["current", "overdue"])
    out = []
    for row in brief[keep].itertuples():
        metric = catalogue.metric(row.metric_id)
        judged = target_in_force(metric, org_code, row.latest_period) if pd.notna(row.latest_period) else None
        now = target_in_force(metric, org_code, today)
        expectations = [e for e in metric.expectations if e.org_code is None or e.org_code == org_code]
        status, words = row.status, row.status_text
        target_text = format_target(row.target, row.unit) if pd.notna(row.target) else ""
        kind = row.target_kind if isinstance(row.target_kind, str) else ""
        applies = target_period_words(judged) if judged is not None and pd.notna(row.target) else ""
        if expectations and pd.isna(row.target):
            exp = expectations[-1]
            series = series_for(row.metric_id) if series_for else pd.DataFrame(columns=["period_start", "value"])
            status, words = judge_expectation(exp, series, metric, today)
            target_text, kind = expectation_words(exp, row.unit), "local expectation over years"
            applies = f"{exp.start:%B %Y} to {exp.end:%B %Y}"
        in_force = now is not None or any(pd.Timestamp(e.end) >= pd.Timestamp(today) for e in expectations)
        ever = bool(metric.targets or expectations)
        if (not past_targets and ever and not in_force) or status not in statuses:
            continue
        now_text = f"{format_target(now.value, metric.unit)} ({now.kind}, {target_period_words(now)})" if now else ""
        out.append(
            {
                "Indicator": row.name,
                "Topic": TOPICS.get(row.topic, row.topic),
                "Latest period": row.latest_label,
                "Currency": row.currency_badge,
                "Latest value": row.value_text,
                "Target": target_text,
                "Target applies": applies,
                "Kind of target": kind,
                "Target in force now": now_text or ("none" if ever else ""),
                "Status": f"{_STATUS_MARK.get(status, '–')} {target_status_words(status)}",
                "In words": words,
                "Assurance": assurance_words(row.assurance),
                "_index": row.Index,
            }
        )
    if not out:
        return pd.DataFrame(columns=COLUMNS)
    return pd.DataFrame(out).set_index("_index").rename_axis(None)[COLUMNS]
