"""Tests for metrics.query: the one read layer behind every page, the brief and the downloads."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from metrics import query, tables
from metrics.spc import limits

TODAY = dt.date(2026, 11, 30)


def obs_rows(metric_id, org, months, values, denominator=None, source_id=1, period_type="month"):
    out = []
    for period, value in zip(months, values, strict=True):
        den = float(denominator) if denominator else np.nan
        out.append(
            {
                "metric_id": metric_id,
                "org_code": org,
                "period_start": pd.Timestamp(period),
                "period_type": period_type,
                "numerator": value / 100 * den if denominator else np.nan,
                "denominator": den,
                "value": float(value),
                "source_id": source_id,
            }
        )
    return out


def wobble(n, base, amplitude=1.0, seed=0):
    rng = np.random.default_rng(seed)
    return list(np.round(base + rng.normal(0, amplitude, n), 1))


class TestMembership:
    def test_a_site_joining_the_total_starts_new_limits_with_the_reason(self, catalogue):
        months = pd.date_range("2021-04-01", periods=40, freq="MS")
        data = obs_rows("ae_attendances", "RWE", months, wobble(40, 20_000, 300))
        data += obs_rows("ae_attendances", "NNJ15", months[20:], wobble(20, 900, 30, seed=1))
        ind = query.indicator(pd.DataFrame(data), catalogue, "ae_attendances", "llr", TODAY)
        assert [(r.start, r.kind) for r in ind.rebases] == [(pd.Timestamp("2022-12-01"), "membership")]
        assert ind.rebases[0].reason == (
            "From December 2022: Oakham Urgent Treatment Centre (DHU) (NNJ15) joins the total"
        )
        assert ind.series["segment"].tolist() == [0] * 20 + [1] * 20
        # the joined site does not make the total "unusually high": each segment has its own mean
        assert ind.series["mean"].iloc[-1] == pytest.approx(ind.series["value"].iloc[20:].mean())
        assert ind.variation in ("common_cause", "neither_high", "neither_low")

    def test_a_renamed_site_is_not_a_membership_change(self, catalogue):
        months = pd.date_range("2021-04-01", periods=30, freq="MS")
        data = obs_rows("ae_attendances", "RWE", months, wobble(30, 20_000, 300))
        data += obs_rows("ae_attendances", "NJS05", months[:13], wobble(13, 3000, 50, seed=2))
        data += obs_rows("ae_attendances", "NNJ07", months[13:], wobble(17, 3000, 50, seed=3))
        ind = query.indicator(pd.DataFrame(data), catalogue, "ae_attendances", "llr", TODAY)
        assert ind.rebases == ()
        assert set(ind.series["members"]) == {("NNJ07", "RWE")}

    def test_a_month_missing_from_one_member_is_incomplete_not_a_new_membership(self, catalogue):
        months = pd.date_range("2021-04-01", periods=30, freq="MS")
        data = obs_rows("ae_attendances", "RWE", months, wobble(30, 20_000, 300))
        site = [m for i, m in enumerate(months) if i != 17]
        data += obs_rows("ae_attendances", "NNJ07", site, wobble(29, 3000, 50, seed=4))
        ind = query.indicator(pd.DataFrame(data), catalogue, "ae_attendances", "llr", TODAY)
        assert ind.rebases == ()
        row = ind.series.iloc[17]
        assert row["excluded"]
        assert row["note"] == (
            "Incomplete: Loughborough Urgent Treatment Centre (DHU) (NNJ07) did not report; "
            "left out of the process limits"
        )
        kept = [v for i, v in enumerate(ind.series["value"]) if i != 17]
        assert ind.series["mean"].iloc[0] == pytest.approx(np.mean(kept))

    def test_components_are_shown_beside_the_blend(self, catalogue):
        months = pd.date_range("2024-04-01", periods=3, freq="MS")
        data = obs_rows("ae_4hr_all", "RWE", months, [66.4, 66.0, 66.4], denominator=25_000)
        data += obs_rows("ae_4hr_all", "NNJ14", months, [99.0, 99.2, 99.4], denominator=15_000)
        ind = query.indicator(pd.DataFrame(data), catalogue, "ae_4hr_all", "llr", TODAY)
        assert ind.latest["value"] == pytest.approx(100 * (16_600 + 14_910) / 40_000)
        assert query.components_text(ind) == (
            "University Hospitals of Leicester (emergency department and eye casualty): 66.4% (16,600 of 25,000); "
            "DHU urgent treatment centres: 99.4% (14,910 of 15,000)"
        )


class TestMainProvider:
    """Issue #20: the blend hides the hospital; its main provider gets its own figure, verdict and rank."""

    @staticmethod
    def blend(catalogue):
        months = pd.date_range("2026-01-01", periods=3, freq="MS")
        data = obs_rows("ae_4hr_all", "RWE", months, [66.0, 65.0, 66.4], denominator=25_000)
        data += obs_rows("ae_4hr_all", "NNJ14", months, [99.0, 99.2, 99.4], denominator=15_000)
        return query.indicator(pd.DataFrame(data), catalogue, "ae_4hr_all", "llr", TODAY)

    def test_own_figure_target_verdict_and_gap_beside_the_blend(self, catalogue):
        ind = self.blend(catalogue)
        assert ind.latest["value"] > 78  # the blend meets the target
        main = query.main_provider(ind)
        assert main.name.startswith("University Hospitals of Leicester")
        assert (main.value_text, main.numerator, main.denominator) == ("66.4%", 16_600, 25_000)
        assert (main.target, main.status, main.period_label) == (78.0, "not_met", "March 2026")
        assert main.status_text == "Missed the 78% target by 11.6 percentage points"
        assert main.gap == pytest.approx(11.6)
        assert main.rank is None and main.rank_text == ""

    def test_rank_for_the_same_period_is_shown_in_words(self, catalogue):
        rank = {
            "org_code": "RWE",
            "period_start": pd.Timestamp("2026-03-01"),
            "rank": 103,
            "peers": 121,
            "pool": "NHS trusts with a major (type 1) emergency department",
            "quartile_words": "worst quarter",
        }
        main = query.main_provider(self.blend(catalogue), rank)
        assert main.rank_text == "103rd of 121 NHS trusts with a major (type 1) emergency department"
        assert main.text(catalogue.metric("ae_4hr_all")) == (
            "University Hospitals of Leicester (emergency department and eye casualty) on its own: 66.4% in "
            "March 2026 (16,600 of 25,000 attendances within 4 hours). Missed the 78% target by 11.6 percentage "
            "points. Ranked 103rd of 121 NHS trusts with a major (type 1) emergency department "
            "(1st is the best; worst quarter)."
        )

    def test_a_rank_for_another_period_is_not_shown(self, catalogue):
        rank = {
            "org_code": "RWE",
            "period_start": pd.Timestamp("2026-02-01"),
            "rank": 1,
            "peers": 121,
            "pool": "NHS trusts with a major (type 1) emergency department",
            "quartile_words": "best quarter",
        }
        main = query.main_provider(self.blend(catalogue), rank)
        assert main.rank is None and "Ranked" not in main.text(catalogue.metric("ae_4hr_all"))

    def test_a_rank_among_one_is_not_shown(self, catalogue):
        rank = {
            "org_code": "RWE",
            "period_start": pd.Timestamp("2026-03-01"),
            "rank": 1,
            "peers": 1,
            "pool": "NHS trusts with a major (type 1) emergency department",
            "quartile_words": "best quarter",
        }
        main = query.main_provider(self.blend(catalogue), rank)
        assert main.rank is None and "Ranked" not in main.text(catalogue.metric("ae_4hr_all"))

    def test_no_main_provider_outside_a_blend(self, catalogue):
        months = pd.date_range("2026-01-01", periods=3, freq="MS")
        data = obs_rows("ae_4hr_all", "E92000001", months, [75.0, 74.0, 76.0], denominator=2_000_000)
        ind = query.indicator(pd.DataFrame(data), catalogue, "ae_4hr_all", "england", TODAY)
        assert not ind.empty and query.main_provider(ind) is None

    def test_a_part_with_no_activity_is_not_made_up_of(self, catalogue):
        # Issue #20: "DHU urgent treatment centres: 0" -- the centres admit no one, so have no 12-hour waits.
        months = pd.date_range("2026-01-01", periods=3, freq="MS")
        data = obs_rows("ae_12hr_dta", "RWE", months, [600.0, 580.0, 592.0])
        data += obs_rows("ae_12hr_dta", "NNJ14", months, [0.0, 0.0, 0.0])
        ind = query.indicator(pd.DataFrame(data), catalogue, "ae_12hr_dta", "llr", TODAY)
        assert (
            query.components_text(ind)
            == "University Hospitals of Leicester (emergency department and eye casualty): 592"
        )

    def test_a_part_at_zero_with_activity_is_still_shown(self, catalogue):
        months = pd.date_range("2026-01-01", periods=3, freq="MS")
        data = obs_rows("ae_4hr_all", "RWE", months, [66.0, 65.0, 66.4], denominator=25_000)
        data += obs_rows("ae_4hr_all", "NNJ14", months, [0.0, 0.0, 0.0], denominator=100)
        ind = query.indicator(pd.DataFrame(data), catalogue, "ae_4hr_all", "llr", TODAY)
        assert query.components_text(ind).endswith("DHU urgent treatment centres: 0.0% (0 of 100)")

    @pytest.mark.parametrize(
        ("n", "words"),
        [
            (1, "1st"),
            (2, "2nd"),
            (3, "3rd"),
            (4, "4th"),
            (11, "11th"),
            (12, "12th"),
            (13, "13th"),
            (21, "21st"),
            (103, "103rd"),
            (111, "111th"),
        ],
    )
    def test_ordinal(self, n, words):
        assert query.ordinal(n) == words


