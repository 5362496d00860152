"""One indicator card as one block of HTML, the same on screen (the Meeting brief) and on paper (the pack).

The brief card and the pack's indicator card are built here from the same brief row
(``metrics.brief.BRIEF_COLUMNS``), so screen and paper say the same words and cannot drift: the
latest figure and its period, the change since the meeting, a sparkline, the numbers behind the
figure, a blend's main provider on its own, what the total is made up of, the badges in words
(target, SPC variation and assurance, data currency), the one verdict sentence, the gap to the
target in numbers, the SPC note and the data-currency sentence.

Pure, and every piece of text is escaped with ``html.escape``: names and publications come from
loaded files. The sparkline is inline SVG; nothing is loaded from anywhere.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping, Sequence
from html import escape

from metrics.glossary import ASSURANCE_WORDS, STATUS_WORDS, VARIATION_WORDS

#: Badge colours (words first, colour only repeats them; Making Data Count: blue better, orange worse).
_STATUS_TONE = {"met": "green", "not_met": "red", "no_target": "grey", "no_data": "grey"}
_VARIATION_TONE = {
    "common_cause": "grey", "improvement_high": "blue", "improvement_low": "blue", "concern_high": "orange",
    "concern_low": "orange", "neither_high": "violet", "neither_low": "violet",
}  # fmt: skip
_ASSURANCE_TONE = {"pass": "blue", "fail": "orange", "hit_and_miss": "grey"}
_CURRENCY_TONE = {"current": "green", "overdue": "orange", "discontinued": "grey", "unscheduled": "grey",
                  "no_data": "grey"}  # fmt: skip
#: The change since the meeting: Making Data Count colours, the words say which way.
_DIRECTION_CLASS = {"better": "better", "worse": "worse"}
TOO_FEW_POINTS = "Too few points to judge variation"

#: The card's style sheet (the project's own; never data). Scoped to ``.llr-card``; wraps rather
#: than cuts text on a phone, and a card is never split across printed pages.
CARD_CSS = """
.llr-card { break-inside: avoid; page-break-inside: avoid; line-height: 1.45; color: #212b32; }
.llr-card * { box-sizing: border-box; overflow-wrap: anywhere; }
.llr-card h3 { margin: 0 0 0.3em; }
.llr-card p { margin: 0 0 0.45em; }
.llr-card .llr-cols { display: flex; flex-wrap: wrap; gap: 0.4em 1.5em; }
.llr-card .llr-figure { flex: 2 1 15em; min-width: 0; }
.llr-card .llr-words { flex: 3 1 18em; min-width: 0; }
.llr-card .llr-value { font-size: 2.1em; line-height: 1.15; margin: 0; }
.llr-card .llr-change { display: inline-block; border-radius: 0.4em; padding: 0.1em 0.5em; font-size: 0.9em;
  background: #f0f2f6; color: #31333f; white-space: normal; }
.llr-card .llr-change.better { background: #e8f1fb; color: #005eb8; }
.llr-card .llr-change.worse { background: #fdf0e3; color: #8a4f00; }
.llr-card .llr-spark { display: block; width: 100%; max-width: 22em; height: 3em; margin: 0.3em 0; }
.llr-card .llr-note, .llr-card .llr-source, .llr-card .llr-parts, .llr-card .llr-numbers {
  color: #4d5663; font-size: 0.88em; }
.llr-card .llr-main { border: 1px solid #c9ced6; border-radius: 0.5em; padding: 0.6em 0.8em; margin: 0.4em 0 0.6em; }
.llr-card .llr-badges { display: flex; flex-wrap: wrap; gap: 0.35em; margin-bottom: 0.6em; }
.llr-card .llr-badge { border-radius: 0.4em; padding: 0.1em 0.45em; font-size: 0.9em; white-space: normal; }
.llr-card .green { background: #e6f4ea; color: #136c2e; }
.llr-card .red { background: #fde8e8; color: #a4262c; }
.llr-card .blue { background: #e8f1fb; color: #004a94; }
.llr-card .orange { background: #fdf0e3; color: #8a4f00; }
.llr-card .violet { background: #f1eafb; color: #5b2a86; }
.llr-card .grey { background: #f0f2f6; color: #31333f; }
.llr-card .llr-demo { background: #fff4e5; border: 1px solid #ed8b00; color: #8a4f00; font-weight: bold; }
.llr-brief-card { border: 1px solid rgba(49, 51, 63, 0.2); border-radius: 0.5rem; padding: 1rem;
  margin: 0 0 1rem; break-inside: avoid; page-break-inside: avoid; scroll-margin-top: 4rem; }
.llr-brief-card h3 { margin: 0 0 0.3em; padding: 0; font-size: 1.5rem; font-weight: 600; line-height: 1.2; }
.llr-brief-card .llr-about { margin: 0 0 0.6em; color: #4d5663; font-size: 0.9em; }
.llr-brief-card .llr-about summary { cursor: pointer; }
.llr-brief-card .llr-about p { font-size: 1em; margin: 0.3em 0 0; }
.llr-brief-card .llr-asked { margin: 0.8em 0 0; }
.llr-brief-card .llr-asked ul { margin: 0.2em 0 0; padding-left: 1.4em; }
.llr-brief-card .llr-asked li { margin: 0 0 0.35em; }
.llr-brief-card .llr-asked .llr-figures { display: block; font-style: italic; color: #4d5663; }
.llr-brief-card .llr-actions { border-left: 4px solid #005eb8; padding-left: 0.7em; }
"""


def _e(value) -> str:
    """Escape a text for HTML (missing: empty)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return escape(str(value))


def _text(row: Mapping, key: str) -> str:
    value = row.get(key)
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def sparkline_svg(values: Sequence, label: str, image: bool = False, width: int = 240, height: int = 48) -> str:
    """The last figures as a line, oldest on the left, scaled to fit; '' for fewer than two.

    Inline ``<svg>`` (the pack: a self-contained file that loads nothing), or with ``image`` the
    same SVG as an ``<img>`` with a ``data:`` address (the screen: Streamlit's HTML sanitiser keeps
    ``<img>``, not ``<svg>``). Either way nothing is fetched.
    """
    points = [float(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if len(points) < 2:
        return ""
    low, high = min(points), max(points)
    span = (high - low) or 1.0
    pad = 3
    step = (width - 2 * pad) / (len(points) - 1)
    xy = " ".join(
        f"{pad + i * step:.1f},{pad + (height - 2 * pad) * (1 - (v - low) / span):.1f}" for i, v in enumerate(points)
    )
    line = f'<polyline points="{xy}" fill="none" stroke="#5e6875" stroke-width="2" vector-effect="non-scaling-stroke"/>'
    box = f'xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" preserveAspectRatio="none"'
    if not image:
        return f'<svg class="llr-spark" {box} role="img" aria-label="{_e(label)}">{line}</svg>'
    data = base64.b64encode(f"<svg {box}>{line}</svg>".encode()).decode()
    return f'<img class="llr-spark" src="data:image/svg+xml;base64,{data}" alt="{_e(label)}">'


def badges(row: Mapping) -> list[tuple[str, str, str]]:
    """The card's badges, in order: (words, tone, what the words mean in a sentence)."""
    status = _text(row, "status") or "no_target"
    out = [(STATUS_WORDS.get(status, STATUS_WORDS["no_target"]), _STATUS_TONE.get(status, "grey"),
            _text(row, "status_text"))]  # fmt: skip
    variation = row.get("variation")
    if isinstance(variation, str) and variation in VARIATION_WORDS:
        out.append((VARIATION_WORDS[variation], _VARIATION_TONE[variation], ""))
    else:
        out.append((TOO_FEW_POINTS, "grey", "At least 13 points are needed to calculate process limits."))
    assurance = row.get("assurance")
    if isinstance(assurance, str) and assurance in ASSURANCE_WORDS:
        out.append((ASSURANCE_WORDS[assurance], _ASSURANCE_TONE[assurance], ""))
    state = _text(row, "currency_state") or "no_data"
    if _text(row, "currency_badge"):
        out.append((_text(row, "currency_badge"), _CURRENCY_TONE.get(state, "grey"), _text(row, "currency_text")))
    return out


def card_html(
    row: Mapping,
    source_line: str = "",
    heading: bool = True,
    demo_labels: Sequence[str] = (),
    screen: bool = False,
) -> str:
    """One indicator card (see the module docstring) as an HTML fragment.

    Parameters
    ----------
    row : mapping
        A brief row (``metrics.brief.BRIEF_COLUMNS``).
    source_line : str
        ``Source: publisher, publication, period`` (``metrics.summary.source_line``).
    heading : bool
        Start with the indicator's name as a heading (the screen gives its own, with help).
    demo_labels : sequence of str
        Labels for figures that are demonstration data or supplied locally, shown on the figure.
    screen : bool
        For ``st.html``: the sparkline as an image (see :func:`sparkline_svg`); the words are the same.
    """
    name, period = _text(row, "name"), _text(row, "latest_label")
    direction = _DIRECTION_CLASS.get(_text(row, "direction"), "same")
    change = row.get("change")
    arrow = "off" if change is None or (isinstance(change, float) and math.isnan(change)) or change == 0 else (
        "up" if change > 0 else "down")  # fmt: skip
    figure = [
        f'<p class="llr-value"><span class="llr-figure-value">{_e(row.get("value_text"))}</span></p>',
    ]
    if _text(row, "change_text"):
        figure.append(
            f'<p class="llr-change {direction}" data-arrow="{arrow}" data-direction="{_e(_text(row, "direction"))}">'
            f"{_e(row.get('change_text'))}</p>"
        )
    spark = list(row.get("sparkline") or [])
    label = f"Sparkline: the last {len(spark)} periods of {name}, oldest on the left"
    figure.append(sparkline_svg(spark, label, image=screen))
    if _text(row, "numbers_text"):
        figure.append(f'<p class="llr-numbers">{_e(row.get("numbers_text"))}</p>')
    main = _text(row, "main_text")
    if main:
        who, sep, rest = main.partition(" on its own: ")
        words = f"<strong>{_e(who + sep.rstrip())}</strong> {_e(rest)}" if sep else _e(main)
        figure.append(f'<p class="llr-main">{words}</p>')
    if _text(row, "components_text"):
        figure.append(f'<p class="llr-parts">Made up of: {_e(row.get("components_text"))}.</p>')
    figure += [f'<p class="llr-badge llr-demo">{_e(label)}</p>' for label in demo_labels]

    words = [
        '<p class="llr-badges">'
        + "".join(
            f'<span class="llr-badge {tone}"' + (f' title="{_e(help_)}"' if help_ else "") + f">{_e(label)}</span>"
            for label, tone, help_ in badges(row)
        )
        + "</p>"
    ]
    if _text(row, "verdict"):
        words.append(f'<p class="llr-verdict">{_e(row.get("verdict"))}</p>')
    if _text(row, "gap_numbers_text"):
        words.append(f'<p class="llr-note">To meet the target, {_e(row.get("gap_numbers_text"))}.</p>')
    for key in ("spc_note", "currency_text"):
        if _text(row, key):
            words.append(f'<p class="llr-note">{_e(row.get(key))}</p>')

    top = f"<h3>{_e(name)}</h3>" if heading else ""
    if source_line:
        top += f'<p class="llr-source">{_e(source_line)}</p>'
    return (
        f'<div class="llr-card" data-metric="{_e(_text(row, "metric_id"))}" data-label="{_e(f"{name} ({period})")}">'
        f'{top}<div class="llr-cols"><div class="llr-figure">{"".join(figure)}</div>'
        f'<div class="llr-words">{"".join(words)}</div></div></div>'
    )


def screen_card_html(
    card: str,
    anchor: str,
    name: str,
    about: str,
    questions: Sequence[tuple[str, str]] = (),
    actions: Sequence[tuple[str, str, str, str]] = (),
) -> str:
    """One Meeting brief card as the screen shows it, as one HTML fragment: the indicator's name as a
    heading the brief's summary links to, what it measures (opened on a click, printed open), the
    card (:func:`card_html`), then the committee's open actions and the questions it raises.

    One fragment a card, not a heading, a box, the card and two lists: the brief has about fifty
    cards, and each element Streamlit draws is a message of its own to every reader (issue #23).

    Parameters
    ----------
    card : str
        The card itself (:func:`card_html` with ``heading=False``).
    anchor : str
        The fragment's id, for links to the card (``card-ae_4hr_all``).
    name, about : str
        The indicator's name, and what it measures (its description and definition).
    questions : sequence of (question, the figures it rests on)
        The suggested questions, in the brief's order.
    actions : sequence of (how it stands, action, owner, when agreed)
        The committee's open actions on the indicator, the soonest due first.
    """
    parts = [
        f'<section class="llr-brief-card" id="{_e(anchor)}" aria-label="{_e(name)}">',
        f"<h3>{_e(name)}</h3>",
        f'<details class="llr-about"><summary>What this measures</summary><p>{_e(about)}</p></details>',
        card,
    ]
    if actions:
        items = "".join(
            f"<li><strong>{_e(standing)}.</strong> {_e(action)} ({_e(owner)}; agreed {_e(agreed)})</li>"
            for standing, action, owner, agreed in actions
        )
        parts.append(
            f'<div class="llr-asked llr-actions"><p><strong>Committee actions ({len(actions)} open)</strong></p>'
            f"<ul>{items}</ul></div>"
        )
    if questions:
        items = "".join(
            f'<li>{_e(text)}<span class="llr-figures">Figures: {_e(figures)}</span></li>' for text, figures in questions
        )
        parts.append(
            f'<div class="llr-asked llr-questions"><p><strong>Questions to ask</strong></p><ul>{items}</ul></div>'
        )
    parts.append("</section>")
    return "".join(parts)
