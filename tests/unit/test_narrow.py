"""A table as a list on a phone: every row a card with its fields labelled, text never markup (#20)."""

import pandas as pd

from ui.narrow import list_html


def test_each_row_is_a_card_with_its_period_and_currency():
    table = pd.DataFrame(
        {"Indicator": ["A&E 4-hour performance"], "Latest period": ["March 2026"], "Currency": ["Current"],
         "Target": [""]}
    )  # fmt: skip
    text = list_html(table, "Indicator", ["Latest period", "Currency", "Target"])
    assert text.count("<li>") == 1
    assert '<span class="label">Latest period:</span> March 2026' in text
    assert '<span class="label">Currency:</span> Current' in text
    assert "Target:" not in text, "an empty field is left out"
    assert "A&amp;E 4-hour performance" in text


def test_text_from_files_is_escaped():
    table = pd.DataFrame({"Indicator": ["<script>x</script>"], "Latest period": ['<a href="y">z</a>']})
    text = list_html(table, "Indicator", ["Latest period"])
    assert "<script>" not in text and "<a href" not in text
