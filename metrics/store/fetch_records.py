"""The fetch log: what ``python -m loaders fetch`` saw, per publication, page and file."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import (
    Engine,
    func,
    insert,
    inspect,
    select,
    update,
)

from metrics.store.engine import writing
from metrics.store.reads import _frame
from metrics.store.schema import fetch_log

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
