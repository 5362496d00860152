"""Writing a loaded file in one transaction under the revision rule (``REVISION_RULE``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import (
    Engine,
    String,
    cast,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection

from metrics.catalogue import Catalogue
from metrics.per_distinct import by_distinct
from metrics.store.engine import _ensure_schema, _insert_if_absent, _sync_catalogue, writing
from metrics.store.reads import _source_select
from metrics.store.schema import TIDY_COLUMNS, metadata, observation, organisation, source


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
def prepared_write(tidy: pd.DataFrame) -> tuple[pd.DataFrame, dt.datetime, WriteCounts]:
    """A file's tidy rows ready to write (dates as dates), the load time (UTC) and its counts."""
    tidy = tidy.loc[:, TIDY_COLUMNS].copy()
    tidy["period_start"] = by_distinct(tidy["period_start"], lambda starts: pd.to_datetime(starts).dt.date)
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    counts = WriteCounts()
    if len(tidy):
        counts.periods = (min(tidy["period_start"]), max(tidy["period_start"]))
    return tidy, now, counts


def loaded_before(conn: Connection, catalogue: Catalogue | None, sha256: str):
    """Open a write: make sure of the schema, sync the catalogue (when given) and return the
    ``source`` row already holding this content, or None."""
    _ensure_schema(conn)
    if catalogue is not None:
        _sync_catalogue(conn, catalogue)
    return conn.execute(_source_select(conn).where(source.c.sha256 == sha256)).mappings().first()


REVISION_RULE = (
    "a file of higher standing wins (a derived compilation < a published file < a known revision); "
    "between files of the same standing the later publication date wins when both dates are known, "
    "otherwise the later load wins; an organisation a revision no longer lists keeps its earlier "
    "figure, and the ingest reports it"
)


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
    tidy, now, counts = prepared_write(tidy)
    with writing(engine) as conn:
        seen = loaded_before(conn, catalogue, record.sha256)
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
    tidy, now, counts = prepared_write(tidy)
    with writing(engine) as conn:
        seen = loaded_before(conn, catalogue, record.sha256)
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
    numbers = values.astype("float64").to_numpy()
    out = numbers.tolist()
    for i in np.flatnonzero(np.isnan(numbers)).tolist():
        out[i] = None
    return out


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
        return by_distinct(dates, lambda distinct: distinct.astype(str)).tolist()
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
            source.c.derived.label("old_derived"),
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
    # ``all()`` fetches in one call; iterating the result fetched row by row.
    existing = pd.DataFrame.from_records([tuple(r) for r in result.all()], columns=list(result.keys()))
    tidy = tidy.assign(
        period_key=by_distinct(tidy["period_start"], lambda starts: starts.map(lambda d: d.isoformat()))
    )
    if existing.empty:
        merged = tidy.assign(_exists=False)
    else:
        existing["period_key"] = existing["period_key"].str.slice(0, 10)
        merged = tidy.merge(existing, on=key, how="left", indicator=True)
        merged["_exists"] = merged.pop("_merge") == "both"
    if not existing.empty:
        counts.not_in_revision = _not_in_revision(existing, tidy, record, key)
    if existing.empty:  # nothing stored for these metrics and periods: every row is new, no copy needed
        new_rows, old_rows = merged, merged.iloc[:0]
    else:
        new_rows = merged[~merged["_exists"]]
        old_rows = merged[merged["_exists"]]
    if len(old_rows):
        same = (
            _same(old_rows["numerator"], old_rows["old_numerator"])
            & _same(old_rows["denominator"], old_rows["old_denominator"])
            & _same(old_rows["value"], old_rows["old_value"])
        )
        wins = _incoming_wins(old_rows["old_vintage"], old_rows["old_published"], record, old_rows["old_derived"])
        # A published file giving the same figure as a stored compilation still takes the figure
        # over, so the figure is traced to (and labelled as) the publication, not the compilation.
        relabel = same & (old_rows["old_derived"].fillna(False).astype(bool) & (not record.derived))
        changed = old_rows[(~same & wins) | relabel]
        counts.unchanged = int((same & ~relabel).sum())
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
    wins = _incoming_wins(missing["old_vintage"], missing["old_published"], record, missing["old_derived"])
    missing = missing[wins.to_numpy()]
    return sorted(zip(missing["metric_id"], missing["org_code"], missing["period_key"], strict=True))


def _incoming_wins(
    old_vintage: pd.Series, old_published: pd.Series, record: SourceRecord, old_derived: pd.Series | None = None
) -> pd.Series:
    """Per stored row, whether the incoming file replaces it (``REVISION_RULE``), as one set operation.

    Standing is the derived flag first (a third-party compilation never replaces a published
    figure, and a published file always replaces a compiled one, whatever the vintages: published
    loaders' vintages are not comparable with a compilation's), then the vintage. Never depends on
    file content beyond what the loader declares: two files of the same standing without both
    publication dates are decided by load order (the incoming file is the later load).
    """
    old_vintage = old_vintage.fillna("").astype(str)
    if old_derived is None:
        old_derived = pd.Series(False, index=old_vintage.index)
    old_derived = old_derived.fillna(False).astype(bool)
    if record.derived:
        over_published = pd.Series(False, index=old_vintage.index)
        comparable = old_derived
    else:
        over_published = old_derived
        comparable = ~old_derived
    higher = comparable & (old_vintage < record.vintage)
    same_standing = comparable & (old_vintage == record.vintage)
    if record.published is None:
        not_older = pd.Series(True, index=old_vintage.index)
    else:
        stored = pd.to_datetime(old_published, errors="coerce")
        not_older = stored.isna() | (stored <= pd.Timestamp(record.published))
    return over_published | higher | (same_standing & not_older)


def reset(engine: Engine) -> None:
    """Drop every table (used to rebuild the demo database)."""
    metadata.drop_all(engine)


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
