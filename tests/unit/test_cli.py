"""Tests for loaders.cli: ``python -m loaders ingest|export|status|demo``, run in-process on throwaway databases."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import inspect, select

from loaders import ingest
from loaders.cli import main
from metrics import store
from metrics.catalogue import PROJECT_ROOT

HEADER = "metric_id,org_code,period,value,numerator,denominator,note,source"
ROWS = [
    "ae_4hr_all,RWE,2024-01-01,70,14000,20000,,",
    "ae_4hr_all,RWE,2024-02-01,75,13500,18000,,",
    "ae_4hr_all,NNJ07,2024-01-01,96.15,2500,2600,,",
    "ae_4hr_all,E92000001,2024-01-01,71.1,,,,",
    "ae_attendances,RWE,2024-01-01,20000,,,,",
]


def write_csv(folder: Path, name: str, rows: list[str], header: str = HEADER) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def db(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'cli.sqlite'}"


def engine_for(db: str):
    return store.make_engine(db)


def dump(db: str) -> dict[str, list[tuple]]:
    """Every existing table's rows (without load times), sorted: two equal dumps are the same database."""
    engine = engine_for(db)
    try:
        tables = {}
        with engine.connect() as conn:
            present = set(inspect(conn).get_table_names())
            for table in store.metadata.sorted_tables:
                if table.name not in present:
                    continue
                columns = [c for c in table.columns if c.name != "loaded_at"]
                rows = conn.execute(select(*columns)).all()
                tables[table.name] = sorted((tuple(r) for r in rows), key=repr)
        return tables
    finally:
        engine.dispose()


def export(db: str, capsys, metric: str, *orgs: str) -> pd.DataFrame:
    capsys.readouterr()
    args = ["export", "--metric", metric, "--db", db]
    for org in orgs:
        args += ["--org", org]
    assert main(args) == 0
    return pd.read_csv(io.StringIO(capsys.readouterr().out))


