"""Home First: 2-hour urgent community response (NHS England workbook) and the local Home First template.

**(a) NHS England "2-hour Urgent Community Response Performance Metrics" workbook** (experimental
statistics from the Community Services Data Set, monthly from 2022). One sheet per indicator:
``Table 1`` (% of 2-hour referrals that met the 2-hour standard), ``Table 2`` (number of 2-hour
referrals), ``Table 3`` (number of contacts; not used). Each sheet has about five title rows, then
a header ``ODS Code, Organisation Name, <organisation type>, <one column per month>`` (the latest
month is provisional), organisations in rows (England, regions, ICBs, providers). Wide to long:
``ucr_2hr`` per organisation and month, value = the published Table 1 percentage (a sheet whose
figures are all between 0 and 1 is read as fractions and scaled to 0-100), denominator = the
Table 2 referrals, numerator = round(percentage x referrals / 100) — derived, since NHS England
publishes the share and the count, not the number that met the standard. Without a Table 2 count
the percentage is stored alone.

**(b) The local Home First template** (``data/templates/``; CSV or XLSX, header in row 1), for
figures no national file gives (2-day reablement starts) or for local, more timely extracts. Two
shapes, told apart by their columns:

* *monthly counts*: ``period, org_code`` and either or both pairs ``referrals,
  responded_within_2_hours`` (urgent community response -> ``ucr_2hr``) and
  ``reablement_referrals, started_within_2_days`` (-> ``reablement_2day``). ``period`` is a month
  (``2024-01``, ``January 2024`` or ``2024-01-01``). A blank pair on a row means no figure.
* *one row per referral*: ``referral_id, org_code, service, referred_at, first_contact_at`` with
  ``service`` ``ucr`` or ``reablement`` and ISO timestamps (``2024-01-31 14:05``). The measures are
  computed per organisation and month of referral:

  - 2-hour response: met when ``first_contact_at - referred_at`` is at most 120 minutes
    (inclusive: a contact at exactly 2 hours counts);
  - 2-day start: met when the first contact falls on the day of referral or one of the next two
    calendar days (referred on Monday at any time -> met by the end of Wednesday); the planning
    expectation is in days, so the clock time of the referral does not matter;
  - a referral with no first contact yet counts in the denominator and not in the numerator;
    a contact before the referral is an error.

Organisation codes in the template must be in the catalogue (or already in the database); in the
national workbook every ODS code is kept.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd

from loaders.base import MISSING_MARKERS, LoadError, LoadResult, Peek, empty_tidy, read_csv_text, read_sheet
from metrics.catalogue import Catalogue
from metrics.digest import sha256_file
from metrics.periods import PeriodError, parse_period
from metrics.store import TIDY_COLUMNS

NAME = "home_first"
SOURCE_KEY = "home_first_local"
USES_KNOWN_ORGS = True

UCR_SHEETS = ("Table 1", "Table 2")
MONTHLY_UCR = ("referrals", "responded_within_2_hours")
MONTHLY_REABLEMENT = ("reablement_referrals", "started_within_2_days")
PER_REFERRAL = ("referral_id", "org_code", "service", "referred_at", "first_contact_at")
TWO_HOURS = pd.Timedelta(minutes=120)
TWO_DAYS = 2

_KIND = {"england": "country", "country": "country", "region": "region", "icb": "icb", "provider": "provider"}
_MONTH_HEADER = re.compile(r"^([A-Za-z]{3,9})[\s\-']+(\d{2}|\d{4})$")
_MONTHS = {m.lower(): i for i, m in enumerate(
    ["", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]) if m}  # fmt: skip


# ---------------------------------------------------------------------------- detection and IO
def _header(columns) -> list[str]:
    return [str(c).strip().lower() for c in columns]


def _template_shape(columns: list[str]) -> str | None:
    cols = set(columns)
    if set(PER_REFERRAL) <= cols:
        return "per_referral"
    if {"period", "org_code"} <= cols and (set(MONTHLY_UCR) <= cols or set(MONTHLY_REABLEMENT) <= cols):
        return "monthly"
    return None


def _ucr_header_row(frame: pd.DataFrame) -> int | None:
    first = frame.iloc[:, :2].astype(str).apply(lambda s: s.str.strip().str.lower())
    hits = first.iloc[:, 0].eq("ods code") & first.iloc[:, 1].str.startswith("organisation name")
    rows = hits.to_numpy().nonzero()[0]
    return int(rows[0]) if len(rows) else None


def sniff(peek: Peek) -> bool:
    """The UCR workbook (Table 1/2 with an ``ODS Code, Organisation Name`` header) or the template."""
    if peek.kind == "csv":
        return _template_shape(_header(peek.first_line.split(","))) is not None
    if peek.kind != "xlsx":
        return False
    names = {s.strip().lower(): s for s in peek.sheet_names}
    try:
        if all(s.lower() in names for s in UCR_SHEETS):
            top = read_sheet(peek.path, names["table 1"], header=None, nrows=15)
            return top.shape[1] >= 4 and _ucr_header_row(top) is not None
        first = read_sheet(peek.path, 0, header=None, nrows=1)
    except LoadError:
        return False
    return bool(len(first)) and _template_shape(_header(first.iloc[0].tolist())) is not None


def read(path: Path) -> dict[str, pd.DataFrame] | pd.DataFrame:
    """The UCR workbook as ``{'Table 1': frame, 'Table 2': frame}`` (no header), or the template
    as a string frame. ``attrs['file']`` (and ``digest``) on every frame."""
    path = Path(path)
    peek = Peek(path)
    digest = sha256_file(path)
    if peek.kind == "xlsx":
        names = {s.strip().lower(): s for s in peek.sheet_names}
        if all(s.lower() in names for s in UCR_SHEETS):
            out = {}
            for s in UCR_SHEETS:
                frame = read_sheet(path, names[s.lower()], header=None)
                frame.attrs.update({"file": path.name, "sheet": names[s.lower()], "digest": digest})
                out[s] = frame
            return out
        raw = read_sheet(path, 0, header=0, dtype=str).fillna("")
    else:
        raw = read_csv_text(path)
    raw.columns = _header(raw.columns)
    raw.attrs.update({"file": path.name, "digest": digest})
    return raw


# ---------------------------------------------------------------------------- (a) the UCR workbook
def _month_of_header(cell) -> dt.date | None:
    """A month column header: a date cell, or 'Apr-23', 'April 2023', 'Dec-23 (provisional)'."""
    if isinstance(cell, (dt.datetime, pd.Timestamp)):
        return dt.date(cell.year, cell.month, 1)
    if isinstance(cell, dt.date):
        return dt.date(cell.year, cell.month, 1)
    text = re.sub(r"\(.*?\)|\bprovisional\b|\*", "", str(cell), flags=re.IGNORECASE).strip()
    m = _MONTH_HEADER.match(text)
    if not m or m[1][:3].lower() not in _MONTHS:
        try:
            return parse_period(text, "month")
        except PeriodError:
            return None
    year = int(m[2]) + (2000 if len(m[2]) == 2 else 0)
    try:
        return dt.date(year, _MONTHS[m[1][:3].lower()], 1)
    except ValueError:  # "Jan-0000": no calendar month
        return None


def _ucr_long(frame: pd.DataFrame, value_name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One UCR table, wide -> long: ``org_code, period_start, <value_name>, row``; and the organisations."""
    file, sheet = frame.attrs.get("file", "UCR workbook"), frame.attrs.get("sheet", "")
    header = _ucr_header_row(frame)
    if header is None:
        raise LoadError("no header row starting 'ODS Code, Organisation Name'", file=file, sheet=sheet)
    heads = frame.iloc[header].tolist()
    months = {j: _month_of_header(h) for j, h in enumerate(heads) if j >= 3 and not pd.isna(h)}
    bad = [heads[j] for j, m in months.items() if m is None]
    if bad:
        raise LoadError(
            f"the column header '{bad[0]}' is not a month (expected e.g. 'Apr-23' or a date)",
            file=file,
            sheet=sheet,
            row=header + 1,
        )
    if not months:
        raise LoadError("the header has no month columns", file=file, sheet=sheet, row=header + 1)
    body = frame.iloc[header + 1 :]
    code = body.iloc[:, 0].astype(str).str.strip()
    body = body[body.iloc[:, 0].notna() & ~code.isin({"", "nan"})]
    if body.empty:
        raise LoadError("the table has no organisation rows", file=file, sheet=sheet)
    orgs = pd.DataFrame(
        {
            "code": body.iloc[:, 0].astype(str).str.strip().to_numpy(),
            "name": body.iloc[:, 1].astype(str).str.strip().to_numpy(),
            "kind": body.iloc[:, 2].astype(str).str.strip().str.lower().map(_KIND).fillna("provider").to_numpy(),
        }
    )
    parts = []
    for j, month in months.items():
        cells = body.iloc[:, j]
        text = cells.astype(str).str.strip().str.rstrip("%").str.replace(",", "", regex=False)
        missing = cells.isna() | text.isin(MISSING_MARKERS)
        nums = pd.to_numeric(text.where(~missing), errors="coerce")
        wrong = nums.isna() & ~missing
        if wrong.any():
            i = int(wrong.to_numpy().nonzero()[0][0])
            raise LoadError(
                f"'{cells.iloc[i]}' is not a number",
                file=file,
                sheet=sheet,
                row=int(body.index[i]) + 1,
                column=str(heads[j]),
            )
        parts.append(
            pd.DataFrame(
                {
                    "org_code": orgs["code"].to_numpy(),
                    "period_start": month,
                    value_name: nums.to_numpy(dtype="float64"),
                    "row": body.index.to_numpy() + 1,
                    "column": str(heads[j]),
                }
            )
        )
    return pd.concat(parts, ignore_index=True), orgs