class TestBaselineAndWindow:
    def test_limits_do_not_depend_on_the_window_shown(self, catalogue):
        months = pd.date_range("2016-04-01", periods=40, freq="MS")
        data = pd.DataFrame(obs_rows("ae_4hr_type1", "RWE", months, wobble(40, 70, 2), denominator=20_000))
        ind = query.indicator(data, catalogue, "ae_4hr_type1", "llr", TODAY)
        shown = ind.window(2018)
        assert shown["period_start"].min() == pd.Timestamp("2018-04-01")
        assert shown["upl"].iloc[0] == pytest.approx(ind.series["upl"].iloc[0])
        table = tables.figures_table(ind, 2018)
        assert table["Upper process limit"].iloc[0] == pytest.approx(round(ind.series["upl"].iloc[0], 2))

    def test_covid_system_change_rebases_urgent_care(self, catalogue):
        months = pd.date_range("2018-04-01", periods=48, freq="MS")
        data = pd.DataFrame(obs_rows("ae_4hr_type1", "RWE", months, wobble(48, 70, 2), denominator=20_000))
        ind = query.indicator(data, catalogue, "ae_4hr_type1", "llr", TODAY)
        assert [(r.start, r.kind) for r in ind.rebases] == [(pd.Timestamp("2020-03-01"), "system_change")]
        assert ind.rebases[0].reason == "COVID-19 pandemic: services reorganised (March 2020)"

    def test_a_gap_breaks_the_moving_range(self, catalogue):
        months = list(pd.date_range("2016-04-01", periods=20, freq="MS"))
        months += list(pd.date_range("2021-04-01", periods=20, freq="MS"))
        values = wobble(40, 70, 2)
        data = pd.DataFrame(obs_rows("ae_4hr_type1", "RWE", months, values, denominator=20_000))
        ind = query.indicator(data, catalogue, "ae_4hr_type1", "llr", TODAY)
        assert ind.series["follows_gap"].tolist() == [False] * 20 + [True] + [False] * 19
        # 2016-17 and 2021-22 are separate segments (COVID), each with its own limits
        assert ind.series["upl"].iloc[0] == pytest.approx(limits(values[:20]).upl)

    def test_neutral_metric_gets_neutral_icons_never_improvement(self, catalogue):
        months = pd.date_range("2022-04-01", periods=20, freq="MS")
        values = [20_000.0] * 6 + [20_500.0, 19_800.0] * 6 + [30_000.0, 31_000.0]
        data = pd.DataFrame(obs_rows("ae_attendances", "RWE", months, values))
        ind = query.indicator(data, catalogue, "ae_attendances", "llr", TODAY)
        assert ind.variation == "neither_high"
        assert ind.assurance is None
        assert set(ind.series["special_cause"]) <= {"", "neither"}

    def test_short_latest_segment_is_a_run_chart_without_icons(self, catalogue):
        quarters = pd.date_range("2017-04-01", periods=20, freq="QS-APR")
        data = pd.DataFrame(
            obs_rows("beds_ga_occupancy", "RWE", quarters, wobble(20, 88, 2), denominator=1000, period_type="quarter")
        )
        ind = query.indicator(data, catalogue, "beds_ga_occupancy", "llr", TODAY)
        assert (ind.variation, ind.assurance) == (None, None)
        assert ind.spc.reason.startswith("Only 8 points since April 2020 (COVID-19 pandemic")

    def test_provenance_lists_every_source_behind_the_series(self, catalogue):
        months = pd.date_range("2024-04-01", periods=2, freq="MS")
        data = obs_rows("ae_4hr_all", "RWE", months[:1], [70.0], denominator=100, source_id=3)
        data += obs_rows("ae_4hr_all", "RWE", months[1:], [71.0], denominator=100, source_id=5)
        ind = query.indicator(pd.DataFrame(data), catalogue, "ae_4hr_all", "llr", TODAY)
        assert ind.source_ids == (3, 5)

    def test_no_figures_is_an_empty_indicator(self, catalogue):
        columns = ["metric_id", "org_code", "period_start", "period_type", "numerator", "denominator", "value"]
        ind = query.indicator(pd.DataFrame(columns=[*columns, "source_id"]), catalogue, "ae_4hr_all", "llr")
        assert ind.empty and ind.spc is None and ind.variation is None
        assert query.latest_status(ind) == ("", "no_data", "No figure")


