"""Engines for the store, the writer lock with bounded waits, the schema's creation and the catalogue's sync."""

from __future__ import annotations

import functools
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import (
    Engine,
    Table,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection, make_url

from metrics.catalogue import PROJECT_ROOT, Catalogue
from metrics.store.schema import annotation, metadata, organisation, source


# ---------------------------------------------------------------------------- engine
def resolve_database_url(cli_url: str | None = None, catalogue: Catalogue | None = None) -> str:
    """The database to use: ``--db`` on the command line, else ``DATABASE_URL``, else the catalogue's.

    A relative SQLite path is taken relative to the project root, so the app and the CLI find
    the same file whatever the working directory.
    """
    url = (
        cli_url
        or os.environ.get("DATABASE_URL")
        or (catalogue.settings.database_url if catalogue else "sqlite:///data/dashboard.sqlite")
    )
    return _rooted(url)


@functools.lru_cache(maxsize=32)
def _rooted(url: str) -> str:
    """``url`` with a relative SQLite path made absolute under the project root; worked out once per
    URL (the app asks for its database's URL on every read, and parsing it was a twentieth of a
    small page's server time)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        path = Path(parsed.database)
        if not path.is_absolute():
            url = parsed.set(database=str(PROJECT_ROOT / path)).render_as_string(hide_password=False)
    return url


#: Seconds a SQLite writer waits for another writer's transaction (one file) before giving up.
SQLITE_BUSY_SECONDS = 120

#: The page size of a SQLite file this project creates. SQLite writes a committed page at a time
#: (two writes a page in WAL mode: the frame's header, then the page); with its default of 4 KiB
#: those writes were a fifth of a whole-corpus ingest, and a page four times as large cut the ingest
#: from 9.7 s to 7.7 s (benchmarks/README.md, issue #23). Reads of one metric and area touch a few
#: pages either way. Only a new, empty file takes it (SQLite docs, "PRAGMA page_size").
SQLITE_PAGE_BYTES = 16384


#: The PostgreSQL advisory lock every write transaction takes (any constant 64-bit key will do).
WRITER_LOCK_KEY = 0x11C0DA5B0A2D


def _switch_to_wal(cursor) -> None:
    """Put a SQLite file in WAL mode, waiting while another connection holds it.

    Switching needs the file to itself, and SQLite answers "database is locked" at once instead
    of using the busy timeout; two processes opening a new file together (two ingests at once)
    would otherwise fail. A file already in WAL mode needs no switch.
    """
    if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
        return
    cursor.execute(f"PRAGMA page_size = {SQLITE_PAGE_BYTES}")  # a no-op once the file holds anything
    deadline = time.monotonic() + SQLITE_BUSY_SECONDS
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def make_engine(url: str, *, read_only: bool = False) -> Engine:
    """Create an engine; a SQLite file it creates gets WAL journalling (an existing file keeps the
    journal mode it has) and its folder is created if missing.

    With ``read_only`` nothing is created or changed: a SQLite file is opened read-only as it is
    (its journal mode left alone, so a rollback-journal file keeps its bytes), a missing file is
    read as an empty store (nothing is created on disk), and a PostgreSQL session is read-only.
    """
    parsed = make_url(url)
    if read_only:
        return _make_reader_engine(parsed)
    if parsed.get_backend_name() == "sqlite":
        new_file = True
        if parsed.database and parsed.database != ":memory:":
            path = Path(parsed.database)
            path.parent.mkdir(parents=True, exist_ok=True)
            # Only a file this engine creates is put in WAL mode: an existing file keeps the journal
            # mode its owner chose (WAL does not work on network shares), whoever opens it.
            new_file = not path.exists() or path.stat().st_size == 0
        # A second writer waits for the first one's file instead of failing with "database is locked".
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_SECONDS})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - driver callback
            cursor = dbapi_connection.cursor()
            if new_file:
                _switch_to_wal(cursor)
            if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
                # WAL with synchronous=NORMAL never corrupts the database; a power cut may lose only the
                # last committed file, which re-running the ingest restores (SQLite docs, "WAL mode").
                # A rollback-journal file keeps the default (FULL), which that guarantee needs there.
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    if parsed.get_backend_name() == "postgresql":
        return _postgres_engine(parsed)
    return create_engine(url, pool_pre_ping=True)


#: Seconds a new PostgreSQL connection may take to be answered (libpq's ``connect_timeout``). A
#: server whose host drops packets would otherwise hold every page for the operating system's TCP
#: timeout, minutes, before "The database cannot be reached" is shown. A URL that sets its own
#: ``connect_timeout`` keeps it.
PG_CONNECT_SECONDS = 10


def _postgres_engine(parsed, **connect_args) -> Engine:
    """An engine for a PostgreSQL URL, giving up on a connection not answered in ``PG_CONNECT_SECONDS``."""
    if "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = PG_CONNECT_SECONDS
    return create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)


def _make_reader_engine(parsed) -> Engine:
    """An engine that cannot write (``make_engine(url, read_only=True)``)."""
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:" or not Path(parsed.database).exists():
            # Nothing to read: an empty in-memory store, so no file is created by looking.
            return create_engine("sqlite://", connect_args={"check_same_thread": False})
        # The file opened read-only through SQLite's URI form: no journal-mode switch, no writes.
        location = Path(parsed.database).resolve().as_uri().replace("file://", "file:", 1)
        engine = create_engine(
            "sqlite://",
            creator=lambda: sqlite3.connect(
                f"{location}?mode=ro", uri=True, check_same_thread=False, timeout=SQLITE_BUSY_SECONDS
            ),
        )

        @event.listens_for(engine, "connect")
        def _read_only_pragmas(dbapi_connection, _record):  # pragma: no cover - driver callback
            dbapi_connection.execute("PRAGMA query_only=ON")

        return engine
    if parsed.get_backend_name() == "postgresql":
        # Added to any options the URL carries (a search_path, say), not in place of them.
        given = parsed.query.get("options", "")
        given = " ".join(given) if isinstance(given, tuple) else given
        options = f"{given} -c default_transaction_read_only=on".strip()
        return _postgres_engine(parsed.difference_update_query(["options"]), options=options)
    return create_engine(parsed, pool_pre_ping=True)


def sqlite_file_is_blank(path: str | Path) -> bool:
    """True for an existing SQLite file that holds no table at all (an empty placeholder, or a file
    an older version created by merely opening it); read without changing it."""
    path = Path(path)
    if not path.is_file():
        return False
    if path.stat().st_size == 0:
        return True
    location = path.resolve().as_uri().replace("file://", "file:", 1)
    try:
        conn = sqlite3.connect(f"{location}?mode=ro", uri=True)
        try:
            return conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return False  # not a database we can read: never treated as blank (it is not ours to replace)


def database_file_missing(url: str) -> bool:
    """True for a SQLite file URL whose file does not exist (read commands must not create it)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return False
    return not Path(parsed.database).exists()


def database_exists(engine: Engine) -> bool:
    """True when the schema is there and at least one source has been loaded."""
    if not inspect(engine).has_table("source"):
        return False
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(source)).scalar_one() > 0