def _normalise_ucr(raw: dict[str, pd.DataFrame], catalogue: Catalogue | None) -> LoadResult:
    pct, orgs = _ucr_long(raw["Table 1"], "pct")
    count, _ = _ucr_long(raw["Table 2"], "referrals")
    file, sheet = raw["Table 1"].attrs.get("file", "UCR workbook"), raw["Table 1"].attrs.get("sheet", "Table 1")
    present = pct["pct"].dropna()
    if len(present) and present.max() <= 1.0:
        pct["pct"] = pct["pct"] * 100  # published as fractions (0.85 = 85%)
    out_of_range = (pct["pct"] < 0) | (pct["pct"] > 100)
    if out_of_range.any():
        r = pct[out_of_range].iloc[0]
        raise LoadError(
            f"{r['pct']:g} is not a percentage between 0 and 100",
            file=file,
            sheet=sheet,
            row=int(r["row"]),
            column=r["column"],
        )
    merged = pct.merge(count[["org_code", "period_start", "referrals"]], on=["org_code", "period_start"], how="left")
    merged = merged[merged["pct"].notna()]
    if catalogue is not None:
        merged["org_code"] = merged["org_code"].map(catalogue.resolve_org)
        orgs["code"] = orgs["code"].map(catalogue.resolve_org)
    numerator = (merged["pct"] * merged["referrals"] / 100).round()
    tidy = pd.DataFrame(
        {
            "metric_id": "ucr_2hr",
            "org_code": merged["org_code"].to_numpy(),
            "period_start": merged["period_start"].to_numpy(),
            "period_type": "month",
            "numerator": numerator.to_numpy(dtype="float64"),
            "denominator": merged["referrals"].to_numpy(dtype="float64"),
            "value": merged["pct"].to_numpy(dtype="float64"),
        }
    )
    latest = max(pct["period_start"]).isoformat() if len(pct) else ""
    return LoadResult(
        tidy=tidy.loc[:, TIDY_COLUMNS],
        organisations=orgs.drop_duplicates("code"),
        # a later edition covers a later latest month and revises the provisional one
        vintage=latest,
        source_key="ucr",
        layout="2-hour urgent community response workbook (Tables 1 and 2)",
    )


