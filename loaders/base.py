"""What every publication loader shares: the error type, the result type, file sniffing and reading.

A loader module exposes::

    NAME: str                         # e.g. "ae_csv"; recorded in the source table
    SOURCE_KEY: str                   # key of config.yaml `sources` (publisher, publication, licence)
    def sniff(peek: Peek) -> bool     # recognise the layout from content, never from the file name
    def read(path: Path) -> raw       # IO: a DataFrame or a dict of DataFrames, as found in the file
    def normalise(raw, catalogue) -> LoadResult   # pure: raw -> tidy rows

Loaders raise ``LoadError`` for input they cannot use, naming the file, sheet, row and column.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from metrics.store import TIDY_COLUMNS

#: Cell contents that publications use for "no figure": missing, never zero.
MISSING_MARKERS = frozenset({"", "-", "*", "N/A", "n/a", "NA", ":", "..", "[x]", "[c]", "[z]", "x", "c"})


class LoadError(ValueError):
    """Input a loader cannot use. The message names where the problem is and what was expected."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.file, self.sheet, self.row, self.column = file, sheet, row, column
        self.detail = message
        parts = []
        if file:
            parts.append(f"'{file}'")
        if sheet:
            parts.append(f"sheet '{sheet}'")
        if row is not None:
            parts.append(f"row {row}")
        if column:
            parts.append(f"column '{column}'")
        where = ", ".join(parts)
        super().__init__(f"{where}: {message}" if where else message)

    def without_file(self) -> LoadError:
        """The same error without the file name (for a list of problems in one file)."""
        return LoadError(self.detail, sheet=self.sheet, row=self.row, column=self.column)

    def with_file(self, file: str) -> LoadError:
        """The same error, naming ``file`` if it did not already."""
        if self.file:
            return self
        return LoadError(self.detail, file=file, sheet=self.sheet, row=self.row, column=self.column)


class Problems:
    """Problems found across a file, each reported once, up to ``limit``; raised together.

    A file with several bad cells gets one message listing them all (an analyst fixes them in one
    pass) rather than one at a time.
    """

    def __init__(self, limit: int = 20) -> None:
        self.limit = limit
        self.items: list[LoadError] = []
        self._seen: set[str] = set()
        self.total = 0

    def add(self, error: LoadError | str) -> None:
        error = error if isinstance(error, LoadError) else LoadError(error)
        text = str(error)
        if text in self._seen:
            return
        self._seen.add(text)
        self.total += 1
        if len(self.items) < self.limit:
            self.items.append(error)

    def raise_if_any(self, file: str | None = None) -> None:
        """Raise the one problem as it is, or a LoadError listing them all (naming ``file``)."""
        if not self.items:
            return
        if self.total == 1:
            raise self.items[0].with_file(file) if file else self.items[0]
        more = f" (the first {len(self.items)} shown)" if self.total > len(self.items) else ""
        listed = "; ".join(str(e.without_file()) for e in self.items)
        raise LoadError(f"{self.total} problems{more}: {listed}", file=file or self.items[0].file)


@dataclass
class LoadResult:
    """A loader's output: tidy rows plus what the source table and the user should know.

    Attributes
    ----------
    tidy : DataFrame
        ``TIDY_COLUMNS``: metric_id, org_code, period_start (date), period_type, numerator,
        denominator, value.
    organisations : DataFrame or None
        ``code, name, kind`` for organisations found in the file (new ones are added to the store).
    warnings : list of str
        Things the user should know that did not stop the load (e.g. an unmapped council code).
    vintage : str
        The file's standing, sortable: a higher vintage replaces a lower one for the same period
        whatever the order of loading (e.g. a derived compilation below the published file). Never
        a digest of the content: files of the same standing are decided by ``published``, else by
        load order (``metrics.store.REVISION_RULE``).
    published : date or None
        The publication date the file itself states (e.g. KH03's ``Published:``/``Revised:``).
    derived : bool
        True for third-party compilations of official statistics.
    is_demo : bool
        True for demonstration data.
    publication : str or None
        Overrides the publication name from config.yaml ``sources`` when set.
    """

    tidy: pd.DataFrame
    organisations: pd.DataFrame | None = None
    warnings: list[str] = field(default_factory=list)
    vintage: str = ""
    published: dt.date | None = None
    derived: bool = False
    is_demo: bool = False
    publication: str | None = None
    source_key: str | None = None
    layout: str = ""  # e.g. "A&E monthly provider CSV (22 columns)"; said when the file is loaded
    reference: ReferenceData | None = None  # organisations and memberships (ODS and ONS reference files)


