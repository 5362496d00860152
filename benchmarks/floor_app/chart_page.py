"""The floor's chart page: a heading, one Plotly line chart of 120 points and a 120-row table."""

import math

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

st.title("Benchmark floor: chart and table")
st.caption("Benchmark page; the series is generated, not data.")
frame = pd.DataFrame(
    {
        "period": pd.period_range("2016-04", periods=120, freq="M").to_timestamp(),
        "value": [70 + 10 * math.sin(i / 6) + (i % 7) for i in range(120)],
    }
)
mean = frame["value"].mean()
figure = go.Figure(go.Scatter(x=frame["period"], y=frame["value"], mode="lines+markers", name="value"))
figure.add_hline(y=mean, line_dash="dash", annotation_text="mean")
figure.update_layout(height=420, margin={"l": 40, "r": 20, "t": 30, "b": 40})
st.plotly_chart(figure, config={"displaylogo": False})
st.dataframe(frame, hide_index=True)
