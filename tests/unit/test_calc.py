"""Tests for metrics.calc: roll-ups, area series, rates, change, reconciliation."""

import math

import numpy as np
import pandas as pd
import pytest

from metrics import calc
from metrics.calc import (
    SERIES_COLUMNS,
    area_series,
    financial_year_start,
    format_value,
    org_series,
    rate_per_100k,
    reconcile_reported_area,
    rollup,
)

NAN = float("nan")


def obs_frame(rows) -> pd.DataFrame:
    """Observations from (metric_id, org_code, period, numerator, denominator, value[, source_id]) tuples."""
    records = []
    for i, row in enumerate(rows):
        metric_id, org, period, num, den, value, *rest = row
        records.append(
            {
                "metric_id": metric_id,
                "org_code": org,
                "period_start": pd.Timestamp(period),
                "period_type": rest[1] if len(rest) > 1 else "month",
                "numerator": num,
                "denominator": den,
                "value": value,
                "source_id": rest[0] if rest else i + 1,
            }
        )
    frame = pd.DataFrame(records)
    for col in ("numerator", "denominator", "value"):
        frame[col] = frame[col].astype(float)
    return frame


class TestRollup:
    def test_ratio_of_sums_is_not_the_mean_of_ratios(self, catalogue):
        # A big department at 70% and a small UTC at 100%: the area is 7,100 / 10,100 = 70.3%,
        # not the 85% a mean of the two percentages would give.
        obs = obs_frame(
            [
                ("ae_4hr_all", "RWE", "2024-01-01", 7000, 10000, 70.0),
                ("ae_4hr_all", "NNJ07", "2024-01-01", 100, 100, 100.0),
            ]
        )
        out = rollup(obs, catalogue.metric("ae_4hr_all"), catalogue.members("ae_4hr_all", "llr"))
        row = out.iloc[0]
        assert (row["numerator"], row["denominator"]) == (7100, 10100)
        assert row["value"] == pytest.approx(100 * 7100 / 10100)
        assert row["value"] != pytest.approx(85.0)
        assert (row["members_reporting"], row["members_expected"]) == (2, 8)
        assert row["source_ids"] == (1, 2)

    def test_member_missing_a_month_counts_fewer_members(self, catalogue):
        obs = obs_frame(
            [
                ("ae_4hr_all", "RWE", "2024-01-01", 700, 1000, 70.0),
                ("ae_4hr_all", "NNJ07", "2024-01-01", 90, 100, 90.0),
                ("ae_4hr_all", "RWE", "2024-02-01", 750, 1000, 75.0),
            ]
        )
        out = rollup(obs, catalogue.metric("ae_4hr_all"), catalogue.members("ae_4hr_all", "llr"))
        assert out["period_start"].dt.month.tolist() == [1, 2]
        assert out["members_reporting"].tolist() == [2, 1]
        assert out["value"].tolist() == pytest.approx([100 * 790 / 1100, 75.0])

    def test_ratio_of_sums_ignores_a_member_without_counts(self, catalogue):
        obs = obs_frame(
            [
                ("ae_4hr_all", "RWE", "2024-01-01", 700, 1000, 70.0),
                ("ae_4hr_all", "NNJ07", "2024-01-01", NAN, NAN, 99.0),
            ]
        )
        out = rollup(obs, catalogue.metric("ae_4hr_all"), catalogue.members("ae_4hr_all", "llr"))
        assert out["value"].tolist() == [70.0]
        assert out["members_reporting"].tolist() == [1]

    def test_sum_adds_values(self, catalogue):
        obs = obs_frame(
            [
                ("dtoc_days", "E06000016", "2019-01-01", NAN, NAN, 1000),
                ("dtoc_days", "E10000018", "2019-01-01", NAN, NAN, 2000),
                ("dtoc_days", "E06000017", "2019-01-01", NAN, NAN, 150),
                ("dtoc_days", "E92000001", "2019-01-01", NAN, NAN, 150000),  # not a member
            ]
        )
        out = rollup(obs, catalogue.metric("dtoc_days"), catalogue.members("dtoc_days", "llr"))
        assert out["value"].tolist() == [3150]
        assert math.isnan(out["numerator"][0])
        assert (out["members_reporting"][0], out["members_expected"][0]) == (3, 3)

    @pytest.mark.parametrize(
        "members, expected_rows",
        [
            (("E06000017",), 1),  # one member: its own rows
            (("E06000017", "E06000016"), 0),  # two members and no roll-up rule: nothing
        ],
    )
    def test_none_only_with_exactly_one_member(self, catalogue, members, expected_rows):
        obs = obs_frame(
            [
                ("ambulance_red1", "E06000017", "2016-09-01", NAN, NAN, 67.7),
                ("ambulance_red1", "E06000016", "2016-09-01", NAN, NAN, 60.0),
            ]
        )
        out = rollup(obs, catalogue.metric("ambulance_red1"), members)
        assert len(out) == expected_rows
        assert list(out.columns) == [
            "period_start",
            "period_type",
            "numerator",
            "denominator",
            "value",
            "members_reporting",
            "members_expected",
            "members",
            "source_ids",
        ]

    def test_members_in_force_each_period_under_current_codes(self, catalogue):
        # Loughborough reported as NJS05 then NNJ07: the same member; Oakham joins in February.
        obs = obs_frame(
            [
                ("ae_attendances", "RWE", "2022-01-01", NAN, NAN, 100.0),
                ("ae_attendances", "NJS05", "2022-01-01", NAN, NAN, 10.0),
                ("ae_attendances", "RWE", "2022-02-01", NAN, NAN, 100.0),
                ("ae_attendances", "NNJ07", "2022-02-01", NAN, NAN, 10.0),
                ("ae_attendances", "NNJ15", "2022-02-01", NAN, NAN, 5.0),
            ]
        )
        members = catalogue.members("ae_attendances", "llr")
        out = rollup(obs, catalogue.metric("ae_attendances"), members, catalogue.successor_map)
        assert out["members"].tolist() == [("NNJ07", "RWE"), ("NNJ07", "NNJ15", "RWE")]

    def test_rate_per_100k_ratio_of_sums(self, catalogue):
        obs = obs_frame(
            [
                ("dtoc_days_per_100k", "E06000016", "2019-01-01", 500, 250000, 200.0),
                ("dtoc_days_per_100k", "E06000017", "2019-01-01", 30, 30000, 100.0),
            ]
        )
        out = rollup(obs, catalogue.metric("dtoc_days_per_100k"), catalogue.members("dtoc_days_per_100k", "llr"))
        assert out["value"][0] == pytest.approx(1e5 * 530 / 280000)

    def test_no_member_rows_gives_empty_frame_with_columns(self, catalogue):
        obs = obs_frame([("ae_4hr_all", "XYZ", "2024-01-01", 1, 2, 50)])
        out = rollup(obs, catalogue.metric("ae_4hr_all"), ["RWE"])
        assert out.empty and "members_reporting" in out


