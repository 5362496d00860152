"""NHS England Organisation Data Service "NHS Trusts" extract (``etr.csv``): every NHS trust in
England, open and closed, with its region and integrated care board.

Layout (ODS standard extract): CSV with **no header row**, 27 quoted columns. Used here:

- column 1: organisation code (``RWE``)
- column 2: name (upper case in the file; stored as written)
- column 3: national grouping, the NHS England region (``Y60``)
- column 4: high-level health geography, the integrated care board (``QK1``; since 2026 a merged
  board has a five-character code)
- column 11: open date, column 12: close date (``YYYYMMDD``; blank while open)

Recognised by content (the extract has no header to match): 27 cells in the first line, an ODS
code in column 1, a region code or blank in column 3 and an 8-digit open date in column 11.

What is stored: each trust as an organisation (kind ``trust``) with its open and close dates, and
a membership trust -> ICB (relation ``trust_icb``) valid from the open date to the close date.
ODS gives only the board a trust belongs to now (or when it closed), so a trust counts in its
board for the whole time it was open, with one exception: the boards formed by the mergers of
1 April 2026 (:data:`MERGED_BOARDS_FROM`; NHS England, "Integrated care system boundary changes
and mergers procedure", 2025: mergers "to take effect on 1 April 2026"). A trust the extract lists
under such a board counts in the board it belonged to before (``loaders/reference/
ods_trust_icb_before_2026.csv``, column 4 of the ODS extract of December 2025) until 31 March 2026
and in the merged board from 1 April 2026 (from its own open date if later; a trust that closed
before the merger never counts in the merged board). A merged trust and its predecessors each
hold their own open and close dates, so figures of a predecessor count in its board until it
closed and those of its successor from the day it opened.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from functools import cache
from pathlib import Path

import pandas as pd

from loaders.base import LoadError, Peek, decode_text
from loaders.reference_tools import ods_date, reference_result
from metrics.areas import MERGED_BOARDS_FROM
from metrics.catalogue import Catalogue

NAME = "ods_trusts"
SOURCE_KEY = "ods"
COLUMNS = 27
_CODE = re.compile(r"^[A-Z0-9]{3,5}$")
_DATE = re.compile(r"^\d{8}$")
#: Each trust's board before the 2026 mergers, for trusts ODS now lists under a merged board.
BEFORE_2026 = Path(__file__).parent / "reference" / "ods_trust_icb_before_2026.csv"


@cache
def boards_before_2026() -> dict[str, tuple[str, str]]:
    """``{trust: (board before 1 April 2026, merged board from then)}`` from :data:`BEFORE_2026`."""
    with open(BEFORE_2026, encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    return {r["code"]: (r["icb_before"], r["icb_from_2026"]) for r in csv.DictReader(lines)}


def board_spans(
    code: str, icb: str, opened: dt.date | None, closed: dt.date | None
) -> list[tuple[str, dt.date | None, dt.date | None]]:
    """The boards a trust counted in, each with its first and last day (None: open-ended).

    One span (its board, from opening to closing) unless the extract lists it under a board formed
    by the 2026 mergers: then its board before the merger until 31 March 2026 and the merged board
    from 1 April 2026, each only when the trust was open then.
    """
    before, merged = boards_before_2026().get(code, (None, None))
    if before is None or merged != icb:
        return [(icb, opened, closed)]
    last_before = MERGED_BOARDS_FROM - dt.timedelta(days=1)
    spans = []
    if opened is None or opened <= last_before:
        spans.append((before, opened, closed if closed is not None and closed <= last_before else last_before))
    if closed is None or closed >= MERGED_BOARDS_FROM:
        spans.append((icb, max(opened, MERGED_BOARDS_FROM) if opened else MERGED_BOARDS_FROM, closed))
    return spans


def sniff(peek: Peek) -> bool:
    if peek.kind != "csv":
        return False
    cells = peek.header_cells
    return (
        len(cells) == COLUMNS
        and bool(_CODE.match(cells[0]))
        and bool(_DATE.match(cells[10]))
        and (cells[11] == "" or bool(_DATE.match(cells[11])))
        and cells[2][:1] in ("Y", "")
    )


def read(path: Path) -> pd.DataFrame:
    """Every row as 27 strings; ``attrs['file']`` names the file."""
    path = Path(path)
    text = decode_text(path.read_bytes())
    rows = list(csv.reader(io.StringIO(text)))
    frame = pd.DataFrame(rows)
    frame.attrs["file"] = path.name
    return frame


def normalise(raw: pd.DataFrame, catalogue: Catalogue):
    """Trusts and their ICB memberships (see the module docstring).

    Raises
    ------
    LoadError
        A row without 27 columns, a code that is not an ODS code, or a date that is not YYYYMMDD.
    """
    file = raw.attrs.get("file", "etr.csv")
    if raw.shape[1] != COLUMNS:
        raise LoadError(f"expected {COLUMNS} columns (the ODS extract layout), found {raw.shape[1]}", file=file)
    organisations, memberships = [], []
    seen: set[str] = set()
    for i, row in enumerate(raw.itertuples(index=False)):
        line = i + 1  # no header: the first row is row 1
        cells = ["" if c is None else str(c).strip() for c in row]
        if not any(cells):
            continue
        code, name, region, icb = cells[0], cells[1], cells[2], cells[3]
        if not _CODE.match(code):
            raise LoadError(f"'{code}' is not an ODS organisation code", file=file, row=line, column="1 (code)")
        if code in seen:
            raise LoadError(f"trust '{code}' appears twice", file=file, row=line, column="1 (code)")
        seen.add(code)
        opened = ods_date(cells[10], file, line, "11 (open date)")
        closed = ods_date(cells[11], file, line, "12 (close date)")
        organisations.append(
            {
                "code": code, "name": name, "kind": "trust", "ons_code": None,
                "region_code": region or None, "opened": opened, "closed": closed,
            }
        )  # fmt: skip
        if icb:
            memberships.extend(
                {
                    "member_code": code, "parent_code": board, "relation": "trust_icb",
                    "valid_from": first, "valid_to": last, "weight": 1.0,
                }
                for board, first, last in board_spans(code, icb, opened, closed)
            )  # fmt: skip
    if not organisations:
        raise LoadError("the extract has no trusts", file=file)
    latest = max((o["opened"] for o in organisations if o["opened"]), default=None)
    return reference_result(
        organisations,
        memberships,
        layout=(
            f"ODS NHS trusts extract ({len(organisations)} trusts, "
            f"{len({m['member_code'] for m in memberships})} with an ICB)"
        ),
        vintage=latest.isoformat() if latest else "",
        view=NAME,
    )
