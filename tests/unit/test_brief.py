"""Tests for metrics.brief: the meeting brief and the batch SPC behind it."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from metrics.brief import BRIEF_COLUMNS, meeting_brief
from metrics.spc import xmr

TODAY = dt.date(2025, 11, 20)
# 24 months of A&E 4-hour performance hovering around 61%, ending at 62.4% in October 2025.
AE_MONTHS = pd.date_range("2023-11-01", "2025-10-01", freq="MS")
AE_VALUES = [60, 61, 60.5, 61.5, 60, 61, 60.2, 61.3, 60.4, 61.1, 60.8, 61, 60.1, 61.4, 60.6, 61.2, 60.9, 61,
             60.3, 61.2, 61.2, 61.0, 61.5, 62.4]  # fmt: skip


def rows(metric_id, org, months, values, denominator=10_000, source_id=7, with_counts=True):
    out = []
    for period, value in zip(months, values, strict=True):
        out.append(
            {
                "metric_id": metric_id,
                "org_code": org,
                "period_start": pd.Timestamp(period),
                "period_type": "month",
                "numerator": value / 100 * denominator if with_counts else np.nan,
                "denominator": float(denominator) if with_counts else np.nan,
                "value": float(value),
                "source_id": source_id,
            }
        )
    return out


@pytest.fixture
def obs():
    data = rows("ae_4hr_all", "RWE", AE_MONTHS, AE_VALUES)
    # Delayed days for the three councils, ending when the collection stopped (February 2020).
    dtoc_months = pd.date_range("2019-01-01", "2020-02-01", freq="MS")
    for org, base in (("E06000016", 1000), ("E10000018", 2000), ("E06000017", 100)):
        data += rows("dtoc_days", org, dtoc_months, [base] * len(dtoc_months), with_counts=False, source_id=3)
    # Ambulance Red 1 reported to committee for LLR: a single figure.
    data += rows("ambulance_red1", "LLR", ["2016-09-01"], [67.7], with_counts=False, source_id=9)
    return pd.DataFrame(data)


class TestMeetingBrief:
    def test_summary_sentence_a_councillor_can_read_aloud(self, obs, catalogue):
        brief = meeting_brief(obs, catalogue, "llr", dt.date(2025, 7, 15), today=TODAY)
        ae = brief.set_index("metric_id").loc["ae_4hr_all"]
        assert ae["verdict"] == (
            "The latest figure, 62.4% in October 2025, missed the 78% target by 15.6 percentage points; "
            "on past variation the target will usually be missed."
        )
        # the verdict, named, then the change since the meeting
        assert ae["summary"] == (
            "A&E 4-hour performance (all types): the latest figure, 62.4% in October 2025, missed the 78% target "
            "by 15.6 percentage points; on past variation the target will usually be missed. "
            "Up 1.2 points since the meeting in July 2025."
        )

    def test_columns_and_values_for_one_metric(self, obs, catalogue):
        brief = meeting_brief(obs, catalogue, "llr", dt.date(2025, 7, 15), today=TODAY)
        assert list(brief.columns) == ["area_id", *BRIEF_COLUMNS]
        ae = brief.set_index("metric_id").loc["ae_4hr_all"]
        assert ae["latest_period"] == pd.Timestamp("2025-10-01")
        assert ae["latest_label"] == "October 2025"
        assert ae["value_text"] == "62.4%"
        assert ae["numbers_text"] == "6,240 of 10,000 attendances within 4 hours"
        assert ae["meeting_period"] == pd.Timestamp("2025-07-01")
        assert ae["meeting_value_text"] == "61.2%"
        assert ae["change_text"] == "up 1.2 percentage points since the meeting (July 2025)"
        assert ae["direction"] == "better"
        assert (ae["signal"], ae["variation"]) == ("ordinary variation", "common_cause")
        assert ae["assurance"] == "fail"  # 78% is far above the upper process limit
        assert (ae["target"], ae["target_kind"], ae["standard"]) == (78, "interim", 95)
        assert ae["status"] == "not_met"
        assert ae["status_text"] == "Missed the 78% target by 15.6 percentage points"
        assert ae["sparkline"] == [float(v) for v in AE_VALUES]
        assert ae["source_ids"] == (7,)
        assert ae["n_points"] == 24
        assert ae["currency_text"].startswith("Latest figure: October 2025")

    def test_metrics_in_catalogue_order_and_areas_without_data_left_out(self, obs, catalogue):
        brief = meeting_brief(obs, catalogue, "llr", dt.date(2025, 7, 15), today=TODAY)
        assert brief["metric_id"].tolist() == ["ae_4hr_all", "ambulance_red1", "dtoc_days"]
        assert meeting_brief(obs, catalogue, "england", dt.date(2025, 7, 15), today=TODAY).empty

    def test_include_missing_says_not_published(self, obs, catalogue):
        brief = meeting_brief(
            obs, catalogue, "llr", dt.date(2025, 7, 15), metric_ids=["ae_4hr_all", "ucr_2hr"], today=TODAY,
            include_missing=True,
        )  # fmt: skip
        assert brief["metric_id"].tolist() == ["ae_4hr_all", "ucr_2hr"]
        missing = brief.iloc[1]
        assert missing["summary"] == "Urgent community response within 2 hours: not published for this area."
        assert missing["value_text"] == "–"

    def test_stale_collection_says_it_stopped(self, obs, catalogue):
        brief = meeting_brief(obs, catalogue, "llr", dt.date(2025, 7, 15), metric_ids=["dtoc_days"], today=TODAY)
        row = brief.iloc[0]
        assert row["value_text"] == "3,100 days"
        assert row["currency_state"] == "discontinued"
        assert row["currency_badge"] == "Discontinued collection"
        assert row["currency_text"].startswith("This collection stopped in February 2020; its successor is")
        assert row["change_text"] == "no new figure since the meeting (latest: February 2020)"
        assert row["signal"] == "ordinary variation"  # 14 identical months
        assert row["summary"] == (
            "Delayed transfer of care days: the latest figure, 3,100 days in February 2020, is within the ordinary "
            "variation of this series; there is no target. No new figure since the meeting in July 2025. "
            "This collection stopped in February 2020."
        )

    def test_reported_figure_with_too_few_points(self, obs, catalogue):
        brief = meeting_brief(obs, catalogue, "llr", dt.date(2016, 8, 1), metric_ids=["ambulance_red1"], today=TODAY)
        row = brief.iloc[0]
        assert (row["signal"], row["variation"], row["assurance"]) == ("too few points", None, None)
        assert row["change_text"] == "no figure at the time of the meeting"
        assert row["direction"] == "n/a"
        assert (row["target"], row["status"]) == (75, "not_met")
        assert row["summary"] == (
            "Ambulance Red 1 response within 8 minutes: the latest figure, 67.7% in September 2016, missed the 75% "
            "target by 7.3 percentage points; there are too few points yet to say whether the target will usually "
            "be met. No figure at the time of the meeting in August 2016."
        )

    @pytest.mark.parametrize(
        "metric_id, direction_of_improvement, earlier, later, expected_direction, expected_words",
        [
            ("ae_4hr_all", "increase", 70.0, 72.0, "better", "up 2.0 percentage points"),
            ("ae_4hr_all", "increase", 72.0, 70.0, "worse", "down 2.0 percentage points"),
            ("ae_12hr_dta", "decrease", 100.0, 80.0, "better", "down 20 (20.0%)"),
            ("ae_12hr_dta", "decrease", 80.0, 100.0, "worse", "up 20 (25.0%)"),
            ("ae_attendances", "neutral", 100.0, 120.0, "n/a", "up 20 (20.0%)"),
            ("ae_4hr_all", "increase", 70.04, 69.96, "same", "no change"),  # both shown as 70.0%
        ],
    )
    def test_change_direction_follows_improvement_direction(
        self, catalogue, metric_id, direction_of_improvement, earlier, later, expected_direction, expected_words
    ):
        assert catalogue.metric(metric_id).improvement_direction == direction_of_improvement
        data = pd.DataFrame(rows(metric_id, "RWE", ["2025-01-01", "2025-02-01"], [earlier, later]))
        brief = meeting_brief(data, catalogue, "llr", dt.date(2025, 1, 20), metric_ids=[metric_id], today=TODAY)
        row = brief.iloc[0]
        assert row["direction"] == expected_direction
        assert row["change_text"] == f"{expected_words} since the meeting (January 2025)"

    def test_area_rolls_up_members(self, catalogue):
        data = pd.DataFrame(
            rows("ae_4hr_all", "RWE", ["2025-01-01"], [70.0], denominator=10_000)
            + rows("ae_4hr_all", "NNJ07", ["2025-01-01"], [100.0], denominator=100, source_id=8)
        )
        row = meeting_brief(data, catalogue, "llr", dt.date(2025, 1, 20), today=TODAY).iloc[0]
        assert row["latest_value"] == pytest.approx(100 * 7100 / 10100)
        assert row["numbers_text"] == "7,100 of 10,100 attendances within 4 hours"
        assert row["source_ids"] == (7, 8)


class TestTargetsInTheBrief:
    def test_organisation_specific_targets_apply_only_to_that_organisation(self, catalogue):
        # LLR's 92.1% STF trajectory for March 2017 is not England's target.
        data = pd.DataFrame(
            rows("ae_4hr_all", "LLR", ["2017-03-01"], [80.0]) + rows("ae_4hr_all", "E92000001", ["2017-03-01"], [80.0])
        )
        llr = meeting_brief(data, catalogue, "llr", dt.date(2017, 1, 1), today=TODAY).iloc[0]
        england = meeting_brief(data, catalogue, "england", dt.date(2017, 1, 1), today=TODAY).iloc[0]
        assert (llr["target"], llr["target_kind"], llr["standard"]) == (92.1, "trajectory", 95)
        assert (england["target"], england["target_kind"]) == (95, "standard")

    def test_a_steady_rise_is_special_cause_improvement(self, catalogue):
        # The community provider is LLR's only member for reablement within 2 days.
        months = pd.date_range("2023-01-01", periods=20, freq="MS")
        data = pd.DataFrame(rows("reablement_2day", "RT5", months, np.linspace(70, 80, 20)))
        row = meeting_brief(data, catalogue, "llr", dt.date(2024, 1, 10), today=TODAY).iloc[0]
        assert (row["signal"], row["variation"]) == ("special cause improvement", "improvement_high")


def _xmr_icons(values, direction, target):
    result = xmr(values, pd.date_range("2000-01-01", periods=len(values), freq="MS"), direction, target)
    return result.variation, result.assurance


def _brief_icons(catalogue, values, target=None):
    """The brief's icons for a monthly series of reablement within 2 days (higher is better)."""
    months = pd.date_range("2000-01-01", periods=len(values), freq="MS")
    data = pd.DataFrame(rows("reablement_2day", "RT5", months, values))
    row = meeting_brief(data, catalogue, "llr", months[-1], today=TODAY).iloc[0]
    return row["variation"], row["assurance"]


