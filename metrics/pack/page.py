"""The meeting pack as one self-contained HTML file: cover, summary, a section per topic, appendix.

Everything is inline (styles and SVG charts): the file opens offline and loads nothing from the
network; links to publications are links, not resources. Every data value goes through
``html.escape``. The print styles give an A4 page per section with no chart split across pages;
page numbers are added by the PDF footer (``metrics.pack.pdf``), since Chromium's print ignores
CSS page-margin counters.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlsplit

import pandas as pd

from metrics import summary as summary_module
from metrics.card_html import CARD_CSS, card_html
from metrics.currency import day_text, periods_not_held
from metrics.glossary import ASSURANCE_WORDS, GLOSSARY, VARIATION_WORDS
from metrics.pack.gather import Pack, PackItem, PackTopic
from metrics.pack.svg import POINT_STYLES, marker, spc_svg
from metrics.spc import ICON_DESCRIPTIONS

DEMO_NOTICE = (
    "Demonstration data: some figures in this pack are generated demonstration data, not real statistics. "
    "They are marked “demo” wherever they appear."
)
DIRECTION_WORDS = {
    "increase": "Higher is better.",
    "decrease": "Lower is better.",
    "neutral": "Neither higher nor lower is better in itself.",
}
STYLE = """
@page { size: A4; margin: 14mm 14mm 18mm 14mm; }
* { box-sizing: border-box; }
body { font-family: Arial, Helvetica, sans-serif; color: #212b32; font-size: 10pt; line-height: 1.35;
       max-width: 182mm; margin: 0 auto; padding: 8mm 0; }
