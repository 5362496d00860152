"""Suggested questions (metrics.questions): each rule fires when it should, stays silent when it
should not, and quotes the figures of hand-made series (worked out here, not taken from the rule)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from metrics import query
from metrics.catalogue import DEFAULT_CONFIG, CatalogueError, parse_catalogue
from metrics.questions import (
    area_questions,
    brief_questions,
    indicator_questions,
    is_large_difference,
    questions_frame,
)

TODAY = dt.date(2026, 3, 20)


def rows(metric_id, org, months, values, denominator=10_000, counts=True):
    return [
        {
            "metric_id": metric_id,
            "org_code": org,
            "period_start": pd.Timestamp(p),
            "period_type": "month",
            "numerator": v / 100 * denominator if counts else np.nan,
            "denominator": float(denominator) if counts else np.nan,
            "value": float(v),
            "source_id": 1,
        }
        for p, v in zip(months, values, strict=True)
    ]


def ae(values, first="2024-02-01", org="RWE", area="llr", catalogue=None, today=TODAY):
    months = pd.date_range(first, periods=len(values), freq="MS")
    obs = pd.DataFrame(rows("ae_4hr_all", org, months, values))
    return query.indicator(obs, catalogue, "ae_4hr_all", area, today)


def by_rule(questions, rule):
    return [q for q in questions if q.rule == rule]


def xmr_limits(values):
    """Mean and process limits of one segment, by the Making Data Count formula (mean +/- 2.66 mR-bar)."""
    v = np.asarray(values, dtype=float)
    mean, mr = v.mean(), np.abs(np.diff(v)).mean()
    return mean, mean - 2.66 * mr, mean + 2.66 * mr


STEADY_80 = [79.5, 80.5] * 12  # 24 months around 80%, March 2024 .. February 2026 after a leading point


class TestSpecialCauseConcern:
    values = [80.0, *STEADY_80[:-1], 71.2]  # Feb 2024 .. Feb 2026; February 2026 falls to 71.2%

    def test_fires_for_a_fall_after_the_meeting_and_quotes_the_lower_limit(self, catalogue):
        ind = ae(self.values, catalogue=catalogue)
        assert ind.series["period_label"].iloc[-1] == "February 2026"
        (q,) = by_rule(indicator_questions(ind, catalogue, dt.date(2025, 12, 10)), "special_cause_concern")
        _, lower, _ = xmr_limits(self.values)
        assert q.text == (
            "A&E 4-hour performance (all types) fell to 71.2% in February 2026, below its usual range: "
            "what changed, and what is being done?"
        )
        assert q.figures == f"71.2% in February 2026; lower process limit {lower:.1f}%"
        assert (q.metric_id, q.area_id, q.period, q.topic) == (
            "ae_4hr_all",
            "llr",
            "February 2026",
            "Urgent and emergency care",
        )

    def test_silent_when_the_fall_came_before_the_meeting(self, catalogue):
        ind = ae(self.values, catalogue=catalogue)
        assert not by_rule(indicator_questions(ind, catalogue, dt.date(2026, 2, 15)), "special_cause_concern")

    def test_silent_for_ordinary_variation_and_for_an_improvement(self, catalogue):
        steady = ae([80.0, *STEADY_80], catalogue=catalogue)
        better = ae([80.0, *STEADY_80[:-1], 88.0], catalogue=catalogue)
        for ind in (steady, better):
            assert not by_rule(indicator_questions(ind, catalogue, dt.date(2025, 12, 10)), "special_cause_concern")

    def test_a_shift_quotes_the_average(self, catalogue):
        # 18 months around 80%, then 7 months a little under it: a shift (6 in a row below the mean).
        values = [79.5, 80.5] * 9 + [79.2] * 7
        ind = ae(values, catalogue=catalogue)
        (q,) = by_rule(indicator_questions(ind, catalogue, dt.date(2025, 12, 10)), "special_cause_concern")
        mean, _, _ = xmr_limits(values)
        assert "fell to 79.2% in February 2026, in a run of figures below its average" in q.text
        assert q.figures == f"79.2% in February 2026; average {mean:.1f}%"


class TestTargets:
    def test_assurance_fail_quotes_the_target_and_the_limits(self, catalogue):
        values = [60.0, 61.0] * 12  # the 78% interim target is far above the upper limit
        ind = ae(values, catalogue=catalogue)
        (q,) = by_rule(indicator_questions(ind, catalogue, dt.date(2025, 12, 1)), "assurance_fail")
        _, lower, upper = xmr_limits(values)
        assert q.figures == f"61.0% in January 2026; interim target 78%; usual range {lower:.1f}% to {upper:.1f}%"
        assert "will keep missing the 78% interim target" in q.text

    def test_assurance_fail_silent_when_the_target_is_met_reliably(self, catalogue):
        ind = ae([90.0, 91.0] * 12, catalogue=catalogue)
        questions = indicator_questions(ind, catalogue, dt.date(2025, 12, 1))
        assert not by_rule(questions, "assurance_fail")
        assert not by_rule(questions, "trajectory_missed")
        assert not by_rule(questions, "hit_and_miss")

    def test_trajectory_missed_names_the_gap_and_where_the_target_comes_from(self, catalogue):
        ind = ae([60.0, 61.0] * 11 + [60.0, 62.4], catalogue=catalogue)
        (q,) = by_rule(indicator_questions(ind, catalogue, dt.date(2025, 12, 1)), "trajectory_missed")
        assert q.text.startswith(
            "A&E 4-hour performance (all types) was 62.4% in January 2026, short of the 78% interim target by "
            "15.6 percentage points:"
        )
        assert "NHS England 2024/25 and 2025/26 planning guidance" in q.figures

    def test_a_missed_standard_is_not_a_missed_trajectory(self, catalogue):
        # 2020-2022: the only target in force is the 95% constitutional standard.
        ind = ae([80.0, 81.0] * 12, first="2020-06-01", catalogue=catalogue)
        questions = indicator_questions(ind, catalogue, dt.date(2022, 1, 1))
        assert not by_rule(questions, "trajectory_missed")
        (fail,) = by_rule(questions, "assurance_fail")
        assert "the 95% standard" in fail.text

    def test_hit_and_miss_when_the_target_is_inside_the_limits(self, catalogue):
        values = [76.0, 80.0] * 12
        ind = ae(values, catalogue=catalogue)
        (q,) = by_rule(indicator_questions(ind, catalogue, dt.date(2025, 12, 1)), "hit_and_miss")
        _, lower, upper = xmr_limits(values)
        assert f"usual range {lower:.1f}% to {upper:.1f}%" in q.text
        assert q.figures.startswith("80.0% in January 2026; interim target 78%")


class TestNewLimits:
    def test_a_system_change_after_the_meeting_raises_a_series_break(self, catalogue):
        # March 2020: the catalogue's COVID-19 system change re-bases urgent care.
        ind = ae([85.0, 86.0] * 10, first="2018-09-01", catalogue=catalogue, today=dt.date(2020, 5, 20))
        (q,) = by_rule(indicator_questions(ind, catalogue, dt.date(2020, 1, 15)), "series_break")
        assert q.text.startswith(
            "From March 2020 the figures for A&E 4-hour performance (all types) are not like-for-like"
        )
        assert "COVID-19 pandemic: services reorganised" in q.text
        assert q.figures == "86.0% in April 2020; new limits from March 2020"
        later = indicator_questions(ind, catalogue, dt.date(2020, 3, 15))
        assert not by_rule(later, "series_break")

    def test_a_site_joining_the_total_raises_a_membership_question(self, catalogue):
        months = pd.date_range("2024-01-01", periods=26, freq="MS")
        obs = rows("ae_4hr_all", "RWE", months, [70.0, 71.0] * 13)
        obs += rows("ae_4hr_all", "NNJ07", months[20:], [99.0] * 6)  # from September 2025
        ind = query.indicator(pd.DataFrame(obs), catalogue, "ae_4hr_all", "llr", TODAY)
        (q,) = by_rule(indicator_questions(ind, catalogue, dt.date(2025, 7, 1)), "membership_change")
        assert q.text.startswith("From September 2025:") and "(NNJ07) joins the total" in q.text
        assert q.figures.endswith("new limits from September 2025")
        assert not by_rule(indicator_questions(ind, catalogue, dt.date(2025, 10, 1)), "membership_change")


class TestCurrency:
    def test_overdue_asks_when_the_next_figures_come(self, catalogue):
        # Latest held: January 2026; the February figure is published on the second Thursday of March.
        values = [80.0, 81.0] * 12
        ind = ae(values, catalogue=catalogue, today=dt.date(2026, 5, 1))
        (q,) = by_rule(indicator_questions(ind, catalogue, dt.date(2025, 12, 1)), "overdue")
        assert q.text == (
            "No figures for A&E 4-hour performance (all types) are held after January 2026; the February 2026 "
            "figure was due about 12 March 2026: when will the next figures be published?"
        )
        fresh = ae(values, catalogue=catalogue, today=dt.date(2026, 3, 1))
        assert not by_rule(indicator_questions(fresh, catalogue, dt.date(2025, 12, 1)), "overdue")

    def test_a_discontinued_collection_asks_only_about_its_end(self, catalogue):
        months = pd.date_range("2018-03-01", "2020-02-01", freq="MS")
        obs = pd.DataFrame(rows("dtoc_days", "E06000016", months, [1000.0, 1400.0] * 12, counts=False))
        ind = query.indicator(obs, catalogue, "dtoc_days", "leicester", TODAY)
        questions = indicator_questions(ind, catalogue, dt.date(2019, 6, 1))
        assert [q.rule for q in questions] == ["discontinued"]
        assert questions[0].text.startswith(
            "The collection behind Delayed transfer of care days stopped in February 2020"
        )
        assert questions[0].figures == "last figure 1,400 days in February 2020"


def reconciliation(reported, published, metric_id="ae_4hr_all"):
    return pd.DataFrame(
        [{"metric_id": metric_id, "area_id": "llr", "period_start": pd.Timestamp("2025-09-01"), "period_type": "month",
          "reported": reported, "published": published, "difference": reported - published,
          "members_reporting": 2, "note": ""}]
    )  # fmt: skip


class TestReportedGap:
    def test_a_large_gap_quotes_both_figures_and_the_difference(self, catalogue):
        ind = ae([80.0, 81.0] * 12, catalogue=catalogue)
        (q,) = by_rule(
            indicator_questions(ind, catalogue, dt.date(2025, 12, 1), reconciliation(79.48, 82.58)), "reported_gap"
        )
        assert q.text.startswith(
            "A&E 4-hour performance (all types) was reported to committee as 79.48% for September 2025, but the "
            "published statistics give 82.6% (a difference of \u22123.10 percentage points)"
        )
        assert q.figures == "reported 79.48%; published 82.6%; difference \u22123.10 percentage points (September 2025)"
        assert q.period == "September 2025"

    def test_a_small_gap_or_another_area_asks_nothing(self, catalogue):
        ind = ae([80.0, 81.0] * 12, catalogue=catalogue)
        small = reconciliation(82.2, 82.58)
        other = reconciliation(70.0, 82.58).assign(area_id="leicester")
        for frame in (small, other):
            assert not by_rule(indicator_questions(ind, catalogue, dt.date(2025, 12, 1), frame), "reported_gap")

    def test_thresholds_come_from_the_catalogue(self, catalogue):
        assert catalogue.questions.large_difference.percentage_points == 1.0
        assert is_large_difference(81.0, 80.0, "percent", catalogue)
        assert not is_large_difference(80.9, 80.0, "percent", catalogue)
        assert is_large_difference(1060, 1000, "count", catalogue)  # 6% of the published count
        assert not is_large_difference(1040, 1000, "count", catalogue)


class TestManyIndicators:
    def test_area_questions_keep_indicator_order_and_make_one_row_each(self, catalogue):
        first = ae([60.0, 61.0] * 12, catalogue=catalogue)
        second = ae([76.0, 80.0] * 12, catalogue=catalogue)
        questions = area_questions([first, second], catalogue, dt.date(2025, 12, 1))
        frame = questions_frame(questions)
        assert len(frame) == len(questions) >= 2
        assert list(frame.columns[:4]) == ["topic", "indicator", "question", "figures"]
        assert frame["question"].tolist() == [q.text for q in questions]

    def test_an_empty_indicator_asks_nothing(self, catalogue):
        empty = query.indicator(
            pd.DataFrame(columns=["metric_id", "org_code", "period_start", "period_type", "numerator",
                                  "denominator", "value", "source_id"]),
            catalogue, "ae_4hr_all", "llr", TODAY,
        )  # fmt: skip
        assert indicator_questions(empty, catalogue, dt.date(2025, 12, 1)) == []


class TestCatalogueWords:
    def test_a_placeholder_a_rule_cannot_fill_is_refused(self):
        text = DEFAULT_CONFIG.read_text(encoding="utf-8").replace(
            'figures: "last figure {value} in {period}"', 'figures: "last figure {value} in {meeting}"'
        )
        with pytest.raises(CatalogueError, match=r"rule 'discontinued': field 'figures': '\{meeting\}' is not one of"):
            parse_catalogue(text)

    def test_an_unknown_rule_and_a_missing_rule_are_refused(self):
        text = DEFAULT_CONFIG.read_text(encoding="utf-8").replace(
            "    overdue:\n      question:", "    overdu:\n      question:"
        )
        with pytest.raises(CatalogueError) as err:
            parse_catalogue(text)
        assert "questions: rule 'overdue' is missing" in str(err.value)
        assert "questions: 'overdu' is not a rule" in str(err.value)


def test_brief_questions_use_the_areas_indicators_in_the_briefs_order(catalogue):
    months = pd.date_range("2024-02-01", periods=24, freq="MS")
    obs = pd.DataFrame(
        rows("ae_4hr_all", "RWE", months, [60.0, 61.0] * 12) + rows("ae_4hr_type1", "RWE", months, [70.0, 71.0] * 12)
    )
    meeting = dt.date(2025, 12, 1)
    indicators = query.area_indicators(obs, catalogue, "llr", TODAY)
    assert list(indicators) == ["ae_4hr_all", "ae_4hr_type1"]  # as the rows came; the brief's order wins
    got = brief_questions(indicators, catalogue, meeting, ["ae_4hr_type1", "ae_4hr_all", "ucr_2hr"])
    one_by_one = [
        q
        for mid in ("ae_4hr_type1", "ae_4hr_all")
        for q in indicator_questions(query.indicator(obs, catalogue, mid, "llr", TODAY), catalogue, meeting)
    ]
    assert got == one_by_one and got
