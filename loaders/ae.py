"""NHS England A&E Attendances and Emergency Admissions (monthly, provider level): three layouts.

Layouts read (``LoadResult.layout`` says which one a file was):

* **Monthly provider CSV** (NHS England, 2020 onwards): header row first; ``Period`` like
  ``MSitAE-APRIL-2020``, ``Org Code``, ``Parent Org``, ``Org name`` then the measures. Two header
  eras: 16 columns (April-July 2020) and 22 columns (August 2020 on, adding the "Booked
  Appointments" attendances and over-4-hours columns). Older CSVs spell the measures
  ``Number of A&E attendances Type 1``, ``Number of attendances over 4hrs Type 1``... and give
  ``Number of patients spending >4|>12 hours from decision to admit to admission``: both spellings
  map to the same measures. A ``TOTAL`` row (any capitalisation, in ``Period`` or ``Org Code``)
  is the England total and is kept as England (E92000001). Empty trailing columns are dropped.
* **XLS "Provider Level Data" sheet** (the monthly workbook NHS England published to 2020): a
  ``Period:`` cell in the title block, then a header row ``Code, Region, Name``, attendances by
  type (Type 1 / Type 2 / Type 3 headers), ``Total attendances``, the same type headers repeated
  for attendances over 4 hours, ``Total Attendances > 4 hours``, the 4-hour percentages,
  emergency admissions by type, and ``Number of patients spending >4 hours|>12 hours from
  decision to admit to admission``. ``-`` means not applicable (missing, never zero).
* **NHSRdatasets ``ae_attendances``** (R data, April 2016 - March 2019): one row per ``period,
  org_code, type (1|2|other)`` with ``attendances, breaches (over 4 hours), admissions``. A
  third-party compilation of the official statistics (``derived``).

Measures produced per provider and month:

* ``ae_4hr_all`` / ``ae_4hr_type1``: numerator = attendances within 4 hours (attendances minus
  attendances over 4 hours), denominator = attendances, value = 100 x numerator / denominator.
  Not produced when there were no attendances (the share is undefined).
* ``ae_attendances`` (all types), ``ae_12hr_dta`` (waits over 12 hours from decision to admit),
  ``ae_emergency_admissions`` (emergency admissions via A&E, all department types): counts in
  ``value``.

Vintages (which publication of a month wins). NHS England replaces a month's CSV when it revises
the figures, and the file itself carries no publication date. The vintage is the file's standing:
``"0"`` for the NHSRdatasets compilation, ``"1"`` for a published file, ``"2"`` for a file whose
content digest is listed in ``KNOWN_REVISIONS`` (a revision identified by comparing publications).
Between two files of the same standing the store's rule decides (``metrics.store.REVISION_RULE``):
the later publication date when both are known (``python -m loaders ingest --published
YYYY-MM-DD``), else the later load. The vintage never contains the digest itself, so which of two
files wins never depends on their hashes.

Comparing the two public copies of October 2025 - January 2026 (``monthly_provider_csv`` and
``monthly_provider_csv_alt_vintage_2025_26``): the "alt" copies are the revised ones. October 2025
adds a provider missing from the other copy (NL7, Assura Vertis UCC, a late return) and corrects
UHS (RHM); November 2025 - January 2026 change a handful of providers (RTG, RMP, RTP) with the
England totals moved to match; the alt collection was taken later (it runs to March 2026) and its
April-September 2025 and February 2026 files are byte-identical to the other copy. Those four
files are listed in ``KNOWN_REVISIONS``, so either copy can be loaded first.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from loaders.base import (
    MISSING_MARKERS,
    LoadError,
    LoadResult,
    Peek,
    csv_error,
    decode_text,
    empty_tidy,
    number_text,
    read_sheet,
    refuse_cut_csv,
    shown,
)
from metrics.catalogue import Catalogue
from metrics.digest import sha256_hex
from metrics.periods import MONTH_NUMBERS
from metrics.store import TIDY_COLUMNS

NAME = "ae_monthly"
SOURCE_KEY = "ae"

ENGLAND = "E92000001"

#: SHA-256 digests of files established to be revisions of an earlier publication of the same month
#: (see the module docstring for the evidence). Value: a note for people reading the code.
KNOWN_REVISIONS: dict[str, str] = {
    "2016584bde94e1d3d9904fd9605f6947f72e242a4b0250be5b4dd7fc3f43d166": "October 2025, revised (adds NL7)",
    "09b0245e70c02594a412cca1ed28ad0cccb1a54701e2cb69e775663e548bcf24": "November 2025, revised (RTG)",
    "11076ca9f7e9a29cddf873773080b5edba6fc39cbbd8e2c345ad09e553c9e184": "December 2025, revised (RMP, RTG)",
    "b1707a9f1326407d4e2fa1ac1815751d87f04f22617d846706d4acf8b6a6a26a": "January 2026, revised (RTG, RTP)",
}

#: Canonical measure names. ``att`` attendances, ``o4`` attendances over 4 hours, ``b`` booked
#: appointments, ``t1/t2/oth`` department type, ``dta4`` waits of more than 4 hours (4-12 and 12+),
#: ``dta4_12`` waits of 4-12 hours, ``dta12`` waits of 12+ hours, ``ea`` emergency admissions via A&E.
ATTENDANCE_COLS = ("att_t1", "att_t2", "att_oth", "att_b_t1", "att_b_t2", "att_b_oth")
OVER4_COLS = ("o4_t1", "o4_t2", "o4_oth", "o4_b_t1", "o4_b_t2", "o4_b_oth")
ADMISSION_COLS = ("ea_t1", "ea_t2", "ea_oth")
MEASURES = ATTENDANCE_COLS + OVER4_COLS + ADMISSION_COLS + ("dta4_12", "dta12", "dta4", "ea_other")
REQUIRED_CSV = ("att_t1", "att_t2", "att_oth", "o4_t1", "o4_t2", "o4_oth", "dta12", "ea_t1", "ea_t2", "ea_oth")
BOOKED = ("att_b_t1", "att_b_t2", "att_b_oth", "o4_b_t1", "o4_b_t2", "o4_b_oth")

_TYPE = {"type 1": "t1", "type 2": "t2", "other department": "oth", "other a&e department": "oth"}


def _canon_header(text: object) -> str:
    """Lower case, single spaces, no leading 'Number of': the key the header spellings share."""
    s = re.sub(r"\s+", " ", str(text).replace("\ufeff", "")).strip().lower()
    return s.removeprefix("number of ").strip()


def _csv_column_map() -> dict[str, str]:
    mapping = {}
    for label, t in _TYPE.items():
        mapping[f"a&e attendances {label}"] = f"att_{t}"
        mapping[f"a&e attendances booked appointments {label}"] = f"att_b_{t}"
        mapping[f"attendances over 4hrs {label}"] = f"o4_{t}"
        mapping[f"attendances over 4hrs booked appointments {label}"] = f"o4_b_{t}"
        mapping[f"emergency admissions via a&e - {label}"] = f"ea_{t}"
    mapping.update(
        {
            # the "4-12 hs" typo is in the published header
            "patients who have waited 4-12 hs from dta to admission": "dta4_12",
            "patients who have waited 4-12 hrs from dta to admission": "dta4_12",
            "patients who have waited 12+ hrs from dta to admission": "dta12",
            "patients spending >4 hours from decision to admit to admission": "dta4",
            "patients spending >12 hours from decision to admit to admission": "dta12",
            "other emergency admissions": "ea_other",
        }
    )
    return mapping


CSV_COLUMNS = _csv_column_map()
#: How the current (22-column) CSV spells each measure, for messages.
PUBLISHED = {
    "period": "Period",
    "org_code": "Org Code",
    "att_t1": "A&E attendances Type 1",
    "att_t2": "A&E attendances Type 2",
    "att_oth": "A&E attendances Other A&E Department",
    "att_b_t1": "A&E attendances Booked Appointments Type 1",
    "att_b_t2": "A&E attendances Booked Appointments Type 2",
    "att_b_oth": "A&E attendances Booked Appointments Other Department",
    "o4_t1": "Attendances over 4hrs Type 1",
    "o4_t2": "Attendances over 4hrs Type 2",
    "o4_oth": "Attendances over 4hrs Other Department",
    "o4_b_t1": "Attendances over 4hrs Booked Appointments Type 1",
    "o4_b_t2": "Attendances over 4hrs Booked Appointments Type 2",
    "o4_b_oth": "Attendances over 4hrs Booked Appointments Other Department",
    "dta12": "Patients who have waited 12+ hrs from DTA to admission",
    "ea_t1": "Emergency admissions via A&E - Type 1",
    "ea_t2": "Emergency admissions via A&E - Type 2",
    "ea_oth": "Emergency admissions via A&E - Other A&E department",
}
_ID_COLUMNS = {"period": "period", "org code": "org_code", "parent org": "parent_org", "org name": "org_name"}

_MONTHS = {name.upper(): number for name, number in MONTH_NUMBERS.items()}
_PERIOD = re.compile(r"^\s*MSitAE-([A-Za-z]+)-(\d{4})\s*$", re.IGNORECASE)
_MONTH_YEAR = re.compile(r"^\s*([A-Za-z]+)\.?[\s-]+(\d{4})\s*$")


# ---------------------------------------------------------------------------- detection and IO
def _is_csv_header(first_line: str) -> bool:
    cells = {_canon_header(c) for c in first_line.split(",")}
    return {"period", "org code"} <= cells and any(c.startswith("a&e attendances") for c in cells)


def sniff(peek: Peek) -> bool:
    """A&E monthly CSV (by its header), the Provider Level Data workbook, or the R table."""
    if peek.kind == "csv":
        return _is_csv_header(peek.first_line)
    if peek.kind in ("xlsx", "xls"):
        return any(s.strip().lower() == "provider level data" for s in peek.sheet_names)
    if peek.kind == "rda":
        try:
            import pyreadr

            return "ae_attendances" in {o.get("object_name") for o in pyreadr.list_objects(str(peek.path))}
        except Exception:  # noqa: BLE001 - not an R file pyreadr can read: not ours
            return False
    return False


def read(path: Path) -> pd.DataFrame:
    """The file as found: CSV cells as strings, the Provider Level Data sheet without a header, or
    the R table. ``attrs``: ``file`` (name), ``kind`` (csv | xls | rda), ``digest`` (SHA-256)."""
    path = Path(path)
    name = path.name
    data = path.read_bytes()
    digest = sha256_hex(data)
    kind = Peek(path).kind
    if not data.strip():
        raise LoadError("the file is empty", file=name)
    if kind == "csv":
        try:
            text = decode_text(data)
            refuse_cut_csv(text, name)
            raw = pd.read_csv(io.StringIO(text), dtype=object, keep_default_na=False)
        except pd.errors.ParserError as exc:
            raise csv_error(exc, name) from None
        layout_kind = "csv"
    elif kind in ("xlsx", "xls"):
        sheet = next(
            (s for s in Peek(path).sheet_names if s.strip().lower() == "provider level data"), "Provider Level Data"
        )
        raw = read_sheet(path, sheet, header=None)
        raw.attrs["sheet"] = sheet
        layout_kind = "xls"
    elif kind == "rda":
        import pyreadr

        try:
            raw = pyreadr.read_r(str(path))["ae_attendances"]
        except Exception as exc:  # noqa: BLE001 - pyreadr raises its own error types
            raise LoadError(f"cannot read the R data file ({exc})", file=name) from None
        layout_kind = "rda"
    else:
        raise LoadError("not an A&E CSV, workbook or R data file", file=name)
    raw.attrs.update({"file": name, "kind": layout_kind, "digest": digest})
    return raw


# ---------------------------------------------------------------------------- shared maths
def _vintage(rank: int, digest: str) -> str:
    """The file's standing: a known revision (2) above a published file (1) above the compilation (0)."""
    if digest in KNOWN_REVISIONS:
        rank = max(rank, 2)
    return str(rank)


