"""ONS Open Geography lookups for integrated care boards (ICBs), recognised by their columns.

Three layouts, CSV or a workbook's first data sheet (a ``Metadata`` sheet is skipped):

``LOC22CD, LOC22CDH, LOC22NM, ICB22CD, ICB22CDH, ICB22NM, NHSER22CD, NHSER22CDH, NHSER22NM``
    Sub-ICB locations -> ICBs -> NHS England regions (July 2022). Stored: the sub-ICB locations,
    ICBs and regions as organisations (ODS code, ONS code, name), and memberships sub-ICB -> ICB
    (``subicb_icb``) and ICB -> region (``icb_region``) from 1 July 2022, when ICBs began.
``LSOA11CD, ..., ICB22CDH, ..., LAD22CD, LAD22NM``
    Small areas (LSOA 2011) -> sub-ICB -> ICB -> local authority district (July 2022). Stored: each
    district and its ICB (``district_icb``, from 1 July 2022), weighted by the number of small areas
    they share (a district split between two boards is in both, in proportion).
``ICB24CD, ICB24CDH, ICB24NM``
    The ICBs' names and codes (December 2024). Stored: each ICB's name (the name areas show).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from loaders.base import LoadError, Peek, read_csv_text, read_sheet
from loaders.reference_tools import reference_result, require_columns
from metrics.catalogue import Catalogue

NAME = "ons_geography"
SOURCE_KEY = "ons_geography"
ICB_START = dt.date(2022, 7, 1)  # integrated care boards replaced CCGs on 1 July 2022

LOC_COLUMNS = (
    "LOC22CD",
    "LOC22CDH",
    "LOC22NM",
    "ICB22CD",
    "ICB22CDH",
    "ICB22NM",
    "NHSER22CD",
    "NHSER22CDH",
    "NHSER22NM",
)
LSOA_COLUMNS = ("LSOA11CD", "ICB22CDH", "LAD22CD", "LAD22NM")
NAMES_COLUMNS = ("ICB24CD", "ICB24CDH", "ICB24NM")
LAYOUTS = (LOC_COLUMNS, LSOA_COLUMNS, NAMES_COLUMNS)


def _layout(header: list[str]) -> tuple[str, ...] | None:
    cells = {str(c).strip().lstrip("\ufeff").upper() for c in header}
    for layout in LAYOUTS:
        if set(layout) <= cells:
            return layout
    return None


def _data_sheet(peek: Peek) -> str | None:
    names = [n for n in peek.sheet_names if n.strip().lower() != "metadata"]
    return names[0] if names else None


def sniff(peek: Peek) -> bool:
    if peek.kind == "csv":
        return _layout(peek.header_cells) is not None
    if peek.kind == "xlsx":
        sheet = _data_sheet(peek)
        if sheet is None or not sheet.upper().startswith(("LOC22", "LSOA11", "ICB")):
            return False
        try:
            head = read_sheet(peek.path, sheet_name=sheet, header=None, nrows=1)
        except LoadError:
            return False
        return not head.empty and _layout(list(head.iloc[0])) is not None
    return False


def read(path: Path) -> pd.DataFrame:
    """The table as strings with upper-case column names; ``attrs`` name the file and sheet."""
    path = Path(path)
    peek = Peek(path)
    sheet = None
    if peek.kind == "xlsx":
        sheet = _data_sheet(peek)
        frame = read_sheet(path, sheet_name=sheet, header=0, dtype=str).fillna("")
    else:
        frame = read_csv_text(path)
    frame.columns = [str(c).strip().lstrip("\ufeff").upper() for c in frame.columns]
    frame = frame.apply(lambda col: col.astype(str).str.strip())
    frame.attrs.update(file=path.name, sheet=sheet)
    return frame


def normalise(raw: pd.DataFrame, catalogue: Catalogue):
    """Organisations and memberships for the layout found (see the module docstring)."""
    file, sheet = raw.attrs.get("file", "lookup"), raw.attrs.get("sheet")
    layout = _layout(list(raw.columns))
    if layout is None:
        raise LoadError(
            "not an ONS ICB lookup: expected the columns of LOC22_ICB22_NHSER22, LSOA11_LOC22_ICB22_LAD22 "
            "or ICB names and codes",
            file=file,
            sheet=sheet,
            row=1,
        )
    require_columns(raw, layout, file, sheet)
    for column in layout:
        blank = raw[column] == ""
        if blank.any():
            row = int(blank.to_numpy().nonzero()[0][0]) + 2
            raise LoadError("the cell is blank", file=file, sheet=sheet, row=row, column=column)
    if layout is LOC_COLUMNS:
        return _sub_icb(raw)
    if layout is LSOA_COLUMNS:
        return _districts(raw)
    return _icb_names(raw)


def _org(code, name, kind, ons_code=None, region=None) -> dict:
    return {"code": code, "name": name, "kind": kind, "ons_code": ons_code, "region_code": region,
            "opened": None, "closed": None}  # fmt: skip


def _member(member, parent, relation, weight=1.0) -> dict:
    return {"member_code": member, "parent_code": parent, "relation": relation, "valid_from": ICB_START,
            "valid_to": None, "weight": float(weight)}  # fmt: skip


def _sub_icb(raw: pd.DataFrame):
    orgs, members = [], []
    for r in raw.drop_duplicates("LOC22CDH").itertuples(index=False):
        orgs.append(_org(r.LOC22CDH, r.LOC22NM, "subicb", r.LOC22CD))
        members.append(_member(r.LOC22CDH, r.ICB22CDH, "subicb_icb"))
    for r in raw.drop_duplicates("ICB22CDH").itertuples(index=False):
        orgs.append(_org(r.ICB22CDH, r.ICB22NM, "icb", r.ICB22CD, r.NHSER22CDH))
        members.append(_member(r.ICB22CDH, r.NHSER22CDH, "icb_region"))
    for r in raw.drop_duplicates("NHSER22CDH").itertuples(index=False):
        orgs.append(_org(r.NHSER22CDH, r.NHSER22NM, "region", r.NHSER22CD))
    icbs = raw["ICB22CDH"].nunique()
    return reference_result(
        orgs,
        members,
        f"ONS sub-ICB location to ICB to region lookup ({len(raw)} locations, {icbs} ICBs)",
        "2022-07",
        "ons_sub_icb",
    )


def _districts(raw: pd.DataFrame):
    shared = raw.groupby(["LAD22CD", "LAD22NM", "ICB22CDH"], sort=True).size().rename("lsoas").reset_index()
    orgs = [
        _org(code, name, "district", code)
        for code, name in shared.drop_duplicates("LAD22CD")[["LAD22CD", "LAD22NM"]].itertuples(index=False)
    ]
    members = [_member(r.LAD22CD, r.ICB22CDH, "district_icb", r.lsoas) for r in shared.itertuples(index=False)]
    return reference_result(
        orgs,
        members,
        f"ONS small area to ICB to district lookup ({len(raw)} small areas, {len(orgs)} districts)",
        "2022-07",
        "ons_districts",
    )


def _icb_names(raw: pd.DataFrame):
    orgs = [
        _org(r.ICB24CDH, r.ICB24NM, "icb", r.ICB24CD) for r in raw.drop_duplicates("ICB24CDH").itertuples(index=False)
    ]
    return reference_result(orgs, [], f"ONS ICB names and codes ({len(orgs)} ICBs)", "2024-12", "ons_icb_names")