@dataclass
class ReferenceData:
    """What a reference file (ODS, ONS lookups) says about organisations and areas; no figures.

    Attributes
    ----------
    organisations : DataFrame
        ``REFERENCE_ORGANISATION_COLUMNS`` of ``metrics.store``: code, name, kind, ons_code,
        region_code, opened, closed (dates or None).
    memberships : DataFrame
        ``REFERENCE_MEMBERSHIP_COLUMNS``: member_code, parent_code, relation (e.g. ``trust_icb``),
        valid_from, valid_to (dates or None: open-ended), weight (e.g. LSOAs shared; 1 otherwise).
    view : str
        Which list the file is (``ods_trusts``, ``ons_sub_icb``...): a newer file of the same view
        replaces the rows of the earlier one.
    """

    organisations: pd.DataFrame
    memberships: pd.DataFrame
    view: str  # which list this is (e.g. ``ods_trusts``); a newer file of the same view replaces it


def empty_tidy() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in TIDY_COLUMNS})


@dataclass
class Peek:
    """Cheap facts about a file for format detection: its kind and a glimpse of its content."""

    path: Path

    @cached_property
    def head(self) -> bytes:
        with open(self.path, "rb") as fh:
            return fh.read(8192)

    @cached_property
    def kind(self) -> str:
        """``xlsx``, ``xls``, ``rda``, ``csv`` (text) or ``unknown``, from the leading bytes."""
        head = self.head
        if head.startswith(b"PK\x03\x04"):
            return "xlsx"
        if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
            return "xls"
        if (
            head[:2] == b"\x1f\x8b"
            or head[:3] == b"BZh"
            or head[:6] == b"\xfd7zXZ\x00"
            or head[:5] in (b"RDX2\n", b"RDX3\n")
        ):
            return "rda"
        if not head:
            return "empty"
        if b"\x00" in head:
            return "unknown"
        return "csv"

    @cached_property
    def text(self) -> str:
        """The first lines of a text file (cp1252 fallback), for CSV header sniffing."""
        return decode_text(self.head)

    @cached_property
    def first_line(self) -> str:
        return self.text.lstrip("\ufeff").splitlines()[0] if self.text.strip() else ""

    @cached_property
    def header_cells(self) -> list[str]:
        """The first line's cells as a CSV reader sees them (quotes removed: ``"metric_id"``)."""
        try:
            return [c.strip() for c in next(csv.reader([self.first_line]), [])]
        except csv.Error:
            return self.first_line.split(",")

    @property
    def is_utf16(self) -> bool:
        """A UTF-16 text file (Excel's "Unicode text"): a byte-order mark, or NULs between ASCII letters."""
        head = self.head
        if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
            return True
        sample = head[:200]
        return len(sample) >= 8 and (
            sample[1::2].count(0) > len(sample) // 3 or sample[0::2].count(0) > len(sample) // 3
        )

    @cached_property
    def sheet_names(self) -> list[str]:
        if self.kind not in ("xlsx", "xls"):
            return []
        try:
            from python_calamine import CalamineWorkbook

            return list(CalamineWorkbook.from_path(str(self.path)).sheet_names)
        except Exception:  # noqa: BLE001 - a corrupt workbook is reported by the loader that reads it
            return []


def shown(value: object, width: int = 40) -> str:
    """A cell quoted for a message: shortened, with control characters made visible."""
    text = "".join(ch if unicodedata.category(ch) != "Cc" else repr(ch)[1:-1] for ch in str(value))
    return text if len(text) <= width else text[: width - 1] + "…"


