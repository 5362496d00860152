"""The meeting brief: what has changed for an area since the committee last met.

One row per metric with the latest figure and the numbers behind it, the figure at the time of
the meeting and the change in plain words, the SPC signal ("Making Data Count"), the target in
force and whether it was met, a sentence a councillor can read aloud, a sparkline and the source
ids behind the figure.

Every row comes from the read layer (``metrics.query.indicator``): the same series, SPC
segments, icons and targets as the topic pages, Indicator detail and the downloads.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from metrics import query
from metrics import targets as targets_module
from metrics.calc import format_value
from metrics.catalogue import Catalogue, Metric
from metrics.glossary import SIGNALS
from metrics.periods import period_end
from metrics.targets import (
    format_number,
    status_words,
    unit_difference,
    visible_decimals,
)
from metrics.verdict import indicator_verdict

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
    "currency_state",
    "currency_badge",
    "currency_text",
    "components_text",
    # the one verdict sentence (metrics.verdict), and the main provider of a blend on its own
    # (metrics.query.main_provider): its figure, target verdict and rank beside the total
    "verdict",
    "main_name",
    "main_value_text",
    "main_status_text",
    "main_rank_text",
    "main_text",
    "spc_note",
    "gap_numbers_text",
    # what changed since the meeting, and how current the figure is (metrics.summary orders and
    # summarises the brief from these)
    "new_since_meeting",
    "special_since_meeting",
    "special_since_label",
    "latest_end",
    "next_period_label",
    "next_expected",
]


# ---------------------------------------------------------------------------- the brief
def meeting_brief(
    obs: pd.DataFrame,
    catalogue: Catalogue,
    area_id: str,
    meeting_date,
    metric_ids: Sequence[str] | None = None,
    today: dt.date | None = None,
    include_missing: bool = False,
    indicators: Mapping[str, query.Indicator] | None = None,
    main_ranks: dict[str, dict] | None = None,
) -> pd.DataFrame:
    """What has changed for an area since the last meeting, one row per metric.

    Every figure and verdict comes from the read layer (``metrics.query.indicator``), so the
    brief says what the topic pages, Indicator detail and the downloads say.

    Parameters
    ----------
    obs : DataFrame
        Observations (``store.read_observations`` with derived rates).
    catalogue : Catalogue
    area_id : str
        e.g. ``"llr"``.
    meeting_date : date-like
        The figure "at the meeting" is the latest period starting on or before this date.
    metric_ids : sequence of str, optional
        Defaults to every catalogue metric except the population denominators.
    today : date, optional
        For the data-currency note; defaults to today.
    include_missing : bool
        Add a row saying "not published for this area" for metrics with no figures.
    indicators : mapping, optional
        The area's indicators already built from ``obs`` (``query.area_indicators``), so a caller
        that also needs them (the questions, the pack) builds each series once.
    main_ranks : dict, optional
        Per metric, the main provider's rank among its peers (``Reader.main_provider_ranks``).

    Returns
    -------
    DataFrame
        ``area_id`` + ``BRIEF_COLUMNS`` in catalogue order (see the module docstring).
    """
    today = today or dt.date.today()
    ids = _metric_ids(catalogue, metric_ids)
    if indicators is None:
        indicators = query.area_indicators(obs[obs["metric_id"].isin(ids)], catalogue, area_id, today)
    rows = []
    for mid in ids:
        ind = indicators.get(mid)
        if ind is not None and not ind.empty:
            rank = (main_ranks or {}).get(mid)
            rows.append(brief_row(ind, meeting_date, today, catalogue.settings.sparkline_points, rank))
    brief = pd.DataFrame(rows, columns=BRIEF_COLUMNS) if rows else pd.DataFrame(columns=BRIEF_COLUMNS)
    if include_missing:
        brief = _add_missing(brief, catalogue, ids)
    brief = _icons_as_text(brief)
    order = {mid: i for i, mid in enumerate(ids)}
    brief = brief[brief["metric_id"].isin(order)]
    brief = brief.iloc[np.argsort(brief["metric_id"].map(order).to_numpy(), kind="stable")]
    brief.insert(0, "area_id", area_id)
    return brief.reset_index(drop=True)


def brief_frame(rows: list[dict], area_id: str) -> pd.DataFrame:
    """Brief rows (``brief_row``), in their order, as the brief's frame (``area_id`` + ``BRIEF_COLUMNS``)."""
    brief = _icons_as_text(pd.DataFrame(rows, columns=BRIEF_COLUMNS))
    brief.insert(0, "area_id", area_id)
    return brief


