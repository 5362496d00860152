"""The meeting pack as an XLSX workbook for board papers: real numbers with number formats.

Sheets: ``Summary`` (one row per indicator), ``Actions due`` and ``Questions`` (as in the HTML
pack), one sheet per topic with the data behind every chart, ``Definitions``, ``Sources`` and
``About``. Percentages are stored as fractions with a percentage format (68.2% is the number
0.682, so it pastes and sums as a percentage), counts with thousands separators, periods as dates
formatted as months next to their label. A ``Demo`` column appears when any figure is
demonstration data. Text cells are formula-safe (``metrics.export``).

Topic sheets are written by ``metrics.workbook``, as Indicator detail's Excel download is.

The workbook is deterministic: the same pack gives the same bytes (the zip entries and the
document properties carry the pack's generated-at time, not the moment of saving).
"""

from __future__ import annotations

import io
import re
import zipfile

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from metrics.glossary import assurance_words, variation_words
from metrics.pack.gather import Pack
from metrics.pack.page import DEMO_NOTICE, DIRECTION_WORDS, generated_text
from metrics.workbook import (
    COUNT_FORMAT,
    DATE_FORMAT,
    DAY_FORMAT,
    DEMO_WORD,
    FIGURE_HEADERS,
    cell_value,
    change_format,
    count,
    figure_headers,
    value_format,
    write_indicator_rows,
)
from metrics.workbook import append as _append
from metrics.workbook import date as _date
from metrics.workbook import finish as _finish
from metrics.workbook import number as _number
from metrics.workbook import text as _text
from metrics.workbook import write_header as _write_header

__all__ = ["FIGURE_HEADERS", "TOPIC_HEADERS", "cell_value", "change_format", "pack_xlsx", "value_format"]

#: A topic sheet's columns: every indicator's figures as on Indicator detail's Excel (``metrics.workbook``).
TOPIC_HEADERS = FIGURE_HEADERS
SUMMARY_HEADERS = ["Topic", "Indicator", "Latest period", "Latest value", "Numerator", "Denominator",
                   "Period at the meeting", "Value at the meeting", "Change since the meeting", "Target",
                   "Target status", "Variation", "Assurance", "Summary", "Data currency"]  # fmt: skip
DEFINITION_HEADERS = ["Indicator", "Metric id", "Topic", "What it shows", "How it is calculated", "Unit",
                      "Which way is better", "Frequency", "Targets", "Series breaks", "Source", "Licence",
                      "Publication page"]  # fmt: skip
SOURCE_HEADERS = ["Publisher", "Publication", "Licence", "Publication page", "Periods", "First period",
                  "Last period", "Published", "File name", "Demo"]  # fmt: skip
QUESTION_HEADERS = ["Topic", "Indicator", "Question", "The figures"]
ACTION_HEADERS = ["Where it stands", "Action", "Owner", "Due", "Indicators", "Agreed at the meeting of"]


def pack_xlsx(pack: Pack) -> bytes:
    """The workbook as bytes (see the module docstring)."""
    wb = Workbook()
    wb.remove(wb.active)
    demo = pack.demo
    _summary_sheet(wb.create_sheet("Summary"), pack, demo)
    _actions_sheet(wb.create_sheet("Actions due"), pack)
    _questions_sheet(wb.create_sheet("Questions"), pack)
    for topic in pack.topics:
        ws = wb.create_sheet(_sheet_name(topic.name))
        _write_header(ws, figure_headers(demo))
        for item in topic.items:
            write_indicator_rows(ws, item.indicator, pack.sources, pack.demo_source_ids, demo)
        _finish(ws)
    _definitions_sheet(wb.create_sheet("Definitions"), pack)
    _sources_sheet(wb.create_sheet("Sources"), pack)
    _about_sheet(wb.create_sheet("About"), pack)
    wb.properties.creator = "LLR health-system performance dashboard"
    wb.properties.title = f"Meeting pack: {pack.area_name}, changes since the meeting on {pack.meeting_date:%d %B %Y}"
    wb.properties.created = pack.generated_at
    buffer = io.BytesIO()
    wb.save(buffer)
    return _fixed_times(buffer.getvalue(), pack)


def _sheet_name(name: str) -> str:
    """Excel forbids ``[]:*?/\\`` in sheet names and allows 31 characters."""
    return re.sub(r"[\[\]:*?/\\]", " ", name)[:31]


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
                count(r["latest_numerator"]),
                count(r["latest_denominator"]),
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


def _actions_sheet(ws: Worksheet, pack: Pack) -> None:
    """Open actions overdue or due before the next meeting (as in the HTML pack)."""
    _write_header(ws, ACTION_HEADERS)
    due = pack.actions
    names = pack.catalogue.metric_by_id
    for r in [] if due is None else due.to_dict("records"):
        linked = "; ".join(names[m].name if m in names else m for m in str(r["metrics"] or "").split(";") if m)
        _append(
            ws,
            [_text(r["standing"]), _text(r["action"]), _text(r["owner"]), _date(r["due_date"]), _text(linked),
             _date(r["meeting_date"])],
            {4: DAY_FORMAT, 6: DAY_FORMAT},
        )  # fmt: skip
    _finish(ws)


def _questions_sheet(ws: Worksheet, pack: Pack) -> None:
    """One row per suggested question: topic, indicator, question, the figures."""
    _write_header(ws, QUESTION_HEADERS)
    for q in pack.questions:
        ws.append([_text(q.topic), _text(q.indicator), _text(q.text), _text(q.figures)])
    _finish(ws)


def _about_sheet(ws: Worksheet, pack: Pack) -> None:
    _write_header(ws, ["Item", "Value"])
    rows = [
        ("Title", f"Meeting pack: {pack.area_name}"),
        ("Area", pack.area_name),
        ("Last meeting", f"{pack.meeting_date.day} {pack.meeting_date:%B %Y} (changes are since then)"),
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
