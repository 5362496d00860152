"""Whole-year summaries of the Acute Discharge SitRep compiled by a third party: recognised, not loaded.

``../shared/data/derived/discharge_delays_acute_sitrep_2025_26/`` (raahulalex/
nhs-discharge-delays-sitrep-analysis, ``../shared/data/derived/SOURCES.md`` section 2) holds four
CSVs computed from NHS England's 12 monthly files of 2025-26: provider and ICB summaries
(``avg_daily_nctr``, ``total_nctr``, ``total_discharged``...), the length-of-stay 7+ bed days
(``total_los7_bed_days``...) and a region/ICB/provider table without codes (``geography_level``).

Each is one figure per organisation for the whole year. The catalogue's discharge metrics are
monthly (``nctr_patients``, ``nctr_discharged``: a month's daily average), so no column is a
catalogue metric for any period the dashboard shows: the files are recognised (a folder holding
them loads without error, e.g. ``python -m loaders snapshot --from ../shared/data/derived``), said
to be derived, and not loaded, with a warning naming why.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from loaders.base import LoadResult, Peek, empty_tidy, read_csv_text
from metrics.catalogue import Catalogue

NAME = "discharge_annual"
SOURCE_KEY = "discharge_compiled"
#: Header cells that mark each of the four layouts (all must be present).
LAYOUTS = {
    "provider or ICB summary": {"region", "icb", "org_code", "avg_daily_nctr", "total_nctr"},
    "length of stay 7+ bed days": {"region", "icb", "org_code", "total_los7_bed_days"},
    "region, ICB and provider table": {"geography_level", "geography_name", "avg_daily_nctr", "total_nctr"},
}


def _layout(cells: set[str]) -> str | None:
    return next((name for name, needed in LAYOUTS.items() if needed <= cells), None)


def sniff(peek: Peek) -> bool:
    """A CSV whose header is one of the compiled whole-year discharge layouts."""
    return peek.kind == "csv" and _layout({c.strip().lower() for c in peek.header_cells}) is not None


def read(path: Path) -> pd.DataFrame:
    """The CSV as text cells; ``attrs['file']`` names it."""
    path = Path(path)
    raw = read_csv_text(path)
    raw.attrs["file"] = path.name
    return raw


def normalise(raw: pd.DataFrame, catalogue: Catalogue | None = None) -> LoadResult:
    """No rows: a warning that the whole-year figures are not a catalogue metric (see the module docstring)."""
    file = raw.attrs.get("file", "discharge summary")
    layout = _layout({str(c).strip().lower() for c in raw.columns}) or "summary"
    return LoadResult(
        tidy=empty_tidy(),
        warnings=[
            f"'{file}' is a third-party whole-year summary of the Acute Discharge SitRep ({layout}, "
            f"{len(raw)} rows); the dashboard's discharge measures are monthly, so it was recognised and not "
            "loaded: load NHS England's monthly files instead"
        ],
        derived=True,
        vintage="1",
        layout=f"Acute Discharge SitRep whole-year summary, derived ({layout}; skipped)",
    )
