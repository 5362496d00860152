"""Indicator detail: the SPC chart with targets and events, organisations compared, the data, the source."""

import streamlit as st

from ui import charts, components, data, filters, sections
from ui.router import require_app

require_app()  # deep links on a fresh server go through app.py

cat = data.catalogue()
area_id = filters.selected_area()
start_year = filters.selected_start_year()

st.title("Indicator detail")
metric_id = filters.metric(cat)
metric = cat.metric(metric_id)
area = cat.area_by_id[area_id]

view = sections.load_view(metric, area_id, start_year)
components.demo_banner(view.series["source_ids"] if "source_ids" in view.series else [])
st.header(f"{metric.name}: {area.name}")
st.caption(metric.description)
components.demo_badge(view.series["source_ids"] if "source_ids" in view.series else [])

if view.series.empty or view.spc is None:
    st.info(f"No figures for {metric.name} are loaded for {area.name}. Choose another area in the sidebar.")
else:
    cols = st.columns(3)
    with cols[0]:
        components.variation_badge(view.spc.variation)
    with cols[1]:
        components.assurance_badge(view.spc.assurance)
    if view.spc.reason:
        st.caption(view.spc.reason)
    st.plotly_chart(
        charts.spc_chart(view.spc.points, metric, view.targets, data.annotations(metric.id), view.breaks, title=None),
        key="indicator-spc",
        config={"displaylogo": False},
        alt=f"SPC chart of {metric.name} for {area.name}; the figures are in the table below.",
    )
    st.caption(components.currency_text(view, metric))

st.subheader("Compare organisations")
compare = components.organisation_picker(metric, area_id)
if compare:
    frame = sections.organisation_lines(metric, compare, start_year)
    if not frame.empty:
        st.plotly_chart(
            charts.compare_chart(frame, metric),
            key="indicator-compare",
            config={"displaylogo": False},
            alt=f"{metric.name} for the chosen organisations",
        )
        with st.expander("Show the comparison as a table"):
            st.dataframe(frame.pivot_table(index="period_start", columns="label", values="value"))

st.subheader("The figures")
table = view.table
st.dataframe(table, hide_index=True)
components.downloads(
    table,
    f"{metric.id}-{area_id}",
    components.about_sheet(
        cat, view.series["source_ids"] if "source_ids" in view.series else [], f"{metric.name}, {area.name}"
    ),
    key="indicator",
    row_source_ids=view.series["source_ids"].tolist() if "source_ids" in view.series else None,
)
reported = data.reconciliation(metric.id)
if not reported.empty:
    st.subheader("Reported to committee")
    components.reported_figures(reported, cat)
components.definition(metric, cat)
components.source_files(view.series)