class StoreBusy(Exception):
    """A write gave up waiting for a lock another connection holds (the message names it)."""


def lock_timeout_seconds() -> float:
    """How long a write waits for a lock (the writer lock, or a table another client holds):
    ``LLR_LOCK_TIMEOUT_SECONDS``, default ``SQLITE_BUSY_SECONDS``."""
    return _env_seconds("LLR_LOCK_TIMEOUT_SECONDS", SQLITE_BUSY_SECONDS)


def statement_timeout_seconds() -> float:
    """The longest one statement of a write may run on PostgreSQL: ``LLR_STATEMENT_TIMEOUT_SECONDS``
    (default 600; the first restore of the published snapshot takes well under a minute)."""
    return _env_seconds("LLR_STATEMENT_TIMEOUT_SECONDS", 600.0)


def _env_seconds(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, "") or default)
    except ValueError:
        return default
    return value if value > 0 else default


def _lock_holders(engine: Engine) -> str:
    """Who holds a lock on the store's tables or its writer lock (PostgreSQL), for a message."""
    tables = [t.name for t in metadata.sorted_tables]
    query = text(
        "SELECT DISTINCT a.pid, a.usename, a.application_name, host(a.client_addr) AS client, a.state, "
        "a.xact_start, left(regexp_replace(coalesce(a.query, ''), '\\s+', ' ', 'g'), 120) AS query "
        "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.granted AND a.pid <> pg_backend_pid() AND ("
        " (l.locktype = 'advisory' AND l.objid::bigint = :low AND l.classid::bigint = :high)"
        " OR (l.locktype = 'relation' AND l.relation IN ("
        "   SELECT c.oid FROM pg_class c WHERE c.relname = ANY(:tables)"
        "   AND c.relnamespace IN (SELECT n.oid FROM pg_namespace n WHERE n.nspname = ANY(current_schemas(false))))))"
        " ORDER BY a.pid"
    )
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                query,
                {"low": WRITER_LOCK_KEY & 0xFFFFFFFF, "high": WRITER_LOCK_KEY >> 32, "tables": tables},
            ).all()
    except Exception:  # noqa: BLE001 - the message is a courtesy; the timeout is what matters
        return "another connection (it could not be named)"
    if not rows:
        return "another connection (it has since let go)"
    return "; ".join(
        f"process {r.pid} (user {r.usename}"
        + (f", application '{r.application_name}'" if r.application_name else "")
        + (f", from {r.client}" if r.client else "")
        + f", {r.state}"
        + (f" since {r.xact_start:%Y-%m-%d %H:%M:%S}" if r.xact_start else "")
        + (f", last statement: {r.query}" if r.query else "")
        + ")"
        for r in rows
    )


