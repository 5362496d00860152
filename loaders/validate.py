"""The catalogue's rules every loader's tidy output must pass before anything is written.

One place for the rules, applied by ``loaders.ingest`` to every loader: a loader turns a publication
into tidy rows; this module decides whether those rows are believable figures for the catalogue's
metrics. Every problem in a file is reported (up to ``Limits.max_errors_reported``), each once,
naming where it is: the spreadsheet row and column when the loader kept them (the optional
provenance columns below), otherwise the metric, organisation and period of the row.

Provenance columns a loader may add to its tidy frame (dropped before writing):
``source_row`` (1-based spreadsheet row), ``source_column`` (the column holding the value),
``source_org_column`` (the column holding the organisation code), ``source_sheet``.
"""

from __future__ import annotations

import datetime as dt
import math
import re

import numpy as np
import pandas as pd

from loaders.base import LoadError, LoadResult, Problems, shown
from loaders.limits import Limits
from metrics import store
from metrics.catalogue import Catalogue, Metric
from metrics.per_distinct import by_distinct
from metrics.periods import period_label

PROVENANCE_COLUMNS = ("source_row", "source_column", "source_org_column", "source_sheet")

#: The earliest period the dashboard accepts: the oldest series it shows (A&E, KH03) start later,
#: so an earlier date is a typo or a damaged cell.
EARLIEST_PERIOD = dt.date(1990, 1, 1)

#: ODS codes (RWE, NNJ07, 04C, QK1) and ONS codes (E06000016) are letters and digits, at most
#: 9 characters; 12 leaves room for local codes. Anything else (a formula, a sentence) is refused.
ORG_CODE = re.compile(r"^[A-Za-z0-9]{1,12}$")

#: Units whose figures cannot be below zero (a percentage only when it is a proportion).
NON_NEGATIVE_UNITS = frozenset({"count", "rate_per_100k", "days", "beds"})

#: Unicode category Cc: C0 controls (NUL, tab, line breaks), DEL and the C1 controls.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")

MAX_NAME_LENGTH = 200
MAX_PUBLICATION_LENGTH = 300


def _period_in_range(value: object, latest: dt.date) -> bool:
    if isinstance(value, pd.Timestamp):
        value = value.date()
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        try:
            value = pd.Timestamp(value).date()
        except (ValueError, TypeError, OverflowError):
            return False
    return EARLIEST_PERIOD <= value <= latest


def is_proportion(metric: Metric) -> bool:
    """A percentage of a whole (0-100, numerator at most the denominator), not a percentage change.

    The catalogue's convention: a proportion's definition names its ``Numerator:`` and
    ``Denominator:``; a change (``emergency_admissions_change``) is defined in words and may be
    negative or above 100.
    """
    return metric.unit == "percent" and "numerator:" in metric.definition.lower()


#: A published percentage and its numerator and denominator agree to the rounding of a published
#: figure: half a percentage point (a whole-number percentage), never more.
PERCENT_AGREEMENT = 0.5


