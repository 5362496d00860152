"""Indicator detail: the SPC chart with targets and events, organisations compared, the data, the source."""

import streamlit as st

from metrics.verdict import indicator_verdict
from ui import actions as actions_ui
from ui import badges, components, data, downloads, filters, plots, safe, sections
from ui import questions as questions_ui
from ui import reported as reported_ui
from ui.router import require_app

require_app()  # deep links on a fresh server go through app.py

cat = data.catalogue()
area_id = filters.selected_area()
start_year = filters.selected_start_year()

st.title("Indicator detail")
metric_id = filters.metric(cat)
metric = cat.metric(metric_id)
area = cat.area_by_id[area_id]

ind = data.indicator(metric_id, area_id)
badges.demo_banner([ind.source_ids])
st.header(f"{metric.name}: {area.name}")
st.caption(metric.description)
badges.demo_badge([ind.source_ids])

if ind.empty:
    st.info(f"No figures for {metric.name} are loaded for {area.name}. Choose another area in the sidebar.")
else:
    cols = st.columns(3)
    with cols[0]:
        badges.variation_badge(ind.variation)
    with cols[1]:
        badges.assurance_badge(ind.assurance)
    st.write(f"Latest figure ({ind.latest['period_label']}): {components.latest_value_text(ind)}.")
    components.verdict(indicator_verdict(ind))
    if main := data.main_provider(metric_id, area_id):
        components.main_provider(main.text(metric), "indicator")
    badges.currency_note(ind.currency)
    if ind.spc is not None and ind.spc.reason:
        st.caption(ind.spc.reason)
    sections.spc_chart(
        ind,
        start_year,
        "indicator-spc",
        f"Chart of {metric.name} for {area.name} over time; the figures are in the table below.",
    )
    st.caption(
        "The mean and process limits are calculated on the whole series, with new limits wherever the "
        "process or the organisations in the total changed; 'Show from' only chooses what is drawn."
    )
    if ind.components:
        st.subheader(f"What makes up the {area.short_name} figure")
        st.write(f"{safe.md(sections.components_words(ind))}.")
        plots.chart(
            ("components", metric_id, area_id, start_year),
            sections.components_chart,
            ind,
            start_year,
            key="indicator-components",
            alt=f"{metric.name}: the {area.short_name} total and its parts",
        )

    actions_ui.beside_indicator(metric_id, area_id, key="indicator")
    questions_ui.on_indicator(questions_ui.indicator_questions(metric_id, area_id, filters.selected_meeting()))

st.subheader("Compare organisations")
compare = components.organisation_picker(metric, area_id)
if compare:
    frame = sections.organisation_lines(metric, compare, start_year)
    if not frame.empty:
        sections.comparison(
            ("organisations", metric_id, tuple(compare), start_year),
            frame,
            metric,
            key="indicator-compare",
            alt=f"{metric.name} for the chosen organisations",
            table_label="Show the comparison as a table",
        )

st.subheader("The figures")
table = sections.figures_table(ind, start_year)
plots.table(table)
about = downloads.about_sheet(cat, [ind.source_ids], f"{metric.name}, {area.name}")
downloads.downloads(
    table,
    f"{metric.id}-{area_id}",
    about,
    key="indicator",
    row_source_ids=ind.window(start_year)["source_ids"].tolist(),
    xlsx=lambda: downloads.indicator_xlsx(ind, about, start_year),  # the same sheet as the pack's
)
reported = data.reconciliation(metric.id)
if not reported.empty:
    st.subheader("Reported to committee, beside the published statistics")
    reported_ui.reported_beside_published(reported, cat, key="indicator")
components.definition(metric, cat)
components.source_files(ind.series)
