"""Ranks of one period on the published statistics (#20): a closed site's old figure is never ranked
among a newer period's figures ("Loughborough Urgent Care Centre (earlier code)", last reported April
2022, ranked among March 2026 figures)."""

from __future__ import annotations

import pandas as pd
import pytest

from metrics import store
from metrics.reader import Reader
from tests.app.conftest import app_runner

CLOSED = "NJS05"  # Loughborough Urgent Care Centre, reported as NNJ07 from May 2022


@pytest.fixture
def corpus_app(monkeypatch, corpus_db_url):
    return app_runner(monkeypatch, corpus_db_url)


def test_the_compare_page_ranks_one_period_without_the_closed_site(corpus_app):
    at = corpus_app("pages/compare.py", metric="ae_4hr_all")
    ranks = next(d.value for d in at.dataframe if "Ranked among" in d.value.columns)
    assert len(ranks) > 1
    assert ranks["Period"].nunique() == 1, "every rank is of the same period"
    assert ranks["Period"].iloc[0] == "March 2026"
    assert not ranks["Organisation"].str.contains("earlier code").any()


def test_every_rank_is_among_organisations_reporting_the_period_ranked(corpus_db_url, catalogue):
    engine = store.make_engine(corpus_db_url)
    try:
        reader = Reader(engine, catalogue)
        codes = [o.code for o in catalogue.organisations if o.place is not None and o.kind not in ("country", "system")]
        stored = store.read_observations(engine)
        checked = 0
        for metric in catalogue.metrics:
            if not metric.peer_groups:
                continue
            ranks = reader.rank_pool(metric.id, codes)
            if ranks.empty:
                continue
            assert ranks["period_start"].nunique() == 1, metric.id
            period = ranks["period_start"].iloc[0]
            own = stored[(stored["metric_id"] == metric.id) & (stored["period_type"] == metric.frequency)]
            assert period == own["period_start"].max(), f"{metric.id}: ranked in its newest period"
            reporting = set(own.loc[(own["period_start"] == period) & own["value"].notna(), "org_code"])
            assert set(ranks["org_code"]) <= reporting, f"{metric.id}: only organisations reporting {period:%B %Y}"
            assert CLOSED not in set(ranks["org_code"]), metric.id
            assert (ranks["peers"] <= len(reporting)).all()
            checked += 1
        assert checked >= 3
        closed = stored[(stored["org_code"] == CLOSED) & stored["value"].notna()]
        assert not closed.empty and closed["period_start"].max() == pd.Timestamp("2022-04-01"), "the site's last figure"
    finally:
        engine.dispose()
