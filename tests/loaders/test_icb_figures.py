"""Any ICB's A&E figures equal a recomputation from the raw monthly CSV over the NHS trusts ODS
places in that ICB (open in the month), through ``python -m loaders export --area``, on a database
restored from ``data/published`` alone (the snapshot the app starts from), not a fresh ingest."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pandas as pd
import pytest

from loaders import cli
from loaders.snapshot import PUBLISHED_DIR, restore_snapshot
from metrics import store
from metrics.catalogue import load_catalogue
from metrics.digest import sha256_file
from tests.conftest import IN_CI, PUBLIC_DATA
from tests.loaders.test_reference import reference_file

AE_DIR = PUBLIC_DATA / "ae_attendances" / "monthly_provider_csv"
MONTHS = {  # month -> file
    dt.date(2023, 9, 1): "September-2023-revised-130624-odh304.csv",
    dt.date(2025, 4, 1): "April-2025-CSV-revised.csv",
}
ICBS = ["qe1", "qf7", "qwu"]  # Lancashire and South Cumbria, South Yorkshire, Coventry and Warwickshire


def ae_file(name: str):
    path = AE_DIR / name
    if not path.exists():
        if IN_CI:
            pytest.fail(f"public data missing under CI: {path}")
        pytest.skip(f"public data not available: {path}")
    return path


@pytest.fixture(scope="module")
def icb_db(tmp_path_factory, catalogue):
    """A database restored from data/published only: the reference data and the A&E files are in it."""
    url = f"sqlite:///{tmp_path_factory.mktemp('icb') / 'icb.sqlite'}"
    engine = store.make_engine(url)
    restore_snapshot(engine, PUBLISHED_DIR, catalogue)
    engine.dispose()
    return url


def test_the_months_recomputed_are_the_published_snapshots_own_files(icb_db):
    # The oracle reads these raw files: they must be the ones the snapshot's figures came from.
    engine = store.make_engine(icb_db)
    obs = store.read_observations(engine, ["ae_4hr_all"])
    sources = store.read_sources(engine).set_index("id")
    for month, name in MONTHS.items():
        ids = obs.loc[obs["period_start"] == pd.Timestamp(month), "source_id"].unique()
        assert {sources.loc[int(i), "file_name"] for i in ids} == {name}, month
        assert sources.loc[int(ids[0]), "sha256"] == sha256_file(ae_file(name))
    engine.dispose()


def ods_trusts_of(icb: str, month: dt.date) -> set[str]:
    """Straight from etr.csv: trusts whose column 4 is the ICB and that were open in the month."""
    out = set()
    month_end = (pd.Timestamp(month) + pd.offsets.MonthEnd(0)).date()
    with open(reference_file("ods/etr.csv"), encoding="utf-8") as fh:
        for row in csv.reader(fh):
            opened = dt.datetime.strptime(row[10], "%Y%m%d").date()
            closed = dt.datetime.strptime(row[11], "%Y%m%d").date() if row[11] else None
            if row[3] == icb.upper() and opened <= month_end and (closed is None or closed >= month):
                out.add(row[0])
    return out


def recompute(icb: str, month: dt.date) -> tuple[float, float]:
    """Attendances within 4 hours and all attendances (all types, booked included) over the trusts."""
    raw = pd.read_csv(ae_file(MONTHS[month]), dtype={"Org Code": str})
    mine = raw[raw["Org Code"].isin(ods_trusts_of(icb, month))]
    attendances = mine[[c for c in raw.columns if c.startswith("A&E attendances")]].to_numpy().sum()
    over = mine[[c for c in raw.columns if c.startswith("Attendances over 4hrs")]].to_numpy().sum()
    return float(attendances - over), float(attendances)


def export_area(url: str, area: str, capsys) -> pd.DataFrame:
    assert cli.main(["export", "--metric", "ae_4hr_all", "--area", area, "--db", url]) == 0
    return pd.read_csv(io.StringIO(capsys.readouterr().out))


@pytest.mark.parametrize("icb", ICBS)
def test_icb_export_equals_a_recomputation_over_its_ods_trusts(icb, icb_db, capsys):
    frame = export_area(icb_db, icb, capsys).set_index("Period", drop=False)
    for month in MONTHS:
        row = frame.loc[f"{month:%B %Y}"]
        numerator, denominator = recompute(icb, month)
        assert denominator > 1000  # the ICB has real A&E activity in the month
        assert row["Numerator"] == numerator and row["Denominator"] == denominator
        assert row.iloc[1] == pytest.approx(round(100 * numerator / denominator, 1))


def test_qk1_names_llr_and_keeps_its_confirmed_roll_up(icb_db, capsys):
    llr = export_area(icb_db, "llr", capsys)
    qk1 = export_area(icb_db, "QK1", capsys)
    pd.testing.assert_frame_equal(llr, qk1)
    # LLR's confirmed roll-up adds the DHU urgent treatment centres to University Hospitals of Leicester.
    raw = pd.read_csv(ae_file(MONTHS[dt.date(2025, 4, 1)]), dtype={"Org Code": str})
    uhl = raw[raw["Org Code"] == "RWE"][[c for c in raw.columns if c.startswith("A&E attendances")]].to_numpy().sum()
    assert llr["Denominator"].iloc[-1] > uhl


def test_an_unknown_area_is_refused_with_the_areas_named(icb_db, capsys):
    assert cli.main(["export", "--metric", "ae_4hr_all", "--area", "qzz", "--db", icb_db]) == 1
    err = capsys.readouterr().err
    assert "'qzz' is not an area" in err and "qe1" in err and "llr" in err


def test_areas_lists_members_and_where_they_come_from(icb_db, capsys):
    assert cli.main(["areas", "--area", "qe1", "--db", icb_db]) == 0
    out = capsys.readouterr().out
    assert out.startswith("qe1: NHS Lancashire and South Cumbria Integrated Care Board [QE1]; region North West")
    assert (
        "RXN  Lancashire Teaching Hospitals NHS Foundation Trust  (ODS etr.csv (trust -> ICB), 2002-08-01 to now)"
        in out
    )
    assert "E10000017  Lancashire  (ONS district -> ICB lookup" in out
    assert cli.main(["areas", "--area", "llr", "--db", icb_db]) == 0
    out = capsys.readouterr().out
    assert "llr (also qk1)" in out and "NNJ07  Loughborough Urgent Treatment Centre (DHU)  (config.yaml)" in out


def region_trusts(region: str, month: dt.date) -> set[str]:
    """Straight from etr.csv: trusts of any board (column 4 set) in the region (column 3), open in the month."""
    month_end = (pd.Timestamp(month) + pd.offsets.MonthEnd(0)).date()
    out = set()
    with open(reference_file("ods/etr.csv"), encoding="utf-8") as fh:
        for row in csv.reader(fh):
            opened = dt.datetime.strptime(row[10], "%Y%m%d").date()
            closed = dt.datetime.strptime(row[11], "%Y%m%d").date() if row[11] else None
            if row[2] == region and row[3] and opened <= month_end and (closed is None or closed >= month):
                out.add(row[0])
    return out


def test_a_region_export_equals_a_recomputation_over_its_boards_trusts(icb_db, capsys):
    frame = export_area(icb_db, "y62", capsys).set_index("Period", drop=False)  # North West
    month = dt.date(2025, 4, 1)
    raw = pd.read_csv(ae_file(MONTHS[month]), dtype={"Org Code": str})
    mine = raw[raw["Org Code"].isin(region_trusts("Y62", month))]
    attendances = mine[[c for c in raw.columns if c.startswith("A&E attendances")]].to_numpy().sum()
    over = mine[[c for c in raw.columns if c.startswith("Attendances over 4hrs")]].to_numpy().sum()
    row = frame.loc["April 2025"]
    assert attendances > 100_000 and row["Denominator"] == attendances and row["Numerator"] == attendances - over


def test_compare_areas_puts_the_chosen_board_beside_its_region_and_england(icb_db):
    from metrics.reader import Reader

    engine = store.make_engine(icb_db)
    reader = Reader(engine, load_catalogue())
    reader = Reader(engine, reader.with_reference_areas())
    by_area, latest = reader.area_comparison("ae_4hr_all", dt.date(2026, 6, 1), also=("qe1",))
    assert {"qe1", "y62", "england", "llr", "y60"} <= set(by_area)  # LLR's region (Midlands) too
    names = list(latest["area"])
    assert "NHS England North West region" in names and "NHS England Midlands region" in names
    engine.dispose()
