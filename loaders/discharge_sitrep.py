"""Discharge Delays (Acute) and (Community) monthly situation reports (NHS England, from April 2022).

Layout (SOURCES.md 3c and 3d): sheets ``Cover Sheet``, ``Contents``, ``Table 1`` ... ``Table 5``;
some months put lookup sheets (``Lkp - ...``) first or add QA sheets, so sheets are chosen by name.
The collection is told apart by the cover sheet ``Title:`` ("Acute Daily Discharge Situation
Report" / "Community Discharge Situation Report").

Only ``Table 2`` is read: one column triplet per day, a date above each triplet ("Number of patients
who no longer meet the criteria to reside", "Number of patients discharged", "Number of patients
remaining in hospital who ..."). England and region rows come first, then an ICB block under the
header ``Region | ICB Code | ICB Name`` and a trust block under ``Region | Org Code | Org Name``.
Both header rows are found by their text: their positions drift by a row or two between months.
``-`` means no submission that day (missing, not zero).

Stored per organisation (trusts, ICBs and England E92000001) and month:

* acute: ``nctr_patients``, ``nctr_discharged``;
* community: ``nctr_patients_community``, ``nctr_discharged_community`` (separate ids because an ICB
  such as QK1 is in both collections for the same month).

``value`` is the average per day; ``numerator`` is the sum of the daily counts over the days with
data and ``denominator`` the number of those days, so a month with missing days can be traced.
The month is taken from the dates in the table (all must fall in one month), not the file name.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from loaders.base import LoadError, LoadResult, Peek
from loaders.sheet_tools import cell_text, find_header_row, metadata_value, numeric_block

NAME = "discharge_sitrep"
SOURCE_KEY = "discharge_sitrep"
ENGLAND = "E92000001"
TABLE = "Table 2"
COVER = "Cover Sheet"

METRICS = {
    "acute": {"nctr": "nctr_patients", "discharged": "nctr_discharged"},
    "community": {"nctr": "nctr_patients_community", "discharged": "nctr_discharged_community"},
}
BLOCKS = (("ICB Code", "ICB Name", "icb"), ("Org Code", "Org Name", "provider"))


def _collection(title: str) -> str | None:
    text = title.lower()
    if "discharge situation report" not in text:
        return None
    if "acute" in text:
        return "acute"
    if "community" in text:
        return "community"
    return None


def _cover(path: Path) -> pd.DataFrame | None:
    try:
        return pd.read_excel(path, sheet_name=COVER, header=None, nrows=12, engine="calamine")
    except Exception:  # noqa: BLE001 - not this layout
        return None


def sniff(peek: Peek) -> bool:
    if peek.kind != "xlsx" or COVER not in peek.sheet_names:
        return False
    cover = _cover(peek.path)
    found = metadata_value(cover, "Title:") if cover is not None else None
    return bool(found and _collection(found[0]))


def read(path: Path) -> dict:
    """The cover-sheet title and Table 2 (``header=None``) of a Discharge Delays workbook."""
    path = Path(path)
    try:
        book = pd.ExcelFile(path, engine="calamine")
    except Exception as exc:  # noqa: BLE001 - calamine raises its own types for corrupt files
        raise LoadError(f"cannot read the workbook: it is corrupt or truncated ({exc})", file=path.name) from None
    names = {s.strip().lower(): s for s in book.sheet_names}
    out = {"file": path.name, "all_sheets": list(book.sheet_names), "title": "", "table": None}
    if COVER.lower() in names:
        cover = pd.read_excel(book, sheet_name=names[COVER.lower()], header=None, nrows=12)
        found = metadata_value(cover, "Title:")
        out["title"] = found[0] if found else ""
    if TABLE.lower() in names:
        out["table_name"] = names[TABLE.lower()]
        out["table"] = pd.read_excel(book, sheet_name=names[TABLE.lower()], header=None)
    return out


def _day_columns(frame: pd.DataFrame, file: str) -> tuple[int, dict[str, list[int]], list[pd.Timestamp]]:
    """The row of measure labels and the columns of each daily measure (by kind), with the dates."""
    label_row = None
    for r in range(min(len(frame), 20)):
        texts = [cell_text(v).lower() for v in frame.iloc[r].tolist()]
        if any(t.startswith("number of patients discharged") for t in texts):
            label_row = r
            break
    if label_row is None or label_row == 0:
        raise LoadError(
            "cannot find the header row of daily measures ('Number of patients discharged') in the first 20 rows",
            file=file,
            sheet=TABLE,
        )
    dates = pd.to_datetime(frame.iloc[label_row - 1], errors="coerce").ffill()
    columns: dict[str, list[int]] = {"nctr": [], "discharged": []}
    day_dates = []
    for c, value in enumerate(frame.iloc[label_row].tolist()):
        text = cell_text(value).lower()
        if not text.startswith("number of patients"):
            continue
        if pd.isna(dates.iloc[c]):
            raise LoadError(
                f"no date above the column '{cell_text(value)}'",
                file=file,
                sheet=TABLE,
                row=label_row,
                column=cell_text(value),
            )
        if "remaining" in text:
            continue
        if "discharged" in text:
            columns["discharged"].append(c)
        elif "no longer meet" in text:
            columns["nctr"].append(c)
            day_dates.append(dates.iloc[c])
        else:
            raise LoadError(
                f"unknown daily measure '{cell_text(value)}'",
                file=file,
                sheet=TABLE,
                row=label_row + 1,
                column=cell_text(value),
            )
    if not columns["nctr"] or len(columns["nctr"]) != len(columns["discharged"]):
        raise LoadError(
            "the daily columns are not in triplets (criteria to reside, discharged, remaining)",
            file=file,
            sheet=TABLE,
            row=label_row + 1,
        )
    return label_row, columns, day_dates


def normalise(raw: dict, catalogue=None) -> LoadResult:
    """Monthly averages per day of NCTR patients and of NCTR discharges, per trust, ICB and England.

    Parameters
    ----------
    raw : dict
        As returned by :func:`read`.
    catalogue : Catalogue, optional
        Unused (the metric ids are fixed); accepted for the loader contract.

    Raises
    ------
    LoadError
        No ``Table 2`` sheet, an unknown collection title, header rows that cannot be found, dates
        from more than one month, or text in a number cell.
    """
    file = raw["file"]
    collection = _collection(raw.get("title", ""))
    if collection is None:
        raise LoadError(
            f"the cover sheet title '{raw.get('title', '')}' is neither the Acute nor the Community Discharge "
            "Situation Report",
            file=file,
            sheet=COVER,
        )
    frame = raw.get("table")
    if frame is None:
        raise LoadError(
            f"the workbook has no sheet '{TABLE}' (found: {', '.join(raw.get('all_sheets', []))})", file=file
        )
    label_row, columns, day_dates = _day_columns(frame, file)
    months = sorted({(d.year, d.month) for d in day_dates})
    if len(months) != 1:
        raise LoadError(
            f"the daily dates span {len(months)} months ({day_dates[0].date()} to {day_dates[-1].date()}); "
            "expected one month",
            file=file,
            sheet=TABLE,
            row=label_row,
        )
    period = pd.Timestamp(months[0][0], months[0][1], 1).date()

    # Find the ICB and trust blocks by header text (col B 'Region' then the code/name headers).
    rows: list[pd.DataFrame] = []
    orgs = []
    starts = []
    cells = frame.to_numpy(dtype=object)
    for code_label, name_label, kind in BLOCKS:
        header = find_header_row(cells, ("Region", code_label, name_label), max_rows=len(frame), start=label_row)
        if header is None:
            raise LoadError(
                f"cannot find the header row 'Region | {code_label} | {name_label}'", file=file, sheet=TABLE
            )
        starts.append((header, code_label, kind))
    starts.sort()
    for i, (header, code_label, kind) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(frame)
        labels = [cell_text(v) for v in frame.iloc[header].tolist()]
        code_col = labels.index(code_label)
        block = frame.iloc[header + 1 : end]
        codes = block.iloc[:, code_col].map(cell_text)
        block = block[codes != ""]
        rows.append(block.assign(_code=codes[codes != ""], _kind=kind))
        orgs.append(
            pd.DataFrame({"code": codes[codes != ""], "name": block.iloc[:, code_col + 1].map(cell_text), "kind": kind})
        )
    # England: the first row above the ICB block whose label starts 'ENGLAND'.
    # The label sits in the id columns (col D), left of the first daily column.
    first_day = min(columns["nctr"])
    england_row = next(
        (
            r
            for r in range(label_row + 1, starts[0][0])
            if any(cell_text(v).upper().startswith("ENGLAND") for v in cells[r, :first_day])
        ),
        None,
    )
    if england_row is not None:
        rows.insert(0, frame.iloc[[england_row]].assign(_code=ENGLAND, _kind="country"))
    body = pd.concat(rows)
    metrics = METRICS[collection]
    out = []
    for measure, cols in columns.items():
        values = numeric_block(
            body.iloc[:, cols], file=file, sheet=TABLE, labels=[cell_text(frame.iat[label_row, c]) for c in cols]
        )
        total = values.sum(axis=1, min_count=1)
        days = values.notna().sum(axis=1).astype(float)
        out.append(
            pd.DataFrame(
                {
                    "metric_id": metrics[measure],
                    "org_code": body["_code"].to_numpy(),
                    "numerator": total.to_numpy(),
                    "denominator": days.to_numpy(),
                    "value": (total / days.replace(0.0, np.nan)).to_numpy(),
                }
            )
        )
    tidy = pd.concat(out, ignore_index=True)
    tidy = tidy[tidy["value"].notna()].assign(period_start=period, period_type="month")
    organisations = pd.concat(orgs, ignore_index=True).drop_duplicates("code")
    return LoadResult(
        tidy=tidy[["metric_id", "org_code", "period_start", "period_type", "numerator", "denominator", "value"]],
        organisations=organisations,
        vintage=f"{period.isoformat()}",
        layout=f"Discharge Delays ({collection.title()}) monthly sitrep, Table 2 ({period:%B %Y})",
        publication=f"Discharge Delays ({collection.title()}) monthly situation report",
    )