def first_unfinished_start(period_type: str, today: dt.date | None = None) -> dt.date | None:
    """The earliest period start of ``period_type`` that has not ended by ``today`` (None: any
    start that has begun is allowed).

    Counts for a month or a quarter are published after it ends, so a month or quarter still
    running (or to come) cannot have figures. A year's figures may be set while it runs (a Better
    Care Fund budget for the year), so years are only held to the general latest period.
    """
    today = today or dt.date.today()
    this_month = dt.date(today.year, today.month, 1)
    if period_type == "month":
        return this_month
    if period_type == "quarter":
        # A quarter that started in the last three months has not ended.
        months = this_month.year * 12 + this_month.month - 1 - 2
        return dt.date(months // 12, months % 12 + 1, 1)
    return None


def latest_allowed_period(today: dt.date | None = None) -> dt.date:
    """The first day of next month: a publication cannot describe a later period."""
    today = today or dt.date.today()
    return dt.date(today.year + (today.month == 12), today.month % 12 + 1, 1)


def text_problem(text: str, max_length: int) -> str | None:
    """Why ``text`` cannot be stored as a name (too long, or holding control characters), or None."""
    if len(text) > max_length:
        return f"is {len(text):,} characters long (at most {max_length})"
    if _CONTROL.search(text):
        return "contains a control character (such as a NUL byte or a line break)"
    return None


def _problem(row: pd.Series, column: str, text: str) -> LoadError:
    """A problem with one tidy row: at its spreadsheet cell when the loader kept it, and always
    saying what the row describes (metric, organisation, period)."""
    sheet, line = row.get("source_sheet"), row.get("source_row")
    has_line = line is not None and not (isinstance(line, float) and math.isnan(line))
    own = {"value": row.get("source_column"), "org_code": row.get("source_org_column")}.get(column)
    described = f"{row['metric_id']} for {shown(row['org_code'])}"
    try:
        described += f", {period_label(pd.Timestamp(row['period_start']).date(), row['period_type'])}"
    except (ValueError, TypeError, KeyError, OverflowError):
        pass
    return LoadError(
        f"{described}: {text}",
        sheet=sheet if isinstance(sheet, str) and sheet else None,
        row=int(line) if has_line else None,
        column=(own if isinstance(own, str) and own else column) if has_line else None,
    )


def validate_tidy(result: LoadResult, catalogue: Catalogue, file: str, limits: Limits | None = None) -> None:
    """Check a loader's output against the catalogue; drop the provenance columns when it passes.

    Parameters
    ----------
    result : LoadResult
        A loader's output; ``result.tidy`` loses its provenance columns on success.
    catalogue : Catalogue
    file : str
        The file name, for messages.
    limits : Limits, optional
        ``max_errors_reported`` caps how many problems one message lists.

    Raises
    ------
    LoadError
        Listing every problem found (up to the limit), each with its place.
    """
    limits = limits or Limits.from_environment()
    tidy = result.tidy
    missing = [c for c in store.TIDY_COLUMNS if c not in tidy.columns]
    if missing:
        raise LoadError(f"loader output lacks column(s) {missing}", file=file)
    unknown = sorted(set(tidy["metric_id"].unique()) - set(catalogue.metric_by_id))
    if unknown:
        raise LoadError(f"metric(s) {unknown} are not in the catalogue", file=file)
    problems = Problems(limits.max_errors_reported)
    metrics = catalogue.metric_by_id
    # factorize hashes (linear time); np.unique would sort 400,000 strings to find a few dozen.
    where, metric_ids = pd.factorize(tidy["metric_id"].astype(str), sort=False)

    def per_metric(attribute) -> np.ndarray:
        """``attribute(metric)`` for every row, computed once per metric in the file."""
        return np.array([attribute(metrics[m]) for m in metric_ids], dtype=object)[where]

    expected = per_metric(lambda m: m.frequency)
    for _, r in tidy[expected != tidy["period_type"].to_numpy(dtype=object)].iterrows():
        problems.add(
            f"metric '{r.metric_id}' is reported by {catalogue.metric_by_id[r.metric_id].frequency}, "
            f"not by {r.period_type}"
        )
    problems.raise_if_any(file)

    known = set(catalogue.organisation_by_code)
    tidy = _canonical_codes(result, tidy, known)
    codes = tidy["org_code"].astype(object)
    # Judge each distinct code once (a file repeats a few hundred codes across many rows).
    distinct = pd.unique(codes.to_numpy())
    blank_codes = {c for c in distinct if c is None or (isinstance(c, float) and math.isnan(c)) or not str(c).strip()}
    bad_codes = {c for c in distinct if c not in blank_codes and c not in known and not ORG_CODE.match(str(c))}
    # Row masks only when a code needs them: almost every file has neither kind.
    blank = (codes.isin(blank_codes) | codes.isna()) if blank_codes else None
    for _, r in tidy[blank].iterrows() if blank_codes else ():
        problems.add(_problem(r.assign(org_code=""), "org_code", "a row has no organisation code"))
    bad_code = (codes.isin(bad_codes) & ~(blank if blank is not None else codes.isna())) if bad_codes else None
    for _, r in tidy[bad_code].drop_duplicates("org_code").iterrows() if bad_codes else ():
        problems.add(
            _problem(
                r,
                "org_code",
                f"'{shown(r.org_code)}' is not an organisation code "
                "(expected an ODS or ONS code: letters and digits, at most 12 characters)",
            )
        )

    latest = latest_allowed_period()
    outside = [p for p in pd.unique(tidy["period_start"].to_numpy()) if not _period_in_range(p, latest)]
    out_of_range = tidy["period_start"].isin(outside) if outside else None
    for _, r in tidy[out_of_range].drop_duplicates("period_start").iterrows() if outside and out_of_range.any() else ():
        problems.add(
            _problem(
                r,
                "period",
                f"the period {shown(r.period_start)} is outside "
                f"{EARLIEST_PERIOD.year} to {period_label(latest, 'month')}",
            )
        )

    _check_unfinished_periods(tidy, problems)
    _check_organisation_count(tidy, limits, problems)

    numeric = {}
    for column in ("value", "numerator", "denominator"):
        numbers = pd.to_numeric(tidy[column], errors="coerce").astype("float64").to_numpy()
        numeric[column] = numbers
        given = tidy[column].notna().to_numpy()
        required = column == "value"
        bad = ~np.isfinite(numbers) & (given | required)
        for i in np.flatnonzero(bad):
            r = tidy.iloc[i]
            problems.add(_problem(r, column, f"'{shown(r[column])}' is not a finite number"))
        if column != "value":
            for i in np.flatnonzero(np.isfinite(numbers) & (numbers < 0)):
                r = tidy.iloc[i]
                problems.add(_problem(r, column, f"the {column} {r[column]:g} is a count and cannot be negative"))

    value, numerator, denominator = (numeric[c] for c in ("value", "numerator", "denominator"))
    units = per_metric(lambda m: m.unit)
    proportion = per_metric(is_proportion).astype(bool)
    with np.errstate(invalid="ignore"):
        negative = (np.isin(units, list(NON_NEGATIVE_UNITS)) | proportion) & (value < 0)
        over_100 = proportion & (value > 100)
        over_denominator = proportion & (numerator > denominator)
    for i in np.flatnonzero(negative):
        r = tidy.iloc[i]
        what = "percentage" if proportion[i] else units[i].replace("_", " ")
        problems.add(_problem(r, "value", f"{value[i]:g} is a {what} and cannot be negative"))
    for i in np.flatnonzero(over_100):
        problems.add(_problem(tidy.iloc[i], "value", f"{value[i]:g} is a percentage and cannot be above 100"))
    scales = per_metric(lambda m: float(m.scale or 100.0) if m.unit == "percent" else np.nan).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        implied = scales * numerator / denominator
        disagrees = (
            (units == "percent")
            & np.isfinite(implied)
            & (denominator > 0)
            & np.isfinite(value)
            & (np.abs(value - implied) > PERCENT_AGREEMENT)
        )
    for i in np.flatnonzero(disagrees)[: limits.max_errors_reported]:
        problems.add(
            _problem(
                tidy.iloc[i],
                "value",
                f"the value {value[i]:g}% does not agree with its numerator and denominator "
                f"({numerator[i]:g} / {denominator[i]:g} = {implied[i]:.1f}%)",
            )
        )
    for i in np.flatnonzero(over_denominator):
        problems.add(
            _problem(
                tidy.iloc[i],
                "numerator",
                f"the numerator {numerator[i]:g} is above the denominator "
                f"{denominator[i]:g} (a proportion cannot exceed 100%)",
            )
        )

    key = ["metric_id", "org_code", "period_start", "period_type"]
    repeated = tidy.duplicated(key, keep="first")
    for _, r in tidy[repeated].iterrows() if repeated.any() else ():
        problems.add(_problem(r, "period", "the file gives two values for the same metric, organisation and period"))

    _check_organisations(result, known | {str(c) for c in bad_codes}, problems)
    if result.publication is not None and (why := text_problem(result.publication, MAX_PUBLICATION_LENGTH)):
        problems.add(f"the source document name {why}")
    problems.raise_if_any(file)
    result.tidy = tidy.drop(columns=[c for c in PROVENANCE_COLUMNS if c in tidy.columns])


def _canonical_codes(result: LoadResult, tidy: pd.DataFrame, known: set[str]) -> pd.DataFrame:
    """ODS and ONS codes are upper case: ``rwe`` is RWE, never a second organisation.

    A code the catalogue does not list as it is written, made of letters and digits with a lower
    case letter in it, is read in upper case (in the rows and in the file's organisation list),
    with a warning naming it.
    """
    distinct = pd.unique(tidy["org_code"].to_numpy(dtype=object))
    mapping = {
        c: c.upper() for c in distinct if isinstance(c, str) and c not in known and c != c.upper() and ORG_CODE.match(c)
    }
    if not mapping:
        return tidy
    tidy = tidy.assign(org_code=tidy["org_code"].replace(mapping))
    result.tidy = tidy
    if result.organisations is not None and "code" in result.organisations:
        orgs = result.organisations.assign(code=result.organisations["code"].replace(mapping))
        result.organisations = orgs.drop_duplicates("code", keep="last")
    listed = ", ".join(f"'{shown(k)}' as {v}" for k, v in sorted(mapping.items())[:5])
    result.warnings.append(f"organisation code(s) read in upper case, as ODS and ONS codes are written: {listed}")
    return tidy


def _check_unfinished_periods(tidy: pd.DataFrame, problems: Problems) -> None:
    """Refuse months and quarters that have not ended (``first_unfinished_start``); a period past
    ``latest_allowed_period`` has its own message already."""
    latest = pd.Timestamp(latest_allowed_period())
    types = tidy["period_type"]
    # Parsed once for the file, and only when a type has unfinished periods to look for.
    distinct = starts = None
    # Each type in sorted order (as ``groupby`` gave them), its rows in file order.
    for period_type in sorted(t for t in pd.unique(types.to_numpy(dtype=object)) if not pd.isna(t)):
        limit = first_unfinished_start(str(period_type))
        if limit is None:
            continue
        if distinct is None:
            distinct = pd.to_datetime(pd.Series(pd.unique(tidy["period_start"].to_numpy())), errors="coerce")
        if not ((distinct >= pd.Timestamp(limit)) & (distinct <= latest)).any():
            continue  # judged on the file's distinct starts: no row can be late
        if starts is None:
            starts = by_distinct(tidy["period_start"], lambda values: pd.to_datetime(values, errors="coerce"))
        late = tidy[(types == period_type) & (starts >= pd.Timestamp(limit)) & (starts <= latest)]
        for _, r in late.drop_duplicates("period_start").iterrows() if len(late) else ():
            problems.add(
                _problem(r, "period", f"the {period_type} has not ended yet, so it cannot have published figures")
            )


def _check_organisation_count(tidy: pd.DataFrame, limits: Limits, problems: Problems) -> None:
    """Refuse a file that gives one metric and period for more organisations than any publication has."""
    if tidy["org_code"].nunique() <= limits.max_organisations:
        return  # no metric and period can have more organisations than the whole file
    counts = tidy.groupby(["metric_id", "period_start"], sort=True)["org_code"].nunique()
    for (metric_id, period_start), n in counts[counts > limits.max_organisations].items():
        problems.add(
            f"{metric_id} for {shown(period_start)}: {n:,} organisations, more than any publication has "
            f"(at most {limits.max_organisations:,}; LLR_MAX_ORGANISATIONS): an invented or damaged file"
        )


#: ``ORG_CODE`` as ``str.fullmatch`` applies it (``$`` would also accept a final line break).
_ORG_CODE_FULL = re.compile(ORG_CODE.pattern.strip("^$"))


def _plainly_valid(orgs: pd.DataFrame, known: set[str]) -> bool:
    """True when every code and name is a plain string that passes (most files): the checks below,
    written for any cell, cost a few milliseconds a file even with nothing to find."""
    codes = orgs["code"].tolist()
    names = orgs["name"].tolist() if "name" in orgs.columns else []
    return all(isinstance(c, str) and (c in known or _ORG_CODE_FULL.fullmatch(c)) for c in codes) and all(
        isinstance(n, str) and len(n) <= MAX_NAME_LENGTH and not _CONTROL.search(n) for n in names
    )


def _check_organisations(result: LoadResult, known: set[str], problems: Problems) -> None:
    orgs = result.organisations
    if orgs is None or orgs.empty:
        return
    if _plainly_valid(orgs, known):
        return
    names = orgs["name"].astype(str) if "name" in orgs.columns else pd.Series("", index=orgs.index)
    codes = orgs["code"].astype(str)
    suspect = ~codes.isin(known) & ~codes.str.fullmatch(ORG_CODE.pattern.strip("^$"))
    suspect |= (names.str.len() > MAX_NAME_LENGTH) | names.str.contains(_CONTROL.pattern, regex=True)
    if not suspect.any():
        return
    for record in orgs[suspect.to_numpy(dtype=bool)].to_dict("records"):
        code = str(record.get("code", ""))
        if code not in known and not ORG_CODE.match(code):
            problems.add(
                f"organisation code '{shown(code)}' is not an ODS or ONS code "
                "(letters and digits, at most 12 characters)"
            )
        name = record.get("name")
        if isinstance(name, str) and (why := text_problem(name, MAX_NAME_LENGTH)):
            problems.add(f"the name of organisation '{shown(code)}' ('{shown(name)}') {why}")
