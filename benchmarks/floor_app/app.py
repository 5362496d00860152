"""Streamlit's own floor: a bare app that the benchmarks time beside the dashboard's pages.

    streamlit run benchmarks/floor_app/app.py

Two pages and nothing else: no database, no catalogue, no sidebar filters, no caching. One page
sends 51 text and metric elements, the other one Plotly chart and a table, so what a run of either
costs is what Streamlit itself costs on this machine for a page of that size. The benchmarks
(``bench_sessions``, ``bench_browser``) serve it the same way as ``app.py`` and print each page of
the dashboard as a ratio to it. Its figures are generated, say so on the page, and are never data.
"""

import streamlit as st

st.set_page_config(page_title="Benchmark floor", layout="wide")

page = st.navigation(
    [
        st.Page("text_page.py", title="Floor: text and metrics", default=True),
        st.Page("chart_page.py", title="Floor: chart and table", url_path="chart"),
    ]
)
page.run()
