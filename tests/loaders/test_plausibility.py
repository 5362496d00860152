"""Figures that cannot be true are refused (or, for a code's case, read canonically), in every loader.

Each hostile file is built in code. Where the store is involved the test runs on SQLite and
PostgreSQL and checks what a reader would see afterwards.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest

from loaders import ae
from loaders.base import LoadError, LoadResult
from loaders.cli import main
from loaders.ingest import ingest_paths, prepare_file
from loaders.sheet_tools import cell_number
from loaders.validate import first_unfinished_start, validate_tidy
from metrics import store
from tests.fixtures.make_ae_kh03 import PROVIDERS, ae_rows, write_ae_csv, write_kh03
from tests.unit.test_cli import HEADER, write_csv

FOUR_HOUR_ATT = "A&E attendances Type 1"
TWELVE_HOUR = "Patients who have waited 12+ hrs from DTA to admission"


def load(path):
    return ae.normalise(ae.read(path))


def ingest_one(path, engine, catalogue, **kwargs):
    summary = ingest_paths([path], engine, catalogue, **kwargs)
    assert len(summary.outcomes) == 1
    return summary.outcomes[0]


def ae_csv(folder, *args, **kwargs):
    """``write_ae_csv`` into a folder created if missing (two publications of a month side by side)."""
    folder.mkdir(parents=True, exist_ok=True)
    return write_ae_csv(folder, *args, **kwargs)


def month_code(day: dt.date) -> str:
    return f"MSitAE-{day.strftime('%B').upper()}-{day.year}"


# ---------------------------------------------------------------------------- numbers read one way
@pytest.mark.parametrize(
    ("cell", "hint"),
    [("9,5", "a decimal comma? write 9.5"), ("٩٣", "digits must be 0-9"), ("９３", "digits must be 0-9")],
)
def test_the_template_refuses_a_decimal_comma_and_digits_outside_0_to_9(tmp_path, catalogue, cell, hint):
    path = write_csv(tmp_path, "figures.csv", [f'ae_attendances,RWE,2024-01-01,"{cell}",,,,'])
    engine = store.make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    outcome = ingest_one(path, engine, catalogue)
    engine.dispose()
    assert outcome.status == "error"
    assert f"row 2, column 'value': '{cell}' is not a number ({hint}" in outcome.error


def test_thousands_separators_are_still_read(tmp_path, catalogue):
    path = write_csv(tmp_path, "figures.csv", ['ae_attendances,RWE,2024-01-01,"20,000",,,,'])
    engine = store.make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert ingest_one(path, engine, catalogue).status == "loaded"
    assert store.read_observations(engine)["value"].tolist() == [20000.0]
    engine.dispose()


@pytest.mark.parametrize("cell", ["9,5", "٩٣", "1,23"])
def test_the_a_and_e_loader_refuses_them_too(tmp_path, cell):
    path = write_ae_csv(tmp_path, overrides={("RWE", TWELVE_HOUR): cell})
    with pytest.raises(LoadError, match=re.escape(f"'{TWELVE_HOUR}' is '{cell}', expected a whole number")):
        load(path)


@pytest.mark.parametrize("cell", ["9,5", "٩٣"])
def test_the_workbook_loaders_refuse_them_too(cell):
    with pytest.raises(ValueError):
        cell_number(cell)
    assert cell_number("1,234.5") == 1234.5


# ---------------------------------------------------------------------------- percentages
def test_a_fraction_for_a_percentage_is_refused_with_the_hint(tmp_path, catalogue):
    path = write_csv(tmp_path, "figures.csv", ["ae_4hr_all,RWE,2024-01-01,0.78,,,,"])
    engine = store.make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    outcome = ingest_one(path, engine, catalogue)
    engine.dispose()
    assert outcome.status == "error"
    assert "0.78 is below 1 for a percentage: the template wants 0-100 (write 78 for 78%)" in outcome.error


def test_a_percentage_truly_below_1_is_accepted_with_its_numerator_and_denominator(tmp_path, catalogue):
    path = write_csv(tmp_path, "figures.csv", ["ae_4hr_all,RWE,2024-01-01,0.78,78,10000,,"])
    engine = store.make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert ingest_one(path, engine, catalogue).status == "loaded"
    engine.dispose()


def test_a_percentage_that_disagrees_with_its_numerator_and_denominator_is_refused(tmp_path, catalogue):
    path = write_csv(tmp_path, "figures.csv", ["ae_4hr_all,RWE,2024-01-01,95,10,100,,"])
    engine = store.make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    outcome = ingest_one(path, engine, catalogue)
    engine.dispose()
    assert outcome.status == "error"
    assert "the value 95% does not agree with its numerator and denominator (10 / 100 = 10.0%)" in outcome.error


def test_a_published_rounding_is_not_a_disagreement(tmp_path, catalogue):
    path = write_csv(tmp_path, "figures.csv", ["ae_4hr_all,RWE,2024-01-01,70,14049,20000,,"])  # 70.245%
    engine = store.make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert ingest_one(path, engine, catalogue).status == "loaded"
    engine.dispose()


# ---------------------------------------------------------------------------- organisation codes
def test_a_lower_case_code_is_the_same_organisation_never_a_second_one(engine, tmp_path, catalogue):
    ingest_one(ae_csv(tmp_path / "a", "June-2020.csv"), engine, catalogue)
    organisations = len(store.read_organisations(engine))
    rows = ae_rows(seed=3)
    rows.loc[rows["code"] == "RWE", "code"] = "rwe"
    outcome = ingest_one(
        ae_csv(tmp_path / "b", "July-2020.csv", period="MSitAE-JULY-2020", rows=rows), engine, catalogue
    )
    assert outcome.status == "loaded", outcome.error
    assert "'rwe' as RWE" in " ".join(outcome.warnings)
    assert len(store.read_organisations(engine)) == organisations
    july = store.read_observations(engine, metric_ids=["ae_4hr_all"], start=dt.date(2020, 7, 1))
    assert "RWE" in set(july["org_code"]) and "rwe" not in set(july["org_code"])


def test_a_code_and_its_case_twin_in_one_file_are_two_values_for_one_organisation(tmp_path, catalogue):
    rows = ae_rows(seed=3)
    twin = rows[rows["code"] == "RWE"].assign(code="rwe")
    path = write_ae_csv(tmp_path, rows=pd.concat([rows, twin], ignore_index=True))
    result = load(path)
    with pytest.raises(LoadError, match="two values for the same metric, organisation and period"):
        validate_tidy(result, catalogue, path.name)


def test_far_more_organisations_than_any_publication_has_are_refused(tmp_path, catalogue):
    path = write_ae_csv(tmp_path, pad_rows=2100)
    with pytest.raises(LoadError, match=r"2,10\d organisations, more than any publication has \(at most 2,000"):
        validate_tidy(load(path), catalogue, path.name)


# ---------------------------------------------------------------------------- A&E arithmetic
def test_a_suppressed_attendance_makes_the_derived_figures_missing_not_zero(tmp_path):
    result = load(write_ae_csv(tmp_path, overrides={("RWE", FOUR_HOUR_ATT): "*"}))
    rwe = result.tidy[result.tidy["org_code"] == "RWE"]
    assert set(rwe["metric_id"]) == {"ae_12hr_dta", "ae_emergency_admissions"}
    # The other providers are whole.
    assert len(result.tidy[(result.tidy["org_code"] == "RTG") & (result.tidy["metric_id"] == "ae_4hr_all")]) == 1


def test_not_applicable_still_counts_as_none(tmp_path):
    result = load(write_ae_csv(tmp_path, overrides={("RWE", "A&E attendances Type 2"): "-"}))
    assert "ae_4hr_all" in set(result.tidy.loc[result.tidy["org_code"] == "RWE", "metric_id"])


def test_a_total_row_that_is_not_the_sum_of_the_providers_is_refused(tmp_path):
    path = write_ae_csv(tmp_path)
    lines = path.read_bytes().decode("utf-8").split("\r\n")
    cut = [line for line in lines if not line.startswith("MSitAE-JUNE-2020,RHM,")]  # a provider lost
    path.write_bytes("\r\n".join(cut).encode("utf-8"))
    with pytest.raises(LoadError, match=r"the TOTAL row gives [\d,]+ for 'A&E attendances Type 1' but the 4 provider"):
        load(path)


def test_a_file_without_a_total_row_loads_with_a_warning(tmp_path):
    result = load(write_ae_csv(tmp_path, total=None))
    assert result.warnings == ["the file has no TOTAL row, so it could not be checked for missing providers"]


def test_twelve_hour_waits_above_attendances_are_refused(tmp_path):
    rows = ae_rows(seed=1)
    attendances = int(rows.loc[rows["code"] == "RWE", [c for c in ae.ATTENDANCE_COLS]].sum(axis=1).iloc[0])
    path = write_ae_csv(tmp_path, overrides={("RWE", TWELVE_HOUR): attendances + 500_000})
    with pytest.raises(LoadError, match=r"12-hour waits from decision to admit \([\d,]+\) exceed attendances"):
        load(path)


# ---------------------------------------------------------------------------- periods and dates
@pytest.mark.parametrize("months_ahead", [0, 1])
def test_a_month_that_has_not_ended_is_refused(engine, tmp_path, catalogue, months_ahead):
    today = dt.date.today()
    month = dt.date(today.year + (today.month + months_ahead - 1) // 12, (today.month + months_ahead - 1) % 12 + 1, 1)
    path = write_ae_csv(tmp_path, f"{month:%B-%Y}.csv", period=month_code(month))
    outcome = ingest_one(path, engine, catalogue)
    assert outcome.status == "error"
    assert "the month has not ended yet, so it cannot have published figures" in outcome.error
    assert store.read_sources(engine).empty


def test_last_month_is_accepted(tmp_path, catalogue):
    last = first_unfinished_start("month") - dt.timedelta(days=1)
    path = write_ae_csv(tmp_path, period=month_code(last))
    validate_tidy(load(path), catalogue, path.name)


def test_a_quarter_still_running_is_refused_and_a_year_may_be(catalogue):
    start = first_unfinished_start("quarter")
    tidy = pd.DataFrame(
        {
            "metric_id": ["beds_ga_available", "bcf_pooled_fund"],
            "org_code": ["RWE", "E06000016"],
            "period_start": [start, dt.date(dt.date.today().year - (dt.date.today().month < 4), 4, 1)],
            "period_type": ["quarter", "year"],
            "numerator": [np.nan, np.nan],
            "denominator": [np.nan, np.nan],
            "value": [100.0, 1000.0],
        }
    )
    with pytest.raises(LoadError) as error:
        validate_tidy(LoadResult(tidy=tidy), catalogue, "plan.csv")
    assert "the quarter has not ended yet" in str(error.value)
    assert "bcf_pooled_fund" not in str(error.value)


def test_a_publication_date_in_the_future_is_refused_and_later_revisions_still_load(engine, tmp_path, catalogue):
    first = ae_csv(tmp_path / "a", "June-2020.csv", seed=1)
    outcome = ingest_one(first, engine, catalogue, published=dt.date(2099, 1, 1))
    assert outcome.status == "error"
    assert "the publication date given is 2099-01-01, after today" in outcome.error
    assert store.read_sources(engine).empty
    assert ingest_one(first, engine, catalogue, published=dt.date(2020, 7, 9)).status == "loaded"
    revised = ae_csv(tmp_path / "b", "June-2020-revised.csv", seed=5)
    outcome = ingest_one(revised, engine, catalogue, published=dt.date(2021, 1, 14))
    assert outcome.status == "loaded" and outcome.updated > 0


def test_a_workbook_stating_a_future_revision_date_is_refused(sqlite_engine, tmp_path, catalogue):
    path, _ = write_kh03(tmp_path, revised="1st January 2099")
    prepared = prepare_file(path, sqlite_engine, catalogue)
    assert prepared.outcome.status == "error"
    assert "the file states it was published 2099-01-01, after today" in prepared.outcome.error


def test_a_publication_date_before_the_period_is_refused(sqlite_engine, tmp_path, catalogue):
    path = write_ae_csv(tmp_path, "June-2020.csv")
    outcome = ingest_one(path, sqlite_engine, catalogue, published=dt.date(2020, 5, 1))
    assert "the publication date given is 2020-05-01, before the first period it describes (2020-06-01)" in (
        outcome.error
    )


def test_ingest_published_in_the_future_is_refused_on_the_command_line(tmp_path, capsys):
    path = write_csv(tmp_path, "figures.csv", ["ae_attendances,RWE,2024-01-01,20000,,,,"], header=HEADER)
    with pytest.raises(SystemExit):
        main(["ingest", str(path), "--db", f"sqlite:///{tmp_path / 'db.sqlite'}", "--published", "2099-01-01"])
    assert "'2099-01-01' is after today" in capsys.readouterr().err
    assert not (tmp_path / "db.sqlite").exists()


# ---------------------------------------------------------------------------- revisions dropping an organisation
def test_a_revision_that_no_longer_lists_an_organisation_keeps_its_figure_and_says_so(engine, tmp_path, catalogue):
    first = ae_csv(tmp_path / "a", "June-2020.csv", seed=1)
    assert ingest_one(first, engine, catalogue, published=dt.date(2020, 7, 9)).status == "loaded"
    before = store.read_observations(engine, org_codes=["RHM"])
    fewer = ae_rows(seed=5, providers=[p for p in PROVIDERS if p[0] != "RHM"])
    revised = ae_csv(tmp_path / "b", "June-2020-revised.csv", rows=fewer)
    outcome = ingest_one(revised, engine, catalogue, published=dt.date(2021, 1, 14))
    assert outcome.status == "loaded"
    (warning,) = [w for w in outcome.warnings if "no longer lists" in w]
    assert warning.startswith("this revision no longer lists 1 organisation(s) an earlier file of the same")
    assert "for 2020-06-01 (RHM): their 5 earlier figure(s) are kept, not removed" in warning
    after = store.read_observations(engine, org_codes=["RHM"])
    pd.testing.assert_frame_equal(after, before)  # kept, still traced to the first file
    assert outcome.updated > 0


def test_an_older_publication_without_an_organisation_is_not_reported(engine, tmp_path, catalogue):
    ingest_one(ae_csv(tmp_path / "a", "June-2020.csv", seed=1), engine, catalogue, published=dt.date(2021, 1, 14))
    fewer = ae_rows(seed=5, providers=[p for p in PROVIDERS if p[0] != "RHM"])
    older = ae_csv(tmp_path / "b", "June-2020-first.csv", rows=fewer)
    outcome = ingest_one(older, engine, catalogue, published=dt.date(2020, 7, 9))
    assert not [w for w in outcome.warnings if "no longer lists" in w]


def test_a_file_cut_short_without_its_total_row_is_refused(engine, tmp_path, catalogue):
    june = ae_csv(tmp_path / "a", "June-2020.csv", pad_rows=40)
    assert ingest_one(june, engine, catalogue).status == "loaded"
    text = write_ae_csv(tmp_path, "July-2020.csv", period="MSitAE-JULY-2020", pad_rows=40).read_bytes()
    cut = tmp_path / "b" / "July-2020.csv"
    cut.parent.mkdir()
    cut.write_bytes(b"\r\n".join(text.split(b"\r\n")[:12]) + b"\r\n")  # header and 11 providers, no TOTAL
    outcome = ingest_one(cut, engine, catalogue)
    assert outcome.status == "error"
    assert "gives ae_12hr_dta for 11 organisation(s) in 2020-07-01, but the same publication gave 46" in (
        outcome.error
    )
    assert "a cut or partial file? Nothing was loaded" in outcome.error
    assert len(store.read_sources(engine)) == 1
    whole = ae_csv(tmp_path / "c", "July-2020.csv", period="MSitAE-JULY-2020", pad_rows=40)
    assert ingest_one(whole, engine, catalogue).status == "loaded"