# ---------------------------------------------------------------------------- (b) the local template
def _org(catalogue: Catalogue | None, known: set[str] | frozenset[str], value, file: str, row: int) -> str:
    code = str(value).strip()
    if catalogue is None:
        return code
    code = catalogue.resolve_org(code)
    if code not in catalogue.organisation_by_code and code not in known:
        raise LoadError(
            f"'{code}' is not an organisation in the catalogue or the database (a typo?)",
            file=file,
            row=row,
            column="org_code",
        )
    return code


def _count(value, file: str, row: int, column: str) -> float | None:
    text = str(value).strip().replace(",", "")
    if text in MISSING_MARKERS or text.lower() == "nan":
        return None
    try:
        number = float(text)
    except ValueError:
        number = None
    if number is None or number < 0 or number % 1:
        raise LoadError(f"'{value}' is not a whole number of referrals", file=file, row=row, column=column)
    return number


def _monthly(raw: pd.DataFrame, catalogue: Catalogue | None, known) -> pd.DataFrame:
    file = raw.attrs.get("file", "template")
    records = []
    pairs = [
        ("ucr_2hr", *MONTHLY_UCR),
        ("reablement_2day", *MONTHLY_REABLEMENT),
    ]
    for index, row in enumerate(raw.to_dict("records")):
        line = index + 2
        if all(str(v).strip() == "" for v in row.values()):
            continue
        try:
            period = parse_period(row["period"], "month")
        except PeriodError as exc:
            raise LoadError(str(exc), file=file, row=line, column="period") from None
        org = _org(catalogue, known, row["org_code"], file, line)
        for metric_id, den_col, num_col in pairs:
            if den_col not in raw.columns:
                continue
            den = _count(row.get(den_col, ""), file, line, den_col)
            num = _count(row.get(num_col, ""), file, line, num_col)
            if den is None and num is None:
                continue
            if den is None or num is None:
                raise LoadError(
                    f"'{den_col}' and '{num_col}' go together: give both or neither",
                    file=file,
                    row=line,
                    column=num_col if num is None else den_col,
                )
            if num > den:
                raise LoadError(f"{num:.0f} is more than the {den:.0f} {den_col}", file=file, row=line, column=num_col)
            records.append((metric_id, org, period, num, den))
    return pd.DataFrame.from_records(
        records, columns=["metric_id", "org_code", "period_start", "numerator", "denominator"]
    )


