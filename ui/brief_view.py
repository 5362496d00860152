"""The Meeting brief on screen: its summary, its cards, the icons view and the brief's download table."""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from metrics.card_html import CARD_CSS, card_html, screen_card_html
from metrics.summary import MeetingSummary, Section, summary_sentences
from ui import actions as actions_ui
from ui import data, icons
from ui.badges import assurance_words, status_words, variation_words

CARD_HELP = (
    "**The figure** is the latest published value; under it, the change since the meeting "
    "(blue: better, orange: worse, grey: no better or worse). **The small line** (sparkline) is "
    "the last 24 periods, oldest on the left. **The numbers** under the figure are the counts "
    "behind a percentage or rate. **The badges**: whether the target in force was met; the "
    "variation icon (statistical process control, NHS England's Making Data Count): ordinary "
    "variation, or a special cause - an improvement, a concern, or neither; the assurance icon: "
    "whether, on past variation, the target will consistently be met, consistently missed, or "
    "be hit and miss. **The sentence** beside the badges is the one verdict: the latest figure against "
    "its target, and what the process, on its past variation, implies. **On its own**: where a total "
    "blends unlike services, its main provider's own figure, target verdict and rank. "
    "**Source**: who published the figure, in which publication, for which period."
)


def card_anchor(metric_id: str) -> str:
    """The id of a brief card, for links from the summary (``#card-ae_4hr_all``)."""
    return f"card-{metric_id}"


@dataclass(frozen=True)
class Card:
    """One brief card as drawn: its heading, what the indicator measures and the card's HTML."""

    metric_id: str
    name: str
    about: str
    html: str


def _card(row, source_line: str) -> Card:
    metric = data.catalogue().metric(row.metric_id)
    about = f"{metric.description} {metric.definition}".strip()
    labels = []
    if data.shows_demo([row.source_ids]):
        labels.append("Demonstration data")
    if data.shows_local([row.source_ids]):
        labels.append("Supplied locally: not an official statistic")
    html_text = card_html(row._asdict(), source_line, heading=False, demo_labels=labels, screen=True)
    return Card(row.metric_id, row.name, about, html_text)


def cards(area_id: str, meeting: dt.date) -> dict[str, Card]:
    """Every card of the area's brief, by metric, drawn once per data version and shared by every
    session (each card's HTML was a tenth of the brief's server time when drawn per run)."""

    def draw() -> dict[str, Card]:
        lines = data.source_lines(area_id, meeting)
        return {row.metric_id: _card(row, lines[row.metric_id]) for row in data.brief(area_id, meeting).itertuples()}

    return data.per_version(("brief cards", area_id, meeting), draw)


def how_to_read() -> None:
    """What each part of a card means, once above the cards (``CARD_HELP``)."""
    with st.expander("How to read a card", key="card-help"):
        st.markdown(CARD_HELP)


def cards_html(
    metric_ids: list[str], cards: dict[str, Card], asked: dict[str, list[tuple[str, str]]], agreed: pd.DataFrame,
    area_id: str,
) -> str:  # fmt: skip
    """A section's cards as one block of HTML (``metrics.card_html.screen_card_html``): each card
    with its heading, what it measures, the committee's open actions (``agreed``: the actions read
    this run) and the questions it raises (``asked``: ``ui.questions.by_card``).

    One element for the section, not five for each card: each element is a message to every reader,
    and the brief's cards were most of its server time under many readers (issue #23).
    """
    return "".join(
        screen_card_html(
            cards[m].html,
            card_anchor(m),
            cards[m].name,
            cards[m].about,
            asked.get(m, ()),
            actions_ui.open_actions(agreed, m, area_id),
        )  # fmt: skip
        for m in metric_ids
    )


def _markdown_text(text: str) -> str:
    """Plain text safe inside Markdown link text (no brackets or emphasis from the words)."""
    for ch in "\\[]*_`":
        text = text.replace(ch, "\\" + ch)
    return text


def brief_summary(summary: MeetingSummary, area_short: str, linked_cards: set[str]) -> None:
    """The brief at a glance, before any card; each name links to its card (or to Indicator detail)."""

    def link(named) -> str:
        if named.metric_id in linked_cards:
            target = f"#{card_anchor(named.metric_id)}"
        else:
            target = f"/indicator?{urlencode({'metric': named.metric_id, 'area': area_short})}"
        return f"[{_markdown_text(named.name)}]({target})"

    with st.container(border=True, key="brief-summary"):
        st.subheader("Since the meeting", anchor="summary")
        st.markdown("\n".join(f"- {line}" for line in summary_sentences(summary, link)))