class TestFiguresTable:
    def test_human_columns_periods_and_rounding(self, catalogue):
        months = pd.date_range("2016-04-01", periods=14, freq="MS")
        data = pd.DataFrame(obs_rows("ae_4hr_all", "RWE", months, [84.7478] * 13 + [70.12345], denominator=1000))
        table = tables.figures_table(query.indicator(data, catalogue, "ae_4hr_all", "llr", TODAY))
        assert list(table.columns)[:5] == ["Period", "Figure (%)", "Numerator", "Denominator", "Target"]
        assert table["Period"].iloc[0] == "April 2016"
        assert table["Figure (%)"].iloc[0] == 84.7
        assert table["Signal"].iloc[-1] == "Special cause: concern"
        assert table["Rule"].iloc[-1] == "beyond a process limit"
        assert not any(c in table.columns for c in ("lpl", "upl", "rules", "period_start"))

    def test_each_row_names_its_publication_and_file(self, catalogue):
        months = pd.date_range("2024-04-01", periods=2, freq="MS")
        data = obs_rows("ae_4hr_all", "RWE", months[:1], [70.0], denominator=100, source_id=3)
        data += obs_rows("ae_4hr_all", "NNJ07", months[:1], [99.0], denominator=100, source_id=4)
        data += obs_rows("ae_4hr_all", "RWE", months[1:], [71.0], denominator=100, source_id=5)
        sources = pd.DataFrame(
            {"id": [3, 4, 5], "publisher": ["NHS England"] * 3, "publication": ["A&E monthly"] * 3,
             "file_name": ["April-2024.csv", "April-2024.csv", "May-2024.csv"]}
        )  # fmt: skip
        table = tables.figures_table(
            query.indicator(pd.DataFrame(data), catalogue, "ae_4hr_all", "llr"), sources=sources
        )
        assert table["Source"].tolist() == [
            "NHS England, A&E monthly: April-2024.csv",
            "NHS England, A&E monthly: May-2024.csv",
        ]
