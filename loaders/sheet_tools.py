"""Small, vectorised helpers for NHS statistical workbooks read with ``header=None``.

Publications put a metadata block (``Title:``, ``Period:``, ``Published:``...) above the table and
move header rows by a line or two between months, so loaders find rows by their text rather than
by fixed offsets. Row numbers in messages are spreadsheet rows (1-based), as a reader sees them.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from loaders.base import MISSING_MARKERS, LoadError, number_text

_ORDINAL = re.compile(r"(\d+)(st|nd|rd|th)\b", re.IGNORECASE)


def cell_text(value) -> str:
    """A cell as stripped text ('' for missing); whole floats lose their ``.0`` (codes like 509)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _as_array(frame) -> np.ndarray:
    """A sheet as a 2-D object array (plain Python over a small sheet beats row-wise pandas access)."""
    return frame.to_numpy(dtype=object) if isinstance(frame, pd.DataFrame) else frame


def metadata_value(frame: pd.DataFrame | np.ndarray, label: str, max_rows: int = 15) -> tuple[str, int] | None:
    """The value beside a metadata label such as ``Period:`` and its 0-based row, or None.

    The value is the first non-blank cell to the right of the label in the first ``max_rows`` rows.
    """
    wanted = label.strip().lower()
    top = _as_array(frame[:max_rows] if isinstance(frame, np.ndarray) else frame.iloc[:max_rows])
    for r in range(len(top)):
        cells = [cell_text(v) for v in top[r]]
        for c, text in enumerate(cells):
            if text.lower() == wanted:
                for value in cells[c + 1 :]:
                    if value:
                        return value, r
                return "", r
    return None


def find_header_row(
    frame: pd.DataFrame | np.ndarray, required: tuple[str, ...], max_rows: int = 80, start: int = 0
) -> int | None:
    """The first 0-based row at or after ``start`` whose cells include every text in ``required``."""
    wanted = {t.lower() for t in required}
    stop = min(len(frame), start + max_rows)
    block = _as_array(frame[start:stop] if isinstance(frame, np.ndarray) else frame.iloc[start:stop])
    for offset, row in enumerate(block):
        texts = {cell_text(v).lower() for v in row}
        if wanted <= texts:
            return start + offset
    return None


def cell_number(value) -> float:
    """One cell as a float; NaN for blanks and missing markers; ValueError for other text."""
    if value is None:
        return np.nan
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip()
    if text in MISSING_MARKERS:
        return np.nan
    return number_text(text)


def numeric_block(
    block: pd.DataFrame,
    *,
    file: str | None,
    sheet: str | None,
    labels: list[str] | None = None,
    first_excel_row: int | None = None,
) -> pd.DataFrame:
    """Convert a block of published cells to floats; missing markers (``-``, ``[x]``...) become NaN.

    Text that is neither a number nor a missing marker is a ``LoadError`` naming the spreadsheet
    row (``first_excel_row`` is the 1-based row of the block's first line, else the block's own
    index + 1) and the column label.
    """
    out = {}
    for position, column in enumerate(block.columns):
        series = block[column]
        if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
            out[column] = series.to_numpy(dtype=float)
            continue
        cells = series.to_numpy(dtype=object)
        try:
            # A plain comprehension over a sheet's few thousand cells is faster than pandas' masks here.
            out[column] = np.array([cell_number(v) for v in cells], dtype=float)
        except ValueError:
            i = next(i for i, v in enumerate(cells) if _is_bad(v))
            label = labels[position] if labels else str(column)
            row = (first_excel_row + i) if first_excel_row is not None else int(block.index[i]) + 1
            raise LoadError(
                f"'{cells[i]}' is not a number (expected a number, or '-' for no figure)",
                file=file,
                sheet=sheet,
                row=row,
                column=label,
            ) from None
    return pd.DataFrame(out, index=block.index)


def _is_bad(value) -> bool:
    try:
        cell_number(value)
    except ValueError:
        return True
    return False


def published_date(text: str) -> str:
    """ISO date of a metadata date such as ``27th April 2012`` (for sortable vintages), or ''."""
    cleaned = _ORDINAL.sub(r"\1", str(text or "")).strip()
    if not cleaned:
        return ""
    try:
        return pd.to_datetime(cleaned, dayfirst=True).date().isoformat()
    except (ValueError, TypeError):
        return ""
