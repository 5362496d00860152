"""One verdict everywhere: for every metric and area, the SPC variation and assurance icons are
the same on the meeting brief, the topic pages and Indicator detail (whatever 'Show from' year
is chosen) and in the downloads, on the demo database and on the whole public corpus."""

from __future__ import annotations

import datetime as dt

import pytest

from metrics import calc, query, store, tables
from metrics.brief import meeting_brief
from tests.app.conftest import app_runner
from ui import badges, brief_view

MEETING = dt.date(2025, 12, 1)
TODAY = dt.date(2026, 11, 30)


@pytest.fixture(params=["demo", "corpus"])
def database(request):
    return request.getfixturevalue(f"{request.param}_db_url")


def _signal(ind: query.Indicator) -> str:
    """The figures table's words for the latest point (what a download of Indicator detail says)."""
    return tables.figures_table(ind)["Signal"].iloc[-1]


def test_icons_are_the_same_on_every_view_and_download(database, catalogue):
    engine = store.make_engine(database)
    obs = calc.add_derived_rates(store.read_observations(engine), catalogue)
    engine.dispose()
    by_metric = dict(tuple(obs.groupby("metric_id")))
    checked = 0
    for area in catalogue.areas:
        brief = meeting_brief(obs, catalogue, area.id, MEETING, today=TODAY)
        exported = brief_view.brief_export_table(brief)
        for i, row in enumerate(brief.itertuples()):
            ind = query.indicator(by_metric[row.metric_id], catalogue, row.metric_id, area.id, TODAY)
            assert (row.variation, row.assurance) == (ind.variation, ind.assurance), (area.id, row.metric_id)
            assert exported["Variation"].iloc[i] == badges.variation_words(ind.variation)
            assert exported["Assurance"].iloc[i] == badges.assurance_words(ind.assurance)
            for start_year in (2010, 2019, 2024):
                shown = tables.figures_table(ind, start_year)
                if len(shown):  # any window shows the latest point as the whole series does
                    assert shown["Signal"].iloc[-1] == _signal(ind)
                    assert shown.iloc[-1].fillna("").tolist() == tables.figures_table(ind).iloc[-1].fillna("").tolist()
            checked += 1
    assert checked > 20


def test_indicator_detail_from_2019_says_what_the_brief_says(database, monkeypatch, catalogue):
    run = app_runner(monkeypatch, database)
    brief = run("pages/meeting_brief.py", meeting=MEETING.isoformat(), view="Icons only")
    icons = brief.dataframe[0].value.set_index("Indicator")
    detail = run("pages/indicator.py", metric="ae_4hr_all", **{"from": "2019"})
    badges = "\n".join(m.value for m in detail.markdown)  # st.badge renders as :colour-badge[words]
    name = catalogue.metric("ae_4hr_all").name
    assert f"{icons.loc[name, 'Variation']}]" in badges
    if icons.loc[name, "Assurance"]:
        assert f"{icons.loc[name, 'Assurance']}]" in badges
