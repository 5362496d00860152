"""The meeting pack's files for the Meeting brief page, built once per data version and choice."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from metrics import pack
from metrics.catalogue import TOPICS, Catalogue
from ui import data

#: extension -> (button words, MIME type)
FILE_KINDS = {
    "html": ("the pack (web page)", "text/html"),
    "pdf": ("the pack (PDF)", "application/pdf"),
    "xlsx": ("the figures (Excel)", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


def prepare(choice: tuple) -> None:
    """The Prepare button's callback: remember which pack (area, meeting, topics) was asked for."""
    st.session_state["pack-ready"] = choice


def prepared(choice: tuple) -> bool:
    """True once the pack for this choice has been asked for (a new choice asks again)."""
    return st.session_state.get("pack-ready") == choice


def topic_choices(cat: Catalogue) -> dict[str, str]:
    """Topic id -> name, for the topics a pack can hold (``metrics.pack.pack_topics``)."""
    return {t: TOPICS.get(t, t) for t in pack.pack_topics(cat, None)}


@st.cache_data(show_spinner="Building the meeting pack (charts, workbook and PDF)...", max_entries=8)
def _pack_files(
    token: str, area_id: str, meeting: dt.date, topics: tuple[str, ...], today: dt.date
) -> tuple[dict[str, bytes], str]:
    built = pack.read_pack(data.engine(), data.catalogue(), area_id, meeting, list(topics), today)
    try:
        return pack.pack_files(built), ""
    except pack.PdfUnavailable as exc:
        return pack.pack_files(built, pdf=False), f"No PDF: {exc}."


def meeting_pack_files(area_id: str, meeting: dt.date, topics: list[str]) -> tuple[dict[str, bytes], str]:
    """The pack's files by name (``metrics.pack.pack_files``, as ``python -m loaders pack`` writes
    them) and a note when the PDF could not be made."""
    return _pack_files(data.version(), area_id, meeting, tuple(topics), data.brief_today())
