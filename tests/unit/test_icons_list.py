"""The icons view on a phone: a list with each icon's words beside it, every piece of text escaped (#20)."""

from __future__ import annotations

import pandas as pd

from ui import icons
from ui.brief_view import icons_legend_html, icons_list_html


def _table(name: str = "A&E 4-hour performance", change: str = "up 0.2 percentage points") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Indicator": [name, "Beds occupied"],
            "Latest": ["78.8% (March 2026)", "92.0% (March 2026)"],
            "Variation icon": [
                icons.variation_icon("improvement_high", "Improving (higher)"),
                icons.variation_icon(None, "x"),
            ],
            "Assurance icon": [icons.assurance_icon("fail", "Consistently misses target"), ""],
            "Target": ["✘ Target not met", "– No target"],
            "Since the meeting": [change, ""],
            "Currency": ["Current", "Current"],
            "Group": ["Concerns", "Concerns"],
            "Variation": ["Improving (higher)", "Too few points"],
            "Assurance": ["Consistently misses target", ""],
        }
    )


def test_each_icon_has_its_words_beside_it():
    text = icons_list_html(_table())
    assert "Variation: Improving (higher)" in text and "Assurance: Consistently misses target" in text
    assert "Assurance: no target" in text, "an indicator without assurance says so rather than showing a blank"
    assert text.count("<li>") == 2 and text.count("<h4>Concerns</h4>") == 1, "one line each, under their group"
    assert "78.8% (March 2026) · ✘ Target not met · up 0.2 percentage points · Current" in text


def test_names_from_files_are_shown_as_text_never_markup():
    text = icons_list_html(_table(name='<img src=x onerror="alert(1)">', change="<b>up</b>"))
    assert "<img src=x" not in text and "&lt;img src=x" in text
    assert "<b>up</b>" not in text and "&lt;b&gt;up&lt;/b&gt;" in text


def test_the_legend_names_every_icon_in_words():
    legend = icons_legend_html()
    for words in ("Ordinary variation", "Consistently meets target", "Consistently misses target", "Hit and miss"):
        assert words in legend