def decode_text(data: bytes) -> str:
    """Decode CSV bytes: UTF-8 (with or without BOM), else Windows-1252 as older NHS files use."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def refuse_cut_csv(text: str, file: str) -> None:
    """Refuse a CSV cut short in its last row (an interrupted download or copy).

    Such a file does not end with a line break and its last row has fewer cells than the header;
    read as it is, the cut cell would load as a smaller number (a trust's 1,766.7 beds as 17) and
    the cells after it as missing. A complete file without a final line break has every cell, so it
    passes.

    Raises
    ------
    LoadError
        Naming the file and the row.
    """
    if not text or text.endswith(("\n", "\r")):
        return
    lines = text.splitlines()
    if len(lines) < 2:
        return
    try:
        header, last = next(csv.reader([lines[0]])), next(csv.reader([lines[-1]]))
    except (csv.Error, StopIteration):
        return  # a quote spanning lines: the parser's own error says where
    if len(last) < len(header):
        raise LoadError(
            f"the last row has {len(last)} of the header's {len(header)} columns and the file does not end "
            "with a line break: it looks cut short (download or copy it again); nothing was loaded",
            file=file,
            row=len(lines),
        )


def read_csv_text(path: Path, **kwargs) -> pd.DataFrame:
    """Read a CSV as strings, trying UTF-8 then cp1252; an empty or cut-short file is a LoadError."""
    data = Path(path).read_bytes()
    if not data.strip():
        raise LoadError("the file is empty", file=Path(path).name)
    text = decode_text(data)
    refuse_cut_csv(text, Path(path).name)
    try:
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, **kwargs)
    except pd.errors.ParserError as exc:
        raise csv_error(exc, Path(path).name) from None


_OPEN_QUOTE = re.compile(r"EOF inside string starting at row (\d+)")


def csv_error(exc: Exception, file: str) -> LoadError:
    """A pandas CSV parser error as a message an analyst can act on."""
    if m := _OPEN_QUOTE.search(str(exc)):
        # pandas counts lines from 0 (the header); a spreadsheet shows the header as row 1.
        return LoadError(
            "a quotation mark opens in this row and is never closed, so the rest of the file runs "
            "into one cell (check the quotes)",
            file=file,
            row=int(m[1]) + 1,
        )
    return LoadError(f"not a readable CSV ({shown(exc, 160)})", file=file)


def read_sheet(path: Path, sheet_name: str | int = 0, header: int | None = None, **kwargs) -> pd.DataFrame:
    """Read one worksheet with the calamine engine (fast; .xlsx and old .xls alike).

    Raises ``LoadError`` naming the file (and sheet) for a corrupt or truncated workbook or a
    missing sheet.
    """
    name = Path(path).name
    try:
        return pd.read_excel(path, sheet_name=sheet_name, header=header, engine="calamine", **kwargs)
    except ValueError as exc:
        if "not found" in str(exc).lower() or "worksheet" in str(exc).lower():
            raise LoadError(f"the workbook has no sheet '{sheet_name}'", file=name) from None
        raise LoadError(f"cannot read the workbook ({exc})", file=name) from None
    except Exception as exc:  # noqa: BLE001 - calamine raises its own types for corrupt files
        raise LoadError(f"cannot read the workbook: it is corrupt or truncated ({exc})", file=name) from None


#: A number as published files write it: ASCII digits, an optional sign, a decimal point, an
#: exponent, and commas only as thousands separators (``1,234,567``). ``9,5`` (a decimal comma)
#: and digits of other scripts (``٩٣``) are not numbers here, although Python's ``float`` reads
#: the latter: every loader reads a cell the same way.
_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d*)?(?:[eE][+-]?\d+)?", re.ASCII)
#: Words ``float`` reads as non-finite numbers: let through so the rules refuse them as "not a
#: finite number" (the clearer message) rather than "not a number".
_NON_FINITE = frozenset({"nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"})


def number_text(text: str) -> float:
    """A number written as text, read one way everywhere (see ``_NUMBER``).

    Raises ValueError for a decimal comma, digits outside 0-9, or any other text.
    """
    text = text.strip()
    if text.lower() in _NON_FINITE:
        return float(text)
    if not text or not any(ch.isdigit() for ch in text) or not _NUMBER.fullmatch(text):
        raise ValueError(f"{text!r} is not a number")
    return float(text.replace(",", ""))


def to_number(value) -> float | None:
    """A published cell as a number; the missing markers (``-``, ``*``, ``N/A``, ``[x]``...) are None.

    Raises ValueError for text that is neither a number nor a missing marker.
    """
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return None if pd.isna(value) else float(value)
    text = str(value).strip()
    if text in MISSING_MARKERS:
        return None
    if text.endswith("%"):
        text = text[:-1]
    return number_text(text)
