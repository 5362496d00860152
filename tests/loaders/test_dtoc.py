"""The DToC LA monthly loader on generated workbooks: id-column eras, reasons, codes and bad input."""

from __future__ import annotations

import datetime as dt

import pytest

from loaders import dtoc, registry
from loaders.base import LoadError, Peek
from loaders.ingest import ingest_file
from metrics import store
from tests.fixtures.make_dtoc_sitrep_ascof import (
    COUNCILS,
    REASON_IDS,
    write_dtoc_derived_csv,
    write_dtoc_workbook,
)

LLR = {"Leicester UA": "E06000016", "Leicestershire": "E10000018", "Rutland UA": "E06000017"}


def load(path, catalogue):
    return dtoc.normalise(dtoc.read(path), catalogue)


def value(tidy, metric_id, org):
    rows = tidy[(tidy["metric_id"] == metric_id) & (tidy["org_code"] == org)]
    assert len(rows) == 1, (metric_id, org, rows)
    return rows.iloc[0]


class TestSniff:
    def test_workbook_recognised_by_its_sheets(self, tmp_path):
        path, _ = write_dtoc_workbook(tmp_path)
        assert registry.detect(path) is dtoc

    @pytest.mark.parametrize("which", ["reason", "responsible"])
    def test_derived_compilations_recognised(self, tmp_path, which):
        path = write_dtoc_derived_csv(tmp_path, which)
        assert dtoc.sniff(Peek(path))

    def test_other_csv_not_recognised(self, tmp_path):
        path = tmp_path / "x.csv"
        path.write_text("a,b\n1,2\n")
        assert not dtoc.sniff(Peek(path))


class TestNormaliseEras:
    @pytest.mark.parametrize(
        ("era", "period"),
        [("sha", "April 2012"), ("region", "April 2014"), ("ons", "December 2016"), ("ons", "April 2017")],
    )
    def test_llr_councils_mapped_to_ons_codes_with_days_by_org(self, tmp_path, catalogue, era, period):
        path, values = write_dtoc_workbook(tmp_path, period=period, era=era, seed=3)
        result = load(path, catalogue)
        for name, code in LLR.items():
            v = values[name]
            assert value(result.tidy, "dtoc_days", code).value == v["total"]
            assert value(result.tidy, "dtoc_days_nhs", code).value == v["nhs"]
            assert value(result.tidy, "dtoc_days_social_care", code).value == v["social"]
            assert value(result.tidy, "dtoc_days_both", code).value == v["both"]
            assert value(result.tidy, "dtoc_days_acute", code).value == v["acute"]
            assert value(result.tidy, "dtoc_days_non_acute", code).value == v["non_acute"]
        assert result.warnings == []

    def test_period_comes_from_the_period_cell_not_the_name(self, tmp_path, catalogue):
        path, _ = write_dtoc_workbook(tmp_path, name="Jan_15.xlsx", period="March 2013", era="sha")
        result = load(path, catalogue)
        assert set(result.tidy["period_start"]) == {dt.date(2013, 3, 1)}
        assert set(result.tidy["period_type"]) == {"month"}

    def test_england_row_is_e92000001(self, tmp_path, catalogue):
        path, values = write_dtoc_workbook(tmp_path, era="region", period="June 2014")
        result = load(path, catalogue)
        assert value(result.tidy, "dtoc_days", "E92000001").value == sum(v["total"] for v in values.values())
        kinds = result.organisations.set_index("code")["kind"]
        assert kinds["E92000001"] == "country"
        assert kinds["E06000016"] == "local_authority"

    @pytest.mark.parametrize(("period", "days"), [("February 2016", 29), ("April 2017", 30), ("December 2019", 31)])
    def test_beds_per_day_is_days_over_days_in_month(self, tmp_path, catalogue, period, days):
        path, values = write_dtoc_workbook(tmp_path, period=period)
        row = value(load(path, catalogue).tidy, "dtoc_beds_per_day", "E06000017")
        assert row.numerator == values["Rutland UA"]["total"]
        assert row.denominator == days
        assert row.value == pytest.approx(values["Rutland UA"]["total"] / days)

    @pytest.mark.parametrize(("period", "expected"), [("March 2017", REASON_IDS[:10]), ("April 2017", REASON_IDS)])
    def test_reasons_read_in_both_label_cases(self, tmp_path, catalogue, period, expected):
        path, values = write_dtoc_workbook(tmp_path, period=period)
        tidy = load(path, catalogue).tidy
        for i, reason in enumerate(expected):
            assert value(tidy, f"dtoc_days_reason_{reason}", "E06000016").value == values["Leicester UA"]["reasons"][i]
        assert ("dtoc_days_reason_o" in set(tidy["metric_id"])) == (period == "April 2017")

    def test_average_per_day_block_is_not_read_as_days(self, tmp_path, catalogue):
        path, values = write_dtoc_workbook(tmp_path, period="April 2018", with_average_block=True)
        tidy = load(path, catalogue).tidy
        assert len(tidy[(tidy.metric_id == "dtoc_days") & (tidy.org_code == "E10000018")]) == 1
        assert value(tidy, "dtoc_days", "E10000018").value == values["Leicestershire"]["total"]

    def test_vintage_sorts_originals_after_derived(self, tmp_path, catalogue):
        path, _ = write_dtoc_workbook(tmp_path)
        result = load(path, catalogue)
        assert result.vintage == "2:2018-05-10"
        assert result.vintage > dtoc.DERIVED


