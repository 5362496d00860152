"""Hostile input files against a populated database (issue #11, the input-file half).

Every hostile file must be refused with a message naming its place, never raise, never take the
process down, and leave every table exactly as it was (SQLite and PostgreSQL: full dumps of every
table are compared before and after).
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect, select

from loaders.ingest import ingest_file, ingest_paths, prepare_file, prepare_upload
from metrics import store
from tests.conftest import POSTGRES_URL, _postgres_engine, public_file
from tests.fixtures import make_hostile as hostile
from tests.fixtures.make_ae_kh03 import write_ae_csv, write_kh03

CELLS = "5,000,000 cells (LLR_MAX_SHEET_CELLS); it was not read"
ORG_CODE_RULE = "(expected an ODS or ONS code: letters and digits, at most 12 characters)"


def dump(engine) -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order."""
    out = {}
    with engine.connect() as conn:
        for name in sorted(inspect(engine).get_table_names()):
            table = store.metadata.tables.get(name)
            if table is None:
                continue
            rows = conn.execute(select(table)).all()
            out[name] = sorted((tuple(r) for r in rows), key=repr)
    return out


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def populated(request, tmp_path_factory, catalogue):
    """The store on each backend holding an A&E month, a KH03 quarter and a generic figure.

    One store per backend for the whole module: every test here leaves it as it was (that is
    what they check), and loading it once keeps the suite quick.
    """
    folder = tmp_path_factory.mktemp("populated")
    schema = None
    if request.param == "sqlite":
        engine = store.make_engine(f"sqlite:///{folder / 'store.sqlite'}")
        store.init_db(engine, catalogue)
    else:
        engine, schema = _postgres_engine(catalogue)
    good = folder / "good"
    good.mkdir()
    write_ae_csv(good, "June-2020.csv")
    write_kh03(good)
    hostile.write_generic(good, [("ae_attendances", "RWE", "2024-01", 100, "", "")], name="committee.csv")
    summary = ingest_paths([good], engine, catalogue)
    assert [o.status for o in summary.outcomes] == ["loaded"] * 3, summary.lines()
    yield engine
    engine.dispose()
    if schema:
        from sqlalchemy import text

        admin = store.make_engine(POSTGRES_URL)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def refused(path: Path, engine, catalogue) -> str:
    """Ingest ``path``; assert it was refused and nothing changed; return the message."""
    before = dump(engine)
    outcome = ingest_file(path, engine, catalogue)
    assert outcome.status in ("error", "unrecognised"), outcome
    assert dump(engine) == before
    return outcome.error


def _generic(rows):
    return lambda folder: hostile.write_generic(folder, rows, name="figures.csv")


