"""Reference data: organisations and area memberships from ODS and ONS, with the dates they hold."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import (
    Column,
    Date,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    delete,
    insert,
    inspect,
    select,
    update,
)

from metrics.catalogue import Catalogue
from metrics.store.engine import _ensure_schema, _has_schema, _insert_if_absent, writing
from metrics.store.reads import _frame
from metrics.store.schema import metadata, observation, organisation, source
from metrics.store.writes import SourceRecord, WriteCounts, _upsert, loaded_before, prepared_write

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
    tidy, now, counts = prepared_write(tidy)
    with writing(engine) as conn:
        seen = loaded_before(conn, catalogue, record.sha256)
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
