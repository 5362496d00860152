"""Reading the store: observations filtered in SQL, sources, organisations, coverage; reading never writes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
from sqlalchemy import (
    Engine,
    String,
    bindparam,
    cast,
    func,
    inspect,
    null,
    select,
)
from sqlalchemy.engine import Connection

from metrics.store.engine import StoreBusy, _busy_message, _has_schema, _is_lock_timeout, lock_timeout_seconds
from metrics.store.schema import annotation, observation, organisation, source


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




# The three statements of ``previous_organisation_counts``, built once: building them again for
# every metric of every file cost more than running them.
_SAME_PUBLICATION = observation.c.source_id.in_(
    select(source.c.id).where(
        (source.c.loader == bindparam("loader")) & (source.c.publication == bindparam("publication"))
    )
)
_LATEST_BEFORE = (
    select(cast(observation.c.period_start, String))
    .where(
        observation.c.metric_id == bindparam("metric"),
        observation.c.period_start < bindparam("before"),
        _SAME_PUBLICATION,
    )
    .order_by(observation.c.period_start.desc())
    .limit(1)
)
_NEWER_OF_THEIR_OWN = (
    select(observation.c.metric_id)
    .distinct()
    .where(
        observation.c.metric_id.in_(bindparam("rest", expanding=True)),
        observation.c.period_start > bindparam("period"),
        observation.c.period_start < bindparam("before"),
        _SAME_PUBLICATION,
    )
)
_COUNTED_AT = (
    select(observation.c.metric_id, func.count(func.distinct(observation.c.org_code)))
    .where(
        observation.c.metric_id.in_(bindparam("metrics", expanding=True)),
        observation.c.period_start == bindparam("period"),
        _SAME_PUBLICATION,
    )
    .group_by(observation.c.metric_id)
)


def previous_organisation_counts(
    engine: Engine, metric_ids: list[str], before: dt.date, loader: str, publication: str
) -> dict[str, tuple[dt.date, int]]:
    """Per metric: the latest period before ``before`` that files of this loader and publication
    gave, and how many organisations they gave for it (for judging whether a file is complete)."""
    if not _has_schema(engine) or not metric_ids:
        return {}
    # Newest first down the (metric_id, period_start) index until a row of this publication, for
    # one metric; then every metric whose latest period that also is, counted in one query. A join
    # over every stored row of the metrics made each file of a long series cost more than the one
    # before (the DToC corpus spent a third of its ingest here), and a query per metric added up.
    publication_of = {"loader": loader, "publication": publication, "before": before}
    out: dict[str, tuple[dt.date, int]] = {}
    remaining = sorted(set(metric_ids))
    with reading_bounded(engine) as conn:
        while remaining:
            first, *rest = remaining
            found = conn.execute(_LATEST_BEFORE, {**publication_of, "metric": first}).scalar()
            if found is None:
                remaining = rest
                continue
            period = dt.date.fromisoformat(str(found)[:10])
            # These have a newer period of their own: judged on it in a later pass.
            later = set(conn.execute(_NEWER_OF_THEIR_OWN, {**publication_of, "rest": rest, "period": period}).scalars())
            counted = conn.execute(
                _COUNTED_AT,
                {**publication_of, "metrics": [first, *(m for m in rest if m not in later)], "period": period},
            )
            out.update({m: (period, int(n)) for m, n in counted})
            remaining = [m for m in rest if m not in out]
    return out


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
