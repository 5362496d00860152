"""Reusable page sections: one indicator's chart, status and table for an area."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from metrics.calc import format_value
from metrics.catalogue import Metric
from metrics.compare import latest_by_area, rank_among_peers
from metrics.indicator import IndicatorView, indicator_view
from metrics.periods import period_label
from ui import charts, components, data, filters


def load_view(metric: Metric, area_id: str, start_year: int) -> IndicatorView:
    series = data.area_series(metric.id, area_id)
    return indicator_view(series, metric, data.catalogue(), area_id, start_year)


def indicator_section(metric: Metric, area_id: str, start_year: int, key: str) -> bool:
    """Chart, icons, table alternative and definition for one metric; False if the area has no data."""
    view = load_view(metric, area_id, start_year)
    if view.series.empty or view.series["value"].notna().sum() == 0:
        return False
    st.subheader(metric.name)
    st.caption(metric.description)
    components.demo_badge(view.series["source_ids"] if "source_ids" in view.series else [])
    label, status, words = view.latest_status()
    cols = st.columns(3)
    with cols[0]:
        components.status_badge(status, words)
    with cols[1]:
        components.variation_badge(view.spc.variation if view.spc else None)
    with cols[2]:
        components.assurance_badge(view.spc.assurance if view.spc else None)
    st.write(f"Latest figure ({label}): {components.latest_value_text(view)}. {words}.")
    if view.spc is not None and view.spc.reason:
        st.caption(view.spc.reason)
    fig = (
        charts.spc_chart(view.spc.points, metric, view.targets, data.annotations(metric.id), view.breaks)
        if view.spc
        else None
    )
    if fig is not None:
        st.plotly_chart(
            fig,
            key=f"chart-{key}",
            config={"displaylogo": False},
            alt=f"Chart of {metric.name}; the same figures are in the table below.",
        )
    with st.expander("Show the figures as a table"):
        st.dataframe(view.table, hide_index=True)
    components.definition(metric, data.catalogue())
    return True


def topic_page(topic: str, title: str, intro: str) -> None:
    """A topic page: every metric of the topic for the chosen area, with its chart and status."""
    cat = data.catalogue()
    area_id = filters.selected_area()
    start_year = filters.selected_start_year()
    st.title(title)
    st.write(intro)
    metrics = [m for m in cat.metrics_in_topic(topic)]
    source_ids = []
    for m in metrics:
        series = data.area_series(m.id, area_id)
        source_ids.extend(series["source_ids"].tolist() if "source_ids" in series else [])
    components.demo_banner(source_ids)
    shown = 0
    for m in metrics:
        if indicator_section(m, area_id, start_year, key=f"{topic}-{m.id}"):
            shown += 1
            st.divider()
    if shown == 0:
        st.info(
            f"No {title.lower()} figures are loaded for {cat.area_by_id[area_id].name}. "
            "Try LLR or England, or load the publications on the Data page."
        )


def organisation_lines(metric: Metric, org_codes: list[str], start_year: int):
    """``period_start, value, label`` for each chosen organisation (from April of ``start_year``)."""
    obs = data.observations([metric.id], org_codes)
    names = data.organisations().set_index("code")["name"]
    obs = obs[obs["period_start"] >= pd.Timestamp(start_year, 4, 1)]
    return obs.assign(label=obs["org_code"].map(names).fillna(obs["org_code"]))[["period_start", "value", "label"]]


def area_comparison(metric: Metric, start_year: int):
    """Every area's series for ``metric`` (long frame with ``label``) and a latest-value table."""
    cat = data.catalogue()
    by_area = {a.id: data.area_series(metric.id, a.id) for a in cat.areas}
    parts = [s.assign(label=cat.area_by_id[a].name) for a, s in by_area.items() if not s.empty]
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if not frame.empty:
        frame = frame[frame["period_start"] >= pd.Timestamp(start_year, 4, 1)]
    latest = latest_by_area(by_area, cat)
    latest["Latest period"] = [
        period_label(p.date(), metric.frequency) if pd.notna(p) else "no figures" for p in latest["period_start"]
    ]
    latest["Value"] = [format_value(v, metric.unit, metric.decimals) if pd.notna(v) else "" for v in latest["value"]]
    for col in ("numerator", "denominator"):
        latest[col] = [f"{v:,.0f}" if pd.notna(v) else "" for v in latest[col]]
    latest = latest.rename(columns={"area": "Area", "numerator": "Numerator", "denominator": "Denominator"})
    return frame, latest[["Area", "Latest period", "Value", "Numerator", "Denominator"]]


def national_ranks(metric: Metric):
    cat = data.catalogue()
    llr_codes = [o.code for o in cat.organisations if o.kind not in ("country", "system")]
    ranks = rank_among_peers(data.observations([metric.id]), data.organisations(), metric, llr_codes)
    ranks = ranks[ranks["peers"] > 1].copy()
    ranks["value"] = [format_value(v, metric.unit, metric.decimals) for v in ranks["value"]]
    ranks["Period"] = [period_label(p.date(), metric.frequency) for p in ranks["period_start"]]
    return ranks.rename(
        columns={
            "name": "Organisation",
            "value": "Value",
            "rank": "Rank",
            "peers": "Out of",
            "quartile_words": "Quartile",
        }
    )[["Organisation", "Period", "Value", "Rank", "Out of", "Quartile"]]
