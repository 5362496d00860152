"""Tests for metrics.spc: NHS England "Making Data Count" XmR charts."""

import datetime as dt
import math
import re

import numpy as np
import pandas as pd
import pytest

from metrics.spc import (
    ICON_DESCRIPTIONS,
    SPCResult,
    SPCSettings,
    assurance_icon,
    classify_point,
    limits,
    moving_range,
    outside_flags,
    shift_flags,
    trend_flags,
    two_of_three_flags,
    variation_icon,
    xmr,
)

# A real-shaped 15-point monthly series (e.g. a percentage hovering around 11-12).
REAL = [10, 12, 11, 13, 12, 11, 10, 12, 13, 11, 12, 10, 11, 14, 12]
# Hand computed:
#   mean = 174 / 15 = 11.6
#   moving ranges = 2,1,2,1,1,1,2,1,2,1,2,1,3,2 -> sum 22 over 14 ranges -> mR-bar = 1.571428...
#   2.66 * mR-bar = 4.18 -> upl = 15.78, lpl = 7.42
#   sigma = 4.18 / 3 = 1.393333 -> 2 sigma 14.386667 / 8.813333, 1 sigma 12.993333 / 10.206667
REAL_MEAN, REAL_UPL, REAL_LPL = 11.6, 15.78, 7.42