def _busy_message(engine: Engine, waited: float, exc: BaseException) -> str:
    if "statement timeout" in str(getattr(exc, "orig", exc)).lower():
        return (
            f"a statement of the write ran longer than {statement_timeout_seconds():g} s and was stopped; "
            "nothing was written (set LLR_STATEMENT_TIMEOUT_SECONDS to allow longer)"
        )
    if engine.dialect.name == "postgresql":
        holders = _lock_holders(engine)
        return (
            f"the store is locked by {holders}; gave up after waiting {waited:g} s and nothing was written "
            "(end that transaction, or set LLR_LOCK_TIMEOUT_SECONDS to wait longer)"
        )
    return (
        f"another process is writing to {engine.url.database} (SQLite names no one); gave up after waiting "
        f"{waited:g} s and nothing was written (set LLR_LOCK_TIMEOUT_SECONDS to wait longer)"
    )


def _is_lock_timeout(exc: BaseException) -> bool:
    text_ = str(getattr(exc, "orig", exc)).lower()
    return "lock timeout" in text_ or "database is locked" in text_ or "statement timeout" in text_


#: Page cache of a connection while an ingest writes many files in a row (KiB; SQLite's default is
#: 2 MB). The observation table's key index is written all over for every file (each file adds a
#: period for every organisation); with the default cache its changed pages spill to the WAL before
#: the commit (on the public corpus, a third more system time). Over 16 MB gained nothing.
BULK_CACHE_KIB = 16384

#: WAL pages between checkpoints while an ingest writes many files in a row (SQLite's default is
#: 1000, about 4 MB). One file of the corpus dirties about 4,000 pages, so the default copied the
#: WAL into the database, and synced both, after nearly every file.
BULK_WAL_AUTOCHECKPOINT = 16384


@contextmanager
def bulk_writing(engine: Engine) -> Iterator[None]:
    """A run of many writes (``ingest_paths``): on SQLite, connections used meanwhile get a larger
    page cache and checkpoint the WAL less often; at the end the WAL is checkpointed and the
    connection's own settings are put back. Other databases are left as they are.

    Every write is still its own transaction, all or nothing: the settings change neither what is
    written nor when it is committed, only how often committed pages are copied from the WAL into
    the database file. A power cut may then lose the files committed since the last checkpoint
    (never part of one, and the database stays consistent, SQLite docs "WAL mode"); re-running the
    ingest loads them again, as it does after any interruption.
    """
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        yield
        return

    def _tune(dbapi_connection, record, _proxy) -> None:  # pragma: no cover - driver callback
        if "bulk_saved" in record.info:
            return
        cursor = dbapi_connection.cursor()
        saved = tuple(cursor.execute(f"PRAGMA {name}").fetchone()[0] for name in ("cache_size", "wal_autocheckpoint"))
        cursor.execute(f"PRAGMA cache_size = {-BULK_CACHE_KIB}")
        cursor.execute(f"PRAGMA wal_autocheckpoint = {BULK_WAL_AUTOCHECKPOINT}")
        cursor.close()
        record.info["bulk_saved"] = saved

    event.listen(engine, "checkout", _tune)
    try:
        yield
    finally:
        event.remove(engine, "checkout", _tune)
        with engine.connect() as conn:
            saved = conn.info.pop("bulk_saved", None) if hasattr(conn, "info") else None
            if saved is not None:
                conn.exec_driver_sql(f"PRAGMA cache_size = {int(saved[0])}")
                conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint = {int(saved[1])}")
            if conn.exec_driver_sql("PRAGMA journal_mode").scalar().lower() == "wal":
                conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").all()


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """One write transaction holding the store's writer lock; committed on success, else rolled back.

    SQLite: ``BEGIN IMMEDIATE`` takes the database's write lock before anything is read, so the
    rows a write compares against cannot change under it (a plain ``BEGIN`` reads first and can
    then fail to upgrade its lock). PostgreSQL: ``pg_advisory_xact_lock`` queues writers; it is
    released at commit or rollback. Readers are never blocked.

    Waits are bounded: SQLite's busy timeout, and on PostgreSQL ``lock_timeout`` (for the writer
    lock and any row or table another client holds) and ``statement_timeout``, both local to the
    transaction. A write that gives up raises ``StoreBusy`` naming what holds the lock; nothing is
    written.
    """
    waited = lock_timeout_seconds()
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(waited * 1000)}")
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            elif conn.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = {int(waited * 1000)}")
                conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(statement_timeout_seconds() * 1000)}")
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITER_LOCK_KEY})
            yield conn
    except Exception as exc:
        from sqlalchemy.exc import OperationalError

        if isinstance(exc, OperationalError) and _is_lock_timeout(exc):
            raise StoreBusy(_busy_message(engine, waited, exc)) from exc
        raise


