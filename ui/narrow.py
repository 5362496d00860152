"""Tables that stay readable on a phone: the sortable table on a wide screen, the same rows as a
list of short cards below 640 px, so nothing is cut off or scrolls sideways at 390 px (issue #20).

Every piece of text is HTML-escaped here (names and periods come from loaded files); the style
sheet is the project's own and static.
"""

from __future__ import annotations

import html

import pandas as pd
import streamlit as st

from ui import plots

#: Below 640 px the list replaces the table (a static style sheet; ``KEY`` is filled in per table).
_STYLE = """<style>
.st-key-KEY-narrow { display: none; }
@media (max-width: 640px) {
  .st-key-KEY-wide { display: none !important; }
  .st-key-KEY-narrow { display: block; }
}
ul.narrow-list { list-style: none; padding: 0 !important; margin: 0 !important; font-family: Arial, sans-serif; }
ul.narrow-list li { border-top: 1px solid #d8dde0; padding: 0.45rem 0; margin: 0 !important;
  overflow-wrap: anywhere; }
.narrow-list .name { font-weight: bold; }
.narrow-list .field { font-size: 0.92rem; }
.narrow-list .label { color: #425563; }
</style>"""


def list_html(table: pd.DataFrame, name_column: str, columns: list[str]) -> str:
    """Each row as a card: its name in bold, then ``Label: value`` for each of ``columns`` with a value."""
    items = []
    for row in table.to_dict("records"):
        fields = "".join(
            f'<div class="field"><span class="label">{html.escape(c)}:</span> {html.escape(str(row[c]))}</div>'
            for c in columns
            if c in row and isinstance(row[c], str) and row[c]
        )
        items.append(f'<li><div class="name">{html.escape(str(row[name_column]))}</div>{fields}</li>')
    return f'<ul class="narrow-list">{"".join(items)}</ul>'


def table_or_list(table: pd.DataFrame, key: str, name_column: str, columns: list[str], **dataframe_args) -> None:
    """``st.dataframe`` on a wide screen; on a phone the same rows as a list (``list_html``)."""
    st.html(_STYLE.replace("KEY", key))
    with st.container(key=f"{key}-wide"):
        plots.table(table, **dataframe_args)
    with st.container(key=f"{key}-narrow"):
        # A kept table (``data.per_version``) is listed once, not on every run.
        st.html(plots.made_from(table, f"list {name_column} {columns}", lambda t: list_html(t, name_column, columns)))
