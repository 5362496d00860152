"""Compare areas: Leicester, Leicestershire, Rutland, LLR, the chosen board's region and England side by side, and national ranks."""

import streamlit as st

from ui import badges, components, data, downloads, filters, funnel, plots, sections
from ui.router import require_app

require_app()  # deep links on a fresh server go through app.py

cat = data.catalogue()
start_year = filters.selected_start_year()
st.title("Compare areas")
st.write(
    "The same indicator for each LLR area, the chosen board's NHS England region and England, with confidence "
    "intervals and whether each differs "
    "significantly from England, and where LLR organisations rank among English organisations doing the same job "
    "(rank 1 is best)."
)
metric_id = filters.metric(cat)
metric = cat.metric(metric_id)

frame, latest, source_ids = sections.area_comparison(metric, start_year)
badges.demo_banner(source_ids)
if frame.empty:
    st.info(f"No figures for {metric.name} are loaded for any area.")
else:
    sections.comparison(
        ("areas", metric.id, filters.selected_area(), start_year),
        frame,
        metric,
        key="compare-areas",
        alt=f"{metric.name} by area",
    )
    st.subheader("Latest figures")
    plots.table(latest)
    if "95% interval" in latest:
        st.caption(
            "Intervals are Wilson score intervals. An area is significantly better or worse than England when "
            "England's figure lies outside its interval (the method Fingertips uses)."
        )
    else:
        st.caption(components.NO_INTERVAL_WORDS)

funnel.funnel_section(metric, filters.selected_area())

st.subheader("Rank among English organisations doing the same job")
ranks = sections.national_ranks(metric)
if ranks.empty:
    st.info("National figures for other organisations are not loaded for this indicator, so no ranking is possible.")
else:
    plots.table(ranks)
downloads.downloads(
    latest if not frame.empty else ranks,
    f"compare-{metric.id}",
    downloads.about_sheet(cat, source_ids, f"{metric.name} by area"),
    key="compare",
)
components.definition(metric, cat)
