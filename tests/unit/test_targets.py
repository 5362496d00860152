"""Tests for metrics.targets: the target in force, met / not met in words, the gap in numbers."""

import datetime as dt
import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from metrics.catalogue import Expectation, Metric, Target
from metrics.targets import (
    expectation_words,
    format_target,
    gap_to_target,
    judge_expectation,
    status,
    status_array,
    status_words,
    target_in_force,
    target_period_words,
    targets_for_periods,
)


def in_force(metric, org, period):
    """The target in force for one period (``targets_for_periods`` for a single period), or None."""
    row = targets_for_periods(metric, org, [period]).iloc[0]
    return None if pd.isna(row["target"]) else SimpleNamespace(value=row["target"], kind=row["kind"])


def make_metric(targets=(), **overrides) -> Metric:
    fields = {
        "id": "test_metric",
        "name": "Test metric",
        "description": "A test.",
        "definition": "Numerator over denominator.",
        "unit": "percent",
        "improvement_direction": "increase",
        "frequency": "month",
        "topic": "urgent_care",
        "rollup": "ratio_of_sums",
        "source": "ae",
        "decimals": 1,
        "targets": tuple(targets),
    }
    return Metric(**(fields | overrides))


def target(kind, value, start, end=None, org=None) -> Target:
    return Target(
        kind=kind,
        value=value,
        valid_from=dt.date.fromisoformat(start),
        valid_to=dt.date.fromisoformat(end) if end else None,
        org_code=org,
        source_text=f"{kind} {value}",
    )


@pytest.fixture(scope="module")
def ae(catalogue):
    return catalogue.metric("ae_4hr_all")


class TestTargetInForce:
    # The A&E 4-hour history from config.yaml : 95% standard throughout; 76% interim
    # for 2023/24; 78% for 2024/25 and 2025/26; LLR's 92.1% STF trajectory for March 2017.
    @pytest.mark.parametrize(
        "org, period, expected_value, expected_kind",
        [
            (None, "2016-09-01", 95, "standard"),
            ("LLR", "2016-09-01", 95, "standard"),
            ("LLR", "2017-03-01", 92.1, "trajectory"),
            ("LLR", "2017-03-31", 92.1, "trajectory"),  # valid_to is inclusive
            ("LLR", "2017-04-01", 95, "standard"),  # the day after it ends
            ("RWE", "2017-03-01", 95, "standard"),  # the LLR trajectory is not UHL's
            (None, "2023-03-01", 95, "standard"),
            (None, "2023-04-01", 76, "interim"),  # valid_from is inclusive
            (None, "2024-03-01", 76, "interim"),
            (None, "2024-04-01", 78, "interim"),
            ("RWE", "2025-10-01", 78, "interim"),
            (None, "2026-03-01", 78, "interim"),
            (None, "2026-04-01", 95, "standard"),  # after the interim targets, the standard again
        ],
    )
    def test_ae_history_gives_the_target_a_reader_expects(self, ae, org, period, expected_value, expected_kind):
        found = in_force(ae, org, period)
        assert found.value == expected_value
        assert found.kind == expected_kind

    def test_before_any_target_is_none(self, ae):
        assert in_force(ae, None, "2009-01-01") is None

    def test_metric_without_targets_is_none(self, catalogue):
        assert in_force(catalogue.metric("ae_attendances"), "LLR", "2024-01-01") is None

    @pytest.mark.parametrize(
        "targets, org, expected",
        [
            # An organisation-specific standard beats an all-organisations trajectory.
            ([target("trajectory", 90, "2020-01-01"), target("standard", 85, "2020-01-01", org="X")], "X", 85),
            # Among all-organisations targets, a plan beats the standard.
            ([target("standard", 95, "2020-01-01"), target("plan", 80, "2020-01-01")], "X", 80),
            # Among the same kind and scope, the most recent start wins.
            ([target("plan", 80, "2019-01-01"), target("plan", 82, "2020-01-01")], "X", 82),
            # A target for another organisation never applies.
            ([target("standard", 95, "2020-01-01"), target("local", 50, "2020-01-01", org="Y")], "X", 95),
        ],
    )
    def test_precedence(self, targets, org, expected):
        metric = make_metric(targets)
        assert in_force(metric, org, dt.date(2020, 6, 1)).value == expected

    def test_accepts_timestamps_and_strings(self, ae):
        assert in_force(ae, None, pd.Timestamp("2024-04-01")).value == 78
        assert in_force(ae, None, dt.datetime(2024, 4, 1, 12)).value == 78

    def test_standard_stays_visible_beside_an_interim_target(self, ae):
        assert targets_for_periods(ae, None, ["2024-06-01"])["standard"].iloc[0] == 95


