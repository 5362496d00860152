"""Charts kept per data version (ui/plots.py): the same chart for the same choices, a new one when
the choices or the data change, and exactly the JSON Plotly would have sent."""

from __future__ import annotations

import json

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from ui import data, plots


def _figure(points: list[str]) -> go.Figure:
    fig = go.Figure()
    fig.add_scatter(x=[f"{p}-01" for p in points], y=[float("nan"), *range(1, len(points))], name="LLR")
    fig.update_layout(title="A&E 4-hour performance")
    return fig


@pytest.fixture
def drawn(monkeypatch):
    """The figures ``st.plotly_chart`` is handed, and the data version the memo sees."""
    shown: list[go.Figure] = []
    version = {"token": "v1"}
    monkeypatch.setattr(data, "version", lambda: version["token"])
    monkeypatch.setattr(plots.st, "plotly_chart", lambda fig, **kwargs: shown.append(fig))
    data._SECTIONS.clear()
    data._CHARTS.clear()
    yield shown, version
    data._SECTIONS.clear()
    data._CHARTS.clear()


def test_the_json_sent_is_the_figures_own(drawn):
    shown, _ = drawn
    plots.chart(("spc", "ae_4hr_all", "llr", 2019), _figure, ["2026-01", "2026-02"], key="k", alt="a")
    expected = pio.to_json(_figure(["2026-01", "2026-02"]), validate=False)
    # What Streamlit writes: plotly.io.to_json of the figure's dictionary (NaN as null included).
    assert pio.to_json(shown[0].to_dict(), validate=False) == expected
    assert json.loads(expected)["data"][0]["y"][0] is None


def test_one_build_per_data_version_and_choice(drawn):
    shown, version = drawn
    builds = []

    def build(points):
        builds.append(points)
        return _figure(points)

    for _ in range(3):
        plots.chart(("spc", "ae_4hr_all", "llr", 2019), build, ["2026-01"], key="k", alt="a")
    assert len(builds) == 1 and shown[0] is shown[1] is shown[2]

    plots.chart(("spc", "ae_4hr_all", "llr", 2022), build, ["2026-02"], key="k", alt="a")  # another start year
    assert len(builds) == 2 and shown[3] is not shown[0]

    version["token"] = "v2"  # a file was loaded: the chart is drawn again from the new figures
    plots.chart(("spc", "ae_4hr_all", "llr", 2019), build, ["2026-03"], key="k", alt="a")
    assert len(builds) == 3
    assert json.loads(pio.to_json(shown[4].to_dict()))["data"][0]["x"] == ["2026-03-01"]


def test_a_table_is_converted_once_and_shows_the_frame(drawn, monkeypatch):
    _, version = drawn
    shown = []
    monkeypatch.setattr(plots.st, "dataframe", lambda table, **options: shown.append((table, options)))
    made = []

    def make():
        made.append(1)
        return pd.DataFrame({"File": ["ae-march-2026.csv", "kh03-q4.xlsx"], "Rows": [1_872, 233]})

    # A frame kept per data version is the same object on every run: converted once.
    plots.table(data.per_version(("sources table",), make))
    plots.table(data.per_version(("sources table",), make))
    assert len(made) == 1 and shown[0][0] is shown[1][0]
    assert shown[0][0].to_pandas().equals(make()) and shown[0][1] == {"hide_index": True}
    version["token"] = "v2"  # a file was loaded: a new frame, converted again and shown as it is
    plots.table(data.per_version(("sources table",), lambda: make().head(1)))
    assert shown[2][0] is not shown[0][0] and shown[2][0].num_rows == 1


def test_a_table_is_forgotten_with_its_frame(monkeypatch):
    monkeypatch.setattr(plots.st, "dataframe", lambda table, **options: None)
    frame = pd.DataFrame({"Rows": [1, 2]})
    plots.table(frame)
    key = (id(frame), "arrow")
    assert key in plots._MADE
    del frame
    assert key not in plots._MADE
