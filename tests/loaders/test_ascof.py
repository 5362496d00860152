"""The ASCOF loader (NHS Digital long format, derived compilations, BCF.csv) and the BCF metric map."""

from __future__ import annotations

import datetime as dt

import pytest

from loaders import ascof, registry
from loaders.base import LoadError
from loaders.ingest import ingest_file
from metrics import store
from tests.fixtures.make_dtoc_sitrep_ascof import (
    ASCOF_AREAS,
    ASCOF_NUMBERS,
    write_ascof_compiled,
    write_ascof_long,
    write_bcf_csv,
)


def load(path, catalogue):
    return ascof.normalise(ascof.read(path), catalogue)


def value(tidy, metric_id, org):
    rows = tidy[(tidy["metric_id"] == metric_id) & (tidy["org_code"] == org)]
    assert len(rows) == 1, (metric_id, org, rows)
    return rows.iloc[0]


class TestSniff:
    def test_each_layout_recognised(self, tmp_path):
        long, _ = write_ascof_long(tmp_path)
        compiled, _ = write_ascof_compiled(tmp_path)
        for path in (long, compiled, write_bcf_csv(tmp_path)):
            assert registry.detect(path) is ascof, path.name


class TestLongFormat:
    @pytest.mark.parametrize("measure", list(ASCOF_NUMBERS))
    def test_outcome_with_numerator_and_denominator(self, tmp_path, catalogue, measure):
        path, _ = write_ascof_long(tmp_path)
        tidy = load(path, catalogue).tidy
        for k, (_code, _desc, _level, ons) in enumerate(ASCOF_AREAS[:2]):
            num, den, scale = ASCOF_NUMBERS[measure]
            row = value(tidy, ascof.MEASURE_CODES[measure], ons)
            assert (row.numerator, row.denominator) == (num + k, den + 10 * k)
            assert row.value == round((num + k) / (den + 10 * k) * scale, 1)
            assert row.period_start == dt.date(2020, 4, 1)

    def test_england_kept_and_council_type_rows_ignored(self, tmp_path, catalogue):
        path, _ = write_ascof_long(tmp_path)
        result = load(path, catalogue)
        assert value(result.tidy, "ascof_2a1", "E92000001").value > 0
        assert set(result.tidy["org_code"]) == {"E06000016", "E10000018", "E06000017", "E92000001"}

    def test_suppressed_values_are_missing_not_zero(self, tmp_path, catalogue):
        path, _ = write_ascof_long(tmp_path, suppressed=("510", "2B2"))
        result = load(path, catalogue)
        tidy = result.tidy
        assert tidy[(tidy.metric_id == "ascof_2b2") & (tidy.org_code == "E06000017")].empty
        assert "1 outcome value(s) are suppressed ([x]/[c]) and were not stored" in result.warnings

    @pytest.mark.parametrize(
        ("name", "start"),
        [
            ("meas-from-asc-of-eng-2021-open-data-csv_v2.xlsx", 2020),
            ("meas-from-asc-of-eng-1920-open-data-csv.xlsx", 2019),
        ],
    )
    def test_year_taken_from_nhs_digital_name_with_a_warning(self, tmp_path, catalogue, name, start):
        path, _ = write_ascof_long(tmp_path, name=name)
        result = load(path, catalogue)
        assert set(result.tidy["period_start"]) == {dt.date(start, 4, 1)}
        assert f"the table carries no year: {start}-{str(start + 1)[-2:]} was taken from the file name" in (
            result.warnings
        )

    def test_no_year_anywhere_is_an_error(self, tmp_path, catalogue):
        path, _ = write_ascof_long(tmp_path, name="ascof.xlsx")
        with pytest.raises(LoadError) as err:
            load(path, catalogue)
        assert str(err.value).startswith("'ascof.xlsx': the ASCOF table has no year column")

    def test_text_in_measure_value_named_with_row(self, tmp_path, catalogue):
        path, _ = write_ascof_long(tmp_path, name="meas-from-asc-of-eng-2021-x.xlsx", bad_value="n/k")
        with pytest.raises(LoadError) as err:
            load(path, catalogue)
        assert str(err.value) == (
            "'meas-from-asc-of-eng-2021-x.xlsx', sheet 'in', row 4, column 'Measure Value': 'n/k' is not a number "
            "(expected a number, or '-' for no figure)"
        )

    def test_single_sheet_in_without_ascof_columns_is_named(self, tmp_path, catalogue):
        from openpyxl import Workbook

        wb = Workbook()
        wb.active.title = "in"
        wb.active.append(["a", "b"])
        path = tmp_path / "other.xlsx"
        wb.save(path)
        with pytest.raises(LoadError) as err:
            ascof.read(path)
        assert str(err.value).startswith(
            "'other.xlsx', row 1: the header is not an ASCOF layout (expected columns Geographical Level, ONS Code"
        )


