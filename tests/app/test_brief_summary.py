"""The meeting brief on the real publications: its summary, the order of its cards, the collapsed
"discontinued" section, the source line on every card and the icons-only view.

The expected figures are worked out here from the store through the read layer's series
(``metrics.query.indicator``), not from the brief or the summary module under test; data currency
is judged here by facts about the collections, not by ``metrics.currency``: delayed transfers of
care stopped in February 2020; every other NHS England and NHS Digital collection is still
published, and a series is overdue once the period after its latest has been over for two months.
"""

from __future__ import annotations

import base64
import datetime as dt

import pandas as pd
import pytest

from metrics import calc, query, store
from tests.app.conftest import app_runner, brief_cards

MEETING = dt.date(2025, 12, 1)
#: Sources with no release calendar: figures quoted from committee papers and local returns.
UNSCHEDULED = {"committee", "bcf", "home_first_local", "local_return", "demo"}
NEXT_PERIOD_ENDS = {
    "month": pd.DateOffset(months=2),
    "quarter": pd.DateOffset(months=6),
    "year": pd.DateOffset(years=2),
}


@pytest.fixture
def corpus_app(monkeypatch, corpus_db_url):
    return app_runner(monkeypatch, corpus_db_url)


def _expected(url: str, catalogue, area_id: str) -> dict:
    """What the brief should say, from the store: every indicator classified independently."""
    engine = store.make_engine(url)
    stored = store.read_observations(engine, org_codes=catalogue.area_org_codes(area_id))
    obs = calc.add_derived_rates(stored, catalogue)
    sources = store.read_sources(engine)
    engine.dispose()
    today = dt.date.today()
    meeting = pd.Timestamp(MEETING)
    inds = {}
    for m in catalogue.metrics:
        if m.topic == "population":
            continue
        ind = query.indicator(obs[obs["metric_id"] == m.id], catalogue, m.id, area_id, today)
        if not ind.empty:
            inds[m.id] = ind
    out = {"inds": inds, "sources": sources, "current": [], "gone": [], "new": [], "unchanged": []}
    out.update(concern=[], improvement=[], neither=[], changed=[], met=[], missed=[], overdue=[], not_held=[])
    for mid, ind in inds.items():
        last = ind.latest
        if ind.metric.source == "dtoc":
            out["gone"].append(mid)
            continue
        out["current"].append(mid)
        # the end of the period after the latest (start + two periods), plus two months' grace
        next_end = last["period_start"] + NEXT_PERIOD_ENDS[ind.metric.frequency]
        overdue = ind.metric.source not in UNSCHEDULED and next_end + pd.DateOffset(months=2) < pd.Timestamp(today)
        if overdue:
            out["overdue"].append(mid)
        published = ind.metric.source not in UNSCHEDULED
        if published and pd.notna(last["target"]) and ind.metric.improvement_direction != "neutral":
            better = last["value"] >= last["target"] if ind.metric.improvement_direction == "increase" else (
                last["value"] <= last["target"])  # fmt: skip
            out["met" if better else "missed"].append(mid)
        if last["period_start"] <= meeting:
            out["not_held" if overdue else "unchanged"].append(mid)
            continue
        out["new"].append(mid)
        after = ind.series[(ind.series["period_start"] > meeting) & (ind.series["special_cause"] != "")]
        kind = after["special_cause"].iloc[-1] if len(after) else ""
        out[kind or "changed"].append(mid)
    return out


def _card_ids(at, catalogue) -> list[str]:
    return [c["metric_id"] for c in brief_cards(at)]


def _summary(at) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("- Since the meeting on"))


def test_summary_counts_match_the_store(corpus_app, corpus_db_url, catalogue):
    exp = _expected(corpus_db_url, catalogue, "llr")
    at = corpus_app(meeting=MEETING.isoformat())
    text = _summary(at)
    assert at.subheader[0].value == "Since the meeting", "the summary comes before any card"
    n_new, n_current = len(exp["new"]), len(exp["current"])
    assert n_new == 5  # the five A&E indicators are the only ones published since
    assert f"Since the meeting on 1 December 2025, {n_new} of {n_current} indicators have new figures." in text
    moved = len(exp["concern"]) + len(exp["improvement"]) + len(exp["neither"])
    if moved:
        assert f"{moved} indicator{'s' if moved != 1 else ''} moved significantly" in text
    for kind, lead in (("concern", "Worse: "), ("improvement", "Better: "), ("neither", "Unusual, neither")):
        line = next((ln for ln in text.splitlines() if ln.startswith(f"- {lead}")), "")
        for mid in exp[kind]:
            assert f"[{catalogue.metric(mid).name}](#card-{mid})" in line.replace("\\", "")
        assert bool(line) == bool(exp[kind])
    n_target = len(exp["met"]) + len(exp["missed"])
    assert (
        f"Targets: {len(exp['met'])} met and {len(exp['missed'])} missed of {n_target} "
        f"published indicator{'s' if n_target != 1 else ''} with a target in force at its latest figure." in text
    )
    assert exp["overdue"], "no newer files than March 2026 are held, so the A&E figures are overdue"
    assert f"- Newer figures published but not held here ({len(exp['overdue'])}): " in text
    assert f"{len(exp['gone'])} indicators from discontinued collections" in text
    assert "no longer published" not in text.lower()


