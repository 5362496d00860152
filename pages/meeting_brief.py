"""Meeting brief: what has changed since the last meeting, for the chosen area, in plain English."""

import streamlit as st

from ui import actions as actions_ui
from ui import badges, brief_view, data, downloads, filters
from ui import pack as pack_ui
from ui import questions as questions_ui
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
badges.demo_banner(brief["source_ids"])

# Printing hides navigation, keeps each card on one page, opens the collapsed lists and numbers the pages.
brief_view.brief_style(f"Meeting brief: {area.name}, since the meeting on {meeting.day} {meeting:%B %Y}")
summary, sections = data.brief_summary(area_id, meeting)
open_cards = {mid for section in sections if not section.collapsed for mid in section.metric_ids}
brief_view.brief_summary(summary, area.short_name, open_cards)
questions_ui.chair_list(area_id, meeting)

view = st.segmented_control(
    "View",
    ["Cards", "Icons only"],
    default="Cards",
    key="view",
    bind="query-params",
    help="Icons only: one compact line per indicator, with the Making Data Count icons.",
)

if view == "Icons only":
    brief_view.icons_table(brief, sections)
else:
    cards = brief_view.cards(area_id, meeting)
    asked = questions_ui.by_card(area_id, meeting)
    agreed = actions_ui.stored_actions()
    brief_view.how_to_read()
    for section in sections:
        holder = (
            st.expander(f"{section.title} ({len(section.metric_ids)})", key=f"section-{section.key}")
            if section.collapsed
            else st.container()
        )
        with holder:
            if not section.collapsed:
                st.header(f"{section.title} ({len(section.metric_ids)})", anchor=f"section-{section.key}")
            else:
                st.caption("Collections that have stopped: their last figures are kept for the record.")
            st.html(brief_view.cards_html(section.metric_ids, cards, asked, agreed, area_id))

with st.container(key="brief-downloads"):  # not printed
    st.subheader("Download this brief")
    downloads.downloads(
        brief_view.kept_export_table(area_id, meeting),
        f"meeting-brief-{area_id}-{meeting:%Y-%m-%d}",
        downloads.about_sheet(cat, brief["source_ids"], f"Meeting brief for {area.name} since {meeting:%d %B %Y}"),
        key="brief",
        row_source_ids=brief["source_ids"].tolist(),
    )

    st.subheader("Download the meeting pack")
    st.write(
        "The pack a committee would get in its agenda: a cover (what has changed since the last meeting, the "
        "newest figures held and what is not loaded yet) and contents, this summary, a section per topic with "
        "each indicator's chart over time, figures, target and definition, the discontinued series in one annex table, "
        "and an appendix of source files. As a "
        "self-contained web page (opens offline, prints on A4), a PDF, and an Excel workbook with the figures "
        "behind every chart as numbers."
    )
    topics = pack_ui.topic_choices(cat)
    chosen = st.multiselect(
        "Topics in the pack", list(topics), default=list(topics), format_func=topics.get, key="pack-topics"
    )
    choice = (area_id, meeting, tuple(chosen))
    st.button(
        "Prepare the meeting pack",
        key="pack-prepare",
        icon=":material/picture_as_pdf:",
        disabled=not chosen,
        on_click=pack_ui.prepare,
        args=(choice,),
    )
    if chosen and pack_ui.prepared(choice):
        files, note = pack_ui.meeting_pack_files(area_id, meeting, chosen)
        columns = st.columns(len(files))
        for column, (name, content) in zip(columns, files.items(), strict=True):
            kind = name.rsplit(".", 1)[-1]
            column.download_button(
                f"Download {pack_ui.FILE_KINDS[kind][0]}",
                content,
                file_name=name,
                mime=pack_ui.FILE_KINDS[kind][1],
                key=f"pack-{kind}",
                icon=":material/download:",
                on_click="ignore",
            )
        if note:
            st.caption(note)