class TestAreaSeries:
    def test_rollup_where_members_report_and_direct_rows_elsewhere(self, catalogue):
        obs = obs_frame(
            [
                ("ae_4hr_all", "RWE", "2016-09-01", 7990, 10000, 79.9, 11),
                ("ae_4hr_all", "LLR", "2016-09-01", NAN, NAN, 79.48, 20),  # reported to committee
                ("ae_4hr_all", "LLR", "2016-08-01", NAN, NAN, 80.5, 21),  # only reported
            ]
        )
        out = area_series(obs, catalogue, "ae_4hr_all", "llr")
        assert list(out.columns) == SERIES_COLUMNS
        assert out["period_start"].dt.month.tolist() == [8, 9]
        assert out["basis"].tolist() == ["direct", "rollup"]
        assert out["value"].tolist() == pytest.approx([80.5, 79.9])
        assert out["source_ids"].tolist() == [(21,), (11,)]
        assert out["members_reporting"].tolist() == [0, 1]

    def test_england_is_its_own_rows(self, catalogue):
        obs = obs_frame([("ae_4hr_all", "E92000001", "2024-01-01", 70, 100, 70.0)])
        out = area_series(obs, catalogue, "ae_4hr_all", "england")
        assert out["basis"].tolist() == ["direct"]
        assert out["value"].tolist() == [70.0]

    def test_no_data_is_empty(self, catalogue):
        obs = obs_frame([("ae_4hr_all", "RWE", "2024-01-01", 70, 100, 70.0)])
        assert area_series(obs, catalogue, "ae_4hr_all", "rutland").empty


class TestOrgSeries:
    def test_one_organisation_like_an_area(self):
        obs = obs_frame(
            [
                ("ae_4hr_all", "RWE", "2024-02-01", 75, 100, 75.0, 3),
                ("ae_4hr_all", "RWE", "2024-01-01", 70, 100, 70.0, 2),
                ("ae_4hr_all", "RT5", "2024-01-01", 10, 100, 10.0, 1),
            ]
        )
        out = org_series(obs, "ae_4hr_all", "RWE")
        assert list(out.columns) == SERIES_COLUMNS
        assert out["value"].tolist() == [70.0, 75.0]
        assert out["source_ids"].tolist() == [(2,), (3,)]


