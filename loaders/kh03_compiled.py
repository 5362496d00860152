"""KH03 overnight beds from a third-party trust-by-quarter compilation (derived, not a publication).

``master-quarterly-trust.csv`` of LB1983/nhs-bed-occupancy-analysis (the panel behind "The 85%
Myth", The Bevan Briefing), compiled from NHS England's KH03 workbooks and other collections,
2018-19 Q1 to 2024-25 Q4 (``../shared/data/derived/SOURCES.md`` section 1). It fills the quarters
for which the published workbooks are not held (2022-23 Q3 onward).

Layout: CSV with a header row; one row per ``org_code`` x ``period`` (``2024-25 Q4``, a financial
quarter). Each period's first row is England, with ``org_code`` ``NAN`` and ``org_name``
``England``: stored as England (E92000001), as the published loader stores the workbook's England
row. Only these columns are read:

- ``kh03_avail_ga_avg_beds`` and ``kh03_occ_ga_avg_beds``: average daily general and acute beds
  available and occupied overnight. Checked equal to the published ``NHS Trust by Sector`` values
  (e.g. RWE 2022-23 Q2: 1657.84 and 1471.22);
- ``kh03_occ_ga_rate``: occupied / available as a fraction (0-1), blank where no beds were
  available; used only to check the two counts (the stored occupancy is computed from them, as for
  the published workbook).

Never read: ``kh03_avail_all_avg_beds``, ``kh03_occ_all_avg_beds`` and ``kh03_occ_all_rate`` (about
18-21 for RWE, so not total beds; their source is unclear), and the maternity, A&E, cancelled
operations and criteria-to-reside columns (no catalogue metric is fed from this file for them).

Metrics: ``beds_ga_available``, ``beds_ga_occupied`` and ``beds_ga_occupancy`` (numerator occupied,
denominator available, value 100 x occupied / available; not produced when no beds were
available), with ``period_start`` the first day of the quarter.

Standing: derived (``LoadResult.derived``). A published KH03 workbook for the same trust and
quarter always replaces these figures, and these never replace a published figure, whatever the
order of loading (``metrics.store.REVISION_RULE``). The source is recorded under the catalogue's
``kh03_compiled`` source, whose publisher and publication say it is a third-party compilation, so
every place that names a figure's source says so.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd

from loaders.base import MISSING_MARKERS, LoadError, LoadResult, Peek, number_text, read_csv_text, shown
from metrics.catalogue import Catalogue
from metrics.digest import sha256_file
from metrics.store import TIDY_COLUMNS

NAME = "kh03_compiled"
SOURCE_KEY = "kh03_compiled"
ENGLAND = "E92000001"
#: The England row's code in the compilation (pandas wrote a missing code as 'NAN').
ENGLAND_MARKER = "NAN"
#: Derived standing, below every published file (``REVISION_RULE`` compares the derived flag
#: first); the vintage only orders two compilations.
VINTAGE = "1"

AVAILABLE = "kh03_avail_ga_avg_beds"
OCCUPIED = "kh03_occ_ga_avg_beds"
RATE = "kh03_occ_ga_rate"
REQUIRED = ("org_code", "period", "org_name", AVAILABLE, OCCUPIED, RATE)
METRICS = ("beds_ga_available", "beds_ga_occupied", "beds_ga_occupancy")
_PERIOD = re.compile(r"^\s*(\d{4})-(\d{2})\s+Q([1-4])\s*$")
_CODE = re.compile(r"^[A-Z0-9]{3,9}$")
#: How far the compilation's own rate may be from occupied / available (both rounded in the file).
RATE_TOLERANCE = 0.001


def sniff(peek: Peek) -> bool:
    """A CSV whose header names ``org_code``, ``period`` and the KH03 G&A average-beds columns."""
    if peek.kind != "csv":
        return False
    cells = {c.strip().lower() for c in peek.header_cells}
    return {"org_code", "period", AVAILABLE, OCCUPIED} <= cells


def read(path: Path) -> pd.DataFrame:
    """The CSV as text cells; ``attrs``: file, digest."""
    path = Path(path)
    raw = read_csv_text(path)
    raw.columns = [str(c).strip().lower() for c in raw.columns]
    raw.attrs.update({"file": path.name, "digest": sha256_file(path)})
    return raw


def quarter_start(text: str) -> dt.date | None:
    """``2024-25 Q4`` -> 2025-01-01 (financial quarters: Q1 starts in April); None if not that form."""
    m = _PERIOD.match(str(text))
    if not m:
        return None
    first, second, quarter = int(m[1]), int(m[2]), int(m[3])
    if (first + 1) % 100 != second:
        return None
    month = 4 + 3 * (quarter - 1)
    return dt.date(first + 1 if month > 12 else first, (month - 1) % 12 + 1, 1)


def _numbers(raw: pd.DataFrame, column: str, file: str) -> np.ndarray:
    out = np.full(len(raw), np.nan)
    for i, cell in enumerate(raw[column].tolist()):
        text = str(cell).strip()
        if text in MISSING_MARKERS:
            continue
        try:
            out[i] = number_text(text)
        except ValueError:
            raise LoadError(  # noqa: B904 - the message says all there is
                f"'{shown(text)}' is not a number", file=file, row=i + 2, column=column
            )
        if not np.isfinite(out[i]) or out[i] < 0:
            raise LoadError(f"'{shown(text)}' is not a number of beds or a rate", file=file, row=i + 2, column=column)
    return out


def normalise(raw: pd.DataFrame, catalogue: Catalogue | None = None) -> LoadResult:
    """Tidy G&A bed rows (available, occupied, occupancy %) per trust, England and quarter.

    Parameters
    ----------
    raw : DataFrame
        The CSV as read by :func:`read` (text cells, lower-case column names).
    catalogue : Catalogue, optional
        Unused; part of the loader contract.

    Raises
    ------
    LoadError
        A missing column, a period not written like ``2024-25 Q4``, an organisation code that is not
        one, text in a bed column, occupied beds above available beds, a rate that disagrees with
        the two counts, or a trust and quarter given twice. The row is the file's line number.
    """
    file = raw.attrs.get("file", "KH03 compilation")
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise LoadError(f"no column {', '.join(repr(c) for c in missing)} (the KH03 compilation layout)", file=file)
    if raw.empty:
        raise LoadError("the file has no rows", file=file)
    rows = np.arange(len(raw)) + 2  # the header is line 1
    codes = raw["org_code"].astype(str).str.strip().str.upper().to_numpy()
    names = raw["org_name"].astype(str).str.strip().to_numpy()
    is_england = codes == ENGLAND_MARKER
    not_code = ~is_england & ~np.array([bool(_CODE.match(c)) for c in codes], dtype=bool)
    if not_code.any():
        i = int(np.flatnonzero(not_code)[0])
        raise LoadError(
            f"'{shown(codes[i])}' is not an organisation code", file=file, row=int(rows[i]), column="org_code"
        )
    bad_england = is_england & (np.char.lower(names.astype(str)) != "england")
    if bad_england.any():
        i = int(np.flatnonzero(bad_england)[0])
        raise LoadError(
            f"the row with org_code 'NAN' is named '{shown(names[i])}', expected 'England'",
            file=file, row=int(rows[i]), column="org_name",
        )  # fmt: skip
    periods = []
    for i, text in enumerate(raw["period"].tolist()):
        start = quarter_start(text)
        if start is None:
            raise LoadError(
                f"'{shown(text)}' is not a financial quarter like '2024-25 Q4'",
                file=file, row=int(rows[i]), column="period",
            )  # fmt: skip
        periods.append(start)
    available, occupied, rate = (_numbers(raw, c, file) for c in (AVAILABLE, OCCUPIED, RATE))
    over = np.nan_to_num(occupied, nan=-1) > np.nan_to_num(available, nan=np.inf) + 0.5
    if over.any():
        i = int(np.flatnonzero(over)[0])
        raise LoadError(
            f"occupied G&A beds ({occupied[i]:.1f}) exceed available beds ({available[i]:.1f}) for {codes[i]}",
            file=file, row=int(rows[i]), column=OCCUPIED,
        )  # fmt: skip
    with np.errstate(divide="ignore", invalid="ignore"):
        computed = np.where(available > 0, occupied / available, np.nan)
    # The rate is a fraction (0-1): a rate that is not occupied / available means the columns are
    # not what this loader takes them for (e.g. a percentage, or the 'all beds' columns).
    off = ~np.isnan(rate) & ~np.isnan(computed) & (np.abs(rate - computed) > RATE_TOLERANCE)
    if off.any():
        i = int(np.flatnonzero(off)[0])
        raise LoadError(
            f"the occupancy rate {rate[i]:g} is not occupied / available ({computed[i]:.4f}) for {codes[i]}; "
            "expected a fraction between 0 and 1",
            file=file, row=int(rows[i]), column=RATE,
        )  # fmt: skip
    org = np.where(is_england, ENGLAND, codes)
    key = pd.DataFrame({"org": org, "period": periods})
    dupes = key.duplicated()
    if dupes.any():
        i = int(np.flatnonzero(dupes.to_numpy())[0])
        raise LoadError(f"{org[i]} {raw['period'].iloc[i]} appears twice", file=file, row=int(rows[i]))

    nothing = np.full(len(org), np.nan)
    parts = []
    m_avail, m_occ, m_pct = METRICS
    for metric_id, num, den, value in (
        (m_avail, nothing, nothing, available),
        (m_occ, nothing, nothing, occupied),
        (m_pct, np.where(available > 0, occupied, np.nan), np.where(available > 0, available, np.nan), computed * 100),
    ):
        part = pd.DataFrame(
            {
                "metric_id": metric_id,
                "org_code": org,
                "period_start": periods,
                "period_type": "quarter",
                "numerator": num,
                "denominator": den,
                "value": value,
                "source_row": rows,
            }
        )
        parts.append(part[part["value"].notna()])
    tidy = pd.concat(parts, ignore_index=True).loc[:, [*TIDY_COLUMNS, "source_row"]]
    tidy = tidy.assign(source_sheet="", source_org_column="org_code")
    orgs = (
        pd.DataFrame(
            {
                "code": org,
                "name": np.where(is_england, "England", names),
                "kind": np.where(is_england, "country", "provider"),
            }
        )
        .drop_duplicates("code", keep="last")
        .reset_index(drop=True)
    )
    first, last = min(periods), max(periods)
    return LoadResult(
        tidy=tidy,
        organisations=orgs,
        vintage=VINTAGE,
        derived=True,
        source_key=SOURCE_KEY,
        layout=(
            f"KH03 overnight beds compiled by a third party (trust x quarter, {first.isoformat()} to "
            f"{last.isoformat()}; derived: a published KH03 workbook for the same trust and quarter wins)"
        ),
    )
