"""The KH03 beds loader on generated workbooks in the published layout."""

from __future__ import annotations

import datetime as dt

import pytest

from loaders import kh03, registry
from loaders.base import LoadError
from loaders.ingest import ingest_file
from metrics import store
from tests.fixtures.make_ae_kh03 import write_kh03

GA = 1  # index of General & Acute within each group of five sectors


def load(path):
    return kh03.normalise(kh03.read(path))


def row(tidy, metric_id, org):
    rows = tidy[(tidy["metric_id"] == metric_id) & (tidy["org_code"] == org)]
    assert len(rows) == 1, (metric_id, org)
    return rows.iloc[0]


class TestValues:
    def test_ga_beds_and_occupancy_per_trust_and_england(self, tmp_path):
        path, rows = write_kh03(tmp_path)
        result = load(path)
        assert set(result.tidy["period_start"]) == {dt.date(2022, 7, 1)}
        assert set(result.tidy["period_type"]) == {"quarter"}
        for r in rows.itertuples():
            avail, occ = r.avail[GA], r.occ[GA]
            assert row(result.tidy, "beds_ga_available", r.code).value == pytest.approx(avail)
            assert row(result.tidy, "beds_ga_occupied", r.code).value == pytest.approx(occ)
            pct = row(result.tidy, "beds_ga_occupancy", r.code)
            assert (pct.numerator, pct.denominator) == (pytest.approx(occ), pytest.approx(avail))
            assert pct.value == pytest.approx(occ / avail * 100)
        england = sum(r.avail[GA] for r in rows.itertuples())
        assert row(result.tidy, "beds_ga_available", "E92000001").value == pytest.approx(england)
        assert result.organisations.set_index("code").loc["E92000001", "kind"] == "country"
        assert result.layout == "KH03 overnight beds, sheet 'NHS Trust by Sector'"

    @pytest.mark.parametrize(
        ("text", "start"),
        [
            ("July to September 2022", dt.date(2022, 7, 1)),
            ("April to June 2013", dt.date(2013, 4, 1)),
            ("October to December 2019", dt.date(2019, 10, 1)),
            ("January to March 2020", dt.date(2020, 1, 1)),
            ("Jan to Mar 2020", dt.date(2020, 1, 1)),
        ],
    )
    def test_period_cell_gives_the_first_day_of_the_quarter(self, tmp_path, text, start):
        path, _ = write_kh03(tmp_path, period=text)
        assert set(load(path).tidy["period_start"]) == {start}

    @pytest.mark.parametrize(
        ("year", "end", "start"),
        [
            ("2010-11", "June", dt.date(2010, 4, 1)),
            ("2010-11", "September", dt.date(2010, 7, 1)),
            ("2010-11", "December", dt.date(2010, 10, 1)),
            ("2010-11", "March", dt.date(2011, 1, 1)),
        ],
    )
    def test_without_a_period_cell_year_and_period_end_give_the_quarter(self, tmp_path, year, end, start):
        path, _ = write_kh03(tmp_path, period=None, year=year, period_end=end)
        assert set(load(path).tidy["period_start"]) == {start}

    def test_dash_cells_are_missing_not_zero(self, tmp_path):
        path, _ = write_kh03(tmp_path, overrides={("RAL", 7): "-", ("RAL", 13): "-"})
        tidy = load(path).tidy
        assert tidy[tidy["org_code"] == "RAL"].empty

    def test_no_available_beds_gives_no_occupancy(self, tmp_path):
        path, _ = write_kh03(tmp_path, overrides={("RAL", 7): 0, ("RAL", 13): 0})
        tidy = load(path).tidy
        assert row(tidy, "beds_ga_available", "RAL").value == 0
        assert tidy.query("metric_id == 'beds_ga_occupancy' and org_code == 'RAL'").empty

    def test_day_only_workbook_gives_the_day_only_metrics(self, tmp_path, catalogue):
        path, rows = write_kh03(
            tmp_path, title="Average daily number of available and occupied beds open day only by sector"
        )
        result = load(path)
        assert set(result.tidy["metric_id"]) == {
            "beds_ga_available_day",
            "beds_ga_occupied_day",
            "beds_ga_occupancy_day",
        }
        assert set(result.tidy["metric_id"]) <= set(catalogue.metric_by_id)
        assert "Day only" in result.publication


