"""Targets: every indicator against its target for the chosen area, filterable, sortable and exportable."""

import streamlit as st

from metrics.catalogue import TOPICS
from metrics.targets_table import TARGET_STATUSES, target_status_words
from ui import badges, components, data, downloads, filters, narrow
from ui.router import require_app

require_app()  # deep links on a fresh server go through app.py

cat = data.catalogue()
area_id = filters.selected_area()
area = cat.area_by_id[area_id]
st.title(f"Targets: {area.name}")
st.write(
    "Each indicator's latest figure against the target in force for that period: the national standard, "
    "an interim target, or a local plan. Each row says which period its figure is for, how current it is, "
    "when its target applied and which target is in force now. Indicators without a target say so."
)

brief = data.brief(area_id, filters.selected_meeting())
if brief.empty:
    st.info(f"No figures are loaded for {area.name}.")
    st.stop()
badges.demo_banner(brief["source_ids"])

left, right = st.columns(2)
statuses = left.multiselect(
    "Show",
    TARGET_STATUSES,
    default=TARGET_STATUSES,
    format_func=target_status_words,
    key="status",
)
topics = right.multiselect(
    "Topics", list(TOPICS), default=[t for t in TOPICS if t != "population"], format_func=TOPICS.get, key="topics"
)
past = st.toggle(
    "Include targets no longer in force",
    value=False,
    key="past",
    help="By default an indicator is shown only when a target or expectation still applies today.",
)
everything = st.toggle(
    "Include discontinued collections and figures quoted in committee papers", value=False, key="everything"
)
table = components.targets_table(area_id, filters.selected_meeting(), statuses, topics, everything, past)
about = downloads.about_sheet(cat, brief["source_ids"], f"Indicators against targets, {area.name}")
# On a phone each row is a short card: its period, currency, status and target first.
narrow.table_or_list(
    table,
    "targets",
    "Indicator",
    [
        "Latest period",
        "Currency",
        "Status",
        "Latest value",
        "Target",
        "Target applies",
        "Target in force now",
        "In words",
    ],
    hide_index=True,
    column_config={"Indicator": st.column_config.TextColumn("Indicator", width="medium")},
)
st.caption(f"{len(table)} indicator(s) shown. Click a column heading to sort.")
summary, _ = data.brief_summary(area_id, filters.selected_meeting())
st.caption(
    f"The Meeting brief's summary counts {len(summary.targets_met)} met and {len(summary.targets_missed)} missed: "
    "the indicators here from published collections still released, with a target in force at their latest figure."
)
downloads.downloads(table, f"targets-{area_id}", about, key="targets")