def icons_table(brief: pd.DataFrame, sections: list[Section]) -> None:
    """The 'Icons only' view: one line per indicator, each Making Data Count icon with its words beside it.

    The legend is on screen, not in a tooltip. The lines are a list that fits any width: on a
    wide screen one row per indicator, on a phone (390 px) a short card each, so nothing scrolls
    sideways (issue #20: the table was 1,525 px wide in a 938 px box). The sortable table is one
    click away.
    """
    table = compact_brief_table(brief, sections)
    st.html(icons_legend_html() + ICONS_STYLE + icons_list_html(table))
    with st.expander("Show as a sortable table"):
        st.dataframe(
            table,
            hide_index=True,
            row_height=30,
            height=30 * (len(table) + 1) + 3,  # every line on screen, no inner scroll
            column_config={
                "Indicator": st.column_config.TextColumn("Indicator", width=320),
                "Variation icon": st.column_config.ImageColumn("Variation", width="small", help=VARIATION_HELP),
                "Assurance icon": st.column_config.ImageColumn("Assurance", width="small", help=ASSURANCE_HELP),
                "Variation": st.column_config.TextColumn("Variation (in words)"),
                "Assurance": st.column_config.TextColumn("Assurance (in words)"),
            },
            column_order=[
                "Indicator",
                "Variation icon",
                "Variation",
                "Assurance icon",
                "Assurance",
                "Target",
                "Latest",
                "Since the meeting",
                "Group",
            ],
        )


#: The icons view's layout (a static style sheet): a row per indicator on a wide screen, a card
#: per indicator below 640 px.
ICONS_STYLE = """<style>
.icons-legend, .icons-list { font-family: Arial, sans-serif; font-size: 0.95rem; }
.icons-legend p { margin: 0.2rem 0; }
.icons-list ul { list-style: none; padding: 0 !important; margin: 0 !important; }
.icons-list h4 { margin: 0.9rem 0 0.3rem 0; font-size: 1.05rem; }
.icons-list li { border-top: 1px solid #d8dde0; padding: 0.45rem 0; margin: 0 !important; overflow-wrap: anywhere; }
.icons-list .name { font-weight: bold; }
.icons-list .icon { display: flex; align-items: center; gap: 0.4rem; margin: 0.15rem 0; }
.icons-list .icon img, .icons-legend img { width: 24px; height: 24px; flex: none; vertical-align: middle; }
.icons-list .facts { color: #425563; font-size: 0.9rem; }
@media (min-width: 641px) {
  .icons-list li { display: grid; grid-template-columns: 2fr 1.4fr 1.6fr 2.4fr; gap: 0.75rem; align-items: center; }
  .icons-list .icon { margin: 0; }
}
</style>"""

#: The icons the legend shows, named as in ``ui.icons``; their words are the badges' words.
_LEGEND = {
    "Variation": ("common_cause", "improvement_high", "concern_high", "neither_high"),
    "Assurance": ("pass", "fail", "hit_and_miss"),
}


def icons_legend_html() -> str:
    """What each icon means, on screen beside the icons themselves (not only in a tooltip)."""
    parts = ['<div class="icons-legend"><p><b>What the icons mean</b></p>']
    for heading, names in _LEGEND.items():
        cells = []
        for name in names:
            words = variation_words(name) if heading == "Variation" else assurance_words(name)
            uri = icons.variation_icon(name, words) if heading == "Variation" else icons.assurance_icon(name, words)
            cells.append(f'<img src="{uri}" alt=""> {html.escape(words)}')
        parts.append(f"<p>{heading}: " + "; ".join(cells) + ".</p>")
    parts.append(
        "<p>H: the figure is higher than usual; L: lower. Blue is better, orange worse, purple neither.</p></div>"
    )
    return "".join(parts)


def _icon_line(label: str, uri: str, words: str) -> str:
    image = f'<img src="{html.escape(uri, quote=True)}" alt="">' if uri else ""
    return f'<div class="icon">{image}<span>{label}: {html.escape(words)}</span></div>'