#: (case id, file builder, the whole message)
CASES = [
    (
        "cell at XFD1048576",
        hostile.write_far_cell_workbook,
        "'far_cell.xlsx': worksheet 'xl/worksheets/sheet1.xml' has a cell at row 1,048,576, column 16,384 "
        f"(a grid of 17,179,869,184 cells), over the limit of {CELLS}",
    ),
    (
        "declared dimension of the whole sheet",
        hostile.write_huge_dimension_workbook,
        "'huge_dimension.xlsx': worksheet 'xl/worksheets/sheet1.xml' declares a range of 17,179,869,184 cells, "
        f"over the limit of {CELLS}",
    ),
    (
        "zip bomb",
        hostile.write_zip_bomb_workbook,
        "'zip_bomb.xlsx': part 'xl/worksheets/sheet1.xml' of the workbook is compressed more than 200 to 1 "
        "(LLR_MAX_COMPRESSION_RATIO), as a zip bomb is; it was not read",
    ),
    (
        "too many zip parts",
        hostile.write_many_parts_workbook,
        "'many_parts.xlsx': the workbook holds 1205 parts, over the limit of 1000 (LLR_MAX_ZIP_ENTRIES); "
        "it was not read",
    ),
    (
        "truncated xlsx",
        hostile.write_truncated_xlsx,
        "'truncated_kh03.xlsx': the workbook is damaged or truncated: it is not a complete .xlsx (zip) file; "
        "download or save it again",
    ),
    (
        "truncated rda",
        hostile.write_truncated_rda,
        "'truncated_ae.rda': the R data file is damaged or truncated (it cannot be opened); download it again",
    ),
    (
        "KH03 sheet renamed",
        hostile.write_renamed_kh03,
        "'renamed_kh03.xlsx': no loader recognises this workbook: it has sheet(s) 'Trusts', 'Region by Sector', "
        "'Data Quality', and none of the sheets the supported publications have: 'NHS Trust by Sector' "
        "(KH03 beds), 'Provider Level Data' (A&E attendances), 'LA - by type of care' (delayed transfers of "
        "care), 'Cover Sheet' (discharge sitrep), 'Table 1' (2-hour urgent community response) "
        "(was a sheet renamed?)",
    ),
    (
        "KH03 org code a formula",
        hostile.write_kh03_formula_code,
        "'formula_kh03.xlsx', sheet 'NHS Trust by Sector', row 19, column 'Org Code': the row for "
        "'LEICESTERSHIRE PARTNERSHIP NHS TRUST' has no Org Code (is the cell a formula with no saved value?)",
    ),
    (
        "KH03 quarter in year 0000",
        lambda folder: hostile.write_kh03_period(folder, "January to March 0000"),
        "'kh03_period.xlsx', sheet 'NHS Trust by Sector': the 'Period:' cell is 'January to March 0000', "
        "expected a quarter like 'July to September 2022'",
    ),
    (
        "UTF-16 CSV",
        hostile.write_utf16_generic,
        "'utf16.csv': the file is encoded as UTF-16 (Excel's 'Unicode text'); save it as 'CSV UTF-8' and load that",
    ),
    (
        "unbalanced quote",
        hostile.write_ae_csv_unbalanced_quote,
        "'unbalanced.csv', row 3: a quotation mark opens in this row and is never closed, so the rest of the "
        "file runs into one cell (check the quotes)",
    ),
    (
        "quote opening a Period cell",
        hostile.write_ae_csv_quote_in_period,
        "'quoted_period.csv', row 4, column 'Period': a quotation mark is not closed, so the rest of the file "
        "runs into one cell (check the quotes in this row)",
    ),
    (
        "A&E org code a DDE formula",
        lambda folder: hostile.write_ae_csv_org(folder, "dde.csv", "+cmd|'/C calc'!A0"),
        "'dde.csv', row 2, column 'Org Code': ae_4hr_all for +cmd|'/C calc'!A0, June 2020: "
        f"'+cmd|'/C calc'!A0' is not an organisation code {ORG_CODE_RULE}",
    ),
    (
        "A&E org code a HYPERLINK formula",
        lambda folder: hostile.write_ae_csv_org(folder, "link.csv", '"=HYPERLINK(""http://x"",""y"")"'),
        "'link.csv', row 2, column 'Org Code': ae_4hr_all for =HYPERLINK(\"http://x\",\"y\"), June 2020: "
        f'\'=HYPERLINK("http://x","y")\' is not an organisation code {ORG_CODE_RULE}',
    ),
    (
        "A&E org code of 100,000 characters",
        lambda folder: hostile.write_ae_csv_org(folder, "long.csv", "R" * 100_000),
        f"'long.csv', row 2, column 'Org Code': ae_4hr_all for {'R' * 39}…, June 2020: '{'R' * 39}…' "
        f"is not an organisation code {ORG_CODE_RULE}",
    ),
    (
        "NUL byte near the top of a CSV",
        lambda folder: hostile.write_ae_csv_org(folder, "nul.csv", "RWE", "UNIVERSITY\x00HOSPITALS"),
        "'nul.csv': the file is not text, an Excel workbook or an R data file (is it damaged?)",
    ),
    (
        "A&E period in year 0000",
        lambda folder: write_ae_csv(folder, "y0.csv", period="MSitAE-JANUARY-0000"),
        "'y0.csv', row 2, column 'Period': 'Period' is 'MSitAE-JANUARY-0000': the year is out of range",
    ),
    (
        "population area code a formula",
        lambda folder: hostile.write_population(folder, "=1+1"),
        "'population.csv', row 2, column 'area_code': population_18plus for =1+1, 2020/21: '=1+1' is not an "
        f"organisation code {ORG_CODE_RULE}",
    ),
    (
        "population year 0000",
        lambda folder: hostile.write_population(folder, "E06000016", year="0000"),
        "'population.csv', row 2, column 'year': '0000' is not a year (expected e.g. 2019 for mid-2019)",
    ),
    (
        "negative attendances",
        _generic([("ae_attendances", "RWE", "2024-01", -500, "", "")]),
        "'figures.csv', row 2, column 'value': ae_attendances for RWE, January 2024: -500 is a count and "
        "cannot be negative",
    ),
    (
        "numerator above denominator",
        _generic([("ae_4hr_all", "RWE", "2024-01", "", 120, 100)]),
        "'figures.csv': 2 problems: row 2, column 'value': ae_4hr_all for RWE, January 2024: 120 is a "
        "percentage and cannot be above 100; row 2, column 'numerator': ae_4hr_all for RWE, January 2024: "
        "the numerator 120 is above the denominator 100 (a proportion cannot exceed 100%)",
    ),
    (
        "percentage of 150",
        _generic([("ae_4hr_all", "RWE", "2024-01", 150, "", "")]),
        "'figures.csv', row 2, column 'value': ae_4hr_all for RWE, January 2024: 150 is a percentage and "
        "cannot be above 100",
    ),
    (
        "period in 2099",
        _generic([("ae_attendances", "RWE", "2099-01", 5, "", "")]),
        "'figures.csv', row 2, column 'period': ae_attendances for RWE, January 2099: the period 2099-01-01 "
        "is outside 1990 to {next_month}",
    ),
    (
        "period in 1989",
        _generic([("ae_attendances", "RWE", "1989-12", 5, "", "")]),
        "'figures.csv', row 2, column 'period': ae_attendances for RWE, December 1989: the period 1989-12-01 "
        "is outside 1990 to {next_month}",
    ),
    (
        "nan would blank a stored figure",
        _generic([("ae_attendances", "RWE", "2024-01", "nan", "", "")]),
        "'figures.csv', row 2, column 'value': 'nan' is not a finite number",
    ),
    (
        "inf and 1e400",
        _generic(
            [("ae_attendances", "RWE", "2024-02", "inf", "", ""), ("ae_attendances", "RWE", "2024-03", "1e400", "", "")]
        ),
        "'figures.csv': 2 problems: row 2, column 'value': 'inf' is not a finite number; row 3, column 'value': "
        "'1e400' is not a finite number",
    ),
    (
        "years 0000, 9999/00 Q4 and 99999",
        _generic(
            [
                ("ae_attendances", "RWE", "0000-01", 5, "", ""),
                ("beds_ga_available", "RWE", "9999/00 Q4", 5, "", ""),
                ("ae_attendances", "RWE", "99999", 5, "", ""),
            ]
        ),
        "'figures.csv': 3 problems: row 2, column 'period': '0000-01' is not a period: its year is out of range; "
        "row 3, column 'period': '9999/00 Q4' is not a period: its year is out of range; row 4, column 'period': "
        "'99999' is not a period: expected 2024-01-01, 2024-01, 2023/24 Q3, 2023-Q4 or 2023/24",
    ),
    (
        "financial year 9999/00",
        _generic([("ascof_2b1", "E06000016", "9999/00", 80, "", "")]),
        "'figures.csv', row 2, column 'period': ascof_2b1 for E06000016, 9999/00: the period 9999-04-01 is "
        "outside 1990 to {next_month}",
    ),
    (
        "formula as an org code in the template",
        _generic([("ae_attendances", "=HYPERLINK(1)", "2024-01", 5, "", "")]),
        "'figures.csv', row 2, column 'org_code': '=HYPERLINK(1)' is not an organisation in the catalogue or "
        "the database (a typo?)",
    ),
]


