"""Delayed Transfers of Care (DToC), monthly local-authority workbooks (NHS England MSitDT, to Feb 2020).

Layout (``LA-Type-B-<Month>-<Year>.xls``, old BIFF; see docs/formats.md):
sheets ``LA - by type of care``, ``LA - by responsible org`` and ``LA - by reason`` (sheet names
matched case-insensitively; ``England`` and ``Data Quality`` are not needed). Each has a metadata
block with a ``Period:`` cell, then a header row whose id columns changed over the years:

* Apr 2011 - Mar 2013: ``SHA, Code, Name``
* Apr 2013 - Jun 2015: ``Region, <blank>, Code, Name``
* Jul 2015 - Dec 2019: ``Region, ONS Geography, Code, Name``

``Code`` is the council's old 3-digit CASSR code; it is mapped to the ONS code with
``loaders/reference/council_codes.csv`` (derived from the Jul 2015+ files, which carry both).
A code missing from that table is kept as it is, with a warning. The ``England`` row is E92000001.
Delayed days come from the first block of each sheet; later files add an "average per day" block
after a blank spacer column, which is not read: ``dtoc_beds_per_day`` is recomputed as total
delayed days / days in the month (numerator and denominator kept).

Metrics: dtoc_days (Total), dtoc_days_nhs / _social_care / _both (by responsible org),
dtoc_days_reason_a ... _i, _di, _dii, _o (by reason; reason O from April 2017; label case changed
then), dtoc_days_acute / dtoc_days_non_acute (by type of care), dtoc_beds_per_day.

``dtoc_days_per_100k`` is not stored by this loader: it is computed at read time from dtoc_days
and the ONS 18+ population (``population_18plus``, loaded by :mod:`loaders.population`), so a
population revision never leaves stale rates behind.

The two third-party compilations in the same public folder (``DToC_Days_Reason_for_Delay.csv``,
``DToC_Days_Responsible_Organisation.csv``, psychty/DTOC) are recognised and skipped with a
warning: they repeat the workbooks' figures, and the responsible-organisation file has no codes.
"""

from __future__ import annotations

import calendar
import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from loaders.base import LoadError, LoadResult, Peek, empty_tidy
from loaders.sheet_tools import cell_number, cell_text, find_header_row, metadata_value, published_date
from metrics.catalogue import Catalogue
from metrics.periods import PeriodError, parse_period

NAME = "dtoc_la"
SOURCE_KEY = "dtoc"
ENGLAND = "E92000001"
REFERENCE = Path(__file__).parent / "reference" / "council_codes.csv"

#: Sheet key -> the published sheet name (matched case-insensitively).
SHEETS = {
    "type_of_care": "LA - by type of care",
    "responsible_org": "LA - by responsible org",
    "reason": "LA - by reason",
}

#: Column labels of the delayed-days block -> metric id (None: read but not stored separately).
RESPONSIBLE_ORG = {
    "nhs": "dtoc_days_nhs",
    "social care": "dtoc_days_social_care",
    "both": "dtoc_days_both",
    "total": "dtoc_days",
}
TYPE_OF_CARE = {"acute": "dtoc_days_acute", "non-acute": "dtoc_days_non_acute", "total": None}
#: Reason letters as published (A) ... I), DI)/Di), DII)/Dii), O) from April 2017).
REASONS = {r: f"dtoc_days_reason_{r}" for r in ("a", "b", "c", "di", "dii", "e", "f", "g", "h", "i", "o")}
_REASON_LABEL = re.compile(r"^\s*([a-z]+)\s*\)")
_ONS_CODE = re.compile(r"^[EWSN]\d{8}$")

#: First lines of the psychty/DTOC compilations (SOURCES.md 3b).
DERIVED_HEADERS = {
    '"code","name","awaiting completion of assessment"': "DToC_Days_Reason_for_Delay",
    '"name","nhs","social care","both","period_year"': "DToC_Days_Responsible_Organisation",
}

#: Vintage prefixes: an original workbook always outranks a third-party compilation.
ORIGINAL, DERIVED = "2", "1"


