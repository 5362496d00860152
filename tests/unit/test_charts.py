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
            (pd.date_range("2016-06-01", periods=4, freq="MS"), "month",
             ["Jun 2016", "Jul 2016", "Aug 2016", "Sep 2016"]),
            (pd.date_range("2016-06-01", periods=5, freq="MS"), "month", ["Jun 2016", "Sep 2016"]),
            (pd.date_range("2022-04-01", periods=3, freq="QS-APR"), "quarter",
             ["2022/23 Q1", "2022/23 Q2", "2022/23 Q3"]),
            (pd.to_datetime(["2018-04-01", "2019-04-01", "2020-04-01"]), "year", ["2018/19", "2019/20", "2020/21"]),
        ],
    )  # fmt: skip
    def test_ticks_name_periods_for_the_frequency(self, starts, frequency, expected):
        fig = go.Figure()
        charts.period_axis(fig, starts, frequency)
        assert _ticks(fig) == expected

    def test_long_monthly_series_ticks_every_third_april_so_labels_fit_a_phone(self):
        fig = go.Figure()
        charts.period_axis(fig, pd.date_range("2016-01-01", "2026-03-01", freq="MS"), "month")
        assert _ticks(fig) == ["Apr 2016", "Apr 2019", "Apr 2022", "Apr 2025"]

    @pytest.mark.parametrize(
        "starts, frequency",
        [
            (pd.date_range("2010-08-01", "2026-03-01", freq="MS"), "month"),
            (pd.date_range("2019-04-01", "2026-03-01", freq="MS"), "month"),
            (pd.date_range("2024-01-01", "2026-03-01", freq="MS"), "month"),
            (pd.date_range("2010-04-01", "2026-03-01", freq="QS-APR"), "quarter"),
            (pd.date_range("2010-04-01", "2026-03-01", freq="YS-APR"), "year"),
        ],
    )
    def test_never_more_ticks_than_fit_390_px(self, starts, frequency):
        # A phone's chart is about 310 px wide inside its margins: four labels of up to ten characters at 11 px.
        fig = go.Figure()
        charts.period_axis(fig, starts, frequency)
        assert 2 <= len(_ticks(fig)) <= charts.MAX_TICKS
        assert max(len(t) for t in _ticks(fig)) * 6 * len(_ticks(fig)) <= 310

    def test_ticks_stay_evenly_spaced_across_a_gap(self):
        starts = list(pd.date_range("2016-04-01", "2019-03-01", freq="MS")) + list(
            pd.date_range("2020-04-01", "2026-03-01", freq="MS")
        )
        fig = go.Figure()
        charts.period_axis(fig, starts, "month")
        assert _ticks(fig) == ["Apr 2016", "Apr 2019", "Apr 2022", "Apr 2025"]


