"""``--db`` (and ``DATABASE_URL``) values are checked before a command runs: a message naming the
problem, never a traceback, and no database is created that the operator did not name."""

from __future__ import annotations

import uuid

import pytest

from loaders.cli import main
from metrics import store
from metrics.catalogue import PROJECT_ROOT
from tests.conftest import IN_CI, POSTGRES_URL

COMMANDS = [["status"], ["ingest", "data/demo/demo_beds.csv"], ["fetch", "--dry-run"], ["export", "--metric", "x"]]


def project_files() -> set[str]:
    return {str(p.relative_to(PROJECT_ROOT)) for p in PROJECT_ROOT.rglob("*") if ".git" not in p.parts}


def run(args: list[str], capsys) -> tuple[int, str]:
    code = main(args)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    return code, captured.err


@pytest.fixture(autouse=True)
def no_database_url(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_a_folder_is_not_a_database(tmp_path, capsys, command):
    code, err = run([*command, "--db", f"sqlite:///{tmp_path}"], capsys)
    assert code == 1
    assert err == f"ERROR: 'sqlite:///{tmp_path}': {tmp_path} is a folder, not a database file\n"


def test_a_file_that_is_not_sqlite_is_refused_and_left_alone(tmp_path, capsys):
    notes = tmp_path / "notes.txt"
    notes.write_text("meeting notes\n")
    code, err = run(["ingest", "data/demo/demo_beds.csv", "--db", f"sqlite:///{notes}"], capsys)
    assert code == 1
    assert err == (
        f"ERROR: 'sqlite:///{notes}': {notes} is not a SQLite database (it does not start with the SQLite header)\n"
    )
    assert notes.read_text() == "meeting notes\n"


@pytest.mark.parametrize(
    "value, message",
    [
        ("notaurl", "'notaurl' is not a database address; use sqlite:///path/to/dashboard.sqlite or "
                    "postgresql+psycopg://user@host/database"),  # fmt: skip
        ("sqlite:///file:data/x.sqlite?mode=ro&uri=true",
         "'sqlite:///file:data/x.sqlite?mode=ro&uri=true': SQLite options in the address (?mode=ro&uri=true) are "
         "not supported; name the file only, e.g. sqlite:///data/dashboard.sqlite"),  # fmt: skip
        ("sqlite:///file:data/x.sqlite",
         "'sqlite:///file:data/x.sqlite': SQLite URI file names (file:...) are not supported; name the file, "
         "e.g. sqlite:///data/x.sqlite"),  # fmt: skip
        ("mysql://user@host/db", "'mysql://user@host/db': only SQLite and PostgreSQL databases are supported"),
    ],
)
def test_odd_addresses_get_a_message_and_create_nothing(capsys, value, message):
    before = project_files()
    code, err = run(["ingest", "data/demo/demo_beds.csv", "--db", value], capsys)
    assert code == 1
    assert err == f"ERROR: {message}\n"
    assert project_files() == before


def test_database_url_is_checked_like_the_option(capsys, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "notaurl")
    code, err = run(["status"], capsys)
    assert code == 1
    assert err.startswith("ERROR: 'notaurl' is not a database address")


def test_a_new_sqlite_file_the_operator_named_is_created(tmp_path, capsys):
    path = tmp_path / "new.sqlite"
    code, _ = run(["ingest", "data/demo/demo_beds.csv", "--db", f"sqlite:///{path}"], capsys)
    assert code == 0
    assert path.exists()


def test_a_missing_postgresql_database_is_named_and_not_created(capsys):
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    try:
        admin = store.make_engine(POSTGRES_URL)
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - no server here
        if IN_CI:
            pytest.fail(f"PostgreSQL must be reachable under CI ({POSTGRES_URL}): {exc}")
        pytest.skip(f"no PostgreSQL server reachable at {POSTGRES_URL}")
    missing = f"llr_missing_{uuid.uuid4().hex[:8]}"
    url = make_url(POSTGRES_URL).set(database=missing).render_as_string(hide_password=False)
    code, err = run(["ingest", "data/demo/demo_beds.csv", "--db", url], capsys)
    assert code == 1
    assert err.startswith(f"ERROR: '{make_url(url).render_as_string(hide_password=True)}': cannot open the PostgreSQL")
    assert f'database "{missing}" does not exist' in err
    assert err.endswith("it is not created here: create it first\n")
    with admin.connect() as conn:
        names = set(conn.execute(text("SELECT datname FROM pg_database")).scalars())
    admin.dispose()
    assert missing not in names