def months(n, start=2020):
    """n month-start dates from January of ``start``."""
    return [dt.date(start + m // 12, m % 12 + 1, 1) for m in range(n)]


def flagged(result: SPCResult, rule: str) -> list[int]:
    """Positions of the points where ``rule`` fired."""
    return [i for i, r in enumerate(result.points["rules"]) if rule in r.split(",")]


def as_list(flags) -> list[int]:
    return [int(f) for f in flags]


class TestMovingRange:
    def test_moving_range_first_is_nan_then_absolute_differences(self):
        out = moving_range([1, 3, 2, 2])
        assert math.isnan(out[0])
        assert list(out[1:]) == [2, 1, 0]

    def test_moving_range_empty_is_empty(self):
        assert len(moving_range([])) == 0


class TestLimits:
    def test_limits_real_series_match_hand_computation(self):
        lim = limits(REAL)
        assert lim.mean == pytest.approx(REAL_MEAN)
        assert lim.mr_mean == pytest.approx(22 / 14)
        assert lim.upl == pytest.approx(REAL_UPL)
        assert lim.lpl == pytest.approx(REAL_LPL)
        assert lim.upper_2sigma == pytest.approx(14.386667, abs=1e-6)
        assert lim.lower_2sigma == pytest.approx(8.813333, abs=1e-6)
        assert lim.upper_1sigma == pytest.approx(12.993333, abs=1e-6)
        assert lim.lower_1sigma == pytest.approx(10.206667, abs=1e-6)

    def test_limits_constant_series_all_lines_equal_mean(self):
        lim = limits([100.0] * 15)
        assert lim.mr_mean == 0
        assert {lim.upl, lim.lpl, lim.upper_2sigma, lim.lower_1sigma} == {100.0}

    def test_limits_one_value_raises(self):
        with pytest.raises(ValueError, match="limits need at least 2 values, got 1"):
            limits([5])


class TestOutsideFlags:
    @pytest.mark.parametrize(
        ("values", "high", "low"),
        [
            ([4, 0, 1], [1, 0, 0], [0, 0, 0]),  # above the upper limit
            ([-4, 0, 1], [0, 0, 0], [1, 0, 0]),  # below the lower limit
            ([3, -3, 0], [0, 0, 0], [0, 0, 0]),  # exactly on a limit is not beyond it
        ],
    )
    def test_outside_flags_strictly_beyond_limits(self, values, high, low):
        h, lo = outside_flags(values, 3, -3)
        assert (as_list(h), as_list(lo)) == (high, low)


class TestShiftFlags:
    @pytest.mark.parametrize(
        ("values", "high", "low"),
        [
            ([1] * 6, [1] * 6, [0] * 6),  # 6 above: fires, every point flagged
            ([-1] * 6, [0] * 6, [1] * 6),  # 6 below
            ([1] * 5, [0] * 5, [0] * 5),  # near miss: 5 above
            ([-1, 1, 1, 1, 1, 1, 1, 1], [0] + [1] * 7, [0] * 8),  # 7 above: all 7 flagged
            ([1, 1, 1, 0, 1, 1, 1], [0] * 7, [0] * 7),  # a point on the mean breaks the run
            ([1, 1, 1, -1, 1, 1, 1], [0] * 7, [0] * 7),  # crossing the mean breaks the run
        ],
    )
    def test_shift_flags_table(self, values, high, low):
        h, lo = shift_flags(values, 0.0, 6)
        assert (as_list(h), as_list(lo)) == (high, low)

    def test_shift_flags_length_is_a_setting(self):
        h, _ = shift_flags([1] * 6, 0.0, length=7)
        assert not h.any()


class TestTrendFlags:
    @pytest.mark.parametrize(
        ("values", "up", "down"),
        [
            ([1, 2, 3, 4, 5, 6], [1] * 6, [0] * 6),  # 6 points = 5 rises: fires
            ([6, 5, 4, 3, 2, 1], [0] * 6, [1] * 6),  # 6 falling
            ([1, 2, 3, 4, 5], [0] * 5, [0] * 5),  # near miss: 5 points
            ([1, 2, 3, 3, 4, 5, 6], [0] * 7, [0] * 7),  # equal neighbours break the trend
            ([9, 1, 2, 3, 4, 5, 6, 2], [0, 1, 1, 1, 1, 1, 1, 0], [0] * 8),  # both ends flagged
            ([5.0], [0], [0]),
        ],
    )
    def test_trend_flags_table(self, values, up, down):
        u, d = trend_flags(values, 6)
        assert (as_list(u), as_list(d)) == (up, down)


class TestTwoOfThreeFlags:
    @pytest.mark.parametrize(
        ("values", "high", "low"),
        [
            ([3, 0, 3], [1, 0, 1], [0, 0, 0]),  # two of three above 2 sigma; middle not flagged
            ([-3, -3, 0], [0, 0, 0], [1, 1, 0]),  # two of three below
            ([3, 0, 0, 3], [0, 0, 0, 0], [0, 0, 0, 0]),  # near miss: two of four
            ([5, 3, 0], [1, 1, 0], [0, 0, 0]),  # a point beyond 3 sigma counts too
            ([3, -3, 0], [0, 0, 0], [0, 0, 0]),  # opposite sides do not count
            ([2, 2, 2], [0, 0, 0], [0, 0, 0]),  # exactly on 2 sigma is not beyond it
            ([3, 3], [0, 0], [0, 0]),  # fewer than three points
        ],
    )
    def test_two_of_three_flags_table(self, values, high, low):
        h, lo = two_of_three_flags(values, 2.0, -2.0)
        assert (as_list(h), as_list(lo)) == (high, low)


class TestClassifyPoint:
    @pytest.mark.parametrize(
        ("high", "low", "direction", "rule", "expected"),
        [
            (False, False, "increase", "improvement", ("", "")),
            (True, False, "increase", "improvement", ("improvement", "high")),
            (False, True, "increase", "improvement", ("concern", "low")),
            (True, False, "decrease", "improvement", ("concern", "high")),
            (False, True, "decrease", "improvement", ("improvement", "low")),
            (True, False, "neutral", "improvement", ("neither", "high")),
            (False, True, "neutral", "improvement", ("neither", "low")),
            # conflicts (e.g. a falling trend above the mean) follow the conflict rule
            (True, True, "increase", "improvement", ("improvement", "high")),
            (True, True, "increase", "concern", ("concern", "low")),
            (True, True, "decrease", "improvement", ("improvement", "low")),
            (True, True, "decrease", "concern", ("concern", "high")),
            (True, True, "neutral", "concern", ("neither", "high")),
        ],
    )
    def test_classify_point_table(self, high, low, direction, rule, expected):
        assert classify_point(high, low, direction, rule) == expected


class TestVariationIcon:
    @pytest.mark.parametrize(
        ("special_cause", "direction", "expected"),
        [
            ("", "", "common_cause"),
            ("improvement", "high", "improvement_high"),
            ("improvement", "low", "improvement_low"),
            ("concern", "high", "concern_high"),
            ("concern", "low", "concern_low"),
            ("neither", "high", "neither_high"),
            ("neither", "low", "neither_low"),
        ],
    )
    def test_variation_icon_names(self, special_cause, direction, expected):
        assert variation_icon(special_cause, direction) == expected


class TestAssuranceIcon:
    @pytest.mark.parametrize(
        ("target", "direction", "expected"),
        [
            (5, "increase", "pass"),
            (10, "increase", "pass"),  # on the lower limit: inclusive
            (15, "increase", "hit_and_miss"),
            (20, "increase", "fail"),  # on the upper limit: inclusive
            (25, "increase", "fail"),
            (25, "decrease", "pass"),
            (20, "decrease", "pass"),  # on the upper limit: inclusive
            (15, "decrease", "hit_and_miss"),
            (10, "decrease", "fail"),  # on the lower limit: inclusive
            (5, "decrease", "fail"),
            (15, "neutral", None),
            (None, "increase", None),
            (float("nan"), "increase", None),
        ],
    )
    def test_assurance_icon_table(self, target, direction, expected):
        assert assurance_icon(target, 10.0, 20.0, direction) == expected

    def test_assurance_icon_no_limits_is_none(self):
        assert assurance_icon(5, float("nan"), float("nan"), "increase") is None


class TestIconDescriptions:
    @pytest.mark.parametrize(
        "icon",
        [
            "common_cause",
            "improvement_high",
            "improvement_low",
            "concern_high",
            "concern_low",
            "neither_high",
            "neither_low",
            "pass",
            "fail",
            "hit_and_miss",
        ],
    )
    def test_icon_descriptions_every_icon_has_one_sentence(self, icon):
        text = ICON_DESCRIPTIONS[icon]
        assert text.endswith(".") and text.count(". ") == 0


class TestXmrValidation:
    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            (
                {"values": [1, 2], "dates": months(3)},
                "values and dates must be the same length: got 2 values and 3 dates",
            ),
            (
                {"improvement_direction": "up"},
                "improvement_direction must be 'increase', 'decrease' or 'neutral', got 'up'",
            ),
            (
                {"values": [1, "abc", 3], "dates": months(3)},
                "values must be numeric: 'abc' at position 1 is not a number",
            ),
            (
                {"values": [1, True, 3], "dates": months(3)},
                "values must be numeric: True at position 1 is not a number",
            ),
            ({"target": [1, 2]}, "target must be a single number or one per point: got 2 targets for 3 points"),
            ({"target": "95%"}, "target must be numeric: '95%' is not a number"),
            ({"dates": [dt.date(2020, 1, 1)] * 3}, "dates must be unique: 2020-01-01 appears more than once"),
            ({"dates": ["2020-01-01", None, "2020-03-01"]}, "dates must all be dates: None at position 1 is missing"),
            (
                {"dates": ["2020-01-01", "soon", "2020-03-01"]},
                "dates must all be dates: 'soon' at position 1 is not a date",
            ),
            (
                {"settings": SPCSettings(conflict_rule="worst")},
                "conflict_rule must be 'improvement' or 'concern', got 'worst'",
            ),
            ({"settings": SPCSettings(shift_length=1)}, "shift_length and trend_length must be at least 2"),
        ],
    )
    def test_xmr_bad_input_raises_clear_message(self, kwargs, message):
        args = {"values": [1, 2, 3], "dates": months(3), "improvement_direction": "increase"}
        with pytest.raises(ValueError, match=re.escape(message)):
            xmr(**{**args, **kwargs})


