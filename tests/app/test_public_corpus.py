"""Every page on the published snapshot (``data/published/``: the whole shared public corpus of real
NHS England / NHS Digital files, Open Government Licence, and the figures reported to committee):
renders, shows real figures without the demo banner. Runs without ``../shared``."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.app.conftest import PAGES, app_runner, brief_cards

MEETING_2025 = dt.date(2025, 12, 1)


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
    labels = [c["label"] for c in brief_cards(at)]
    # The newest A&E month in the corpus is March 2026 (alternative vintage folder).
    assert "A&E 4-hour performance (all types) (March 2026)" in labels


def test_compare_ranks_uhl_among_english_providers(corpus_app):
    at = corpus_app("pages/compare.py", metric="ae_4hr_type1")
    # The organisations' ranking (the funnel's ranked boards, shown since the snapshot carries the
    # reference data, name an ICB column instead).
    ranks = [d.value for d in at.dataframe if {"Rank", "Organisation"} <= set(d.value.columns)]
    assert ranks, "a ranking table is shown"
    uhl = ranks[0][ranks[0]["Organisation"] == "University Hospitals of Leicester NHS Trust"]
    assert len(uhl) == 1
    assert uhl["Out of"].iloc[0] > 100  # every English type 1 provider in the month
    assert uhl["Quartile"].iloc[0] in {"best quarter", "second quarter", "third quarter", "worst quarter"}


def test_rutland_brief_shows_council_measures(corpus_app):
    at = corpus_app(area="Rutland")
    names = " ".join(c["label"] for c in brief_cards(at))
    assert "Delayed transfer of care days" in names
    assert "Still at home 91 days after reablement" in names


def _corpus_obs(url, catalogue, metric_ids=None):
    from metrics import calc, store

    engine = store.make_engine(url)
    obs = calc.add_derived_rates(store.read_observations(engine, metric_ids=metric_ids), catalogue)
    engine.dispose()
    return obs


def test_llr_a_and_e_shows_uhl_beside_the_blend(corpus_app):
    at = corpus_app(meeting="2025-12-01")
    card = next(c for c in brief_cards(at) if c["metric_id"] == "ae_4hr_all")
    assert "Made up of: University Hospitals of Leicester" in card["text"]
    assert "DHU urgent treatment centres" in card["text"]


def test_llr_attendances_start_new_limits_at_each_membership_change(corpus_db_url, catalogue):
    from metrics import query

    ind = query.indicator(_corpus_obs(corpus_db_url, catalogue, ["ae_attendances"]), catalogue, "ae_attendances", "llr")
    changes = [r for r in ind.rebases if "the total" in r.reason]
    assert changes, "the urgent treatment centres joining the total is a change of membership"
    segments = ind.series.set_index("period_start")["segment"]
    for r in changes:
        before = segments[segments.index < r.start].iloc[-1]
        assert segments[r.start] == before + 1, r.reason
    # members in force are recorded for every period
    assert ind.series["members"].map(len).min() >= 1


def test_compare_pool_for_uhl_holds_no_urgent_treatment_centre(corpus_app, corpus_db_url, catalogue):
    from metrics import compare, store

    at = corpus_app("pages/compare.py", metric="ae_4hr_all")
    ranks = next(d.value for d in at.dataframe if "Ranked among" in d.value.columns)
    uhl = ranks[ranks["Organisation"] == "University Hospitals of Leicester NHS Trust"].iloc[0]
    assert uhl["Ranked among"] == catalogue.peer_groups["type1_departments"].name
    obs = _corpus_obs(corpus_db_url, catalogue, ["ae_4hr_all", "ae_4hr_type1"])
    engine = store.make_engine(corpus_db_url)
    orgs = store.read_organisations(engine)
    engine.dispose()
    latest = obs[(obs["metric_id"] == "ae_4hr_all") & (obs["org_code"] == "RWE")]["period_start"].max()
    pools = compare.peer_pools(obs, orgs, catalogue, catalogue.metric("ae_4hr_all"), latest)
    pool = pools[pools["pool"] == uhl["Ranked among"]]["org_code"]
    type1 = set(obs[(obs["metric_id"] == "ae_4hr_type1") & (obs["period_start"] == latest)]["org_code"])
    assert set(pool) <= type1 and "NNJ07" not in set(pool)
    assert int(uhl["Out of"]) == len(pool)


def test_a_rutland_figure_is_never_shown_as_llrs(corpus_db_url, catalogue):
    # The Rutland Health and Wellbeing Board paper quotes "People receiving reablement 47" and a
    # BCF pooled fund of £2,061,000 for Rutland: they belong to Rutland's brief, not LLR's.
    from metrics import store
    from metrics.reader import Reader

    engine = store.make_engine(corpus_db_url)
    reader = Reader(engine, catalogue)
    llr = reader.brief("llr", MEETING_2025)
    rutland = reader.brief("rutland", MEETING_2025)
    engine.dispose()
    quoted = {"reablement_cases", "bcf_pooled_fund"}
    assert not quoted & set(llr["metric_id"])
    assert quoted <= set(rutland["metric_id"])
    assert rutland.set_index("metric_id").loc["reablement_cases", "value_text"] == "47"


def test_beds_page_labels_compiled_figures_as_not_an_official_publication(corpus_app):
    # LLR's beds: NHS England's workbooks to 2022/23 Q2, then the third-party compilation to 2024/25 Q4.
    at = corpus_app("pages/beds.py", metric="beds_ga_occupancy")
    figures = next(d.value for d in at.dataframe if "Source" in d.value.columns)
    by_period = dict(zip(figures["Period"].astype(str), figures["Source"], strict=True))
    latest = next(v for p, v in by_period.items() if p.startswith("2024/25 Q4"))
    published = next(v for p, v in by_period.items() if p.startswith("2022/23 Q2"))
    assert "third party" in latest and "not an official publication" in latest
    assert "master-quarterly-trust.csv" in latest
    assert published.startswith("NHS England") and "third party" not in published


def test_indicator_detail_names_every_file_behind_its_figures(corpus_app, corpus_db_url, catalogue):
    from metrics import store
    from metrics.reader import Reader

    at = corpus_app("pages/indicator.py", metric="beds_ga_occupancy", area="LLR")
    (files,) = [e for e in at.expander if e.label.startswith("Source files behind these figures")]
    (table,) = [d.value for d in files.dataframe]
    engine = store.make_engine(corpus_db_url, read_only=True)
    series = Reader(engine, catalogue).indicator("beds_ga_occupancy", "llr").series
    ids = {int(i) for t in series["source_ids"] for i in t}
    named = set(store.read_all_sources(engine).set_index("id").loc[sorted(ids), "file_name"])
    assert files.label == f"Source files behind these figures ({len(ids)})"
    assert set(table["File"]) == named and len(table) == len(ids) > 1
    assert "NHS England" in set(table["Publisher"]) and table["Publisher"].str.len().gt(0).all()
