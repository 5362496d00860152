"""KH03 Bed Availability and Occupancy (NHS England, quarterly; overnight and day-only workbooks).

Sheet ``NHS Trust by Sector`` (only that sheet is read). Its layout, the same in every published
year (2010-11 to 2022-23) and for the overnight and day-only files:

* a metadata block (column B labels, column C values): ``Title:``, ``Period:`` (e.g. "July to
  September 2022"), ``Published:``, ``Revised:``, ``Status:``... The 2010-11 Q1/Q2 files carry only
  Title, Source and Status: their quarter comes from the ``Year`` (e.g. "2010-11") and ``Period``
  / ``Period End`` (e.g. "June") columns of the data rows instead;
* a group header row (``Available | Occupied | % Occupied``) above the column header row, found by
  its text (``Org Code`` and ``Org Name``), not by position: ``Year, Period End, <SHA|AT|Region>
  Code, Org Code, Org Name`` then ``Total, General & Acute, Learning Disabilities, Maternity,
  Mental Illness`` once per group, with blank spacer columns;
* the England row first (no Org Code; name "England"), then one row per trust. Rows are kept when
  they have an Org Code (or are the England row). Values are average daily beds, not bed-days;
  ``-`` means not applicable (missing).

Metrics per trust and quarter (``period_start`` = the first day of the quarter, financial quarters):
``beds_ga_available``, ``beds_ga_occupied`` (average daily general and acute beds) and
``beds_ga_occupancy`` (numerator = occupied, denominator = available, value = 100 x occupied /
available; not produced when no beds were available). A day-only workbook (its title says "day
only") gives ``beds_ga_available_day``, ``beds_ga_occupied_day`` and ``beds_ga_occupancy_day``.

Publication date (``LoadResult.published``): the latest of the ``Published:`` and ``Revised:`` dates
(the 2010-11 files write them in ``Status:``), so a revised workbook of a quarter replaces the first
publication whatever the order of loading, and an earlier one never replaces it.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd

from loaders.base import MISSING_MARKERS, LoadError, LoadResult, Peek, read_sheet, shown
from metrics.catalogue import Catalogue
from metrics.digest import sha256_file
from metrics.periods import MONTH_NUMBERS
from metrics.store import TIDY_COLUMNS

NAME = "kh03"
SOURCE_KEY = "kh03"
SHEET = "NHS Trust by Sector"
ENGLAND = "E92000001"

_MONTHS = MONTH_NUMBERS
_PERIOD_TEXT = re.compile(r"^\s*([A-Za-z]+)\s+(?:\d{4}\s+)?to\s+([A-Za-z]+)\s+(\d{4})\s*$", re.IGNORECASE)
_FIN_YEAR = re.compile(r"^\s*(\d{4})\s*[-/]\s*(\d{2}|\d{4})\s*$")
_DATE_TEXT = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]+)\s+(\d{4})")

METRICS = {
    "overnight": ("beds_ga_available", "beds_ga_occupied", "beds_ga_occupancy"),
    "day": ("beds_ga_available_day", "beds_ga_occupied_day", "beds_ga_occupancy_day"),
}


def _sheet_name(names: list[str]) -> str | None:
    return next((s for s in names if s.strip().lower() == SHEET.lower()), None)


def sniff(peek: Peek) -> bool:
    """A workbook with an ``NHS Trust by Sector`` sheet."""
    return peek.kind in ("xlsx", "xls") and _sheet_name(peek.sheet_names) is not None


def read(path: Path) -> pd.DataFrame:
    """The ``NHS Trust by Sector`` sheet without a header; ``attrs``: file, sheet, digest."""
    path = Path(path)
    sheet = _sheet_name(Peek(path).sheet_names)
    if sheet is None:
        # A corrupt workbook has no readable sheet list: let read_sheet report the real problem.
        sheet = SHEET
    raw = read_sheet(path, sheet, header=None)
    digest = sha256_file(path)
    raw.attrs.update({"file": path.name, "sheet": sheet, "digest": digest})
    return raw


def _month(text: str) -> int | None:
    t = str(text).strip().lower()
    if t in _MONTHS:
        return _MONTHS[t]
    return next((v for k, v in _MONTHS.items() if t[:3] == k[:3] and len(t) >= 3), None)


def quarter_start_from_text(text: str) -> dt.date | None:
    """The first day of a quarter written "July to September 2022" (None if not such text)."""
    m = _PERIOD_TEXT.match(str(text))
    if not m:
        return None
    first, last, year = _month(m[1]), _month(m[2]), int(m[3])
    if first is None or last is None or (last - first) % 12 != 2 or first not in (1, 4, 7, 10):
        return None
    try:
        return dt.date(year - 1 if first > last else year, first, 1)
    except ValueError:  # year 0000: not a quarter
        return None


def quarter_start_from_end(year_text: str, end_month: str) -> dt.date | None:
    """The first day of the quarter ending in ``end_month`` of financial year ``year_text`` ('2010-11')."""
    m = _FIN_YEAR.match(str(year_text))
    month = _month(end_month)
    if not m or month not in (3, 6, 9, 12):
        return None
    start_year = int(m[1])
    first = month - 2
    try:
        return dt.date(start_year + 1 if first < 4 else start_year, first, 1)
    except ValueError:  # year 0000 or 9999/00: not a quarter
        return None


def _metadata(raw: pd.DataFrame, header: int) -> dict[str, object]:
    """``{label: value}`` from the title block: a cell ending ':' and the next non-blank cell."""
    meta: dict[str, object] = {}
    for r in range(min(header, 14)):
        cells = [c for c in raw.iloc[r].tolist() if not (c is None or (isinstance(c, float) and np.isnan(c)))]
        for j, cell in enumerate(cells[:-1]):
            if isinstance(cell, str) and cell.strip().endswith(":"):
                meta.setdefault(cell.strip().rstrip(":").strip().lower(), cells[j + 1])
    return meta


def _dates(value) -> list[dt.date]:
    """Dates in a metadata cell: a date cell, or text such as "Published 18 November 2010 and revised 24 May 2012"."""
    if isinstance(value, dt.datetime):
        return [value.date()]
    if isinstance(value, dt.date):
        return [value]
    out = []
    for m in _DATE_TEXT.finditer(str(value or "")):
        try:
            out.append(dt.date(int(m[3]), _month(m[2]) or 0, int(m[1])))
        except ValueError:
            continue
    return out


def _header_row(raw: pd.DataFrame) -> int | None:
    """The column header row: the first of the top 40 rows with both 'Org Code' and 'Org Name'."""
    for i, cells in enumerate(raw.iloc[:40].to_numpy(dtype=object).tolist()):
        texts = {c.strip().lower() for c in cells if isinstance(c, str)}
        if {"org code", "org name"} <= texts:
            return i
    return None


def _text(values) -> np.ndarray:
    """Cells as stripped strings ('' for empty cells), in plain numpy (a sheet has a few hundred rows)."""
    return np.array(
        ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip() for v in values], dtype=object
    )


def _group_columns(raw: pd.DataFrame, header: int, file: str, sheet: str) -> dict[str, int]:
    """The General & Acute column of the Available and Occupied groups."""
    heads = [str(c).strip().lower() for c in raw.iloc[header].tolist()]
    groups = [str(c).strip().lower() for c in raw.iloc[header - 1].tolist()] if header else []
    starts = {}
    for j, g in enumerate(groups):
        if g in ("available", "occupied", "% occupied"):
            starts.setdefault(g, j)
    ga = [j for j, h in enumerate(heads) if h.replace("&", "and") == "general and acute"]
    out = {}
    for group in ("available", "occupied"):
        if group in starts:
            later = [j for j in ga if j >= starts[group]]
            if later:
                out[group] = later[0]
    if len(out) < 2 and len(ga) >= 2:
        out = {"available": ga[0], "occupied": ga[1]}  # groups in published order
    if len(out) < 2:
        raise LoadError(
            "the header has no 'General & Acute' column under both 'Available' and 'Occupied'",
            file=file,
            sheet=sheet,
            row=header + 1,
        )
    return out


def normalise(raw: pd.DataFrame, catalogue: Catalogue | None = None) -> LoadResult:
    """Tidy G&A bed rows (available, occupied, occupancy %) per trust and England for the quarter.

    Parameters
    ----------
    raw : DataFrame
        The ``NHS Trust by Sector`` sheet read without a header (see :func:`read`).
    catalogue : Catalogue, optional
        Unused; part of the loader contract.

    Raises
    ------
    LoadError
        No header row, no quarter (neither a ``Period:`` cell nor Year/Period End columns), text in
        a bed column, occupied beds above available beds, or no trust rows.
    """
    file = raw.attrs.get("file", "KH03 workbook")
    sheet = raw.attrs.get("sheet", SHEET)
    header = _header_row(raw)
    if header is None:
        raise LoadError("no column header row with 'Org Code' and 'Org Name'", file=file, sheet=sheet)
    heads = [str(c).strip().lower() for c in raw.iloc[header].tolist()]
    col = {h: j for j, h in reversed(list(enumerate(heads)))}
    groups = _group_columns(raw, header, file, sheet)
    meta = _metadata(raw, header)
    body = raw.iloc[header + 1 :]
    code_text = _text(body.iloc[:, col["org code"]].tolist())
    name = _text(body.iloc[:, col["org name"]].tolist())
    has_code = ~np.isin(code_text, ["", "-", "nan"])
    is_england = ~has_code & np.array([n.lower() == "england" for n in name], dtype=bool)
    # A trust named without a code (a formula cell with no saved value reads as blank) would
    # otherwise vanish from the load without a word.
    nameless = ~has_code & ~is_england & ~np.isin(name, ["", "-", "nan"])
    if nameless.any():
        i = int(nameless.nonzero()[0][0])
        raise LoadError(
            f"the row for '{shown(name[i])}' has no Org Code (is the cell a formula with no saved value?)",
            file=file,
            sheet=sheet,
            row=int(body.index[i]) + 1,
            column="Org Code",
        )
    keep = has_code | is_england
    body, code_text, name, is_england = body[keep], code_text[keep], name[keep], is_england[keep]
    if not (~is_england).any():
        raise LoadError("the sheet has no trust rows (no row has an Org Code)", file=file, sheet=sheet)

    # The quarter: the Period: cell, else the Year and Period End columns of the first data row.
    period = None
    if "period" in meta:
        period = quarter_start_from_text(meta["period"])
        if period is None:
            raise LoadError(
                f"the 'Period:' cell is '{meta['period']}', expected a quarter like 'July to September 2022'",
                file=file,
                sheet=sheet,
            )
    else:
        end_col = col.get("period end", col.get("period"))
        if "year" not in col or end_col is None:
            raise LoadError("no 'Period:' cell and no 'Year' and 'Period End' columns", file=file, sheet=sheet)
        first = body.iloc[0]
        period = quarter_start_from_end(first.iloc[col["year"]], first.iloc[end_col])
        if period is None:
            raise LoadError(
                f"Year '{first.iloc[col['year']]}' and period end '{first.iloc[end_col]}' are not a quarter",
                file=file,
                sheet=sheet,
                row=int(body.index[0]) + 1,
            )

    rows = body.index.to_numpy() + 1
    values = {}
    for group, j in groups.items():
        cells = body.iloc[:, j].tolist()
        nums = np.full(len(cells), np.nan)
        bad = np.zeros(len(cells), dtype=bool)
        for i, cell in enumerate(cells):
            if isinstance(cell, (int, float)) and not isinstance(cell, bool):
                nums[i] = cell
            elif cell is not None and str(cell).strip() not in MISSING_MARKERS:
                try:
                    nums[i] = float(str(cell).strip().replace(",", ""))
                except ValueError:
                    bad[i] = True
        bad |= nums < 0
        if bad.any():
            i = int(bad.nonzero()[0][0])
            raise LoadError(
                f"'{cells[i]}' ({code_text[i]}) is not a number of beds",
                file=file,
                sheet=sheet,
                row=int(rows[i]),
                column=f"{group.title()}: General & Acute",
            )
        values[group] = nums
    available, occupied = values["available"], values["occupied"]
    over = np.nan_to_num(occupied, nan=-1) > np.nan_to_num(available, nan=np.inf) + 0.5
    if over.any():
        i = int(over.nonzero()[0][0])
        raise LoadError(
            f"occupied G&A beds ({occupied[i]:.1f}) exceed available beds ({available[i]:.1f}) for {code_text[i]}",
            file=file,
            sheet=sheet,
            row=int(rows[i]),
        )

    title = str(meta.get("title", "")).lower()
    kind = "day" if "day only" in title or "day-only" in title else "overnight"
    m_avail, m_occ, m_pct = METRICS[kind]
    org = np.where(is_england, ENGLAND, code_text)
    nothing = np.full(len(org), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(available > 0, occupied / available * 100, np.nan)
    parts = []
    for metric_id, num, den, value in (
        (m_avail, nothing, nothing, available),
        (m_occ, nothing, nothing, occupied),
        (m_pct, np.where(available > 0, occupied, np.nan), np.where(available > 0, available, np.nan), pct),
    ):
        part = pd.DataFrame(
            {
                "metric_id": metric_id,
                "org_code": org,
                "period_start": period,
                "period_type": "quarter",
                "numerator": num,
                "denominator": den,
                "value": value,
                "source_row": rows,  # provenance, named in validation messages
            }
        )
        parts.append(part[part["value"].notna()])
    tidy = pd.concat(parts, ignore_index=True).loc[:, [*TIDY_COLUMNS, "source_row"]]
    tidy = tidy.assign(source_sheet=sheet, source_org_column="Org Code")
    dupes = pd.Series(org).duplicated()
    if dupes.any():
        i = int(dupes.to_numpy().nonzero()[0][0])
        raise LoadError(f"Org Code '{org[i]}' appears twice", file=file, sheet=sheet, row=int(rows[i]))

    stamps = [d for key in ("published", "revised", "status") for d in _dates(meta.get(key))]
    names = np.where(is_england, "England", name)
    orgs = pd.DataFrame({"code": org, "name": names, "kind": np.where(is_england, "country", "provider")})
    return LoadResult(
        tidy=tidy,
        organisations=orgs,
        published=max(stamps) if stamps else None,
        layout=f"KH03 {'day-only' if kind == 'day' else 'overnight'} beds, sheet '{sheet}'",
        publication=None if kind == "overnight" else "Bed Availability and Occupancy Data - Day only (KH03, quarterly)",
    )