def _timestamps(raw: pd.DataFrame, column: str, file: str, *, required: bool) -> pd.Series:
    text = raw[column].astype(str).str.strip()
    blank = text.isin(MISSING_MARKERS) | text.str.lower().isin({"nan", "nat", "none"})
    parsed = pd.to_datetime(text.where(~blank), errors="coerce", format="mixed", dayfirst=False)
    bad = (parsed.isna() & ~blank) | (blank if required else False)
    if bad.any():
        i = int(np.asarray(bad).nonzero()[0][0])
        shown = raw[column].iloc[i]
        what = "is blank" if blank.iloc[i] else f"'{shown}' is not a date and time"
        raise LoadError(f"{what}; expected e.g. '2024-01-31 14:05'", file=file, row=i + 2, column=column)
    return parsed


def _per_referral(raw: pd.DataFrame, catalogue: Catalogue | None, known) -> pd.DataFrame:
    file = raw.attrs.get("file", "template")
    raw = raw[~raw[list(PER_REFERRAL)].astype(str).apply(lambda s: s.str.strip()).eq("").all(axis=1)]
    raw = raw.reset_index(drop=True)
    ids = raw["referral_id"].astype(str).str.strip()
    if ids.eq("").any():
        raise LoadError("a referral has no id", file=file, row=int(ids.eq("").to_numpy().nonzero()[0][0]) + 2,
                        column="referral_id")  # fmt: skip
    dup = ids.duplicated()
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][0])
        raise LoadError(f"referral '{ids[i]}' appears twice", file=file, row=i + 2, column="referral_id")
    service = raw["service"].astype(str).str.strip().str.lower()
    wrong = ~service.isin({"ucr", "reablement"})
    if wrong.any():
        i = int(wrong.to_numpy().nonzero()[0][0])
        raise LoadError(f"'{raw['service'].iloc[i]}' is not 'ucr' or 'reablement'", file=file, row=i + 2,
                        column="service")  # fmt: skip
    referred = _timestamps(raw, "referred_at", file, required=True)
    contact = _timestamps(raw, "first_contact_at", file, required=False)
    early = (contact < referred).fillna(False)
    if early.any():
        i = int(early.to_numpy().nonzero()[0][0])
        raise LoadError("the first contact is before the referral", file=file, row=i + 2, column="first_contact_at")
    codes = {c: _org(catalogue, known, c, file, int(ids.index[raw["org_code"] == c][0]) + 2)
             for c in raw["org_code"].unique()}  # fmt: skip
    wait = contact - referred
    days = (contact.dt.normalize() - referred.dt.normalize()).dt.days
    met = np.where(service.eq("ucr"), (wait <= TWO_HOURS).fillna(False), (days <= TWO_DAYS).fillna(False))
    frame = pd.DataFrame(
        {
            "metric_id": np.where(service.eq("ucr"), "ucr_2hr", "reablement_2day"),
            "org_code": raw["org_code"].map(codes).to_numpy(),
            "period_start": referred.dt.to_period("M").dt.start_time.dt.date.to_numpy(),
            "met": met.astype(float),
        }
    )
    grouped = frame.groupby(["metric_id", "org_code", "period_start"], as_index=False).agg(
        numerator=("met", "sum"), denominator=("met", "size")
    )
    return grouped