def _month(year: int, month: int):
    import datetime as dt

    return dt.date(year, month, 1)


def _parse_csv_period(text: str, *, file: str, row: int, org: str):
    m = _PERIOD.match(str(text))
    if not m or m[1].upper() not in _MONTHS:
        raise LoadError(
            f"A&E CSV '{file}', row {row} ({org}): 'Period' is '{text}', expected a month like 'MSitAE-APRIL-2020'",
            file=file,
            row=row,
            column="Period",
        )
    try:
        return _month(int(m[2]), _MONTHS[m[1].upper()])
    except ValueError:
        raise LoadError(
            f"'Period' is '{text}': the year is out of range", file=file, row=row, column="Period"
        ) from None


class _CellError(LoadError):
    """A LoadError whose text reads as the user sees the row: file, row, organisation, column."""

    def __init__(self, text: str, *, file: str, row: int, column: str = "", sheet: str | None = None) -> None:
        super().__init__(text, file=file, row=row, column=column, sheet=sheet)
        self.args = (text,)

    def __str__(self) -> str:
        return self.args[0]


def _numbers(frame: pd.DataFrame, columns: dict[str, str], *, describe) -> dict[str, np.ndarray]:
    """Convert measure columns (canonical name -> published header) to floats, vectorised.

    Missing markers ('-', blank, '*', 'N/A'...) become NaN; anything else that is not a whole,
    non-negative number raises through ``describe(row_position, published_header, cell)``.
    The whole block is converted in one call; only the few cells that are not plain numbers
    (markers, '1,234', text) are looked at one by one.
    """
    names = list(columns)
    block = frame[names].to_numpy(dtype=object)
    shape = block.shape
    flat = block.ravel()
    nums = pd.to_numeric(pd.Series(flat, dtype=object), errors="coerce").to_numpy(dtype="float64")
    bad = np.zeros(flat.shape, dtype=bool)
    suppressed = np.zeros(flat.shape, dtype=bool)
    for k in np.isnan(nums).nonzero()[0]:
        cell = flat[k]
        if cell is None or (isinstance(cell, float) and np.isnan(cell)):
            continue
        text = str(cell).strip()
        if text in SUPPRESSED:
            suppressed[k] = True
            continue
        if text in MISSING_MARKERS or text.lower() in ("nan", "none"):
            continue
        try:
            nums[k] = number_text(text)  # '1,234' as a thousands separator only: '9,5' is refused
        except ValueError:
            bad[k] = True
    with np.errstate(invalid="ignore"):
        bad |= ~np.isnan(nums) & ((nums % 1 != 0) | (nums < 0))
    if bad.any():
        k = int(bad.nonzero()[0][0])
        i, j = divmod(k, shape[1])
        raise describe(i, columns[names[j]], block[i, j])
    grid = nums.reshape(shape)
    hidden = suppressed.reshape(shape)
    out = {name: grid[:, j] for j, name in enumerate(names)}
    out[_SUPPRESSED] = {name: hidden[:, j] for j, name in enumerate(names) if hidden[:, j].any()}
    return out