@pytest.mark.parametrize(("case", "build", "message"), CASES, ids=[c[0] for c in CASES])
def test_hostile_file_is_refused_with_its_place_and_nothing_changes(
    case, build, message, populated, tmp_path, catalogue
):
    from loaders.validate import latest_allowed_period
    from metrics.periods import period_label

    folder = tmp_path / "hostile"
    folder.mkdir()
    path = build(folder)
    path = path[0] if isinstance(path, tuple) else path
    expected = message.replace("{next_month}", period_label(latest_allowed_period(), "month"))
    assert refused(path, populated, catalogue) == expected


def test_a_nul_byte_deep_in_a_csv_is_refused_by_name(populated, tmp_path, catalogue):
    # Past the first 8 KB the file sniffs as text, so the name reaches the rules (PostgreSQL
    # refuses NUL bytes with a driver error if it gets that far).
    path = write_ae_csv(tmp_path, "late_nul.csv", pad_rows=120)
    text = path.read_text(encoding="utf-8").replace("UNIVERSITY HOSPITALS OF LEICESTER", "LEICESTER\x00TRUST", 1)
    path.write_text(text, encoding="utf-8")
    assert refused(path, populated, catalogue) == (
        "'late_nul.csv': the name of organisation 'RWE' ('LEICESTER\\x00TRUST NHS TRUST') contains a control "
        "character (such as a NUL byte or a line break)"
    )


