"""The Making Data Count icons as the project's own small SVGs, with their words.

Simple, original drawings in the colours NHS England's "Making Data Count" uses: grey for common
cause, blue for improvement, orange for concern, purple for special cause that is neither; for
assurance blue P (consistently passes), orange F (consistently fails), grey ~ (hit and miss).
Each SVG carries a ``<title>`` and ``aria-label`` (its text alternative, the badges' words);
tables show the words beside the icon as well. The SVGs are only ever shown as images (data
URIs), never injected as HTML.
"""

from __future__ import annotations

import base64
import html

GREY, BLUE, ORANGE, PURPLE = "#7b7d7d", "#2c6eb5", "#d67a13", "#7f4ea8"

# name: (colour, mark); the words are the badges' words (ui.components), one verdict on every view
_VARIATION = {
    "common_cause": (GREY, "~"),
    "improvement_high": (BLUE, "H\u2191"),
    "improvement_low": (BLUE, "L\u2193"),
    "concern_high": (ORANGE, "H\u2191"),
    "concern_low": (ORANGE, "L\u2193"),
    "neither_high": (PURPLE, "H\u2191"),
    "neither_low": (PURPLE, "L\u2193"),
}
_ASSURANCE = {
    "pass": (BLUE, "P"),
    "fail": (ORANGE, "F"),
    "hit_and_miss": (GREY, "~"),
}
_NONE = ("#c8c8c8", "\u2013")


def _svg(colour: str, mark: str, words: str) -> str:
    words = html.escape(words, quote=True)
    size = 13 if len(mark) > 1 else 16
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="28" height="28" viewBox="0 0 32 32" '
        f'role="img" aria-label="{words}"><title>{words}</title>'
        f'<circle cx="16" cy="16" r="14" fill="{colour}" stroke="#ffffff" stroke-width="2"/>'
        f'<text x="16" y="{16 + size * 0.36:.1f}" text-anchor="middle" font-family="Arial, sans-serif" '
        f'font-size="{size}" font-weight="bold" fill="#ffffff">{mark}</text></svg>'
    )


def _data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def variation_icon(name: str | None, words: str) -> str:
    """The variation icon as a data URI, ``words`` as its text alternative (grey dash: too few points)."""
    colour, mark = _VARIATION.get(name or "", _NONE)
    return _data_uri(_svg(colour, mark, words))


def assurance_icon(name: str | None, words: str) -> str:
    """The assurance icon as a data URI, ``words`` as its text alternative ('' when there is none)."""
    if name not in _ASSURANCE:
        return ""
    colour, mark = _ASSURANCE[name]
    return _data_uri(_svg(colour, mark, words))