class TestRatePer100k:
    def test_monthly_count_uses_the_financial_year_population(self):
        counts = pd.DataFrame(
            {
                "period_start": pd.to_datetime(["2019-03-01", "2019-04-01", "2020-02-01"]),
                "period_type": "month",
                "value": [100.0, 120.0, 90.0],
            }
        )
        population = pd.DataFrame(
            {"period_start": pd.to_datetime(["2018-04-01", "2019-04-01"]), "value": [200_000.0, 240_000.0]}
        )
        out = rate_per_100k(counts, population)
        # March 2019 is in 2018/19; April 2019 and February 2020 are in 2019/20.
        assert out["denominator"].tolist() == [200_000, 240_000, 240_000]
        assert out["value"].tolist() == pytest.approx([50.0, 50.0, 37.5])
        assert out["numerator"].tolist() == [100, 120, 90]

    def test_latest_earlier_estimate_when_the_year_is_not_loaded(self):
        counts = pd.DataFrame({"period_start": pd.to_datetime(["2021-06-01"]), "value": [10.0]})
        population = pd.DataFrame({"period_start": pd.to_datetime(["2019-04-01"]), "value": [100_000.0]})
        out = rate_per_100k(counts, population)
        assert out["value"].tolist() == [10.0]
        assert out["population_year"].tolist() == [pd.Timestamp("2019-04-01")]

    def test_by_organisation(self):
        counts = pd.DataFrame(
            {"org_code": ["A", "B"], "period_start": pd.to_datetime(["2019-05-01"] * 2), "value": [10.0, 10.0]}
        )
        population = pd.DataFrame(
            {"org_code": ["A", "B"], "period_start": pd.to_datetime(["2019-04-01"] * 2), "value": [1e5, 2e5]}
        )
        assert rate_per_100k(counts, population)["value"].tolist() == [10.0, 5.0]

    def test_financial_year_start(self):
        days = pd.Series(pd.to_datetime(["2024-03-31", "2024-04-01", "2025-01-01"]))
        assert financial_year_start(days).dt.strftime("%Y-%m-%d").tolist() == ["2023-04-01", "2024-04-01", "2024-04-01"]


def series(values, start="2023-01-01", period_type="month"):
    freq = {"month": "MS", "quarter": "QS-JAN", "year": "YS-APR"}[period_type]
    return pd.DataFrame(
        {
            "period_start": pd.date_range(start, periods=len(values), freq=freq),
            "period_type": period_type,
            "value": values,
        }
    )


class TestFormatValue:
    @pytest.mark.parametrize(
        "value, unit, decimals, expected",
        [
            (62.44, "percent", 1, "62.4%"),
            (1234, "count", 0, "1,234"),
            (1234, "beds", 0, "1,234 beds"),
            (2061000, "gbp", 0, "£2,061,000"),
            (123.45, "rate_per_100k", 1, "123.5 per 100,000"),
            (233, "days", 0, "233 days"),
            (NAN, "percent", 1, "–"),
            (None, "count", 0, "–"),
        ],
    )
    def test_format_value(self, value, unit, decimals, expected):
        assert format_value(value, unit, decimals) == expected


def reconcile_reported(obs, catalogue):
    """Every (metric, LLR) pair with a reported row, as the reader does it."""
    parts = []
    for metric_id, rows in obs.groupby("metric_id"):
        reported = rows[rows["org_code"] == "LLR"]
        members = rows[rows["org_code"] != "LLR"]
        parts.append(reconcile_reported_area(reported, members, catalogue.metric(metric_id), "llr", catalogue))
    return pd.concat(parts, ignore_index=True)


