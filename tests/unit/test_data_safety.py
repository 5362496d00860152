"""Data safety: no command destroys data it was not pointed at, and reading never writes.

Each test builds its own databases and folders in code (SQLite files byte for byte, PostgreSQL
schemas table by table) and runs the command as an operator would.
"""

from __future__ import annotations

import hashlib
import sqlite3
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, select, text

from loaders import default_db, snapshot
from loaders.cli import main
from loaders.ingest import ingest_paths
from loaders.snapshot import SnapshotError, restore_snapshot, write_snapshot
from metrics import store
from tests.conftest import IN_CI, POSTGRES_URL
from tests.unit.test_cli import ROWS, write_csv
from tests.unit.test_fetch import options, server, site, slept  # noqa: F401 - the fetch fixtures

OTHER_ROWS = [
    "ae_4hr_all,RWE,2023-01-01,60,12000,20000,,",
    "ae_attendances,RWE,2023-01-01,20000,,,,",
]


def file_state(path: Path) -> dict[str, str]:
    """SHA-256 of a SQLite file and of any journal beside it: equal states are the same bytes."""
    state = {}
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-journal")):
        if candidate.exists():
            state[candidate.name] = hashlib.sha256(candidate.read_bytes()).hexdigest()
    return state


def folder_state(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def dump(engine) -> dict[str, list[tuple]]:
    """Every store table's rows (without load times), sorted."""
    tables = {}
    with engine.connect() as conn:
        present = set(inspect(conn).get_table_names())
        for table in store.metadata.sorted_tables:
            if table.name in present:
                columns = [c for c in table.columns if c.name not in ("loaded_at", "checked_at")]
                tables[table.name] = sorted((tuple(r) for r in conn.execute(select(*columns))), key=repr)
    return tables


def real_sqlite(tmp_path: Path, catalogue, name: str = "real.sqlite") -> Path:
    """A SQLite store holding a real (non-demo) file, closed so its bytes are settled."""
    path = tmp_path / name
    engine = store.make_engine(f"sqlite:///{path}")
    summary = ingest_paths([write_csv(tmp_path / "in", "figures.csv", ROWS)], engine, catalogue)
    assert not summary.failed, summary.lines()
    engine.dispose()
    return path


@pytest.fixture
def postgres_url(catalogue):
    """A URL to a fresh PostgreSQL schema (as an operator's DATABASE_URL), dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:10]}"
    try:
        admin = create_engine(POSTGRES_URL)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001 - any connection failure means no server here
        if IN_CI:
            pytest.fail(f"PostgreSQL must be reachable under CI ({POSTGRES_URL}): {exc}")
        pytest.skip(f"no PostgreSQL server reachable at {POSTGRES_URL}")
    yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def demo_file(tmp_path, monkeypatch) -> Path:
    """Where ``demo`` builds by default, moved to a temporary folder (the repository's file is untouched)."""
    path = tmp_path / "demo" / "demo.sqlite"
    monkeypatch.setattr(default_db, "DEMO_DATABASE_URL", f"sqlite:///{path}")
    return path


def test_demo_with_database_url_set_builds_its_own_file_and_leaves_that_database_alone(
    tmp_path, catalogue, demo_file, monkeypatch, capsys
):
    real = real_sqlite(tmp_path, catalogue)
    before = file_state(real)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{real}")
    assert main(["demo"]) == 0
    assert file_state(real) == before
    engine = store.make_engine(f"sqlite:///{demo_file}", read_only=True)
    assert store.read_sources(engine)["is_demo"].astype(bool).any()
    engine.dispose()
    assert str(demo_file) in capsys.readouterr().err


def test_demo_with_database_url_on_postgresql_changes_nothing_there(
    postgres_url, tmp_path, catalogue, demo_file, monkeypatch
):
    engine = create_engine(postgres_url)
    ingest_paths([write_csv(tmp_path / "in", "figures.csv", ROWS)], engine, catalogue)
    before = dump(engine)
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    assert main(["demo"]) == 0
    assert dump(engine) == before
    assert demo_file.exists()
    engine.dispose()


def test_demo_into_a_sqlite_file_of_real_data_is_refused_byte_for_byte(tmp_path, catalogue, capsys):
    real = real_sqlite(tmp_path, catalogue)
    before = file_state(real)
    assert main(["demo", "--db", f"sqlite:///{real}"]) == 1
    err = capsys.readouterr().err
    assert "holds 1 file(s) that are not demonstration data (figures.csv)" in err
    assert "nothing was changed" in err
    assert file_state(real) == before


def test_demo_into_a_postgresql_database_of_real_data_is_refused(postgres_url, tmp_path, catalogue, capsys):
    engine = create_engine(postgres_url)
    ingest_paths([write_csv(tmp_path / "in", "figures.csv", ROWS)], engine, catalogue)
    before = dump(engine)
    assert main(["demo", "--db", postgres_url]) == 1
    assert "not demonstration data (figures.csv)" in capsys.readouterr().err
    assert dump(engine) == before
    engine.dispose()


def test_demo_replaces_an_earlier_demo_database_on_postgresql(postgres_url, capsys):
    assert main(["demo", "--db", postgres_url]) == 0
    engine = create_engine(postgres_url)
    first = dump(engine)["observation"]
    assert main(["demo", "--db", postgres_url]) == 0
    again = dump(engine)["observation"]
    engine.dispose()
    # Source ids differ between builds on PostgreSQL; the figures do not.
    assert [r[:7] for r in again] == [r[:7] for r in first] and len(first) > 1000


# ---------------------------------------------------------------------------- restore
@pytest.fixture
def snapshot_folder(tmp_path, catalogue) -> Path:
    folder = tmp_path / "snap"
    engine = store.make_engine(f"sqlite:///{tmp_path / 'source.sqlite'}")
    ingest_paths([write_csv(tmp_path / "snapin", "snapshot-figures.csv", OTHER_ROWS)], engine, catalogue)
    write_snapshot(engine, folder)
    engine.dispose()
    return folder


def test_restore_into_a_sqlite_file_holding_other_files_is_refused_byte_for_byte(
    tmp_path, catalogue, snapshot_folder, capsys
):
    real = real_sqlite(tmp_path, catalogue)
    before = file_state(real)
    assert main(["restore", str(snapshot_folder), "--db", f"sqlite:///{real}"]) == 1
    err = capsys.readouterr().err
    assert "holds 1 file(s) that are not in this snapshot (figures.csv)" in err
    assert "give --replace" in err
    assert file_state(real) == before


def test_restore_names_the_database_it_takes_from_database_url(
    tmp_path, catalogue, snapshot_folder, monkeypatch, capsys
):
    target = tmp_path / "target.sqlite"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{target}")
    assert main(["restore", str(snapshot_folder)]) == 0
    assert f"into sqlite:///{target} (from DATABASE_URL)" in capsys.readouterr().err


def test_restore_replace_leaves_exactly_the_snapshot(engine, tmp_path, catalogue, snapshot_folder):
    ingest_paths([write_csv(tmp_path / "in", "figures.csv", ROWS)], engine, catalogue)
    store.record_fetch(
        engine,
        [
            {
                "publication_id": "ae_monthly",
                "kind": "page",
                "url": "https://example.org/",
                "status": "ok",
                "checked_at": __import__("datetime").datetime(2026, 1, 1),
            }
        ],
    )
    with pytest.raises(SnapshotError, match="not in this snapshot"):
        restore_snapshot(engine, snapshot_folder, catalogue)
    restore_snapshot(engine, snapshot_folder, catalogue, other_data="replace")
    assert store.read_sources(engine)["file_name"].tolist() == ["snapshot-figures.csv"]
    assert len(store.read_observations(engine)) == 2
    assert store.read_fetch_log(engine).empty
    assert {"RWE", "NNJ07"} <= store.known_org_codes(engine)  # the catalogue's organisations are back


def test_restore_replace_that_fails_midway_leaves_the_old_store(
    engine, tmp_path, catalogue, snapshot_folder, monkeypatch
):
    ingest_paths([write_csv(tmp_path / "in", "figures.csv", ROWS)], engine, catalogue)
    before = dump(engine)

    def broken(*args, **kwargs):
        raise RuntimeError("killed")

    monkeypatch.setattr(store.restore, "_bulk_insert_observations", broken)  # where the restore looks it up
    with pytest.raises(RuntimeError, match="killed"):
        restore_snapshot(engine, snapshot_folder, catalogue, other_data="replace")
    assert dump(engine) == before


def test_restore_merge_adds_the_snapshot_beside_other_files(engine, tmp_path, catalogue, snapshot_folder):
    ingest_paths([write_csv(tmp_path / "in", "figures.csv", ROWS)], engine, catalogue)
    restore_snapshot(engine, snapshot_folder, catalogue, other_data="merge")
    assert sorted(store.read_sources(engine)["file_name"]) == ["figures.csv", "snapshot-figures.csv"]


# ---------------------------------------------------------------------------- snapshot --out
def test_snapshot_out_refuses_a_folder_of_other_files(tmp_path, catalogue, capsys):
    real = real_sqlite(tmp_path, catalogue)
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    assert main(["snapshot", "--out", str(out), "--db", f"sqlite:///{real}"]) == 1
    assert "already holds other files (notes.txt)" in capsys.readouterr().err
    assert folder_state(out) == {"notes.txt": hashlib.sha256(b"mine").hexdigest()}


def test_snapshot_out_refuses_another_snapshot_and_replaces_it_with_replace(
    tmp_path, catalogue, snapshot_folder, capsys
):
    real = real_sqlite(tmp_path, catalogue)
    (snapshot_folder / "README.md").write_text("about this snapshot", encoding="utf-8")
    before = folder_state(snapshot_folder)
    db = f"sqlite:///{real}"
    assert main(["snapshot", "--out", str(snapshot_folder), "--db", db]) == 1
    assert "already holds another snapshot" in capsys.readouterr().err
    assert folder_state(snapshot_folder) == before
    assert main(["snapshot", "--out", str(snapshot_folder), "--db", db, "--replace"]) == 0
    after = folder_state(snapshot_folder)
    assert after["README.md"] == before["README.md"]
    assert after["manifest.json"] != before["manifest.json"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".snap")] == []
    # The same snapshot again is no change, and needs no --replace.
    assert main(["snapshot", "--out", str(snapshot_folder), "--db", db]) == 0
    assert folder_state(snapshot_folder) == after


def test_snapshot_out_killed_midway_leaves_the_old_snapshot_whole(tmp_path, catalogue, snapshot_folder, monkeypatch):
    real = real_sqlite(tmp_path, catalogue)
    before = folder_state(snapshot_folder)
    written = []
    original = snapshot._write_part

    def dies_after_one_part(folder, name, text_):
        if written:
            raise KeyboardInterrupt
        written.append(name)
        return original(folder, name, text_)

    monkeypatch.setattr(snapshot, "_write_part", dies_after_one_part)
    engine = store.make_engine(f"sqlite:///{real}", read_only=True)
    with pytest.raises(KeyboardInterrupt):
        write_snapshot(engine, snapshot_folder, replace=True)
    engine.dispose()
    assert folder_state(snapshot_folder) == before
    restored = store.make_engine(f"sqlite:///{tmp_path / 'check.sqlite'}")
    restore_snapshot(restored, snapshot_folder, catalogue)  # its manifest still matches its parts
    restored.dispose()


# ---------------------------------------------------------------------------- reading never writes
def rollback_journal_sqlite(tmp_path: Path, catalogue) -> Path:
    path = real_sqlite(tmp_path, catalogue, "journal.sqlite")
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()
    return path


def journal_mode(path: Path) -> str:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        conn.close()


@pytest.mark.parametrize(
    "command",
    [
        ["status"],
        ["export", "--metric", "ae_4hr_all"],
        ["export", "--metric", "ae_4hr_all", "--area", "llr"],
    ],
    ids=["status", "export", "export-area"],
)
def test_read_commands_leave_a_rollback_journal_file_byte_for_byte(tmp_path, catalogue, command, capsys):
    path = rollback_journal_sqlite(tmp_path, catalogue)
    before = file_state(path)
    assert main([*command, "--db", f"sqlite:///{path}"]) == 0
    assert file_state(path) == before
    assert journal_mode(path) == "delete"
    assert not Path(f"{path}-wal").exists()


def test_snapshot_out_reads_a_rollback_journal_file_without_changing_it(tmp_path, catalogue):
    path = rollback_journal_sqlite(tmp_path, catalogue)
    before = file_state(path)
    assert main(["snapshot", "--out", str(tmp_path / "out"), "--db", f"sqlite:///{path}"]) == 0
    assert file_state(path) == before and journal_mode(path) == "delete"


def test_snapshot_out_of_a_missing_database_creates_no_file(tmp_path, capsys):
    path = tmp_path / "data" / "dashboard.sqlite"
    assert main(["snapshot", "--out", str(tmp_path / "out"), "--db", f"sqlite:///{path}"]) == 1
    assert "has no data to snapshot" in capsys.readouterr().err
    assert not path.exists() and not path.parent.exists()
    assert not (tmp_path / "out").exists()


def test_fetch_dry_run_creates_no_database_file(site, tmp_path, capsys):  # noqa: F811 - fixture
    path = tmp_path / "data" / "dashboard.sqlite"
    argv = ["fetch", "--dry-run", "--publication", "ae_monthly", "--index-url", f"ae_monthly={site.url}/ae/"]
    assert main([*argv, "--raw-dir", str(tmp_path / "raw"), "--db", f"sqlite:///{path}"]) == 0
    assert "would-download" in capsys.readouterr().out
    assert not path.exists() and not path.parent.exists()


def test_fetch_dry_run_leaves_a_rollback_journal_file_byte_for_byte(site, tmp_path, catalogue):  # noqa: F811
    path = rollback_journal_sqlite(tmp_path, catalogue)
    before = file_state(path)
    argv = ["fetch", "--dry-run", "--publication", "ae_monthly", "--index-url", f"ae_monthly={site.url}/ae/"]
    assert main([*argv, "--raw-dir", str(tmp_path / "raw"), "--db", f"sqlite:///{path}"]) == 0
    assert file_state(path) == before and journal_mode(path) == "delete"


def test_a_read_only_engine_refuses_to_write(tmp_path, catalogue):
    path = real_sqlite(tmp_path, catalogue)
    engine = store.make_engine(f"sqlite:///{path}", read_only=True)
    with pytest.raises(Exception, match="readonly|read-only|query_only"):
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM observation"))
    engine.dispose()


# ---------------------------------------------------------------------------- first start
@pytest.fixture
def default_file(tmp_path, monkeypatch, catalogue) -> Path:
    """The default database path, built from a small file instead of the published snapshot."""
    path = tmp_path / "data" / "dashboard.sqlite"
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv(default_db.DEMO_ENV, raising=False)

    def small_fill(engine, catalogue_, demo):
        summary = ingest_paths([write_csv(tmp_path / "in", "figures.csv", ROWS)], engine, catalogue_)
        assert not summary.failed

    monkeypatch.setattr(default_db, "_fill", small_fill)
    return path


@pytest.mark.parametrize("placeholder", ["zero bytes", "a database with no table", "an empty WAL database"])
def test_an_empty_placeholder_does_not_block_the_first_start_build(default_file, catalogue, placeholder):
    default_file.parent.mkdir(parents=True)
    if placeholder == "zero bytes":
        default_file.write_bytes(b"")
    else:
        conn = sqlite3.connect(default_file)
        if placeholder == "an empty WAL database":
            conn.execute("PRAGMA journal_mode=WAL")  # what an earlier read command left behind
        conn.close()
    url = f"sqlite:///{default_file}"
    assert default_db.needs_build(url)
    assert default_db.build_default_database(url, catalogue) is True
    engine = store.make_engine(url, read_only=True)
    assert store.read_sources(engine)["file_name"].tolist() == ["figures.csv"]
    engine.dispose()
    assert not default_db.needs_build(url)


def test_a_database_with_tables_is_never_replaced_by_the_first_start_build(default_file, catalogue):
    default_file.parent.mkdir(parents=True)
    conn = sqlite3.connect(default_file)
    conn.execute("CREATE TABLE mine (x)")
    conn.commit()
    conn.close()
    before = file_state(default_file)
    url = f"sqlite:///{default_file}"
    assert not default_db.needs_build(url)
    assert default_db.build_default_database(url, catalogue) is False
    assert file_state(default_file) == before


# ---------------------------------------------------------------------------- bounded waits
def test_an_ingest_blocked_by_another_clients_transaction_gives_up_and_names_it(
    engine, tmp_path, catalogue, monkeypatch
):
    monkeypatch.setenv("LLR_LOCK_TIMEOUT_SECONDS", "1")
    path = write_csv(tmp_path / "in", "figures.csv", ROWS)
    if engine.dialect.name == "postgresql":
        holder = engine.connect()
        holder.execute(text("SET application_name = 'month-end-report'"))
        holder.execute(text("LOCK TABLE observation IN ACCESS EXCLUSIVE MODE"))
    else:
        holder = sqlite3.connect(engine.url.database)
        holder.execute("BEGIN IMMEDIATE")
    try:
        summary = ingest_paths([path], engine, catalogue)
    finally:
        holder.rollback()
        holder.close()
    assert [o.status for o in summary.outcomes] == ["error"]
    error = summary.outcomes[0].error
    assert "gave up after waiting 1 s and nothing was written" in error
    if engine.dialect.name == "postgresql":
        assert "application 'month-end-report'" in error and "idle in transaction" in error
    else:
        assert "another process is writing to" in error
    assert store.read_sources(engine).empty
    # Once the other client lets go, the same file loads.
    assert not ingest_paths([path], engine, catalogue).failed


def test_a_writer_stuck_holding_the_writer_lock_is_named(postgres_url, tmp_path, catalogue, monkeypatch, capsys):
    monkeypatch.setenv("LLR_LOCK_TIMEOUT_SECONDS", "1")
    engine = create_engine(postgres_url)
    with engine.connect() as holder:
        holder.execute(text("SET application_name = 'stuck-ingest'"))
        holder.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": store.WRITER_LOCK_KEY})
        code = main(["ingest", str(write_csv(tmp_path / "in", "figures.csv", ROWS)), "--db", postgres_url])
        holder.rollback()
    engine.dispose()
    assert code == 1
    err = capsys.readouterr().err
    assert "the store is locked by process" in err and "application 'stuck-ingest'" in err


def test_status_and_export_on_postgresql_read_only_keep_the_urls_own_options(postgres_url, tmp_path, catalogue, capsys):
    engine = create_engine(postgres_url)
    ingest_paths([write_csv(tmp_path / "in", "figures.csv", ROWS)], engine, catalogue)
    before = dump(engine)
    assert main(["status", "--db", postgres_url]) == 0
    assert "sources loaded: 1 (0 demo)" in capsys.readouterr().out  # the schema of the URL was read
    assert main(["export", "--metric", "ae_4hr_all", "--db", postgres_url]) == 0
    assert "RWE" in capsys.readouterr().out
    reader = store.make_engine(postgres_url, read_only=True)
    with pytest.raises(Exception, match="read-only transaction"):
        with reader.begin() as conn:
            conn.execute(text("DELETE FROM observation"))
    reader.dispose()
    assert dump(engine) == before
    engine.dispose()


def test_opening_an_existing_rollback_journal_file_never_switches_it_to_wal(tmp_path, catalogue):
    path = rollback_journal_sqlite(tmp_path, catalogue)
    before = file_state(path)
    engine = store.make_engine(f"sqlite:///{path}")  # as the dashboard's pages open their database
    store.read_observations(engine)
    store.read_sources(engine)
    engine.dispose()
    assert file_state(path) == before and journal_mode(path) == "delete"
    # A write keeps the owner's journal mode too.
    engine = store.make_engine(f"sqlite:///{path}")
    assert not ingest_paths([write_csv(tmp_path / "more", "more.csv", OTHER_ROWS)], engine, catalogue).failed
    engine.dispose()
    assert journal_mode(path) == "delete"


def test_the_first_start_build_is_a_wal_file(default_file, catalogue):
    url = f"sqlite:///{default_file}"
    assert default_db.build_default_database(url, catalogue)
    assert journal_mode(default_file) == "wal"


def test_a_statistics_page_dated_in_the_future_does_not_record_that_date(site, options, tmp_path, catalogue):  # noqa: F811
    from loaders.fetch import fetch_publications
    from tests.unit.test_fetch import FEB_CSV, YEAR, month_section, year_page

    links = [(FEB_CSV, "Monthly A&amp;E February 2026 (CSV, 1MB)")]
    site.serve(YEAR, {"body": year_page(month_section("February 2026", "12 March 2099", links))})
    engine = store.make_engine(f"sqlite:///{tmp_path / 'fetched.sqlite'}")
    report = fetch_publications(engine, catalogue, options)
    assert [r.status for r in report.results] == ["new"]
    assert store.read_sources(engine)["published"].isna().all()
    assert store.read_fetch_log(engine).query("kind == 'file'")["published"].isna().all()
    engine.dispose()
