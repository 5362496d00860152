"""One data-currency verdict, from the catalogue's publications (metrics/currency.py).

Expected dates are read off a calendar by hand, not computed with the module's own helpers.
"""

from __future__ import annotations

import datetime as dt

import pytest

from metrics.catalogue import parse_catalogue
from metrics.currency import Currency, currency_words, next_release, nth_weekday, periods_not_held, series_currency

DEC_2026 = dt.date(2026, 12, 3)


class TestCalendar:
    def test_second_thursday(self):
        assert nth_weekday(2026, 3, "thursday", 2) == dt.date(2026, 3, 12)
        assert nth_weekday(2026, 5, "thursday", 2) == dt.date(2026, 5, 14)

    def test_no_fifth_monday_in_february(self):
        with pytest.raises(ValueError, match="has no 5th monday"):
            nth_weekday(2026, 2, "monday", 5)

    def test_next_release_skips_months_off_the_schedule(self, catalogue):
        kh03 = catalogue.publication_by_id["kh03_overnight"].schedule  # third Thursday of Feb/May/Aug/Nov
        assert next_release(kh03, dt.date(2022, 12, 1)) == dt.date(2023, 2, 16)
        assert next_release(kh03, dt.date(2023, 2, 16)) == dt.date(2023, 2, 16)


class TestStates:
    def test_ae_held_to_march_2026_is_overdue_not_discontinued(self, catalogue):
        c = series_currency(catalogue, "ae_4hr_all", "2026-03-01", DEC_2026)
        assert c.state == "overdue"
        assert c.next_period_label == "April 2026"
        assert c.next_expected == dt.date(2026, 5, 14)  # second Thursday of May 2026
        assert c.text == (
            "No figures held after March 2026; NHS England still publishes this collection; the April 2026 "
            "figure was due about 14 May 2026 — load or fetch the newer files."
        )

    def test_ae_current_before_the_next_release(self, catalogue):
        c = series_currency(catalogue, "ae_4hr_all", "2026-03-01", dt.date(2026, 4, 20))
        assert c.state == "current"
        assert c.published_about == dt.date(2026, 4, 9)  # second Thursday of April 2026
        assert c.text == (
            "Latest figure: March 2026 (published about 9 April 2026). Next expected about 14 May 2026 (April 2026)."
        )

    def test_grace_of_two_weeks_after_the_due_date(self, catalogue):
        assert series_currency(catalogue, "ae_4hr_all", "2026-03-01", dt.date(2026, 5, 28)).state == "current"
        assert series_currency(catalogue, "ae_4hr_all", "2026-03-01", dt.date(2026, 5, 29)).state == "overdue"

    def test_kh03_2022_q2_is_overdue_with_the_q3_due_date(self, catalogue):
        c = series_currency(catalogue, "beds_ga_occupancy", "2022-07-01", DEC_2026)
        assert c.state == "overdue"
        assert c.next_period_label == "2022/23 Q3 (Oct-Dec 2022)"
        assert c.next_expected == dt.date(2023, 2, 16)  # third Thursday of February 2023

    @pytest.mark.parametrize("metric_id", ["nctr_patients", "nctr_patients_community", "ascof_2a1"])
    def test_running_collections_are_never_discontinued(self, catalogue, metric_id):
        c = series_currency(catalogue, metric_id, "2021-04-01", DEC_2026)
        assert c.state == "overdue"
        assert "still publishes this collection" in c.text

    def test_community_sitrep_follows_its_own_publication(self, catalogue):
        c = series_currency(catalogue, "nctr_patients_community", "2024-03-01", DEC_2026)
        assert c.publication == catalogue.publication_by_id["discharge_community"].name

    def test_delayed_transfers_of_care_are_discontinued_with_a_successor(self, catalogue):
        c = series_currency(catalogue, "dtoc_days", "2019-12-01", DEC_2026)
        assert c.state == "discontinued"
        assert c.text.startswith("This collection stopped in February 2020; its successor is the Discharge Delays")
        assert c.text.endswith("The latest figure held is for December 2019.")
        assert c.next_expected is None

    def test_committee_figures_have_no_calendar(self, catalogue):
        c = series_currency(catalogue, "acute_beds", "2019-04-01", DEC_2026)
        assert c.state == "unscheduled"
        assert "no published release calendar" in c.text

    def test_nothing_held(self, catalogue):
        assert series_currency(catalogue, "ae_4hr_all", None, DEC_2026).text == "No figures held."

    def test_badges_are_words(self):
        assert Currency("overdue").badge == "Newer figures not held"
        assert Currency("discontinued").badge == "Discontinued collection"
        assert currency_words(Currency("no_data")) == "No figures held."


class TestCatalogueRules:
    def test_a_running_publication_needs_its_fetch_rules(self, catalogue):
        from pathlib import Path

        text = Path("config.yaml").read_text()
        broken = text.replace("    formats: [csv]\n", "", 1)
        with pytest.raises(ValueError, match="publication 'ae_monthly': field 'formats': missing"):
            parse_catalogue(broken)

    def test_discontinued_publications_are_not_fetched(self, catalogue):
        assert "dtoc" in catalogue.publication_by_id
        assert "dtoc" not in {p.id for p in catalogue.running_publications}


class TestPeriodsNotHeld:
    def test_ae_months_due_but_not_loaded(self, catalogue):
        # October 2026 was due on 12 November (second Thursday) and is late after 26 November;
        # November 2026 is not due until 10 December.
        months = periods_not_held(catalogue, "ae_4hr_all", "2026-03-01", DEC_2026)
        assert months == ["April 2026", "May 2026", "June 2026", "July 2026", "August 2026", "September 2026",
                          "October 2026"]  # fmt: skip
        assert periods_not_held(catalogue, "ae_4hr_all", "2026-03-01", dt.date(2026, 11, 26))[-1] == "September 2026"

    def test_nothing_owed_by_a_current_or_ended_collection(self, catalogue):
        assert periods_not_held(catalogue, "ae_4hr_all", "2026-10-01", DEC_2026) == []
        assert periods_not_held(catalogue, "dtoc_days", "2019-12-01", DEC_2026) == []
