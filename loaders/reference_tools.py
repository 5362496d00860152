"""Shared helpers for the reference loaders (ODS organisations, ONS lookups): frames in the
store's reference layout, and dates as ODS writes them."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from loaders.base import LoadError, LoadResult, ReferenceData, empty_tidy
from metrics.store import REFERENCE_MEMBERSHIP_COLUMNS, REFERENCE_ORGANISATION_COLUMNS


def ods_date(text: str, file: str, row: int, column: str) -> dt.date | None:
    """``YYYYMMDD`` (ODS) as a date; blank is None (still open)."""
    text = str(text).strip()
    if not text:
        return None
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        raise LoadError(  # noqa: B904 - the message says all there is
            f"'{text}' is not a date (expected YYYYMMDD, e.g. 20220701)", file=file, row=row, column=column
        )


def organisations_frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=REFERENCE_ORGANISATION_COLUMNS)
    return frame.astype(object).where(frame.notna(), None)


def memberships_frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=REFERENCE_MEMBERSHIP_COLUMNS)
    frame["weight"] = frame["weight"].fillna(1.0).astype(float)
    return frame


def reference_result(
    organisations: list[dict], memberships: list[dict], layout: str, vintage: str, view: str
) -> LoadResult:
    """A ``LoadResult`` with no figures: organisations and memberships only."""
    orgs = organisations_frame(organisations)
    return LoadResult(
        tidy=empty_tidy(),
        vintage=vintage,
        layout=layout,
        reference=ReferenceData(organisations=orgs, memberships=memberships_frame(memberships), view=view),
    )


def require_columns(frame: pd.DataFrame, columns: tuple[str, ...], file: str, sheet: str | None = None) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise LoadError(
            f"the header has no {', '.join(repr(c) for c in missing)} column; expected {', '.join(columns)}",
            file=file,
            sheet=sheet,
            row=1,
        )