def test_a_truncated_xls_is_called_damaged(populated, tmp_path, catalogue):
    source = public_file("dtoc_la_monthly", "Jan_16.xls")
    path = hostile.write_truncated_xls(source, tmp_path)
    assert refused(path, populated, catalogue) == (
        "'truncated.xls': the workbook is damaged or truncated (it cannot be opened); download or save it again"
    )


def test_the_zip_bomb_is_refused_by_its_unpacked_size_too(populated, tmp_path, catalogue, monkeypatch):
    monkeypatch.setenv("LLR_MAX_COMPRESSION_RATIO", "100000")
    monkeypatch.setenv("LLR_MAX_UNCOMPRESSED_MB", "20")
    path = hostile.write_zip_bomb_workbook(tmp_path, megabytes=40)
    assert refused(path, populated, catalogue) == (
        "'zip_bomb.xlsx': the workbook unpacks to more than 20 MB (LLR_MAX_UNCOMPRESSED_MB); it was not read"
    )


def test_every_problem_is_listed_once_up_to_the_limit(populated, tmp_path, catalogue, monkeypatch):
    monkeypatch.setenv("LLR_MAX_ERRORS_REPORTED", "3")
    rows = [("ae_attendances", "RWE", f"2024-{m:02d}", -m, "", "") for m in range(1, 6)]
    path = hostile.write_generic(tmp_path, rows)
    message = refused(path, populated, catalogue)
    assert message.startswith("'figures.csv': 5 problems (the first 3 shown): row 2, column 'value': ")
    assert message.count("cannot be negative") == 3


def test_a_quoted_header_is_read(sqlite_engine, tmp_path, catalogue):
    path = hostile.write_generic(
        tmp_path,
        [("ae_attendances", "RWE", "2024-02", 7, "", "")],
        header='"metric_id","org_code","period","value","numerator","denominator"',
    )
    assert ingest_file(path, sqlite_engine, catalogue).status == "loaded"


def test_a_bad_file_does_not_stop_a_folder(sqlite_engine, tmp_path, catalogue):
    folder = tmp_path / "mixed"
    folder.mkdir()
    hostile.write_generic(folder, [("ae_attendances", "RWE", "0000-01", 5, "", "")], name="a_bad.csv")
    hostile.write_generic(folder, [("ae_attendances", "RWE", "2024-04", 5, "", "")], name="b_good.csv")
    summary = ingest_paths([folder], sqlite_engine, catalogue)
    assert [o.status for o in summary.outcomes] == ["error", "loaded"]


def test_an_upload_name_is_stored_without_control_characters_or_excess(sqlite_engine, catalogue):
    content = b"metric_id,org_code,period,value\nae_attendances,RWE,2024-05,10\n"
    prepared = prepare_upload("a\x00b\nc" + "x" * 300 + ".csv", content, sqlite_engine, catalogue)
    assert prepared.record.file_name == "abc" + "x" * 107 + ".csv"


