"""Downloads for board papers: CSV and XLSX that carry their sources and cannot run formulas.

A cell that begins with ``=``, ``+``, ``-`` or ``@`` can be executed as a formula by a spreadsheet
(CSV injection, OWASP); text cells like that are prefixed with an apostrophe. Numbers are left as
numbers, so negative changes stay numeric.
"""

from __future__ import annotations

import io

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_text(value):
    """Prefix text that a spreadsheet would treat as a formula with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell (and column name) neutralised."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise_text)
    out.columns = [neutralise_text(str(c)) for c in out.columns]
    return out


def whole_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every float column that holds only whole numbers as integers.

    Counts read from the store are floats (a missing count is NaN), so a CSV would say
    ``18680.0``; as nullable integers they are written ``18680`` and a missing one stays empty.
    """
    out = frame.copy()
    for col in out.columns:
        series = out[col]
        if pd.api.types.is_float_dtype(series.dtype):
            present = series.dropna()
            if len(present) and (present == present.round()).all() and present.abs().max() < 2**53:
                out[col] = series.astype("Int64")
    return out


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """A CSV for a spreadsheet: formula-safe text, whole numbers without ``.0``, missing values empty,
    UTF-8 with a byte-order mark (so Excel reads the £ and the dashes)."""
    return whole_numbers(neutralise(frame)).to_csv(index=False, lineterminator="\n").encode("utf-8-sig")


def to_xlsx_bytes(frame: pd.DataFrame, about: dict[str, str] | None = None, sheet: str = "Data") -> bytes:
    """An XLSX workbook with the data and an 'About' sheet (source, licence, when exported)."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        data = neutralise(frame)
        for col in data.columns:
            if isinstance(data[col].dtype, pd.DatetimeTZDtype):
                data[col] = data[col].dt.tz_localize(None)
        data.to_excel(writer, sheet_name=sheet[:31], index=False)
        if about:
            pd.DataFrame({"item": list(about), "value": [neutralise_text(str(v)) for v in about.values()]}).to_excel(
                writer, sheet_name="About", index=False
            )
    return buffer.getvalue()
