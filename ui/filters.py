"""Filters bound to the URL (``?area=rutland&meeting=2025-07-01&metric=ae_4hr_all``): a copied link
reopens the same view. Widgets keep their key as the query parameter name."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from metrics import areas
from metrics.catalogue import Catalogue
from ui import data


def default_meeting_date(today: dt.date | None = None) -> dt.date:
    """The assumed last meeting: the first of the month three months before today.

    Scrutiny committees meet roughly quarterly. The date is judged from today, never from the
    newest figure held: a store that has not been refreshed must not make year-old figures look
    new (the brief then says plainly which newer figures are published but not held).
    """
    anchor = today or dt.date.today()
    month = anchor.month - 3
    year = anchor.year + (month - 1) // 12
    return dt.date(year, (month - 1) % 12 + 1, 1)


def area(cat: Catalogue) -> str:
    """The area chooser (sidebar), searchable by name or code; returns the area id.

    The URL holds the area's label (``?area=Rutland``); an id or ODS code (``?area=qe1``) opens
    the same area.
    """
    labels = areas.area_choices(cat)
    wanted = st.query_params.get("area")
    if wanted is not None and wanted not in labels and "area" not in st.session_state:
        found = areas.area_for_text(cat, wanted)
        if found is not None:
            st.session_state["area"] = areas.area_label(cat.area_by_id[found])
    default = areas.area_label(cat.area_by_id[cat.settings.default_area])
    chosen = st.sidebar.selectbox(
        "Area",
        labels,
        index=labels.index(default),
        key="area",
        bind="query-params",
        placeholder="Type a name or code",
        help="Type part of a name or an ODS code (e.g. Lancashire or QE1). Figures for an integrated care "
        "board add up the organisations that serve it; council areas use council figures.",
    )
    area_id = area_id_for(cat, chosen)
    if note := cat.area_by_id[area_id].note:
        st.sidebar.caption(note)
    return area_id


def area_id_for(cat: Catalogue, label: str | None) -> str:
    """The id of the area chosen (its label, id or code), else the default area."""
    return areas.area_for_text(cat, label) or cat.settings.default_area


#: A date typed into a date field applies when the field loses focus; a reader presses Enter to
#: apply it (issue #20), so Enter in a date field leaves the field. The project's own static script,
#: never data; installed once per page.
_ENTER_APPLIES_JS = """
export default function () {
  if (window.__dateEnterApplies) { return; }
  window.__dateEnterApplies = true;
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") { return; }
    const target = event.target;
    if (target instanceof HTMLElement && target.closest('[data-testid="stDateInputField"]')) {
      // After the field has handled the key itself, as if the reader had clicked elsewhere: the
      // field applies a typed date when the pointer goes down outside it and it loses focus.
      setTimeout(() => {
        document.body.dispatchEvent(new PointerEvent("pointerdown", { bubbles: true }));
        target.blur();
      }, 0);
    }
  }, true);
}
"""
_enter_applies = st.components.v2.component("llr_date_enter_applies", js=_ENTER_APPLIES_JS)


def meeting_date(default: dt.date) -> dt.date:
    """The date of the last meeting, to show what has changed since; a typed date applies on Enter."""
    chosen = st.sidebar.date_input(
        "Last meeting",
        value=default,
        min_value=dt.date(2010, 1, 1),
        key="meeting",
        bind="query-params",
        format="DD/MM/YYYY",
        help="The brief compares each figure with the latest figure available at this date. "
        "Type a date and press Enter, or pick one from the calendar.",
    )
    with st.sidebar:
        _enter_applies(key="date-enter-applies")
    return chosen


def start_year(cat: Catalogue) -> int:
    """The first year shown on charts and tables (the catalogue's ``first_year`` and ``default_start_year``)."""
    years = list(range(cat.settings.first_year, dt.date.today().year + 1))
    return st.sidebar.selectbox(
        "Show from",
        years,
        index=years.index(cat.settings.default_start_year),
        key="from",
        bind="query-params",
        help="Charts and tables start in April of this year.",
    )


def metric(cat: Catalogue, topic: str | None = None, label: str = "Indicator", options=None, default=None) -> str:
    """A metric picker kept in the URL as its id (``?metric=ae_4hr_all``), so links stay short and stable.

    ``options`` limits the choice (default: every metric of ``topic``); ``default`` is chosen when
    the URL names none of them.
    """
    ids = (
        list(options)
        if options is not None
        else [m.id for m in cat.metrics if (topic is None or m.topic == topic) and m.topic != "population"]
    )
    wanted = st.query_params.get("metric")
    start = wanted if wanted in ids else default if default in ids else ids[0]
    chosen = st.selectbox(
        label,
        ids,
        index=ids.index(start),
        format_func=lambda i: f"{cat.metric_by_id[i].name} ({cat.metric_by_id[i].topic_name})",
        key="metric",
    )
    st.query_params["metric"] = chosen
    return chosen


def selected_area() -> str:
    return area_id_for(data.catalogue(), st.session_state.get("area"))


def selected_meeting() -> dt.date:
    value = st.session_state.get("meeting")
    return value if isinstance(value, dt.date) else default_meeting_date()


def selected_start_year() -> int:
    return int(st.session_state["from"])
