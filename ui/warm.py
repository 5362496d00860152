"""Warming at server start: the work every first reader would otherwise wait for, done before one arrives.

``serve.py`` runs :func:`warm` in a background thread when the server starts (Streamlit's
``st.App`` lifespan). On a fresh clone it builds the default database from the published snapshot
(the first reader's page would otherwise wait for it); then it imports the page code and fills the
read layer's shared memos (``ui.data``) for the default area and meeting: the catalogue with its
areas, the brief, its summary, cards and questions, and every indicator of the topic pages with its
SPC chart. A reader who arrives meanwhile is never turned away: a page asking for an answer being
made waits for it (``ui.data._Kept``) instead of making it a second time.

Nothing here draws or writes anything but the default database's first build; a failure is
logged and left to the page, which shows it to the reader as it would without warming.
"""

from __future__ import annotations

import importlib
import pkgutil
import time

from streamlit.logger import get_logger

import ui

#: Streamlit's logger: its lines go where the server's own do.
LOG = get_logger(__name__)


def import_page_code() -> None:
    """Import every module the pages use (``ui`` and, through it, ``metrics`` and ``loaders``)."""
    for module in pkgutil.iter_modules(ui.__path__, "ui."):
        importlib.import_module(module.name)


def warm() -> dict[str, float]:
    """Build the default database if needed, then fill the memos a first reader needs.

    Returns
    -------
    dict
        Seconds each step took (``database``, ``code``, ``catalogue``, ``brief``, ``topics``),
        for the log.
    """
    from loaders import default_db
    from ui import brief_view, data, filters, questions, sections

    took: dict[str, float] = {}
    start = time.perf_counter()

    def step(name: str) -> None:
        nonlocal start
        took[name] = round(time.perf_counter() - start, 2)
        start = time.perf_counter()

    url = default_db.app_database_url(data.base_catalogue())
    if default_db.needs_build(url):
        default_db.build_default_database(url, data.base_catalogue())
    step("database")
    import_page_code()
    step("code")
    cat = data.catalogue()
    step("catalogue")
    area_id = filters.area_id_for(cat, None)
    meeting = filters.default_meeting_date()
    data.brief(area_id, meeting)
    data.brief_summary(area_id, meeting)
    brief_view.cards(area_id, meeting)
    questions.by_card(area_id, meeting)
    questions.chair_list_text(area_id, meeting)
    step("brief")
    for metric in cat.metrics:
        if metric.topic == "population":
            continue
        ind = data.indicator(metric.id, area_id)
        if not ind.empty:  # what a topic page and Indicator detail show first for the metric
            sections.spc_figure(ind, cat.settings.default_start_year)
            data.main_provider(metric.id, area_id)
    step("topics")
    return took


def warm_in_background() -> None:
    """:func:`warm`, logging what it did or why it stopped (it never raises: the pages report errors)."""
    try:
        LOG.info("Warmed at start (seconds per step): %s", warm())
    except Exception:  # noqa: BLE001 - a page shows the reader the same error when it asks
        LOG.exception("Warming at start stopped; pages will do the work when first asked")