h1 { font-size: 22pt; color: #003087; margin: 0 0 4mm; }
h2 { font-size: 15pt; color: #003087; border-bottom: 2px solid #005EB8; padding-bottom: 1mm; margin: 0 0 3mm; }
h3 { font-size: 11.5pt; margin: 0 0 1.5mm; break-after: avoid; break-inside: avoid; }
section.page { break-before: page; }
section.page:first-of-type { break-before: auto; }
section.follows { break-before: auto; margin-top: 8mm; }
section.topic + section.topic { break-before: auto; margin-top: 6mm; }  /* topics run on: a short pack */
article.indicator { border-top: 1px solid #d8dde0; padding-top: 3mm; margin-bottom: 4mm; }
figure { margin: 0 0 2mm; break-inside: avoid; }
figure svg { width: 100%; height: auto; display: block; }
figcaption { font-size: 7.5pt; color: #425563; line-height: 1.25; }
dl.facts { display: grid; grid-template-columns: 32mm 1fr; gap: 0.4mm 3mm; margin: 0; font-size: 8.5pt;
           line-height: 1.25; }
dl.facts dt { font-weight: bold; break-after: avoid; }
dl.facts dd { margin: 0; break-inside: avoid; }
table { border-collapse: collapse; width: 100%; font-size: 8.5pt; }
th, td { border: 1px solid #d8dde0; padding: 1mm 1.5mm; text-align: left; vertical-align: top; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
table.files { font-size: 7pt; line-height: 1.25; table-layout: fixed; }
table.files td, table.files th { padding: 0.6mm 1mm; }
table.files td.names { font-size: 6.5pt; color: #425563; word-break: break-all; }
table.annex td.number { white-space: nowrap; }
.demo { background: #fff4e5; border: 2px solid #ED8B00; padding: 2mm 3mm; font-weight: bold; }
.demo-tag { color: #8a4f00; font-weight: bold; }
.meta { color: #425563; }
.summary li { margin-bottom: 1.5mm; }
ol.contents > li { margin-top: 1mm; }
.legend svg { vertical-align: middle; }
a { color: #005EB8; }
@media print { body { padding: 0; max-width: none; } a { color: inherit; text-decoration: none; } }
"""


#: The brief's card on paper: the same card, set tighter (the screen's sizes made the LLR pack a
#: page longer than the 25 a committee agenda can take).
PAPER_CARD_CSS = """
article.indicator .llr-card { font-size: 9pt; line-height: 1.3; }
article.indicator .llr-card .llr-value { font-size: 1.7em; }
article.indicator .llr-card .llr-spark { height: 2.2em; margin: 0.15em 0; }
article.indicator .llr-card p { margin: 0 0 0.3em; }
article.indicator .llr-card .llr-main { padding: 0.35em 0.6em; margin: 0.25em 0 0.4em; }
article.indicator .llr-card .llr-badges { margin-bottom: 0.35em; }
"""


def _e(value) -> str:
    """Escape a data value for HTML; missing values are an en dash."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    return escape(str(value))


def topic_anchor(topic_id: str) -> str:
    return f"topic-{topic_id}"


def item_anchor(metric_id: str) -> str:
    return f"indicator-{metric_id}"


def pack_html(pack: Pack) -> str:
    """The whole pack as an HTML document (see the module docstring)."""
    body = [
        _cover(pack),
        _summary(pack),
        _actions(pack),
        _questions(pack),
        *(_topic(pack, t) for t in pack.topics),
        _annex(pack),
        _appendix(pack),
    ]
    title = f"Meeting pack: {pack.area_name}, changes since the last meeting on {day_text(pack.meeting_date)}"
    return (
        '<!DOCTYPE html>\n<html lang="en-GB">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{STYLE}{CARD_CSS}{PAPER_CARD_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def generated_text(pack: Pack) -> str:
    """The cover's 'generated' line: the only thing that differs between two builds of one pack."""
    return f"Generated {pack.generated_at.day} {pack.generated_at:%B %Y at %H:%M}"


def since_text(pack: Pack) -> str:
    """``Changes since the last meeting on 1 September 2026``: the date given is the last meeting's,
    never the meeting the pack is for (that date is not known to the dashboard)."""
    return f"Changes since the last meeting on {day_text(pack.meeting_date)}"


def newest_held(pack: Pack) -> str:
    """The newest period held among the series still published: ``March 2026`` ('' when none)."""
    rows = [item.row for item in pack.items if not item.discontinued and pd.notna(item.row["latest_period"])]
    if not rows:
        return ""
    return max(rows, key=lambda r: pd.Timestamp(r["latest_period"]))["latest_label"]


def not_loaded(pack: Pack) -> list[str]:
    """One line per overdue publication: which periods were due by the day the pack was made but are
    not loaded (``metrics.currency.periods_not_held``), with the newest period held."""
    groups: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
    for item in pack.items:
        c = item.indicator.currency
        if not c.overdue:
            continue
        missing = periods_not_held(pack.catalogue, item.indicator.metric.id, c.latest_period, pack.today)
        names, periods = groups.setdefault((c.publication, c.latest_label), ([], missing))
        names.append(item.indicator.metric.name)
    lines = []
    for (publication, latest), (names, periods) in groups.items():
        if not periods:
            continue
        span = periods[0] if len(periods) == 1 else f"{periods[0]} to {periods[-1]}"
        count = _count(len(periods), "period")
        lines.append(
            f"{publication}: {span} not loaded yet ({count} due by {day_text(pack.today)}; newest held "
            f"{latest}; {_count(len(names), 'indicator')})."
        )
    return lines


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _cover(pack: Pack) -> str:
    contents = [
        '<li><a href="#summary">Summary</a></li>',
        '<li><a href="#actions">Actions due and overdue</a> and <a href="#questions">questions</a></li>',
    ]
    for topic in pack.topics:
        n = len(topic.charted)
        count = _count(n, "indicator") if n else "no figures for this area" if not topic.items else "no current series"
        contents.append(f'<li><a href="#{topic_anchor(topic.id)}">{_e(topic.name)}</a> ({count})</li>')
    if pack.discontinued:
        contents.append(
            f'<li><a href="#annex">Annex: discontinued series</a> ({_count(len(pack.discontinued), "indicator")})</li>'
        )
    contents.append('<li><a href="#appendix">Appendix: source files and glossary</a></li>')
    asof = "".join(f"<tr><td>{_e(topic.name)}</td><td>{_e(_as_of(topic))}</td></tr>" for topic in pack.topics)
    demo = f'<p class="demo">{_e(DEMO_NOTICE)}</p>' if pack.demo else ""
    newest = newest_held(pack)
    held = f"<p class=\"held\">Figures held up to <strong>{_e(newest)}</strong>.</p>" if newest else ""
    missing = not_loaded(pack)
    gaps = (
        '<p class="not-loaded">Not loaded yet, though published:</p><ul class="not-loaded">'
        + "".join(f"<li>{_e(line)}</li>" for line in missing)
        + "</ul>"
    ) if missing else ""  # fmt: skip
    return (
        '<section class="page cover" id="cover">'
        f"<h1>Meeting pack: {_e(pack.area_name)}</h1>"
        f'<p class="lead">Performance of the health and care system. <strong>{_e(since_text(pack))}</strong>.</p>'
        f"{held}{gaps}"
        f'<p class="meta generated"><time datetime="{pack.generated_at.isoformat()}">{_e(generated_text(pack))}'
        f"</time> from the published statistics loaded at that time.</p>"
        f"{demo}"
        f'<h2>Contents</h2><ol class="contents">{"".join(contents)}</ol>'
        "<h2>Data as of</h2>"
        '<table class="asof"><thead><tr><th>Topic</th><th>Latest figures</th></tr></thead>'
        f"<tbody>{asof}</tbody></table>"
        "</section>"
    )


def _as_of(topic: PackTopic) -> str:
    """The latest periods of a topic's indicators, newest first: ``March 2026 (5 indicators)``."""
    if not topic.items:
        return "No figures for this area"
    latest: dict[str, tuple[pd.Timestamp, int]] = {}
    for item in topic.items:
        label, start = item.row["latest_label"], item.row["latest_period"]
        latest[label] = (start, latest.get(label, (start, 0))[1] + 1)
    ordered = sorted(latest.items(), key=lambda kv: kv[1][0], reverse=True)
    return "; ".join(f"{label} ({n} indicator{'s' if n > 1 else ''})" for label, (_, n) in ordered)


def _summary(pack: Pack) -> str:
    """The brief's opening summary (``metrics.summary``), then the indicators in the brief's card order;
    the discontinued collections (collapsed in the brief) are one line pointing to the annex."""
    if pack.brief.empty:
        return '<section class="page summary" id="summary"><h2>Summary</h2><p>No figures are loaded.</p></section>'
    lines = summary_module.summary_sentences(pack.summary, where_discontinued="in one table in the annex")
    sentences = "".join(f"<p>{_e(line)}</p>" for line in lines)
    by_id = {item.indicator.metric.id: item for item in pack.items}
    groups = []
    for section in pack.sections:
        if section.collapsed:
            groups.append(
                f"<h3>{_e(section.title)} ({len(section.metric_ids)})</h3>"
                f'<p>Their last figures and successors are in <a href="#annex">the annex</a>.</p>'
            )
            continue
        lines = "".join(
            f'<li><a href="#{_anchor_for(by_id[mid])}">{_e(by_id[mid].indicator.metric.name)}</a>: '
            f"{_e(by_id[mid].row['value_text'])} in {_e(by_id[mid].row['latest_label'])}; "
            f"{_e(by_id[mid].row['change_text'])}{_demo_tag(by_id[mid])}</li>"
            for mid in section.metric_ids
        )
        groups.append(f"<h3>{_e(section.title)} ({len(section.metric_ids)})</h3><ul>{lines}</ul>")
    return f'<section class="page summary" id="summary"><h2>Summary</h2>{sentences}{"".join(groups)}</section>'


def _anchor_for(item: PackItem) -> str:
    """Where an indicator is in the pack: its card, or the annex for a discontinued series."""
    return "annex" if item.discontinued else item_anchor(item.indicator.metric.id)


def _actions(pack: Pack) -> str:
    """The committee's open actions for the area that are overdue or due before the next meeting."""
    due = pack.actions
    if due is None or due.empty:
        body = "<p>No open action is overdue or due before the next meeting.</p>"
    else:
        names = pack.catalogue.metric_by_id
        rows = []
        for r in due.to_dict("records"):
            linked = "; ".join(
                f'<a href="#{item_anchor(m)}">{_e(names[m].name)}</a>' if m in pack.brief["metric_id"].values
                else _e(names[m].name if m in names else m)
                for m in str(r["metrics"] or "").split(";") if m
            )  # fmt: skip
            meeting = pd.Timestamp(r["meeting_date"])
            rows.append(
                f"<tr><td>{_e(r['standing'])}</td><td>{_e(r['action'])}</td><td>{_e(r['owner'])}</td>"
                f"<td>{linked}</td><td>{meeting.day} {meeting:%B %Y}</td></tr>"
            )
        body = (
            "<table><thead><tr><th>Where it stands</th><th>Action</th><th>Owner</th><th>Indicators</th>"
            f"<th>Agreed</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        )
    return f'<section class="page actions" id="actions"><h2>Actions due and overdue</h2>{body}</section>'


def grouped_questions(pack: Pack) -> list[tuple[list[str], str, str, str]]:
    """The suggested questions with the same question about several indicators asked once:
    ``(metric ids, indicator names, question, figures)`` in the chair's order.

    Data currency raises the same question for every indicator of a late or ended collection (the
    five A&E series, the eighteen delayed-transfer series); on paper it is asked once, naming them.
    """
    groups: dict[tuple[str, str], tuple[list, list, list]] = {}
    for q in pack.questions:
        template = q.text.replace(q.indicator, "{}", 1) if q.indicator in q.text else q.text + "\0" + q.metric_id
        ids, names, figures = groups.setdefault((q.rule, template), ([], [], []))
        ids.append(q.metric_id)
        names.append(q.indicator)
        figures.append(q.figures)
    out = []
    for (_, template), (ids, names, figures) in groups.items():
        if len(ids) == 1:
            out.append((ids, names[0], template.split("\0")[0].replace("{}", names[0], 1), figures[0]))
            continue
        joined = ", ".join(names[:-1]) + " and " + names[-1]
        out.append((ids, joined, template.replace("{}", joined, 1), "; ".join(dict.fromkeys(figures))))
    return out


def _questions(pack: Pack) -> str:
    """The suggested questions, in the chair's order, each linked to its indicator (on the page of
    the actions: one is often short)."""
    if not pack.questions:
        body = "<p>The figures raise no suggested question for this meeting.</p>"
    else:
        by_id = {item.indicator.metric.id: item for item in pack.items}
        items = []
        for ids, names, text, figures in grouped_questions(pack):
            first = by_id.get(ids[0])
            anchor = _anchor_for(first) if first is not None else item_anchor(ids[0])
            items.append(
                f'<li><a href="#{anchor}">{_e(names)}</a>: {_e(text)}<br><span class="meta">Figures: {_e(figures)}'
                "</span></li>"
            )
        body = (
            "<p>Suggested from what the figures say (signals, targets, breaks in the series, data currency, "
            "figures reported to committee); each names the figures it rests on; a question that applies to "
            f'several indicators is asked once.</p><ol class="questions">{"".join(items)}</ol>'
        )
    return f'<section class="page follows questions" id="questions"><h2>Questions</h2>{body}</section>'


def _demo_tag(item: PackItem) -> str:
    return ' <span class="demo-tag">(demo)</span>' if item.demo else ""


def _topic(pack: Pack, topic: PackTopic) -> str:
    articles = "".join(_indicator(pack, item) for item in topic.charted)
    if not topic.items:
        articles = f"<p>No figures are loaded for {_e(topic.name.lower())} in {_e(pack.area_name)}.</p>"
    ended = len(topic.items) - len(topic.charted)
    if ended:
        articles += (
            f'<p class="meta">{_e(_count(ended, "series"))} of this topic from discontinued collections: '
            'their last figures and successors are in <a href="#annex">the annex</a>.</p>'
        )
    return (
        f'<section class="page topic" id="{topic_anchor(topic.id)}" data-topic="{_e(topic.id)}">'
        f"<h2>{_e(topic.name)}</h2>{articles}</section>"
    )


def _indicator(pack: Pack, item: PackItem) -> str:
    ind, row, m = item.indicator, item.row, item.indicator.metric
    title = f"{m.name}, {pack.area_name}: {row['value_text']} in {row['latest_label']}"
    chart = spc_svg(ind.series, m, f"SPC chart of {m.name} for {pack.area_name}")
    first, last = ind.series["period_label"].iloc[0], ind.series["period_label"].iloc[-1]
    caption = (
        f"{m.name}, {first} to {last}: the line joins the figures; the mean and process limits are drawn for "
        "each segment; the target is the green dash-dot line (see the legend). Point shapes: see the glossary."
    )
    rebases = "; ".join(f"{r.start:%B %Y}: {r.reason}" for r in ind.rebases)
    src = pack.catalogue.sources[m.source]
    # The card itself is the Meeting brief's, built by the same renderer (metrics.card_html), so
    # the pack and the screen say the same words; the facts below are what only paper adds.
    card = card_html(row, heading=False, demo_labels=["Demonstration data"] if item.demo else ())
    facts = [
        ("New limits", rebases),
        ("What it shows", m.description),
        ("How it is calculated", f"{m.definition} {DIRECTION_WORDS[m.improvement_direction]}"),
        ("Source", f"{item.source_line.removeprefix('Source: ')}. Licence: {src.licence}."),
    ]
    dl = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts if isinstance(v, str) and v)
    return (
        f'<article class="indicator" id="{item_anchor(m.id)}" data-metric="{_e(m.id)}">'
        f"<h3>{_e(title)}{_demo_tag(item)}</h3>"
        f"<figure>{chart}<figcaption>{_e(caption)}</figcaption></figure>"
        f'{card}<dl class="facts">{dl}</dl></article>'
    )


def web_address(url) -> str:
    """``url`` when it is an http(s) address with a host, else '' (shown as text, never a link).

    A source row's address comes from the store (a restored snapshot, a loaded file): a
    ``javascript:`` or ``data:`` address must not become a link in the pack.
    """
    if not isinstance(url, str) or not url.strip():
        return ""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(not c.isprintable() for c in url):
        return ""
    return url.strip()


def _annex(pack: Pack) -> str:
    """One table of the series from discontinued collections: name, last period and figure, and
    when the collection stopped and what replaced it (once per collection)."""
    items = pack.discontinued
    if not items:
        return ""
    by_collection: dict[tuple[str, str, str], list[PackItem]] = {}
    for item in items:
        c = item.indicator.currency
        by_collection.setdefault((c.publication, c.stopped_label, c.successor), []).append(item)
    rows = []
    for (publication, stopped, successor), group in by_collection.items():
        rows.append(
            f'<tr class="collection"><th colspan="3">{_e(publication)}: stopped in {_e(stopped)}</th>'
            f"<th>{_e(successor or 'No successor named')}</th></tr>"
        )
        for item in group:
            m, row = item.indicator.metric, item.row
            rows.append(
                f'<tr id="{item_anchor(m.id)}" data-metric="{_e(m.id)}"><td>{_e(m.name)}{_demo_tag(item)}</td>'
                f'<td class="number">{_e(row["latest_label"])}</td><td class="number">{_e(row["value_text"])}</td>'
                "<td></td></tr>"
            )
    return (
        '<section class="page annex" id="annex"><h2>Annex: discontinued series</h2>'
        f"<p>{_e(_count(len(items), 'indicator'))} from collections that have ended: no new figure will come, "
        "so they are not charted. Each collection's successor is on its heading row; the full series are in "
        "the workbook.</p>"
        '<table class="annex"><thead><tr><th>Indicator</th><th>Last period</th><th>Last figure</th>'
        f"<th>Successor</th></tr></thead><tbody>{''.join(rows)}</tbody></table></section>"
    )


def _appendix(pack: Pack) -> str:
    """The source files, one row per publication (the files named compactly), then the glossary."""
    rows = []
    if len(pack.sources):
        frame = pack.sources.copy()
        frame["is_demo"] = frame["is_demo"].astype(bool)
        frame = frame.sort_values(["period_from", "file_name"], kind="stable", na_position="last")
        for (publisher, publication), part in frame.groupby(["publisher", "publication"], sort=True, dropna=False):
            demo = " (demonstration data)" if part["is_demo"].any() else ""
            urls = [web_address(u) for u in part["url"]]
            url = next((u for u in urls if u), "")
            link = f'<a href="{_e(url)}">{_e(publication)}</a>' if url else _e(publication)
            licences = "; ".join(dict.fromkeys(str(x) for x in part["licence"].dropna()))
            rows.append(
                f"<tr><td>{_e(publisher)}</td><td>{link}{_e(demo)}</td><td>{_e(licences)}</td>"
                f'<td class="number">{len(part)}</td><td>{_e(_files_period_range(part))}</td>'
                f'<td class="names">{_e(_file_names(part["file_name"].astype(str).tolist()))}</td></tr>'
            )
    widths = "".join(f'<col style="width: {w}%">' for w in (14, 20, 11, 5, 12, 38))
    sources = (
        f'<table class="files"><colgroup>{widths}</colgroup><thead><tr><th>Publisher</th><th>Publication</th>'
        "<th>Licence</th><th>Files</th>"
        f"<th>Periods</th><th>File names</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
    icons = "".join(
        f"<tr><td>{_legend_marker(style)}</td><td>{_e(style[2].capitalize())}</td></tr>"
        for style in POINT_STYLES.values()
    )
    words = "".join(
        f"<tr><td>{_e(VARIATION_WORDS.get(k) or ASSURANCE_WORDS.get(k, k))}</td><td>{_e(text)}</td></tr>"
        for k, text in ICON_DESCRIPTIONS.items()
    )
    terms = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in GLOSSARY.items())
    n_files = len(pack.sources)
    return (
        '<section class="page appendix" id="appendix"><h2>Appendix: source files</h2>'
        f"<p>Every figure in this pack comes from these {_e(_count(n_files, 'file'))}, loaded into the dashboard; "
        "one row per publication. The workbook's Sources sheet lists each file with its periods.</p>"
        f"{sources}"
        '<section class="glossary"><h2>Glossary of the SPC signs</h2>'
        '<table class="legend"><thead><tr><th>Point</th><th>Meaning</th></tr></thead>'
        f"<tbody>{icons}</tbody></table>"
        "<table><thead><tr><th>Signal</th><th>What it means</th></tr></thead>"
        f"<tbody>{words}</tbody></table>"
        f'<h2>Terms</h2><dl class="facts">{terms}</dl></section></section>'
    )


def _file_names(names: list[str], shown: int = 6) -> str:
    """A publication's file names (in period order), compactly: all of a few; the first and last of
    many, with how many between (every file is listed in the workbook's Sources sheet)."""
    if len(names) <= shown:
        return ", ".join(names)
    return f"{', '.join(names[:3])} … {len(names) - 5} more … {', '.join(names[-2:])}"


def _files_period_range(part: pd.DataFrame) -> str:
    """The periods a publication's files cover: ``Apr 2016 to Mar 2026`` (or the files' own words)."""
    starts, ends = pd.to_datetime(part["period_from"]).dropna(), pd.to_datetime(part["period_to"]).dropna()
    if len(starts):
        return _period_range(starts.min(), ends.max() if len(ends) else pd.NaT)
    return "; ".join(dict.fromkeys(str(p) for p in part["periods"].dropna() if str(p)))


def _legend_marker(style: tuple[str, str, str]) -> str:
    colour, shape, words = style
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 16 16" role="img" '
        f'aria-label="{_e(words)}">{marker(shape, 8, 8, colour, 5)}</svg>'
    )


def _period_range(start, end) -> str:
    if pd.isna(start):
        return ""
    return f"{pd.Timestamp(start):%b %Y} to {pd.Timestamp(end):%b %Y}" if pd.notna(end) else f"{start}"
