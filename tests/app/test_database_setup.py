"""Which database the app opens, and that opening it never writes.

A fresh machine gets the published figures (``data/published/``), built into the default SQLite
file under a temporary name; a database named by ``DATABASE_URL`` is only read: an empty one
gets a message saying how to load data, and no table is created, dropped or filled.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid

import pandas as pd
import pytest
from sqlalchemy import inspect, text

from loaders import default_db
from metrics import store
from metrics.catalogue import PROJECT_ROOT
from metrics.reader import Reader
from metrics.store import engine as engine_module
from tests.app.conftest import PAGES, app_runner, brief_cards
from tests.conftest import IN_CI, POSTGRES_URL
from ui import components, downloads, warm


def _text(at) -> str:
    parts = [e.value for e in at.markdown] + [e.value for e in at.title] + [e.value for e in at.info]
    return " ".join(parts + [c["text"] for c in brief_cards(at)])


@pytest.fixture
def default_path(tmp_path, monkeypatch):
    """The default SQLite file, moved to a temporary folder (the repository's file is not touched)."""
    path = tmp_path / "data" / "dashboard.sqlite"
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv(default_db.DEMO_ENV, raising=False)
    monkeypatch.setattr(default_db, "app_database_url", lambda catalogue: f"sqlite:///{path}")
    return path


class TestFreshMachine:
    def test_first_page_shows_real_published_figures_without_the_demo_banner(self, default_path, monkeypatch):
        at = app_runner(monkeypatch, None)(meeting="2025-12-01")
        assert default_path.exists()
        assert [p.name for p in default_path.parent.iterdir() if ".building-" in p.name] == []
        labels = [c["label"] for c in brief_cards(at)]
        assert "A&E 4-hour performance (all types) (March 2026)" in labels
        assert not any("Demonstration data" in w.value for w in at.warning)
        assert "Demonstration data" not in _text(at)

    def test_warming_at_start_builds_the_database_and_the_first_brief_is_not_made_again(
        self, default_path, monkeypatch
    ):
        took = warm.warm()  # what serve.py runs when the server starts
        assert default_path.exists()
        assert set(took) == {"database", "code", "catalogue", "brief", "topics"}

        def made_again(*args, **kwargs):
            raise AssertionError("the first reader's brief was made again after warming")

        monkeypatch.setattr(Reader, "brief", made_again)
        at = app_runner(monkeypatch, None)()
        labels = [c["label"] for c in brief_cards(at)]
        assert "A&E 4-hour performance (all types) (March 2026)" in labels

    def test_two_sessions_starting_at_once_build_once(self, default_path, catalogue):
        url = f"sqlite:///{default_path}"
        results = []
        threads = [
            threading.Thread(target=lambda: results.append(default_db.build_default_database(url, catalogue)))
            for _ in range(2)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results) == [False, True]
        engine = store.make_engine(url)
        try:
            assert len(store.read_sources(engine)) > 200
        finally:
            engine.dispose()

    def test_dashboard_demo_builds_the_demo_database_in_its_own_file(self, tmp_path, monkeypatch, catalogue):
        monkeypatch.delenv("DATABASE_URL", raising=False)
        monkeypatch.setenv(default_db.DEMO_ENV, "1")
        assert default_db.app_database_url(catalogue).endswith("/data/demo.sqlite")
        url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
        assert default_db.build_default_database(url, catalogue) is True
        engine = store.make_engine(url)
        try:
            sources = store.read_sources(engine)
        finally:
            engine.dispose()
        demo = sources[sources["is_demo"].astype(bool)]
        assert sorted(demo["file_name"]) == sorted(p.name for p in (PROJECT_ROOT / "data" / "demo").glob("demo_*.csv"))
        assert set(sources.loc[~sources["is_demo"].astype(bool), "file_name"]) == {
            "reported_llr_hosc_2020-03-18.csv",
            "reported_llr_jhsc_2019-01-21.csv",
            "reported_rutland_hwb_2017-01-31.csv",
        }

    def test_a_database_named_by_database_url_is_never_built(self, tmp_path, monkeypatch, catalogue):
        monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'mine.sqlite'}")
        assert default_db.build_default_database(f"sqlite:///{tmp_path / 'mine.sqlite'}", catalogue) is False
        assert not (tmp_path / "mine.sqlite").exists()