class TestIngestAndExport:
    def test_export_returns_exactly_the_values_in_the_file(self, tmp_path, db, capsys):
        path = write_csv(tmp_path, "figures.csv", ROWS)
        assert main(["ingest", str(path), "--db", db]) == 0
        exported = export(db, capsys, "ae_4hr_all")
        expected = pd.read_csv(path)
        expected = expected[expected["metric_id"] == "ae_4hr_all"]
        expected = expected.rename(columns={"period": "period_start"}).assign(period_type="month")
        key = ["metric_id", "org_code", "period_start"]
        expected = expected.sort_values(key).reset_index(drop=True)[list(exported.columns)]
        assert list(exported.columns) == [
            "metric_id",
            "org_code",
            "period_start",
            "period_type",
            "numerator",
            "denominator",
            "value",
        ]
        pd.testing.assert_frame_equal(exported.sort_values(key).reset_index(drop=True), expected, check_dtype=False)

    def test_export_of_one_organisation_accepts_an_old_code(self, tmp_path, db, capsys):
        path = write_csv(tmp_path, "dtoc.csv", ["dtoc_days,509,2019-01,100,,,,", "dtoc_days,508,2019-01,200,,,,"])
        assert main(["ingest", str(path), "--db", db]) == 0
        exported = export(db, capsys, "dtoc_days", "509")
        assert exported[["org_code", "value"]].values.tolist() == [["E06000016", 100.0]]

    def test_export_of_an_unknown_metric_is_refused(self, db, capsys):
        assert main(["export", "--metric", "ae_4hr", "--db", db]) == 1
        assert capsys.readouterr().err == "ERROR: 'ae_4hr' is not a metric in the catalogue\n"

    def test_ingest_reports_the_file_and_the_summary(self, tmp_path, db, capsys):
        path = write_csv(tmp_path, "figures.csv", ROWS)
        assert main(["ingest", str(path), "--db", db]) == 0
        out, err = capsys.readouterr()
        assert err == "figures.csv: loaded with generic_template: 5 rows (5 added, 0 updated, 0 unchanged)\n"
        assert out.splitlines() == [
            "1 file(s): 1 loaded",
            "rows: 5 added, 0 updated, 0 unchanged",
            "periods covered: 2024-01-01 to 2024-02-01",
        ]

    def test_ingesting_the_same_file_twice_changes_nothing(self, tmp_path, db, capsys):
        path = write_csv(tmp_path, "figures.csv", ROWS)
        assert main(["ingest", str(path), "--db", db]) == 0
        before = dump(db)
        capsys.readouterr()
        assert main(["ingest", str(path), "--db", db]) == 0
        out, err = capsys.readouterr()
        assert dump(db) == before
        assert err == "figures.csv: already loaded (generic_template); nothing changed\n"
        assert out.splitlines()[:2] == ["1 file(s): 1 unchanged", "rows: 0 added, 0 updated, 5 unchanged"]

    def test_a_new_file_with_the_same_figures_adds_nothing(self, tmp_path, db, capsys):
        write_csv(tmp_path / "a", "figures.csv", ROWS)
        again = write_csv(tmp_path / "b", "figures-resent.csv", [r[:-2] + ",resent," for r in ROWS])
        assert main(["ingest", str(tmp_path / "a"), "--db", db]) == 0
        observations = dump(db)["observation"]
        capsys.readouterr()
        assert main(["ingest", str(again), "--db", db]) == 0
        assert "rows: 0 added, 0 updated, 5 unchanged" in capsys.readouterr().out
        assert dump(db)["observation"] == observations

    def test_a_revised_file_updates_and_says_so(self, tmp_path, db, capsys):
        write_csv(tmp_path / "a", "figures.csv", ROWS)
        revised = write_csv(
            tmp_path / "b", "figures-revised.csv", [ROWS[0].replace("70,14000", "70.5,14100"), *ROWS[1:]]
        )
        assert main(["ingest", str(tmp_path / "a"), "--db", db]) == 0
        capsys.readouterr()
        assert main(["ingest", str(revised), "--db", db]) == 0
        assert "rows: 0 added, 1 updated, 4 unchanged" in capsys.readouterr().out
        assert export(db, capsys, "ae_4hr_all", "RWE")["value"].tolist() == [70.5, 75.0]

    def test_one_bad_row_rejects_the_file_and_leaves_the_database_untouched(self, tmp_path, db, capsys):
        good = write_csv(tmp_path / "a", "figures.csv", ROWS)
        assert main(["ingest", str(good), "--db", db]) == 0
        before = dump(db)
        capsys.readouterr()
        bad_rows = [*ROWS[:3], "ae_4hr_all,RWE,2024-03-01,abc,,,,", "ae_attendances,RWE,2024-02-01,19000,,,,"]
        bad = write_csv(tmp_path / "b", "march.csv", bad_rows)
        assert main(["ingest", str(bad), "--db", db]) == 1
        out, err = capsys.readouterr()
        message = "'march.csv', row 5, column 'value': 'abc' is not a number"
        assert err == f"march.csv: ERROR: {message}\n"
        assert out.splitlines()[-1] == f"ERROR: {message}"
        assert dump(db) == before

    def test_a_bad_first_file_leaves_an_empty_store(self, tmp_path, db, capsys):
        bad = write_csv(tmp_path, "typo.csv", ["ae_4hr_all,RWW,2024-01,70,,,,"])
        assert main(["ingest", str(bad), "--db", db]) == 1
        assert "'typo.csv', row 2, column 'org_code': 'RWW' is not an organisation" in capsys.readouterr().err
        assert dump(db) == {}  # not even the tables are created for a refused file

    def test_folder_reports_each_file_and_a_summary(self, tmp_path, db, capsys):
        folder = tmp_path / "inbox"
        write_csv(folder, "a_urgent.csv", ROWS)
        write_csv(
            folder, "b_beds.csv", ["beds_ga_available,RWE,2023/24 Q3,1850,,,,", "beds_ga_available,RT5,2023-Q4,290,,,,"]
        )
        write_csv(folder, "c_ascof.csv", ["ascof_2b1,510,2016/17,90,,,,"])
        (folder / "README.md").write_text("notes about these files\n")
        assert main(["ingest", str(folder), "--db", db]) == 0
        out, err = capsys.readouterr()
        assert err.splitlines() == [
            "a_urgent.csv: loaded with generic_template: 5 rows (5 added, 0 updated, 0 unchanged)",
            "b_beds.csv: loaded with generic_template: 2 rows (2 added, 0 updated, 0 unchanged)",
            "c_ascof.csv: loaded with generic_template: 1 rows (1 added, 0 updated, 0 unchanged)",
        ]
        assert out.splitlines() == [
            "3 file(s): 3 loaded",
            "rows: 8 added, 0 updated, 0 unchanged",
            "periods covered: 2016-04-01 to 2024-02-01",
        ]

    def test_unrecognised_file_is_named_and_fails_the_run(self, tmp_path, db, capsys):
        folder = tmp_path / "inbox"
        write_csv(folder, "a_urgent.csv", ROWS)
        write_csv(folder, "minutes.csv", ["1,2"], header="Item,Minute")
        assert main(["ingest", str(folder), "--db", db]) == 1
        out, err = capsys.readouterr()
        message = (
            "'minutes.csv': no loader recognises this file's layout (see the README for the supported publications)"
        )
        assert f"minutes.csv: UNRECOGNISED: {message}" in err.splitlines()
        assert out.splitlines()[0] == "2 file(s): 1 loaded, 1 unrecognised"
        assert out.splitlines()[-1] == f"ERROR: {message}"
        assert len(dump(db)["observation"]) == 5  # the good file still loads

    def test_missing_path_is_named(self, tmp_path, db, capsys):
        assert main(["ingest", str(tmp_path / "nope.csv"), "--db", db]) == 1
        assert capsys.readouterr().err == f"ERROR: no such file or folder: {tmp_path / 'nope.csv'}\n"

    def test_file_over_the_size_limit_is_refused_before_it_is_read(self, tmp_path, db, capsys, monkeypatch):
        rows = [f"ae_attendances,RWE,{2000 + i // 12}-{i % 12 + 1:02d},{1000 + i},,,," for i in range(300)]
        path = write_csv(tmp_path, "big.csv", rows)
        assert path.stat().st_size > 0.01 * 1_000_000  # limits count decimal megabytes, as the upload widget does

        def must_not_read(_path):
            raise AssertionError("the file was opened for format detection")

        monkeypatch.setattr(ingest.registry, "detect", must_not_read)
        assert main(["ingest", str(path), "--db", db, "--max-mb", "0.01"]) == 1
        err = capsys.readouterr().err
        assert err.startswith("big.csv: ERROR: 'big.csv': the file is 0.0 MB, over the 0.01 MB limit; nothing was read")
        assert dump(db) == {}


