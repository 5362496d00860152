"""The third-party KH03 compilation (``master-quarterly-trust.csv``, derived): recognised by content,
its G&A figures equal the published workbooks', a published workbook wins whatever the order of
loading, and wherever its figures are sourced the compilation says it is not an official publication."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from loaders import kh03_compiled, registry
from loaders.base import LoadError
from loaders.ingest import ingest_paths
from metrics import store
from metrics.catalogue import PROJECT_ROOT
from metrics.summary import source_line
from metrics.tables import source_descriptions, source_text
from tests.conftest import absent, public_file

DERIVED = (PROJECT_ROOT.parent / "shared" / "data" / "derived").resolve()
WORKBOOK_Q2_2022 = "Beds-Open-Overnight-Web_File-Q2-2022-23-Final-GHVBN-1.xlsx"


def compilation() -> Path:
    path = DERIVED / "kh03_beds_overnight" / "master-quarterly-trust.csv"
    if not path.exists():
        absent(f"derived data not available: {path}")
    return path


def figure(engine, metric_id: str, org: str, period: str) -> pd.Series:
    obs = store.read_observations(engine, [metric_id])
    row = obs[(obs["org_code"] == org) & (obs["period_start"] == pd.Timestamp(period))]
    assert len(row) == 1, (metric_id, org, period)
    return row.iloc[0]


def source_of(engine, metric_id: str, org: str, period: str) -> pd.Series:
    sources = store.read_sources(engine).set_index("id")
    return sources.loc[int(figure(engine, metric_id, org, period)["source_id"])]


@pytest.fixture(scope="module")
def tidy():
    return kh03_compiled.normalise(kh03_compiled.read(compilation())).tidy


def test_recognised_by_its_content_not_its_name(tmp_path):
    renamed = tmp_path / "beds.csv"
    shutil.copy(compilation(), renamed)
    assert registry.detect(renamed).NAME == "kh03_compiled"


def _value(tidy, metric_id, org, period) -> float:
    rows = tidy[(tidy["metric_id"] == metric_id) & (tidy["org_code"] == org)]
    rows = rows[pd.to_datetime(rows["period_start"]) == pd.Timestamp(period)]
    assert len(rows) == 1
    return float(rows.iloc[0]["value"])


def test_rwe_2024_25_q4_general_and_acute_beds(tidy):
    # SOURCES.md: RWE 2024-25 Q4 G&A 1766.7 available, 1647.1 occupied (93.2%).
    assert round(_value(tidy, "beds_ga_available", "RWE", "2025-01-01"), 1) == 1766.7
    assert round(_value(tidy, "beds_ga_occupied", "RWE", "2025-01-01"), 1) == 1647.1
    assert round(_value(tidy, "beds_ga_occupancy", "RWE", "2025-01-01"), 1) == 93.2


def test_rwe_2022_23_q2_is_the_published_workbooks_figure(tidy, catalogue, tmp_path):
    engine = store.make_engine(f"sqlite:///{tmp_path / 'published.sqlite'}")
    assert not ingest_paths([public_file("kh03_beds_overnight", WORKBOOK_Q2_2022)], engine, catalogue).failed
    for metric_id, expected in (("beds_ga_available", 1657.84), ("beds_ga_occupied", 1471.22)):
        published = float(figure(engine, metric_id, "RWE", "2022-07-01")["value"])
        compiled = _value(tidy, metric_id, "RWE", "2022-07-01")
        assert round(compiled, 2) == round(published, 2) == expected
    engine.dispose()


def test_the_nan_row_is_england_the_sum_of_the_trusts(tidy, catalogue, tmp_path):
    # Each period's 'NAN' row is England: the total of the trust rows, as in a KH03 workbook, and in
    # a quarter where the compilation's trusts equal the workbook's, the workbook's England figure.
    available = tidy[tidy["metric_id"] == "beds_ga_available"]
    for period, rows in available.groupby("period_start"):
        trusts = rows.loc[rows["org_code"] != "E92000001", "value"].sum()
        england = rows.loc[rows["org_code"] == "E92000001", "value"]
        assert len(england) == 1 and england.iloc[0] == pytest.approx(trusts, rel=1e-9), period
    engine = store.make_engine(f"sqlite:///{tmp_path / 'q1.sqlite'}")
    workbook = public_file("kh03_beds_overnight", "Beds-Open-Overnight-Web_File-Q1-2022-23-Final-GHVBN.xlsx")
    assert not ingest_paths([workbook], engine, catalogue).failed
    published = float(figure(engine, "beds_ga_available", "E92000001", "2022-04-01")["value"])
    assert _value(tidy, "beds_ga_available", "E92000001", "2022-04-01") == pytest.approx(published, abs=0.01)
    engine.dispose()


def test_the_all_beds_columns_are_never_read(tidy):
    # kh03_avail_all_avg_beds is about 18-21 for RWE: no stored figure of RWE's is that small.
    rwe = tidy[(tidy["org_code"] == "RWE") & (tidy["metric_id"] == "beds_ga_available")]
    assert len(rwe) == 28 and rwe["value"].min() > 1400
    assert "NAN" not in set(tidy["org_code"])


@pytest.mark.parametrize("order", ["compilation first", "workbook first"])
def test_a_published_workbook_wins_whatever_the_order_of_loading(order, catalogue, tmp_path):
    workbook = public_file("kh03_beds_overnight", WORKBOOK_Q2_2022)
    files = [compilation(), workbook] if order == "compilation first" else [workbook, compilation()]
    engine = store.make_engine(f"sqlite:///{tmp_path / 'both.sqlite'}")
    for path in files:  # one ingest per file: the second load meets the first one's rows
        summary = ingest_paths([path], engine, catalogue)
        assert not summary.failed, [o.error for o in summary.failed]
    for org in ("RWE", "E92000001"):
        for metric_id in ("beds_ga_available", "beds_ga_occupied", "beds_ga_occupancy"):
            src = source_of(engine, metric_id, org, "2022-07-01")
            assert src["file_name"] == WORKBOOK_Q2_2022 and not src["derived"], (org, metric_id)
    # RJ8's 2022-23 Q2 figure differs between the two (94.5 published, 72 compiled): the workbook's stands.
    assert round(float(figure(engine, "beds_ga_available", "RJ8", "2022-07-01")["value"]), 1) == 94.5
    # The quarters the workbooks are not held for come from the compilation, marked derived.
    later = source_of(engine, "beds_ga_available", "RWE", "2025-01-01")
    assert later["loader"] == "kh03_compiled" and bool(later["derived"])
    engine.dispose()


def test_a_compiled_figure_that_differs_never_replaces_the_published_one(catalogue, tmp_path):
    workbook = public_file("kh03_beds_overnight", WORKBOOK_Q2_2022)
    raw = pd.read_csv(compilation(), dtype=str, keep_default_na=False)
    at = (raw["org_code"] == "RWE") & (raw["period"] == "2022-23 Q2")
    raw.loc[at, "kh03_avail_ga_avg_beds"] = "1700"
    raw.loc[at, "kh03_occ_ga_rate"] = str(float(raw.loc[at, "kh03_occ_ga_avg_beds"].iloc[0]) / 1700)
    altered = tmp_path / "altered.csv"
    raw.to_csv(altered, index=False)
    engine = store.make_engine(f"sqlite:///{tmp_path / 'altered.sqlite'}")
    assert not ingest_paths([workbook], engine, catalogue).failed
    assert not ingest_paths([altered], engine, catalogue).failed
    assert round(float(figure(engine, "beds_ga_available", "RWE", "2022-07-01")["value"]), 2) == 1657.84
    engine.dispose()


def test_every_source_line_of_a_compiled_figure_says_it_is_not_an_official_publication(catalogue, tmp_path):
    engine = store.make_engine(f"sqlite:///{tmp_path / 'label.sqlite'}")
    files = [compilation(), public_file("kh03_beds_overnight", WORKBOOK_Q2_2022)]
    assert not ingest_paths(files, engine, catalogue).failed
    sources = store.read_sources(engine)
    compiled_id = int(figure(engine, "beds_ga_occupancy", "RWE", "2025-01-01")["source_id"])
    published_id = int(figure(engine, "beds_ga_occupancy", "RWE", "2022-07-01")["source_id"])
    card = source_line([compiled_id], sources, "NHS England", "KH03", "2024/25 Q4")
    download = source_text([compiled_id], source_descriptions(sources))
    for text in (card, download):
        assert "third party" in text.lower() and "not an official publication" in text
        assert "LB1983/nhs-bed-occupancy-analysis" in text
    assert "master-quarterly-trust.csv" in download
    published = source_line([published_id], sources, "NHS England", "KH03", "2022/23 Q2")
    assert "third party" not in published.lower() and "NHS England" in published
    engine.dispose()


def test_a_derived_source_is_labelled_even_when_its_record_does_not_say_so():
    sources = pd.DataFrame(
        [{"id": 1, "publisher": "Someone", "publication": "A table", "file_name": "t.csv", "derived": True}]
    )
    assert "not an official publication" in source_line([1], sources, "", "", "2024")
    assert "not an official publication" in source_text([1], source_descriptions(sources))


@pytest.mark.parametrize(
    ("column", "cell", "expected"),
    [
        ("period", "2024 Q4", "'2024 Q4' is not a financial quarter like '2024-25 Q4'"),
        ("kh03_avail_ga_avg_beds", "many", "'many' is not a number"),
        ("kh03_occ_ga_rate", "91.0", "is not occupied / available"),
    ],
)
def test_bad_cells_are_refused_with_their_row_and_column(column, cell, expected, tmp_path):
    raw = pd.read_csv(compilation(), dtype=str, keep_default_na=False).head(5)
    raw.loc[3, column] = cell
    path = tmp_path / "bad.csv"
    raw.to_csv(path, index=False)
    with pytest.raises(LoadError) as err:
        kh03_compiled.normalise(kh03_compiled.read(path))
    assert expected in str(err.value) and "row 5" in str(err.value) and f"column '{column}'" in str(err.value)


@pytest.mark.parametrize(
    "name",
    [
        "icb_discharge_delay_summary_2025_26.csv",
        "provider_discharge_delay_summary_2025_26.csv",
        "provider_los7_additional_bed_days_summary_2025_26.csv",
        "tableau_geography_discharge_summary_2025_26.csv",
    ],
)
def test_the_whole_year_discharge_summaries_beside_it_are_recognised_and_not_loaded(name, catalogue, tmp_path):
    path = DERIVED / "discharge_delays_acute_sitrep_2025_26" / name
    if not path.exists():
        absent(f"derived data not available: {path}")
    engine = store.make_engine(f"sqlite:///{tmp_path / 'd.sqlite'}")
    summary = ingest_paths([path], engine, catalogue)
    assert not summary.failed and summary.outcomes[0].loader == "discharge_annual"
    assert any("whole-year summary" in w and "not loaded" in w for w in summary.outcomes[0].warnings)
    assert store.read_observations(engine).empty
    engine.dispose()


def test_a_file_cut_short_in_its_last_row_is_refused_and_changes_nothing(catalogue, tmp_path):
    """An interrupted copy that ends inside RWE's 2024/25 Q4 available beds (1,766.7 cut to "17")
    must not load 17 beds over the stored figure: the cut last row is refused, by row."""
    engine = store.make_engine(f"sqlite:///{tmp_path / 'cut.sqlite'}")
    assert not ingest_paths([compilation()], engine, catalogue).failed
    lines = compilation().read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    column = header.index("kh03_avail_ga_avg_beds")
    rwe = next(line for line in lines if line.startswith("RWE,2024-25 Q4"))
    cells = rwe.split(",")
    cut = ",".join(cells[:column] + [cells[column][:2]])
    damaged = tmp_path / "master-quarterly-trust-copy.csv"
    damaged.write_text("\n".join([line for line in lines if line != rwe] + [cut]), encoding="utf-8")

    outcome = ingest_paths([damaged], engine, catalogue).failed[0]
    assert "it looks cut short" in outcome.error and f"row {len(lines)}" in outcome.error
    assert f"has {column + 1} of the header's {len(header)} columns" in outcome.error
    assert figure(engine, "beds_ga_available", "RWE", "2025-01-01")["value"] == pytest.approx(1766.67, abs=0.01)
    assert len(store.read_sources(engine)) == 1
    engine.dispose()


def test_a_complete_file_without_a_final_line_break_still_loads(tmp_path):
    whole = tmp_path / "master-quarterly-trust.csv"
    whole.write_text(compilation().read_text(encoding="utf-8").rstrip("\r\n"), encoding="utf-8")
    assert not kh03_compiled.normalise(kh03_compiled.read(whole)).tidy.empty
