"""Cached reads for the pages: the catalogue, the engine and the read layer's answers.

Pages never read figures themselves: every figure comes from the read layer's
:class:`metrics.reader.Reader`, which this module only caches (per data version, shared by
every session).

Reading never writes: the only database the app builds is the default SQLite file on a fresh
machine, from the published snapshot (``loaders.default_db``).

Every cached read takes the store's ``data_version`` token, so a newly loaded file is seen on the
next rerun without stale caches.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
import time

import pandas as pd
import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from loaders import default_db
from loaders.ingest import prepare_upload
from metrics import query, store
from metrics import summary as summary_module
from metrics.catalogue import Catalogue, load_catalogue
from metrics.digest import sha256_hex
from metrics.reader import Reader
from ui.tables import fetch_status_table

#: How long a reader waits for another thread making the same answer before making it itself:
#: a bound, so that no wait can become a hang.
_WAIT_FOR_MAKER_SECONDS = 60


class _Kept:
    """A small thread-safe memo, optionally for ``seconds``, shared by every session of the server.

    For the answers every figure of a page asks for (the catalogue, the data version, the reader):
    a lookup in Streamlit's caches hashes its arguments and costs about a millisecond, which the
    Meeting brief paid a few hundred times a run; a dictionary lookup costs nothing.

    An answer is made once when many ask at once: the first maker works and the others wait for
    its answer (twenty readers opening a page on a fresh server, or a reader arriving while the
    server's start-up warming, ``ui.warm``, is making the same answer, would otherwise each make it
    and share the CPU twenty ways).
    """

    def __init__(self, size: int, seconds: float | None = None) -> None:
        self.size, self.seconds = size, seconds
        self._items: dict = {}
        self._makers: dict = {}
        self._lock = threading.Lock()

    def _fresh(self, key):
        with self._lock:
            hit = self._items.get(key)
        if hit is not None and (hit[0] is None or hit[0] > time.monotonic()):
            return hit
        return None

    def get(self, key, make):
        if (hit := self._fresh(key)) is not None:
            return hit[1]
        with self._lock:
            maker = self._makers.setdefault(key, threading.Lock())
        waited = maker.acquire(timeout=_WAIT_FOR_MAKER_SECONDS)
        try:
            if (hit := self._fresh(key)) is not None:  # made by another reader while this one waited
                return hit[1]
            now = time.monotonic()
            value = make()
            with self._lock:
                self._items[key] = (now + self.seconds if self.seconds else None, value)
                while len(self._items) > self.size:
                    self._items.pop(next(iter(self._items)))  # the oldest first
            return value
        finally:
            if waited:
                with self._lock:
                    if self._makers.get(key) is maker:
                        del self._makers[key]
                maker.release()

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def _kept(size: int):
    """A read kept by its arguments (the data version first) in a :class:`_Kept` memo.

    Streamlit's ``st.cache_data`` hands every caller a fresh copy (it pickles the answer), which
    for an indicator with its frames cost a fifth of a topic page's server time (py-spy, issue #23).
    These answers are shared instead: callers treat them as read-only (``Indicator`` is frozen,
    and pandas' copy-on-write keeps a frame derived from a shared one from changing it).
    """

    def wrap(read):
        memo = _Kept(size)

        def kept(*args):
            return memo.get(args, lambda: read(*args))

        kept.clear = memo.clear
        return functools.wraps(read)(kept)

    return wrap


_BASE = _Kept(1)
_CATALOGUES = _Kept(4)
_READERS = _Kept(4)


def base_catalogue() -> Catalogue:
    """config.yaml alone: what the store is built and written with."""
    return _BASE.get("config.yaml", load_catalogue)


def catalogue() -> Catalogue:
    """The catalogue pages read with: config.yaml plus one area per integrated care board from the
    reference data in the store (``metrics.areas``), rebuilt when the data changes."""
    url = default_db.app_database_url(base_catalogue())
    token = version()
    return _CATALOGUES.get((url, token), lambda: _store_reader(url).with_reference_areas())


@st.cache_resource(show_spinner=False)
def _store_reader(url: str) -> Reader:
    """The read layer with config.yaml alone: for what does not depend on the areas (the data
    version, whether there is data, the areas themselves)."""
    return Reader(engine(), base_catalogue())


BUILD_MESSAGE = {
    False: "First start: building the database from the published figures in data/published/ (a few seconds)...",
    True: "First start: building the demonstration database (DASHBOARD_DEMO=1)...",
}


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> Engine:
    return store.make_engine(url)


def engine() -> Engine:
    """The store named by ``DATABASE_URL``, else the default SQLite file (built on a fresh machine)."""
    url = default_db.app_database_url(base_catalogue())
    if default_db.needs_build(url):
        with st.spinner(BUILD_MESSAGE[default_db.demo_requested()]):
            default_db.build_default_database(url, base_catalogue())
    return _engine_for(url)


#: How long a page trusts its last look at the store's data version. Every cached read is keyed
#: by it; asking the database on every read cost a few per cent of each page (issue #12 profile).
VERSION_SECONDS = 2

_HAS_DATA = _Kept(8, VERSION_SECONDS)


def has_data() -> bool:
    """True when the database has the schema and at least one loaded file (read only; looked at
    again after ``VERSION_SECONDS``, like the data version)."""
    url = default_db.app_database_url(base_catalogue())
    return _HAS_DATA.get(url, lambda: _store_reader(url).has_data())


def store_problem() -> str | None:
    """Why the database cannot be read, in the driver's words (e.g. "connection refused"); None when
    it answers. Not remembered: a server that comes back is seen on the next reload."""
    try:
        has_data()
    except DBAPIError as exc:  # the server is down, unreachable, or refuses this user
        return (str(exc.orig).strip().splitlines() or [type(exc.orig).__name__])[0]
    return None


@functools.lru_cache(maxsize=8)
def _label(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def database_label() -> str:
    """The database the app reads, for messages (password hidden)."""
    return _label(default_db.app_database_url(base_catalogue()))


_VERSIONS = _Kept(8, VERSION_SECONDS)


def _version(url: str) -> str:
    # The database's address is part of the token: two stores with the same files loaded in the
    # same second must never share cached figures.
    return f"{sha256_hex(url.encode())[:12]}:{_store_reader(url).data_version()}"


def version() -> str:
    """The store's data version (new files loaded elsewhere are seen within ``VERSION_SECONDS``)."""
    url = default_db.app_database_url(base_catalogue())
    return _VERSIONS.get(url, lambda: _version(url))


#: Anything a page computes from the store and shows unchanged to every reader (a chart, a
#: section's table), kept per data version: see :func:`per_version`.
_SECTIONS = _Kept(512)
#: Charts, kept apart and fewer: a chart's dictionary holds its every point (an SPC chart about
#: 0.35 MB), so 96 of them stay under about 35 MB a process.
_CHARTS = _Kept(96)


def per_version(what: tuple, make, *, chart: bool = False):
    """``make()`` once per data version and day for ``what``, shared by every session of the server.

    ``what`` must name everything the answer depends on besides the store and the date (the
    metric, area, start year, organisations chosen...): two calls with the same ``what`` in one
    data version on one day get the same object, which callers treat as read-only. The day is part
    of the key because data currency ("newer figures not held") is judged on today's date.
    ``chart``: a Plotly figure (kept in a smaller memo).
    """
    return (_CHARTS if chart else _SECTIONS).get((version(), dt.date.today(), *what), make)


def refresh() -> None:
    """Forget the data version after this session changed the data, so the next read sees it."""
    _VERSIONS.clear()
    _FETCH_VERSIONS.clear()
    _HAS_DATA.clear()


def reader() -> Reader:
    """The read layer on the app's store."""
    url = default_db.app_database_url(base_catalogue())
    token = version()
    return _READERS.get((url, token), lambda: Reader(engine(), catalogue()))


@_kept(64)
def _organisation_series(token: str, metric_id: str, org_codes: tuple[str, ...]) -> pd.DataFrame:
    return reader().organisation_series(metric_id, org_codes)


def organisation_series(metric_id: str, org_codes) -> pd.DataFrame:
    """Each chosen organisation's own figures for a metric (``Reader.organisation_series``)."""
    return _organisation_series(version(), metric_id, tuple(org_codes))


@_kept(64)
def _organisations_reporting(token: str, metric_id: str) -> pd.DataFrame:
    return reader().organisations_reporting(metric_id)


def organisations_reporting(metric_id: str) -> pd.DataFrame:
    """``code``, ``name`` of every organisation with figures for a metric."""
    return _organisations_reporting(version(), metric_id)


@_kept(64)
def _ranks(token: str, metric_id: str, org_codes: tuple[str, ...]) -> pd.DataFrame:
    return reader().rank_pool(metric_id, org_codes)


def ranks(metric_id: str, org_codes) -> pd.DataFrame:
    """Ranks among like organisations, all in the metric's newest period (``Reader.rank_pool``)."""
    return _ranks(version(), metric_id, tuple(org_codes))


@_kept(64)
def _area_comparison(token: str, metric_id: str, today: dt.date, also: tuple[str, ...]):
    return reader().area_comparison(metric_id, today, also)


def area_comparison(metric_id: str, also: tuple[str, ...] = ()):
    """The config.yaml areas' (and ``also``'s) indicators and latest rows (``Reader.area_comparison``)."""
    cat = catalogue()  # config.yaml areas are always in: one cache entry for all of them
    extra = tuple(a for a in also if a in cat.area_by_id and cat.area_by_id[a].origin != "config.yaml")
    return _area_comparison(version(), metric_id, dt.date.today(), extra)


@_kept(32)
def _funnel(token: str, metric_id: str):
    return reader().funnel(metric_id)


def funnel(metric_id: str):
    """Every integrated care board beside England for a metric (``Reader.funnel``), once per data version."""
    return _funnel(version(), metric_id)


@_kept(32)
def _icb_series(token: str, metric_id: str):
    return reader().icb_series(metric_id)


def icb_series(metric_id: str):
    """Every integrated care board's series, England's and England's population (``Reader.icb_series``)."""
    return _icb_series(version(), metric_id)


@_kept(8)
def _sources(token: str) -> pd.DataFrame:
    return reader().sources()


def sources() -> pd.DataFrame:
    return _sources(version())


@_kept(8)
def _organisations(token: str) -> pd.DataFrame:
    return reader().organisations()


def organisations() -> pd.DataFrame:
    return _organisations(version())


@_kept(8)
def _annotations(token: str) -> pd.DataFrame:
    return reader().annotations()


def annotations(metric_id: str | None = None) -> pd.DataFrame:
    """Events to mark on charts: system-wide ones, plus those the catalogue says concern ``metric_id``
    (its own and its topic's, ``Catalogue.events_for``): "Home First model live" is never on Beds."""
    frame = _annotations(version())
    cat = catalogue()
    events = cat.events_for(metric_id) if metric_id else [a for a in cat.annotations if not (a.metric_id or a.topics)]
    concern = {(a.on_date, a.text) for a in events}
    keep = [(pd.Timestamp(d).date(), t) in concern for d, t in zip(frame["on_date"], frame["text"], strict=True)]
    return frame[keep]


@_kept(32)
def _brief(token: str, area_id: str, meeting: dt.date, today: dt.date) -> pd.DataFrame:
    return reader().brief(area_id, meeting, today)


def brief(area_id: str, meeting: dt.date) -> pd.DataFrame:
    """The meeting brief for an area (see ``metrics.brief.meeting_brief``)."""
    return _brief(version(), area_id, meeting, brief_today())


def brief_today() -> dt.date:
    """The date the brief's data currency is judged on."""
    return dt.date.today()


_SUMMARIES = _Kept(32)


def brief_summary(area_id: str, meeting: dt.date) -> tuple[summary_module.MeetingSummary, list[summary_module.Section]]:
    """The brief at a glance and its cards in order (see ``metrics.summary``), once per data
    version, area, meeting and day; shared, so callers must not change it."""
    key = (version(), area_id, meeting, brief_today())
    return _SUMMARIES.get(key, lambda: reader().summary(brief(area_id, meeting), meeting))


def source_lines(area_id: str, meeting: dt.date) -> dict[str, str]:
    """The one-line source of each row of the area's brief (``metrics.summary.source_line``), by metric id."""
    return _source_lines(version(), area_id, meeting, brief_today())


@_kept(32)
def _source_lines(token: str, area_id: str, meeting: dt.date, today: dt.date) -> dict[str, str]:
    cat = catalogue()
    stored = sources()
    out = {}
    for row in _brief(token, area_id, meeting, today).itertuples():
        fallback = cat.sources[cat.metric(row.metric_id).source]
        out[row.metric_id] = summary_module.source_line(
            row.source_ids, stored, fallback.publisher, fallback.publication, row.latest_label
        )
    return out


@_kept(256)
def _indicator(token: str, metric_id: str, area_id: str, today: dt.date) -> query.Indicator:
    return reader().indicator(metric_id, area_id, today)


def indicator(metric_id: str, area_id: str) -> query.Indicator:
    """What a reader sees for a metric in an area (``Reader.indicator``), shared by every session."""
    return _indicator(version(), metric_id, area_id, dt.date.today())


@_kept(64)
def _main_provider(token: str, metric_id: str, area_id: str, today: dt.date) -> query.MainProvider | None:
    return reader().main_provider(metric_id, area_id, today)


def main_provider(metric_id: str, area_id: str) -> query.MainProvider | None:
    """The main provider of the area's blend on its own, with its rank (``Reader.main_provider``)."""
    return _main_provider(version(), metric_id, area_id, dt.date.today())


@st.cache_resource(show_spinner=False, max_entries=4)
def _source_kinds(token: str) -> tuple[frozenset[int], frozenset[int]]:
    """The demo sources' ids and the locally supplied ones', once per data version (every figure
    on a page asks; a copy of the sources table per figure cost a tenth of the brief's time)."""
    frame = reader().sources()
    if not len(frame):
        return frozenset(), frozenset()
    local = catalogue().sources["local_return"].publisher
    demo = frozenset(frame.loc[frame["is_demo"].astype(bool), "id"].astype(int))
    return demo, frozenset(frame.loc[frame["publisher"] == local, "id"].astype(int))


def demo_source_ids() -> frozenset[int]:
    """Ids of the sources loaded as demonstration data."""
    return _source_kinds(version())[0]


def local_source_ids() -> frozenset[int]:
    """Files supplied locally with the generic template (not official statistics)."""
    return _source_kinds(version())[1]


def _any_of(wanted: set[int], source_ids) -> bool:
    if not wanted:
        return False
    for item in source_ids:
        ids = item if isinstance(item, (tuple, list, set, frozenset)) else (item,)
        if any(int(i) in wanted for i in ids if pd.notna(i)):
            return True
    return False


def shows_demo(source_ids) -> bool:
    """True when any of ``source_ids`` (an iterable of ints or of tuples of ints) is a demo source."""
    return _any_of(demo_source_ids(), source_ids)


def shows_local(source_ids) -> bool:
    """True when any of ``source_ids`` is a file supplied locally (``local_source_ids``)."""
    return _any_of(local_source_ids(), source_ids)


@_kept(8)
def _coverage(token: str) -> pd.DataFrame:
    return reader().coverage()


def coverage() -> pd.DataFrame:
    """Per metric: first and latest period and how many organisations (aggregated in SQL)."""
    return _coverage(version())


@_kept(8)
def _reconciliation(token: str) -> pd.DataFrame:
    return reader().reconciliation()


def reconciliation(metric_id: str | None = None) -> pd.DataFrame:
    """Figures reported to committee beside the read layer's figure (``Reader.reconciliation``)."""
    frame = _reconciliation(version())
    if metric_id is None:
        return frame
    # One metric's rows, picked once per data version: comparing every row's metric on each run was
    # a twentieth of Indicator detail's server time.
    return per_version(("reconciliation", metric_id), lambda: frame[frame["metric_id"] == metric_id])


@st.cache_resource(show_spinner="Checking the file...", max_entries=4)
def _prepared_upload(token: str, digest: str, file_name: str, _content: bytes):
    return prepare_upload(file_name, _content, engine(), base_catalogue())


def prepared_upload(file_name: str, content: bytes):
    """The validation of an uploaded file, kept across reruns until the data changes."""
    return _prepared_upload(version(), sha256_hex(content), file_name, content)


@st.cache_data(show_spinner=False, max_entries=16)
def _fetch_status(token: str, fetch_token: str, meeting: dt.date, today: dt.date) -> pd.DataFrame:
    return reader().publication_status(meeting, today)


#: The fetch log's version, read at most every ``VERSION_SECONDS`` like the data version: asking the
#: database on every run was a tenth of the Data page's server time under many readers.
_FETCH_VERSIONS = _Kept(8, VERSION_SECONDS)


def _fetch_version() -> str:
    return _FETCH_VERSIONS.get(version(), lambda: reader().fetch_log_version())


def fetch_status(meeting: dt.date) -> pd.DataFrame:
    """Per fetched publication: last checked, newest period held, next release, arrivals since ``meeting``."""
    return _fetch_status(version(), _fetch_version(), meeting, dt.date.today())


def fetch_status_shown(meeting: dt.date) -> pd.DataFrame:
    """:func:`fetch_status` in words (``ui.tables.fetch_status_table``), once per data and fetch-log
    version: shared by every session, read-only."""
    return per_version(("fetch status", _fetch_version(), meeting), lambda: fetch_status_table(fetch_status(meeting)))
