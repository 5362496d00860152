"""The ONS population CSV loader: bands given directly or summed from single years of age."""

from __future__ import annotations

import datetime as dt

import pytest

from loaders import population, registry
from loaders.base import LoadError
from tests.fixtures.make_dtoc_sitrep_ascof import write_population_csv


def load(path, catalogue):
    return population.normalise(population.read(path), catalogue)


def values(tidy):
    return {(r.metric_id, r.org_code, r.period_start): r.value for r in tidy.itertuples()}


class TestPopulation:
    def test_recognised_by_header(self, tmp_path):
        path = write_population_csv(tmp_path, [("E06000016", 2019, "18+", 1)])
        assert registry.detect(path) is population

    def test_direct_bands_filed_under_the_financial_year(self, tmp_path, catalogue):
        path = write_population_csv(
            tmp_path,
            [
                ("509", 2019, "18+", '"275,000"'),
                ("E06000016", 2019, "65+", 40000),
                ("E06000016", 2019, "18-64", 235000),
            ],
        )
        got = values(load(path, catalogue).tidy)
        start = dt.date(2019, 4, 1)
        assert got == {
            ("population_18plus", "E06000016", start): 275000.0,
            ("population_65plus", "E06000016", start): 40000.0,
            ("population_18_64", "E06000016", start): 235000.0,
        }

    def test_single_years_summed_into_bands(self, tmp_path, catalogue):
        rows = [("E06000017", 2018, str(age), 100) for age in range(90)] + [("E06000017", 2018, "90+", 50)]
        got = values(load(write_population_csv(tmp_path, rows), catalogue).tidy)
        start = dt.date(2018, 4, 1)
        assert got[("population_18plus", "E06000017", start)] == 72 * 100 + 50
        assert got[("population_18_64", "E06000017", start)] == 47 * 100
        assert got[("population_65plus", "E06000017", start)] == 25 * 100 + 50

    def test_direct_band_wins_over_summed_single_years(self, tmp_path, catalogue):
        rows = [("E06000017", 2018, str(age), 100) for age in range(18, 90)] + [("E06000017", 2018, "18+", 9999)]
        got = values(load(write_population_csv(tmp_path, rows), catalogue).tidy)
        assert got[("population_18plus", "E06000017", dt.date(2018, 4, 1))] == 9999

    def test_blank_population_is_missing(self, tmp_path, catalogue):
        path = write_population_csv(tmp_path, [("E06000016", 2019, "18+", "-"), ("E06000016", 2019, "65+", 1)])
        tidy = load(path, catalogue).tidy
        assert set(tidy["metric_id"]) == {"population_65plus"}

    @pytest.mark.parametrize(
        ("rows", "message"),
        [
            (
                [("E06000016", 2019, "adults", 1)],
                "'population.csv', row 2, column 'age_band': unknown age band 'adults' (expected 18+, 18-64, 65+, or "
                "single years 0 ... 89 and 90+)",
            ),
            (
                [("E06000016", "twenty", "18+", 1)],
                "'population.csv', row 2, column 'year': 'twenty' is not a year (expected e.g. 2019 for mid-2019)",
            ),
            (
                [("E06000016", 2019, "18+", "many")],
                "'population.csv', row 2, column 'population': 'many' is not a number of people",
            ),
            (
                [("E06000016", 2019, "18+", 1), ("509", 2019, "18+", 2)],
                "'population.csv', row 3: the same area, year and age band appears twice",
            ),
            (
                [("E06000016", 2019, "60+", 1)],
                "'population.csv', row 2, column 'age_band': open age band '60+' overlaps 18-64 (an open band must "
                "start at 65 or later, e.g. 90+)",
            ),
        ],
    )
    def test_bad_rows_named(self, tmp_path, catalogue, rows, message):
        with pytest.raises(LoadError) as err:
            load(write_population_csv(tmp_path, rows), catalogue)
        assert str(err.value) == message

    def test_unexpected_column_refused(self, tmp_path, catalogue):
        path = tmp_path / "population.csv"
        path.write_text("area_code,year,age_band,population,sex\nE06000016,2019,18+,1,F\n")
        with pytest.raises(LoadError) as err:
            load(path, catalogue)
        assert str(err.value) == (
            "'population.csv', row 1: unexpected column(s) 'sex'; expected exactly area_code, year, age_band, "
            "population"
        )
