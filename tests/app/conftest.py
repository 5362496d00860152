"""AppTest fixtures: the app runs against a throwaway database named by DATABASE_URL."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from loaders.demo import build_demo_database
from loaders.ingest import ingest_paths
from metrics import store
from metrics.catalogue import PROJECT_ROOT
from tests.conftest import PUBLIC_DATA

APP = str(PROJECT_ROOT / "app.py")
PAGES = [
    "pages/meeting_brief.py",
    "pages/targets.py",
    "pages/urgent_care.py",
    "pages/beds.py",
    "pages/discharge.py",
    "pages/better_care_fund.py",
    "pages/home_first.py",
    "pages/indicator.py",
    "pages/compare.py",
    "pages/data.py",
]


@pytest.fixture(scope="session")
def demo_db_url(tmp_path_factory, catalogue):
    """A demo database built once for the session."""
    url = f"sqlite:///{tmp_path_factory.mktemp('appdb') / 'demo.sqlite'}"
    engine = store.make_engine(url)
    build_demo_database(engine, catalogue)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def corpus_db_url(tmp_path_factory, catalogue):
    """A database of the whole shared public corpus, built once for the session (skipped without it)."""
    if not PUBLIC_DATA.exists():
        pytest.skip(f"public data not available: {PUBLIC_DATA}")
    url = f"sqlite:///{tmp_path_factory.mktemp('corpus') / 'corpus.sqlite'}"
    engine = store.make_engine(url)
    summary = ingest_paths([PUBLIC_DATA], engine, catalogue)
    engine.dispose()
    assert not summary.failed, [o.error for o in summary.failed]
    return url


def app_runner(monkeypatch, database_url: str):
    """A factory: ``run(page=None, **query)`` runs the app on ``database_url`` (optionally on a page,
    with URL parameters) and fails the test on any exception the page shows."""
    monkeypatch.setenv("DATABASE_URL", database_url)

    def run(page: str | None = None, **query) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=120)
        for key, value in query.items():
            at.query_params[key] = value
        at.run()
        if page:
            at.switch_page(page).run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return run


@pytest.fixture
def app(monkeypatch, demo_db_url):
    """The app on the demo database (see ``app_runner``)."""
    return app_runner(monkeypatch, demo_db_url)
