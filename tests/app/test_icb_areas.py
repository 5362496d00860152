"""Any integrated care board, everywhere: the public corpus (data/published, which carries the ODS
and ONS reference data) restored into the test's own database."""

from __future__ import annotations

import pandas as pd
import pytest

from loaders import cli
from loaders.snapshot import PUBLISHED_DIR, restore_snapshot
from metrics import areas, store
from metrics.reader import Reader
from tests.app.conftest import PAGES, app_runner, brief_cards

QE1 = "NHS Lancashire and South Cumbria Integrated Care Board"


@pytest.fixture(scope="session")
def icb_db_url(tmp_path_factory, catalogue):
    url = f"sqlite:///{tmp_path_factory.mktemp('icbapp') / 'icb.sqlite'}"
    engine = store.make_engine(url)
    restore_snapshot(engine, PUBLISHED_DIR, catalogue)
    engine.dispose()
    return url


@pytest.fixture
def icb_app(monkeypatch, icb_db_url):
    return app_runner(monkeypatch, icb_db_url)


def _text(at) -> str:
    parts = [e.value for e in at.markdown] + [e.value for e in at.title] + [e.value for e in at.header]
    parts += [e.value for e in at.subheader] + [e.value for e in at.caption] + [e.value for e in at.info]
    parts += [c["text"] for c in brief_cards(at)]
    return "\n".join(str(p) for p in parts)


def test_the_brief_for_an_icb_is_titled_with_its_ons_name(icb_app):
    at = icb_app(area="qe1")
    assert at.title[0].value == f"Meeting brief: {QE1}"
    assert at.sidebar.selectbox(key="area").value == "Lancashire and South Cumbria (QE1)"
    assert any(c["label"].startswith("A&E 4-hour performance (all types)") for c in brief_cards(at))


def test_qk1_in_the_url_opens_llr(icb_app):
    at = icb_app(area="QK1")
    assert at.title[0].value == "Meeting brief: Leicester, Leicestershire and Rutland"


def test_the_chooser_lists_every_board_by_name_and_code_and_changes_the_brief(icb_app):
    at = icb_app()
    box = at.sidebar.selectbox(key="area")
    options = list(box.options)
    assert options[:5] == ["LLR", "Leicester", "Leicestershire", "Rutland", "England"]
    assert "Lancashire and South Cumbria (QE1)" in options and "South Yorkshire (QF7)" in options
    assert sum(o.endswith(")") for o in options) >= 42
    assert "Lancashire (E10000017)" in options  # a council with figures of its own is an area too
    box.set_value("South Yorkshire (QF7)").run()
    assert at.title[0].value == "Meeting brief: NHS South Yorkshire Integrated Care Board"


@pytest.mark.parametrize("page", [p for p in PAGES if p != "pages/data.py"])
def test_every_page_renders_for_an_icb(icb_app, page):
    at = icb_app(page, area="qe1")
    text = _text(at)
    assert "Lancashire and South Cumbria" in text


def test_a_topic_without_figures_says_so_in_one_line(icb_app):
    at = icb_app("pages/home_first.py", area="qe1")
    assert [i.value for i in at.info] == [
        f"No home first figures are loaded for {QE1}. Try LLR or England, or load the publications on the Data page."
    ]


def test_compare_names_the_boards_outside_the_99_8_limits(icb_app, icb_db_url, catalogue):
    at = icb_app("pages/compare.py", area="qe1", metric="ae_4hr_all")
    text = _text(at)
    engine = store.make_engine(icb_db_url)
    result = Reader(engine, areas.full_catalogue(engine, catalogue)).funnel("ae_4hr_all")
    above, below = result.outliers()
    assert above and below
    for name in above + below:
        assert name in text
    assert "Systems like Lancashire and South Cumbria" in text
    tables = [d.value for d in at.dataframe]
    ranked = next(t for t in tables if "Within 99.8% limits" in t.columns and len(t) == len(result.points))
    assert f"{QE1} (chosen)" in set(ranked["ICB"])


def test_the_funnel_limits_equal_a_hand_computation_on_real_figures(icb_db_url, catalogue):
    engine = store.make_engine(icb_db_url)
    result = Reader(engine, areas.full_catalogue(engine, catalogue)).funnel("ae_4hr_all")
    england = store.read_observations(engine, ["ae_4hr_all"], ["E92000001"], start=result.period_start.date(),
                                      end=result.period_start.date())  # fmt: skip
    p0 = england["numerator"].iloc[0] / england["denominator"].iloc[0]
    assert result.england_value == pytest.approx(100 * p0)
    for row in result.points.itertuples():
        se = (p0 * (1 - p0) / row.denominator) ** 0.5
        assert row.low95 == pytest.approx(100 * (p0 - 1.959963984540054 * se))
        assert row.high998 == pytest.approx(100 * (p0 + 3.090232306167813 * se))
        expected = "above" if row.value > row.high998 else "below" if row.value < row.low998 else ""
        assert row.outside == expected


def test_llr_areas_keep_their_ids_and_figures_with_the_reference_data(icb_db_url, catalogue):
    engine = store.make_engine(icb_db_url)
    full = areas.full_catalogue(engine, catalogue)
    assert [a.id for a in full.areas][:5] == [a.id for a in catalogue.areas]
    for area in catalogue.areas:
        for metric_id in ("ae_4hr_all", "beds_ga_occupancy", "dtoc_days", "nctr_patients"):
            before = Reader(engine, catalogue).indicator(metric_id, area.id).series
            after = Reader(engine, full).indicator(metric_id, area.id).series
            pd.testing.assert_frame_equal(before, after)


def test_the_pack_for_an_icb_is_titled_with_its_name(icb_db_url, tmp_path, capsys):
    code = cli.main(["pack", "--area", "qe1", "--since", "2025-10-01", "--out", str(tmp_path), "--db", icb_db_url,
                     "--no-pdf"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    html = next(tmp_path.glob("*.html")).read_text(encoding="utf-8")
    assert QE1 in html and "A&amp;E 4-hour performance" in html