def _normalise_template(raw: pd.DataFrame, catalogue: Catalogue | None, known) -> LoadResult:
    file = raw.attrs.get("file", "template")
    shape = _template_shape(list(raw.columns))
    if shape is None:
        raise LoadError(
            "the header is not a Home First template: expected 'period, org_code, referrals, "
            "responded_within_2_hours' and/or 'reablement_referrals, started_within_2_days', or "
            "'referral_id, org_code, service, referred_at, first_contact_at'",
            file=file,
            row=1,
        )
    counts = _monthly(raw, catalogue, known) if shape == "monthly" else _per_referral(raw, catalogue, known)
    if counts.empty:
        raise LoadError("the file has a header but no rows with figures", file=file)
    dup = counts.duplicated(["metric_id", "org_code", "period_start"])
    if dup.any():
        r = counts[dup].iloc[0]
        raise LoadError(f"{r.org_code} {r.period_start:%Y-%m} appears twice for {r.metric_id}", file=file)
    counts = counts.astype({"numerator": "float64", "denominator": "float64"})
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(counts["denominator"] > 0, counts["numerator"] / counts["denominator"] * 100, np.nan)
    tidy = counts.assign(period_type="month", value=value)
    tidy = tidy[tidy["value"].notna()].loc[:, TIDY_COLUMNS] if len(tidy) else empty_tidy()
    return LoadResult(
        tidy=tidy.reset_index(drop=True),
        source_key="home_first_local",
        layout="Home First template (" + ("monthly counts" if shape == "monthly" else "one row per referral") + ")",
    )


def normalise(
    raw: dict[str, pd.DataFrame] | pd.DataFrame,
    catalogue: Catalogue | None = None,
    known_orgs: set[str] | frozenset[str] = frozenset(),
) -> LoadResult:
    """Tidy ``ucr_2hr`` / ``reablement_2day`` rows from the UCR workbook or the local template.

    Parameters
    ----------
    raw : dict of DataFrame or DataFrame
        As returned by :func:`read`: the workbook's Table 1 and Table 2, or the template.
    catalogue : Catalogue, optional
        Resolves organisation aliases (e.g. ``ENG``) and checks template organisation codes.
    known_orgs : set of str
        Organisation codes already in the store (accepted in the template).

    Raises
    ------
    LoadError
        Naming the file, sheet, row and column of the problem.
    """
    if isinstance(raw, dict):
        return _normalise_ucr(raw, catalogue)
    return _normalise_template(raw, catalogue, known_orgs)
