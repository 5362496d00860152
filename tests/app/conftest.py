"""AppTest fixtures: the app runs against a throwaway database named by DATABASE_URL."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from loaders.demo import build_demo_database
from loaders.snapshot import PUBLISHED_DIR, restore_snapshot
from metrics import store
from metrics.catalogue import PROJECT_ROOT

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
    """A database of the whole public corpus: the published snapshot (data/published, made from the
    shared public files by ``python -m loaders snapshot``), restored once for the session."""
    url = f"sqlite:///{tmp_path_factory.mktemp('corpus') / 'corpus.sqlite'}"
    engine = store.make_engine(url)
    restore_snapshot(engine, PUBLISHED_DIR, catalogue)
    engine.dispose()
    return url


def app_runner(monkeypatch, database_url: str | None):
    """A factory: ``run(page=None, **query)`` runs the app on ``database_url`` (None: the default
    database; optionally on a page, with URL parameters) and fails the test on any exception the
    page shows."""
    if database_url:
        monkeypatch.setenv("DATABASE_URL", database_url)
    else:
        monkeypatch.delenv("DATABASE_URL", raising=False)

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


def shown(markdown: str) -> str:
    """What a reader sees of Markdown written by ``ui.safe.md``: escapes undone, zero-width spaces gone."""
    from ui import safe

    return re.sub(r"\\(.)", r"\1", markdown).replace(safe.ZERO_WIDTH_SPACE, "")


def html_text(fragment: str) -> str:
    """What a reader sees of an HTML fragment: tags gone, entities undone, spaces collapsed."""
    import html

    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def brief_cards(at) -> list[dict]:
    """Each Meeting brief card (``metrics.card_html.screen_card_html``) as a reader sees it, in page order:
    ``metric_id``, ``label`` (``name (period)``), ``text``, ``source`` (its source line), the change since the
    meeting with its ``arrow`` and ``direction``, the ``questions`` and ``actions`` under it, and the raw ``html``."""
    import html

    out = []
    for element in at.get("html"):
        for body in re.findall(r'<section class="llr-brief-card".*?</section>', element.value, flags=re.S):
            card = re.search(r'<div class="llr-card" data-metric="([^"]*)" data-label="([^"]*)"', body)
            source = re.search(r'<p class="llr-source">(.*?)</p>', body)
            change = re.search(
                r'<p class="llr-change [^"]*" data-arrow="([^"]*)" data-direction="([^"]*)">(.*?)</p>', body
            )
            asked = re.search(r'<div class="llr-asked llr-questions">(.*?)</div>', body)
            actions = re.search(r'<div class="llr-asked llr-actions">(.*?)</div>', body)
            out.append(
                {
                    "metric_id": html.unescape(card.group(1)),
                    "label": html.unescape(card.group(2)),
                    "text": html_text(body),
                    "source": html_text(source.group(1)) if source else "",
                    "change": html_text(change.group(3)) if change else "",
                    "arrow": change.group(1) if change else "",
                    "direction": change.group(2) if change else "",
                    "questions": html_text(asked.group(1)) if asked else "",
                    "actions": html_text(actions.group(1)) if actions else "",
                    "html": body,
                }
            )
    return out