class TestXmr:
    def test_xmr_real_series_limits_match_hand_computation(self):
        res = xmr(REAL, months(15), "increase")
        row = res.points.iloc[0]
        assert res.has_limits and res.reason == ""
        assert (row["mean"], row["upl"], row["lpl"]) == pytest.approx((REAL_MEAN, REAL_UPL, REAL_LPL))
        assert res.points["rules"].eq("").all()
        assert res.variation == "common_cause"

    def test_xmr_points_have_documented_columns_in_date_order(self):
        res = xmr(REAL[::-1], months(15)[::-1], "increase")
        assert list(res.points.columns) == [
            "date",
            "value",
            "mean",
            "upl",
            "lpl",
            "upper_2sigma",
            "lower_2sigma",
            "upper_1sigma",
            "lower_1sigma",
            "excluded",
            "segment",
            "rules",
            "special_cause",
            "direction",
            "follows_gap",
        ]
        assert res.points["date"].is_monotonic_increasing
        assert list(res.points["value"]) == REAL

    @pytest.mark.parametrize(
        ("last", "direction", "icon"),
        [
            (40, "increase", "improvement_high"),
            (40, "decrease", "concern_high"),
            (40, "neutral", "neither_high"),
            (-16, "increase", "concern_low"),
            (-16, "decrease", "improvement_low"),
            (-16, "neutral", "neither_low"),
        ],
    )
    def test_xmr_point_beyond_limit_sets_variation_icon(self, last, direction, icon):
        # [10, 14] alternates about the mean, so only the last point is special.
        res = xmr([10, 14] * 7 + [last], months(15), direction)
        assert flagged(res, "outside_limits") == [14]
        assert res.points["rules"].iloc[:14].eq("").all()
        assert res.variation == icon

    def test_xmr_six_point_shift_flags_every_point_in_run(self):
        res = xmr([14, 10] * 5 + [13] * 6, months(16), "decrease")
        assert res.points["mean"].iloc[0] == pytest.approx(12.375)
        assert flagged(res, "shift") == list(range(10, 16))
        assert res.points["rules"].iloc[10] == "shift"
        assert set(res.points["special_cause"].iloc[10:]) == {"concern"}
        assert res.variation == "concern_high"

    def test_xmr_five_point_shift_does_not_fire(self):
        res = xmr([14, 10] * 5 + [13] * 5, months(15), "decrease")
        assert flagged(res, "shift") == []
        assert res.variation == "common_cause"

    def test_xmr_seven_point_trend_flags_both_ends(self):
        res = xmr([14, 10] * 4 + [11, 12, 13, 14, 15, 16], months(14), "increase")
        assert flagged(res, "trend") == list(range(7, 14))
        assert res.variation == "improvement_high"

    def test_xmr_five_point_trend_does_not_fire(self):
        res = xmr([14, 10] * 5 + [11, 12, 13, 14], months(14), "increase")
        assert flagged(res, "trend") == []

    def test_xmr_two_of_three_beyond_two_sigma_flags_those_points(self):
        res = xmr([11, 14] * 6 + [22, 15, 22], months(15), "increase")
        row = res.points.iloc[-1]
        assert row["upper_2sigma"] < 22 <= row["upl"]
        assert flagged(res, "two_of_three") == [12, 14]
        assert flagged(res, "outside_limits") == []
        assert res.variation == "improvement_high"

    def test_xmr_conflict_follows_conflict_rule(self):
        # The last six points fall (a concern for "increase") while above the mean
        # (an improvement): the point is both, and the conflict rule decides.
        values = [10, 11] * 5 + [20, 19, 18, 17, 16, 15]
        default = xmr(values, months(16), "increase")
        assert set(flagged(default, "trend")) >= {15} and set(flagged(default, "shift")) >= {15}
        assert default.variation == "improvement_high"
        concern = xmr(values, months(16), "increase", settings=SPCSettings(conflict_rule="concern"))
        assert concern.variation == "concern_low"

    def test_xmr_constant_series_has_no_special_cause(self):
        res = xmr([100.0] * 15, months(15), "increase", target=95)
        pts = res.points
        assert not pts[["mean", "upl", "lpl", "upper_2sigma", "lower_1sigma"]].isna().any().any()
        assert (pts["upl"] == 100).all() and (pts["lpl"] == 100).all()
        assert pts["rules"].eq("").all()
        assert res.variation == "common_cause"
        assert res.assurance == "pass"

    @pytest.mark.parametrize(
        ("direction", "on", "expected"),
        [
            ("increase", "lpl", "pass"),
            ("increase", "upl", "fail"),
            ("decrease", "upl", "pass"),
            ("decrease", "lpl", "fail"),
        ],
    )
    def test_xmr_target_exactly_on_limit_is_inclusive(self, direction, on, expected):
        target = xmr(REAL, months(15), direction).points[on].iloc[-1]
        assert xmr(REAL, months(15), direction, target=target).assurance == expected

    def test_xmr_target_between_limits_is_hit_and_miss(self):
        assert xmr(REAL, months(15), "increase", target=12).assurance == "hit_and_miss"

    def test_xmr_neutral_or_no_target_has_no_assurance(self):
        assert xmr(REAL, months(15), "neutral", target=12).assurance is None
        assert xmr(REAL, months(15), "increase").assurance is None

    def test_xmr_time_varying_target_uses_last_point(self):
        target = [20.0] * 14 + [5.0]  # the standard changes at the last point
        assert xmr(REAL, months(15), "increase", target=target).assurance == "pass"

    def test_xmr_under_minimum_points_is_run_chart_with_reason(self):
        res = xmr(REAL[:9], months(9), "increase", target=12)
        assert not res.has_limits
        assert res.variation is None and res.assurance is None
        assert res.reason == ("Only 9 points: at least 13 are needed for process limits; shown as a run chart.")
        assert res.points["upl"].isna().all() and len(res.points) == 9

    def test_xmr_exclusions_count_towards_minimum(self):
        settings = SPCSettings(excluded_dates=(dt.date(2020, 1, 1), dt.date(2020, 2, 1), dt.date(2020, 3, 1)))
        res = xmr(REAL[:14], months(14), "increase", settings=settings)
        assert res.reason == (
            "Only 11 points (after leaving out 3 excluded): at least 13 are "
            "needed for process limits; shown as a run chart."
        )

    def test_xmr_exclusion_changes_limits_and_keeps_point(self):
        settings = SPCSettings(excluded_dates=(pd.Timestamp("2021-02-01"),))  # the 14
        res = xmr(REAL, months(15), "increase", settings=settings)
        expected = limits(REAL[:13] + REAL[14:])  # moving range skips the excluded point
        assert res.points["mean"].iloc[0] == pytest.approx(160 / 14)
        assert res.points["upl"].iloc[0] == pytest.approx(expected.upl)
        assert res.points["upl"].iloc[0] != pytest.approx(REAL_UPL)
        assert len(res.points) == 15
        assert list(res.points["excluded"]) == [False] * 13 + [True, False]

    def test_xmr_excluded_points_take_no_part_in_rules(self):
        settings = SPCSettings(excluded_dates=(dt.date(2021, 4, 1),))
        res = xmr([10, 14] * 7 + [40, 100], months(16), "increase", settings=settings)
        assert res.points["rules"].iloc[15] == ""
        assert res.variation == "improvement_high"  # from the last point not excluded

    def test_xmr_rebase_recalculates_limits_per_segment(self):
        values = REAL[:13] + [v + 20 for v in REAL[:13]]
        settings = SPCSettings(rebase_dates=(dt.date(2021, 2, 1),))
        res = xmr(values, months(26), "increase", settings=settings)
        pts = res.points
        assert list(pts["segment"]) == [0] * 13 + [1] * 13
        assert pts["mean"].iloc[0] == pytest.approx(limits(REAL[:13]).mean)
        # the moving range never spans the boundary, so segment 2 has the same spread
        assert pts["upl"].iloc[-1] - pts["mean"].iloc[-1] == pytest.approx(
            limits(REAL[:13]).upl - limits(REAL[:13]).mean
        )
        assert res.reason == "" and flagged(res, "shift") == []

    def test_xmr_two_of_three_2023_revision_needs_all_three_on_one_side(self):
        # 22, 12, 22: two points beyond 2 sigma, but 12 is below the mean (NHSRplotthedots #143).
        values = [11, 14] * 6 + [22, 12, 22]
        assert flagged(xmr(values, months(15), "increase"), "two_of_three") == []
        old_rule = SPCSettings(two_of_three_same_side=False)
        assert flagged(xmr(values, months(15), "increase", settings=old_rule), "two_of_three") == [12, 14]

    def test_xmr_short_segment_after_a_rebase_is_a_run_chart(self):
        # Five points after the change are too few for limits: never blended into the old ones.
        settings = SPCSettings(rebase_dates=(dt.date(2021, 4, 1),), rebase_reasons=("New service model",))
        res = xmr(REAL + [30, 31, 29, 30, 32], months(20), "increase", settings=settings)
        assert list(res.points["segment"]) == [0] * 15 + [1] * 5
        assert res.points["upl"].iloc[:15].notna().all() and res.points["upl"].iloc[15:].isna().all()
        assert res.points["special_cause"].iloc[15:].eq("").all()  # no rules without limits
        assert (res.variation, res.assurance) == (None, None)
        assert res.reason == (
            "Only 5 points since April 2021 (New service model): at least 13 are needed for process limits, "
            "so the latest stretch is shown as a run chart with no variation or assurance icons."
        )

    def test_xmr_short_segment_before_a_rebase_has_no_limits(self):
        values = [50.0] * 3 + REAL + REAL[:1]
        settings = SPCSettings(rebase_dates=(dt.date(2020, 4, 1),))
        res = xmr(values, months(19), "increase", settings=settings)
        assert res.points["mean"].iloc[:3].isna().all()
        assert res.points["mean"].iloc[3] == pytest.approx(limits(REAL + REAL[:1]).mean)
        assert res.variation == "common_cause"

    def test_xmr_gap_breaks_the_moving_range_and_runs(self):
        # A year missing between two stretches: no moving range across it, no run across it.
        dates = list(months(10)) + [d + pd.DateOffset(years=2) for d in months(10)]
        values = [10, 12, 11, 13, 12, 11, 13, 12, 11, 12] + [12, 11, 12, 13, 11, 12, 13, 12, 11, 12]
        values[10] = 40  # a jump after the gap would inflate the mean moving range
        res = xmr(values, dates, "increase", frequency="month")
        gaps = res.points["follows_gap"].tolist()
        assert gaps == [False] * 10 + [True] + [False] * 9
        expected = limits(values, gaps)
        assert res.points["upl"].iloc[0] == pytest.approx(expected.upl)
        assert expected.mr_mean < limits(values).mr_mean

    def test_xmr_without_frequency_knows_no_gaps(self):
        res = xmr(REAL, months(15), "increase")
        assert not res.points["follows_gap"].any()

    def test_xmr_nan_values_are_dropped_with_their_dates(self):
        values = REAL[:7] + [np.nan] + REAL[7:]
        res = xmr(values, months(16), "increase")
        assert len(res.points) == 15
        assert dt.date(2020, 8, 1) not in set(res.points["date"].dt.date)
        assert res.points["mean"].iloc[0] == pytest.approx(REAL_MEAN)

    def test_xmr_settings_change_run_lengths(self):
        values = [14, 10] * 5 + [13] * 5
        res = xmr(values, months(15), "decrease", settings=SPCSettings(shift_length=5))
        assert flagged(res, "shift") == list(range(10, 15))

    def test_xmr_empty_series_is_run_chart_with_reason(self):
        res = xmr([], [], "increase")
        assert res.points.empty and not res.has_limits and res.variation is None
        assert res.reason.startswith("Only 0 points:")