class TestGapsColoursAndLegend:
    def test_a_year_with_no_files_is_named(self):
        starts = list(pd.date_range("2018-04-01", "2019-03-01", freq="MS")) + list(
            pd.date_range("2020-04-01", "2021-03-01", freq="MS")
        )
        spans = charts.missing_spans(starts, "month")
        assert spans == [(pd.Timestamp("2019-04-01"), pd.Timestamp("2020-03-01"))]
        assert charts.gap_label(*spans[0], "month") == "No figures held Apr 2019 – Mar 2020"

    def test_one_missing_month_is_not_a_gap(self):
        starts = pd.to_datetime(["2020-01-01", "2020-03-01", "2020-04-01"])
        assert charts.missing_spans(starts, "month") == []

    def test_the_chart_shades_and_names_the_gap(self, catalogue):
        months = list(pd.date_range("2018-04-01", "2019-03-01", freq="MS")) + list(
            pd.date_range("2020-04-01", "2021-03-01", freq="MS")
        )
        ind = _indicator(catalogue, list(np.linspace(60, 70, 24)), months)
        fig = charts.spc_chart(ind.series, ind.metric)
        texts = [a.text for a in fig.layout.annotations]
        assert "No figures held<br>Apr 2019 – Mar 2020" in texts
        assert len(fig.layout.shapes) == 1 and fig.layout.shapes[0].type == "rect"

    def test_a_comparison_names_only_the_periods_no_line_has(self, catalogue):
        held = list(pd.date_range("2018-04-01", "2019-03-01", freq="MS")) + list(
            pd.date_range("2020-04-01", "2021-03-01", freq="MS")
        )
        frame = pd.concat(
            [
                pd.DataFrame({"period_start": held, "value": 1.0, "label": "UHL", "colour_key": "RWE"}),
                pd.DataFrame({"period_start": held[:6], "value": 2.0, "label": "Oakham", "colour_key": "NNJ15"}),
            ]
        )
        fig = charts.compare_chart(frame, catalogue.metric("ae_4hr_all"))
        assert [a.text for a in fig.layout.annotations] == ["No figures held<br>Apr 2019 – Mar 2020"]

    def test_incomplete_points_have_a_visible_legend_symbol(self, catalogue):
        months = pd.date_range("2024-04-01", periods=14, freq="MS")
        ind = _indicator(catalogue, list(np.linspace(60, 70, 14)), months)
        frame = ind.series.copy()
        frame.loc[frame.index[-1], "excluded"] = True
        fig = charts.spc_chart(frame, ind.metric)
        (trace,) = [t for t in fig.data if t.name == "Incomplete (left out of limits)"]
        assert trace.showlegend is not False
        assert trace.marker.symbol == "circle-open"
        assert trace.marker.color not in ("white", "#ffffff", "#FFFFFF"), "an open symbol takes the marker colour"

    def test_an_organisation_keeps_its_colour_on_every_chart(self, catalogue):
        one = pd.DataFrame(
            {"period_start": pd.to_datetime(["2025-01-01"] * 3), "value": [1.0, 2.0, 3.0],
             "label": ["LLR total", "UHL", "DHU centres"], "colour_key": ["LLR", "RWE", "utc"]}
        )  # fmt: skip
        two = pd.DataFrame(
            {"period_start": pd.to_datetime(["2025-01-01"] * 3), "value": [1.0, 2.0, 3.0],
             "label": ["Oakham (NNJ15)", "England", "University Hospitals of Leicester (RWE)"],
             "colour_key": ["NNJ15", "E92000001", "RWE"]}
        )  # fmt: skip
        metric = catalogue.metric("ae_4hr_all")
        first = {t.name: t.line.color for t in charts.compare_chart(one, metric).data}
        second = {t.name: t.line.color for t in charts.compare_chart(two, metric).data}
        assert first["UHL"] == second["University Hospitals of Leicester (RWE)"] == charts.NHS_BLUE
        assert len(set(first.values())) == 3 and len(set(second.values())) == 3, "lines in one chart differ"

    def test_colours_do_not_depend_on_a_line_s_position(self):
        keys = ["NNJ07", "NNJ0H", "NNJ12", "RWE"]
        assert charts.line_colours(keys) == charts.line_colours(list(reversed(keys)))

    def test_close_events_are_staggered(self, catalogue):
        months = pd.date_range("2019-04-01", periods=36, freq="MS")
        ind = _indicator(catalogue, list(np.linspace(60, 70, 36)), months)
        marks = [(1, pd.Timestamp("2020-03-01"), "a", "event"), (2, pd.Timestamp("2020-05-01"), "b", "event")]
        fig = charts.spc_chart(ind.series, ind.metric, marks)
        heights = [a.y for a in fig.layout.annotations if a.text in ("<b>1</b>", "<b>2</b>")]
        assert heights[0] != heights[1], "two months apart on a three-year axis: one above the other"


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


def test_every_kind_of_chart_is_a_valid_plotly_figure(catalogue):
    """Charts are built without Plotly's step-by-step checks (``charts.new_figure``): the finished
    figure, with events, a gap, incomplete points and a target, passes Plotly's full validation,
    as ``st.plotly_chart`` applies it before sending."""
    months = list(pd.date_range("2018-04-01", "2019-03-01", freq="MS")) + list(
        pd.date_range("2020-04-01", "2022-03-01", freq="MS")
    )
    ind = _indicator(catalogue, list(np.linspace(60, 80, len(months))), months, metric="ae_4hr_all")
    frame = ind.series.copy()
    frame.loc[frame.index[-1], "excluded"] = True
    marks = [(1, pd.Timestamp("2020-06-01"), "an <event>", "event"), (2, pd.Timestamp("2020-07-01"), "b", "rebase")]
    spc = charts.spc_chart(frame, ind.metric, marks, title="A & B")
    compare = charts.compare_chart(
        pd.DataFrame({"period_start": months, "value": 1.0, "label": "UHL", "colour_key": "RWE"}),
        catalogue.metric("ae_4hr_all"),
    )
    for fig in (spc, compare):
        checked = go.Figure(fig.to_dict())  # raises ValueError on any invalid property
        assert len(checked.data) == len(fig.data) and len(checked.data) > 0
        assert len(checked.layout.shapes) == len(fig.layout.shapes)
        built = fig.to_dict()["layout"].get("annotations", [])
        assert [a.text for a in checked.layout.annotations] == [a["text"] for a in built]
    assert any(s["type"] == "rect" for s in spc.to_dict()["layout"]["shapes"])
