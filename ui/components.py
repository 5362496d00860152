"""Shared pieces of the indicator pages: definitions and source files, the organisation picker, figure tables."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from metrics.calc import format_value
from metrics.catalogue import TOPICS, Catalogue, Metric
from metrics.periods import period_label
from metrics.targets import (
    expectation_words,
    format_target,
    judge_expectation,
    target_in_force,
    target_period_words,
)
from ui import data, safe
from ui.badges import assurance_words, status_words

#: Why Compare areas shows no interval for a metric (the catalogue's ``interval`` is not wilson).
NO_INTERVAL_WORDS = (
    "No interval is shown: this indicator is not a proportion of people or events (bed occupancy, for example, "
    "is an average of beds over days), so a Wilson interval would not mean what it says. The figures are shown "
    "as published, without a test of difference from England."
)


def no_data_message(database: str) -> None:
    """What to do when the database the app reads holds no data (the app never fills it itself)."""
    st.title("No data loaded yet")
    st.info(
        f"The database `{database}` has no figures loaded. Load the published snapshot that ships "
        f"with the dashboard, or published NHS files, with one of:\n\n"
        f"```\npython -m loaders restore data/published --db URL\npython -m loaders ingest PATH --db URL\n```\n\n"
        "(`URL` is the same address as `DATABASE_URL`), then reload this page.",
        icon=":material/database:",
    )


def definition(metric: Metric, cat: Catalogue) -> None:
    """The metric's definition and source, one click away."""
    src = cat.sources[metric.source]
    with st.expander(f"About this indicator: {metric.name}"):
        st.markdown(f"**What it shows.** {metric.description}")
        st.markdown(f"**How it is calculated.** {metric.definition}")
        direction = {
            "increase": "Higher is better.",
            "decrease": "Lower is better.",
            "neutral": "Neither higher nor lower is better in itself.",
        }[metric.improvement_direction]
        st.markdown(f"**Which way is better.** {direction}")
        link = f" ([publication page]({src.url}))" if src.url else ""
        st.markdown(f"**Source.** {src.publisher}: {src.publication}{link}. Licence: {src.licence}.")
        for brk in metric.series_breaks:
            st.markdown(f"**Series break, {brk.date:%B %Y}.** {brk.reason}")
        for t in metric.targets:
            who = f" ({cat.organisation_by_code[t.org_code].name})" if t.org_code else ""
            value = format_target(t.value, metric.unit)
            st.markdown(f"**Target ({t.kind}){who}: {value}**, {target_period_words(t)}. {t.source_text}")
        for e in metric.expectations:
            who = f" ({cat.organisation_by_code[e.org_code].name})" if e.org_code else ""
            st.markdown(
                f"**Expectation over years{who}: {expectation_words(e, metric.unit)}.** {e.source_text} "
                "It is judged on the figure for the end of the span, not on any one month before it."
            )


def period_text(period_start, frequency: str) -> str:
    """A period as a reader writes it (``March 2026``), or '' when missing."""
    return period_label(pd.Timestamp(period_start).date(), frequency) if pd.notna(period_start) else ""


def england_code(cat: Catalogue) -> str:
    """The organisation code of the area every other is compared with (``settings.england_area``)."""
    return cat.area_by_id[cat.settings.england_area].org_code


def organisation_picker(metric: Metric, area_id: str) -> list[str]:
    """Organisations to compare: by default the area's members and England."""
    cat = data.catalogue()
    reporting = data.organisations_reporting(metric.id)
    available = sorted(reporting["code"])
    names = reporting.set_index("code")["name"]
    default = [
        c
        for c in (*cat.members(metric.id, area_id), cat.area_by_id[area_id].org_code, england_code(cat))
        if c in available
    ]
    return st.multiselect(
        "Organisations",
        available,
        default=list(dict.fromkeys(default))[:6],
        format_func=lambda c: f"{names.get(c, c)} ({c})",
        key=f"compare-orgs-{metric.id}",
    )


def source_files(series: pd.DataFrame) -> None:
    """The files behind the figures on screen (traceability)."""
    if "source_ids" not in series or series.empty:
        return
    ids = {int(i) for t in series["source_ids"] for i in (t if isinstance(t, (tuple, list)) else (t,)) if pd.notna(i)}
    frame = data.sources()
    used = frame[frame["id"].isin(ids)]
    with st.expander(f"Source files behind these figures ({len(used)})"):
        st.dataframe(
            used[["file_name", "publisher", "publication", "licence", "periods", "loaded_at", "is_demo"]].rename(
                columns={
                    "file_name": "File",
                    "publisher": "Publisher",
                    "publication": "Publication",
                    "licence": "Licence",
                    "periods": "Periods",
                    "loaded_at": "Loaded",
                    "is_demo": "Demo",
                }
            ),
            hide_index=True,
        )


