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
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from streamlit.logger import get_logger

import ui

#: Streamlit's logger: its lines go where the server's own do.
LOG = get_logger(__name__)

#: Readers whose page is being made now, and set when there are none (``reader_running``).
_readers = 0
_readers_lock = threading.Lock()
_no_readers = threading.Event()
_no_readers.set()
#: The longest a warming step waits for readers' pages before going on anyway.
GIVE_WAY_SECONDS = 5.0


@contextmanager
def reader_running() -> Iterator[None]:
    """Around a reader's page (``app.py``): while any is being made, warming waits between its steps.

    The interpreter runs one thread at a time, so a first reader's page made beside the warming
    took twice as long (a chart page opened as the server started: 3.5 s against the bare app's
    2.0 s). Warming is for readers; it steps aside for them.
    """
    global _readers
    with _readers_lock:
        _readers += 1
        _no_readers.clear()
    try:
        yield
    finally:
        with _readers_lock:
            _readers -= 1
            if _readers == 0:
                _no_readers.set()


class ReadersFirst:
    """ASGI middleware (``serve.py``): warming waits while any HTTP request is being answered.

    A first reader's browser fetches Streamlit's page and scripts from this process before its page
    is asked for; each answer needs the interpreter, which the warming otherwise holds. Websockets
    are left alone: a reader's page is marked by ``app.py`` itself (:func:`reader_running`).
    """

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with reader_running():
            await self.app(scope, receive, send)


def _give_way() -> None:
    """Wait, between warming steps, until no reader's page is being made (at most ``GIVE_WAY_SECONDS``)."""
    _no_readers.wait(GIVE_WAY_SECONDS)


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
    _give_way()
    cat = data.catalogue()
    step("catalogue")
    area_id = filters.area_id_for(cat, None)
    meeting = filters.default_meeting_date()
    for make in (data.brief, data.brief_summary, brief_view.cards, questions.by_card, questions.chair_list_text):
        _give_way()
        make(area_id, meeting)
    step("brief")
    for metric in cat.metrics:
        if metric.topic == "population":
            continue
        _give_way()
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