class TestCouncilCodes:
    @pytest.mark.parametrize(
        ("cassr", "period", "ons"),
        [
            ("509", dt.date(2011, 4, 1), "E06000016"),
            ("508", dt.date(2014, 1, 1), "E10000018"),
            ("510", dt.date(2012, 6, 1), "E06000017"),
            ("809", dt.date(2013, 1, 1), "E10000009"),
            ("809", dt.date(2019, 6, 1), "E06000059"),
            ("00KB", dt.date(2012, 1, 1), "E06000055"),
        ],
    )
    def test_table_maps_old_codes_at_the_period(self, cassr, period, ons):
        import pandas as pd

        assert dtoc.map_council_codes(pd.Series([cassr]), period).iloc[0] == ons

    def test_unknown_code_is_a_warning_and_the_row_is_kept(self, tmp_path, catalogue):
        councils = [*COUNCILS, ("999", "E06999999", "Nowhere UA", "East Midlands")]
        path, values = write_dtoc_workbook(tmp_path, era="sha", period="May 2012", councils=councils)
        result = load(path, catalogue)
        assert value(result.tidy, "dtoc_days", "999").value == values["Nowhere UA"]["total"]
        assert result.warnings == [
            "council code(s) 999 are not in loaders/reference/council_codes.csv; their rows were kept under the "
            "code as published"
        ]