def _icons_as_text(brief: pd.DataFrame) -> pd.DataFrame:
    """No icon is None, never NaN (pandas turns an all-None column into NaN)."""
    for col in ("variation", "assurance"):
        brief[col] = pd.Series([v if isinstance(v, str) else None for v in brief[col]], index=brief.index, dtype=object)
    return brief


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
                "currency_state": "no_data",
                "currency_badge": "No figures",
                "currency_text": "",
                "components_text": "",
                "verdict": "",
                "main_name": "",
                "main_value_text": "",
                "main_status_text": "",
                "main_rank_text": "",
                "main_text": "",
                "spc_note": "",
                "gap_numbers_text": "",
                "new_since_meeting": False,
                "special_since_meeting": "",
                "special_since_label": "",
                "latest_end": pd.NaT,
                "next_period_label": "",
                "next_expected": None,
            }
        )
    if not extra:
        return brief
    return pd.concat([brief, pd.DataFrame(extra)], ignore_index=True) if len(brief) else pd.DataFrame(extra)


def brief_row(
    ind: query.Indicator, meeting_date, today: dt.date, sparkline_points: int, main_rank: dict | None = None
) -> dict:
    """One brief row (``BRIEF_COLUMNS``) from what the read layer says about a metric and area.

    ``sparkline_points`` is the catalogue's ``settings.sparkline_points``; ``main_rank`` the main
    provider's row of ``metrics.compare.rank_among_peers`` (``Reader.main_provider_ranks``).
    """
    m = ind.metric
    series = ind.series
    meeting = pd.Timestamp(meeting_date)
    last = series.iloc[-1]
    before = series[series["period_start"] <= meeting]
    at_meeting = before.iloc[-1] if len(before) else None
    value = float(last["value"])
    target = float(last["target"]) if pd.notna(last["target"]) else math.nan
    status = targets_module.status(value, None if math.isnan(target) else target, m.improvement_direction)
    texts = _texts(m, last, at_meeting, meeting, target, status, ind.variation)
    cur = ind.currency
    verdict = indicator_verdict(ind)
    # The verdict (named, for a download read away from the card), then what changed since the meeting.
    summary = f"{m.name}: {verdict[:1].lower()}{verdict[1:]} {texts['since']}."
    main = query.main_provider(ind, main_rank)
    if cur.discontinued:
        summary += f" This collection stopped in {cur.stopped_label}."
    spark = series["value"].to_numpy(dtype=float)[-sparkline_points:]
    special, special_label = _special_since(series, meeting)
    return {
        "metric_id": m.id,
        "name": m.name,
        "topic": m.topic,
        "unit": m.unit,
        "latest_period": last["period_start"],
        "latest_label": last["period_label"],
        "latest_value": value,
        "latest_numerator": float(last["numerator"]) if pd.notna(last["numerator"]) else math.nan,
        "latest_denominator": float(last["denominator"]) if pd.notna(last["denominator"]) else math.nan,
        "value_text": format_value(value, m.unit, m.decimals),
        "numbers_text": query.numbers_text(m, last["numerator"], last["denominator"]),
        "meeting_period": at_meeting["period_start"] if at_meeting is not None else pd.NaT,
        "meeting_label": at_meeting["period_label"] if at_meeting is not None else "",
        "meeting_value": float(at_meeting["value"]) if at_meeting is not None else math.nan,
        "meeting_value_text": texts["meeting_value_text"],
        "change": texts["change"],
        "change_text": texts["change_text"],
        "direction": texts["direction"],
        "signal": SIGNALS[ind.variation],
        "variation": ind.variation,
        "assurance": ind.assurance,
        "target": target,
        "target_kind": last["target_kind"],
        "standard": float(last["standard"]) if pd.notna(last["standard"]) else math.nan,
        "status": status,
        "status_text": texts["status_text"],
        "gap_text": texts["gap_text"],
        "summary": summary,
        "sparkline": spark.tolist(),
        "n_points": len(series),
        "source_ids": tuple(last["source_ids"]),
        "currency_state": cur.state,
        "currency_badge": cur.badge,
        "currency_text": cur.text,
        "components_text": query.components_text(ind),
        "verdict": verdict,
        "main_name": main.name if main else "",
        "main_value_text": main.value_text if main else "",
        "main_status_text": main.status_text if main and main.target is not None else "",
        "main_rank_text": main.rank_text if main else "",
        "main_text": main.text(m) if main else "",
        "spc_note": ind.spc.reason if ind.spc is not None else "",
        "gap_numbers_text": targets_module.gap_to_target(
            value, last["numerator"], last["denominator"], None if math.isnan(target) else target, m
        )["numbers_text"],
        "new_since_meeting": bool(last["period_start"] > meeting),
        "special_since_meeting": special,
        "special_since_label": special_label,
        "latest_end": pd.Timestamp(period_end(last["period_start"].date(), m.frequency)),
        "next_period_label": cur.next_period_label,
        "next_expected": cur.next_expected,
    }


