"""Tests for ui.charts: axes a reader can read, a legend naming every line, labels off the data."""

import datetime as dt

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from metrics import query
from ui import charts


def _ticks(fig):
    return list(fig.layout.xaxis.ticktext)


class TestPeriodAxis:
    @pytest.mark.parametrize(
        "starts, frequency, expected",
        [
            (pd.date_range("2016-06-01", periods=5, freq="MS"), "month",
             ["Jun 2016", "Jul 2016", "Aug 2016", "Sep 2016", "Oct 2016"]),
            (pd.date_range("2022-04-01", periods=3, freq="QS-APR"), "quarter",
             ["2022/23 Q1", "2022/23 Q2", "2022/23 Q3"]),
            (pd.to_datetime(["2018-04-01", "2019-04-01", "2020-04-01"]), "year", ["2018/19", "2019/20", "2020/21"]),
        ],
    )  # fmt: skip
    def test_ticks_name_periods_for_the_frequency(self, starts, frequency, expected):
        fig = go.Figure()
        charts.period_axis(fig, starts, frequency)
        assert _ticks(fig) == expected

    def test_long_monthly_series_ticks_each_april(self):
        fig = go.Figure()
        charts.period_axis(fig, pd.date_range("2016-01-01", "2026-03-01", freq="MS"), "month")
        assert _ticks(fig)[:3] == ["Apr 2016", "Apr 2017", "Apr 2018"]
        assert all(t.startswith("Apr") for t in _ticks(fig))


def _indicator(catalogue, values, months, metric="ae_4hr_type1"):
    data = pd.DataFrame(
        {"metric_id": metric, "org_code": "RWE", "period_start": months, "period_type": "month",
         "numerator": np.array(values) * 10, "denominator": 1000.0, "value": values, "source_id": 1}
    )  # fmt: skip
    return query.indicator(data, catalogue, metric, "llr", dt.date(2026, 11, 30))


class TestSpcChart:
    def test_legend_names_both_limits_and_the_line_breaks_at_a_gap(self, catalogue):
        months = list(pd.date_range("2016-04-01", periods=20, freq="MS")) + list(
            pd.date_range("2021-04-01", periods=20, freq="MS")
        )
        values = list(np.round(np.random.default_rng(1).normal(70, 2, 40), 1))
        ind = _indicator(catalogue, values, months)
        fig = charts.spc_chart(ind.series, ind.metric, charts.chart_events(ind.series, ind.rebases))
        names = [t.name for t in fig.data if t.showlegend is not False]
        assert {"Mean", "Upper process limit", "Lower process limit"} <= set(names)
        line = fig.data[0]
        assert None in list(line.x)  # the pen lifts over April 2018 to March 2021
        assert list(line.x).index(None) == 20

    def test_event_labels_sit_above_the_plot(self, catalogue):
        months = pd.date_range("2019-04-01", periods=30, freq="MS")
        ind = _indicator(catalogue, list(np.linspace(60, 70, 30)), months)
        events = pd.DataFrame({"on_date": [pd.Timestamp("2020-03-01")], "text": ["COVID-19 pandemic"]})
        marks = charts.chart_events(ind.series, ind.rebases, events)
        assert [(n, text) for n, _, text, _ in marks] == [
            (1, "March 2020: COVID-19 pandemic"),
            (2, "New limits from March 2020: COVID-19 pandemic: services reorganised (March 2020)"),
        ]
        fig = charts.spc_chart(ind.series, ind.metric, marks)
        assert [a.text for a in fig.layout.annotations] == ["<b>1</b>", "<b>2</b>"]
        assert all(a.y >= 1.0 and a.yref == "paper" for a in fig.layout.annotations)

    def test_hover_gives_the_period_and_the_numbers_behind_a_percentage(self, catalogue):
        months = pd.date_range("2024-04-01", periods=3, freq="MS")
        ind = _indicator(catalogue, [60.0, 61.0, 62.0], months)
        fig = charts.spc_chart(ind.series, ind.metric)
        texts = [t for trace in fig.data if trace.hovertext is not None for t in trace.hovertext]
        assert "<b>June 2024</b><br>62.0% (620 of 1,000)<br>run chart" in texts