class TestReconcileReported:
    def test_ae_september_2016_reported_beside_published(self, catalogue):
        # Reported to committee: 79.48% for LLR (Rutland HWB pack, 31 Jan 2017). Published: UHL
        # (RWE) 79.9% for September 2016 (numbers illustrative of the published return).
        obs = obs_frame(
            [
                ("ae_4hr_all", "RWE", "2016-09-01", 17_577, 22_000, 100 * 17_577 / 22_000),
                ("ae_4hr_all", "LLR", "2016-09-01", NAN, NAN, 79.48),
                ("ae_4hr_all", "RWE", "2016-10-01", 17_000, 22_000, 77.3),  # nothing reported
            ]
        )
        out = reconcile_reported(obs, catalogue)
        assert len(out) == 1
        row = out.iloc[0]
        assert (row["metric_id"], row["area_id"]) == ("ae_4hr_all", "llr")
        assert row["period_start"] == pd.Timestamp("2016-09-01")
        assert row["reported"] == 79.48
        assert row["published"] == pytest.approx(79.895, abs=1e-3)
        assert row["difference"] == pytest.approx(-0.415, abs=1e-3)
        assert row["note"] == (
            "September 2016: reported as 79.48%; the published figures (RWE) give 79.9%, "
            "so the reported figure is 0.42 percentage points lower."
        )

    def test_reported_only_figures_are_not_reconciled(self, catalogue):
        obs = obs_frame([("ambulance_red1", "LLR", "2016-09-01", NAN, NAN, 67.7)])
        assert reconcile_reported(obs, catalogue).empty

    def test_a_renamed_site_counts_under_its_current_code(self, catalogue):
        # NJS05 became NNJ07 (the same Loughborough centre): the roll-up names the current code,
        # as the read layer's series does.
        obs = obs_frame(
            [
                ("ae_4hr_all", "RWE", "2016-09-01", 800, 1000, 80.0),
                ("ae_4hr_all", "NJS05", "2016-09-01", 1000, 1000, 100.0),
                ("ae_4hr_all", "LLR", "2016-09-01", NAN, NAN, 90.0),
            ]
        )
        row = reconcile_reported(obs, catalogue).iloc[0]
        assert row["published"] == pytest.approx(90.0)
        assert "(NNJ07, RWE)" in row["note"]

    def test_same_figure_says_so(self, catalogue):
        obs = obs_frame(
            [
                ("ae_4hr_all", "RWE", "2016-09-01", 799, 1000, 79.9),
                ("ae_4hr_all", "LLR", "2016-09-01", NAN, NAN, 79.9),
            ]
        )
        assert reconcile_reported(obs, catalogue)["note"][0] == (
            "September 2016: reported as 79.9%, the same as the published figures (RWE)."
        )


def test_rollup_handles_many_members_without_python_loops(catalogue):
    # A smoke check on size: 300 organisations x 120 months roll up in one groupby.
    rng = np.random.default_rng(0)
    orgs = [f"O{i}" for i in range(300)]
    months = pd.date_range("2015-01-01", periods=120, freq="MS")
    obs = pd.DataFrame(
        {
            "metric_id": "ae_4hr_all",
            "org_code": np.repeat(orgs, 120),
            "period_start": np.tile(months, 300),
            "period_type": "month",
            "numerator": rng.integers(0, 100, 36000).astype(float),
            "denominator": 100.0,
            "value": np.nan,
            "source_id": 1,
        }
    )
    out = rollup(obs, catalogue.metric("ae_4hr_all"), orgs)
    assert len(out) == 120
    assert (out["members_reporting"] == 300).all()


class TestAddDerivedRates:
    """dtoc_days_per_100k is computed at read time from delayed days and the 18+ population."""

    @staticmethod
    def _obs(rows):
        frame = pd.DataFrame(
            rows, columns=["metric_id", "org_code", "period_start", "period_type", "numerator", "denominator", "value"]
        )
        frame["period_start"] = pd.to_datetime(frame["period_start"])
        frame["source_id"] = range(1, len(frame) + 1)
        return frame

    def test_rate_uses_the_population_of_the_financial_year(self, catalogue):
        obs = self._obs(
            [
                ("dtoc_days", "E06000017", "2019-05-01", "month", None, None, 160.0),
                ("population_18plus", "E06000017", "2019-04-01", "year", None, None, 32_000.0),
                ("population_18plus", "E06000017", "2018-04-01", "year", None, None, 31_000.0),
            ]
        )
        rates = calc.add_derived_rates(obs, catalogue)
        row = rates[rates["metric_id"] == "dtoc_days_per_100k"].iloc[0]
        assert (row["numerator"], row["denominator"]) == (160.0, 32_000.0)
        assert row["value"] == pytest.approx(500.0)  # 160 / 32,000 x 100,000
        assert row["source_id"] == 1  # traced to the delayed-days file

    def test_stored_rates_are_kept_and_not_duplicated(self, catalogue):
        obs = self._obs(
            [
                ("dtoc_days", "E06000017", "2019-05-01", "month", None, None, 160.0),
                ("population_18plus", "E06000017", "2019-04-01", "year", None, None, 32_000.0),
                ("dtoc_days_per_100k", "E06000017", "2019-05-01", "month", 150.0, 30_000.0, 500.0),
            ]
        )
        rates = calc.add_derived_rates(obs, catalogue)
        assert len(rates[rates["metric_id"] == "dtoc_days_per_100k"]) == 1

    def test_without_population_no_rate_is_invented(self, catalogue):
        obs = self._obs([("dtoc_days", "E06000017", "2019-05-01", "month", None, None, 160.0)])
        assert calc.add_derived_rates(obs, catalogue).equals(obs)

    def test_inputs_include_the_count_and_population(self, catalogue):
        assert calc.inputs_for(["dtoc_days_per_100k"], catalogue) == [
            "dtoc_days_per_100k",
            "dtoc_days",
            "population_18plus",
        ]