def _special_since(series: pd.DataFrame, meeting: pd.Timestamp) -> tuple[str, str]:
    """The read layer's SPC signal on the latest point after the meeting that shows one.

    Returns the kind (``"improvement"``, ``"concern"``, ``"neither"``; ``""`` when every point
    since the meeting is ordinary variation) and that point's period label. The signal is the
    one the read layer flagged (its rules and rebases), never recomputed here.
    """
    after = series[(series["period_start"] > meeting) & (series["special_cause"].fillna("") != "")]
    if after.empty:
        return "", ""
    point = after.iloc[-1]
    return str(point["special_cause"]), str(point["period_label"])


def _texts(m: Metric, last: pd.Series, at_meeting: pd.Series | None, meeting: pd.Timestamp, target: float,
           status: str, variation: str | None) -> dict:  # fmt: skip
    """Every text of one brief row: change since the meeting (``since``: as a sentence), target words."""
    unit, dec, improve = m.unit, m.decimals, m.improvement_direction
    value = float(last["value"])
    meeting_month = f"{meeting:%B %Y}"
    out = {"meeting_value_text": "", "change": math.nan, "direction": "n/a"}
    if at_meeting is not None:
        meeting_label = at_meeting["period_label"]
        meeting_value = float(at_meeting["value"])
        out["meeting_value_text"] = format_value(meeting_value, unit, dec)
        # Compare the figures as shown, so the words add up for a reader.
        delta = round(value, dec) - round(meeting_value, dec)
        if at_meeting["period_start"] == last["period_start"]:
            out.update(change=0.0, direction="same")
            # The bracket names the figure's own period, never read as the meeting's date.
            out["change_text"] = f"no new figure since the meeting (latest: {meeting_label})"
            short = f"no new figure since the meeting in {meeting_month}"
        elif round(delta, dec) == 0:
            out.update(change=0.0, direction="same")
            out["change_text"] = f"no change since the meeting ({meeting_label})"
            short = f"no change since the meeting in {meeting_month}"
        else:
            words = "up" if delta > 0 else "down"
            amount = unit_difference(delta, unit, dec)
            short_amount = f"{format_number(abs(delta), dec)} points" if unit == "percent" else amount
            if unit != "percent" and meeting_value != 0:
                relative = f" ({abs(delta) / abs(meeting_value) * 100:.1f}%)"
                amount += relative
                short_amount += relative
            out["change"] = delta
            out["change_text"] = f"{words} {amount} since the meeting ({meeting_label})"
            short = f"{words} {short_amount} since the meeting in {meeting_month}"
            if improve != "neutral":
                out["direction"] = "better" if (delta > 0) == (improve == "increase") else "worse"
    else:
        out["change_text"] = "no figure at the time of the meeting"
        short = f"no figure at the time of the meeting in {meeting_month}"

    if not math.isnan(target) and improve != "neutral":
        out["status_text"] = status_words(value, target, improve, unit, dec)
        gap = target - value
        out["gap_text"] = "" if status == "met" else unit_difference(gap, unit, visible_decimals(gap, dec))
    else:
        out["status_text"], out["gap_text"] = "No target", ""
    out["since"] = short[:1].upper() + short[1:]
    return out
