"""ui.safe: text from data is literal in Markdown and in Plotly labels (the browser test renders it)."""

from __future__ import annotations

import re

import pandas as pd

from ui import safe

HOSTILE = (
    "[Corrected figures: sign in here](https://evil.example/login) ![](http://127.0.0.1:9/pixel.png) **URGENT** "
    '<a href="https://evil.example/a">x</a> www.evil.example boss@evil.example :red[alert] $x$ &amp;\nline two'
)


def unescaped(text: str) -> str:
    """What the renderer sees once backslash escapes are undone (the characters shown)."""
    return re.sub(r"\\(.)", r"\1", text)


def test_every_markdown_character_from_data_is_escaped():
    out = safe.md(HOSTILE)
    # No Markdown, HTML, directive, entity or maths character is left for the renderer to act on.
    assert not re.search(r"(?<!\\)[\[\]()!*<>:$&_`#]", out)
    assert "\n" not in out


def test_the_reader_sees_the_same_characters_without_bare_links():
    shown = unescaped(safe.md(HOSTILE))
    assert shown.replace(safe.ZERO_WIDTH_SPACE, "") == HOSTILE.replace("\n", " ")
    # A bare address is linked by the renderer after escapes are undone: none is left whole.
    assert not re.search(r"https?://|www\.|@[a-z]", shown)


def test_missing_values_are_empty_and_tables_are_escaped_cell_by_cell():
    assert safe.md(None) == safe.md(float("nan")) == ""
    frame = safe.md_table(pd.DataFrame({"Check": ["File"], "Result": ["**x**.csv"], "Rows": [3]}))
    assert frame.to_dict("records") == [{"Check": "File", "Result": "\\*\\*x\\*\\*\\.csv", "Rows": 3}]


def test_plotly_text_from_data_has_no_tags():
    assert safe.plot('<a href="https://evil.example">UHL</a> <b>x</b><br>') == (
        '&lt;a href="https://evil.example"&gt;UHL&lt;/a&gt; &lt;b&gt;x&lt;/b&gt;&lt;br&gt;'
    )
    assert safe.plot("A&E") == "A&amp;E"  # Plotly shows the entity as "&"


def test_the_pack_links_only_web_addresses():
    from metrics.pack.page import web_address

    assert web_address("https://digital.nhs.uk/x") == "https://digital.nhs.uk/x"
    assert web_address("http://example.org") == "http://example.org"
    for url in ("javascript:alert(1)", "data:text/html,x", "file:///etc/passwd", "//evil.example", "https://",
                "http://[zz/", "https://a.example/\nb", None, float("nan"), ""):  # fmt: skip
        assert web_address(url) == "", url
