"""Text that came from a file, a statistics page or the database, made safe to put on screen.

Streamlit renders Markdown in ``st.markdown``, ``st.caption``, ``st.write`` of a string, the alert
boxes (``st.error``, ``st.success`` ...), headings, expander labels and ``st.table`` cells, with
its own directives on top (``:red[...]``, ``:material/icon:``, ``$maths$``) and GitHub-style bare
links (``https://...``, ``www....``, e-mail addresses). Plotly renders a subset of HTML (``<a href>``,
``<b>``, ``<br>``, ``<span style>``) in legends, labels and hover text. A source name such as
``[Corrected figures: sign in here](https://evil.example/login) ![](http://host/pixel.png) **URGENT**``
must reach the reader as those characters: never a link, an image the browser fetches, or bold text.

Text the project writes itself (page copy, catalogue names) keeps its Markdown; only the pieces
that came from data go through these helpers, at the point where they are put on screen.
"""

from __future__ import annotations

import html
import re

import pandas as pd

# CommonMark lets a backslash escape any ASCII punctuation character, and an escaped character is
# shown as itself: escaping every one leaves no link, image, emphasis, entity or directive for
# the renderer to find, and changes nothing the reader sees.
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_SPACES = re.compile(r"\s+")
# GitHub-style bare links are found in the rendered text, after escapes are undone: a zero-width
# space after "https:", before the dot of "www." and after "@" leaves no address to link to.
_BARE_LINK = re.compile(r"(?<=:)(?=//)|(?<=www)(?=\.)|(?<=@)", re.IGNORECASE)
ZERO_WIDTH_SPACE = "\u200b"


def md(text) -> str:
    """``text`` as literal characters inside Markdown: one line, every punctuation mark escaped."""
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return ""
    flat = _SPACES.sub(" ", "".join(ch if ch.isprintable() or ch.isspace() else " " for ch in str(text)))
    return _PUNCTUATION.sub(r"\\\1", _BARE_LINK.sub(ZERO_WIDTH_SPACE, flat))


def md_table(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame for ``st.table`` (which renders Markdown in cells) with every text cell made literal."""
    return frame.map(lambda v: md(v) if isinstance(v, str) else v)


def plot(text) -> str:
    """``text`` as literal characters in a Plotly label, legend entry or hover text (HTML-escaped)."""
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return ""
    return html.escape(str(text), quote=False)