class TestTargetsForPeriods:
    def test_columns_and_standard_beside_other_targets(self, ae):
        table = targets_for_periods(ae, "LLR", ["2017-02-01", "2017-03-01", "2024-05-01"])
        assert list(table.columns) == ["period_start", "target", "kind", "source_text", "standard"]
        assert table["target"].tolist() == [95, 92.1, 78]
        # The standard is shown only where the target in force is something else.
        assert math.isnan(table["standard"][0])
        assert table["standard"][1:].tolist() == [95, 95]
        assert "92.1%" in table["source_text"][1]

    def test_periods_without_a_target_are_empty(self):
        table = targets_for_periods(make_metric([target("plan", 70, "2022-12-01")]), None, ["2022-11-01"])
        assert math.isnan(table["target"][0])
        assert table["kind"][0] is None

    def test_no_periods_gives_empty_frame(self, ae):
        assert targets_for_periods(ae, None, []).empty


class TestStatus:
    @pytest.mark.parametrize(
        "value, target_value, direction, expected",
        [
            (78, 78, "increase", "met"),  # exactly on the target meets it
            (78.0000000001, 78, "increase", "met"),
            (77.99, 78, "increase", "not_met"),
            (95.1, 95, "increase", "met"),
            (92, 92, "decrease", "met"),
            (91.9, 92, "decrease", "met"),
            (92.1, 92, "decrease", "not_met"),
            (50, 10, "neutral", "no_target"),
            (50, None, "increase", "no_target"),
            (50, float("nan"), "decrease", "no_target"),
            (None, 78, "increase", "no_data"),
        ],
    )
    def test_status(self, value, target_value, direction, expected):
        assert status(value, target_value, direction) == expected

    def test_unknown_direction_is_an_error(self):
        with pytest.raises(ValueError, match="direction must be"):
            status(1, 2, "up")

    def test_array_matches_scalar(self):
        values = np.array([70, 78, 80, np.nan, 90])
        targets = np.array([78, 78, 78, 78, np.nan])
        for direction in ("increase", "decrease", "neutral"):
            expected = [status(v, t, direction) for v, t in zip(values, targets, strict=True)]
            assert list(status_array(values, targets, direction)) == expected


class TestStatusWords:
    @pytest.mark.parametrize(
        "value, target_value, direction, unit, decimals, expected",
        [
            (78.4, 78, "increase", "percent", 1, "Met the 78% target"),
            (73.8, 78, "increase", "percent", 1, "Missed the 78% target by 4.2 percentage points"),
            (90.0, 92.1, "increase", "percent", 1, "Missed the 92.1% target by 2.1 percentage points"),
            (93.5, 92, "decrease", "percent", 1, "Missed the 92% target by 1.5 percentage points"),
            (77.96, 78, "increase", "percent", 1, "Missed the 78% target by 0.04 percentage points"),
            (105, 1011, "increase", "count", 0, "Missed the 1,011 target by 906"),
            (233, 195, "decrease", "beds", 0, "Missed the 195 beds target by 38 beds"),
            (50, None, "increase", "percent", 1, "No target"),
            (50, 60, "neutral", "percent", 1, "No target"),
        ],
    )
    def test_plain_english(self, value, target_value, direction, unit, decimals, expected):
        assert status_words(value, target_value, direction, unit, decimals) == expected


class TestGapToTarget:
    def test_ae_four_hour_patients_needed(self, ae):
        # 7,388 of 10,000 within 4 hours = 73.88%; 78% of 10,000 = 7,800, so 412 more were needed.
        gap = gap_to_target(73.88, 7388, 10000, 78, ae)
        assert gap["status"] == "not_met"
        assert gap["gap"] == pytest.approx(4.12)
        assert gap["gap_text"] == "4.1 percentage points"
        assert gap["numbers_needed"] == 412
        assert gap["numbers_text"] == "412 more patients would have needed to be seen within 4 hours"

    def test_part_patients_round_up(self, ae):
        # 78% of 9,999 = 7,799.22: 7,799 is not enough, so 7,800 - 7,000 = 800 are needed.
        assert gap_to_target(70.007, 7000, 9999, 78, ae)["numbers_needed"] == 800

    def test_met_needs_nobody(self, ae):
        gap = gap_to_target(80, 8000, 10000, 78, ae)
        assert (gap["status"], gap["numbers_needed"], gap["numbers_text"], gap["gap_text"]) == ("met", 0, "", "")

    def test_decrease_metric_counts_fewer(self, catalogue):
        # Bed occupancy 95% of 1,000 beds against 92%: 950 - 920 = 30 fewer occupied beds.
        gap = gap_to_target(95.0, 950, 1000, 92, catalogue.metric("beds_ga_occupancy"))
        assert gap["numbers_needed"] == 30
        assert gap["numbers_text"] == "30 fewer beds would have needed to be occupied"

    def test_count_metric_gap_is_the_difference(self, catalogue):
        # A count against a count target: 105 against 1,011.
        gap = gap_to_target(105, None, None, 1011, catalogue.metric("phb_in_place"))
        assert gap["numbers_needed"] == 906
        assert gap["numbers_text"] == "906 more would have been needed to meet the target"
        assert gap["gap_text"] == "906"

    def test_without_counts_only_the_unit_gap(self, ae):
        gap = gap_to_target(79.48, None, None, 92.1, ae)
        assert gap["gap_text"] == "12.6 percentage points"
        assert gap["numbers_needed"] is None
        assert gap["numbers_text"] == ""

    def test_no_target(self, ae):
        gap = gap_to_target(79.48, None, None, None, ae)
        assert gap["status"] == "no_target"
        assert math.isnan(gap["gap"])