def sniff(peek: Peek) -> bool:
    if peek.kind == "csv":
        first = peek.first_line.strip().lower()
        return any(first.startswith(h) for h in DERIVED_HEADERS)
    if peek.kind in ("xls", "xlsx"):
        names = {s.strip().lower() for s in peek.sheet_names}
        return sum(n.lower() in names for n in SHEETS.values()) >= 2
    return False


def read(path: Path) -> dict:
    """The LA sheets of a DToC workbook (``header=None``), or a marker for a derived CSV.

    Returns ``{"file": name, "sheets": {key: (published sheet name, frame)}, "all_sheets": [...]}``;
    a sheet that is absent is simply not in ``sheets`` (``normalise`` reports it).
    """
    path = Path(path)
    peek = Peek(path)
    if peek.kind == "csv":
        first = peek.first_line.strip().lower()
        which = next(v for k, v in DERIVED_HEADERS.items() if first.startswith(k))
        return {"file": path.name, "derived": which}
    try:
        book = pd.ExcelFile(path, engine="calamine")
    except Exception as exc:  # noqa: BLE001 - calamine raises its own types for corrupt files
        raise LoadError(f"cannot read the workbook: it is corrupt or truncated ({exc})", file=path.name) from None
    by_lower = {s.strip().lower(): s for s in book.sheet_names}
    sheets = {}
    for key, wanted in SHEETS.items():
        actual = by_lower.get(wanted.lower())
        if actual is not None:
            sheets[key] = (actual, pd.read_excel(book, sheet_name=actual, header=None))
    return {"file": path.name, "sheets": sheets, "all_sheets": list(book.sheet_names)}


@lru_cache(maxsize=1)
def council_codes() -> pd.DataFrame:
    """The CASSR -> ONS code table (``cassr_code, ons_code, name, valid_from, valid_to``)."""
    table = pd.read_csv(REFERENCE, dtype=str, keep_default_na=False)
    for col in ("valid_from", "valid_to"):
        table[col] = pd.to_datetime(table[col].replace("", None)).dt.date
    return table


def map_council_codes(codes: pd.Series, period) -> pd.Series:
    """ONS codes for old CASSR codes valid at ``period``; NaN where the table has no entry.

    A CASSR code with no ONS code in the table (people resident in Wales, Scotland, outside GB)
    maps to itself.
    """
    return codes.map(_lookup(period))


@lru_cache(maxsize=256)
def _lookup(period) -> dict[str, str]:
    """CASSR -> ONS code at ``period`` (undated entries, then the dated ones valid at ``period``)."""
    undated, dated = _split_table()
    lookup = dict(undated)
    for code, ons, valid_from, valid_to in dated:
        if (valid_from is None or valid_from <= period) and (valid_to is None or valid_to >= period):
            lookup[code] = ons
    return lookup


@lru_cache(maxsize=1)
def _split_table() -> tuple[dict[str, str], list[tuple]]:
    table = council_codes()
    target = table["ons_code"].where(table["ons_code"] != "", table["cassr_code"])
    has_dates = table["valid_from"].notna() | table["valid_to"].notna()
    undated = dict(zip(table.loc[~has_dates, "cassr_code"], target[~has_dates], strict=True))
    dated = [
        (c, o, None if pd.isna(f) else f, None if pd.isna(t) else t)
        for c, o, f, t in zip(
            table.loc[has_dates, "cassr_code"],
            target[has_dates],
            table.loc[has_dates, "valid_from"],
            table.loc[has_dates, "valid_to"],
            strict=True,
        )
    ]
    return undated, dated


