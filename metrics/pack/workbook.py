"""The meeting pack as an XLSX workbook for board papers: real numbers with number formats.

Sheets: ``Summary`` (one row per indicator), one sheet per topic with the data behind every
chart, ``Definitions``, ``Sources`` and ``About``. Percentages are stored as fractions with a
percentage format (68.2% is the number 0.682, so it pastes and sums as a percentage), counts with
thousands separators, periods as dates formatted as months next to their label. A ``Demo`` column
appears when any figure is demonstration data. Text cells are formula-safe (``metrics.export``).

The workbook is deterministic: the same pack gives the same bytes (the zip entries and the
document properties carry the pack's generated-at time, not the moment of saving).
"""

from __future__ import annotations

import io
import re
import zipfile

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from metrics.catalogue import Metric
from metrics.export import neutralise_text
from metrics.glossary import assurance_words, variation_words
from metrics.pack.gather import Pack, PackItem
from metrics.pack.page import DEMO_NOTICE, DIRECTION_WORDS, generated_text

COUNT_FORMAT = "#,##0"
DATE_FORMAT = "mmm yyyy"
DAY_FORMAT = "d mmm yyyy"
DEMO_WORD = "demo"
HEADER_FILL = PatternFill("solid", fgColor="E8EDEE")
WRAP = Alignment(wrap_text=True, vertical="top")
MAX_WIDTH = 60
#: Columns holding the metric's own figure (value, target, mean, limits): formatted by its unit.
TOPIC_HEADERS = ["Indicator", "Metric id", "Period", "Period start", "Value", "Numerator", "Denominator",
                 "Target", "Mean", "Lower process limit", "Upper process limit", "Signal", "Rule", "Note"]  # fmt: skip
SUMMARY_HEADERS = ["Topic", "Indicator", "Latest period", "Latest value", "Numerator", "Denominator",
                   "Period at the meeting", "Value at the meeting", "Change since the meeting", "Target",
                   "Target status", "Variation", "Assurance", "Summary", "Data currency"]  # fmt: skip
DEFINITION_HEADERS = ["Indicator", "Metric id", "Topic", "What it shows", "How it is calculated", "Unit",
                      "Which way is better", "Frequency", "Targets", "Series breaks", "Source", "Licence",
                      "Publication page"]  # fmt: skip
SOURCE_HEADERS = ["Publisher", "Publication", "Licence", "Publication page", "Periods", "First period",
                  "Last period", "Published", "File name", "Demo"]  # fmt: skip
WRAPPED = {"Summary", "What it shows", "How it is calculated", "Targets", "Series breaks", "Note", "Rule",
           "Data currency", "Target status"}  # fmt: skip


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


def _number(value):
    return None if value is None or pd.isna(value) else float(value)


def _date(value):
    return None if value is None or pd.isna(value) else pd.Timestamp(value).to_pydatetime()


def pack_xlsx(pack: Pack) -> bytes:
    """The workbook as bytes (see the module docstring)."""
    wb = Workbook()
    wb.remove(wb.active)
    demo = pack.demo
    _summary_sheet(wb.create_sheet("Summary"), pack, demo)
    for topic in pack.topics:
        ws = wb.create_sheet(_sheet_name(topic.name))
        _write_header(ws, TOPIC_HEADERS + (["Demo"] if demo else []))
        for item in topic.items:
            _topic_rows(ws, item, pack.demo_source_ids, demo)
        _finish(ws)
    _definitions_sheet(wb.create_sheet("Definitions"), pack)
    _sources_sheet(wb.create_sheet("Sources"), pack)
    _about_sheet(wb.create_sheet("About"), pack)
    wb.properties.creator = "LLR health-system performance dashboard"
    wb.properties.title = f"Meeting pack: {pack.area_name}, {pack.meeting_date:%d %B %Y}"
    wb.properties.created = pack.generated_at
    buffer = io.BytesIO()
    wb.save(buffer)
    return _fixed_times(buffer.getvalue(), pack)


def _sheet_name(name: str) -> str:
    """Excel forbids ``[]:*?/\\`` in sheet names and allows 31 characters."""
    return re.sub(r"[\[\]:*?/\\]", " ", name)[:31]


def _text(value):
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return neutralise_text(str(value))


def _write_header(ws: Worksheet, headers: list[str]) -> None:
    ws.append([_text(h) for h in headers])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"


def _append(ws: Worksheet, values: list, formats: dict[int, str]) -> None:
    """Append a row and set the number format of its numeric columns (1-based)."""
    cells = []
    for col, value in enumerate(values, 1):
        cell = Cell(ws, value=value)
        if col in formats:
            cell.number_format = formats[col]
        cells.append(cell)
    ws.append(cells)