# ---------------------------------------------------------------------------- #20: periods and expectations
PHB_RANGE = Expectation(
    low=1011,
    high=2022,
    start=dt.date(2016, 12, 1),
    earliest_end=dt.date(2019, 12, 1),
    end=dt.date(2021, 12, 1),
    org_code="LLR",
    judged_on="level_at_end",
    source_text="LLR personal health budget local offer: 1,011 to 2,022 over 3 to 5 years",
)


def _monthly(values: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame({"period_start": pd.to_datetime(list(values)), "value": list(values.values())})


class TestTargetPeriods:
    def test_the_standard_is_in_force_after_an_interim_target_ends(self, ae):
        assert target_in_force(ae, "LLR", dt.date(2025, 6, 1)).value == 78
        now = target_in_force(ae, "LLR", dt.date(2026, 12, 4))
        assert (now.kind, now.value) == ("standard", 95)

    def test_when_a_target_applied_in_words(self, ae):
        words = {t.value: target_period_words(t) for t in ae.targets}
        assert words[95] == "from November 2010"
        assert words[78] == "April 2024 to March 2026"
        assert words[92.1] == "March 2017 only"

    def test_a_standard_keeps_its_unit(self):
        assert format_target(95, "percent") == "95%"


class TestExpectationOverYears:
    def test_the_catalogue_holds_the_personal_health_budget_range_as_an_expectation(self, catalogue):
        phb = catalogue.metric("phb_in_place")
        assert phb.targets == (), "no month is judged against a 3 to 5 year range"
        (exp,) = phb.expectations
        assert (exp.low, exp.high, exp.earliest_end, exp.end) == (
            1011,
            2022,
            dt.date(2019, 12, 1),
            dt.date(2021, 12, 1),
        )

    def test_in_words(self):
        assert expectation_words(PHB_RANGE, "count") == (
            "1,011 to 2,022, expected by December 2019 to December 2021 (from December 2016)"
        )

    def test_a_december_2016_figure_is_not_judged(self, catalogue):
        status, words = judge_expectation(
            PHB_RANGE, _monthly({"2016-12-01": 105}), catalogue.metric("phb_in_place"), dt.date(2026, 12, 4)
        )
        assert status == "not_judged"
        assert words == (
            "Not judged: no figure is held for December 2019 to December 2021, the end of the span "
            "(the latest figure held is December 2016)"
        )

    def test_not_judged_before_the_span_can_end(self, catalogue):
        status, words = judge_expectation(
            PHB_RANGE, _monthly({"2018-12-01": 2500}), catalogue.metric("phb_in_place"), dt.date(2019, 1, 15)
        )
        assert (status, words) == ("not_judged", "Not judged until December 2019, the earliest end of the span")

    def test_the_figure_at_the_end_of_the_span_is_judged(self, catalogue):
        phb = catalogue.metric("phb_in_place")
        series = _monthly({"2016-12-01": 105, "2020-06-01": 900, "2021-12-01": 1200, "2022-06-01": 50})
        assert judge_expectation(PHB_RANGE, series, phb, dt.date(2026, 12, 4)) == (
            "met",
            "Met: 1,200 in December 2021, against the 1,011 to 2,022 expected",
        )
        short = _monthly({"2020-06-01": 900})
        assert judge_expectation(PHB_RANGE, short, phb, dt.date(2021, 1, 1))[0] == "not_judged", "the span runs on"
        assert judge_expectation(PHB_RANGE, short, phb, dt.date(2026, 1, 1)) == (
            "not_met",
            "Not met: 900 in June 2020, against the 1,011 to 2,022 expected",
        )

    def test_a_total_needs_every_period_of_the_span(self, catalogue):
        total = PHB_RANGE.model_copy(
            update={
                "judged_on": "total_over_span",
                "start": dt.date(2020, 1, 1),
                "earliest_end": dt.date(2020, 3, 1),
                "end": dt.date(2020, 3, 1),
                "low": 30,
                "high": None,
            }  # fmt: skip
        )
        metric = catalogue.metric("phb_in_place")
        two = _monthly({"2020-01-01": 10, "2020-02-01": 10})
        assert judge_expectation(total, two, metric, dt.date(2021, 1, 1)) == (
            "not_judged",
            "Not judged: the total needs every figure from January 2020 to March 2020; 2 of 3 are held",
        )
        three = _monthly({"2020-01-01": 10, "2020-02-01": 10, "2020-03-01": 11})
        assert judge_expectation(total, three, metric, dt.date(2021, 1, 1))[0] == "met"

    def test_a_span_out_of_order_is_refused(self):
        with pytest.raises(ValueError, match="start < earliest_end <= end"):
            PHB_RANGE.model_validate({**PHB_RANGE.model_dump(), "earliest_end": dt.date(2022, 1, 1)})