class TestBriefIconsAreTheChartIcons:
    """The brief has no SPC of its own: its icons are those of ``spc.xmr`` on the same series."""

    @pytest.mark.parametrize(
        "values, expected",
        [
            ([10, 12, 11, 13, 12, 11, 10, 12, 13, 11, 12, 10, 11, 14, 12], "common_cause"),
            ([10, 12, 11, 13, 12, 11, 10, 12, 13, 11, 12, 10, 11, 14, 30], "improvement_high"),
            # a shift: the last six points below the mean
            ([12, 13, 12, 13, 12, 13, 12, 13, 11, 11, 11, 11, 11, 11], "concern_low"),
            # a tie breaks the trend
            ([10, 11, 10, 11, 10, 11, 10, 11, 12, 11.5, 11, 11, 10, 9.5], "common_cause"),
            ([5] * 13, "common_cause"),  # constant: limits equal the mean
            ([10, 12, 11, 13, 12], None),  # too few points
        ],
    )
    def test_variation_icon_of_the_latest_point(self, catalogue, values, expected):
        assert _brief_icons(catalogue, values)[0] == expected
        assert _xmr_icons(values, "increase", None)[0] == expected

    def test_agrees_with_xmr_on_random_series(self, catalogue):
        rng = np.random.default_rng(20251120)
        for i in range(40):
            n = int(rng.integers(8, 40))
            values = np.round([rng.normal(50, 5, n), rng.integers(0, 4, n).astype(float),
                               np.cumsum(rng.normal(0, 1, n)) + 50][i % 3], 1)  # fmt: skip
            assert _brief_icons(catalogue, list(values))[0] == _xmr_icons(values, "increase", None)[0], list(values)
