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
body { font-family: Arial, Helvetica, sans-serif; color: #212b32; font-size: 10.5pt; line-height: 1.4;
       max-width: 182mm; margin: 0 auto; padding: 8mm 0; }
h1 { font-size: 22pt; color: #003087; margin: 0 0 4mm; }
h2 { font-size: 16pt; color: #003087; border-bottom: 2px solid #005EB8; padding-bottom: 1mm; }
h3 { font-size: 12pt; margin: 0 0 2mm; }
section.page { break-before: page; }
section.page:first-of-type { break-before: auto; }
article.indicator { break-inside: avoid; border-top: 1px solid #d8dde0; padding-top: 3mm; margin-bottom: 5mm; }
figure { margin: 0 0 2mm; break-inside: avoid; }
figure svg { width: 100%; height: auto; display: block; }
figcaption { font-size: 8.5pt; color: #425563; }
dl.facts { display: grid; grid-template-columns: 38mm 1fr; gap: 1mm 4mm; margin: 0; }
dl.facts dt { font-weight: bold; }
dl.facts dd { margin: 0; }
table { border-collapse: collapse; width: 100%; font-size: 8.5pt; }
th, td { border: 1px solid #d8dde0; padding: 1mm 1.5mm; text-align: left; vertical-align: top; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
.demo { background: #fff4e5; border: 2px solid #ED8B00; padding: 2mm 3mm; font-weight: bold; }
.demo-tag { color: #8a4f00; font-weight: bold; }
.meta { color: #425563; }
.summary li { margin-bottom: 1.5mm; }
ol.contents > li { margin-top: 1mm; }
.legend svg { vertical-align: middle; }
a { color: #005EB8; }
@media print { body { padding: 0; max-width: none; } a { color: inherit; text-decoration: none; } }
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
        _appendix(pack),
    ]
    title = f"Meeting pack: {pack.area_name}, {pack.meeting_date:%d %B %Y}"
    return (
        '<!DOCTYPE html>\n<html lang="en-GB">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{STYLE}{CARD_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def generated_text(pack: Pack) -> str:
    """The cover's 'generated' line: the only thing that differs between two builds of one pack."""
    return f"Generated {pack.generated_at:%d %B %Y at %H:%M}"


def _cover(pack: Pack) -> str:
    contents = [
        '<li><a href="#summary">Summary</a></li>',
        '<li><a href="#actions">Actions due and overdue</a></li>',
        '<li><a href="#questions">Questions</a></li>',
    ]
    for topic in pack.topics:
        n = len(topic.items)
        count = f"{n} indicator{'s' if n != 1 else ''}" if n else "no figures for this area"
        contents.append(f'<li><a href="#{topic_anchor(topic.id)}">{_e(topic.name)}</a> ({count})</li>')
    contents.append('<li><a href="#appendix">Appendix: sources and glossary</a></li>')
    asof = "".join(f"<tr><td>{_e(topic.name)}</td><td>{_e(_as_of(topic))}</td></tr>" for topic in pack.topics)
    demo = f'<p class="demo">{_e(DEMO_NOTICE)}</p>' if pack.demo else ""
    return (
        '<section class="page cover" id="cover">'
        f"<h1>Meeting pack: {_e(pack.area_name)}</h1>"
        f'<p class="lead">Performance of the health and care system for the meeting on '
        f"<strong>{pack.meeting_date.day} {pack.meeting_date:%B %Y}</strong>, and what has changed since.</p>"
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
    """The brief's opening summary (``metrics.summary``), then the indicators in the brief's card order."""
    if pack.brief.empty:
        return '<section class="page summary" id="summary"><h2>Summary</h2><p>No figures are loaded.</p></section>'
    sentences = "".join(f"<p>{_e(line)}</p>" for line in summary_module.summary_sentences(pack.summary))
    by_id = {item.indicator.metric.id: item for item in pack.items}
    groups = []
    for section in pack.sections:
        lines = "".join(
            f'<li><a href="#{item_anchor(mid)}">{_e(by_id[mid].indicator.metric.name)}</a>: '
            f"{_e(by_id[mid].row['value_text'])} in {_e(by_id[mid].row['latest_label'])}; "
            f"{_e(by_id[mid].row['change_text'])}{_demo_tag(by_id[mid])}</li>"
            for mid in section.metric_ids
        )
        groups.append(f"<h3>{_e(section.title)} ({len(section.metric_ids)})</h3><ul>{lines}</ul>")
    return f'<section class="page summary" id="summary"><h2>Summary</h2>{sentences}{"".join(groups)}</section>'


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


def _questions(pack: Pack) -> str:
    """The suggested questions, in the chair's order, each linked to its indicator."""
    if not pack.questions:
        body = "<p>The figures raise no suggested question for this meeting.</p>"
    else:
        items = "".join(
            f'<li><a href="#{item_anchor(q.metric_id)}">{_e(q.indicator)}</a>: {_e(q.text)}'
            f'<br><span class="meta">Figures: {_e(q.figures)}</span></li>'
            for q in pack.questions
        )
        body = (
            "<p>Suggested from what the figures say (signals, targets, breaks in the series, data currency, "
            f'figures reported to committee); each names the figures it rests on.</p><ol class="questions">{items}</ol>'
        )
    return f'<section class="page questions" id="questions"><h2>Questions</h2>{body}</section>'


def _demo_tag(item: PackItem) -> str:
    return ' <span class="demo-tag">(demo)</span>' if item.demo else ""


def _topic(pack: Pack, topic: PackTopic) -> str:
    articles = "".join(_indicator(pack, item) for item in topic.items)
    if not articles:
        articles = f"<p>No figures are loaded for {_e(topic.name.lower())} in {_e(pack.area_name)}.</p>"
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
        f"{m.name}, {first} to {last}: the line joins the figures; solid grey the mean and dashed the "
        "process limits of each segment; red dashes the target. Point shapes: see the glossary."
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


def _appendix(pack: Pack) -> str:
    rows = []
    for r in pack.sources.itertuples(index=False):
        demo = " (demonstration data)" if bool(r.is_demo) else ""
        url = web_address(r.url)
        link = f'<a href="{_e(url)}">{_e(r.publication)}</a>' if url else _e(r.publication)
        rows.append(
            f"<tr><td>{_e(r.publisher)}</td><td>{link}{_e(demo)}</td><td>{_e(r.licence)}</td>"
            f"<td>{_e(r.periods or _period_range(r.period_from, r.period_to))}</td><td>{_e(r.file_name)}</td></tr>"
        )
    sources = (
        "<table><thead><tr><th>Publisher</th><th>Publication</th><th>Licence</th><th>Periods</th>"
        f"<th>File</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
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
    return (
        '<section class="page appendix" id="appendix"><h2>Appendix: sources</h2>'
        f"<p>Every figure in this pack comes from these files, loaded into the dashboard.</p>{sources}"
        "<h2>Glossary of the SPC signs</h2>"
        '<table class="legend"><thead><tr><th>Point</th><th>Meaning</th></tr></thead>'
        f"<tbody>{icons}</tbody></table>"
        "<table><thead><tr><th>Signal</th><th>What it means</th></tr></thead>"
        f"<tbody>{words}</tbody></table>"
        f'<h2>Terms</h2><dl class="facts">{terms}</dl></section>'
    )


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