def _parse_sheet(frame: pd.DataFrame, sheet: str, file: str) -> dict:
    """Period, header position, id columns and the delayed-days block of one LA sheet.

    Works on the sheet as a plain object array: a sheet is ~170 x 17 cells, and plain Python over
    them is several times faster than a chain of small pandas operations (107 files per folder).
    """
    cells = frame.to_numpy(dtype=object)
    found = metadata_value(cells, "Period:")
    if found is None or not found[0]:
        raise LoadError(
            "no 'Period:' cell in the metadata block (expected e.g. 'Period: December 2019')", file=file, sheet=sheet
        )
    period_text, period_row = found
    try:
        period = parse_period(period_text, "month")
    except PeriodError:
        raise LoadError(
            f"the Period: cell '{period_text}' is not a month (expected e.g. 'December 2019')",
            file=file,
            sheet=sheet,
            row=period_row + 1,
        ) from None
    header = find_header_row(cells, ("Code", "Name"))
    if header is None:
        raise LoadError(
            "cannot find the header row (a row with 'Code' and 'Name' columns) in the first 80 rows",
            file=file,
            sheet=sheet,
        )
    labels = [cell_text(v) for v in cells[header]]
    lower = [t.lower() for t in labels]
    code_col, name_col = lower.index("code"), lower.index("name")
    ons_col = lower.index("ons geography") if "ons geography" in lower else None
    data_cols = []
    for c in range(name_col + 1, len(labels)):
        if not labels[c]:
            break  # a blank spacer column ends the delayed-days block
        data_cols.append(c)
    rows = [r for r in range(header + 1, len(cells)) if cell_text(cells[r, name_col])]
    data_labels = [labels[c] for c in data_cols]
    values = np.full((len(rows), len(data_cols)), np.nan)
    for i, r in enumerate(rows):
        for j, c in enumerate(data_cols):
            try:
                values[i, j] = cell_number(cells[r, c])
            except ValueError:
                raise LoadError(
                    f"'{cells[r, c]}' is not a number (expected a number, or '-' for no figure)",
                    file=file,
                    sheet=sheet,
                    row=r + 1,
                    column=data_labels[j],
                ) from None
    return {
        "period": period,
        "period_text": period_text,
        "period_row": period_row,
        "header": header,
        "labels": data_labels,
        "codes": [cell_text(cells[r, code_col]) for r in rows],
        "names": [cell_text(cells[r, name_col]) for r in rows],
        "ons": [cell_text(cells[r, ons_col]) for r in rows] if ons_col is not None else None,
        "values": values,
    }


def _metric_for(key: str, label: str, sheet: str, file: str, header: int) -> str | None:
    text = label.strip().lower()
    if key == "responsible_org":
        mapping = RESPONSIBLE_ORG
        expected = "NHS, Social Care, Both, Total"
    elif key == "type_of_care":
        mapping = TYPE_OF_CARE
        expected = "Acute, Non-Acute, Total"
    else:
        if text == "total":
            return None
        match = _REASON_LABEL.match(text)
        if match and match[1] in REASONS:
            return REASONS[match[1]]
        raise LoadError(
            f"unknown reason column '{label}' (expected A) to I) with Di) and Dii), O) Other, and Total)",
            file=file,
            sheet=sheet,
            row=header + 1,
            column=label,
        )
    if text not in mapping:
        raise LoadError(
            f"unknown column '{label}' (expected {expected})", file=file, sheet=sheet, row=header + 1, column=label
        )
    return mapping[text]


