"""Limits on untrusted input files, checked before any parser sees the file.

A spreadsheet is a zip archive of XML: a 1.5 KB ``.xlsx`` whose only cell is at XFD1048576 makes the
calamine reader allocate a grid of 17 billion cells, and a 2 MB zip bomb inflates to gigabytes. So
workbooks and compressed R files are inspected by streaming their content (never trusting the sizes
the archive declares) and refused, with the limit named, before they are parsed.

Every limit has a default here and can be changed with an environment variable of the same name
prefixed ``LLR_`` (e.g. ``LLR_MAX_SHEET_CELLS=10000000``); the README lists them.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from loaders.base import LoadError

#: One megabyte, for every file-size limit: the upload widget counts in decimal megabytes (as the
#: browser shows sizes), so the command line, the fetcher and the page all do too. A file one of
#: them accepts is never refused by another for its size.
BYTES_PER_MB = 1_000_000


def file_bytes(megabytes: float) -> int:
    """A size limit in megabytes (``settings.max_file_mb``, ``--max-mb``) in bytes."""
    return int(megabytes * BYTES_PER_MB)


def megabytes(size: int) -> str:
    """A size in the same megabytes as the limits: ``49.9 MB``."""
    return f"{size / BYTES_PER_MB:.1f} MB"


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(f"LLR_{name}")
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"environment variable LLR_{name}='{raw}' is not a number") from None
    if value <= 0:
        raise ValueError(f"environment variable LLR_{name}='{raw}' must be above zero")
    return value


@dataclass(frozen=True)
class Limits:
    """The caps on one input file (see the module docstring for the environment overrides)."""

    max_zip_entries: int = 1000
    max_uncompressed_mb: float = 200.0
    max_compression_ratio: float = 200.0
    max_sheet_cells: int = 5_000_000
    parse_memory_mb: float = 2048.0
    parse_seconds: float = 120.0
    max_errors_reported: int = 20
    #: Organisations one file may give for one metric and period: the largest publication loaded
    #: (KH03) has under 300, so a file with thousands is invented or damaged, not a bigger England.
    max_organisations: int = 2000

    @classmethod
    def from_environment(cls) -> Limits:
        """The defaults, overridden by ``LLR_MAX_ZIP_ENTRIES``, ``LLR_PARSE_MEMORY_MB`` and so on."""
        defaults = cls()
        values = {}
        for name in cls.__dataclass_fields__:
            default = getattr(defaults, name)
            number = _env_number(name.upper(), default)
            values[name] = int(number) if isinstance(default, int) else number
        return cls(**values)


#: Streaming chunk size; compression ratios are only judged once an entry is past this size, so
#: small, highly repetitive XML parts (styles, empty sheets) are never refused.
_CHUNK = 1 << 20
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]{1,4})(\d{1,8})(?::([A-Z]{1,4})(\d{1,8}))?"')
_CELL_REF = re.compile(rb'<(?:\w+:)?c\s[^>]*?\br="([A-Z]{1,4})(\d{1,8})"')
_CELL_TAG = re.compile(rb"<(?:\w+:)?c[\s>/]")


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def inspect_file(path: Path, kind: str, limits: Limits | None = None) -> None:
    """Refuse a workbook or compressed R file that breaks a limit, or that is damaged.

    Parameters
    ----------
    path : Path
    kind : str
        ``Peek.kind`` of the file: ``xlsx`` and ``rda`` are inspected; other kinds pass.
    limits : Limits, optional
        Defaults to :meth:`Limits.from_environment`.

    Raises
    ------
    LoadError
        Naming the file and the limit hit, or saying the file is damaged or truncated.
    """
    limits = limits or Limits.from_environment()
    if kind == "xlsx":
        _inspect_xlsx(Path(path), limits)
    elif kind == "rda":
        _inspect_rda(Path(path), limits)


def _inspect_xlsx(path: Path, limits: Limits) -> None:
    name = path.name
    cap = int(limits.max_uncompressed_mb * 1048576)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise LoadError(
            "the workbook is damaged or truncated: it is not a complete .xlsx (zip) file; download or save it again",
            file=name,
        ) from None
    with archive:
        entries = archive.infolist()
        if len(entries) > limits.max_zip_entries:
            raise LoadError(
                f"the workbook holds {len(entries)} parts, over the limit of {limits.max_zip_entries} "
                "(LLR_MAX_ZIP_ENTRIES); it was not read",
                file=name,
            )
        total = 0
        for entry in entries:
            is_sheet = entry.filename.startswith("xl/worksheets/") and entry.filename.endswith(".xml")
            scan = _SheetScan() if is_sheet else None
            size = 0
            try:
                with archive.open(entry) as stream:
                    while chunk := stream.read(_CHUNK):
                        size += len(chunk)
                        total += len(chunk)
                        if total > cap:
                            raise LoadError(
                                f"the workbook unpacks to more than {limits.max_uncompressed_mb:g} MB "
                                "(LLR_MAX_UNCOMPRESSED_MB); it was not read",
                                file=name,
                            )
                        if size > _CHUNK and size > limits.max_compression_ratio * max(entry.compress_size, 1):
                            raise LoadError(
                                f"part '{entry.filename}' of the workbook is compressed more than "
                                f"{limits.max_compression_ratio:g} to 1 (LLR_MAX_COMPRESSION_RATIO), "
                                "as a zip bomb is; it was not read",
                                file=name,
                            )
                        if scan is not None:
                            scan.feed(chunk, entry.filename, name, limits)
            except LoadError:
                raise
            except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError, RuntimeError) as exc:
                raise LoadError(
                    f"the workbook is damaged or truncated (part '{entry.filename}': {_short(exc)}); "
                    "download or save it again",
                    file=name,
                ) from None


def _short(exc: Exception, width: int = 80) -> str:
    text = str(exc) or exc.__class__.__name__
    return text if len(text) <= width else text[: width - 1] + "…"


def _new_matches(pattern: re.Pattern, data: bytes, start: int) -> list:
    """``pattern.findall(data)`` without the matches that end by ``start`` (already seen in the
    previous chunk), in the same order and with the same groups as ``finditer`` gives them.

    Only the first few matches can end inside the overlap, so they are stepped through; the rest
    are collected by ``findall`` from where ``finditer`` would resume.
    """
    for m in pattern.finditer(data):
        if m.end() > start:
            first = m.groups() if pattern.groups > 1 else (m[1] if pattern.groups else m[0])
            return [first, *pattern.findall(data, m.end())]
    return []


class _SheetScan:
    """Tracks a worksheet's declared dimension, cell count and extent across streamed chunks."""

    def __init__(self) -> None:
        self.tail = b""
        self.cells = 0
        self.max_row = 0
        self.max_col = 0

    def feed(self, chunk: bytes, part: str, file: str, limits: Limits) -> None:
        # Keep a short overlap so a tag split across two chunks is still seen (counted once:
        # only matches that start in the new bytes are counted).
        data = self.tail + chunk
        start = len(self.tail)
        # A dimension needs the word, and a plain substring search is far quicker than the pattern.
        for m in _DIMENSION.finditer(data) if b"dimension" in data else ():
            if m.end() <= start:
                continue
            first_col, first_row = _column_number(m[1]), int(m[2])
            last_col, last_row = (_column_number(m[3]), int(m[4])) if m[3] else (first_col, first_row)
            area = (last_row - first_row + 1) * (last_col - first_col + 1)
            if area > limits.max_sheet_cells:
                self._refuse(f"declares a range of {area:,} cells", part, file, limits)
        self.cells += len(_new_matches(_CELL_TAG, data, start))
        refs = _new_matches(_CELL_REF, data, start)
        if refs:
            # Each distinct row number and column once: a sheet repeats a few columns and rows
            # across hundreds of thousands of cells, and a Python step per cell cost more than the
            # workbook's parse.
            self.max_row = max(self.max_row, max(map(int, {digits for _, digits in refs})))
            self.max_col = max(self.max_col, max(map(_column_number, {letters for letters, _ in refs})))
        if self.cells > limits.max_sheet_cells:
            self._refuse(f"has more than {self.cells:,} cells", part, file, limits)
        if self.max_row * self.max_col > limits.max_sheet_cells:
            self._refuse(
                f"has a cell at row {self.max_row:,}, column {self.max_col:,} "
                f"(a grid of {self.max_row * self.max_col:,} cells)",
                part,
                file,
                limits,
            )
        self.tail = data[-256:]

    @staticmethod
    def _refuse(what: str, part: str, file: str, limits: Limits) -> None:
        raise LoadError(
            f"worksheet '{part}' {what}, over the limit of {limits.max_sheet_cells:,} cells "
            "(LLR_MAX_SHEET_CELLS); it was not read",
            file=file,
        )


def _inspect_rda(path: Path, limits: Limits) -> None:
    """Stream-decompress an R data file: refuse it when truncated or when it inflates past the cap."""
    name = path.name
    cap = int(limits.max_uncompressed_mb * 1048576)
    head = path.read_bytes()[:6]
    if head[:2] == b"\x1f\x8b":
        opener = gzip.open
    elif head[:3] == b"BZh":
        opener = bz2.open
    elif head[:6] == b"\xfd7zXZ\x00":
        opener = lzma.open
    else:
        return  # an uncompressed RDX file: its size is already capped
    size = 0
    try:
        with opener(path, "rb") as stream:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > cap:
                    raise LoadError(
                        f"the R data file unpacks to more than {limits.max_uncompressed_mb:g} MB "
                        "(LLR_MAX_UNCOMPRESSED_MB); it was not read",
                        file=name,
                    )
    except LoadError:
        raise
    except (EOFError, OSError, lzma.LZMAError, ValueError) as exc:
        raise LoadError(
            f"the R data file is damaged or truncated ({_short(exc)}); download it again", file=name
        ) from None
