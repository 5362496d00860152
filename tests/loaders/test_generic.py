"""Tests for loaders.generic: the generic indicator template (CSV or XLSX, one row per value)."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest
from openpyxl import Workbook

from loaders import generic
from loaders.base import LoadError, Peek
from loaders.registry import detect

D = dt.date
HEADER = "metric_id,org_code,period,value,numerator,denominator,note,source"


def write_csv(tmp_path: Path, *rows: str, header: str = HEADER, name: str = "figures.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def write_xlsx(tmp_path: Path, rows: list[list], name: str = "figures.xlsx") -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = "Figures"
    for row in rows:
        sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return path


def load(path: Path, catalogue, known_orgs=frozenset()):
    return generic.normalise(generic.read(path), catalogue, known_orgs=known_orgs)


def load_error(path: Path, catalogue, known_orgs=frozenset()) -> LoadError:
    with pytest.raises(LoadError) as info:
        load(path, catalogue, known_orgs)
    return info.value


def records(result) -> list[tuple]:
    """Tidy rows as tuples, a missing number as None."""

    def number(x):
        return None if x is None or math.isnan(x) else x

    return [
        (
            r["metric_id"],
            r["org_code"],
            r["period_start"],
            r["period_type"],
            number(r["numerator"]),
            number(r["denominator"]),
            number(r["value"]),
        )
        for r in result.tidy.to_dict("records")
    ]


class TestSniff:
    def test_template_csv_is_recognised(self, tmp_path):
        path = write_csv(tmp_path, "ae_4hr_all,RWE,2024-01,70,,,,")
        assert generic.sniff(Peek(path))
        assert detect(path) is generic

    def test_header_order_and_case_do_not_matter(self, tmp_path):
        path = write_csv(tmp_path, "70,2024-01,RWE,ae_4hr_all", header="Value,Period,Org_Code,Metric_ID")
        assert generic.sniff(Peek(path))

    def test_template_xlsx_is_recognised(self, tmp_path):
        path = write_xlsx(
            tmp_path, [["metric_id", "org_code", "period", "value"], ["ae_4hr_all", "RWE", "2024-01", 70]]
        )
        assert generic.sniff(Peek(path))

    def test_other_csv_is_not_the_template(self, tmp_path):
        path = write_csv(tmp_path, "a,b", header="Period,Org Code")
        assert not generic.sniff(Peek(path))


class TestNormaliseValidFiles:
    def test_csv_rows_become_tidy_rows_with_value_from_numerator_and_denominator(self, tmp_path, catalogue):
        path = write_csv(
            tmp_path,
            "ae_4hr_all,RWE,2024-01,,14000,20000,,",
            "ae_attendances,RWE,January 2024,20000,,,,",
            "beds_ga_occupancy,RWE,2023/24 Q3,93.4,,,,",
            "ascof_2b1,E06000017,2016/17,90,,,quoted in the BCF update,",
            "dtoc_days_per_100k,E06000016,2019-01-01,,100,270000,,",
        )
        assert records(load(path, catalogue)) == [
            ("ae_4hr_all", "RWE", D(2024, 1, 1), "month", 14000.0, 20000.0, 70.0),
            ("ae_attendances", "RWE", D(2024, 1, 1), "month", None, None, 20000.0),
            ("beds_ga_occupancy", "RWE", D(2023, 10, 1), "quarter", None, None, 93.4),
            ("ascof_2b1", "E06000017", D(2016, 4, 1), "year", None, None, 90.0),
            ("dtoc_days_per_100k", "E06000016", D(2019, 1, 1), "month", 100.0, 270000.0, pytest.approx(100 / 2.7)),
        ]

    def test_a_given_value_is_kept_beside_its_numerator_and_denominator(self, tmp_path, catalogue):
        path = write_csv(tmp_path, "ae_4hr_all,RWE,2024-01,70.1,14000,20000,,")
        assert records(load(path, catalogue))[0][4:] == (14000.0, 20000.0, 70.1)

    def test_xlsx_rows_become_tidy_rows(self, tmp_path, catalogue):
        path = write_xlsx(
            tmp_path,
            [
                ["metric_id", "org_code", "period", "value", "numerator", "denominator"],
                ["ae_4hr_all", "RWE", dt.datetime(2024, 1, 1), None, 14000, 20000],  # a date cell
                ["ae_4hr_all", "RWE", "2024-02", None, 13500, 18000],
                ["beds_ga_available", "RWE", "2023-Q4", 1850, None, None],
            ],
        )
        assert records(load(path, catalogue)) == [
            ("ae_4hr_all", "RWE", D(2024, 1, 1), "month", 14000.0, 20000.0, 70.0),
            ("ae_4hr_all", "RWE", D(2024, 2, 1), "month", 13500.0, 18000.0, 75.0),
            ("beds_ga_available", "RWE", D(2023, 10, 1), "quarter", None, None, 1850.0),
        ]

    def test_old_council_code_is_stored_under_the_current_code(self, tmp_path, catalogue):
        path = write_csv(tmp_path, "dtoc_days,509,2019-01,100,,,,", "dtoc_days,508,2019-01,200,,,,")
        assert [r[1] for r in records(load(path, catalogue))] == ["E06000016", "E10000018"]

    def test_organisation_already_in_the_store_is_accepted(self, tmp_path, catalogue):
        path = write_csv(tmp_path, "ae_4hr_all,RX1,2024-01,,14000,20000,,")
        assert records(load(path, catalogue, known_orgs={"RX1"}))[0][1] == "RX1"

    def test_thousands_separators_and_percent_signs_are_read(self, tmp_path, catalogue):
        path = write_csv(tmp_path, 'ae_attendances,RWE,2024-01,"20,000",,,,', "ae_4hr_all,RWE,2024-01,70.5%,,,,")
        assert [r[6] for r in records(load(path, catalogue))] == [20000.0, 70.5]

    def test_source_column_names_the_publication(self, tmp_path, catalogue):
        path = write_csv(tmp_path, "ae_4hr_all,LLR,2016-09,79.48,,,,Rutland HWB pack 31 Jan 2017")
        assert load(path, catalogue).publication == "Rutland HWB pack 31 Jan 2017"

    def test_rows_marked_demo_make_a_demo_file(self, tmp_path, catalogue):
        header = "metric_id,org_code,period,value,demo"
        path = write_csv(tmp_path, "ae_4hr_all,RWE,2024-01,70,yes", "ae_4hr_all,RWE,2024-02,71,Yes", header=header)
        assert load(path, catalogue).is_demo is True

    def test_rows_without_a_demo_flag_are_real(self, tmp_path, catalogue):
        path = write_csv(tmp_path, "ae_4hr_all,RWE,2024-01,70,,,,")
        assert load(path, catalogue).is_demo is False


class TestNormaliseBadInput:
    @pytest.mark.parametrize(
        ("row", "column", "message"),
        [
            ("ae_4hr,RWE,2024-01,70,,,,", "metric_id", "'ae_4hr' is not a metric in the catalogue"),
            (
                "ae_4hr_all,RWW,2024-01,70,,,,",
                "org_code",
                "'RWW' is not an organisation in the catalogue or the database (a typo?)",
            ),
            ("ae_4hr_all,RWE,2024-13,70,,,,", "period", "'2024-13' is not a month"),
            ("ae_4hr_all,RWE,Smarch 2024,70,,,,", "period", "'Smarch 2024' is not a month"),
            ("ae_4hr_all,RWE,,70,,,,", "period", "the period is blank"),
            (
                "ae_4hr_all,RWE,2023/24,70,,,,",
                "period",
                "'2023/24' is a year, but the metric is reported by month",
            ),
            (
                "beds_ga_available,RWE,2024-01,1850,,,,",
                "period",
                "'2024-01' is a month, but the metric is reported by quarter",
            ),
            ("ae_4hr_all,RWE,2024-01,abc,,,,", "value", "'abc' is not a number"),
            ("ae_4hr_all,RWE,2024-01,,14000,twenty,,", "denominator", "'twenty' is not a number"),
            ("ae_4hr_all,RWE,2024-01,,,,,", "value", "no value (and no numerator and denominator to compute it from)"),
            (
                "ae_4hr_all,RWE,2024-01,,14000,,,",
                "value",
                "no value (and no numerator and denominator to compute it from)",
            ),
            (
                "ae_attendances,RWE,2024-01,,-5,10,,",
                "numerator",
                "numerator and denominator are counts and cannot be negative (a negative value is allowed)",
            ),
        ],
    )
    def test_bad_cell_names_file_row_and_column(self, tmp_path, catalogue, row, column, message):
        path = write_csv(tmp_path, "ae_4hr_all,RWE,2023-12,70,,,,", row)
        error = load_error(path, catalogue)
        assert (error.file, error.row, error.column) == ("figures.csv", 3, column)
        assert str(error) == f"'figures.csv', row 3, column '{column}': {message}"

    def test_bad_cell_in_xlsx_names_the_spreadsheet_row(self, tmp_path, catalogue):
        path = write_xlsx(
            tmp_path,
            [
                ["metric_id", "org_code", "period", "value"],
                ["ae_4hr_all", "RWE", "2024-01", 70],
                ["ae_4hr_all", "RWE", "2024-02", 71],
                ["ae_4hr_all", "RWE", "2024-03", "n.a."],
            ],
        )
        assert str(load_error(path, catalogue)) == "'figures.xlsx', row 4, column 'value': 'n.a.' is not a number"

    def test_missing_required_column_is_named(self, tmp_path, catalogue):
        path = write_csv(tmp_path, "ae_4hr_all,RWE,70", header="metric_id,org_code,value")
        assert str(load_error(path, catalogue)) == (
            "'figures.csv', row 1: the header has no 'period' column; expected columns metric_id, org_code, "
            "period, value (and optionally numerator, denominator, note, source, demo)"
        )

    def test_unexpected_column_is_named(self, tmp_path, catalogue):
        path = write_csv(tmp_path, "ae_4hr_all,RWE,2024-01,70,red", header="metric_id,org_code,period,value,colour")
        assert str(load_error(path, catalogue)) == "'figures.csv', row 1: unexpected column(s) 'colour'"

    def test_header_without_rows_is_refused(self, tmp_path, catalogue):
        path = write_csv(tmp_path)
        assert str(load_error(path, catalogue)) == "'figures.csv': the file has a header but no rows"

    def test_duplicated_row_names_both_rows(self, tmp_path, catalogue):
        # 2024-01 and 2024-01-01 are the same month.
        path = write_csv(
            tmp_path,
            "ae_4hr_all,RWE,2024-01,70,,,,",
            "ae_4hr_all,RWE,2024-02,71,,,,",
            "ae_attendances,RWE,2024-02,9000,,,,",
            "ae_4hr_all,RWE,2024-02-01,72,,,,",
            "ae_4hr_all,RWE,2024-01-01,73,,,,",
        )
        assert str(load_error(path, catalogue)) == (
            "'figures.csv', row 5, column 'period': repeats row 3 (the same metric, organisation and period)"
        )

    def test_old_and_new_council_codes_for_the_same_period_are_a_duplicate(self, tmp_path, catalogue):
        path = write_csv(tmp_path, "dtoc_days,509,2019-01,100,,,,", "dtoc_days,E06000016,2019-01,100,,,,")
        assert load_error(path, catalogue).row == 3

    def test_mixed_demo_flags_name_the_first_row_that_differs(self, tmp_path, catalogue):
        header = "metric_id,org_code,period,value,demo"
        path = write_csv(
            tmp_path,
            "ae_4hr_all,RWE,2024-01,70,yes",
            "ae_4hr_all,RWE,2024-02,70,yes",
            "ae_4hr_all,RWE,2024-03,70,",
            header=header,
        )
        assert str(load_error(path, catalogue)) == (
            "'figures.csv', row 4, column 'demo': row 2 is marked demo but this row is not: "
            "a file is either demonstration data or real"
        )

    def test_demo_flag_that_is_not_yes_or_no_is_named(self, tmp_path, catalogue):
        path = write_csv(tmp_path, "ae_4hr_all,RWE,2024-01,70,maybe", header="metric_id,org_code,period,value,demo")
        assert str(load_error(path, catalogue)) == "'figures.csv', row 2, column 'demo': 'maybe' is not yes or no"

    def test_first_bad_row_rejects_the_whole_file(self, tmp_path, catalogue):
        rows = [f"ae_attendances,RWE,2023-{m:02d},{1000 + m},,,," for m in range(1, 13)]
        rows[7] = "ae_attendances,RWE,2023-08,lots,,,,"
        path = write_csv(tmp_path, *rows)
        assert load_error(path, catalogue).row == 9


class TestNegativeCounts:
    def test_negative_numerator_is_rejected_even_for_a_percentage(self, tmp_path, catalogue):
        from loaders import generic
        from loaders.base import LoadError

        path = tmp_path / "negative.csv"
        path.write_text("metric_id,org_code,period,value,numerator,denominator\nae_4hr_all,RWE,2024-01,,-5,10\n")
        with pytest.raises(LoadError) as err:
            generic.normalise(generic.read(path), catalogue)
        assert str(err.value) == (
            "'negative.csv', row 2, column 'numerator': numerator and denominator are counts and cannot be "
            "negative (a negative value is allowed)"
        )

    def test_negative_value_without_counts_is_accepted(self, tmp_path, catalogue):
        from loaders import generic

        path = tmp_path / "change.csv"
        path.write_text("metric_id,org_code,period,value\nemergency_admissions_change,E06000017,2016/17,-3\n")
        assert generic.normalise(generic.read(path), catalogue).tidy["value"].tolist() == [-3.0]


class TestProvenance:
    """The ``source`` row says what was loaded: never the committee papers unless the file cites them."""

    def loaded_source(self, path, engine, catalogue) -> dict:
        from loaders.ingest import ingest_file
        from metrics import store

        assert ingest_file(path, engine, catalogue).status == "loaded"
        return store.read_sources(engine).iloc[0].to_dict()

    def test_an_upload_naming_its_document_is_a_local_file_citing_it(self, tmp_path, sqlite_engine, catalogue):
        path = write_csv(tmp_path, "bcf_non_elective_admissions,E06000017,2024/25 Q1,210,,,,Rutland BCF plan 2024-25")
        src = self.loaded_source(path, sqlite_engine, catalogue)
        assert src["publisher"] == "Supplied locally (generic indicator template)"
        assert src["publication"] == "Local file citing Rutland BCF plan 2024-25 (not an official statistic)"
        assert src["licence"] == "None claimed: supplied locally, not an official statistic"
        assert not src["is_demo"]

    def test_a_typed_ae_figure_is_never_recorded_as_the_national_statistic(self, tmp_path, sqlite_engine, catalogue):
        path = write_csv(
            tmp_path,
            "ae_4hr_all,RWE,2024-01-01,71.25,5700,8000",
            header="metric_id,org_code,period,value,numerator,denominator",
        )
        src = self.loaded_source(path, sqlite_engine, catalogue)
        assert src["publisher"] == "Supplied locally (generic indicator template)"
        assert src["publication"] == f"Local file {path.name}, not an official statistic"
        assert "Open Government Licence" not in src["licence"]
        assert "NHS England" not in f"{src['publisher']} {src['publication']}"

    def test_mixed_or_committee_only_metrics_without_a_committee_paper_are_a_local_return(
        self, tmp_path, sqlite_engine, catalogue
    ):
        path = write_csv(
            tmp_path,
            "community_hospital_beds,LLR,2024/25,230,,,,",
            "ae_4hr_all,RWE,2024-01,70,14000,20000,,",
        )
        src = self.loaded_source(path, sqlite_engine, catalogue)
        assert src["publisher"] == "Supplied locally (generic indicator template)"
        assert "committee" not in src["publisher"].lower()

    def test_figures_citing_a_committee_pack_are_committee_figures(self, tmp_path, sqlite_engine, catalogue):
        path = write_csv(
            tmp_path, "ae_4hr_all,LLR,2016-09,79.48,,,,Rutland Health and Wellbeing Board pack 31 Jan 2017"
        )
        src = self.loaded_source(path, sqlite_engine, catalogue)
        assert src["publisher"] == catalogue.sources["committee"].publisher
        assert src["publication"] == "Rutland Health and Wellbeing Board pack 31 Jan 2017"

    def test_demo_rows_are_the_demo_source(self, tmp_path, sqlite_engine, catalogue):
        path = write_csv(
            tmp_path,
            "ae_4hr_all,RWE,2024-01,70,14000,20000,yes",
            header="metric_id,org_code,period,value,numerator,denominator,demo",
        )
        src = self.loaded_source(path, sqlite_engine, catalogue)
        assert src["publisher"] == "Demonstration data generated by loaders/demo.py"
        assert src["licence"] == "Not real figures; for demonstrating the dashboard only"
        assert bool(src["is_demo"]) is True
