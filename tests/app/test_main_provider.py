"""Issue #20 on the published snapshot: the A&E card says its verdict in one sentence, and University
Hospitals of Leicester's own figure, target verdict and rank stand beside the LLR blend, on the
brief (its published default), the topic page and Indicator detail.

UHL's figure and rank are worked out here from the store (its own published row, and the type 1
trusts reporting the same month), and its rank is checked against the one Compare shows.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from metrics import store
from tests.app.conftest import app_runner, brief_cards, html_text, shown

NAME = "University Hospitals of Leicester (emergency department and eye casualty)"


@pytest.fixture
def corpus_app(monkeypatch, corpus_db_url):
    return app_runner(monkeypatch, corpus_db_url)


@pytest.fixture(scope="module")
def uhl(corpus_db_url, catalogue):
    """UHL's own A&E 4-hour figure in the newest month of the LLR total, and its place among the
    trusts with a type 1 department reporting that month (1 = highest share within 4 hours)."""
    engine = store.make_engine(corpus_db_url)
    obs = store.read_observations(engine, metric_ids=["ae_4hr_all", "ae_4hr_type1"])
    orgs = store.read_organisations(engine).set_index("code")["kind"]
    engine.dispose()
    obs = obs[(obs["period_type"] == "month") & obs["value"].notna()]
    llr = obs[(obs["metric_id"] == "ae_4hr_all") & obs["org_code"].isin(catalogue.members("ae_4hr_all", "llr"))]
    month = llr["period_start"].max()
    now = obs[obs["period_start"] == month]
    type1 = set(now.loc[now["metric_id"] == "ae_4hr_type1", "org_code"])
    pool = now[(now["metric_id"] == "ae_4hr_all") & now["org_code"].isin(type1)]
    pool = pool[pool["org_code"].map(orgs) == "provider"].set_index("org_code")
    own = pool.loc["RWE"]
    return {
        "month": f"{month:%B %Y}",
        "value": f"{own['value']:.1f}%",
        "numbers": f"{own['numerator']:,.0f} of {own['denominator']:,.0f}",
        "gap": f"{78 - own['value']:.1f}",
        "rank": int((pool["value"] > own["value"]).sum()) + 1,
        "peers": len(pool),
    }


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _card(at, metric_id: str) -> dict:
    """The brief card of ``metric_id`` (``tests.app.conftest.brief_cards``)."""
    found = [c for c in brief_cards(at) if c["metric_id"] == metric_id]
    assert len(found) == 1, f"one card for {metric_id}"
    return found[0]


def _paragraphs(fragment: str) -> list[str]:
    """The card's paragraphs and badges as a reader sees them."""
    return [html_text(p) for p in re.findall(r"<(?:p|span)[^>]*>(.*?)</(?:p|span)>", fragment, re.S)]


def _verdicts(texts) -> list[str]:
    return [t for t in texts if t.startswith("The latest figure, ")]


def _main_paragraph(texts) -> str:
    found = [t.replace("**", "") for t in texts if t.replace("**", "").startswith(f"{NAME} on its own:")]
    assert len(found) == 1, texts
    return found[0]


def test_the_a_and_e_card_says_one_verdict_and_uhl_beside_the_blend(corpus_app, uhl):
    at = corpus_app()  # the published default: LLR, the default meeting
    card = _card(at, "ae_4hr_all")
    texts = _paragraphs(card["html"])
    verdicts = _verdicts(texts)
    assert len(verdicts) == 1, verdicts
    badges = " ".join(texts)
    # the badges say "Target met" and "Consistently misses target"; the one sentence says both
    assert "Target met" in badges and "Consistently misses target" in badges
    assert "met the 78% target" in verdicts[0] and "will usually be missed" in verdicts[0]
    assert " but " in verdicts[0]
    main = _main_paragraph(texts)
    assert f"{uhl['value']} in {uhl['month']} ({uhl['numbers']} attendances within 4 hours)" in main
    assert f"Missed the 78% target by {uhl['gap']} percentage points." in main
    assert (
        f"Ranked {_ordinal(uhl['rank'])} of {uhl['peers']} NHS trusts with a major (type 1) emergency department"
        in main
    )
    # the grey "Made up of" line is still there, under the main provider's own paragraph
    assert any(t.startswith(f"Made up of: {NAME}") for t in texts)
    assert '<p class="llr-main"><strong>' in card["html"], "a paragraph of its own, not the grey caption"


def test_the_rank_on_the_card_is_the_rank_compare_shows(corpus_app, uhl):
    at = corpus_app("pages/compare.py", metric="ae_4hr_all")
    ranks = next(d.value for d in at.dataframe if {"Rank", "Organisation"} <= set(d.value.columns))
    row = ranks[ranks["Organisation"] == "University Hospitals of Leicester NHS Trust"].iloc[0]
    assert (int(row["Rank"]), int(row["Out of"])) == (uhl["rank"], uhl["peers"])
    assert row["Ranked among"] == "NHS trusts with a major (type 1) emergency department"


def test_a_part_with_no_twelve_hour_waits_is_not_listed(corpus_app):
    card = _card(corpus_app(), "ae_12hr_dta")
    made_up = [t for t in _paragraphs(card["html"]) if t.startswith("Made up of:")]
    assert made_up and not any("DHU urgent treatment centres: 0" in c for c in made_up)


@pytest.mark.parametrize(
    ("page", "query"),
    [("pages/urgent_care.py", {"metric": "ae_4hr_all"}), ("pages/indicator.py", {"metric": "ae_4hr_all"})],
)
def test_topic_page_and_indicator_detail_show_the_verdict_and_uhl(corpus_app, uhl, page, query):
    at = corpus_app(page, **query)
    texts = [shown(m.value) for m in at.markdown]
    verdicts = _verdicts(texts)
    assert len(verdicts) == 1, verdicts
    assert "met the 78% target" in verdicts[0] and "will usually be missed" in verdicts[0]
    main = _main_paragraph(texts)
    assert f"Missed the 78% target by {uhl['gap']} percentage points." in main
    assert f"Ranked {_ordinal(uhl['rank'])} of {uhl['peers']} " in main


def test_the_verdict_on_the_card_is_the_one_in_the_pack(corpus_db_url, catalogue, uhl):
    from metrics import pack

    engine = store.make_engine(corpus_db_url)
    built = pack.read_pack(engine, catalogue, "llr", pd.Timestamp("2026-09-01").date(), ["urgent_care"])
    engine.dispose()
    html = pack.pack_html(built)
    article = html[html.index('id="indicator-ae_4hr_all"') :]
    article = article[: article.index("</article>")]
    assert '<p class="llr-verdict">The latest figure, ' in article
    assert article.count("The latest figure, ") == 1
    assert f"Ranked {_ordinal(uhl['rank'])} of {uhl['peers']} NHS trusts" in article
    assert "DHU urgent treatment centres: 0" not in html