#: Markers of a suppressed cell (a figure withheld, not a zero and not "not applicable"): a sum
#: with one of them among its parts is unknown, so the figure derived from it is missing.
SUPPRESSED = frozenset({"*", "[c]", "c"})
#: The key under which ``_numbers`` passes the suppressed cells of each measure to ``_tidy``.
_SUPPRESSED = "_suppressed"


def _check_total(numbers: dict, is_total: np.ndarray, org: np.ndarray, describe_row) -> None:
    """The file's TOTAL row must equal the sum of its providers, measure by measure.

    NHS England's CSVs end with a TOTAL row that is exactly that sum (every public file checked);
    a file cut short, or with providers added or changed, no longer adds up.
    """
    t = int(is_total.nonzero()[0][0])
    providers = ~is_total
    for name, values in numbers.items():
        if name == _SUPPRESSED or name in numbers[_SUPPRESSED]:
            continue
        total, parts = values[t], values[providers]
        if np.isnan(total) or np.isnan(parts).all():
            continue
        added = float(np.nansum(parts))
        if abs(added - total) > 0.5:
            raise describe_row(
                t,
                f"the TOTAL row gives {total:,.0f} for '{PUBLISHED.get(name, name)}' but the "
                f"{int(providers.sum()):,} provider rows add up to {added:,.0f} (a cut or edited file?)",
            )


