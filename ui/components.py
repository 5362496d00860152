"""Shared pieces of the indicator pages: definitions and source files, the organisation picker, figure tables."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from metrics.calc import format_value
from metrics.catalogue import Catalogue, Metric
from metrics.periods import period_label
from metrics.targets import expectation_words, format_target, target_period_words
from metrics.targets_table import targets_rows
from ui import data, downloads, plots, safe

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


def unreachable_message(database: str, reason: str) -> None:
    """What to do when the database the app reads cannot be reached (instead of a traceback)."""
    st.title("The database cannot be reached")
    st.error(
        f"The dashboard could not read its database `{database}`: {reason}.\n\n"
        "Check that `DATABASE_URL` names the right server, database and user, and that the server is "
        "running and accepts connections from this machine, then reload this page.",
        icon=":material/database_off:",
    )


def definition(metric: Metric, cat: Catalogue) -> None:
    """The metric's definition and source, one click away (one Markdown block, made once per data
    version)."""
    text = data.per_version(("definition", metric.id), lambda: _definition_text(metric, cat))
    with st.expander(f"About this indicator: {metric.name}"):
        st.markdown(text)


def _definition_text(metric: Metric, cat: Catalogue) -> str:
    src = cat.sources[metric.source]
    lines = [f"**What it shows.** {metric.description}", f"**How it is calculated.** {metric.definition}"]
    direction = {
        "increase": "Higher is better.",
        "decrease": "Lower is better.",
        "neutral": "Neither higher nor lower is better in itself.",
    }[metric.improvement_direction]
    lines.append(f"**Which way is better.** {direction}")
    link = f" ([publication page]({src.url}))" if src.url else ""
    lines.append(f"**Source.** {src.publisher}: {src.publication}{link}. Licence: {src.licence}.")
    for brk in metric.series_breaks:
        lines.append(f"**Series break, {brk.date:%B %Y}.** {brk.reason}")
    for t in metric.targets:
        who = f" ({cat.organisation_by_code[t.org_code].name})" if t.org_code else ""
        value = format_target(t.value, metric.unit)
        lines.append(f"**Target ({t.kind}){who}: {value}**, {target_period_words(t)}. {t.source_text}")
    for e in metric.expectations:
        who = f" ({cat.organisation_by_code[e.org_code].name})" if e.org_code else ""
        lines.append(
            f"**Expectation over years{who}: {expectation_words(e, metric.unit)}.** {e.source_text} "
            "It is judged on the figure for the end of the span, not on any one month before it."
        )
    return "\n\n".join(lines)


def period_text(period_start, frequency: str) -> str:
    """A period as a reader writes it (``March 2026``), or '' when missing."""
    return period_label(pd.Timestamp(period_start).date(), frequency) if pd.notna(period_start) else ""


def england_code(cat: Catalogue) -> str:
    """The organisation code of the area every other is compared with (``settings.england_area``)."""
    return cat.area_by_id[cat.settings.england_area].org_code


def _organisation_labels(metric_id: str) -> dict[str, str]:
    """``code -> "Name (code)"`` for every organisation reporting the metric, in code order."""
    reporting = data.organisations_reporting(metric_id)
    names = reporting.set_index("code")["name"]
    return {c: f"{names.get(c, c)} ({c})" for c in sorted(reporting["code"])}


def organisation_picker(metric: Metric, area_id: str) -> list[str]:
    """Organisations to compare: by default the area's members and England."""
    cat = data.catalogue()
    labels = data.per_version(("organisation labels", metric.id), lambda: _organisation_labels(metric.id))
    available = list(labels)
    default = [
        c
        for c in (*cat.members(metric.id, area_id), cat.area_by_id[area_id].org_code, england_code(cat))
        if c in labels
    ]
    return st.multiselect(
        "Organisations",
        available,
        default=list(dict.fromkeys(default))[:6],
        format_func=labels.__getitem__,
        key=f"compare-orgs-{metric.id}",
    )


def source_files(series: pd.DataFrame) -> None:
    """The files behind the figures on screen (traceability)."""
    if "source_ids" not in series or series.empty:
        return
    ids = plots.made_from(series, "source ids", _source_ids)  # once per series, not on every run
    used = data.per_version(("source files", ids), lambda: _source_files_table(ids))
    with st.expander(f"Source files behind these figures ({len(used)})"):
        plots.table(used)


def _source_ids(series: pd.DataFrame) -> frozenset[int]:
    return frozenset(
        int(i) for t in series["source_ids"] for i in (t if isinstance(t, (tuple, list)) else (t,)) if pd.notna(i)
    )


def _source_files_table(ids: frozenset[int]) -> pd.DataFrame:
    frame = data.sources()
    used = frame[frame["id"].isin(ids)]
    return used[["file_name", "publisher", "publication", "licence", "periods", "loaded_at", "is_demo"]].rename(
        columns={
            "file_name": "File",
            "publisher": "Publisher",
            "publication": "Publication",
            "licence": "Licence",
            "periods": "Periods",
            "loaded_at": "Loaded",
            "is_demo": "Demo",
        }
    )


def targets_table(
    area_id: str,
    meeting: dt.date,
    statuses: list[str],
    topics: list[str],
    everything: bool = False,
    past_targets: bool = False,
) -> pd.DataFrame:
    """The Targets page table (``metrics.targets_table.targets_rows``) for an area, meeting and choice
    of filters, with a ``demo`` column when any figure is demonstration data.

    Made once per data version and choice and shared by every reader (read-only): judging every
    indicator's targets was two fifths of the page's server time when it was made on each run.
    """
    what = ("targets table", area_id, meeting, tuple(statuses), tuple(topics), everything, past_targets)
    return data.per_version(what, lambda: _targets_table(area_id, meeting, statuses, topics, everything, past_targets))


def _targets_table(
    area_id: str, meeting: dt.date, statuses: list[str], topics: list[str], everything: bool, past_targets: bool
) -> pd.DataFrame:
    cat = data.catalogue()
    brief = data.brief(area_id, meeting)

    def series_for(metric_id: str) -> pd.DataFrame:
        return data.indicator(metric_id, area_id).series

    today = data.brief_today()
    table = targets_rows(brief, cat, area_id, statuses, topics, everything, past_targets, today, series_for)
    # Each row says whether it is demonstration data when any is (the same column as the download).
    about = downloads.about_sheet(cat, brief["source_ids"], "")
    row_sources = brief.loc[table.index, "source_ids"].tolist() if len(table) else []
    return downloads.with_demo_column(table, about, row_sources)


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
