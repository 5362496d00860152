"""Better Care Fund: the national BCF metrics for each Health and Wellbeing Board (Leicester,
Leicestershire, Rutland), with LLR and England for context."""

import streamlit as st

from ui import badges, components, data, filters, plots, sections
from ui.router import require_app

require_app()  # deep links on a fresh server go through app.py

cat = data.catalogue()
start_year = filters.selected_start_year()
st.title("Better Care Fund")
st.write(
    "Each Health and Wellbeing Board (Leicester, Leicestershire and Rutland) agrees a Better Care Fund plan and is "
    "monitored against national metrics. The metric set changed: 2015-2020 and 2023-2025 are shown separately. "
    "BCF plans and targets have no national public file: they are loaded through the generic template."
)

area = cat.area_by_id[filters.selected_area()]
if area.origin != "config.yaml":
    st.info(f"Better Care Fund figures are held for LLR's Health and Wellbeing Boards only; none for {area.name}.")

for bcf_set in cat.settings.bcf_sets:
    st.header(f"BCF metrics {bcf_set}")
    for metric in [m for m in cat.metrics if bcf_set in m.bcf_sets]:
        frame, latest, source_ids = sections.area_comparison(metric, start_year)
        st.subheader(metric.name)
        st.caption(metric.description)
        if frame.empty:
            st.info("No figures loaded for this metric yet (BCF returns are loaded through the generic template).")
            continue
        badges.demo_banner(source_ids)
        plots.table(latest)
        sections.comparison(
            ("areas", metric.id, filters.selected_area(), start_year),
            frame,
            metric,
            key=f"bcf-{bcf_set}-{metric.id}",
            alt=f"{metric.name} by Health and Wellbeing Board",
            table_label="Show the chart's figures as a table",
        )
        components.definition(metric, cat)
