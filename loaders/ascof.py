"""Adult Social Care Outcomes Framework (ASCOF) measures and the Better Care Fund mapping.

Three layouts (SOURCES.md section 4):

1. **NHS Digital ASCOF long-format open data** (``meas-from-asc-of-eng-<yyyy>-open-data-csv*.xlsx``,
   sheet ``in``; or the same table as CSV): ``Geographical Code, Geographical Description,
   Geographical Level, ONS Code, ASCOF Measure Code, Disaggregation Level, Measure Type, Measure Value,
   Measure Group, Measure Group Description``. Rows with ``Disaggregation Level == 'Total'`` and
   measure codes 2A1, 2A2, 2B1, 2B2, 2D are read; ``Outcome`` is the value, ``Numerator`` and
   ``Denominator`` are kept where published. ``[x]`` and ``[c]`` are suppressed (missing, not zero).
   The table carries no year: it is taken from a ``Year`` / ``Reporting Period`` column when present,
   else from NHS Digital's file name (``...-eng-2021-...`` = 2020-21, ``...-eng-1920-...`` = 2019-20),
   and the load says so in a warning. Councils, regions and England (E92000001) are kept.
2. **Third-party compilations** ``final_data_2019.csv`` / ``final_data_2020.csv`` (social_care_datahub):
   one outcome value per council, measure and disaggregation, with ``Year`` = the year the financial
   year ends. No measure code, so measures are matched on their description (:data:`DESCRIPTIONS`).
   Recorded as derived (``derived=True``) with a lower vintage than the NHS Digital file.
3. **BCF.csv** (The Health Foundation analysis output: BCF 2023-24 planned spend on intermediate
   care and reablement, joined to population): recognised, and skipped with a warning, because none
   of its columns is a Better Care Fund *metric* in the catalogue.

Every period is a financial year (period_start = 1 April).

:data:`BCF_METRIC_SOURCES` says where each metric in a Better Care Fund set comes from.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from loaders.base import MISSING_MARKERS, LoadError, LoadResult, Peek, empty_tidy, read_csv_text, read_sheet
from loaders.sheet_tools import numeric_block
from metrics.catalogue import Catalogue

NAME = "ascof"
SOURCE_KEY = "ascof"
ENGLAND = "E92000001"

#: ASCOF measure code -> metric id. The 2023-24 refresh renumbered ASCOF; map new codes here.
MEASURE_CODES = {"2A1": "ascof_2a1", "2A2": "ascof_2a2", "2B1": "ascof_2b1", "2B2": "ascof_2b2", "2D": "ascof_2d"}

#: Description patterns (lower case, regex) of the compiled CSVs -> metric id, checked in order.
DESCRIPTIONS = (
    (r"younger adults aged 18-64 met by admission to residential and nursing care", "ascof_2a1"),
    (r"older adults aged 65 and over met by admission to residential and nursing care", "ascof_2a2"),
    (r"still at home 91 days.*effectiveness of the service", "ascof_2b1"),
    (r"still at home 91 days.*offered the service", "ascof_2b2"),
    (r"who were still at home 91 days after discharge", "ascof_2b1"),
    (r"received reablement/rehabilitation services after discharge", "ascof_2b2"),
    (r"outcome of short-term services: sequel to service", "ascof_2d"),
    (r"short term service during the year where the sequel to service", "ascof_2d"),
)

#: Where each Better Care Fund metric comes from. "generic template only": BCF plans and returns
#: by Health and Wellbeing Board have no public file (docs/formats.md), so values are loaded with the
#: generic indicator template (loaders/generic.py).
GENERIC_ONLY = "generic template only"
BCF_METRIC_SOURCES = {
    "ascof_2a2": "loaders.ascof (ASCOF 2A(2), NHS Digital open data; final_data_20xx.csv)",
    "ascof_2b1": "loaders.ascof (ASCOF 2B(1), NHS Digital open data; final_data_20xx.csv)",
    "dtoc_days_per_100k": "loaders.dtoc (dtoc_days) with loaders.population (population_18plus), rate computed "
    "at read time",
    "bcf_non_elective_admissions": GENERIC_ONLY,
    "bcf_avoidable_admissions": GENERIC_ONLY,
    "bcf_discharge_usual_residence": GENERIC_ONLY,
    "bcf_falls_65": GENERIC_ONLY,
}

LONG_COLUMNS = (
    "Geographical Level",
    "ONS Code",
    "ASCOF Measure Code",
    "Disaggregation Level",
    "Measure Type",
    "Measure Value",
)
COMPILED_COLUMNS = (
    "Geographical Description",
    "ONS Code",
    "Measure Group Description",
    "Disaggregation Level",
    "Measure Value",
    "Year",
)
BCF_COLUMNS = ("Code", "LA_name", "Bed based intermediate Care Services", "Reablement in a persons own home")
KEPT_LEVELS = {"council": "local_authority", "region": "region", "england": "country"}

ORIGINAL, DERIVED = "2", "1"


def _columns(line: str) -> list[str]:
    return [c.strip().strip('"').strip() for c in line.split(",")]


def sniff(peek: Peek) -> bool:
    if peek.kind == "csv":
        cols = set(_columns(peek.first_line))
        return any(set(need) <= cols for need in (LONG_COLUMNS, COMPILED_COLUMNS, BCF_COLUMNS))
    if peek.kind == "xlsx":
        # NHS Digital's open-data workbook has a single sheet named 'in'. Opening the 49,000-row sheet
        # just to sniff would double the read time; read() checks the header and names what is wrong.
        return [s.strip().lower() for s in peek.sheet_names] == ["in"]
    return False


def read(path: Path) -> dict:
    """The table as published (strings kept as strings), with its layout and file name."""
    path = Path(path)
    if Peek(path).kind == "xlsx":
        frame = read_sheet(path, "in", header=0)
    else:
        frame = read_csv_text(path)
    frame.columns = [str(c).strip() for c in frame.columns]
    cols = set(frame.columns)
    if set(LONG_COLUMNS) <= cols:
        layout = "long"
    elif set(COMPILED_COLUMNS) <= cols:
        layout = "compiled"
    elif set(BCF_COLUMNS) <= cols:
        layout = "bcf"
    else:
        raise LoadError(
            f"the header is not an ASCOF layout (expected columns {', '.join(LONG_COLUMNS)})", file=path.name, row=1
        )
    return {"file": path.name, "layout": layout, "frame": frame}


def year_from_name(file: str) -> int | None:
    """Start year of the financial year in an NHS Digital ASCOF file name, or None.

    ``meas-from-asc-of-eng-2021-open-data-csv_v2.xlsx`` -> 2020 (2020-21);
    ``meas-from-asc-of-eng-1920-open-data-csv.csv`` -> 2019 (2019-20).
    """
    m = re.search(r"asc-?of-eng-(\d{2})(\d{2})\b", file.lower())
    if not m:
        return None
    a, b = int(m[1]), int(m[2])
    if b == (a + 1) % 100:
        return 2000 + a
    return None


def normalise(raw: dict, catalogue: Catalogue) -> LoadResult:
    """Tidy yearly ASCOF rows (or a recognised-and-skipped BCF analysis file).

    Parameters
    ----------
    raw : dict
        As returned by :func:`read`.
    catalogue : Catalogue

    Raises
    ------
    LoadError
        Text in a number cell, or (long format) no way to tell the year.
    """
    if raw["layout"] == "bcf":
        return LoadResult(
            tidy=empty_tidy(),
            warnings=[
                f"'{raw['file']}' is an analysis output (BCF 2023-24 planned spend on intermediate care and "
                "reablement per council, The Health Foundation); no column is a Better Care Fund metric in the "
                "catalogue, so it was recognised and not loaded"
            ],
            derived=True,
            vintage=DERIVED,
            source_key="bcf",
            layout="BCF planned-spend analysis output (skipped)",
        )
    if raw["layout"] == "compiled":
        return _compiled(raw)
    return _long(raw)


def _long(raw: dict) -> LoadResult:
    file, frame = raw["file"], raw["frame"]
    warnings = []
    year_col = next((c for c in frame.columns if c.lower() in ("year", "reporting period")), None)
    if year_col is not None:
        years = frame[year_col].astype(str).str.extract(r"^(\d{4})")[0].dropna().astype(int).unique()
        if len(years) != 1:
            raise LoadError(f"the file covers {len(years)} years; expected one", file=file, column=year_col)
        start = int(years[0])
    else:
        start = year_from_name(file)
        if start is None:
            raise LoadError(
                "the ASCOF table has no year column and the file name does not carry NHS Digital's year "
                "(e.g. 'meas-from-asc-of-eng-2021-open-data-csv.xlsx' for 2020-21); rename the file as published",
                file=file,
            )
        warnings.append(f"the table carries no year: {start}-{str(start + 1)[-2:]} was taken from the file name")
    level = frame["Geographical Level"].astype(str).str.strip().str.lower()
    code = frame["ASCOF Measure Code"].astype(str).str.strip().str.upper()
    keep = (
        code.isin(list(MEASURE_CODES))
        & frame["Disaggregation Level"].astype(str).str.strip().eq("Total")
        & level.isin(list(KEPT_LEVELS))
        & frame["Measure Type"].astype(str).str.strip().isin(["Outcome", "Numerator", "Denominator"])
    )
    rows = frame[keep].copy()
    rows["_level"] = level[keep]
    rows["org_code"] = rows["ONS Code"].astype(str).str.strip()
    rows.loc[rows["_level"] == "england", "org_code"] = ENGLAND
    rows["metric_id"] = code[keep].map(MEASURE_CODES)
    # numeric_block names the row index + 1; with the header in spreadsheet row 1, data row i is row i + 2.
    values = numeric_block(
        rows[["Measure Value"]].set_axis(rows.index + 1),
        file=file,
        sheet="in" if file.lower().endswith("xlsx") else None,
    )
    rows["_value"] = values["Measure Value"].to_numpy()
    wide = rows.pivot_table(
        index=["metric_id", "org_code"], columns="Measure Type", values="_value", aggfunc="first", dropna=False
    )
    wide = wide.reindex(columns=["Outcome", "Numerator", "Denominator"])
    tidy = pd.DataFrame(
        {
            "metric_id": wide.index.get_level_values(0),
            "org_code": wide.index.get_level_values(1),
            "numerator": wide["Numerator"].to_numpy(),
            "denominator": wide["Denominator"].to_numpy(),
            "value": wide["Outcome"].to_numpy(),
        }
    )
    suppressed = int(tidy["value"].isna().sum())
    tidy = tidy[tidy["value"].notna()]
    if suppressed:
        warnings.append(f"{suppressed} outcome value(s) are suppressed ([x]/[c]) and were not stored")
    tidy = tidy.assign(period_start=pd.Timestamp(start, 4, 1).date(), period_type="year")
    orgs = rows.drop_duplicates("org_code")
    organisations = pd.DataFrame(
        {
            "code": orgs["org_code"],
            "name": orgs["Geographical Description"].astype(str).str.strip()
            if "Geographical Description" in orgs
            else orgs["org_code"],
            "kind": orgs["_level"].map(KEPT_LEVELS),
        }
    )
    return LoadResult(
        tidy=tidy[["metric_id", "org_code", "period_start", "period_type", "numerator", "denominator", "value"]],
        organisations=organisations,
        warnings=warnings,
        vintage=f"{ORIGINAL}:{start}",
        layout=f"ASCOF long-format open data ({start}-{str(start + 1)[-2:]})",
    )


def _match_description(text: str) -> str | None:
    lower = text.lower()
    for pattern, metric in DESCRIPTIONS:
        if re.search(pattern, lower):
            return metric
    return None


def _compiled(raw: dict) -> LoadResult:
    file, frame = raw["file"], raw["frame"]
    total = frame["Disaggregation Level"].str.strip().eq("Total")
    level = frame["Geographical Level"].str.strip().str.lower() if "Geographical Level" in frame else None
    if level is not None:
        total &= level.isin(list(KEPT_LEVELS))
    rows = frame[total].copy()
    descriptions = rows["Measure Group Description"].str.strip()
    lookup = {d: _match_description(d) for d in descriptions.unique()}
    rows["metric_id"] = descriptions.map(lookup)
    rows = rows[rows["metric_id"].notna()]
    years = pd.to_numeric(rows["Year"], errors="coerce")
    not_year = years.isna() | ~years.between(1000, 9999)  # "0000" or "99999" is no calendar year
    if not_year.any():
        i = int(np.flatnonzero(not_year.to_numpy())[0])
        raise LoadError(
            f"'{rows['Year'].iloc[i]}' is not a year (expected e.g. 2019 for 2018-19)",
            file=file,
            row=int(rows.index[i]) + 2,
            column="Year",
        )
    values = rows["Measure Value"].str.strip()
    suppressed = values.isin(MISSING_MARKERS)
    number = pd.to_numeric(values.where(~suppressed), errors="coerce")
    bad = number.isna() & ~suppressed
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise LoadError(
            f"'{values.iloc[i]}' is not a number", file=file, row=int(rows.index[i]) + 2, column="Measure Value"
        )
    org = rows["ONS Code"].str.strip()
    if level is not None:
        org = org.where(level[rows.index] != "england", ENGLAND)
    tidy = pd.DataFrame(
        {
            "metric_id": rows["metric_id"],
            "org_code": org,
            "period_start": [pd.Timestamp(int(y) - 1, 4, 1).date() for y in years],
            "period_type": "year",
            "numerator": np.nan,
            "denominator": np.nan,
            "value": number,
        }
    )
    tidy = tidy[tidy["value"].notna() & (tidy["org_code"] != "")]
    unmatched = sorted(d for d, m in lookup.items() if m is None)
    warnings = [
        f"derived compilation: {len(unmatched)} measure description(s) outside the catalogue were not "
        "loaded (e.g. ASCOF 2C delayed transfers per 100,000 a day, which is not the monthly BCF measure)"
    ]
    first_year = int(years.min()) - 1 if len(years) else 0
    organisations = pd.DataFrame(
        {
            "code": tidy["org_code"],
            "name": rows.loc[tidy.index, "Geographical Description"].str.strip(),
            "kind": "local_authority",
        }
    ).drop_duplicates("code")
    organisations.loc[organisations["code"] == ENGLAND, "kind"] = "country"
    return LoadResult(
        tidy=tidy.reset_index(drop=True),
        organisations=organisations,
        warnings=warnings,
        vintage=f"{DERIVED}:{first_year}",
        derived=True,
        publication="ASCOF measures compiled by a third party (social_care_datahub) from NHS Digital open data",
        layout=f"ASCOF compiled CSV ({first_year}-{str(first_year + 1)[-2:]}, derived)",
    )
