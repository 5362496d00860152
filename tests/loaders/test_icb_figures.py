"""Any ICB's A&E figures equal a recomputation from the raw monthly CSV over the NHS trusts ODS
places in that ICB (open in the month), through ``python -m loaders export --area``."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pandas as pd
import pytest

from loaders import cli
from loaders.ingest import ingest_paths
from metrics import store
from tests.conftest import IN_CI, PUBLIC_DATA
from tests.loaders.test_reference import FILES, reference_file

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
    url = f"sqlite:///{tmp_path_factory.mktemp('icb') / 'icb.sqlite'}"
    engine = store.make_engine(url)
    store.init_db(engine, catalogue)
    files = [reference_file(r) for r in FILES] + [ae_file(n) for n in MONTHS.values()]
    summary = ingest_paths(files, engine, catalogue)
    assert not summary.failed, [o.error for o in summary.failed]
    return url


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
    frame = export_area(icb_db, icb, capsys)
    assert list(frame["Period"]) == ["September 2023", "April 2025"]
    for month, row in zip(MONTHS, frame.itertuples(index=False), strict=True):
        numerator, denominator = recompute(icb, month)
        assert denominator > 1000  # the ICB has real A&E activity in the month
        assert row.Numerator == numerator and row.Denominator == denominator
        assert row._1 == pytest.approx(round(100 * numerator / denominator, 1))


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
