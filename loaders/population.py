"""ONS mid-year population estimates by age, for rates per 100,000 (a simple documented CSV).

Accepted file: CSV (UTF-8 or Windows-1252), header row 1, exactly these columns (any order, any
case; extra columns are refused so a wrong file is not half-read):

``area_code``
    ONS area code (E06000016) or an alias from config.yaml (``509``); ``E92000001`` for England.
``year``
    The mid-year of the estimate, e.g. ``2019`` for 30 June 2019. It is filed under the financial
    year that starts in that year (2019/20, period_start 2019-04-01), as the catalogue says.
``age_band``
    Either a band the catalogue stores directly - ``18+``, ``18-64``, ``65+`` - or single years of
    age ``0`` ... ``89`` and the open band ``90+`` (ONS's own layout), which are summed into the three
    bands. For an area and year, a band given directly wins over the one summed from single years.
``population``
    Number of residents (commas allowed). A blank or ``-`` is missing, never zero.

Example::

    area_code,year,age_band,population
    E06000016,2019,18+,275000
    E06000016,2019,65+,40000

Stored metrics: ``population_18plus``, ``population_18_64``, ``population_65plus`` (yearly). Rates
such as ``dtoc_days_per_100k`` are computed from these at read time, not stored.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from loaders.base import MISSING_MARKERS, LoadError, LoadResult, Peek, read_csv_text
from metrics.catalogue import Catalogue

NAME = "ons_population"
SOURCE_KEY = "ons"
COLUMNS = ("area_code", "year", "age_band", "population")
BANDS = {"18+": "population_18plus", "18-64": "population_18_64", "65+": "population_65plus"}
_SINGLE = re.compile(r"^(\d{1,3})(\+)?$")


def sniff(peek: Peek) -> bool:
    if peek.kind != "csv":
        return False
    header = [c.strip().strip('"').lower() for c in peek.first_line.split(",")]
    return set(COLUMNS) <= set(header)


def read(path: Path) -> pd.DataFrame:
    """The CSV as strings with lower-case column names; ``attrs['file']`` names the file."""
    path = Path(path)
    frame = read_csv_text(path)
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    frame.attrs["file"] = path.name
    return frame


def _band_of_single_age(ages: pd.Series, open_ended: pd.Series) -> pd.DataFrame:
    """For single ages, membership of each stored band (an open band ``90+`` counts from 90 up)."""
    return pd.DataFrame(
        {
            "18+": ages >= 18,
            "18-64": (ages >= 18) & (ages <= 64) & ~open_ended,
            "65+": ages >= 65,
        }
    )


def normalise(raw: pd.DataFrame, catalogue: Catalogue) -> LoadResult:
    """Yearly population rows for the three catalogue bands.

    Raises
    ------
    LoadError
        A missing or unexpected column, an unknown age band, a year or population that is not a
        number, or the same area, year and band given twice.
    """
    file = raw.attrs.get("file", "population.csv")
    missing = [c for c in COLUMNS if c not in raw.columns]
    if missing:
        raise LoadError(
            f"the header has no {', '.join(repr(c) for c in missing)} column; expected columns {', '.join(COLUMNS)}",
            file=file,
            row=1,
        )
    extra = [c for c in raw.columns if c not in COLUMNS]
    if extra:
        raise LoadError(
            f"unexpected column(s) {', '.join(repr(c) for c in extra)}; expected exactly {', '.join(COLUMNS)}",
            file=file,
            row=1,
        )
    frame = raw.copy()
    excel_row = pd.Series(np.arange(len(frame)) + 2, index=frame.index)
    band = (
        frame["age_band"].str.strip().str.replace(" ", "").str.lower().replace({"18andover": "18+", "65andover": "65+"})
    )
    year = pd.to_numeric(frame["year"].str.strip(), errors="coerce")
    not_year = year.isna() | (year % 1 != 0) | ~year.between(1000, 9999)  # "0000" is no calendar year
    if not_year.any():
        i = int(np.flatnonzero(not_year.to_numpy())[0])
        raise LoadError(
            f"'{frame['year'].iloc[i]}' is not a year (expected e.g. 2019 for mid-2019)",
            file=file,
            row=int(excel_row.iloc[i]),
            column="year",
        )
    text = frame["population"].str.strip().str.replace(",", "")
    blank = text.isin(MISSING_MARKERS)
    population = pd.to_numeric(text.where(~blank), errors="coerce")
    bad = population.isna() & ~blank | (population < 0)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise LoadError(
            f"'{frame['population'].iloc[i]}' is not a number of people",
            file=file,
            row=int(excel_row.iloc[i]),
            column="population",
        )
    codes = frame["area_code"].str.strip().map(catalogue.resolve_org)
    direct = band.isin(list(BANDS))
    single = band.str.match(_SINGLE) & ~direct
    unknown = ~direct & ~single
    if unknown.any():
        i = int(np.flatnonzero(unknown.to_numpy())[0])
        raise LoadError(
            f"unknown age band '{frame['age_band'].iloc[i]}' (expected 18+, 18-64, 65+, or single "
            "years 0 ... 89 and 90+)",
            file=file,
            row=int(excel_row.iloc[i]),
            column="age_band",
        )
    key = pd.DataFrame({"org_code": codes, "year": year.astype(int), "band": band})
    dupes = key.duplicated(keep=False)
    if dupes.any():
        i = int(np.flatnonzero(dupes.to_numpy())[1])
        raise LoadError("the same area, year and age band appears twice", file=file, row=int(excel_row.iloc[i]))
    parts = [key[direct].assign(population=population[direct])]
    if single.any():
        ages = band[single].str.extract(_SINGLE)
        age = ages[0].astype(int)
        open_ended = ages[1].notna()
        early = open_ended & (age < 65)
        if early.any():
            i = int(np.flatnonzero(single.to_numpy())[int(np.flatnonzero(early.to_numpy())[0])])
            raise LoadError(
                f"open age band '{frame['age_band'].iloc[i]}' overlaps 18-64 (an open band must start "
                "at 65 or later, e.g. 90+)",
                file=file,
                row=int(excel_row.iloc[i]),
                column="age_band",
            )
        members = _band_of_single_age(age, open_ended)
        for name in BANDS:
            rows = key[single][members[name].to_numpy()]
            values = population[single][members[name].to_numpy()]
            # min_count=1: an all-missing band stays missing rather than becoming zero
            summed = values.groupby([rows["org_code"], rows["year"]]).sum(min_count=1).rename("population")
            parts.append(summed.reset_index().assign(band=name))
    combined = pd.concat(parts, ignore_index=True)
    combined["_direct"] = np.r_[np.ones(int(direct.sum()), bool), np.zeros(len(combined) - int(direct.sum()), bool)]
    combined = combined.sort_values("_direct", ascending=False).drop_duplicates(["org_code", "year", "band"])
    combined = combined[combined["population"].notna()]
    tidy = pd.DataFrame(
        {
            "metric_id": combined["band"].map(BANDS).to_numpy(),
            "org_code": combined["org_code"].to_numpy(),
            "period_start": [pd.Timestamp(int(y), 4, 1).date() for y in combined["year"]],
            "period_type": "year",
            "numerator": np.nan,
            "denominator": np.nan,
            "value": combined["population"].astype(float).to_numpy(),
        }
    )
    # Provenance for validation messages: the first row that gives each area.
    first_rows: dict[str, int] = {}
    for code, line in zip(frame["area_code"].astype(str).str.strip(), excel_row, strict=True):
        first_rows.setdefault(code, int(line))
    tidy = tidy.assign(
        source_row=tidy["org_code"].map(first_rows), source_column="population", source_org_column="area_code"
    )
    organisations = pd.DataFrame({"code": sorted(set(tidy["org_code"]))})
    organisations["name"] = organisations["code"]
    organisations["kind"] = np.where(organisations["code"] == "E92000001", "country", "local_authority")
    years = sorted(set(int(y) for y in combined["year"]))
    return LoadResult(
        tidy=tidy,
        organisations=organisations,
        vintage=str(max(years)) if years else "",
        layout=f"ONS mid-year population estimates by age ({', '.join(map(str, years))})",
    )