def test_cards_in_the_order_that_matters(corpus_app, corpus_db_url, catalogue):
    exp = _expected(corpus_db_url, catalogue, "llr")
    at = corpus_app(meeting=MEETING.isoformat())
    order = [m.id for m in catalogue.metrics]

    def in_catalogue_order(ids):
        return sorted(ids, key=order.index)

    expected = [
        *in_catalogue_order(exp["concern"]),
        *in_catalogue_order(exp["improvement"]),
        *in_catalogue_order(exp["changed"] + exp["neither"]),  # unusual, neither better nor worse: with the others
        *in_catalogue_order(exp["unchanged"]),
        *in_catalogue_order(exp["not_held"]),
        *in_catalogue_order(exp["gone"]),
    ]
    assert _card_ids(at, catalogue) == expected
    headers = [h.value for h in at.header]
    assert headers[0].startswith(("Concerns", "Improvements", "Other new figures"))


def test_delayed_transfers_of_care_sit_in_the_collapsed_section(corpus_app, catalogue):
    at = corpus_app(meeting=MEETING.isoformat())
    gone = [e for e in at.expander if e.label.startswith("Discontinued collections")]
    assert len(gone) == 1
    inside = _card_ids(gone[0], catalogue)
    dtoc = [m.id for m in catalogue.metrics if m.source == "dtoc"]
    assert "dtoc_days" in inside
    assert set(_card_ids(at, catalogue)) & set(dtoc) <= set(inside)
    assert not set(inside) & {"ae_4hr_all", "ae_attendances"}


def test_rutland_brief_no_longer_opens_with_delayed_transfers(corpus_app, catalogue):
    at = corpus_app(area="Rutland", meeting=MEETING.isoformat())
    first = _card_ids(at, catalogue)[0]
    assert catalogue.metric(first).source != "dtoc"
    gone = next(e for e in at.expander if e.label.startswith("Discontinued collections"))
    assert "dtoc_days" in _card_ids(gone, catalogue)


def test_every_card_names_its_source_publication_and_period(corpus_app, corpus_db_url, catalogue):
    exp = _expected(corpus_db_url, catalogue, "llr")
    at = corpus_app(meeting=MEETING.isoformat())
    cards = _card_ids(at, catalogue)
    # The card's HTML escapes every character from data; the reader sees it plain.
    lines = [c["source"] for c in brief_cards(at) if c["source"].startswith("Source: ")]
    assert len(lines) == len(cards) == len(exp["inds"])
    sources = exp["sources"].set_index("id")
    for mid, line in zip(cards, lines, strict=True):
        last = exp["inds"][mid].latest
        assert line.endswith(f", {last['period_label']}"), (mid, line)
        for sid in last["source_ids"]:
            assert f"{sources.loc[sid, 'publisher']}, {sources.loc[sid, 'publication']}" in line, (mid, line)
    ae = lines[cards.index("ae_4hr_all")]
    assert ae == "Source: NHS England, A&E Attendances and Emergency Admissions (monthly, provider level), March 2026"


def test_icons_view_shows_the_making_data_count_icons_with_words(corpus_app, catalogue):
    cards = _card_ids(corpus_app(meeting=MEETING.isoformat()), catalogue)
    at = corpus_app(meeting=MEETING.isoformat(), view="Icons only")
    assert not brief_cards(at), "no cards in the icons view"
    frame = at.dataframe[0].value
    names = {m.id: m.name for m in catalogue.metrics}
    assert list(frame["Indicator"]) == [names[mid] for mid in cards], "one line per indicator, in the cards' order"
    for uri, words in zip(frame["Variation icon"], frame["Variation"], strict=True):
        assert uri.startswith("data:image/svg+xml;base64,")
        svg = base64.b64decode(uri.split(",", 1)[1]).decode()
        assert f"<title>{words}</title>" in svg and f'aria-label="{words}"' in svg
    ae = frame[frame["Indicator"] == names["ae_4hr_all"]].iloc[0]
    assert ae["Assurance icon"].startswith("data:image/svg+xml;base64,")
    assert ae["Assurance"] == "Consistently misses target"
    assert set(frame["Group"]) >= {"Discontinued collections", "Newer figures published but not held here"}


def test_targets_page_counts_the_rows_the_summary_counts(corpus_app, corpus_db_url, catalogue):
    exp = _expected(corpus_db_url, catalogue, "llr")
    at = corpus_app("pages/targets.py", meeting=MEETING.isoformat())
    table = at.dataframe[0].value
    met = int(table["Status"].str.startswith("✔").sum())
    missed = int(table["Status"].str.startswith("✘").sum())
    assert (met, missed) == (len(exp["met"]), len(exp["missed"]))
    note = next(c.value for c in at.caption if c.value.startswith("The Meeting brief's summary counts"))
    assert f"counts {met} met and {missed} missed" in note
    assert not table["Currency"].isin(["Discontinued collection", "No release calendar"]).any()
