"""The generic indicator template (docs/formats.md): one row per value, for any figure no loader covers.

Columns ``metric_id, org_code, period, value`` and optionally ``numerator, denominator, note``,
``source`` (the document the figure comes from) and ``demo`` (``yes`` marks demonstration data).
The ``source`` row records what was loaded (see :func:`source_key`): demonstration data, the
committee papers the ``source`` column names, or otherwise a local return ("Local file <name>,
not an official statistic"), which claims no licence and is labelled local wherever it is shown.
CSV or XLSX. Every row is validated against the catalogue; one bad row rejects the whole file
and the message names the row (as the analyst sees it in a spreadsheet: header = row 1) and
column.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd

from loaders.base import LoadError, LoadResult, Peek, Problems, read_csv_text, read_sheet, shown, to_number
from loaders.limits import Limits
from metrics.catalogue import Catalogue
from metrics.periods import PeriodError, parse_period

NAME = "generic_template"
#: A file that names no source and whose metrics share no catalogue source is a local return.
SOURCE_KEY = "local_return"
DEMO_SOURCE_KEY = "demo"
COMMITTEE_SOURCE_KEY = "committee"
#: A ``source`` naming one of these is a committee or board paper (e.g. "Rutland Health and
#: Wellbeing Board pack 31 Jan 2017"): its figures are "reported to committee".
_COMMITTEE_WORDS = re.compile(r"\b(committee|board pack|board papers?|board meeting|HWB|HOSC)\b", re.IGNORECASE)
USES_KNOWN_ORGS = True

REQUIRED = ("metric_id", "org_code", "period", "value")
OPTIONAL = ("numerator", "denominator", "note", "source", "demo")
_TRUE = {"yes", "y", "true", "1"}
_FALSE = {"", "no", "n", "false", "0"}


def _header(columns) -> list[str]:
    return [str(c).strip().lower() for c in columns]


def sniff(peek: Peek) -> bool:
    if peek.kind == "csv":
        return set(REQUIRED) <= set(_header(peek.header_cells))
    if peek.kind == "xlsx":
        try:
            first = read_sheet(peek.path, 0, header=None, nrows=1)
        except LoadError:
            return False
        return set(REQUIRED) <= set(_header(first.iloc[0].tolist())) if len(first) else False
    return False


def read(path: Path) -> pd.DataFrame:
    """The template as strings, with ``attrs['file']`` set for messages."""
    path = Path(path)
    if Peek(path).kind == "xlsx":
        raw = read_sheet(path, 0, header=0, dtype=str).fillna("")
    else:
        raw = read_csv_text(path)
    raw.columns = _header(raw.columns)
    raw.attrs["file"] = path.name
    return raw


def normalise(
    raw: pd.DataFrame, catalogue: Catalogue, known_orgs: set[str] | frozenset[str] = frozenset()
) -> LoadResult:
    """Validate every row and return tidy rows.

    Parameters
    ----------
    raw : DataFrame
        As returned by :func:`read` (string cells).
    catalogue : Catalogue
    known_orgs : set of str
        Organisation codes already in the store; a code must be in the catalogue or here.
    """
    file = raw.attrs.get("file", "template")
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise LoadError(
            f"the header has no {', '.join(repr(c) for c in missing)} column; "
            f"expected columns {', '.join(REQUIRED)} (and optionally {', '.join(OPTIONAL)})",
            file=file,
            row=1,
        )
    unknown = [c for c in raw.columns if c not in REQUIRED + OPTIONAL and not c.startswith("unnamed")]
    if unknown:
        raise LoadError(f"unexpected column(s) {', '.join(repr(c) for c in unknown)}", file=file, row=1)
    if raw.empty:
        raise LoadError("the file has a header but no rows", file=file)

    records = []
    sources: set[str] = set()
    demo_flags: list[bool] = []
    problems = Problems(Limits.from_environment().max_errors_reported)
    for index, row in enumerate(raw.to_dict("records")):
        line = index + 2  # the header is row 1 in a spreadsheet
        try:
            record, flag, source = _row(row, line, file, catalogue, known_orgs)
        except LoadError as exc:
            problems.add(exc)
            continue
        demo_flags.append(flag)
        if source:
            sources.add(source)
        records.append(record)
    problems.raise_if_any()
    if len(set(demo_flags)) > 1:
        differs = demo_flags.index(not demo_flags[0])
        first, this = ("marked demo", "not") if demo_flags[0] else ("not marked demo", "marked demo")
        raise LoadError(
            f"row 2 is {first} but this row is {this}: a file is either demonstration data or real",
            file=file,
            row=differs + 2,
            column="demo",
        )
    tidy = pd.DataFrame.from_records(records)
    key = ["metric_id", "org_code", "period_start"]
    repeated = tidy.duplicated(key, keep="first")
    if repeated.any():
        index = int(repeated.to_numpy().nonzero()[0][0])
        earlier = int((tidy[key] == tidy.loc[index, key]).all(axis=1).to_numpy().nonzero()[0][0])
        raise LoadError(
            f"repeats row {earlier + 2} (the same metric, organisation and period)",
            file=file,
            row=index + 2,
            column="period",
        )
    is_demo = set(demo_flags) == {True}
    key = source_key(catalogue, set(tidy["metric_id"]), sources, is_demo)
    publication = None
    if key == SOURCE_KEY:
        publication = local_publication(Path(str(file)).name, sources)
    elif len(sources) == 1:
        publication = next(iter(sources))
    elif sources:
        publication = "Several documents: " + "; ".join(sorted(sources))
    return LoadResult(tidy=tidy, is_demo=is_demo, publication=publication, source_key=key)


def _row(row: dict, line: int, file: str, catalogue: Catalogue, known_orgs) -> tuple[dict, bool, str]:
    """One template row as a tidy record, its demo flag and its source document; LoadError if bad."""
    metric_id = str(row["metric_id"]).strip()
    if metric_id not in catalogue.metric_by_id:
        raise LoadError(
            f"'{shown(metric_id)}' is not a metric in the catalogue", file=file, row=line, column="metric_id"
        )
    metric = catalogue.metric_by_id[metric_id]
    org_code = catalogue.resolve_org(row["org_code"])
    if org_code not in catalogue.organisation_by_code and org_code not in known_orgs:
        raise LoadError(
            f"'{shown(org_code)}' is not an organisation in the catalogue or the database (a typo?)",
            file=file,
            row=line,
            column="org_code",
        )
    try:
        period_start = parse_period(row["period"], metric.frequency)
    except PeriodError as exc:
        raise LoadError(str(exc), file=file, row=line, column="period") from None
    numbers = {}
    for col in ("value", "numerator", "denominator"):
        try:
            number = to_number(row.get(col, ""))
        except ValueError:
            raise LoadError(
                f"'{shown(row[col])}' is not a number{_number_hint(str(row[col]))}", file=file, row=line, column=col
            ) from None
        if number is not None and not math.isfinite(number):
            # "nan" would blank a stored figure and "inf"/"1e400" would read as infinity.
            raise LoadError(f"'{shown(row[col])}' is not a finite number", file=file, row=line, column=col)
        numbers[col] = number
    value, num, den = numbers["value"], numbers["numerator"], numbers["denominator"]
    if value is None and num is not None and den:
        value = num / den * (metric.scale or 1.0)
    if value is None:
        raise LoadError(
            "no value (and no numerator and denominator to compute it from)", file=file, row=line, column="value"
        )
    if metric.unit == "percent" and 0 < abs(value) < 1 and (num is None or den is None):
        # 0.78 meant as 78%: the template wants percentages as 0-100. A true value below 1% is
        # accepted with its numerator and denominator, which show it is not a fraction.
        raise LoadError(
            f"{value:g} is below 1 for a percentage: the template wants 0-100 (write {value * 100:g} for "
            f"{value * 100:g}%), or give the numerator and denominator of a value truly below 1%",
            file=file,
            row=line,
            column="value",
        )
    if (den is not None and den < 0) or (num is not None and num < 0):
        raise LoadError(
            "numerator and denominator are counts and cannot be negative (a negative value is allowed)",
            file=file,
            row=line,
            column="numerator" if num is not None and num < 0 else "denominator",
        )
    flag = str(row.get("demo", "")).strip().lower()
    if flag not in _TRUE | _FALSE:
        raise LoadError(f"'{shown(row['demo'])}' is not yes or no", file=file, row=line, column="demo")
    record = {
        "metric_id": metric_id,
        "org_code": org_code,
        "period_start": period_start,
        "period_type": metric.frequency,
        "numerator": num,
        "denominator": den,
        "value": value,
        "source_row": line,
        "source_column": "value",
    }
    return record, flag in _TRUE, str(row.get("source", "")).strip()


def _number_hint(text: str) -> str:
    """Why a cell that looks numeric is not read as one."""
    if any(ch.isdigit() and not ("0" <= ch <= "9") for ch in text):
        return " (digits must be 0-9)"
    if "," in text:
        return " (a decimal comma? write 9.5, not 9,5: commas only separate thousands, as in 1,234)"
    return ""


def source_key(catalogue: Catalogue, metric_ids: set[str], documents: set[str], is_demo: bool) -> str:
    """Which catalogue source a generic-template file's provenance comes from.

    Demonstration rows are the demo source; a file whose ``source`` column names only committee
    or board papers holds figures reported to committee; anything else was supplied locally (a
    local return): a figure typed into the template is never recorded as the national statistic
    of its metric, whatever the metric is. ``metric_ids`` is kept for the signature's callers.
    """
    if is_demo:
        return DEMO_SOURCE_KEY
    if documents and all(_COMMITTEE_WORDS.search(d) for d in documents):
        return COMMITTEE_SOURCE_KEY
    return SOURCE_KEY


def local_publication(file_name: str, documents: set[str]) -> str:
    """What a local return's ``source`` row says it is: the documents it names, else the file."""
    if documents:
        return "Local file citing " + "; ".join(sorted(documents)) + " (not an official statistic)"
    return f"Local file {file_name}, not an official statistic"
