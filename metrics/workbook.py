"""One writer of figures into Excel workbooks: Indicator detail's Excel download and the meeting pack's.

An indicator's rows are written the same way wherever they go (:func:`write_indicator_rows`), so
the page's workbook and the pack's topic sheet hold the same columns, values and number formats:

- a percentage is a fraction formatted as a percentage (78.8% is the number 0.788), so it pastes
  and sums as a percentage; other figures keep their unit's format (``#,##0``, ``£#,##0``);
- the period is its label and, beside it, its first day as a real date formatted as a month;
- numerators and denominators are whole counts with thousands separators;
- the SPC mean and limits are the read layer's own, unrounded (only the format rounds them);
- text is formula-safe (``metrics.export.neutralise_text``);
- a ``Demo`` column marks each row with a demonstration figure whenever any are present.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from metrics.catalogue import Metric
from metrics.export import neutralise_text
from metrics.query import Indicator
from metrics.tables import figures_table, source_descriptions, source_text

COUNT_FORMAT = "#,##0"
DATE_FORMAT = "mmm yyyy"
DAY_FORMAT = "d mmm yyyy"
DEMO_WORD = "demo"
DEMO_HEADER = "Demo"
HEADER_FILL = PatternFill("solid", fgColor="E8EDEE")
WRAP = Alignment(wrap_text=True, vertical="top")
MAX_WIDTH = 60
#: The columns of an indicator's figures, on the page's workbook and the pack's topic sheets alike.
FIGURE_HEADERS = ["Indicator", "Metric id", "Period", "Period start", "Value", "Numerator", "Denominator",
                  "Target", "Mean", "Lower process limit", "Upper process limit", "Signal", "Rule", "Note",
                  "Source"]  # fmt: skip
WRAPPED = {"Question", "The figures", "Action", "Summary", "What it shows", "How it is calculated", "Targets",
           "Series breaks", "Note", "Rule", "Data currency", "Target status", "Source"}  # fmt: skip


def value_format(metric: Metric) -> str:
    """The Excel number format of a metric's figures: ``0.0%``, ``#,##0``, ``£#,##0``..."""
    decimals = "." + "0" * metric.decimals if metric.decimals else ""
    if metric.unit == "percent":
        return f"0{decimals}%"
    if metric.unit == "gbp":
        return f"£#,##0{decimals}"
    return f"#,##0{decimals}"


def change_format(metric: Metric) -> str:
    """A signed change in the metric's unit; percentages change by percentage points."""
    decimals = "." + "0" * metric.decimals if metric.decimals else ""
    if metric.unit == "percent":
        return f'+0{decimals}" pts";-0{decimals}" pts";0{decimals}" pts"'
    base = f"#,##0{decimals}"
    return f"+{base};-{base};{base}"


def cell_value(value, metric: Metric):
    """A metric's figure as stored in a cell: percentages as fractions, missing as blank."""
    if value is None or pd.isna(value):
        return None
    return float(value) / 100 if metric.unit == "percent" else float(value)


def number(value):
    """A number for a cell (missing as blank)."""
    return None if value is None or pd.isna(value) else float(value)


def count(value):
    """A count for a cell: a whole number when it is one (``18680``, not ``18680.0``), missing as blank."""
    if value is None or pd.isna(value):
        return None
    value = float(value)
    return int(value) if value.is_integer() else value


def date(value):
    """A date for a cell (missing as blank)."""
    return None if value is None or pd.isna(value) else pd.Timestamp(value).to_pydatetime()


