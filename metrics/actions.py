"""The committee's actions log: what was promised, by whom, by when, and whether it was done.

An action is recorded at a meeting (its text, the organisation that owns it, a due date, the
indicators it concerns and the area), and later closed with a note. The store keeps every change
(``metrics.store.action_change``: append-only, with when and by whom); this module reads and
checks files of actions, exports them, and words how an open action stands against its due date.

Files (CSV or XLSX) have the header ``IMPORT_COLUMNS``; ``metrics`` holds metric ids separated by
``;``. A file is taken whole or not at all: the first bad row (an impossible date, an unknown
metric, area or status, a missing action or owner) refuses it, naming the file, row and column.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from metrics import export, store
from metrics.catalogue import Catalogue
from metrics.currency import day_text

IMPORT_COLUMNS = list(store.ACTION_FIELDS)  # meeting_date,action,owner,due_date,metrics,area,status,closing_note
STATUSES = ("open", "closed")
REQUIRED = ("meeting_date", "action", "owner", "area", "status")


class ActionsError(ValueError):
    """A file of actions that cannot be loaded; the message names the file, row and column."""


# ---------------------------------------------------------------------------- files in
def read_file(name: str, content: bytes) -> pd.DataFrame:
    """A CSV or XLSX file of actions as text cells (nothing parsed yet).

    Raises
    ------
    ActionsError
        For another kind of file, an unreadable file or a header that is not ``IMPORT_COLUMNS``.
    """
    kind = Path(name).suffix.lower()
    try:
        if kind == ".csv":
            raw = pd.read_csv(io.BytesIO(content), dtype=str, keep_default_na=False, encoding="utf-8-sig")
        elif kind == ".xlsx":
            raw = pd.read_excel(io.BytesIO(content), dtype=str, keep_default_na=False, engine="openpyxl")
        else:
            raise ActionsError(f"{name}: expected a .csv or .xlsx file of actions")
    except ActionsError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure is an unreadable file
        raise ActionsError(f"{name}: cannot be read as {kind[1:].upper()} ({exc})") from None
    header = [str(c).strip() for c in raw.columns]
    if header != IMPORT_COLUMNS:
        raise ActionsError(f"{name}: the header must be {','.join(IMPORT_COLUMNS)} (got {','.join(header)})")
    raw.columns = header
    return raw.map(lambda v: "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v).strip())


def _date(text: str, name: str, row: int, column: str, required: bool) -> dt.date | None:
    if not text:
        if required:
            raise ActionsError(f"{name}: row {row}, column {column}: a date is needed (YYYY-MM-DD)")
        return None
    try:
        return dt.date.fromisoformat(text[:10] if len(text) > 10 and text[10] in " T" else text)
    except ValueError:
        raise ActionsError(
            f"{name}: row {row}, column {column}: '{text}' is not a date like 2026-03-18 (YYYY-MM-DD)"
        ) from None


def check_rows(raw: pd.DataFrame, catalogue: Catalogue, name: str) -> list[dict]:
    """The file's rows as actions (``store.ACTION_FIELDS``), or an error for the first bad one.

    Rows are numbered as a spreadsheet shows them: the header is row 1.

    Raises
    ------
    ActionsError
    """
    out = []
    for i, r in enumerate(raw.to_dict("records"), start=2):
        if not any(r.values()):
            continue  # a blank line at the end of a spreadsheet
        for column in REQUIRED:
            if not r[column]:
                raise ActionsError(f"{name}: row {i}, column {column}: empty (every action needs one)")
        ids = [m.strip() for m in r["metrics"].split(";") if m.strip()]
        for mid in ids:
            if mid not in catalogue.metric_by_id:
                raise ActionsError(f"{name}: row {i}, column metrics: '{mid}' is not a metric id in the catalogue")
        if r["area"] not in catalogue.area_by_id:
            known = ", ".join(a.id for a in catalogue.areas)
            raise ActionsError(f"{name}: row {i}, column area: '{r['area']}' is not an area (one of: {known})")
        status = r["status"].lower()
        if status not in STATUSES:
            raise ActionsError(f"{name}: row {i}, column status: '{r['status']}' is not open or closed")
        out.append(
            {
                "meeting_date": _date(r["meeting_date"], name, i, "meeting_date", True),
                "action": r["action"],
                "owner": r["owner"],
                "due_date": _date(r["due_date"], name, i, "due_date", False),
                "metrics": ";".join(ids),
                "area": r["area"],
                "status": status,
                "closing_note": r["closing_note"],
            }
        )
    return out


def import_file(engine: Engine, catalogue: Catalogue, name: str, content: bytes, changed_by: str) -> list[int]:
    """Check a file of actions and record every row as a new action, or nothing.

    Returns
    -------
    list of int
        The new actions' ids.
    """
    rows = check_rows(read_file(name, content), catalogue, name)
    return store.add_actions(engine, rows, changed_by) if rows else []


def check_action(fields: dict, catalogue: Catalogue) -> dict:
    """One action typed on the Actions page, checked like a file row (the message names the field)."""
    raw = pd.DataFrame([{c: _as_text(fields.get(c)) for c in IMPORT_COLUMNS}])
    try:
        return check_rows(raw, catalogue, "the action")[0]
    except IndexError:
        raise ActionsError("the action: every field is empty") from None
    except ActionsError as exc:
        raise ActionsError(str(exc).replace("the action: row 2, column ", "")) from None


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ";".join(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


# ---------------------------------------------------------------------------- files out
def export_frame(actions: pd.DataFrame) -> pd.DataFrame:
    """Actions as a file with ``IMPORT_COLUMNS`` (dates as YYYY-MM-DD), text made formula-safe."""
    frame = actions.reindex(columns=IMPORT_COLUMNS).copy()
    for col in ("meeting_date", "due_date"):
        frame[col] = [pd.Timestamp(v).date().isoformat() if pd.notna(v) else "" for v in frame[col]]
    return export.neutralise(frame.fillna(""))


def export_csv(actions: pd.DataFrame) -> str:
    return export_frame(actions).to_csv(index=False, lineterminator="\n")


def export_xlsx(actions: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        export_frame(actions).to_excel(writer, sheet_name="Actions", index=False)
    return buffer.getvalue()


# ---------------------------------------------------------------------------- how an action stands
def current_actions(engine: Engine) -> pd.DataFrame:
    """Every action as it stands now (``store.read_actions``)."""
    return store.read_actions(engine)


def next_meeting(catalogue: Catalogue, today: dt.date) -> dt.date:
    """When the committee is taken to meet next: ``settings.next_meeting_weeks`` from today."""
    return today + dt.timedelta(weeks=catalogue.settings.next_meeting_weeks)


def standing(action, catalogue: Catalogue, today: dt.date) -> str:
    """How an action stands, in words: ``Overdue: due 1 March 2026``, ``Due before the next meeting
    (by 14 May 2026)``, ``Open: due 3 September 2026``, ``Open (no due date)`` or ``Closed``."""
    if _get(action, "status") == "closed":
        return "Closed"
    due = _get(action, "due_date")
    if due is None or pd.isna(due):
        return "Open (no due date)"
    due = pd.Timestamp(due).date()
    if due < today:
        return f"Overdue: due {day_text(due)}"
    if due <= next_meeting(catalogue, today):
        return f"Due before the next meeting (by {day_text(due)})"
    return f"Open: due {day_text(due)}"


def _get(action, key):
    return action[key] if isinstance(action, (dict, pd.Series)) else getattr(action, key)


def with_standing(actions: pd.DataFrame, catalogue: Catalogue, today: dt.date) -> pd.DataFrame:
    """``actions`` with a ``standing`` column (:func:`standing`)."""
    out = actions.copy()
    out["standing"] = [standing(r, catalogue, today) for r in actions.to_dict("records")]
    return out


def linked(actions: pd.DataFrame, metric_id: str, area_id: str | None = None) -> pd.DataFrame:
    """Open actions that name ``metric_id`` (for ``area_id`` when given)."""
    if actions.empty:
        return actions
    names = actions["metrics"].fillna("").map(lambda text: metric_id in text.split(";"))
    keep = names & (actions["status"] == "open")
    if area_id is not None:
        keep &= actions["area"] == area_id
    return actions[keep]


def due(actions: pd.DataFrame, catalogue: Catalogue, area_id: str, today: dt.date) -> pd.DataFrame:
    """The area's open actions that are overdue or due before the next meeting, soonest first,
    with their ``standing`` in words (the pack's "Actions due and overdue")."""
    if actions.empty:
        return with_standing(actions, catalogue, today)
    soon = next_meeting(catalogue, today)
    dues = pd.to_datetime(actions["due_date"])
    keep = (actions["status"] == "open") & (actions["area"] == area_id) & dues.notna()
    keep &= dues <= pd.Timestamp(soon)
    chosen = actions[keep].assign(_due=dues[keep]).sort_values(["_due", "action_id"]).drop(columns="_due")
    return with_standing(chosen.reset_index(drop=True), catalogue, today)


def filtered(actions: pd.DataFrame, status: str | None = None, area_id: str | None = None,
             metric_id: str | None = None, due_by: dt.date | None = None) -> pd.DataFrame:  # fmt: skip
    """The actions a page's filters leave: status, area, a linked metric, due on or before a date."""
    keep = pd.Series(True, index=actions.index)
    if status:
        keep &= actions["status"] == status
    if area_id:
        keep &= actions["area"] == area_id
    if metric_id:
        keep &= actions["metrics"].fillna("").map(lambda text: metric_id in text.split(";"))
    if due_by is not None:
        dues = pd.to_datetime(actions["due_date"])
        keep &= dues.notna() & (dues <= pd.Timestamp(due_by))
    return actions[keep]