class TestVintage:
    def test_revised_date_is_the_publication_date(self, tmp_path):
        first, _ = write_kh03(tmp_path, "a.xlsx", published="24th November 2022")
        revised, _ = write_kh03(tmp_path, "b.xlsx", published="24th November 2022", revised="25th May 2023", seed=8)
        assert load(first).published == dt.date(2022, 11, 24)
        assert load(revised).published == dt.date(2023, 5, 25)
        assert load(first).vintage == load(revised).vintage  # same standing: the dates decide

    def test_revision_replaces_the_first_publication_in_either_order(self, tmp_path, catalogue):
        first, _ = write_kh03(tmp_path, "a.xlsx", published="24th November 2022")
        revised, rows = write_kh03(tmp_path, "b.xlsx", revised="25th May 2023", seed=8)
        results = []
        for name, order in (("x", (first, revised)), ("y", (revised, first))):
            engine = store.make_engine(f"sqlite:///{tmp_path / name}.sqlite")
            store.init_db(engine, catalogue)
            for p in order:
                assert ingest_file(p, engine, catalogue).status == "loaded"
            results.append(store.read_observations(engine).drop(columns="source_id"))
            engine.dispose()
        assert results[0].equals(results[1])
        rwe = results[0].query("metric_id == 'beds_ga_available' and org_code == 'RWE'").iloc[0]
        assert rwe.value == pytest.approx(rows.iloc[0].avail[GA])


class TestBadInput:
    def test_text_in_a_bed_column_names_the_row_and_column(self, tmp_path):
        path, _ = write_kh03(tmp_path, overrides={("R1H", 7): "many"})
        with pytest.raises(LoadError) as err:
            load(path)
        assert str(err.value) == (
            f"'{path.name}', sheet 'NHS Trust by Sector', row 20, column 'Available: General & Acute': "
            "'many' (R1H) is not a number of beds"
        )

    def test_occupied_above_available_is_rejected(self, tmp_path):
        path, _ = write_kh03(tmp_path, overrides={("RWE", 13): 99999})
        with pytest.raises(LoadError, match=r"row 18: occupied G&A beds \(99999.0\) exceed available beds"):
            load(path)

    def test_an_unreadable_period_cell_is_named(self, tmp_path):
        path, _ = write_kh03(tmp_path, period="Summer 2022")
        with pytest.raises(LoadError, match="'Period:' cell is 'Summer 2022', expected a quarter"):
            load(path)

    def test_truncated_workbook_changes_nothing(self, tmp_path, sqlite_engine, catalogue):
        good, _ = write_kh03(tmp_path, "good.xlsx")
        assert ingest_file(good, sqlite_engine, catalogue).status == "loaded"
        before = store.read_observations(sqlite_engine)
        bad, _ = write_kh03(tmp_path, "bad.xlsx", period="October to December 2022", seed=11)
        bad.write_bytes(bad.read_bytes()[: len(bad.read_bytes()) // 2])
        outcome = ingest_file(bad, sqlite_engine, catalogue)
        assert outcome.status in ("error", "unrecognised") and "bad.xlsx" in outcome.error
        assert store.read_observations(sqlite_engine).equals(before)
        with pytest.raises(LoadError, match="bad.xlsx"):
            load(bad)


class TestDetection:
    def test_detected_by_the_trust_sheet(self, tmp_path):
        path, _ = write_kh03(tmp_path, "renamed-anything.xlsx")
        assert registry.detect(path).__name__ == "loaders.kh03"

    @pytest.mark.parametrize(
        ("year", "end", "expected"),
        [("2010-11", "Feb", None), ("2010", "June", None), ("2019-20", "mar", dt.date(2020, 1, 1))],
    )
    def test_quarter_from_year_and_end(self, year, end, expected):
        assert kh03.quarter_start_from_end(year, end) == expected
