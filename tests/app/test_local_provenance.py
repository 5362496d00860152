"""A figure typed into the generic template is labelled local wherever it is shown, never as the
national statistic of its metric."""

from __future__ import annotations

import pandas as pd
import pytest

from loaders.ingest import ingest_file
from metrics import store
from tests.app.conftest import app_runner, brief_cards, shown

LOCAL = "Supplied locally: not an official statistic"


@pytest.fixture
def local_db_url(tmp_path, catalogue):
    months = pd.date_range("2023-01-01", periods=15, freq="MS")
    lines = ["metric_id,org_code,period,value,numerator,denominator"]
    lines += [f"ae_4hr_all,RWE,{m:%Y-%m},71.25,5700,8000" for m in months]
    path = tmp_path / "uhl_local_return.csv"
    path.write_text("\n".join(lines) + "\n")
    url = f"sqlite:///{tmp_path / 'local.sqlite'}"
    engine = store.make_engine(url)
    store.init_db(engine, catalogue)
    assert ingest_file(path, engine, catalogue).status == "loaded"
    source = store.read_sources(engine).iloc[0]
    engine.dispose()
    assert source["publication"] == "Local file uhl_local_return.csv, not an official statistic"
    return url


def _text(at) -> str:
    parts = [e.value for e in at.markdown] + [e.value for e in at.caption]
    return "\n".join([shown(str(p)) for p in parts] + [c["text"] for c in brief_cards(at)])


@pytest.mark.parametrize(
    "page, query",
    [
        (None, {"meeting": "2023-06-01"}),
        ("pages/indicator.py", {"metric": "ae_4hr_all"}),
        ("pages/urgent_care.py", {"metric": "ae_4hr_all"}),
    ],
)
def test_local_figures_are_labelled_local(monkeypatch, local_db_url, page, query):
    at = app_runner(monkeypatch, local_db_url)(page, **query)
    text = _text(at)
    assert LOCAL in text
    if page is None:  # the card's source line names the local file, not the national publication
        line = next(c["source"] for c in brief_cards(at) if c["source"].startswith("Source: "))
        assert "Local file uhl_local_return.csv, not an official statistic" in line
        assert "A&E Attendances" not in line
    if page == "pages/indicator.py":  # every row of the figures table names the local file
        figures = next(d.value for d in at.dataframe if "Source" in d.value.columns)
        assert figures["Source"].str.contains("Local file uhl_local_return.csv").all()
