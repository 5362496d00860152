"""The Discharge Delays (Acute / Community) sitrep loader on generated workbooks."""

from __future__ import annotations

import datetime as dt

import pytest

from loaders import discharge_sitrep, registry
from loaders.base import LoadError
from loaders.ingest import ingest_file
from metrics import store
from tests.fixtures.make_dtoc_sitrep_ascof import sitrep_expected, write_sitrep_workbook


def load(path):
    return discharge_sitrep.normalise(discharge_sitrep.read(path))


def value(tidy, metric_id, org):
    rows = tidy[(tidy["metric_id"] == metric_id) & (tidy["org_code"] == org)]
    assert len(rows) == 1, (metric_id, org, rows)
    return rows.iloc[0]


class TestSniff:
    @pytest.mark.parametrize("collection", ["acute", "community"])
    def test_recognised_by_cover_title(self, tmp_path, collection):
        path, _ = write_sitrep_workbook(tmp_path, collection=collection)
        assert registry.detect(path) is discharge_sitrep


class TestMonthlyAverages:
    @pytest.mark.parametrize(
        ("collection", "trust", "metrics"),
        [
            ("acute", "RWE", ("nctr_patients", "nctr_discharged")),
            ("community", "RT5", ("nctr_patients_community", "nctr_discharged_community")),
        ],
    )
    def test_average_per_day_with_sum_and_days_kept(self, tmp_path, collection, trust, metrics):
        path, data = write_sitrep_workbook(tmp_path, collection=collection, seed=4)
        tidy = load(path).tidy
        for org in (trust, "QK1", "E92000001"):
            for metric, measure in zip(metrics, ("nctr", "discharged"), strict=True):
                total, days, mean = sitrep_expected(data[org][measure])
                row = value(tidy, metric, org)
                assert (row.numerator, row.denominator) == (total, days)
                assert row.value == pytest.approx(mean)
        assert set(tidy["period_start"]) == {dt.date(2023, 8, 1)}

    def test_days_without_a_submission_are_left_out_not_zero(self, tmp_path):
        path, data = write_sitrep_workbook(tmp_path, missing_days={"RWE": [0, 5, 30]})
        row = value(load(path).tidy, "nctr_patients", "RWE")
        assert row.denominator == 28
        assert row.value == pytest.approx(sitrep_expected(data["RWE"]["nctr"])[2])

    def test_org_with_no_data_all_month_has_no_row(self, tmp_path):
        path, _ = write_sitrep_workbook(tmp_path, missing_days={"RTG": list(range(31))})
        tidy = load(path).tidy
        assert tidy[tidy.org_code == "RTG"].empty

    @pytest.mark.parametrize(("lookup_sheets", "shift"), [(False, 0), (True, 0), (True, 2), (False, 1)])
    def test_blocks_found_by_header_text_wherever_they_are(self, tmp_path, lookup_sheets, shift):
        path, data = write_sitrep_workbook(tmp_path, lookup_sheets=lookup_sheets, shift=shift)
        result = load(path)
        assert value(result.tidy, "nctr_patients", "QK1").value == pytest.approx(
            sitrep_expected(data["QK1"]["nctr"])[2]
        )
        kinds = result.organisations.set_index("code")["kind"]
        assert (kinds["QK1"], kinds["RWE"]) == ("icb", "provider")

    def test_acute_and_community_for_the_same_icb_and_month_do_not_collide(self, tmp_path, catalogue, sqlite_engine):
        acute, a = write_sitrep_workbook(tmp_path, name="a.xlsx", collection="acute", seed=1)
        community, c = write_sitrep_workbook(tmp_path, name="c.xlsx", collection="community", seed=2)
        assert ingest_file(acute, sqlite_engine, catalogue).status == "loaded"
        assert ingest_file(community, sqlite_engine, catalogue).status == "loaded"
        rows = store.read_observations(sqlite_engine, org_codes=["QK1"]).set_index("metric_id")["value"]
        assert rows["nctr_patients"] == pytest.approx(sitrep_expected(a["QK1"]["nctr"])[2])
        assert rows["nctr_patients_community"] == pytest.approx(sitrep_expected(c["QK1"]["nctr"])[2])


class TestBadInput:
    def test_missing_table_2(self, tmp_path):
        path, _ = write_sitrep_workbook(tmp_path, name="n.xlsx", drop_table2=True)
        with pytest.raises(LoadError) as err:
            load(path)
        assert str(err.value) == (
            "'n.xlsx': the workbook has no sheet 'Table 2' (found: Cover Sheet, Contents, Table 1, Table 3, Table 4, "
            "Table 5)"
        )

    def test_trust_header_not_found(self, tmp_path):
        path, _ = write_sitrep_workbook(tmp_path, name="h.xlsx", break_trust_header=True)
        with pytest.raises(LoadError) as err:
            load(path)
        assert str(err.value) == "'h.xlsx', sheet 'Table 2': cannot find the header row 'Region | Org Code | Org Name'"

    def test_dates_from_two_months_rejected(self, tmp_path):
        path, _ = write_sitrep_workbook(tmp_path, name="d.xlsx", month=6, extra_day=dt.date(2023, 7, 1))
        with pytest.raises(LoadError) as err:
            load(path)
        assert str(err.value) == (
            "'d.xlsx', sheet 'Table 2', row 3: the daily dates span 2 months (2023-06-01 to 2023-07-01); "
            "expected one month"
        )

    def test_bad_workbook_leaves_the_database_unchanged(self, tmp_path, catalogue, sqlite_engine):
        good, _ = write_sitrep_workbook(tmp_path, name="g.xlsx", month=7)
        ingest_file(good, sqlite_engine, catalogue)
        before = store.read_observations(sqlite_engine)
        bad, _ = write_sitrep_workbook(tmp_path, name="b.xlsx", month=7, seed=9, break_trust_header=True)
        assert ingest_file(bad, sqlite_engine, catalogue).status == "error"
        assert store.read_observations(sqlite_engine).equals(before)
