"""Meeting brief: what has changed since the last meeting, for the chosen area, in plain English."""

import streamlit as st

from metrics.catalogue import TOPICS
from ui import components, data, filters
from ui.router import require_app

require_app()  # deep links on a fresh server go through app.py

cat = data.catalogue()
area_id = filters.selected_area()
meeting = filters.selected_meeting()
area = cat.area_by_id[area_id]

st.title(f"Meeting brief: {area.name}")
st.write(
    f"The latest figure for each indicator, and what has changed since the meeting on "
    f"{meeting.day} {meeting:%B %Y}. Targets are stated in words; the icons say whether a change is a real "
    "signal or ordinary ups and downs (statistical process control)."
)

brief = data.brief(area_id, meeting)
if brief.empty:
    st.info(f"No figures are loaded for {area.name}. Choose another area, or load publications on the Data page.")
    st.stop()
components.demo_banner(brief["source_ids"])

view = st.segmented_control(
    "View",
    ["Cards", "Icons only"],
    default="Cards",
    key="view",
    bind="query-params",
    help="Icons only: one compact line per indicator.",
)

if view == "Icons only":
    table = components.compact_brief_table(brief)
    st.dataframe(table, hide_index=True)
else:
    for topic, rows in brief.groupby("topic", sort=False):
        st.header(TOPICS.get(topic, topic))
        for row in rows.itertuples():
            with st.container(border=True):
                components.brief_card(row)

st.subheader("Download this brief")
components.downloads(
    components.brief_export_table(brief),
    f"meeting-brief-{area_id}-{meeting:%Y-%m-%d}",
    components.about_sheet(cat, brief["source_ids"], f"Meeting brief for {area.name} since {meeting:%d %B %Y}"),
    key="brief",
    row_source_ids=brief["source_ids"].tolist(),
)
