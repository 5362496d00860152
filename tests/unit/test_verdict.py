"""Tests for metrics.verdict: one sentence says the latest figure against its target and what the process implies."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from metrics import query
from metrics.glossary import ASSURANCE_WORDS
from metrics.verdict import indicator_verdict, verdict_sentence

TODAY = dt.date(2026, 5, 20)
LEAD = "The latest figure, 78.8% in March 2026,"


@pytest.fixture
def ae(catalogue):
    return catalogue.metric("ae_4hr_all")  # percent, higher is better, monthly


def say(metric, value=78.8, target=78.0, variation="common_cause", assurance="hit_and_miss"):
    return verdict_sentence(metric, value, "March 2026", target, variation, assurance)


class TestTargetMetOrMissed:
    def test_met_on_a_process_that_will_usually_miss_says_both(self, ae):
        # Issue #20: "Target met" beside "Consistently misses target", March 2026 above the upper limit.
        assert say(ae, variation="improvement_high", assurance="fail") == (
            f"{LEAD} met the 78% target, but it is unusually high for this series: "
            "on past variation the target will usually be missed."
        )

    def test_met_on_a_process_that_will_usually_miss_without_a_special_cause(self, ae):
        assert (
            say(ae, assurance="fail")
            == f"{LEAD} met the 78% target, but on past variation the target will usually be missed."
        )

    def test_met_and_will_usually_be_met(self, ae):
        assert (
            say(ae, assurance="pass") == f"{LEAD} met the 78% target; on past variation the target will usually be met."
        )

    def test_met_and_unusually_high_on_a_passing_process_is_no_contrast(self, ae):
        assert say(ae, variation="improvement_high", assurance="pass") == (
            f"{LEAD} met the 78% target, and it is unusually high for this series: "
            "on past variation the target will usually be met."
        )

    def test_met_but_hit_and_miss_names_the_periods(self, ae):
        assert say(ae) == (
            f"{LEAD} met the 78% target; on past variation the target will be met in some months and missed in others."
        )

    def test_missed_on_a_process_that_will_usually_meet_it_says_but(self, ae):
        assert say(ae, value=77.0, assurance="pass") == (
            "The latest figure, 77.0% in March 2026, missed the 78% target by 1.0 percentage points, "
            "but on past variation the target will usually be met."
        )

    def test_missed_and_unusually_low_on_a_failing_process(self, ae):
        assert say(ae, value=66.4, variation="concern_low", assurance="fail") == (
            "The latest figure, 66.4% in March 2026, missed the 78% target by 11.6 percentage points, and it is "
            "unusually low for this series: on past variation the target will usually be missed."
        )

    def test_missed_and_hit_and_miss(self, ae):
        assert say(ae, value=77.0) == (
            "The latest figure, 77.0% in March 2026, missed the 78% target by 1.0 percentage points; "
            "on past variation the target will be met in some months and missed in others."
        )

    def test_a_target_but_too_few_points_for_assurance(self, ae):
        assert say(ae, value=77.0, variation=None, assurance=None) == (
            "The latest figure, 77.0% in March 2026, missed the 78% target by 1.0 percentage points; "
            "there are too few points yet to say whether the target will usually be met."
        )

    def test_lower_is_better_uses_the_metric_direction(self, catalogue):
        metric = catalogue.metric("ae_12hr_dta")  # a count, lower is better
        assert verdict_sentence(metric, 120, "March 2026", 100, "concern_high", "fail") == (
            "The latest figure, 120 in March 2026, missed the 100 target by 20, and it is unusually high for this "
            "series: on past variation the target will usually be missed."
        )

    def test_quarterly_hit_and_miss_says_quarters(self, catalogue):
        metric = catalogue.metric("beds_ga_occupancy")
        assert metric.frequency == "quarter"
        text = verdict_sentence(metric, 91.0, "2025/26 Q1", 92.0, "common_cause", "hit_and_miss")
        assert text.endswith("met in some quarters and missed in others.")


class TestNoTarget:
    def test_ordinary_variation(self, ae):
        assert say(ae, target=None, assurance=None) == (
            f"{LEAD} is within the ordinary variation of this series; there is no target."
        )

    def test_special_cause(self, ae):
        assert say(ae, target=np.nan, variation="neither_high", assurance=None) == (
            f"{LEAD} is unusually high for this series; there is no target."
        )

    def test_too_few_points(self, ae):
        assert say(ae, target=None, variation=None, assurance=None) == (
            f"{LEAD} has no target, and there are too few points yet to judge its variation."
        )

    def test_a_neutral_metric_has_no_target_verdict(self, catalogue):
        metric = catalogue.metric("ae_attendances")
        assert verdict_sentence(metric, 40958, "March 2026", 40000, "neither_high", None) == (
            "The latest figure, 40,958 in March 2026, is unusually high for this series; there is no target."
        )


class TestNeverContradictsTheBadges:
    """Every combination: one sentence, the badges' verdicts in it, and 'but' only where they disagree."""

    @pytest.mark.parametrize("value", [80.0, 70.0])
    @pytest.mark.parametrize("assurance", ["pass", "fail", "hit_and_miss", None])
    @pytest.mark.parametrize("variation", ["common_cause", "improvement_high", "concern_low", None])
    def test_combinations(self, ae, value, assurance, variation):
        text = say(ae, value=value, variation=variation, assurance=assurance)
        assert text.count(". ") == 0 and text.endswith(".")  # one sentence
        met = value >= 78
        assert ("met the 78% target" in text) == met
        assert ("missed the 78% target by" in text) == (not met)
        if assurance in ("pass", "fail"):
            said = "will usually be met" if assurance == "pass" else "will usually be missed"
            assert said in text, ASSURANCE_WORDS[assurance]
            assert ("but" in text.split()) == (met != (assurance == "pass"))
        assert ("unusually" in text) == (variation not in ("common_cause", None))


class TestFromTheReadLayer:
    def test_indicator_verdict_uses_the_latest_point_and_icons(self, catalogue):
        months = pd.date_range("2023-04-01", periods=36, freq="MS")
        values = [70.0 + (0.3 if i % 2 else -0.3) for i in range(35)] + [80.0]
        rows = [
            {"metric_id": "ae_4hr_all", "org_code": "RWE", "period_start": m, "period_type": "month",
             "numerator": v * 100, "denominator": 10_000.0, "value": v, "source_id": 1}
            for m, v in zip(months, values, strict=True)
        ]  # fmt: skip
        ind = query.indicator(pd.DataFrame(rows), catalogue, "ae_4hr_all", "llr", TODAY)
        assert (ind.variation, ind.assurance) == ("improvement_high", "fail")
        assert indicator_verdict(ind) == (
            "The latest figure, 80.0% in March 2026, met the 78% target, but it is unusually high for this series: "
            "on past variation the target will usually be missed."
        )