class TestEmptyDatabase:
    """Viewing pages on an empty database creates, drops and fills nothing."""

    def _views_every_page(self, run) -> None:
        for page in [None, *PAGES]:
            at = run(page)
            assert "No data loaded yet" in _text(at)
            assert "python -m loaders restore data/published --db URL" in _text(at)

    def test_empty_sqlite_file(self, tmp_path, monkeypatch):
        path = tmp_path / "empty.sqlite"
        path.touch()
        url = f"sqlite:///{path}"
        self._views_every_page(app_runner(monkeypatch, url))
        engine = store.make_engine(url)
        try:
            assert inspect(engine).get_table_names() == []
        finally:
            engine.dispose()

    def test_empty_postgresql_database(self, monkeypatch):
        schema = f"t_{uuid.uuid4().hex[:10]}"
        try:
            admin = store.make_engine(POSTGRES_URL)
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        except Exception as exc:  # noqa: BLE001 - any connection failure means no server here
            if IN_CI:
                pytest.fail(f"PostgreSQL must be reachable under CI ({POSTGRES_URL}): {exc}")
            pytest.skip(f"no PostgreSQL server reachable at {POSTGRES_URL}: {exc.__class__.__name__}")
        url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
        try:
            self._views_every_page(app_runner(monkeypatch, url))
            with admin.connect() as conn:
                tables = conn.execute(
                    text("SELECT table_name FROM information_schema.tables WHERE table_schema = :s"), {"s": schema}
                ).all()
            assert tables == []
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


class TestDemoLabelling:
    def test_every_brief_card_built_from_demo_data_is_labelled(self, app):
        at = app()
        cards = brief_cards(at)
        assert sum('<p class="llr-badge llr-demo">Demonstration data</p>' in c["html"] for c in cards) >= 5

    def test_exports_carry_a_demo_column_when_any_figure_is_demo(self, monkeypatch):
        monkeypatch.setattr(components.data, "shows_demo", lambda ids: any(i == 7 for t in ids for i in t))
        frame = pd.DataFrame({"Indicator": ["A&E", "Reported"]})
        about = {"Title": "x", "Demonstration data": downloads.DEMO_ABOUT}
        out = downloads.with_demo_column(frame, about, [(7, 8), (9,)])
        assert out["demo"].tolist() == ["yes", "no"]
        assert downloads.with_demo_column(out, about)["demo"].tolist() == ["yes", "no"]  # kept, not re-marked
        assert downloads.with_demo_column(frame, {"Title": "x"}, [(9,), (9,)]).columns.tolist() == ["Indicator"]


class TestUnreachableDatabase:
    def test_a_server_that_cannot_be_reached_gets_a_message_to_act_on_not_a_traceback(self, monkeypatch):
        run = app_runner(monkeypatch, "postgresql+psycopg://dashboard:secret-word@127.0.0.1:1/none")
        for page in [None, "pages/indicator.py"]:
            at = run(page)  # fails on any exception the page shows
            assert [t.value for t in at.title] == ["The database cannot be reached"]
            shown = " ".join(e.value for e in at.error)
            assert "postgresql+psycopg://dashboard:***@127.0.0.1:1/none" in shown
            assert "Connection refused" in shown and "DATABASE_URL" in shown
            assert "secret-word" not in shown
            assert not at.sidebar.title, "no sidebar filters over a store that cannot be read"

    def test_a_server_that_never_answers_is_given_up_on_not_waited_for(self, monkeypatch):
        # A port that accepts connections and then says nothing, as a host behind a firewall that
        # drops packets seems to: without a connect timeout the page waited minutes for the kernel.
        monkeypatch.setattr(engine_module, "PG_CONNECT_SECONDS", 2)
        with socket.socket() as silent:
            silent.bind(("127.0.0.1", 0))
            silent.listen(16)
            port = silent.getsockname()[1]
            run = app_runner(monkeypatch, f"postgresql+psycopg://dashboard@127.0.0.1:{port}/none")
            started = time.monotonic()
            at = run()
            waited = time.monotonic() - started
        assert [t.value for t in at.title] == ["The database cannot be reached"]
        shown = " ".join(e.value for e in at.error)
        assert "timeout" in shown.lower() and "DATABASE_URL" in shown, shown
        assert waited < 60, f"gave up after {waited:.0f} s"
