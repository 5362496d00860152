"""Restoring a snapshot into the store: whole, checked, in one transaction (and the scratch SQLite build)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import (
    Engine,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
)
from sqlalchemy.engine import Connection

from metrics.catalogue import Catalogue
from metrics.store.engine import SQLITE_PAGE_BYTES, _ensure_schema, _sync_catalogue, writing
from metrics.store.reads import _frame
from metrics.store.schema import TIDY_COLUMNS, fetch_log, observation, organisation, source
from metrics.store.writes import (
    SourceRecord,
    WriteCounts,
    _add_organisations,
    _bulk_insert_observations,
    _upsert,
)

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


def make_scratch_sqlite_engine(path: str | Path) -> Engine:
    """An engine for a SQLite file built under a temporary name and renamed into place only when
    complete (the app's first start): no rollback journal and no fsync, since a failed build is
    deleted, never opened (SQLite docs, "PRAGMA journal_mode", "PRAGMA synchronous")."""
    engine = create_engine(f"sqlite:///{path}", connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - driver callback
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA page_size = {SQLITE_PAGE_BYTES}")  # before the file holds anything
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