def _sum(columns: dict[str, np.ndarray], names, n: int) -> np.ndarray:
    """Row sums over the named measures present; NaN where every one of them is missing, or where
    one of them is suppressed (``*``: the sum is unknown, never the sum of the others)."""
    present = [columns[c] for c in names if c in columns]
    if not present:
        return np.full(n, np.nan)
    stack = np.column_stack(present)
    out = np.nansum(stack, axis=1)
    out[np.isnan(stack).all(axis=1)] = np.nan
    for c in names:
        hidden = columns.get(_SUPPRESSED, {}).get(c)
        if hidden is not None:
            out[hidden] = np.nan
    return out


def _tidy(measures: dict[str, np.ndarray], org_codes: np.ndarray, period, *, describe_row) -> pd.DataFrame:
    """Tidy rows from canonical measures (MEASURES names -> float arrays, one entry per organisation).

    Booked appointments are added to the unbooked attendances, as NHS England's headline figures do:
    since the 2020 change to the monthly A&E collection (booked appointments via NHS 111, "Think
    111 First"), the published "Total attendances" and the "Percentage in 4 hours or less" in the
    A&E Attendances and Emergency Admissions statistical press notices count booked and unbooked
    attendances together (the collection's guidance: booked appointments are attendances and are
    included in the 4-hour standard). The 16-column files (April-July 2020) have no booked columns.

    ``period`` is one date for every row or an array of dates. Plain numpy: this runs once per
    file and pandas' per-operation overhead would dominate for ~200 rows.
    """
    n = len(org_codes)
    att_t1 = _sum(measures, ("att_t1", "att_b_t1"), n)
    att_all = _sum(measures, ATTENDANCE_COLS, n)
    o4_t1 = _sum(measures, ("o4_t1", "o4_b_t1"), n)
    o4_all = _sum(measures, OVER4_COLS, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        for att, o4, label in ((att_t1, o4_t1, "type 1"), (att_all, o4_all, "all types")):
            over = o4 > att  # False where either is NaN
            if over.any():
                i = int(over.nonzero()[0][0])
                raise describe_row(
                    i, f"attendances over 4 hours ({o4[i]:.0f}, {label}) exceed attendances ({att[i]:.0f})"
                )
        dta12 = measures.get("dta12", np.full(n, np.nan))
        # A 12-hour wait from decision to admit is an attendance: more of them than attendances
        # is a damaged or invented row (NaN compares False, so missing figures pass).
        over = np.asarray(dta12, dtype="float64") > att_all
        if over.any():
            i = int(over.nonzero()[0][0])
            raise describe_row(
                i, f"12-hour waits from decision to admit ({dta12[i]:,.0f}) exceed attendances ({att_all[i]:,.0f})"
            )
        admissions = _sum(measures, ADMISSION_COLS, n)
        nothing = np.full(n, np.nan)
        blocks = []  # (metric_id, numerator, denominator, value)
        for metric_id, att, o4 in (("ae_4hr_all", att_all, o4_all), ("ae_4hr_type1", att_t1, o4_t1)):
            ok = att > 0  # no attendances: the share is undefined, not 0% or 100%
            within = np.where(ok, att - o4, np.nan)
            blocks.append((metric_id, within, np.where(ok, att, np.nan), within / att * 100))
        blocks += [
            ("ae_attendances", nothing, nothing, att_all),
            ("ae_12hr_dta", nothing, nothing, np.asarray(dta12, dtype="float64")),
            ("ae_emergency_admissions", nothing, nothing, admissions),
        ]
    value = np.concatenate([b[3] for b in blocks])
    keep = ~np.isnan(value)
    periods = np.asarray(period, dtype=object) if not np.isscalar(period) and not hasattr(period, "year") else None
    tidy = pd.DataFrame(
        {
            "metric_id": np.repeat([b[0] for b in blocks], n)[keep],
            "org_code": np.tile(np.asarray(org_codes, dtype=object), len(blocks))[keep],
            "period_start": np.tile(periods, len(blocks))[keep] if periods is not None else period,
            "period_type": "month",
            "numerator": np.concatenate([b[1] for b in blocks])[keep],
            "denominator": np.concatenate([b[2] for b in blocks])[keep],
            "value": value[keep],
        }
    )
    return tidy.loc[:, TIDY_COLUMNS] if len(tidy) else empty_tidy()


def _organisations(codes, names) -> pd.DataFrame:
    seen: dict[str, tuple[str, str]] = {}
    for code, name in zip(codes, names, strict=True):
        if code not in seen:
            seen[code] = ("England", "country") if code == ENGLAND else (str(name), "provider")
    return pd.DataFrame(
        {"code": list(seen), "name": [v[0] for v in seen.values()], "kind": [v[1] for v in seen.values()]}
    )


# ---------------------------------------------------------------------------- CSV
def _normalise_csv(raw: pd.DataFrame) -> LoadResult:
    file = raw.attrs.get("file", "A&E CSV")
    frame = raw.copy()
    keep, rename, unknown = [], {}, []
    for col in frame.columns:
        key = _canon_header(col)
        target = _ID_COLUMNS.get(key) or CSV_COLUMNS.get(key)
        if target:
            if target in rename.values():
                raise LoadError(f"the column '{col}' appears twice", file=file, row=1, column=str(col))
            keep.append(col)
            rename[col] = target
        elif frame[col].astype(str).str.strip().eq("").all():
            continue  # empty trailing columns (e.g. Monthly-AE-September-2024.csv's ",,,,,,a")
        else:
            unknown.append(str(col))
    frame = frame[keep].rename(columns=rename)
    missing = [c for c in ("period", "org_code") + REQUIRED_CSV if c not in frame.columns]
    booked = [c for c in BOOKED if c in frame.columns]
    if booked and len(booked) != len(BOOKED):
        missing += [c for c in BOOKED if c not in frame.columns]
    if missing or unknown:
        parts = []
        if missing:
            parts.append("it has no " + ", ".join(f"'{PUBLISHED[c]}'" for c in missing) + " column")
        if unknown:
            parts.append("unexpected column(s) " + ", ".join(f"'{c}'" for c in unknown))
        raise LoadError(
            "the header is not an A&E monthly provider CSV header: "
            + "; ".join(parts)
            + " (expected 'Period, Org Code, Parent Org, Org name' then the 16- or 22-column measures)",
            file=file,
            row=1,
        )
    # Row bookkeeping in plain numpy: ~200 rows, where pandas' per-operation cost would dominate.
    code = np.array([str(c).strip() for c in frame["org_code"].tolist()], dtype=object)
    period_text = np.array([str(p).strip() for p in frame["period"].tolist()], dtype=object)
    names = frame["org_name"].tolist() if "org_name" in frame.columns else code.tolist()
    names = np.array([str(n).strip() for n in names], dtype=object)
    rows = np.arange(len(frame)) + 2  # header = row 1, as in a spreadsheet
    is_total = np.array(
        [c.upper() == "TOTAL" or p.upper() == "TOTAL" for c, p in zip(code, period_text, strict=True)], dtype=bool
    )
    keep_rows = ~((code == "") & (period_text == ""))
    if not keep_rows.all():
        frame = frame[keep_rows]
        code, period_text, names, rows, is_total = (a[keep_rows] for a in (code, period_text, names, rows, is_total))
    provider = ~is_total
    if not provider.any():
        raise LoadError("the file has no provider rows (only a header or a total)", file=file)
    if (code[provider] == "").any():
        i = int(((code == "") & provider).nonzero()[0][0])
        raise LoadError("the row has no 'Org Code'", file=file, row=int(rows[i]), column="Org Code")
    first = int(provider.nonzero()[0][0])
    mixed = provider & (period_text != period_text[first])
    if mixed.any():
        i = int(mixed.nonzero()[0][0])
        if "\n" in period_text[i] or "\n" in period_text[first]:
            raise LoadError(
                "a quotation mark is not closed, so the rest of the file runs into one cell "
                "(check the quotes in this row)",
                file=file,
                row=int(rows[first if "\n" in period_text[first] else i]),
                column="Period",
            )
        raise LoadError(
            f"the file mixes months: '{shown(period_text[first])}' and '{shown(period_text[i])}' "
            "(one file is one month)",
            file=file,
            row=int(rows[i]),
            column="Period",
        )
    period = _parse_csv_period(period_text[first], file=file, row=int(rows[first]), org=code[first])
    if is_total.sum() > 1:
        raise LoadError("the file has more than one TOTAL row", file=file, row=int(rows[is_total.nonzero()[0][1]]))
    org = np.where(is_total, ENGLAND, code)
    headers = {v: k for k, v in rename.items()}
    present = [c for c in MEASURES if c in frame.columns]

    def describe(i, header, cell):
        return _CellError(
            f"A&E CSV '{file}', row {rows[i]} ({org[i]}): '{header}' is '{cell}', expected a whole number",
            file=file,
            row=int(rows[i]),
            column=str(header),
        )

    def describe_row(i, text):
        return _CellError(f"A&E CSV '{file}', row {rows[i]} ({org[i]}): {text}", file=file, row=int(rows[i]), column="")

    numbers = _numbers(frame, {c: headers[c] for c in present}, describe=describe)
    tidy = _tidy(numbers, org, period, describe_row=describe_row)
    warnings = []
    if is_total.any():
        _check_total(numbers, is_total, org, describe_row)
    else:
        warnings.append("the file has no TOTAL row, so it could not be checked for missing providers")
    tidy["source_row"] = tidy["org_code"].map(dict(zip(org, rows, strict=True)))  # named in messages
    tidy["source_org_column"] = "Org Code"
    ncols = len([c for c in raw.columns if _canon_header(c) in _ID_COLUMNS or _canon_header(c) in CSV_COLUMNS])
    spelling = (
        ", older 'Number of ...' headings" if any(str(c).lower().startswith("number of") for c in raw.columns) else ""
    )
    return LoadResult(
        tidy=tidy,
        organisations=_organisations(org, names),
        vintage=_vintage(1, raw.attrs.get("digest", "")),
        layout=f"A&E monthly provider CSV ({ncols} columns{spelling})",
        warnings=warnings,
    )


# ---------------------------------------------------------------------------- XLS Provider Level Data
def _xls_header_row(raw: pd.DataFrame) -> int | None:
    first = raw.iloc[:, :4].astype(str).apply(lambda s: s.str.strip().str.lower())
    hits = first.eq("code").any(axis=1) & first.eq("name").any(axis=1)
    rows = hits.to_numpy().nonzero()[0]
    return int(rows[0]) if len(rows) else None


def _xls_period(raw: pd.DataFrame, file: str, sheet: str, header: int):
    for r in range(header):
        cells = [c for c in raw.iloc[r].tolist() if isinstance(c, str) or not pd.isna(c)]
        for j, cell in enumerate(cells):
            if isinstance(cell, str) and cell.strip().lower().rstrip(":") == "period" and j + 1 < len(cells):
                value = cells[j + 1]
                if hasattr(value, "year") and hasattr(value, "month"):
                    return _month(value.year, value.month)
                m = _MONTH_YEAR.match(str(value))
                months = {k[:3]: v for k, v in _MONTHS.items()}
                if m and m[1][:3].upper() in months:
                    return _month(int(m[2]), months[m[1][:3].upper()])
                raise LoadError(
                    f"the 'Period:' cell is '{value}', expected a month like 'June 2019'",
                    file=file,
                    sheet=sheet,
                    row=r + 1,
                )
    raise LoadError("no 'Period:' cell in the title rows", file=file, sheet=sheet)


def _xls_columns(header: list[str], file: str, sheet: str, row: int) -> dict[str, int]:
    """Map the Provider Level Data header to canonical measures by position and text.

    The type headers appear twice: the first block is attendances, the second (after
    'Total attendances') attendances over 4 hours.
    """
    cols: dict[str, int] = {}
    block = "att"
    for j, h in enumerate(header):
        k = _canon_header(h)
        if k == "code":
            cols.setdefault("org_code", j)
        elif k == "name":
            cols.setdefault("org_name", j)
        elif k == "total attendances":
            block = "o4"
        elif k.startswith("total attendances >") or k.startswith("percentage"):
            block = "done"
        elif k.startswith("type 1 departments") and block in ("att", "o4"):
            cols.setdefault(f"{block}_t1", j)
        elif k.startswith("type 2 departments") and block in ("att", "o4"):
            cols.setdefault(f"{block}_t2", j)
        elif k.startswith("type 3 departments") and block in ("att", "o4"):
            cols.setdefault(f"{block}_oth", j)
        elif k.startswith("emergency admissions via type 1"):
            cols["ea_t1"] = j
        elif k.startswith("emergency admissions via type 2"):
            cols["ea_t2"] = j
        elif k.startswith("emergency admissions via type 3"):
            cols["ea_oth"] = j
        elif k.startswith("patients spending >12 hours"):
            cols["dta12"] = j
        elif k.startswith("patients spending >4 hours"):
            cols["dta4"] = j
    needed = ["org_code", "org_name", "att_t1", "att_t2", "att_oth", "o4_t1", "o4_t2", "o4_oth", "ea_t1", "dta12"]
    missing = [c for c in needed if c not in cols]
    if missing:
        raise LoadError(
            f"the Provider Level Data header lacks {missing}; expected 'Code, Region, Name', attendances by type, "
            "'Total attendances', the type headers again for over 4 hours, emergency admissions by type and "
            "'Number of patients spending >12 hours from decision to admit to admission'",
            file=file,
            sheet=sheet,
            row=row,
        )
    return cols


def _normalise_xls(raw: pd.DataFrame) -> LoadResult:
    file = raw.attrs.get("file", "A&E workbook")
    sheet = raw.attrs.get("sheet", "Provider Level Data")
    header = _xls_header_row(raw)
    if header is None:
        raise LoadError("no header row with 'Code' and 'Name' columns", file=file, sheet=sheet)
    period = _xls_period(raw, file, sheet, header)
    cols = _xls_columns(raw.iloc[header].tolist(), file, sheet, header + 1)
    body = raw.iloc[header + 1 :]
    frame = pd.DataFrame({c: body.iloc[:, j] for c, j in cols.items()}, index=body.index)
    code = frame["org_code"].astype(str).str.strip().where(frame["org_code"].notna(), "")
    name = frame["org_name"].astype(str).str.strip().where(frame["org_name"].notna(), "")
    is_england = name.str.lower().isin({"england", "total"}) & code.isin({"", "-", "nan"})
    keep = is_england | ~code.isin({"", "-", "nan"})
    frame, code, name, is_england = frame[keep], code[keep], name[keep], is_england[keep]
    if (~is_england).sum() == 0:
        raise LoadError("the sheet has no provider rows", file=file, sheet=sheet)
    org = code.where(~is_england, ENGLAND).to_numpy(dtype=object)
    rows = frame.index.to_numpy() + 1  # the spreadsheet row (read without a header)
    headers = raw.iloc[header].tolist()
    measure_cols = {c: str(headers[j]).strip() for c, j in cols.items() if c not in ("org_code", "org_name")}
    where = f"A&E workbook '{file}', sheet '{sheet}'"

    def describe(i, h, cell):
        return _CellError(
            f"{where}, row {rows[i]} ({org[i]}): '{h}' is '{cell}', expected a whole number",
            file=file,
            sheet=sheet,
            row=int(rows[i]),
            column=h,
        )

    def describe_row(i, text):
        return _CellError(f"{where}, row {rows[i]} ({org[i]}): {text}", file=file, sheet=sheet, row=int(rows[i]))

    numbers = _numbers(frame, measure_cols, describe=describe)
    return LoadResult(
        tidy=_tidy(numbers, org, period, describe_row=describe_row),
        organisations=_organisations(org, name.to_numpy(dtype=object)),
        vintage=_vintage(1, raw.attrs.get("digest", "")),
        layout="A&E monthly workbook (Provider Level Data sheet)",
    )


# ---------------------------------------------------------------------------- NHSRdatasets table
def _normalise_rda(raw: pd.DataFrame) -> LoadResult:
    file = raw.attrs.get("file", "ae_attendances.rda")
    needed = {"period", "org_code", "type", "attendances", "breaches", "admissions"}
    if not needed <= set(raw.columns):
        raise LoadError(f"the ae_attendances table lacks {sorted(needed - set(raw.columns))}", file=file)
    frame = raw.loc[:, sorted(needed)].copy()
    frame["org_code"] = frame["org_code"].astype(str).str.strip()
    frame["type"] = frame["type"].astype(str).str.strip().map({"1": "t1", "2": "t2", "other": "oth"})
    if frame["type"].isna().any():
        i = int(frame["type"].isna().to_numpy().nonzero()[0][0])
        raise LoadError(f"type '{raw['type'].iloc[i]}' is not 1, 2 or other", file=file, row=i + 1, column="type")
    frame["period_start"] = pd.to_datetime(frame["period"]).dt.date
    wide = frame.pivot_table(
        index=["period_start", "org_code"],
        columns="type",
        values=["attendances", "breaches", "admissions"],
        aggfunc="sum",
        min_count=1,
        observed=True,
    )
    prefix = {"attendances": "att", "breaches": "o4", "admissions": "ea"}
    wide.columns = [f"{prefix[v]}_{t}" for v, t in wide.columns]
    wide = wide.reset_index()
    for c in ("att_t1", "att_t2", "att_oth", "o4_t1", "o4_t2", "o4_oth", "ea_t1", "ea_t2", "ea_oth"):
        if c not in wide.columns:
            wide[c] = np.nan
    measures = {c: wide[c].to_numpy(dtype="float64") for c in wide.columns if c in MEASURES}
    # no 12-hour decision-to-admit waits in this table: that metric is simply not produced

    def describe_row(i, text):
        r = wide.iloc[i]
        return LoadError(f"{r.org_code} {r.period_start}: {text}", file=file)

    return LoadResult(
        tidy=_tidy(
            measures,
            wide["org_code"].to_numpy(dtype=object),
            wide["period_start"].to_numpy(dtype=object),
            describe_row=describe_row,
        ),
        organisations=_organisations(wide["org_code"], wide["org_code"]),
        vintage=_vintage(0, raw.attrs.get("digest", "")),
        derived=True,
        publication="A&E Attendances and Emergency Admissions, compiled as NHSRdatasets ae_attendances",
        layout="NHSRdatasets ae_attendances table (R data)",
    )


def normalise(raw: pd.DataFrame, catalogue: Catalogue | None = None) -> LoadResult:
    """Tidy A&E rows from whichever layout :func:`read` found (``raw.attrs['kind']``).

    Parameters
    ----------
    raw : DataFrame
        As returned by :func:`read`; ``attrs['kind']`` is ``csv``, ``xls`` or ``rda``
        (``csv`` when absent).
    catalogue : Catalogue, optional
        Unused; part of the loader contract.

    Returns
    -------
    LoadResult
        Five metrics per provider and month; the TOTAL row as England (E92000001).

    Raises
    ------
    LoadError
        Wrong columns, text in a numeric column, over-4-hour counts above attendances, no
        provider rows, a period that cannot be read.
    """
    kind = raw.attrs.get("kind", "csv")
    if kind == "xls":
        return _normalise_xls(raw)
    if kind == "rda":
        return _normalise_rda(raw)
    return _normalise_csv(raw)
