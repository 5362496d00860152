"""Tests for loaders.demo: the seeded demonstration series committed under data/demo/."""

from __future__ import annotations

import pandas as pd
import pytest

from loaders import demo, generic
from metrics.catalogue import PROJECT_ROOT
from tests.conftest import CORE_METRICS

DEMO_DIR = PROJECT_ROOT / "data" / "demo"

CORE_METRICS = CORE_METRICS


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return demo.demo_frames()


@pytest.fixture(scope="module")
def all_rows(frames) -> pd.DataFrame:
    rows = pd.concat(frames.values(), ignore_index=True)
    for col in ("value", "numerator", "denominator"):
        rows[col] = pd.to_numeric(rows[col])
    rows["period"] = pd.to_datetime(rows["period"])
    return rows


def four_hour_mean(all_rows: pd.DataFrame, year: int) -> float:
    """Annual 4-hour performance at UHL (RWE), as a ratio of the year's sums."""
    rows = all_rows[
        (all_rows["metric_id"] == "ae_4hr_all") & (all_rows["org_code"] == "RWE") & (all_rows["period"].dt.year == year)
    ]
    assert len(rows) == 12
    return rows["numerator"].sum() / rows["denominator"].sum() * 100


class TestDemoFrames:
    def test_reproduces_the_committed_files_byte_for_byte(self, frames):
        committed = sorted(p.name for p in DEMO_DIR.glob("demo_*.csv"))
        assert sorted(frames) == committed
        for name, frame in frames.items():
            written = frame.to_csv(index=False, lineterminator="\n").encode("utf-8")
            assert written == (DEMO_DIR / name).read_bytes(), f"{name} differs from demo_frames()"

    def test_same_seed_same_frames_other_seed_other_frames(self, frames):
        again = demo.demo_frames()
        other = demo.demo_frames(seed=demo.SEED + 1)
        for name in frames:
            pd.testing.assert_frame_equal(again[name], frames[name])
        assert not other["demo_urgent_care.csv"].equals(frames["demo_urgent_care.csv"])

    def test_write_demo_files_writes_the_same_bytes(self, catalogue, tmp_path):
        settings = catalogue.settings.model_copy(update={"demo_dir": str(tmp_path)})
        paths = demo.write_demo_files(catalogue.model_copy(update={"settings": settings}))
        assert sorted(p.name for p in paths) == sorted(p.name for p in DEMO_DIR.glob("demo_*.csv"))
        for path in paths:
            assert path.read_bytes() == (DEMO_DIR / path.name).read_bytes()

    def test_every_row_is_marked_demo_and_says_so(self, all_rows):
        assert set(all_rows["demo"]) == {"yes"}
        assert set(all_rows["source"]) == {demo.DEMO_SOURCE}

    @pytest.mark.parametrize("name", sorted(p.name for p in DEMO_DIR.glob("demo_*.csv")))
    def test_every_demo_file_passes_template_validation(self, catalogue, name):
        result = generic.normalise(generic.read(DEMO_DIR / name), catalogue)
        assert result.is_demo is True
        assert len(result.tidy) > 0


class TestDemoLevels:
    def test_uhl_four_hour_performance_is_around_80_percent_in_2016(self, all_rows):
        # 2016 has April to December only in the demo; the published level was around 80%.
        rows = all_rows[
            (all_rows["metric_id"] == "ae_4hr_all")
            & (all_rows["org_code"] == "RWE")
            & (all_rows["period"].dt.year == 2016)
        ]
        mean = rows["numerator"].sum() / rows["denominator"].sum() * 100
        assert 77 <= mean <= 83

    def test_uhl_four_hour_performance_is_in_the_50s_or_60s_in_2023(self, all_rows):
        assert 50 <= four_hour_mean(all_rows, 2023) < 70

    def test_uhl_four_hour_performance_fell_between_2017_and_2023(self, all_rows):
        assert four_hour_mean(all_rows, 2023) < four_hour_mean(all_rows, 2017) - 10

    def test_home_first_two_day_starts_are_near_83_percent_in_january_2020(self, all_rows):
        row = all_rows[
            (all_rows["metric_id"] == "reablement_2day")
            & (all_rows["org_code"] == "RT5")
            & (all_rows["period"] == "2020-01-01")
        ].iloc[0]
        assert abs(row["numerator"] / row["denominator"] * 100 - 83) <= 4

    def test_percentages_are_whole_numerators_over_denominators(self, all_rows, catalogue):
        percent = all_rows[all_rows["metric_id"].map(lambda m: catalogue.metric(m).unit == "percent")]
        assert (percent["numerator"] <= percent["denominator"]).all()
        assert (percent["numerator"] % 1 == 0).all() and (percent["denominator"] > 0).all()

    def test_dtoc_stops_after_february_2020(self, all_rows):
        dtoc = all_rows[all_rows["metric_id"].str.startswith("dtoc_")]
        assert dtoc["period"].max() == pd.Timestamp("2020-02-01")

    def test_dtoc_days_split_by_responsible_organisation_adds_up(self, all_rows):
        dtoc = all_rows[all_rows["metric_id"].str.startswith("dtoc_days")].pivot_table(
            index=["org_code", "period"], columns="metric_id", values="value"
        )
        parts = dtoc["dtoc_days_nhs"] + dtoc["dtoc_days_social_care"] + dtoc["dtoc_days_both"]
        assert (parts == dtoc["dtoc_days"]).all()

    @pytest.mark.parametrize("metric_id", CORE_METRICS)
    def test_every_core_metric_has_rows_for_llr_members(self, all_rows, catalogue, metric_id):
        members = set(catalogue.members(metric_id, "llr"))
        orgs = set(all_rows.loc[all_rows["metric_id"] == metric_id, "org_code"])
        assert orgs & members, f"{metric_id}: no demo rows for {sorted(members)}"

    @pytest.mark.parametrize(
        "metric_id", ["ae_4hr_all", "beds_ga_occupancy", "nctr_patients", "ucr_2hr", "ae_attendances"]
    )
    def test_national_benchmark_is_there_for_comparison(self, all_rows, metric_id):
        orgs = set(all_rows.loc[all_rows["metric_id"] == metric_id, "org_code"])
        assert "E92000001" in orgs
