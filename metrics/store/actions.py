"""The committee's actions log: every change kept, never overwritten."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Engine,
    Index,
    Integer,
    String,
    Table,
    Text,
    func,
    insert,
    inspect,
    select,
)
from sqlalchemy.engine import Connection

from metrics.store.engine import writing
from metrics.store.reads import _frame
from metrics.store.schema import metadata

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