#: The Targets page's status filter: the brief's statuses, and an expectation over years not judged.
TARGET_STATUSES = ["met", "not_met", "not_judged", "no_target"]
_STATUS_MARK = {"met": "✔", "not_met": "✘", "not_judged": "…"}


def target_status_words(status: str) -> str:
    """The Targets page's words for a status (``Not judged`` beside the brief's words)."""
    return "Not judged" if status == "not_judged" else status_words(status)


def targets_table(
    brief: pd.DataFrame,
    statuses: list[str],
    topics: list[str],
    everything: bool = False,
    past_targets: bool = False,
    area_id: str | None = None,
    today: dt.date | None = None,
) -> pd.DataFrame:
    """The Targets page table: status in words (with a symbol), never colour alone.

    By default only published collections still released, as the brief's summary counts them;
    ``everything`` adds discontinued collections and figures quoted in committee papers. By
    default an indicator whose every target has ended is left out (``past_targets`` keeps it):
    each row says when its target applied and which target is in force now. An expectation over
    years ("1,011 to 2,022 over 3 to 5 years") is judged on the figure for the end of its span
    (``metrics.targets.judge_expectation``), never on a month's figure.
    """
    cat = data.catalogue()
    today = today or data.brief_today()
    org_code = cat.area_by_id[area_id].org_code if area_id else None
    keep = brief["topic"].isin(topics)
    if not everything:
        keep &= brief["currency_state"].isin(["current", "overdue"])
    rows = brief[keep]
    out = []
    for row in rows.itertuples():
        metric = cat.metric(row.metric_id)
        judged = target_in_force(metric, org_code, row.latest_period) if pd.notna(row.latest_period) else None
        now = target_in_force(metric, org_code, today)
        expectations = [e for e in metric.expectations if e.org_code is None or e.org_code == org_code]
        status, words = row.status, row.status_text
        target_text = format_target(row.target, row.unit) if pd.notna(row.target) else ""
        kind = row.target_kind if isinstance(row.target_kind, str) else ""
        applies = target_period_words(judged) if judged is not None and pd.notna(row.target) else ""
        if expectations and pd.isna(row.target):
            exp = expectations[-1]
            ind = data.indicator(row.metric_id, area_id) if area_id else None
            series = ind.series if ind is not None else pd.DataFrame(columns=["period_start", "value"])
            status, words = judge_expectation(exp, series, metric, today)
            target_text, kind = expectation_words(exp, row.unit), "local expectation over years"
            applies = f"{exp.start:%B %Y} to {exp.end:%B %Y}"
        in_force = now is not None or any(pd.Timestamp(e.end) >= pd.Timestamp(today) for e in expectations)
        ever = bool(metric.targets or expectations)
        if not past_targets and ever and not in_force:
            continue
        if status not in statuses:
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
    # How old each figure is comes straight after its name, so a phone shows it without scrolling.
    columns = ["Indicator", "Latest period", "Currency", "Status", "Latest value", "Target", "Target applies",
               "Target in force now", "Kind of target", "In words", "Assurance", "Topic"]  # fmt: skip
    if not out:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame(out)
    return frame.set_index("_index").rename_axis(None)[columns]


def latest_value_text(ind) -> str:
    """The latest figure with the numbers behind it: ``78.8% (32,288 of 40,958)``."""
    last = ind.latest
    if last is None:
        return "no figure"
    m = ind.metric
    text = format_value(last["value"], m.unit, m.decimals)
    if m.scale is not None and pd.notna(last["numerator"]) and pd.notna(last["denominator"]):
        text += f" ({last['numerator']:,.0f} of {last['denominator']:,.0f})"
    return text


def verdict(text: str) -> None:
    """The one verdict sentence on an indicator (``metrics.verdict``), where the badges' words are read."""
    if text:
        st.markdown(safe.md(text))


def main_provider(text: str, key: str) -> None:
    """The main provider of a blend on its own (``metrics.query.MainProvider.text``): its figure, its
    target verdict and its rank, as a paragraph of its own beside the total (issue #20)."""
    if not text:
        return
    name, sep, rest = text.partition(" on its own: ")
    with st.container(border=True, key=f"main-provider-{key}"):
        st.markdown(f"**{safe.md(name + sep.rstrip())}** {safe.md(rest)}" if sep else safe.md(text))


def wide_table(frame: pd.DataFrame, metric: Metric) -> pd.DataFrame:
    """Lines of a comparison chart as a table: one row per period (as a period), one column per line."""
    wide = frame.pivot_table(index="period_start", columns="label", values="value", sort=False).round(metric.decimals)
    wide.index = [period_text(p, metric.frequency) for p in wide.index]
    return wide.rename_axis("Period").reset_index()