class TestMissingAndBadInput:
    def test_suppressed_cell_is_missing_not_zero(self, tmp_path, catalogue):
        path, _ = write_dtoc_workbook(tmp_path, cell_overrides={("LA - by responsible org", "Rutland UA", 1): "-"})
        tidy = load(path, catalogue).tidy
        assert tidy[(tidy.metric_id == "dtoc_days_social_care") & (tidy.org_code == "E06000017")].empty
        assert not tidy[(tidy.metric_id == "dtoc_days_nhs") & (tidy.org_code == "E06000017")].empty

    def test_missing_sheet_is_named(self, tmp_path, catalogue):
        path, _ = write_dtoc_workbook(tmp_path, name="m.xlsx", drop_sheet="LA - by reason")
        with pytest.raises(LoadError) as err:
            load(path, catalogue)
        assert str(err.value) == (
            "'m.xlsx': the workbook has no sheet 'LA - by reason' (found: England, LA - by type of care, "
            "LA - by responsible org, Data Quality)"
        )

    def test_header_row_not_found(self, tmp_path, catalogue):
        path, _ = write_dtoc_workbook(tmp_path, name="h.xlsx", header_text_missing="LA - by type of care")
        with pytest.raises(LoadError) as err:
            load(path, catalogue)
        assert str(err.value) == (
            "'h.xlsx', sheet 'LA - by type of care': cannot find the header row (a row with 'Code' and 'Name' "
            "columns) in the first 80 rows"
        )

    def test_unknown_reason_column_is_named(self, tmp_path, catalogue):
        from tests.fixtures.make_dtoc_sitrep_ascof import REASONS_FROM_2017

        labels = [*REASONS_FROM_2017[:-1], "X) Something new"]
        path, _ = write_dtoc_workbook(tmp_path, name="r.xlsx", reason_labels=labels)
        with pytest.raises(LoadError) as err:
            load(path, catalogue)
        assert str(err.value) == (
            "'r.xlsx', sheet 'LA - by reason', row 14, column 'X) Something new': unknown reason column "
            "'X) Something new' (expected A) to I) with Di) and Dii), O) Other, and Total)"
        )

    def test_sheets_with_different_periods_rejected(self, tmp_path, catalogue):
        path, _ = write_dtoc_workbook(
            tmp_path, name="p.xlsx", period="May 2018", period_overrides={"LA - by reason": "April 2018"}
        )
        with pytest.raises(LoadError) as err:
            load(path, catalogue)
        assert str(err.value) == (
            "'p.xlsx', sheet 'LA - by reason', row 5: the Period: cell says 'April 2018' but sheet "
            "'LA - by responsible org' says 'May 2018': the sheets of one workbook must cover the same month"
        )

    def test_text_in_a_number_cell_is_named(self, tmp_path, catalogue):
        path, _ = write_dtoc_workbook(
            tmp_path, name="t.xlsx", cell_overrides={("LA - by responsible org", "Leicester UA", 0): "lots"}
        )
        with pytest.raises(LoadError) as err:
            load(path, catalogue)
        assert str(err.value) == (
            "'t.xlsx', sheet 'LA - by responsible org', row 18, column 'NHS': 'lots' is not a number "
            "(expected a number, or '-' for no figure)"
        )

    @pytest.mark.parametrize(
        "kwargs",
        [
            {"drop_sheet": "LA - by reason"},
            {"header_text_missing": "LA - by reason"},
            {"period_overrides": {"LA - by reason": "March 2017"}},
            {"reason_labels": ["Z) New", "Total"]},
        ],
    )
    def test_bad_workbook_leaves_the_database_unchanged(self, tmp_path, catalogue, sqlite_engine, kwargs):
        good, _ = write_dtoc_workbook(tmp_path, name="good.xlsx", period="April 2017", seed=1)
        assert ingest_file(good, sqlite_engine, catalogue).status == "loaded"
        before = store.read_observations(sqlite_engine)
        sources = len(store.read_sources(sqlite_engine))
        bad, _ = write_dtoc_workbook(tmp_path, name="bad.xlsx", period="April 2017", seed=2, **kwargs)
        outcome = ingest_file(bad, sqlite_engine, catalogue)
        assert outcome.status == "error"
        assert "bad.xlsx" in outcome.error
        after = store.read_observations(sqlite_engine)
        assert after.equals(before)
        assert len(store.read_sources(sqlite_engine)) == sources


class TestDerivedCompilations:
    @pytest.mark.parametrize("which", ["reason", "responsible"])
    def test_recognised_and_skipped_with_a_warning(self, tmp_path, catalogue, sqlite_engine, which):
        path = write_dtoc_derived_csv(tmp_path, which)
        outcome = ingest_file(path, sqlite_engine, catalogue)
        assert outcome.status == "loaded"
        assert outcome.rows == 0
        assert "third-party compilation" in outcome.warnings[0]
        assert store.read_sources(sqlite_engine)["derived"].astype(bool).tolist() == [True]


class TestBackends:
    def test_workbook_round_trips_through_each_store(self, tmp_path, catalogue, engine):
        path, values = write_dtoc_workbook(tmp_path, period="November 2018", seed=5)
        assert ingest_file(path, engine, catalogue).status == "loaded"
        rows = store.read_observations(engine, metric_ids=["dtoc_days"], org_codes=list(LLR.values()))
        got = dict(zip(rows["org_code"], rows["value"], strict=True))
        assert got == {code: float(values[name]["total"]) for name, code in LLR.items()}
        again = ingest_file(path, engine, catalogue)
        assert again.status == "unchanged"