class TestCompiled:
    @pytest.mark.parametrize(("year", "start"), [(2019, 2018), (2020, 2019)])
    def test_descriptions_matched_and_marked_derived(self, tmp_path, catalogue, year, start):
        path, expected = write_ascof_compiled(tmp_path, year=year, seed=year)
        result = load(path, catalogue)
        assert result.derived
        assert result.vintage < "2"
        tidy = result.tidy
        assert len(tidy) == len(expected)
        for (metric, ons), v in expected.items():
            row = value(tidy, metric, ons)
            assert row.value == v
            assert row.period_start == dt.date(start, 4, 1)

    def test_derived_does_not_replace_the_original(self, tmp_path, catalogue, sqlite_engine):
        """Same year from both: the NHS Digital file wins whichever order they arrive in."""
        original, _ = write_ascof_long(tmp_path, name="meas-from-asc-of-eng-1920-open-data-csv.xlsx")
        compiled, _ = write_ascof_compiled(tmp_path, year=2020)
        ingest_file(original, sqlite_engine, catalogue)
        before = store.read_observations(sqlite_engine, metric_ids=["ascof_2a1"], org_codes=["E06000016"])
        outcome = ingest_file(compiled, sqlite_engine, catalogue)
        assert outcome.kept_newer > 0
        after = store.read_observations(sqlite_engine, metric_ids=["ascof_2a1"], org_codes=["E06000016"])
        assert after["value"].tolist() == before["value"].tolist()


class TestBcfFile:
    def test_bcf_analysis_output_recognised_and_skipped(self, tmp_path, catalogue, sqlite_engine):
        outcome = ingest_file(write_bcf_csv(tmp_path), sqlite_engine, catalogue)
        assert (outcome.status, outcome.rows) == ("loaded", 0)
        assert "recognised and not loaded" in outcome.warnings[0]


class TestBcfMetricMapping:
    def test_every_bcf_set_metric_is_loaded_or_generic_only(self, catalogue):
        in_sets = {m.id for m in catalogue.metrics if m.bcf_sets}
        assert in_sets == set(ascof.BCF_METRIC_SOURCES)

    def test_loaded_bcf_metrics_come_from_a_loader_source(self, catalogue):
        for metric_id, where in ascof.BCF_METRIC_SOURCES.items():
            metric = catalogue.metric_by_id[metric_id]
            if where == ascof.GENERIC_ONLY:
                assert metric.source == "bcf", metric_id
            else:
                assert metric.source in {"ascof", "dtoc"}, metric_id

    def test_ascof_bcf_metrics_are_produced_by_the_loader(self, tmp_path, catalogue):
        path, _ = write_ascof_long(tmp_path)
        produced = set(load(path, catalogue).tidy["metric_id"])
        for metric_id, where in ascof.BCF_METRIC_SOURCES.items():
            if where.startswith("loaders.ascof"):
                assert metric_id in produced