def _ensure_schema(conn: Connection) -> None:
    """Create missing tables, and add the ``source.published`` column to a store made before it."""
    inspector = inspect(conn)
    # One query for the names instead of one per table (``create_all`` checks each table by
    # itself): every file of an ingest opens its write here, and the tables are almost always there.
    if not set(metadata.tables) <= set(inspector.get_table_names()):
        metadata.create_all(conn)
    columns = {c["name"] for c in inspector.get_columns("source")}
    if "published" not in columns:
        conn.execute(text("ALTER TABLE source ADD COLUMN published DATE"))


def init_db(engine: Engine, catalogue: Catalogue) -> None:
    """Create the tables and sync organisations, targets and annotations from the catalogue.

    One transaction; rows are written only where the store differs from the catalogue.
    """
    with writing(engine) as conn:
        _ensure_schema(conn)
        _sync_catalogue(conn, catalogue)


def _insert_if_absent(conn: Connection, table: Table, rows: list[dict]) -> None:
    """``INSERT ... ON CONFLICT DO NOTHING``: a row another writer added first is left as it is."""
    # Each dialect's insert is imported when that database is written to: importing SQLAlchemy's
    # PostgreSQL dialect cost a fresh server about 0.15 s before its first page, on SQLite too.
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        statement = pg_insert(table).on_conflict_do_nothing()
    elif conn.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = sqlite_insert(table).on_conflict_do_nothing()
    else:  # other databases rely on the writer lock alone
        statement = insert(table)
    conn.execute(statement, rows)


def _rows_key(rows) -> list[tuple]:
    return sorted((tuple(r) for r in rows), key=repr)


def _sync_catalogue(conn: Connection, catalogue: Catalogue) -> None:
    """Bring organisations, targets and annotations in line with the catalogue, writing only differences."""
    org_columns = ("code", "name", "kind", "parent_code", "place")
    wanted = [(o.code, o.name, o.kind, o.parent_code, o.place) for o in catalogue.organisations]
    # Only the catalogue's own organisations are compared: the table also holds every provider the
    # national files list (thousands), read again for every file an ingest writes.
    stored = {
        r[0]: tuple(r)
        for r in conn.execute(
            select(*(organisation.c[c] for c in org_columns)).where(organisation.c.code.in_([w[0] for w in wanted]))
        )
    }
    new = [dict(zip(org_columns, w, strict=True)) for w in wanted if w[0] not in stored]
    changed = [
        {f"b_{k}": v for k, v in zip(org_columns, w, strict=True)}
        for w in wanted
        if w[0] in stored and stored[w[0]] != w
    ]
    if new:
        _insert_if_absent(conn, organisation, new)
    if changed:
        conn.execute(
            update(organisation)
            .where(organisation.c.code == bindparam("b_code"))
            .values(
                name=bindparam("b_name"),
                kind=bindparam("b_kind"),
                parent_code=bindparam("b_parent_code"),
                place=bindparam("b_place"),
            ),
            changed,
        )
    annotation_columns = ("metric_id", "org_code", "on_date", "text")
    notes = [{c: a.model_dump()[c] for c in annotation_columns} for a in catalogue.annotations]
    _replace_if_different(conn, annotation, annotation_columns, notes)


def _replace_if_different(conn: Connection, table: Table, columns: tuple[str, ...], rows: list[dict]) -> None:
    """Replace ``table``'s rows with ``rows`` unless it already holds exactly those (as a multiset)."""
    stored = _rows_key(conn.execute(select(*(table.c[c] for c in columns))))
    if stored == _rows_key(tuple(r[c] for c in columns) for r in rows):
        return
    conn.execute(delete(table))
    if rows:
        conn.execute(insert(table), rows)


def _has_schema(engine: Engine) -> bool:
    return inspect(engine).has_table("observation")
