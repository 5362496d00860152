"""The Targets page on the published statistics: targets in force now by default, each row's period,
currency and the dates its target applied, standards with their units, and an expectation over years
judged as one (#20)."""

from __future__ import annotations

import pytest

from tests.app.conftest import app_runner

pytestmark = pytest.mark.usefixtures("corpus_db_url")


@pytest.fixture
def corpus_app(monkeypatch, corpus_db_url):
    return app_runner(monkeypatch, corpus_db_url)


def _table(at):
    return at.dataframe[0].value


def test_by_default_every_row_has_a_target_in_force_now_and_says_how_old_its_figure_is(corpus_app):
    table = _table(corpus_app("pages/targets.py"))
    assert len(table) > 5
    assert (table["Latest period"] != "").all() and (table["Currency"] != "").all()
    assert "none" not in set(table["Target in force now"]), "a target that has ended is not shown by default"
    with_target = table[table["Target"] != ""]
    assert (with_target["Target applies"] != "").all(), "each target says when it applied"
    ae = table[table["Indicator"] == "A&E 4-hour performance (all types)"].iloc[0]
    assert ae["Target in force now"].startswith("95% (standard, from November 2010)")
    assert ae["Target"].endswith("%")


def test_past_targets_and_committee_figures_on_request_with_the_expectation_over_years(corpus_app):
    at = corpus_app("pages/targets.py")
    at.toggle(key="past").set_value(True)
    at.toggle(key="everything").set_value(True).run()
    table = _table(at)
    assert "none" in set(table["Target in force now"]), "past targets are shown when asked for"
    phb = table[table["Indicator"] == "Personal health budgets in place"].iloc[0]
    assert phb["Target"].startswith("1,011 to 2,022, expected by December 2019 to December 2021")
    assert phb["Status"] == "… Not judged", "a December 2016 figure is never judged against a 3 to 5 year range"
    assert "no figure is held for December 2019 to December 2021" in phb["In words"]
    at.multiselect(key="status").set_value(["not_met"]).run()
    missed = _table(at)
    assert "Personal health budgets in place" not in set(missed["Indicator"])
    assert (missed["Status"] == "✘ Target not met").all()


def test_the_definition_states_a_standard_with_its_unit(corpus_app):
    at = corpus_app("pages/indicator.py", metric="ae_4hr_all")
    shown = "\n".join(m.value for m in at.markdown)
    assert "**Target (standard): 95%**, from November 2010." in shown
    assert "95** from" not in shown
