"""The store: the only module that talks to the database (SQLAlchemy 2.x Core, engine passed in).

Tables (docs/architecture.md): ``organisation``, ``observation`` (the tidy metrics layer), ``source``
(every observation traces to the file it came from), ``target`` and ``annotation`` (both seeded
from the catalogue). SQLite under ``data/`` is the embedded default; any SQLAlchemy URL works.

Writing is serialised: every write runs in one transaction that first takes the store's writer
lock (``BEGIN IMMEDIATE`` on SQLite, a transaction-level advisory lock on PostgreSQL), so two
ingests at once queue instead of racing, and readers (WAL on SQLite, MVCC on PostgreSQL) see
each file either completely or not at all. Waits for a lock are bounded (``writing``). Reading
never writes: read commands use ``make_engine(url, read_only=True)``.

Which figures win when two files give different values for the same metric, organisation and
period (``REVISION_RULE``): the file of higher standing (the loader's ``vintage``: a derived
compilation below a published file below a known revision) wins; between files of the same
standing the later publication date wins when both files' dates are known, and an older
publication never replaces a newer one; otherwise the later load wins. The ``source`` table
keeps every file.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    cast,
    create_engine,
    delete,
    event,
    func,
    insert,
    inspect,
    null,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, make_url

from metrics.catalogue import PROJECT_ROOT, Catalogue

TIDY_COLUMNS = ["metric_id", "org_code", "period_start", "period_type", "numerator", "denominator", "value"]

metadata = MetaData()

organisation = Table(
    "organisation",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("name", Text, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("parent_code", String(32)),
    Column("place", String(32)),
)

source = Table(
    "source",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("loader", String(64), nullable=False),
    Column("file_name", Text, nullable=False),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("publisher", Text, nullable=False),
    Column("publication", Text, nullable=False),
    Column("licence", Text, nullable=False),
    Column("url", Text, nullable=False, default=""),
    Column("vintage", String(64), nullable=False, default=""),
    Column("published", Date),  # publication date: from the file, else `ingest --published`
    Column("periods", Text, nullable=False, default=""),
    Column("period_from", Date),
    Column("period_to", Date),
    Column("rows", Integer, nullable=False, default=0),
    Column("added", Integer, nullable=False, default=0),
    Column("updated", Integer, nullable=False, default=0),
    Column("unchanged", Integer, nullable=False, default=0),
    Column("is_demo", Boolean, nullable=False, default=False),
    Column("derived", Boolean, nullable=False, default=False),
    Column("loaded_at", DateTime, nullable=False),
)

# The primary key (metric, organisation, period start, period type) is the uniqueness rule of the tidy metrics layer.
observation = Table(
    "observation",
    metadata,
    Column("metric_id", String(64), primary_key=True),
    Column("org_code", String(32), ForeignKey("organisation.code"), primary_key=True),
    Column("period_start", Date, primary_key=True),
    Column("period_type", String(8), primary_key=True),
    Column("numerator", Float),
    Column("denominator", Float),
    Column("value", Float),
    Column("source_id", Integer, ForeignKey("source.id"), nullable=False),
    Column("loaded_at", DateTime, nullable=False),
    # Ingest looks up a file's metrics over its period range; reads filter by metric and period.
    Index("ix_observation_metric_period", "metric_id", "period_start"),
)

target = Table(
    "target",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("metric_id", String(64), nullable=False),
    Column("org_code", String(32)),
    Column("kind", String(16), nullable=False),
    Column("value", Float, nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date),
    Column("source_text", Text, nullable=False),
)

annotation = Table(
    "annotation",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("metric_id", String(64)),
    Column("org_code", String(32)),
    Column("on_date", Date, nullable=False),
    Column("text", Text, nullable=False),
)

# What ``python -m loaders fetch`` saw: one row per publication and address (a statistics page or a
# file). Pages carry the last check; files the content last downloaded (SHA-256), the validators
# for conditional requests, the publication date the page gave and the source row it was loaded as.
fetch_log = Table(
    "fetch_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("publication_id", String(64), nullable=False),
    Column("kind", String(8), nullable=False),  # page | file
    Column("url", Text, nullable=False),
    Column("file_name", Text, nullable=False, default=""),
    Column("sha256", String(64)),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("published", Date),
    Column("period", Date),
    Column("status", String(16), nullable=False),
    Column("source_id", Integer),
    Column("checked_at", DateTime, nullable=False),
    Column("arrived_at", DateTime),
    Index("ix_fetch_log_publication_url", "publication_id", "url", unique=True),
)


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
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        path = Path(parsed.database)
        if not path.is_absolute():
            url = parsed.set(database=str(PROJECT_ROOT / path)).render_as_string(hide_password=False)
    return url


#: Seconds a SQLite writer waits for another writer's transaction (one file) before giving up.
SQLITE_BUSY_SECONDS = 120

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
    return create_engine(url, pool_pre_ping=True)


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
        return create_engine(
            parsed.difference_update_query(["options"]), pool_pre_ping=True, connect_args={"options": options}
        )
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
    metadata.create_all(conn)
    columns = {c["name"] for c in inspect(conn).get_columns("source")}
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
    if conn.dialect.name == "postgresql":
        statement = pg_insert(table).on_conflict_do_nothing()
    elif conn.dialect.name == "sqlite":
        statement = sqlite_insert(table).on_conflict_do_nothing()
    else:  # other databases rely on the writer lock alone
        statement = insert(table)
    conn.execute(statement, rows)


def _rows_key(rows) -> list[tuple]:
    return sorted((tuple(r) for r in rows), key=repr)


def _sync_catalogue(conn: Connection, catalogue: Catalogue) -> None:
    """Bring organisations, targets and annotations in line with the catalogue, writing only differences."""
    org_columns = ("code", "name", "kind", "parent_code", "place")
    stored = {r[0]: tuple(r) for r in conn.execute(select(*(organisation.c[c] for c in org_columns)))}
    wanted = [(o.code, o.name, o.kind, o.parent_code, o.place) for o in catalogue.organisations]
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
    target_columns = ("metric_id", "org_code", "kind", "value", "valid_from", "valid_to", "source_text")
    target_rows = [
        {
            "metric_id": m.id,
            "org_code": t.org_code,
            "kind": t.kind,
            "value": float(t.value),
            "valid_from": t.valid_from,
            "valid_to": t.valid_to,
            "source_text": t.source_text,
        }
        for m in catalogue.metrics
        for t in m.targets
    ]
    _replace_if_different(conn, target, target_columns, target_rows)
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


# ---------------------------------------------------------------------------- writing
@dataclass(frozen=True)
class SourceRecord:
    """What the ``source`` table says about one loaded file."""

    loader: str
    file_name: str
    sha256: str
    publisher: str
    publication: str
    licence: str
    url: str = ""
    vintage: str = ""  # the loader's standing of the file, sortable (see REVISION_RULE)
    published: dt.date | None = None  # publication date: from the file, else given when loading
    is_demo: bool = False
    derived: bool = False


@dataclass
class WriteCounts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    kept_newer: int = 0  # rows left alone: the stored figure comes from a later publication (REVISION_RULE)
    source_id: int | None = None
    periods: tuple[dt.date, dt.date] | None = None
    new_organisations: list[str] = field(default_factory=list)
    already_loaded: dict | None = None  # the ``source`` row of the same content, loaded meanwhile
    #: Stored figures of the same publication (loader) for the metrics and periods this file
    #: revises, for organisations the file no longer lists: kept, and reported (REVISION_RULE).
    not_in_revision: list[tuple[str, str, str]] = field(default_factory=list)


#: How a revision is decided, in words (the README and the ingest summary say the same).
#:
#: A revision that no longer lists an organisation (a month's file re-published without a provider
#: it had) does not remove that organisation's earlier figure: the store never deletes a figure no
#: file replaced, because a missing row is as often a late or dropped return as a withdrawal. The
#: figure is kept, still traced to the earlier file, and the ingest reports it by organisation
#: (``WriteCounts.not_in_revision``) so an analyst can decide; a later file that lists the
#: organisation again replaces it as usual.
REVISION_RULE = (
    "a file of higher standing wins (a derived compilation < a published file < a known revision); "
    "between files of the same standing the later publication date wins when both dates are known, "
    "otherwise the later load wins; an organisation a revision no longer lists keeps its earlier "
    "figure, and the ingest reports it"
)


def find_source(engine: Engine, sha256: str) -> dict | None:
    """The ``source`` row for a file already loaded (by content hash), or None."""
    if not _has_schema(engine):
        return None
    with reading_bounded(engine) as conn:
        row = conn.execute(_source_select(conn).where(source.c.sha256 == sha256)).mappings().first()
    return dict(row) if row else None


def _source_select(conn: Connection):
    """``SELECT`` of the ``source`` columns, NULL for a column a store made by an older version lacks.

    Reading never writes, so an old store is read as it is; the next ingest adds the column.
    """
    present = {c["name"] for c in inspect(conn).get_columns("source")}
    return select(*(c if c.name in present else null().label(c.name) for c in source.columns))


def _has_schema(engine: Engine) -> bool:
    return inspect(engine).has_table("observation")


def _same(a: pd.Series, b: pd.Series) -> pd.Series:
    """Element-wise equality that treats two missing values as equal (and tolerates float noise)."""
    a = pd.to_numeric(a, errors="coerce").astype("float64")
    b = pd.to_numeric(b, errors="coerce").astype("float64")
    both_missing = a.isna() & b.isna()
    close = np.isclose(a.fillna(0), b.fillna(0), rtol=1e-9, atol=1e-9) & a.notna() & b.notna()
    return pd.Series(both_missing | close, index=a.index)


def write_load(
    engine: Engine,
    tidy: pd.DataFrame,
    record: SourceRecord,
    organisations: pd.DataFrame | None = None,
    catalogue: Catalogue | None = None,
) -> WriteCounts:
    """Upsert one file's tidy rows and its ``source`` row in a single transaction.

    Rows new to the store are added; rows whose values differ are replaced unless the stored
    row's file wins under ``REVISION_RULE``; identical rows are left alone. The same transaction
    creates missing tables and, given the catalogue, brings organisations, targets and annotations
    in line with it. If anything fails, nothing is written. Content already loaded (the same
    SHA-256, e.g. by a concurrent ingest) changes nothing: ``already_loaded`` names it.

    Parameters
    ----------
    engine : Engine
    tidy : DataFrame
        Columns ``TIDY_COLUMNS``; ``period_start`` as dates.
    record : SourceRecord
    organisations : DataFrame, optional
        ``code, name, kind`` (optionally ``parent_code, place``) for organisation codes the
        store does not know yet (national benchmarking keeps every organisation).
    catalogue : Catalogue, optional
        Synchronised into the store in the same transaction when given.

    Returns
    -------
    WriteCounts
    """
    tidy = tidy.loc[:, TIDY_COLUMNS].copy()
    tidy["period_start"] = pd.to_datetime(tidy["period_start"]).dt.date
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    counts = WriteCounts()
    if len(tidy):
        counts.periods = (min(tidy["period_start"]), max(tidy["period_start"]))
    with writing(engine) as conn:
        _ensure_schema(conn)
        if catalogue is not None:
            _sync_catalogue(conn, catalogue)
        seen = conn.execute(_source_select(conn).where(source.c.sha256 == record.sha256)).mappings().first()
        if seen is not None:
            counts.already_loaded = dict(seen)
            return counts
        counts.new_organisations = _add_organisations(conn, tidy, organisations)
        source_id = conn.execute(
            insert(source).values(
                loader=record.loader,
                file_name=record.file_name,
                sha256=record.sha256,
                publisher=record.publisher,
                publication=record.publication,
                licence=record.licence,
                url=record.url,
                vintage=record.vintage,
                published=record.published,
                is_demo=record.is_demo,
                derived=record.derived,
                rows=len(tidy),
                loaded_at=now,
            )
        ).inserted_primary_key[0]
        counts.source_id = source_id
        if len(tidy):
            _upsert(conn, tidy, source_id, record, now, counts)
        periods_text = ""
        if counts.periods:
            first, last = counts.periods
            periods_text = first.isoformat() if first == last else f"{first.isoformat()} to {last.isoformat()}"
        conn.execute(
            update(source)
            .where(source.c.id == source_id)
            .values(
                periods=periods_text,
                period_from=counts.periods[0] if counts.periods else None,
                period_to=counts.periods[1] if counts.periods else None,
                added=counts.added,
                updated=counts.updated,
                unchanged=counts.unchanged,
            )
        )
    return counts


def reapply_load(
    engine: Engine,
    tidy: pd.DataFrame,
    record: SourceRecord,
    organisations: pd.DataFrame | None = None,
    catalogue: Catalogue | None = None,
) -> WriteCounts | None:
    """Apply again the rows of content loaded before, which a publication has gone back to.

    A statistics file revised from A to B and then back to A: A's ``source`` row exists, but the
    store holds B's figures. The rows are upserted under A's source row (``REVISION_RULE`` as for
    any load, with ``record``'s publication date) and that row's ``loaded_at`` (and ``published``,
    when later) are brought up to date, in one transaction with the writer lock.

    Returns
    -------
    WriteCounts or None
        None when the content is not in the store (load it with ``write_load``).
    """
    tidy = tidy.loc[:, TIDY_COLUMNS].copy()
    tidy["period_start"] = pd.to_datetime(tidy["period_start"]).dt.date
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    counts = WriteCounts()
    if len(tidy):
        counts.periods = (min(tidy["period_start"]), max(tidy["period_start"]))
    with writing(engine) as conn:
        _ensure_schema(conn)
        if catalogue is not None:
            _sync_catalogue(conn, catalogue)
        seen = conn.execute(_source_select(conn).where(source.c.sha256 == record.sha256)).mappings().first()
        if seen is None:
            return None
        counts.source_id = seen["id"]
        counts.new_organisations = _add_organisations(conn, tidy, organisations)
        if len(tidy):
            _upsert(conn, tidy, seen["id"], record, now, counts)
        values = {"loaded_at": now}
        if record.published is not None and (seen["published"] is None or seen["published"] < record.published):
            values["published"] = record.published
        conn.execute(update(source).where(source.c.id == seen["id"]).values(**values))
    return counts


def _add_organisations(conn, tidy: pd.DataFrame, organisations: pd.DataFrame | None) -> list[str]:
    wanted = set(tidy["org_code"].unique())
    existing = set(conn.execute(select(organisation.c.code)).scalars())
    missing = sorted(wanted - existing)
    if not missing:
        return []
    info: dict[str, dict] = {}
    if organisations is not None and len(organisations):
        for row in organisations.drop_duplicates("code").to_dict("records"):
            info[row["code"]] = row
    rows = []
    for code in missing:
        row = info.get(code, {})
        rows.append(
            {
                "code": code,
                "name": str(row.get("name") or code),
                "kind": str(row.get("kind") or "provider"),
                "parent_code": row.get("parent_code") or None,
                "place": row.get("place") or None,
            }
        )
    _insert_if_absent(conn, organisation, rows)
    return missing


def _nullable(values: pd.Series) -> list:
    """Floats with NaN as None (SQL NULL), without a Python call per value."""
    return values.astype("float64").astype(object).where(values.notna(), None).tolist()


def _executemany(conn, sql_template: str, rows: list[tuple]) -> None:
    """Run one parametrised statement for many rows through the driver's own executemany.

    SQLAlchemy's per-row parameter processing cost more than the loaders' parsing (profiled on the
    A&E corpus); the statement text comes from our own table metadata, the values are bound by the
    driver. ``sql_template`` uses ``{p}`` for each placeholder.
    """
    placeholder = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    conn.exec_driver_sql(sql_template.replace("{p}", placeholder), rows)


def _date_params(conn, dates: pd.Series) -> list:
    """Dates as the driver wants them: ISO text for SQLite (as SQLAlchemy stores them), else dates."""
    if conn.dialect.name == "sqlite":
        return dates.astype(str).tolist()
    return list(dates)


def _timestamp_param(conn, when: dt.datetime):
    return when.strftime("%Y-%m-%d %H:%M:%S.%f") if conn.dialect.name == "sqlite" else when


def _upsert(
    conn, tidy: pd.DataFrame, source_id: int, record: SourceRecord, now: dt.datetime, counts: WriteCounts
) -> None:
    key = ["metric_id", "org_code", "period_key", "period_type"]
    first, last = counts.periods
    query = (
        select(
            observation.c.metric_id,
            observation.c.org_code,
            cast(observation.c.period_start, String).label("period_key"),
            observation.c.period_type,
            observation.c.numerator.label("old_numerator"),
            observation.c.denominator.label("old_denominator"),
            observation.c.value.label("old_value"),
            source.c.vintage.label("old_vintage"),
            source.c.published.label("old_published"),
            source.c.loader.label("old_loader"),
            source.c.publication.label("old_publication"),
        )
        .join(source, source.c.id == observation.c.source_id)
        .where(
            observation.c.metric_id.in_(sorted(tidy["metric_id"].unique())),
            observation.c.period_start.between(first, last),
        )
    )
    result = conn.execute(query)
    existing = pd.DataFrame.from_records([tuple(r) for r in result], columns=list(result.keys()))
    tidy = tidy.assign(period_key=[d.isoformat() for d in tidy["period_start"]])
    if existing.empty:
        merged = tidy.assign(_exists=False)
    else:
        existing["period_key"] = existing["period_key"].str.slice(0, 10)
        merged = tidy.merge(existing, on=key, how="left", indicator=True)
        merged["_exists"] = merged.pop("_merge") == "both"
    if not existing.empty:
        counts.not_in_revision = _not_in_revision(existing, tidy, record, key)
    new_rows = merged[~merged["_exists"]]
    old_rows = merged[merged["_exists"]]
    if len(old_rows):
        same = (
            _same(old_rows["numerator"], old_rows["old_numerator"])
            & _same(old_rows["denominator"], old_rows["old_denominator"])
            & _same(old_rows["value"], old_rows["old_value"])
        )
        wins = _incoming_wins(old_rows["old_vintage"], old_rows["old_published"], record)
        changed = old_rows[~same & wins]
        counts.unchanged = int(same.sum())
        counts.kept_newer = int((~same & ~wins).sum())
    else:
        changed = old_rows
    stamp = _timestamp_param(conn, now)
    if len(new_rows):
        n = len(new_rows)
        _insert_observations(conn, new_rows, _date_params(conn, new_rows["period_start"]), [source_id] * n, [stamp] * n)
        counts.added = n
    if len(changed):
        n = len(changed)
        _executemany(
            conn,
            "UPDATE observation SET numerator = {p}, denominator = {p}, value = {p}, source_id = {p}, "
            "loaded_at = {p} WHERE metric_id = {p} AND org_code = {p} AND period_start = {p} AND period_type = {p}",
            list(
                zip(
                    _nullable(changed["numerator"]),
                    _nullable(changed["denominator"]),
                    _nullable(changed["value"]),
                    [source_id] * n,
                    [stamp] * n,
                    changed["metric_id"].tolist(),
                    changed["org_code"].tolist(),
                    _date_params(conn, changed["period_start"]),
                    changed["period_type"].tolist(),
                    strict=True,
                )
            ),
        )
        counts.updated = n


def _not_in_revision(existing: pd.DataFrame, tidy: pd.DataFrame, record: SourceRecord, key: list[str]) -> list:
    """Stored rows this file would revise (same loader and publication, a metric and period it gives,
    and it wins) for organisations it does not list: ``(metric_id, org_code, period)`` each, sorted."""
    same = existing[(existing["old_loader"] == record.loader) & (existing["old_publication"] == record.publication)]
    if same.empty:
        return []
    covered = tidy[["metric_id", "period_key", "period_type"]].drop_duplicates()
    same = same.merge(covered, on=["metric_id", "period_key", "period_type"], how="inner")
    same = same.merge(tidy[key].drop_duplicates(), on=key, how="left", indicator=True)
    missing = same[same.pop("_merge") == "left_only"]
    if missing.empty:
        return []
    missing = missing[_incoming_wins(missing["old_vintage"], missing["old_published"], record).to_numpy()]
    return sorted(zip(missing["metric_id"], missing["org_code"], missing["period_key"], strict=True))


def _incoming_wins(old_vintage: pd.Series, old_published: pd.Series, record: SourceRecord) -> pd.Series:
    """Per stored row, whether the incoming file replaces it (``REVISION_RULE``), as one set operation.

    Never depends on file content beyond what the loader declares: two files of the same standing
    without both publication dates are decided by load order (the incoming file is the later load).
    """
    old_vintage = old_vintage.fillna("").astype(str)
    higher = old_vintage < record.vintage
    same_standing = old_vintage == record.vintage
    if record.published is None:
        not_older = pd.Series(True, index=old_vintage.index)
    else:
        stored = pd.to_datetime(old_published, errors="coerce")
        not_older = stored.isna() | (stored <= pd.Timestamp(record.published))
    return higher | (same_standing & not_older)


def reset(engine: Engine) -> None:
    """Drop every table (used to rebuild the demo database)."""
    metadata.drop_all(engine)


# ---------------------------------------------------------------------------- reading
def _frame(engine: Engine, query, date_columns=(), datetime_columns=()) -> pd.DataFrame:
    with engine.connect() as conn:
        result = conn.execute(query)
        columns = list(result.keys())
        # Plain tuples: building a frame from Row objects makes pandas probe every row (10x slower).
        rows = [tuple(row) for row in result]
    frame = pd.DataFrame.from_records(rows, columns=columns)
    for col in (*date_columns, *datetime_columns):
        frame[col] = pd.to_datetime(frame[col])
    return frame


def read_observations(
    engine: Engine,
    metric_ids: list[str] | tuple[str, ...] | None = None,
    org_codes: list[str] | tuple[str, ...] | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> pd.DataFrame:
    """Observations filtered in SQL, sorted by metric, organisation and period.

    Returns a DataFrame with the tidy columns (``period_start`` as datetime64) plus
    ``source_id``.
    """
    query = select(
        observation.c.metric_id,
        observation.c.org_code,
        # As text, parsed once per column below: per-row date conversion dominates large reads.
        cast(observation.c.period_start, String).label("period_start"),
        observation.c.period_type,
        observation.c.numerator,
        observation.c.denominator,
        observation.c.value,
        observation.c.source_id,
    )
    if metric_ids is not None:
        query = query.where(observation.c.metric_id.in_(list(metric_ids)))
    if org_codes is not None:
        query = query.where(observation.c.org_code.in_(list(org_codes)))
    if start is not None:
        query = query.where(observation.c.period_start >= start)
    if end is not None:
        query = query.where(observation.c.period_start <= end)
    query = query.order_by(observation.c.metric_id, observation.c.org_code, observation.c.period_start)
    frame = _frame(engine, query)
    frame["period_start"] = pd.to_datetime(frame["period_start"].str.slice(0, 10), format="%Y-%m-%d")
    for col in ("numerator", "denominator", "value"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    return frame


def read_sources(engine: Engine) -> pd.DataFrame:
    """Every loaded file with its publisher, licence, publication date, periods and load time, newest first."""
    with engine.connect() as conn:
        query = _source_select(conn).order_by(source.c.loaded_at.desc(), source.c.id.desc())
    return _frame(engine, query, date_columns=["period_from", "period_to", "published"], datetime_columns=["loaded_at"])


def read_organisations(engine: Engine) -> pd.DataFrame:
    return _frame(engine, select(organisation).order_by(organisation.c.code))


def read_targets(engine: Engine, metric_ids: list[str] | None = None) -> pd.DataFrame:
    query = select(target).order_by(target.c.metric_id, target.c.valid_from)
    if metric_ids is not None:
        query = query.where(target.c.metric_id.in_(list(metric_ids)))
    return _frame(engine, query, date_columns=["valid_from", "valid_to"])


def read_annotations(engine: Engine) -> pd.DataFrame:
    return _frame(engine, select(annotation).order_by(annotation.c.on_date), date_columns=["on_date"])


def known_org_codes(engine: Engine) -> set[str]:
    if not _has_schema(engine):
        return set()
    with engine.connect() as conn:
        return set(conn.execute(select(organisation.c.code)).scalars())


def latest_periods(engine: Engine) -> pd.DataFrame:
    """Per metric: the first and latest period stored, the number of organisations and rows."""
    query = (
        select(
            observation.c.metric_id,
            func.min(observation.c.period_start).label("first_period"),
            func.max(observation.c.period_start).label("latest_period"),
            func.count(func.distinct(observation.c.org_code)).label("organisations"),
            func.count().label("rows"),
        )
        .group_by(observation.c.metric_id)
        .order_by(observation.c.metric_id)
    )
    return _frame(engine, query, date_columns=["first_period", "latest_period"])


def observation_sources(engine: Engine, source_ids: list[int]) -> pd.DataFrame:
    """The ``source`` rows behind the given observation source ids."""
    with engine.connect() as conn:
        query = _source_select(conn).where(source.c.id.in_([int(i) for i in source_ids]))
    return _frame(engine, query, date_columns=["period_from", "period_to", "published"], datetime_columns=["loaded_at"])


def previous_organisation_counts(
    engine: Engine, metric_ids: list[str], before: dt.date, loader: str, publication: str
) -> dict[str, tuple[dt.date, int]]:
    """Per metric: the latest period before ``before`` that files of this loader and publication
    gave, and how many organisations they gave for it (for judging whether a file is complete)."""
    if not _has_schema(engine) or not metric_ids:
        return {}
    joined = observation.join(source, source.c.id == observation.c.source_id)
    same = (source.c.loader == loader) & (source.c.publication == publication)
    latest = (
        select(observation.c.metric_id.label("metric_id"), func.max(observation.c.period_start).label("period"))
        .select_from(joined)
        .where(observation.c.metric_id.in_(sorted(metric_ids)), observation.c.period_start < before, same)
        .group_by(observation.c.metric_id)
        .subquery()
    )
    query = (
        select(latest.c.metric_id, cast(latest.c.period, String), func.count(func.distinct(observation.c.org_code)))
        .select_from(
            joined.join(
                latest,
                (latest.c.metric_id == observation.c.metric_id) & (latest.c.period == observation.c.period_start),
            )
        )
        .where(same)
        .group_by(latest.c.metric_id, latest.c.period)
    )
    with reading_bounded(engine) as conn:
        return {m: (dt.date.fromisoformat(str(p)[:10]), int(n)) for m, p, n in conn.execute(query)}


@contextmanager
def reading_bounded(engine: Engine) -> Iterator[Connection]:
    """A read an ingest makes before it writes, waiting at most ``lock_timeout_seconds`` for a table
    another client holds (PostgreSQL); ``StoreBusy`` names the holder. Nothing is written."""
    waited = lock_timeout_seconds()
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = {int(waited * 1000)}")
            yield conn
            conn.rollback()
    except Exception as exc:
        from sqlalchemy.exc import OperationalError

        if isinstance(exc, OperationalError) and _is_lock_timeout(exc):
            raise StoreBusy(_busy_message(engine, waited, exc)) from exc
        raise


def data_version(engine: Engine) -> str:
    """A short token that changes whenever a file is loaded: the key for cached reads."""
    if not _has_schema(engine):
        return "empty"
    with engine.connect() as conn:
        count, last_id, last_at = conn.execute(
            select(func.count(), func.max(source.c.id), func.max(source.c.loaded_at))
        ).one()
    return f"{count}-{last_id}-{last_at}"


# ---------------------------------------------------------------------------- fetching
FETCH_LOG_COLUMNS = [c.name for c in fetch_log.columns if c.name != "id"]


def read_fetch_log(engine: Engine, publication_id: str | None = None) -> pd.DataFrame:
    """What the fetcher has seen, per publication and address (pages and files), oldest first.

    Returns an empty frame with the ``fetch_log`` columns when nothing has been fetched yet (or the
    database predates the table), so reading never writes.
    """
    if not inspect(engine).has_table("fetch_log"):
        return pd.DataFrame(columns=FETCH_LOG_COLUMNS)
    query = select(*[fetch_log.c[name] for name in FETCH_LOG_COLUMNS]).order_by(fetch_log.c.id)
    if publication_id is not None:
        query = query.where(fetch_log.c.publication_id == publication_id)
    return _frame(engine, query, date_columns=["published", "period"], datetime_columns=["checked_at", "arrived_at"])


def record_fetch(engine: Engine, rows: list[dict]) -> None:
    """Insert or update fetch-log rows (keyed by publication and address) in one transaction.

    Each row has ``publication_id``, ``kind``, ``url``, ``status`` and ``checked_at``, and any of the
    other ``fetch_log`` columns; a column left out keeps its stored value.
    """
    if not rows:
        return
    # Under the writer lock, so two runs at once take turns and the second updates the first's rows.
    with writing(engine) as conn:
        for row in rows:
            values = {k: v for k, v in row.items() if k in FETCH_LOG_COLUMNS}
            key = (fetch_log.c.publication_id == values["publication_id"]) & (fetch_log.c.url == values["url"])
            found = conn.execute(select(fetch_log.c.id).where(key)).scalar_one_or_none()
            if found is None:
                conn.execute(insert(fetch_log).values(**values))
            else:
                conn.execute(update(fetch_log).where(fetch_log.c.id == found).values(**values))


def fetch_log_version(engine: Engine) -> str:
    """A short token that changes whenever the fetcher records a check: the key for its cached read."""
    if not inspect(engine).has_table("fetch_log"):
        return "never"
    with engine.connect() as conn:
        count, last = conn.execute(select(func.count(), func.max(fetch_log.c.checked_at))).one()
    return f"{count}-{last}"


# ---------------------------------------------------------------------------- snapshots
#: The ``source`` columns a snapshot carries (not ``id``, which is local to a database, nor
#: ``loaded_at``, which would change the snapshot every time it is made).
SNAPSHOT_SOURCE_COLUMNS = [
    "loader",
    "file_name",
    "sha256",
    "publisher",
    "publication",
    "licence",
    "url",
    "vintage",
    "published",
    "periods",
    "period_from",
    "period_to",
    "rows",
    "added",
    "updated",
    "unchanged",
    "is_demo",
    "derived",
]


def read_all_sources(engine: Engine) -> pd.DataFrame:
    """Every ``source`` row in load order (``id``), for a snapshot."""
    return _frame(engine, select(source).order_by(source.c.id))


@dataclass
class RestoreCounts:
    """What restoring a snapshot did."""

    sources_added: int = 0
    sources_already_loaded: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    kept_newer: int = 0


class StoreHoldsOtherData(Exception):
    """A replacing write refused: the store holds data it was not pointed at (the message says what)."""


#: What a restore does with a store that holds files the snapshot does not (``restore_tables``).
OTHER_DATA_MODES = ("refuse", "replace", "merge")


def _refuse_other_data(conn: Connection, sources: pd.DataFrame, other_data, engine: Engine) -> bool:
    """Decide, inside the write transaction, whether the stored data may be replaced or merged into.

    Returns True when the stored rows are to be deleted first. Raises ``StoreHoldsOtherData`` when
    the store holds files the snapshot does not and ``other_data`` is "refuse", or when it is a
    check that finds something it may not replace.
    """
    stored = [dict(r) for r in conn.execute(select(source.c.file_name, source.c.sha256, source.c.is_demo)).mappings()]
    fetched = conn.execute(select(func.count()).select_from(fetch_log)).scalar_one()
    if not stored and not fetched:
        return False
    where = _database_name(engine)
    if callable(other_data):
        reason = other_data(stored, fetched)
        if reason:
            raise StoreHoldsOtherData(f"{where} {reason}; nothing was changed")
        return True
    if other_data not in OTHER_DATA_MODES:
        raise ValueError(f"other_data must be one of {OTHER_DATA_MODES} or a check, not {other_data!r}")
    if other_data != "refuse":
        return other_data == "replace"
    other = sorted(r["file_name"] for r in stored if r["sha256"] not in set(sources["sha256"]))
    if not other:
        return False
    shown_names = ", ".join(other[:3]) + (f" and {len(other) - 3} more" if len(other) > 3 else "")
    raise StoreHoldsOtherData(
        f"{where} holds {len(other)} file(s) that are not in this snapshot ({shown_names}); "
        "restoring could change their figures, so nothing was changed (give --replace to replace the "
        "whole store with the snapshot, or --merge to add it under the revision rule)"
    )


def _database_name(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _clear_data(conn: Connection) -> None:
    """Delete every loaded row (the catalogue's own rows are synchronised again afterwards)."""
    for table in (observation, fetch_log, source, organisation):
        conn.execute(delete(table))


def restore_tables(
    engine: Engine,
    organisations: pd.DataFrame,
    sources: pd.DataFrame,
    observations: pd.DataFrame,
    catalogue: Catalogue | None = None,
    other_data="refuse",
) -> RestoreCounts:
    """Load a snapshot's tables in one transaction, with the same revision rules as ingest.

    A source whose SHA-256 is already stored changes nothing (as re-ingesting the same file);
    the rows of a new source are added, or replace stored rows when its vintage is the same or
    later (``write_load``). Into an empty store the rows are bulk-inserted as they are.

    ``other_data`` says what happens when the store holds files the snapshot does not: "refuse"
    (``StoreHoldsOtherData``, nothing changed), "merge" (the revision rule decides row by row) or
    "replace": every loaded row (observations, sources, organisations, the fetch log) is deleted
    and the snapshot written in the same transaction, so a reader or a crash sees the old store or
    the new one, never a mix. It may instead be a check, ``check(stored_sources, fetch_log_rows)
    -> reason or None``, run inside the transaction: the store is replaced only when it returns
    None. ``catalogue``, when given, is synchronised in
    the same transaction (tables created, organisations, targets and annotations).

    Parameters
    ----------
    engine : Engine
        A store whose schema exists (``init_db``).
    organisations : DataFrame
        ``code, name, kind, parent_code, place``; codes not yet stored are added.
    sources : DataFrame
        ``SNAPSHOT_SOURCE_COLUMNS`` plus ``ref``, the key the observations use.
    observations : DataFrame
        ``TIDY_COLUMNS`` (``period_start`` as ISO date text) plus ``source_ref``.

    Returns
    -------
    RestoreCounts
    """
    counts = RestoreCounts()
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    sources = sources.copy()
    if "published" not in sources:  # a snapshot made before sources carried publication dates
        sources["published"] = None
    with writing(engine) as conn:
        _ensure_schema(conn)
        if _refuse_other_data(conn, sources, other_data, engine):
            _clear_data(conn)
        if catalogue is not None:
            _sync_catalogue(conn, catalogue)
        known = set(conn.execute(select(source.c.sha256)).scalars())
        new_sources = sources[~sources["sha256"].isin(known)]
        counts.sources_already_loaded = len(sources) - len(new_sources)
        if new_sources.empty:
            return counts
        wanted = observations[observations["source_ref"].isin(new_sources["ref"])]
        _add_organisations(conn, wanted[["org_code"]], organisations)
        store_was_empty = conn.execute(select(func.count()).select_from(observation)).scalar_one() == 0
        rows = []
        for record in new_sources.to_dict("records"):
            row = {c: record[c] for c in SNAPSHOT_SOURCE_COLUMNS}
            for col in ("period_from", "period_to", "published"):
                row[col] = None if pd.isna(row[col]) else pd.Timestamp(row[col]).date()
            rows.append({**row, "loaded_at": now})
        conn.execute(insert(source), rows)
        query = select(source.c.sha256, source.c.id).where(source.c.sha256.in_(new_sources["sha256"].tolist()))
        ids = {sha: id_ for sha, id_ in conn.execute(query)}
        ref_to_id = {int(r): ids[s] for r, s in zip(new_sources["ref"], new_sources["sha256"], strict=True)}
        counts.sources_added = len(new_sources)
        if store_was_empty:
            # Building the secondary index once after the rows are in is faster than keeping it up
            # to date row by row (the first start of the app restores about 420,000 rows).
            index = next(i for i in observation.indexes if i.name == "ix_observation_metric_period")
            index.drop(conn)
            _bulk_insert_observations(conn, wanted, wanted["source_ref"].map(ref_to_id), now)
            index.create(conn)
            counts.added = len(wanted)
            return counts
        records = {
            int(r["ref"]): SourceRecord(
                **{k: r[k] for k in ("loader", "file_name", "sha256", "publisher", "publication", "licence")},
                url=r["url"] or "",
                vintage=r["vintage"] or "",
                published=None if pd.isna(r["published"]) else pd.Timestamp(r["published"]).date(),
                is_demo=bool(r["is_demo"]),
                derived=bool(r["derived"]),
            )
            for r in new_sources.to_dict("records")
        }
        for ref, group in wanted.groupby("source_ref", sort=True):
            group = group.assign(period_start=pd.to_datetime(group["period_start"], format="%Y-%m-%d").dt.date)
            write = WriteCounts(periods=(min(group["period_start"]), max(group["period_start"])))
            _upsert(conn, group.loc[:, TIDY_COLUMNS], ref_to_id[int(ref)], records[int(ref)], now, write)
            counts.added += write.added
            counts.updated += write.updated
            counts.unchanged += write.unchanged
            counts.kept_newer += write.kept_newer
    return counts


def _bulk_insert_observations(conn, rows: pd.DataFrame, source_ids: pd.Series, now: dt.datetime) -> None:
    """Insert rows whose ``period_start`` is ISO text (SQLite stores dates as that text)."""
    n = len(rows)
    if conn.dialect.name == "sqlite":
        periods = rows["period_start"].tolist()
    else:
        periods = pd.to_datetime(rows["period_start"], format="%Y-%m-%d").dt.date.tolist()
    _insert_observations(conn, rows, periods, source_ids.astype(int).tolist(), [_timestamp_param(conn, now)] * n)


def _insert_observations(conn, rows: pd.DataFrame, periods: list, source_ids: list, stamps: list) -> None:
    """One bulk INSERT of tidy rows (the ingest's new rows and a restore's rows share it)."""
    _executemany(
        conn,
        "INSERT INTO observation (metric_id, org_code, period_start, period_type, numerator, denominator, "
        "value, source_id, loaded_at) VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p})",
        list(
            zip(
                rows["metric_id"].tolist(),
                rows["org_code"].tolist(),
                periods,
                rows["period_type"].tolist(),
                _nullable(rows["numerator"]),
                _nullable(rows["denominator"]),
                _nullable(rows["value"]),
                source_ids,
                stamps,
                strict=True,
            )
        ),
    )


def make_scratch_sqlite_engine(path: str | Path) -> Engine:
    """An engine for a SQLite file built under a temporary name and renamed into place only when
    complete (the app's first start): no rollback journal and no fsync, since a failed build is
    deleted, never opened (SQLite docs, "PRAGMA journal_mode", "PRAGMA synchronous")."""
    engine = create_engine(f"sqlite:///{path}", connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - driver callback
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=OFF")
        cursor.execute("PRAGMA synchronous=OFF")
        # The rows come from a snapshot whose references were checked when it was made: checking
        # every row's two foreign keys again doubled the build (issue #12: first page <= 5 s).
        cursor.execute("PRAGMA foreign_keys=OFF")
        cursor.execute("PRAGMA cache_size=-262144")
        cursor.close()

    return engine


def seal_sqlite(engine: Engine) -> None:
    """Fold the write-ahead log into a freshly built SQLite file so the file alone is the database,
    and leave it in WAL mode (it is then renamed into place; ``make_engine`` switches only files it
    creates, so a built file carries its mode with it)."""
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.exec_driver_sql("PRAGMA journal_mode=DELETE")
        conn.exec_driver_sql("PRAGMA journal_mode=WAL")


# ---------------------------------------------------------------------------- the committee's actions log
# Every change to an action is a new row: the log is append-only, so who changed what, and when,
# is never overwritten. An action's current state is its latest row (``read_actions``).
action_change = Table(
    "action_change",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("action_id", Integer, nullable=False),
    Column("meeting_date", Date, nullable=False),
    Column("action", Text, nullable=False),
    Column("owner", Text, nullable=False),
    Column("due_date", Date),
    Column("metrics", Text, nullable=False),  # metric ids separated by ";"
    Column("area", String(32), nullable=False),
    Column("status", String(16), nullable=False),  # "open" | "closed"
    Column("closing_note", Text, nullable=False),
    Column("changed_at", DateTime, nullable=False),
    Column("changed_by", Text, nullable=False),
    Index("ix_action_change_action", "action_id", "id"),
)
ACTION_FIELDS = ["meeting_date", "action", "owner", "due_date", "metrics", "area", "status", "closing_note"]
ACTION_COLUMNS = ["action_id", *ACTION_FIELDS, "changed_at", "changed_by"]


def _action_rows(conn: Connection, rows: list[dict], changed_by: str, when: dt.datetime) -> None:
    stamped = [
        {**{f: r[f] for f in ("action_id", *ACTION_FIELDS)}, "changed_at": when, "changed_by": changed_by}
        for r in rows
    ]
    if stamped:
        conn.execute(insert(action_change), stamped)


def add_actions(engine: Engine, rows: list[dict], changed_by: str, when: dt.datetime | None = None) -> list[int]:
    """Record new actions (``ACTION_FIELDS`` each) in one transaction: all of them or none.

    Returns
    -------
    list of int
        The new actions' ids, in the order given.
    """
    when = (when or dt.datetime.now()).replace(microsecond=0)
    with writing(engine) as conn:
        action_change.create(conn, checkfirst=True)
        first = (conn.execute(select(func.max(action_change.c.action_id))).scalar() or 0) + 1
        ids = list(range(first, first + len(rows)))
        _action_rows(conn, [{**r, "action_id": i} for r, i in zip(rows, ids, strict=True)], changed_by, when)
    return ids


def change_action(engine: Engine, action_id: int, changes: dict, changed_by: str,
                  when: dt.datetime | None = None) -> None:  # fmt: skip
    """Record a change to an action as a new row (the earlier rows are kept as they were).

    Raises
    ------
    KeyError
        When there is no action ``action_id``.
    """
    when = (when or dt.datetime.now()).replace(microsecond=0)
    with writing(engine) as conn:
        action_change.create(conn, checkfirst=True)
        latest = conn.execute(
            select(action_change).where(action_change.c.action_id == action_id).order_by(action_change.c.id.desc())
        ).first()
        if latest is None:
            raise KeyError(f"there is no action {action_id}")
        row = {**latest._mapping, **{k: v for k, v in changes.items() if k in ACTION_FIELDS}}
        _action_rows(conn, [row], changed_by, when)


def _has_actions(engine: Engine) -> bool:
    return inspect(engine).has_table("action_change")


def read_action_history(engine: Engine, action_id: int | None = None) -> pd.DataFrame:
    """Every recorded change (``id`` + ``ACTION_COLUMNS``), oldest first."""
    if not _has_actions(engine):
        return pd.DataFrame(columns=["id", *ACTION_COLUMNS])
    query = select(action_change).order_by(action_change.c.id)
    if action_id is not None:
        query = query.where(action_change.c.action_id == action_id)
    return _frame(engine, query, date_columns=("meeting_date", "due_date"), datetime_columns=("changed_at",))


def read_actions(engine: Engine) -> pd.DataFrame:
    """Each action as it stands now (its latest change): ``ACTION_COLUMNS``, by action id."""
    history = read_action_history(engine)
    if history.empty:
        return history[ACTION_COLUMNS]
    latest = history.sort_values("id").groupby("action_id", sort=True).tail(1)
    return latest[ACTION_COLUMNS].sort_values("action_id").reset_index(drop=True)


# ---------------------------------------------------------------------------- reference data
# Organisations and area memberships from reference files (ODS, ONS lookups). Each file is one
# view (column ``loader``: which list, e.g. ``ods_trusts``); a newer file of the same view replaces
# its rows (a reference extract is the whole list, so a trust missing from it is no longer listed).
REFERENCE_ORGANISATION_COLUMNS = ["code", "name", "kind", "ons_code", "region_code", "opened", "closed"]
REFERENCE_MEMBERSHIP_COLUMNS = ["member_code", "parent_code", "relation", "valid_from", "valid_to", "weight"]

reference_organisation = Table(
    "reference_organisation",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("loader", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("ons_code", String(16)),
    Column("region_code", String(16)),
    Column("opened", Date),
    Column("closed", Date),
    Column("source_id", Integer, ForeignKey("source.id"), nullable=False),
)

reference_membership = Table(
    "reference_membership",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("member_code", String(32), nullable=False),
    Column("parent_code", String(32), nullable=False),
    Column("relation", String(32), nullable=False),
    Column("valid_from", Date),
    Column("valid_to", Date),
    Column("weight", Float, nullable=False, default=1.0),
    Column("loader", String(64), nullable=False),
    Column("source_id", Integer, ForeignKey("source.id"), nullable=False),
    Index("ix_reference_membership_parent", "parent_code", "relation"),
)


def _none_if_missing(value):
    return None if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT else value


def write_reference_load(
    engine: Engine,
    tidy: pd.DataFrame,
    record: SourceRecord,
    organisations: pd.DataFrame | None,
    catalogue: Catalogue | None,
    reference_organisations: pd.DataFrame,
    reference_memberships: pd.DataFrame,
    view: str,
) -> WriteCounts:
    """Write a reference file in one transaction: its ``source`` row, any figures it carries (as
    ``write_load``), and its organisations and memberships, replacing the earlier rows of the same
    ``view`` (the list the file is: ODS trusts, ONS sub-ICB lookup...).

    Organisations new to the store are also added to ``organisation`` (with the reference name),
    so every page names them. Content already loaded changes nothing (``already_loaded``).

    Returns
    -------
    WriteCounts
    """
    tidy = tidy.loc[:, TIDY_COLUMNS].copy()
    tidy["period_start"] = pd.to_datetime(tidy["period_start"]).dt.date
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    counts = WriteCounts()
    if len(tidy):
        counts.periods = (min(tidy["period_start"]), max(tidy["period_start"]))
    with writing(engine) as conn:
        _ensure_schema(conn)
        if catalogue is not None:
            _sync_catalogue(conn, catalogue)
        seen = conn.execute(_source_select(conn).where(source.c.sha256 == record.sha256)).mappings().first()
        if seen is not None:
            counts.already_loaded = dict(seen)
            return counts
        named = reference_organisations[["code", "name", "kind"]]
        if organisations is not None:
            named = pd.concat([organisations[["code", "name", "kind"]], named], ignore_index=True)
        named = named.drop_duplicates("code")
        existing = set(conn.execute(select(organisation.c.code)).scalars())
        fresh = named[~named["code"].isin(existing)]
        if len(fresh):
            _insert_if_absent(conn, organisation, fresh.to_dict("records"))
        counts.new_organisations = sorted(fresh["code"])
        source_id = conn.execute(
            insert(source).values(
                loader=record.loader, file_name=record.file_name, sha256=record.sha256,
                publisher=record.publisher, publication=record.publication, licence=record.licence,
                url=record.url, vintage=record.vintage, published=record.published,
                is_demo=record.is_demo, derived=record.derived,
                rows=len(tidy) + len(reference_organisations) + len(reference_memberships), loaded_at=now,
            )
        ).inserted_primary_key[0]  # fmt: skip
        counts.source_id = source_id
        if len(tidy):
            _upsert(conn, tidy, source_id, record, now, counts)
        conn.execute(delete(reference_organisation).where(reference_organisation.c.loader == view))
        conn.execute(delete(reference_membership).where(reference_membership.c.loader == view))
        org_rows = [
            {k: _none_if_missing(v) for k, v in row.items()} | {"loader": view, "source_id": source_id}
            for row in reference_organisations.drop_duplicates("code").to_dict("records")
        ]
        if org_rows:
            conn.execute(insert(reference_organisation), org_rows)
        member_rows = [
            {k: _none_if_missing(v) for k, v in row.items()} | {"loader": view, "source_id": source_id}
            for row in reference_memberships.to_dict("records")
        ]
        if member_rows:
            conn.execute(insert(reference_membership), member_rows)
        added = len(org_rows) + len(member_rows)
        periods_text = ""
        if counts.periods:
            first, last = counts.periods
            periods_text = first.isoformat() if first == last else f"{first.isoformat()} to {last.isoformat()}"
        conn.execute(
            update(source)
            .where(source.c.id == source_id)
            .values(
                periods=periods_text,
                period_from=counts.periods[0] if counts.periods else None,
                period_to=counts.periods[1] if counts.periods else None,
                added=counts.added + added,
                updated=counts.updated,
                unchanged=counts.unchanged,
            )
        )
        counts.added += added
    return counts


def read_reference(engine: Engine) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The reference organisations and memberships, with the file each came from.

    Returns
    -------
    (DataFrame, DataFrame)
        Organisations: ``REFERENCE_ORGANISATION_COLUMNS`` + ``loader``, ``file_name``.
        Memberships: ``REFERENCE_MEMBERSHIP_COLUMNS`` + ``loader``, ``file_name``. Both empty
        (with those columns) when no reference file is loaded or the store predates the tables.
    """
    org_columns = [*REFERENCE_ORGANISATION_COLUMNS, "loader", "file_name"]
    member_columns = [*REFERENCE_MEMBERSHIP_COLUMNS, "loader", "file_name"]
    if not _has_schema(engine) or not inspect(engine).has_table("reference_membership"):
        return pd.DataFrame(columns=org_columns), pd.DataFrame(columns=member_columns)
    o, m = reference_organisation, reference_membership
    orgs = _frame(
        engine,
        select(*(o.c[c] for c in REFERENCE_ORGANISATION_COLUMNS), o.c.loader, source.c.file_name)
        .join(source, source.c.id == o.c.source_id)
        .order_by(o.c.code, o.c.loader),
        date_columns=["opened", "closed"],
    )
    members = _frame(
        engine,
        select(*(m.c[c] for c in REFERENCE_MEMBERSHIP_COLUMNS), m.c.loader, source.c.file_name)
        .join(source, source.c.id == m.c.source_id)
        .order_by(m.c.relation, m.c.parent_code, m.c.member_code),
        date_columns=["valid_from", "valid_to"],
    )
    return orgs, members


def read_reference_rows(engine: Engine) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The reference tables as stored (``loader`` is the view, ``source_id`` the file), for a snapshot.

    Both frames are empty (with their columns) on a store without reference data.
    """
    org_columns = [*REFERENCE_ORGANISATION_COLUMNS, "loader", "source_id"]
    member_columns = [*REFERENCE_MEMBERSHIP_COLUMNS, "loader", "source_id"]
    if not inspect(engine).has_table("reference_membership"):
        return pd.DataFrame(columns=org_columns), pd.DataFrame(columns=member_columns)
    o, m = reference_organisation, reference_membership
    orgs = _frame(engine, select(*(o.c[c] for c in org_columns)).order_by(o.c.loader, o.c.code))
    members = _frame(
        engine,
        select(*(m.c[c] for c in member_columns)).order_by(
            m.c.loader, m.c.relation, m.c.parent_code, m.c.member_code, m.c.valid_from
        ),
    )
    return orgs, members


def restore_reference(
    engine: Engine,
    orgs: pd.DataFrame,
    members: pd.DataFrame,
    source_ids: dict[str, int],
    organisations: pd.DataFrame | None = None,
) -> int:
    """Load a snapshot's reference rows: each view whose file (by SHA-256) is stored and not yet
    behind that view replaces the view's rows. One transaction.

    Parameters
    ----------
    orgs, members : DataFrame
        ``read_reference_rows`` columns with ``source_sha256`` instead of ``source_id``.
    source_ids : dict
        SHA-256 -> ``source.id`` in this store.
    organisations : DataFrame, optional
        The snapshot's ``organisation`` rows (``code, name, kind, parent_code, place``): those of
        reference organisations not yet stored are added, as ingesting the reference file does.

    Returns
    -------
    int
        Rows written.
    """
    written = 0
    with writing(engine) as conn:
        _ensure_schema(conn)
        if organisations is not None and len(orgs):
            existing = set(conn.execute(select(organisation.c.code)).scalars())
            fresh = organisations[organisations["code"].isin(set(orgs["code"])) & ~organisations["code"].isin(existing)]
            if len(fresh):
                columns = ["code", "name", "kind", "parent_code", "place"]
                rows = [
                    {k: (v or None) if k in ("parent_code", "place") else v for k, v in r.items()}
                    for r in fresh[columns].to_dict("records")
                ]
                _insert_if_absent(conn, organisation, rows)
        current = {
            view: sid
            for view, sid in conn.execute(
                select(reference_organisation.c.loader, reference_organisation.c.source_id).union(
                    select(reference_membership.c.loader, reference_membership.c.source_id)
                )
            )
        }
        views = sorted(set(orgs["loader"]) | set(members["loader"]))
        for view in views:
            shas = set(orgs.loc[orgs["loader"] == view, "source_sha256"]) | set(
                members.loc[members["loader"] == view, "source_sha256"]
            )
            if len(shas) != 1 or next(iter(shas)) not in source_ids:
                continue
            sid = source_ids[next(iter(shas))]
            if current.get(view) == sid:
                continue
            conn.execute(delete(reference_organisation).where(reference_organisation.c.loader == view))
            conn.execute(delete(reference_membership).where(reference_membership.c.loader == view))
            for table, frame in ((reference_organisation, orgs), (reference_membership, members)):
                part = frame[frame["loader"] == view].drop(columns=["source_sha256"])
                rows = [
                    {k: _none_if_missing(v) for k, v in r.items()} | {"source_id": sid} for r in part.to_dict("records")
                ]
                if rows:
                    conn.execute(insert(table), rows)
                    written += len(rows)
    return written


def org_codes_reporting(engine: Engine, metric_ids: list[str] | tuple[str, ...]) -> set[str]:
    """Every organisation code with at least one stored figure for any of ``metric_ids`` (reads only)."""
    if not _has_schema(engine) or not metric_ids:
        return set()
    query = select(observation.c.org_code).where(observation.c.metric_id.in_(list(metric_ids))).distinct()
    with engine.connect() as conn:
        return set(conn.execute(query).scalars())