# ---------------------------------------------------------------------------- the upload child process
@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """Temporary files of the upload go here, so the test can see that none are left."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_upload_report_matches_the_in_process_report(sqlite_engine, tmp_path, catalogue, private_tmp):
    path = write_ae_csv(tmp_path, "June-2020.csv")
    direct = prepare_file(path, sqlite_engine, catalogue)
    uploaded = prepare_upload("June-2020.csv", path.read_bytes(), sqlite_engine, catalogue)
    for field in ("status", "loader", "layout", "rows", "periods", "warnings", "error"):
        assert getattr(uploaded.outcome, field) == getattr(direct.outcome, field), field
    assert uploaded.result.tidy.equals(direct.result.tidy)
    assert list(private_tmp.iterdir()) == []


def test_a_reader_that_exhausts_memory_only_kills_the_child(
    sqlite_engine, tmp_path, catalogue, private_tmp, monkeypatch
):
    # With the cell cap lifted, calamine tries to allocate the 17-billion-cell grid: the child
    # process dies or fails under its memory cap and the server reports it.
    monkeypatch.setenv("LLR_MAX_SHEET_CELLS", "1e12")
    path = hostile.write_workbook(
        tmp_path, "far.xlsx", '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>', sheet="NHS Trust by Sector"
    )
    before = dump(sqlite_engine)
    prepared = prepare_upload("far.xlsx", path.read_bytes(), sqlite_engine, catalogue)
    assert prepared.outcome.status == "error"
    assert prepared.result is None
    assert prepared.outcome.error.startswith("'far.xlsx': ")
    assert dump(sqlite_engine) == before
    assert list(private_tmp.iterdir()) == []


def test_a_slow_parse_is_stopped(sqlite_engine, tmp_path, catalogue, private_tmp, monkeypatch):
    monkeypatch.setenv("LLR_PARSE_SECONDS", "0.01")
    path = write_ae_csv(tmp_path, "June-2020.csv")
    prepared = prepare_upload("June-2020.csv", path.read_bytes(), sqlite_engine, catalogue)
    assert prepared.outcome.error == (
        "'June-2020.csv': reading the file took longer than 0.01 seconds (LLR_PARSE_SECONDS); "
        "it was stopped and nothing was loaded"
    )
    assert list(private_tmp.iterdir()) == []


def test_a_limit_set_to_nonsense_is_an_error_naming_it(monkeypatch):
    from loaders.limits import Limits

    monkeypatch.setenv("LLR_MAX_SHEET_CELLS", "lots")
    with pytest.raises(ValueError, match="environment variable LLR_MAX_SHEET_CELLS='lots' is not a number"):
        Limits.from_environment()


# ---------------------------------------------------------------------------- properties
@pytest.fixture(scope="module")
def shared_store(tmp_path_factory, catalogue):
    """One SQLite store for the property tests (hypothesis runs many examples per test)."""
    folder = tmp_path_factory.mktemp("prop")
    engine = store.make_engine(f"sqlite:///{folder / 'prop.sqlite'}")
    store.init_db(engine, catalogue)
    good = folder / "good"
    good.mkdir()
    write_ae_csv(good, "June-2020.csv")
    ingest_paths([good], engine, catalogue)
    yield engine, folder, catalogue
    engine.dispose()


_counter = iter(range(10**9))
CELL_TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["nan", "inf", "-inf", "1e400", "-500", "150", "=1+1", "+cmd|'/C calc'!A0", "", "0000-01",
                     "9999/00", "2099-01", "RWE", "E06000016", "2024-01", "2023/24 Q3", "\x00", "12.5"]),
)  # fmt: skip


def _csv_text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def _assert_believable(engine) -> None:
    """After any accepted file: every stored figure is finite and within its unit's range."""
    frame = store.read_observations(engine)
    assert frame["value"].map(lambda v: v == v and abs(v) != float("inf")).all()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(metric=st.sampled_from(["ae_attendances", "ae_4hr_all", "ascof_2b1", "beds_ga_available"]),
       org=CELL_TEXT, period=CELL_TEXT, value=CELL_TEXT, numerator=CELL_TEXT, denominator=CELL_TEXT)  # fmt: skip