def icons_list_html(table: pd.DataFrame) -> str:
    """``compact_brief_table`` as a list: name, each icon with its words beside it, then the figures.

    Every piece of text is escaped (names, periods and change words come from loaded files);
    the icons are the project's own SVGs as data URIs, with empty alt text because the words
    beside them say the same.
    """
    out, group = ['<div class="icons-list">'], None
    for row in table.to_dict("records"):
        if row["Group"] != group:
            if group is not None:
                out.append("</ul>")
            group = row["Group"]
            out.append(f"<h4>{html.escape(group)}</h4>" if group else "")
            out.append("<ul>")
        icons_html = _icon_line("Variation", row["Variation icon"], row["Variation"])
        icons_html += _icon_line("Assurance", row["Assurance icon"], row["Assurance"] or "no target")
        facts = " · ".join(
            html.escape(v)
            for v in (row["Latest"], row["Target"], row["Since the meeting"], row["Currency"])
            if isinstance(v, str) and v
        )
        name = html.escape(row["Indicator"])
        out.append(f'<li><div class="name">{name}</div>{icons_html}<div class="facts">{facts}</div></li>')
    if group is not None:
        out.append("</ul>")
    out.append("</div>")
    return "".join(out)


VARIATION_HELP = (
    "Making Data Count variation: grey ~ ordinary variation; blue improvement, orange concern, "
    "purple neither, with H (higher) or L (lower)."
)


ASSURANCE_HELP = (
    "Making Data Count assurance: blue P consistently meets the target, orange F consistently misses, "
    "grey ~ hit and miss."
)


#: Print (A4) and phone layout for the brief: navigation hidden on paper, cards never cut across
#: pages, labels wrapped rather than cut short (on paper and on a phone). A static style sheet of
#: the project's own, never data.
# No "<" inside the style text: st.html's sanitiser (DOMPurify) drops a style element whose text
# looks like markup, and every rule in it with it.
BRIEF_STYLE = """<style>
@media print {
  @page { size: A4; margin: 12mm; }
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
  [data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stButtonGroup"],
  [data-testid="stDownloadButton"], .st-key-brief-downloads, header, footer { display: none !important; }
  [data-testid="stMain"], [data-testid="stMainBlockContainer"], .block-container {
    padding: 0 !important; margin: 0 !important; max-width: 100% !important; }
  .llr-brief-card, [class*="st-key-brief-summary"], [data-testid="stHorizontalBlock"],
  [data-testid="stMetric"], [data-testid="stExpander"] { break-inside: avoid; page-break-inside: avoid; }
  h1, h2, h3, h4 { break-after: avoid; page-break-after: avoid; }
  [data-testid="stMetricDelta"], [data-testid="stCaptionContainer"], [data-testid="stMarkdownContainer"] span {
    overflow: visible !important; white-space: normal !important; text-overflow: clip !important; }
  /* On paper nothing is collapsed: a closed expander (a details element) prints its content. Chromium 131+
     and Safari 18.4+ style the closed content through ::details-content; older browsers ignore it. */
  details::details-content { content-visibility: visible !important; display: block !important; }
  [data-testid="stExpander"] summary [data-testid="stIconMaterial"] { display: none !important; }
  .llr-about > summary { list-style: none; font-weight: bold; }
  .llr-about > summary::-webkit-details-marker { display: none; }
  .brief-print-only { display: block !important; font-size: 8pt; color: #425563; margin: 0 0 2mm; }
}
.brief-print-only { display: none; }
[data-testid="stMetricDelta"] div, [data-testid="stMetricDelta"] p {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important; }
@media (max-width: 640px) {
  [data-testid="stMainBlockContainer"] { padding-left: 0.75rem; padding-right: 0.75rem; }
  h1 { font-size: 1.8rem !important; }
  h2 { font-size: 1.4rem !important; }
  h3 { font-size: 1.2rem !important; }
}
</style>"""


#: The printed page's footer: what it is, when it was made, and "Page n of N". Chromium (131 and
#: later) draws @page margin boxes when printing; browsers that do not still print the line at the top.
PRINT_FOOTER = """<style>
@media print {
  @page {
    @bottom-left { content: "%(made)s"; font: 8pt Arial, Helvetica, sans-serif; color: #425563; }
    @bottom-right { content: "Page " counter(page) " of " counter(pages); font: 8pt Arial, Helvetica, sans-serif;
                    color: #425563; }
  }
}
</style>"""


