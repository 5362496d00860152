"""The store's tables (SQLAlchemy Core): organisations, sources, tidy observations, targets, events, fetch log."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

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
