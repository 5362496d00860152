"""The floor's text page: a heading and 50 text and metric elements (10 sections of 5)."""

import streamlit as st

st.title("Benchmark floor: text and metrics")
for section in range(1, 11):
    st.subheader(f"Section {section}")
    st.markdown(f"Generated text for section {section}: a sentence of about the length a card uses.")
    st.caption("Benchmark page; the numbers below are generated, not data.")
    left, right = st.columns(2)
    left.metric(f"Measure {section}a", f"{section * 7.5:.1f}%", f"{section / 10:+.1f} pts")
    right.metric(f"Measure {section}b", f"{section * 1234:,}", f"{-section:+d}")
