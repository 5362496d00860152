"""Every page on the published snapshot (``data/published/``: the whole shared public corpus of real
NHS England / NHS Digital files, Open Government Licence, and the figures reported to committee):
renders, shows real figures without the demo banner. Runs without ``../shared``."""

from __future__ import annotations

import pytest

from loaders.snapshot import PUBLISHED_DIR, restore_snapshot
from metrics import store
from tests.app.conftest import PAGES, app_runner


@pytest.fixture(scope="module")
def corpus_db_url(tmp_path_factory, catalogue):
    url = f"sqlite:///{tmp_path_factory.mktemp('corpus') / 'corpus.sqlite'}"
    engine = store.make_engine(url)
    restore_snapshot(engine, PUBLISHED_DIR, catalogue)
    engine.dispose()
    return url


@pytest.fixture
def corpus_app(monkeypatch, corpus_db_url):
    """The app on the public-corpus database (see ``app_runner``)."""
    return app_runner(monkeypatch, corpus_db_url)


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_the_public_corpus_without_the_demo_banner(corpus_app, page):
    at = corpus_app(page)
    assert at.title
    assert not any("Demonstration data" in w.value for w in at.warning)


def test_brief_shows_the_real_a_and_e_figure_for_llr(corpus_app):
    at = corpus_app(meeting="2025-12-01")
    labels = [m.label for m in at.metric]
    # The newest A&E month in the corpus is March 2026 (alternative vintage folder).
    assert "A&E 4-hour performance (all types) (March 2026)" in labels


def test_compare_ranks_uhl_among_english_providers(corpus_app):
    at = corpus_app("pages/compare.py", metric="ae_4hr_type1")
    ranks = [d.value for d in at.dataframe if "Rank" in d.value.columns]
    assert ranks, "a ranking table is shown"
    uhl = ranks[0][ranks[0]["Organisation"] == "University Hospitals of Leicester NHS Trust"]
    assert len(uhl) == 1
    assert uhl["Out of"].iloc[0] > 100  # every English type 1 provider in the month
    assert uhl["Quartile"].iloc[0] in {"best quarter", "second quarter", "third quarter", "worst quarter"}


def test_rutland_brief_shows_council_measures(corpus_app):
    at = corpus_app(area="Rutland")
    names = " ".join(m.label for m in at.metric)
    assert "Delayed transfer of care days" in names
    assert "Still at home 91 days after reablement" in names