def text(value):
    """Formula-safe text for a cell (missing as blank)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return neutralise_text(str(value))


def write_header(ws: Worksheet, headers: list[str]) -> None:
    """A bold, shaded, frozen header row."""
    ws.append([text(h) for h in headers])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"


def append(ws: Worksheet, values: list, formats: dict[int, str]) -> None:
    """Append a row and set the number format of its numeric columns (1-based)."""
    cells = []
    for col, value in enumerate(values, 1):
        cell = Cell(ws, value=value)
        if col in formats:
            cell.number_format = formats[col]
        cells.append(cell)
    ws.append(cells)


def figure_headers(demo: bool) -> list[str]:
    """:data:`FIGURE_HEADERS`, with the ``Demo`` column when any figure is demonstration data."""
    return FIGURE_HEADERS + ([DEMO_HEADER] if demo else [])


def write_indicator_rows(
    ws: Worksheet,
    ind: Indicator,
    sources: pd.DataFrame | None,
    demo_ids: set[int],
    demo: bool,
    start_year: int | None = None,
) -> None:
    """Append an indicator's figures (from April of ``start_year``; all by default) under
    :func:`figure_headers`: one row per period, the same on the page's workbook and the pack's.

    Parameters
    ----------
    ws : Worksheet
    ind : Indicator
        The read layer's indicator (``metrics.query.indicator``).
    sources : DataFrame or None
        The ``source`` table (``id``, ``publisher``, ``publication``, ``file_name``): each row names
        the files its figure came from.
    demo_ids : set of int
        Ids of demonstration sources.
    demo : bool
        Whether the sheet has the ``Demo`` column.
    start_year : int, optional
        The page's "Show from" year.
    """
    m = ind.metric
    frame = ind.window(start_year)
    figures = figures_table(ind, start_year)  # the signal, rule and note in words, row for row
    signals, rules, notes = (figures[c].tolist() for c in ("Signal", "Rule", "Note"))
    fmt = value_format(m)
    formats = {4: DATE_FORMAT, 5: fmt, 6: COUNT_FORMAT, 7: COUNT_FORMAT, 8: fmt, 9: fmt, 10: fmt, 11: fmt}
    have_sources = sources is not None and len(sources) > 0
    described = source_descriptions(sources) if have_sources else {}
    for i, r in enumerate(frame.itertuples(index=False)):
        ids = [int(s) for s in r.source_ids]
        values = [
            text(m.name),
            text(m.id),
            text(r.period_label),
            date(r.period_start),
            cell_value(r.value, m),
            count(r.numerator),
            count(r.denominator),
            cell_value(r.target, m),
            cell_value(r.mean, m),
            cell_value(r.lpl, m),
            cell_value(r.upl, m),
            text(signals[i]),
            text(rules[i] or None),
            text(notes[i] or None),
            text(source_text(ids, described) or None) if have_sources else None,
        ]
        if demo:
            values.append(DEMO_WORD if demo_ids & set(ids) else None)
        append(ws, values, formats)


def finish(ws: Worksheet) -> None:
    """Column widths from the longest entry (capped), long text wrapped."""
    headers = [c.value for c in ws[1]]
    longest = [8] * len(headers)
    wrapped = [h in WRAPPED for h in headers]
    for row in ws.iter_rows(min_row=1):
        for i, cell in enumerate(row):
            if cell.value is None:
                continue
            longest[i] = max(longest[i], len(str(cell.value)) if isinstance(cell.value, str) else 12)
            if wrapped[i] and cell.row > 1:
                cell.alignment = WRAP
    for i, width in enumerate(longest):
        ws.column_dimensions[get_column_letter(i + 1)].width = min(max(width + 2, 10), MAX_WIDTH)


def demo_source_ids(sources: pd.DataFrame | None) -> set[int]:
    """Ids of the demonstration sources in a ``source`` table."""
    if sources is None or not len(sources) or "is_demo" not in sources:
        return set()
    return set(sources.loc[sources["is_demo"].astype(bool), "id"].astype(int))


def indicator_xlsx(
    ind: Indicator,
    sources: pd.DataFrame | None,
    about: dict[str, str] | None = None,
    start_year: int | None = None,
    sheet: str = "Figures",
) -> bytes:
    """Indicator detail's Excel download: the figures sheet the pack's topic sheet has for this
    indicator (:func:`write_indicator_rows`), then an ``About`` sheet (title, sources, licences).

    The ``Demo`` column appears when any of the indicator's figures shown is demonstration data.
    """
    demo_ids = demo_source_ids(sources)
    rows_ids: Iterable = ind.window(start_year)["source_ids"]
    demo = any(demo_ids & {int(s) for s in ids} for ids in rows_ids)
    wb = Workbook()
    ws = wb.active
    ws.title = sheet[:31]
    write_header(ws, figure_headers(demo))
    write_indicator_rows(ws, ind, sources, demo_ids, demo, start_year)
    finish(ws)
    if about:
        info = wb.create_sheet("About")
        write_header(info, ["Item", "Value"])
        for key, value in about.items():
            info.append([text(key), text(value)])
        finish(info)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
