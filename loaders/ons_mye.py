"""ONS mid-year population estimates, the published table layout (``MYE2 - Persons`` saved as CSV).

Layout: CSV, header ``Code, Name, Geography, All ages, 0, 1, ..., 89, 90+``; one row per area
(country, region, county, metropolitan county, unitary authority, district, London borough),
persons by single year of age. Rows come in the publication's order: each county or metropolitan
county is followed by its districts, which is how a district's county is known.

The table does not state its mid-year (the title rows were removed when it was saved as CSV);
this layout is the mid-2024 release, ``MID_YEAR``. It is filed under the financial year that
starts in that year (mid-2024 -> 2024/25), as the catalogue's population metrics are.

Stored, for every English area: ``population_all``, ``population_18plus``, ``population_18_64``
and ``population_65plus``; each area as an organisation with its ONS name; and memberships
district -> county (``district_county``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from loaders.base import LoadError, LoadResult, Peek, ReferenceData, read_csv_text
from loaders.reference_tools import memberships_frame, organisations_frame
from metrics.catalogue import Catalogue

NAME = "ons_mid_year_estimates"
SOURCE_KEY = "ons"
MID_YEAR = 2024
HEAD = ("code", "name", "geography", "all ages")
AGES = [str(a) for a in range(90)] + ["90+"]
KINDS = {
    "country": "country",
    "region": "ons_region",
    "county": "local_authority",
    "metropolitan county": "metropolitan_county",
    "unitary authority": "local_authority",
    "non-metropolitan district": "district",
    "metropolitan district": "local_authority",
    "london borough": "local_authority",
}


def sniff(peek: Peek) -> bool:
    if peek.kind != "csv":
        return False
    cells = [c.strip().lstrip("\ufeff").lower() for c in peek.header_cells]
    return tuple(cells[:4]) == HEAD and "90+" in cells


def read(path: Path) -> pd.DataFrame:
    path = Path(path)
    frame = read_csv_text(path)
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    frame.attrs["file"] = path.name
    return frame


def normalise(raw: pd.DataFrame, catalogue: Catalogue) -> LoadResult:
    """Population by band for every English area, names, and district -> county memberships.

    Raises
    ------
    LoadError
        A missing age column, an unknown geography, or a count that is not a whole number.
    """
    file = raw.attrs.get("file", "mye.csv")
    lower = {c.lower(): c for c in raw.columns}
    missing = [c for c in (*HEAD, *AGES) if c not in lower]
    if missing:
        raise LoadError(f"the header lacks column(s) {', '.join(missing[:5])}", file=file, row=1)
    frame = raw.rename(columns={lower[c]: c for c in HEAD})
    counts = {}
    for column in ("all ages", *AGES):
        text = frame[column if column in HEAD else lower[column]].str.replace(",", "").str.strip()
        values = pd.to_numeric(text, errors="coerce")
        bad = values.isna() | (values < 0)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise LoadError(f"'{text.iloc[i]}' is not a number of people", file=file, row=i + 2, column=lower[column])
        counts[column] = values.to_numpy(dtype=float)
    ages = np.column_stack([counts[a] for a in AGES])
    bands = {
        "population_all": counts["all ages"],
        "population_18plus": ages[:, 18:].sum(axis=1),
        "population_18_64": ages[:, 18:65].sum(axis=1),
        "population_65plus": ages[:, 65:].sum(axis=1),
    }
    codes = frame["code"].str.strip()
    geography = frame["geography"].str.strip().str.lower()
    unknown = ~geography.isin(list(KINDS))
    if unknown.any():
        i = int(np.flatnonzero(unknown.to_numpy())[0])
        raise LoadError(f"unknown geography '{frame['geography'].iloc[i]}'", file=file, row=i + 2, column="Geography")
    english = codes.str.startswith("E").to_numpy()
    start = dt.date(MID_YEAR, 4, 1)
    parts = []
    for metric_id, values in bands.items():
        parts.append(
            pd.DataFrame(
                {
                    "metric_id": metric_id,
                    "org_code": codes[english].to_numpy(),
                    "period_start": start,
                    "period_type": "year",
                    "numerator": np.nan,
                    "denominator": np.nan,
                    "value": values[english],
                    "source_row": np.flatnonzero(english) + 2,
                    "source_column": "All ages" if metric_id == "population_all" else "0 ... 90+",
                    "source_org_column": "Code",
                }
            )
        )
    tidy = pd.concat(parts, ignore_index=True)
    organisations = pd.DataFrame(
        {
            "code": codes[english].to_numpy(),
            "name": frame["name"][english].str.strip().to_numpy(),
            "kind": geography[english].map(KINDS).to_numpy(),
        }  # fmt: skip
    )
    reference_orgs, memberships = [], []
    county = None
    for code, name, geo in zip(codes, frame["name"].str.strip(), geography, strict=True):
        if not code.startswith("E"):
            continue
        reference_orgs.append({"code": code, "name": name, "kind": KINDS[geo], "ons_code": code,
                               "region_code": None, "opened": None, "closed": None})  # fmt: skip
        if geo in ("county", "metropolitan county"):
            county = code
        elif geo in ("non-metropolitan district", "metropolitan district") and county is not None:
            memberships.append({"member_code": code, "parent_code": county, "relation": "district_county",
                                "valid_from": None, "valid_to": None, "weight": 1.0})  # fmt: skip
        else:
            county = None
    return LoadResult(
        tidy=tidy,
        organisations=organisations,
        vintage=str(MID_YEAR),
        layout=f"ONS mid-{MID_YEAR} population estimates by single year of age ({int(english.sum())} English areas)",
        reference=ReferenceData(organisations_frame(reference_orgs), memberships_frame(memberships), view="ons_mye"),
    )
