"""Charts are kept per data version and choice (ui/plots.py): a reader who changes 'Show from' or
the area sees the chart of that choice, never one drawn for another reader's choice."""

from __future__ import annotations

import json

from tests.app.conftest import app_runner


def _first_x(at) -> list[str]:
    """The period starts the first chart on the page draws for its first line."""
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    return sorted({x for trace in spec["data"] for x in (trace.get("x") or []) if isinstance(x, str)})


def test_each_choice_gets_its_own_chart(monkeypatch, demo_db_url):
    run = app_runner(monkeypatch, demo_db_url)
    wide = _first_x(run("pages/indicator.py", metric="ae_4hr_all", **{"from": "2016"}))
    narrow = _first_x(run("pages/indicator.py", metric="ae_4hr_all", **{"from": "2022"}))
    again = _first_x(run("pages/indicator.py", metric="ae_4hr_all", **{"from": "2016"}))
    assert min(wide) < "2022-04" <= min(narrow)
    assert again == wide
    leicester = run("pages/indicator.py", metric="ae_4hr_all", area="Leicester", **{"from": "2016"})
    llr = run("pages/indicator.py", metric="ae_4hr_all", **{"from": "2016"})
    spec = [json.loads(at.get("plotly_chart")[0].proto.spec) for at in (leicester, llr)]
    assert spec[0]["data"] != spec[1]["data"]