def test_any_cell_contents_are_loaded_or_refused_cleanly(
    shared_store, metric, org, period, value, numerator, denominator
):
    engine, folder, catalogue = shared_store
    path = folder / f"cells_{next(_counter)}.csv"
    text = _csv_text(
        [["metric_id", "org_code", "period", "value", "numerator", "denominator"],
         [metric, org, period, value, numerator, denominator]]
    )  # fmt: skip
    path.write_bytes(text.encode("utf-8"))
    before = dump(engine)
    outcome = ingest_file(path, engine, catalogue)
    assert outcome.status in ("loaded", "unchanged", "error", "unrecognised")
    if outcome.status != "loaded":
        assert dump(engine) == before
        assert f"'{path.name}'" in outcome.error or outcome.status == "unchanged"
    _assert_believable(engine)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_header_damage_is_refused_cleanly(shared_store, data):
    engine, folder, catalogue = shared_store
    source = write_ae_csv(folder, f"header_src_{next(_counter)}.csv")
    lines = source.read_bytes().decode("utf-8").split("\r\n")
    cells = next(csv.reader([lines[0]]))
    action = data.draw(st.sampled_from(["drop", "replace", "duplicate", "quote", "truncate", "swap"]))
    i = data.draw(st.integers(0, len(cells) - 1))
    if action == "drop":
        del cells[i]
    elif action == "replace":
        cells[i] = data.draw(st.text(max_size=20))
    elif action == "duplicate":
        cells.insert(i, cells[i])
    elif action == "quote":
        cells[i] = '"' + cells[i]
    elif action == "truncate":
        cells[i] = cells[i][: data.draw(st.integers(0, max(len(cells[i]) - 1, 0)))]
    else:
        j = data.draw(st.integers(0, len(cells) - 1))
        cells[i], cells[j] = cells[j], cells[i]
    header = ",".join(c if action == "quote" else _csv_text([[c]]).rstrip("\n") for c in cells)
    path = folder / f"header_{next(_counter)}.csv"
    path.write_bytes(("\r\n".join([header, *lines[1:]])).encode("utf-8"))
    os.remove(source)
    before = dump(engine)
    outcome = ingest_file(path, engine, catalogue)
    assert outcome.status in ("loaded", "unchanged", "error", "unrecognised")
    if outcome.status in ("error", "unrecognised"):
        assert dump(engine) == before
        assert f"'{path.name}'" in outcome.error
    _assert_believable(engine)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fraction=st.floats(0.05, 0.95))
def test_a_workbook_cut_anywhere_is_refused_cleanly(shared_store, fraction):
    engine, folder, catalogue = shared_store
    source, _ = write_kh03(folder, name=f"kh03_src_{next(_counter)}.xlsx")
    data = source.read_bytes()
    path = folder / f"cut_{next(_counter)}.xlsx"
    path.write_bytes(data[: int(len(data) * fraction)])
    os.remove(source)
    before = dump(engine)
    outcome = ingest_file(path, engine, catalogue)
    assert outcome.status in ("error", "unrecognised")
    assert dump(engine) == before
    assert "damaged or truncated" in outcome.error


@pytest.mark.parametrize(
    ("text", "row"),
    [
        ("code,period,value\nRWE,2026-03,78.8\nRWE,2026-04,7", None),  # every cell: a complete last row
        ("code,period,value\nRWE,2026-03,78.8\nRWE,2026-", 3),  # cut inside the second cell
        ("code,period,value\nRWE,2026-03,78.8\n", None),
    ],
)
def test_a_csv_cut_short_in_its_last_row_is_named_by_row(text, row):
    from loaders.base import LoadError, refuse_cut_csv

    if row is None:
        refuse_cut_csv(text, "x.csv")
        return
    with pytest.raises(LoadError) as err:
        refuse_cut_csv(text, "x.csv")
    assert err.value.row == row and "it looks cut short" in str(err.value)


def test_an_ae_csv_cut_short_is_refused(tmp_path):
    from loaders import ae
    from loaders.base import LoadError

    cut = tmp_path / "March-2026-AE-by-provider.csv"
    cut.write_text(
        "Period,Org Code,Parent Org,Org name,A&E attendances Type 1\nMSitAE-MARCH-2026,RWE,NHS ENGLAND MIDLANDS,U",
        encoding="utf-8",
    )
    with pytest.raises(LoadError, match="it looks cut short"):
        ae.read(cut)
