"""Analytics on real published files: the LLR A&E roll-up and an SPC chart checked by hand."""

from __future__ import annotations

import csv
import datetime as dt

import numpy as np
import pytest

from loaders.ingest import ingest_paths
from metrics import calc, spc, store
from metrics.targets import targets_for_periods
from tests.conftest import public_file

AE = ("ae_attendances", "monthly_provider_csv")
# RWE, April 2020 to June 2021: 15 months of NHS England's monthly provider CSVs.
RWE_FILES = [
    "April-2020-revised-260421-abc123.csv",
    "May-2020-revised-260421-de345.csv",
    "June-2020-revised-260421-df453.csv",
    "July-2020-revised-270421-cd305.csv",
    "August-2020-revised-270421-gh920.csv",
    "September-2020-revised-270421-jh930.csv",
    "October-2020-revised-270421-dr302.csv",
    "November-2020-revised-270421-fr452.csv",
    "December-2020-revised-270421-fd675.csv",
    "January-2021-revised-280421-er231.csv",
    "February-2021-revised-280421-df123.csv",
    "March-2021-revised-280421-ce435.csv",
    "April-2021-revised-120522-ABC456.csv",
    "May-2021-revised-120522-DEF678.csv",
    "June-2021-revised-120522-GHI999.csv",
]


@pytest.fixture(scope="module")
def rwe_db(tmp_path_factory, catalogue):
    paths = [public_file(*AE, name) for name in RWE_FILES]
    engine = store.make_engine(f"sqlite:///{tmp_path_factory.mktemp('rwe') / 'rwe.sqlite'}")
    summary = ingest_paths(paths, engine, catalogue)
    assert not summary.failed, [o.error for o in summary.failed]
    return engine


def _raw_rows(name: str) -> list[dict]:
    with open(public_file(*AE, name), encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def _attendances_and_breaches(row: dict) -> tuple[float, float]:
    """Plain-csv recomputation: every attendance column (booked included) and every over-4-hours column."""
    attendances = sum(
        float(v or 0) for k, v in row.items() if k and "attendances" in k.lower() and "over" not in k.lower()
    )
    breaches = sum(float(v or 0) for k, v in row.items() if k and "over 4hrs" in k.lower())
    return attendances, breaches


class TestLlrRollup:
    def test_llr_four_hour_figure_is_a_ratio_of_sums_of_its_members(self, rwe_db, catalogue):
        members = set(catalogue.members("ae_4hr_all", "llr"))
        name = "June-2021-revised-120522-GHI999.csv"
        attendances = breaches = 0.0
        found = set()
        for row in _raw_rows(name):
            if row["Org Code"].strip() in members:
                a, b = _attendances_and_breaches(row)
                attendances, breaches = attendances + a, breaches + b
                found.add(row["Org Code"].strip())
        assert "RWE" in found and len(found) > 1, found  # UHL and at least one DHU urgent treatment centre
        expected = 100 * (attendances - breaches) / attendances

        obs = store.read_observations(rwe_db, metric_ids=["ae_4hr_all"])
        series = calc.area_series(obs, catalogue, "ae_4hr_all", "llr")
        june = series[series["period_start"] == "2021-06-01"].iloc[0]
        assert june["numerator"] == attendances - breaches
        assert june["denominator"] == attendances
        assert june["value"] == pytest.approx(expected)
        assert june["members_reporting"] == len(found)


class TestRweSpc:
    def test_rwe_four_hour_xmr_matches_the_hand_calculation(self, rwe_db, catalogue):
        # RWE 4-hour % (all types, booked included), from the raw files:
        #   Apr-20 86.69 (1,227 of 9,218 over 4 h)  May-20 82.69  Jun-20 78.20  Jul-20 78.96  Aug-20 76.94
        #   Sep-20 70.25  Oct-20 71.32  Nov-20 68.51  Dec-20 67.01  Jan-21 63.95  Feb-21 68.65  Mar-21 71.79
        #   Apr-21 68.70  May-21 67.48  Jun-21 62.79 (8,613 of 23,145 over 4 h)
        # mean = 1083.93 / 15 = 72.262; moving ranges sum to 43.254 over 14 -> mean mR = 3.0896
        # UPL = 72.262 + 2.66 x 3.0896 = 80.480; LPL = 72.262 - 8.218 = 64.044
        # Apr-20 and May-20 are above the UPL; Jan-21 (63.95) and Jun-21 (62.79) below the LPL; Sep-20 to
        # Jun-21 are ten points in a row below the mean (a shift). Higher is better, so the last point is
        # special cause concern, low; the 95% standard is above the UPL, so the target is consistently missed.
        obs = store.read_observations(rwe_db, metric_ids=["ae_4hr_all"], org_codes=["RWE"])
        metric = catalogue.metric("ae_4hr_all")
        target = targets_for_periods(metric, "RWE", list(obs["period_start"]))["target"].to_numpy()
        result = spc.xmr(obs["value"].to_numpy(), obs["period_start"].to_numpy(), "increase", target=target)

        points = result.points
        assert len(points) == 15
        assert points["value"].round(2).tolist()[:2] == [86.69, 82.69]
        assert points["mean"].iloc[0] == pytest.approx(72.262, abs=0.001)
        assert points["upl"].iloc[0] == pytest.approx(80.480, abs=0.001)
        assert points["lpl"].iloc[0] == pytest.approx(64.044, abs=0.001)
        outside = points.loc[points["rules"].str.contains("outside_limits"), "date"].dt.date.tolist()
        assert outside == [dt.date(2020, 4, 1), dt.date(2020, 5, 1), dt.date(2021, 1, 1), dt.date(2021, 6, 1)]
        shift = points["rules"].str.contains("shift").to_numpy()
        assert shift.sum() == 10 and shift[5:].all()
        assert result.variation == "concern_low"
        assert result.assurance == "fail"
        assert np.isclose(target, 95).all()