class TestStatus:
    def test_lists_sources_and_the_latest_period_per_metric(self, tmp_path, db, capsys):
        path = write_csv(tmp_path, "figures.csv", ROWS)
        assert main(["ingest", str(path), "--db", db]) == 0
        capsys.readouterr()
        assert main(["status", "--db", db]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert lines[0] == f"database: {db}"
        assert lines[1] == "sources loaded: 1 (0 demo)"
        assert lines[2] == "  generic_template: 1 file(s), 5 rows"
        assert lines[3] == "latest period per metric:"
        assert lines[4].split() == [
            "ae_4hr_all", "2024-01-01", "to", "2024-02-01", "3", "organisation(s),", "4", "rows",
        ]  # fmt: skip
        assert lines[5].split()[:4] == ["ae_attendances", "2024-01-01", "to", "2024-01-01"]

    def test_empty_store_says_how_to_load(self, db, capsys):
        assert main(["status", "--db", db]) == 0
        out = capsys.readouterr().out
        assert "sources loaded: 0 (0 demo)" in out
        assert "no observations yet: load files with `python -m loaders ingest PATH`" in out


class TestDemo:
    def test_builds_a_database_with_demo_and_reported_sources(self, db, capsys):
        assert main(["demo", "--db", db]) == 0
        assert capsys.readouterr().out.splitlines()[0] == "8 file(s): 8 loaded"
        engine = engine_for(db)
        try:
            sources = store.read_sources(engine).set_index("file_name")
        finally:
            engine.dispose()
        flags = {name: bool(flag) for name, flag in sources["is_demo"].items()}
        demo_files = sorted(p.name for p in (PROJECT_ROOT / "data" / "demo").glob("demo_*.csv"))
        reported = sorted(p.name for p in (PROJECT_ROOT / "data" / "reported").glob("reported_*.csv"))
        assert {n for n, f in flags.items() if f} == set(demo_files)
        assert {n for n, f in flags.items() if not f} == set(reported)

    def test_rebuilding_gives_the_same_observations(self, db, capsys):
        assert main(["demo", "--db", db]) == 0
        first = dump(db)["observation"]
        assert main(["demo", "--db", db]) == 0
        assert dump(db)["observation"] == first


class TestEntryPoint:
    def test_python_m_loaders_ingest_runs(self, tmp_path):
        path = write_csv(tmp_path, "figures.csv", ROWS)
        db = f"sqlite:///{tmp_path / 'sub.sqlite'}"
        done = subprocess.run(
            [sys.executable, "-m", "loaders", "ingest", str(path), "--db", db],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert "rows: 5 added, 0 updated, 0 unchanged" in done.stdout
        assert len(dump(db)["observation"]) == 5

    def test_unknown_command_exits_with_usage(self, capsys):
        with pytest.raises(SystemExit) as info:
            main(["frobnicate"])
        assert info.value.code == 2
        assert "invalid choice: 'frobnicate'" in capsys.readouterr().err


class CountWrites:
    """Engines the command creates report every statement that would change data or schema."""

    WRITES = ("INSERT", "UPDATE", "DELETE", "CREATE", "ALTER", "DROP", "BEGIN IMMEDIATE")

    def __init__(self, monkeypatch) -> None:
        from sqlalchemy import event

        self.statements: list[str] = []
        make = store.make_engine

        def recording(url, **options):
            engine = make(url, **options)
            event.listen(engine, "before_cursor_execute", self._capture)
            return engine

        monkeypatch.setattr(store, "make_engine", recording)

    def _capture(self, conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(self.WRITES):
            self.statements.append(statement)


class TestReadCommandsNeverWrite:
    def test_status_writes_nothing(self, tmp_path, db, capsys, monkeypatch):
        assert main(["ingest", str(write_csv(tmp_path, "figures.csv", ROWS)), "--db", db]) == 0
        before = dump(db)
        writes = CountWrites(monkeypatch)
        assert main(["status", "--db", db]) == 0
        assert main(["export", "--metric", "ae_4hr_all", "--db", db]) == 0
        assert writes.statements == []
        assert dump(db) == before

    def test_status_of_a_missing_file_does_not_create_it(self, tmp_path, capsys):
        path = tmp_path / "nowhere" / "dashboard.sqlite"
        assert main(["status", "--db", f"sqlite:///{path}"]) == 0
        assert "no observations yet" in capsys.readouterr().out
        assert not path.exists() and not path.parent.exists()

    def test_export_of_a_missing_file_says_so_and_does_not_create_it(self, tmp_path, capsys):
        path = tmp_path / "dashboard.sqlite"
        assert main(["export", "--metric", "ae_4hr_all", "--db", f"sqlite:///{path}"]) == 1
        assert capsys.readouterr().err.startswith(f"ERROR: no database at sqlite:///{path}")
        assert not path.exists()


class TestExportIsFormulaSafe:
    @pytest.fixture
    def hostile(self, db, catalogue):
        engine = store.make_engine(db)
        store.init_db(engine, catalogue)
        rows = pd.DataFrame(
            [
                ("ae_attendances", "=HYPERLINK(1)", pd.Timestamp("2024-01-01").date(), "month", None, None, 10.0),
                ("ae_attendances", "@SUM(A1)", pd.Timestamp("2024-01-01").date(), "month", None, None, -5.0),
            ],
            columns=store.TIDY_COLUMNS,
        )
        record = store.SourceRecord("ae_monthly", "x.csv", "e" * 64, "NHS England", "A&E", "OGL")
        store.write_load(engine, rows, record)
        engine.dispose()
        return db

    def test_text_a_spreadsheet_would_run_is_neutralised_by_default(self, hostile, capsys):
        capsys.readouterr()
        assert main(["export", "--metric", "ae_attendances", "--db", hostile]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert lines[1:] == [
            "ae_attendances,'=HYPERLINK(1),2024-01-01,month,,,10.0",
            "ae_attendances,'@SUM(A1),2024-01-01,month,,,-5.0",
        ]

    def test_raw_writes_the_cells_as_stored(self, hostile, capsys):
        capsys.readouterr()
        assert main(["export", "--metric", "ae_attendances", "--db", hostile, "--raw"]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert lines[1:] == [
            "ae_attendances,=HYPERLINK(1),2024-01-01,month,,,10.0",
            "ae_attendances,@SUM(A1),2024-01-01,month,,,-5.0",
        ]


class TestPublishedDate:
    def test_published_is_recorded_and_an_older_publication_does_not_replace_a_newer_one(self, tmp_path, db, capsys):
        first = write_csv(tmp_path / "a", "figures.csv", ROWS)
        older = write_csv(tmp_path / "b", "figures-old.csv", [ROWS[0].replace("70,14000", "60,12000"), *ROWS[1:]])
        assert main(["ingest", str(first), "--db", db, "--published", "2024-03-14"]) == 0
        capsys.readouterr()
        assert main(["ingest", str(older), "--db", db, "--published", "2024-02-08"]) == 0
        out = capsys.readouterr().out
        assert "rows: 0 added, 0 updated, 4 unchanged, 1 kept (the stored figures come from a later publication)" in out
        assert export(db, capsys, "ae_4hr_all", "RWE")["value"].tolist() == [70.0, 75.0]
        engine = engine_for(db)
        published = store.read_sources(engine).set_index("file_name")["published"].dt.date.to_dict()
        engine.dispose()
        assert published == {
            "figures.csv": pd.Timestamp("2024-03-14").date(),
            "figures-old.csv": pd.Timestamp("2024-02-08").date(),
        }

    def test_a_date_that_is_not_iso_is_refused(self, tmp_path, db, capsys):
        with pytest.raises(SystemExit):
            main(["ingest", str(write_csv(tmp_path, "f.csv", ROWS)), "--db", db, "--published", "14/03/2024"])
        assert "'14/03/2024' is not a date like 2026-01-08" in capsys.readouterr().err
class TestSnapshotAndRestore:
    def test_snapshot_from_files_then_restore_gives_the_same_export(self, tmp_path, capsys):
        path = write_csv(tmp_path / "in", "figures.csv", ROWS)
        out = tmp_path / "snap"
        assert main(["snapshot", "--from", str(path.parent), "--out", str(out)]) == 0
        last = capsys.readouterr().out.splitlines()[-1]
        assert last.startswith(f"snapshot written to {out}: ") and last.endswith(
            " organisations, 1 sources, 5 observations"
        )
        db = f"sqlite:///{tmp_path / 'restored.sqlite'}"
        assert main(["restore", str(out), "--db", db]) == 0
        assert capsys.readouterr().out.strip() == (
            "1 source(s) added, 0 already loaded; rows: 5 added, 0 updated, 0 unchanged"
        )
        assert main(["restore", str(out), "--db", db]) == 0
        assert capsys.readouterr().out.strip() == (
            "0 source(s) added, 1 already loaded; rows: 0 added, 0 updated, 0 unchanged"
        )
        restored = export(db, capsys, "ae_4hr_all")
        source_db = f"sqlite:///{tmp_path / 'source.sqlite'}"
        assert main(["ingest", str(path), "--db", source_db]) == 0
        capsys.readouterr()
        pd.testing.assert_frame_equal(restored, export(source_db, capsys, "ae_4hr_all"))

    def test_snapshot_of_a_database_with_no_data_is_refused(self, db, tmp_path, capsys):
        assert main(["snapshot", "--db", db, "--out", str(tmp_path / "snap")]) == 1
        assert capsys.readouterr().err.strip() == f"ERROR: {db} has no data to snapshot"
        assert not (tmp_path / "snap").exists()

    def test_restore_of_a_folder_that_is_not_a_snapshot_names_it(self, db, tmp_path, capsys):
        assert main(["restore", str(tmp_path), "--db", db]) == 1
        assert (
            capsys.readouterr().err.strip() == f"ERROR: '{tmp_path}' is not a snapshot folder: it has no manifest.json"
        )

    def test_a_bad_input_file_writes_no_snapshot(self, tmp_path, capsys):
        path = write_csv(tmp_path / "in", "typo.csv", ["ae_4hr_all,XXX99,2024-01-01,70,,,,"])
        assert main(["snapshot", "--from", str(path), "--out", str(tmp_path / "snap")]) == 1
        assert "nothing was written to" in capsys.readouterr().err
        assert not (tmp_path / "snap" / "manifest.json").exists()


class TestExportArea:
    def test_area_export_is_what_a_reader_sees(self, tmp_path, db, capsys):
        assert main(["ingest", str(write_csv(tmp_path, "figures.csv", ROWS)), "--db", db]) == 0
        capsys.readouterr()
        assert main(["export", "--metric", "ae_4hr_all", "--area", "llr", "--db", db]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert lines[0].startswith("Period,Figure (%),Numerator,Denominator,Target")
        # January 2024: UHL and Loughborough together, a ratio of sums (16,500 of 22,600)
        # Whole numbers as the pages' CSV downloads write them (no ".0").
        assert lines[1].startswith("January 2024,73,16500,22600,76")  # the 2023/24 interim target
        assert lines[2].startswith("February 2024,75,13500,18000,76")

    def test_unknown_area_is_named(self, db, capsys):
        assert main(["export", "--metric", "ae_4hr_all", "--area", "leics", "--db", db]) == 1
        assert "'leics' is not an area (one of: llr, leicester, leicestershire, rutland, england)" in (
            capsys.readouterr().err
        )