class TestNHSRplotthedotsVectors:
    """Vectors from NHSRplotthedots 0.2.0 (NHS-R Community, MIT), tests/testthat/test-ptd_spc_standard.R
    and its snapshot _snaps/ptd_spc_standard.md: ``set.seed(123); y <- rnorm(20)``."""

    Y = [-0.56047565, -0.23017749, 1.55870831, 0.07050839, 0.12928774, 1.71506499, 0.46091621, -1.26506123,
         -0.68685285, -0.44566197, 1.22408180, 0.35981383, 0.40077145, 0.11068272, -0.55584113, 1.78691314,
         0.49785048, -1.96661716, 0.70135590, -0.47279141]  # fmt: skip

    def dates(self):
        return pd.date_range("2020-01-02", periods=20, freq="D")

    def test_mean_and_limits(self):
        res = xmr(self.Y, self.dates(), "increase")
        row = res.points.iloc[0]
        assert (row["mean"], row["lpl"], row["upl"]) == pytest.approx((0.1416238, -3.01138, 3.294627), abs=1e-6)

    def test_outlier_without_screening(self):
        y = list(self.Y)
        y[14] = 10
        row = xmr(y, self.dates(), "increase").points.iloc[0]
        assert (row["mean"], row["lpl"], row["upl"]) == pytest.approx((0.6694159, -4.596625, 5.935457), abs=1e-6)

    def test_outlier_with_moving_range_screening(self):
        y = list(self.Y)
        y[14] = 10
        res = xmr(y, self.dates(), "increase", settings=SPCSettings(screen_moving_ranges=True))
        row = res.points.iloc[0]
        assert (row["mean"], row["lpl"], row["upl"]) == pytest.approx((0.6694159, -2.383666, 3.722497), abs=1e-6)

    def test_screening_changes_nothing_without_outliers(self):
        screened = xmr(self.Y, self.dates(), "increase", settings=SPCSettings(screen_moving_ranges=True))
        assert screened.points["upl"].iloc[0] == pytest.approx(3.294627, abs=1e-6)

    def test_rebase_gives_each_group_its_own_limits(self):
        # test-ptd_spc_standard.R "it sets the rebase_group field": a rebase at the 11th point.
        settings = SPCSettings(rebase_dates=(self.dates()[10],), minimum_points=10)
        res = xmr(self.Y, self.dates(), "increase", settings=settings)
        assert list(res.points["segment"]) == [0] * 10 + [1] * 10
        assert res.points["mean"].iloc[0] == pytest.approx(np.mean(self.Y[:10]))
        assert res.points["mean"].iloc[-1] == pytest.approx(np.mean(self.Y[10:]))

    def test_fix_after_n_points_changes_the_limits(self):
        fixed = xmr(self.Y, self.dates(), "increase", settings=SPCSettings(fix_after_n_points=12))
        row = fixed.points.iloc[0]
        assert row["mean"] == pytest.approx(np.mean(self.Y[:12]))
        assert row["lpl"] != pytest.approx(-3.01138, abs=1e-6)

    def test_two_of_three_near_opposite_limits_is_common_cause(self):
        # test-ptd_spc_standard.R: symmetrical data, two points near opposite limits.
        data = [1.0, -1.0] * 8
        data[14], data[15] = 5.5, -5.5
        res = xmr(data, pd.date_range("2020-01-02", periods=16, freq="D"), "increase")
        assert res.points["special_cause"].iloc[-2:].tolist() == ["", ""]