def made_text(title: str, made: dt.datetime) -> str:
    """``Meeting brief: Leicester, ...; as the dashboard showed it on 4 December 2026 at 15:45`` (when
    the page was drawn, which is when it is printed unless it was left open)."""
    return f"{title}; as the dashboard showed it on {made.day} {made:%B %Y at %H:%M}"


def brief_style(title: str = "Meeting brief", made: dt.datetime | None = None) -> None:
    """Inject the brief's print and phone style sheet (``BRIEF_STYLE``), and for paper a footer with
    the page number and the time the page was made (drawn now: CSS has no clock), also printed as a
    line at the top of the first page."""
    st.html(BRIEF_STYLE.replace("</style>", CARD_CSS + "</style>"))
    made = (made or dt.datetime.now()).replace(microsecond=0)
    words = made_text(title, made)
    st.html(PRINT_FOOTER % {"made": css_string(f"As the dashboard showed it on {made.day} {made:%B %Y at %H:%M}")})
    st.html(f'<p class="brief-print-only">{html.escape(words)}</p>')


def css_string(text: str) -> str:
    """``text`` safe inside a double-quoted CSS string in a <style> element (no quote, backslash,
    line break or ``<`` can end it)."""
    out = text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3C ")
    return " ".join(out.split())


BRIEF_EXPORT_COLUMNS = {
    "name": "Indicator",
    "latest_label": "Latest period",
    "value_text": "Latest value",
    "numbers_text": "Numbers",
    "meeting_value_text": "At the meeting",
    "change_text": "Change since the meeting",
    "status_text": "Target",
    "signal": "Statistical signal",
    "summary": "Summary",
    "currency_text": "Data currency",
}


def kept_export_table(area_id: str, meeting: dt.date) -> pd.DataFrame:
    """The area's brief as a download (:func:`brief_export_table`), once per data version: read-only."""
    return data.per_version(
        ("brief export", area_id, meeting), lambda: brief_export_table(data.brief(area_id, meeting))
    )


def brief_export_table(brief: pd.DataFrame) -> pd.DataFrame:
    """The brief as a download: the same words, and the same SPC icons in words, as on screen."""
    cols = [c for c in BRIEF_EXPORT_COLUMNS if c in brief.columns]
    out = brief[cols].rename(columns=BRIEF_EXPORT_COLUMNS)
    variation = [variation_words(v) for v in brief["variation"]]
    out.insert(out.columns.get_loc("Statistical signal") + 1, "Variation", variation)
    out.insert(out.columns.get_loc("Variation") + 1, "Assurance", [assurance_words(a) for a in brief["assurance"]])
    return out


def compact_brief_table(brief: pd.DataFrame, sections: list[Section] | None = None) -> pd.DataFrame:
    """The 'icons only' table: one line per indicator in the cards' order, icons as images and in words."""
    group = {}
    if sections:
        for section in sections:
            group.update(dict.fromkeys(section.metric_ids, section.title))
        order = [mid for section in sections for mid in section.metric_ids]
        brief = brief.set_index("metric_id", drop=False).loc[order].reset_index(drop=True)
    variation = [(icons.variation_icon(v, variation_words(v)), variation_words(v)) for v in brief["variation"]]
    assurance = [(icons.assurance_icon(a, assurance_words(a)), assurance_words(a)) for a in brief["assurance"]]
    return pd.DataFrame(
        {
            "Indicator": brief["name"].to_numpy(),
            "Latest": (brief["value_text"] + " (" + brief["latest_label"] + ")").to_numpy(),
            "Variation icon": [uri for uri, _ in variation],
            "Assurance icon": [uri for uri, _ in assurance],  # "" (no icon) shows as an empty cell
            "Target": [
                f"{'✔' if s == 'met' else '✘' if s == 'not_met' else '–'} {status_words(s)}" for s in brief["status"]
            ],
            "Since the meeting": brief["change_text"].to_numpy(),
            "Currency": brief["currency_badge"].to_numpy(),
            "Group": [group.get(mid, "") for mid in brief["metric_id"]],
            "Variation": [words for _, words in variation],
            "Assurance": [words for _, words in assurance],
        }
    )