def normalise(raw: dict, catalogue: Catalogue) -> LoadResult:
    """Tidy monthly rows for every council (and England) in a DToC LA workbook.

    Parameters
    ----------
    raw : dict
        As returned by :func:`read`.
    catalogue : Catalogue

    Returns
    -------
    LoadResult
        Delayed days by responsible organisation, by reason and by type of care, and
        dtoc_beds_per_day; organisations (ONS code, name) for every council in the file.

    Raises
    ------
    LoadError
        A missing sheet, a header row that cannot be found, an unknown reason or column, text in a
        number cell, or sheets whose ``Period:`` cells disagree.
    """
    file = raw["file"]
    if "derived" in raw:
        return LoadResult(
            tidy=empty_tidy(),
            warnings=[
                f"'{file}' is a third-party compilation ({raw['derived']}, psychty/DTOC) of the monthly DToC "
                "workbooks; it was recognised and not loaded: load the original NHS England workbooks instead"
            ],
            vintage=DERIVED,
            derived=True,
            layout=f"DToC derived compilation ({raw['derived']}), skipped",
        )
    missing = [SHEETS[k] for k in SHEETS if k not in raw["sheets"]]
    if missing:
        raise LoadError(
            f"the workbook has no sheet '{missing[0]}' (found: {', '.join(raw.get('all_sheets', []))})", file=file
        )
    parsed = {}
    for key, (sheet, frame) in raw["sheets"].items():
        parsed[key] = (sheet, _parse_sheet(frame, sheet, file))
    first_key = "responsible_org"
    first_sheet, first = parsed[first_key]
    for sheet, p in parsed.values():
        if p["period"] != first["period"]:
            raise LoadError(
                f"the Period: cell says '{p['period_text']}' but sheet '{first_sheet}' says "
                f"'{first['period_text']}': the sheets of one workbook must cover the same month",
                file=file,
                sheet=sheet,
                row=p["period_row"] + 1,
            )
    period = first["period"]
    warnings: list[str] = []
    organisations = []
    unmapped: set[str] = set()
    days = calendar.monthrange(period.year, period.month)[1]
    parts: dict[str, list[np.ndarray]] = {
        "metric_id": [],
        "org_code": [],
        "numerator": [],
        "denominator": [],
        "value": [],
    }

    def add(metric_ids, org_codes, values, numerator=None, denominator=None):
        parts["metric_id"].append(metric_ids)
        parts["org_code"].append(org_codes)
        parts["value"].append(values)
        parts["numerator"].append(np.full(len(values), np.nan) if numerator is None else numerator)
        parts["denominator"].append(np.full(len(values), np.nan) if denominator is None else denominator)

    for key, (sheet, p) in parsed.items():
        codes = np.array(_org_codes(p, period, unmapped), dtype=object)
        organisations.append(pd.DataFrame({"code": codes, "name": p["names"]}))
        metrics = [_metric_for(key, label, sheet, file, p["header"]) for label in p["labels"]]
        keep = [i for i, m in enumerate(metrics) if m is not None]
        # Row-major long layout: each council's metrics together.
        add(
            np.tile(np.array([metrics[i] for i in keep], dtype=object), len(codes)),
            np.repeat(codes, len(keep)),
            p["values"][:, keep].ravel(),
        )
        if "dtoc_days" in metrics:
            days_total = p["values"][:, metrics.index("dtoc_days")]
            add(
                np.full(len(codes), "dtoc_beds_per_day", dtype=object),
                codes,
                days_total / days,
                days_total,
                np.full(len(codes), float(days)),
            )
    if unmapped:
        warnings.append(
            f"council code(s) {', '.join(sorted(unmapped))} are not in loaders/reference/council_codes.csv; "
            "their rows were kept under the code as published"
        )
    columns = {name: np.concatenate(arrays) for name, arrays in parts.items()}
    present = ~np.isnan(columns["value"])  # a missing cell is missing, never zero
    tidy = pd.DataFrame(
        {
            "metric_id": columns["metric_id"][present],
            "org_code": columns["org_code"][present],
            "period_start": period,
            "period_type": "month",
            "numerator": columns["numerator"][present],
            "denominator": columns["denominator"][present],
            "value": columns["value"][present],
        }
    )
    orgs = pd.concat(organisations, ignore_index=True).drop_duplicates("code")
    orgs["kind"] = "local_authority"
    orgs.loc[orgs["code"] == ENGLAND, "kind"] = "country"
    orgs.loc[orgs["code"].str.fullmatch(r"99\d\d"), "kind"] = "other"
    meta = raw["sheets"]["responsible_org"][1]
    stamps = [published_date(v[0]) for v in (metadata_value(meta, "Revised:"), metadata_value(meta, "Published:")) if v]
    era = "ONS Geography" if first["ons"] is not None else "Code, Name"
    return LoadResult(
        tidy=tidy,
        organisations=orgs[["code", "name", "kind"]],
        warnings=warnings,
        vintage=f"{ORIGINAL}:{max(stamps) if stamps else ''}",
        layout=f"DToC LA monthly workbook ({first['period_text']}; id columns with {era})",
    )


def _org_codes(p: dict, period, unmapped: set[str]) -> list[str]:
    """ONS codes for a sheet's rows: England, the ONS Geography column, else the CASSR table."""
    lookup = _lookup(period)
    ons = p["ons"] or [""] * len(p["codes"])
    out = []
    for code, name, geography in zip(p["codes"], p["names"], ons, strict=True):
        if name.lower() == "england":
            out.append(ENGLAND)
        elif _ONS_CODE.match(geography):
            out.append(geography)
        elif code in lookup:
            out.append(lookup[code])
        else:
            unmapped.add(code)
            out.append(code)
    return out