def _summary_sheet(ws: Worksheet, pack: Pack, demo: bool) -> None:
    _write_header(ws, SUMMARY_HEADERS + (["Demo"] if demo else []))
    for topic in pack.topics:
        for item in topic.items:
            m, r = item.indicator.metric, item.row
            values = [
                _text(topic.name),
                _text(m.name),
                _text(r["latest_label"]),
                cell_value(r["latest_value"], m),
                _number(r["latest_numerator"]),
                _number(r["latest_denominator"]),
                _text(r["meeting_label"] or None),
                cell_value(r["meeting_value"], m),
                _number(r["change"]),
                cell_value(r["target"], m),
                _text(r["status_text"]),
                _text(variation_words(r["variation"])),
                _text(assurance_words(r["assurance"]) or None),
                _text(r["summary"]),
                _text(f"{r['currency_badge']}: {r['currency_text']}" if r["currency_text"] else None),
            ]
            if demo:
                values.append(DEMO_WORD if item.demo else None)
            fmt = value_format(m)
            _append(ws, values, {4: fmt, 5: COUNT_FORMAT, 6: COUNT_FORMAT, 8: fmt, 9: change_format(m), 10: fmt})
    _finish(ws)


def _topic_rows(ws: Worksheet, item: PackItem, demo_ids: set[int], demo: bool) -> None:
    ind, m = item.indicator, item.indicator.metric
    figures = item.figures  # the same rows as the series, in the same order
    signals, rules, notes = (figures[c].tolist() for c in ("Signal", "Rule", "Note"))
    fmt = value_format(m)
    formats = {4: DATE_FORMAT, 5: fmt, 6: COUNT_FORMAT, 7: COUNT_FORMAT, 8: fmt, 9: fmt, 10: fmt, 11: fmt}
    for i, r in enumerate(ind.series.itertuples(index=False)):
        values = [
            _text(m.name),
            _text(m.id),
            _text(r.period_label),
            _date(r.period_start),
            cell_value(r.value, m),
            _number(r.numerator),
            _number(r.denominator),
            cell_value(r.target, m),
            cell_value(r.mean, m),
            cell_value(r.lpl, m),
            cell_value(r.upl, m),
            _text(signals[i]),
            _text(rules[i] or None),
            _text(notes[i] or None),
        ]
        if demo:
            values.append(DEMO_WORD if demo_ids & {int(s) for s in r.source_ids} else None)
        _append(ws, values, formats)


def _definitions_sheet(ws: Worksheet, pack: Pack) -> None:
    _write_header(ws, DEFINITION_HEADERS)
    cat = pack.catalogue
    for item in pack.items:
        m = item.indicator.metric
        src = cat.sources[m.source]
        targets = "; ".join(
            f"{t.kind} {t.value:g} from {t.valid_from:%d %b %Y}"
            + (f" to {t.valid_to:%d %b %Y}" if t.valid_to else "")
            + (f" ({cat.organisation_by_code[t.org_code].name})" if t.org_code else "")
            + f": {t.source_text}"
            for t in m.targets
        )
        breaks = "; ".join(f"{b.date:%B %Y}: {b.reason}" for b in m.series_breaks)
        ws.append(
            [
                _text(v or None)
                for v in (
                    m.name,
                    m.id,
                    m.topic_name,
                    m.description,
                    m.definition,
                    m.unit.replace("_", " "),
                    DIRECTION_WORDS[m.improvement_direction],
                    m.frequency,
                    targets,
                    breaks,
                    f"{src.publisher}: {src.publication}",
                    src.licence,
                    src.url,
                )
            ]  # fmt: skip
        )
    _finish(ws)


def _sources_sheet(ws: Worksheet, pack: Pack) -> None:
    _write_header(ws, SOURCE_HEADERS)
    for r in pack.sources.itertuples(index=False):
        _append(
            ws,
            [
                _text(r.publisher),
                _text(r.publication),
                _text(r.licence),
                _text(r.url or None),
                _text(r.periods or None),
                _date(r.period_from),
                _date(r.period_to),
                _date(r.published),
                _text(r.file_name),
                DEMO_WORD if bool(r.is_demo) else None,
            ],
            {6: DATE_FORMAT, 7: DATE_FORMAT, 8: DAY_FORMAT},
        )
    _finish(ws)


def _about_sheet(ws: Worksheet, pack: Pack) -> None:
    _write_header(ws, ["Item", "Value"])
    rows = [
        ("Title", f"Meeting pack: {pack.area_name}"),
        ("Area", pack.area_name),
        ("Meeting", f"{pack.meeting_date.day} {pack.meeting_date:%B %Y}"),
        ("Topics", "; ".join(t.name for t in pack.topics)),
        ("Generated", generated_text(pack)),
        (
            "Figures",
            "Percentages are stored as fractions with a percentage format (68.2% is 0.682); changes in "
            "percentages are in percentage points. The data behind each chart is on its topic's sheet.",
        ),
    ]
    if pack.demo:
        rows.append(("Demonstration data", DEMO_NOTICE))
    for key, value in rows:
        ws.append([_text(key), _text(value)])
    _finish(ws)


def _finish(ws: Worksheet) -> None:
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


def _fixed_times(content: bytes, pack: Pack) -> bytes:
    """The same bytes for the same pack: zip entry times and document times set to generated-at."""
    stamp = pack.generated_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    when = pack.generated_at.timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = data.decode("utf-8")
                text = re.sub(r"(<dcterms:modified[^>]*>)[^<]*", rf"\g<1>{stamp}", text)
                data = text.encode("utf-8")
            fixed = zipfile.ZipInfo(info.filename, date_time=when)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            dst.writestr(fixed, data)
    return out.getvalue()
