"""Integration with the real published A&E and KH03 files (skipped when the public folder is absent).

Expected figures are recomputed straight from the raw files with the csv module / plain pandas,
independently of the loaders, and compared with what ``python -m loaders export`` gives.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import shutil

import pandas as pd
import pytest

from loaders import cli
from loaders.ingest import ingest_paths
from metrics import store
from tests.conftest import public_file

CSV_DIR = ("ae_attendances", "monthly_provider_csv")
ALT_DIR = ("ae_attendances", "monthly_provider_csv_alt_vintage_2025_26")
CSV_FILES = [
    "April-2020-revised-260421-abc123.csv",  # 16 columns
    "August-2020-revised-270421-gh920.csv",  # 22 columns, first month with booked appointments
    "Monthly-AE-September-2024.csv",  # empty trailing columns, 'Total,Total ,...'
    "February-2026-CSV-Dl8t54.csv",  # TOTAL in Org Code, the Period filled in
]
KH03_FILES = [
    "NHS-organisations-in-England-Quarter-1-2010-11-XLS-406K.xls",  # no Period cell, old BIFF
    "Beds-Open-Overnight-Web_File-Q1-2013-14-Nov-Revised-Revised-Final.xls",
    "Beds-Open-Overnight-Web_File-Q2-2022-23-Final-GHVBN-1.xlsx",
]
ORGS = ["RWE", "RTG", "RAX", "NNJ07"]


def export(db_url: str, metric: str, orgs: list[str]) -> pd.DataFrame:
    out = io.StringIO()
    args = ["export", "--metric", metric, "--db", db_url]
    for o in orgs:
        args += ["--org", o]
    with contextlib.redirect_stdout(out):
        assert cli.main(args) == 0
    return pd.read_csv(io.StringIO(out.getvalue()), dtype={"org_code": str})


def raw_csv_figures(path) -> dict[str, dict[str, float]]:
    """Per Org Code (TOTAL as E92000001): attendances, over 4 hours, type 1 of both, 12h DTA, admissions."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        out = {}
        for r in reader:
            r = {(k or "").strip(): (v or "").strip() for k, v in r.items()}
            code = "E92000001" if r["Org Code"].upper() == "TOTAL" else r["Org Code"]

            def n(col, r=r):
                return float(r[col]) if r.get(col) not in (None, "") else 0.0

            types = ("Type 1", "Type 2", "Other A&E Department")
            over = ("Type 1", "Type 2", "Other Department")
            booked = ("Type 1", "Type 2", "Other Department")
            att = sum(n(f"A&E attendances {t}") for t in types) + sum(
                n(f"A&E attendances Booked Appointments {t}") for t in booked
            )
            o4 = sum(n(f"Attendances over 4hrs {t}") for t in over) + sum(
                n(f"Attendances over 4hrs Booked Appointments {t}") for t in booked
            )
            out[code] = {
                "att": att,
                "o4": o4,
                "att1": n("A&E attendances Type 1") + n("A&E attendances Booked Appointments Type 1"),
                "o41": n("Attendances over 4hrs Type 1") + n("Attendances over 4hrs Booked Appointments Type 1"),
                "dta12": n("Patients who have waited 12+ hrs from DTA to admission"),
                "ea": sum(
                    n(f"Emergency admissions via A&E - {t}") for t in ("Type 1", "Type 2", "Other A&E department")
                ),
                "month": r["Period"],
            }
        return out


@pytest.fixture(scope="module")
def ae_db(tmp_path_factory, catalogue):
    folder = tmp_path_factory.mktemp("ae_public")
    for name in CSV_FILES:
        shutil.copy(public_file(*CSV_DIR, name), folder / name)  # into tmp only, never the repository
    url = f"sqlite:///{folder / 'ae.sqlite'}"
    engine = store.make_engine(url)
    summary = ingest_paths(sorted(folder.glob("*.csv")), engine, catalogue)
    assert not summary.failed, summary.lines()
    engine.dispose()
    return url, folder


class TestAeCsvAgainstTheRawFiles:
    @pytest.mark.parametrize("name", CSV_FILES)
    def test_export_matches_the_published_rows(self, ae_db, name):
        url, folder = ae_db
        raw = raw_csv_figures(folder / name)
        month_text = next(v["month"] for k, v in raw.items() if k != "E92000001")
        month_name, year = month_text.split("-")[1:]
        month = dt.datetime.strptime(f"{month_name.title()} {year}", "%B %Y").date()
        orgs = [o for o in ORGS + ["E92000001"] if o in raw]
        assert "RWE" in orgs and "E92000001" in orgs
        frames = {m: export(url, m, orgs) for m in ("ae_4hr_all", "ae_4hr_type1", "ae_attendances", "ae_12hr_dta",
                                                    "ae_emergency_admissions")}  # fmt: skip
        for org in orgs:
            exp = raw[org]

            def one(metric, org=org):
                f = frames[metric]
                got = f[(f["org_code"] == org) & (f["period_start"] == month.isoformat())]
                assert len(got) == 1, (metric, org)
                return got.iloc[0]

            got = one("ae_4hr_all")
            assert (got.numerator, got.denominator) == (exp["att"] - exp["o4"], exp["att"])
            assert got.value == pytest.approx((1 - exp["o4"] / exp["att"]) * 100)
            if exp["att1"]:
                got = one("ae_4hr_type1")
                assert (got.numerator, got.denominator) == (exp["att1"] - exp["o41"], exp["att1"])
            assert one("ae_attendances").value == exp["att"]
            assert one("ae_12hr_dta").value == exp["dta12"]
            assert one("ae_emergency_admissions").value == exp["ea"]

    def test_rwe_headline_figures(self, ae_db):
        """UHL, September 2024: 23,203 attendances, 58.9% within 4 hours (values from the raw CSV)."""
        url, _ = ae_db
        f = export(url, "ae_4hr_all", ["RWE"]).set_index("period_start")
        assert f.loc["2024-09-01", "denominator"] == 23203
        assert round(f.loc["2024-09-01", "value"], 1) == 58.9
        england = export(url, "ae_4hr_all", ["E92000001"]).set_index("period_start")
        assert round(england.loc["2024-09-01", "value"], 1) == 74.2  # NHS England's published headline


class TestAeVintages:
    MONTHS = {
        "October-2025-CSV-hg6dl.csv": "2025-10.csv",
        "November-2025-CSV-G9pr3.csv": "2025-11.csv",
        "December-2025-CSV-K7F4Sp.csv": "2025-12.csv",
        "January-2026-CSV-S6H81b.csv": "2026-01.csv",
    }

    def test_either_load_order_gives_the_same_observations_and_the_revision_wins(self, tmp_path, catalogue):
        first = [public_file(*CSV_DIR, n) for n in self.MONTHS]
        revised = [public_file(*ALT_DIR, n) for n in self.MONTHS.values()]
        tables = []
        for name, order in (("a", first + revised), ("b", revised + first)):
            engine = store.make_engine(f"sqlite:///{tmp_path / name}.sqlite")
            summary = ingest_paths(order, engine, catalogue)
            assert not summary.failed
            assert len(store.read_sources(engine)) == 8  # both vintages recorded
            tables.append(store.read_observations(engine).drop(columns="source_id"))
            engine.dispose()
        pd.testing.assert_frame_equal(tables[0], tables[1])
        obs = tables[0].set_index(["metric_id", "org_code", "period_start"])
        # November 2025, RTG: the revised file's type 1 = 21,369 + 1,215 booked
        assert obs.loc[("ae_4hr_type1", "RTG", pd.Timestamp("2025-11-01")), "denominator"] == 21369 + 1215
        # October 2025: NL7 is only in the revised file
        assert ("ae_attendances", "NL7", pd.Timestamp("2025-10-01")) in obs.index


class TestAeRda:
    def test_rwe_months_match_the_r_table(self, tmp_path, catalogue):
        import pyreadr

        path = public_file("ae_attendances", "ae_attendances.rda")
        raw = pyreadr.read_r(str(path))["ae_attendances"]
        engine = store.make_engine(f"sqlite:///{tmp_path / 'r.sqlite'}")
        assert not ingest_paths([path], engine, catalogue).failed
        obs = store.read_observations(engine, org_codes=["RWE", "RTG"])
        for org, month in (("RWE", dt.date(2017, 3, 1)), ("RWE", dt.date(2018, 12, 1)), ("RTG", dt.date(2016, 4, 1))):
            rows = raw[(raw["org_code"].astype(str) == org) & (raw["period"] == month)]
            got = obs[(obs["metric_id"] == "ae_4hr_all") & (obs["org_code"] == org)]
            got = got[got["period_start"] == pd.Timestamp(month)].iloc[0]
            assert got.denominator == rows["attendances"].sum()
            assert got.numerator == rows["attendances"].sum() - rows["breaches"].sum()
            adm = obs[(obs["metric_id"] == "ae_emergency_admissions") & (obs["org_code"] == org)]
            assert adm[adm["period_start"] == pd.Timestamp(month)].iloc[0].value == rows["admissions"].sum()
        assert store.read_sources(engine)["derived"].all()
        engine.dispose()


class TestKh03AgainstTheRawFiles:
    @pytest.mark.parametrize("name", KH03_FILES)
    def test_rwe_and_england_match_the_trust_sheet(self, tmp_path, catalogue, name):
        path = public_file("kh03_beds_overnight", name)
        sheet = pd.read_excel(path, sheet_name="NHS Trust by Sector", header=None, engine="calamine")
        header = next(i for i in range(30) if "Org Code" in sheet.iloc[i].astype(str).str.strip().tolist())
        ga = [j for j, h in enumerate(sheet.iloc[header]) if str(h).strip() == "General & Acute"][:2]
        codes = sheet.iloc[:, 4].astype(str).str.strip()
        names = sheet.iloc[:, 5].astype(str).str.strip()
        url = f"sqlite:///{tmp_path / 'k.sqlite'}"
        engine = store.make_engine(url)
        assert not ingest_paths([path], engine, catalogue).failed
        engine.dispose()
        for org in ("RWE", "RTG", "E92000001"):
            i = names[names == "England"].index[0] if org == "E92000001" else codes[codes == org].index[0]
            avail, occ = float(sheet.iloc[i, ga[0]]), float(sheet.iloc[i, ga[1]])
            got = export(url, "beds_ga_occupancy", [org]).iloc[0]
            assert got.numerator == pytest.approx(occ) and got.denominator == pytest.approx(avail)
            assert got.value == pytest.approx(occ / avail * 100)
            assert export(url, "beds_ga_available", [org]).iloc[0].value == pytest.approx(avail)

    def test_quarters_come_from_the_workbook(self, tmp_path, catalogue):
        paths = [public_file("kh03_beds_overnight", n) for n in KH03_FILES]
        engine = store.make_engine(f"sqlite:///{tmp_path / 'q.sqlite'}")
        assert not ingest_paths(paths, engine, catalogue).failed
        starts = sorted(store.read_observations(engine, metric_ids=["beds_ga_available"])["period_start"].unique())
        assert [pd.Timestamp(s).date() for s in starts] == [
            dt.date(2010, 4, 1),
            dt.date(2013, 4, 1),
            dt.date(2022, 7, 1),
        ]
        engine.dispose()


def test_the_whole_ae_folder_loads(tmp_path, catalogue):
    """Every A&E file (both CSV folders and the R table) loads: nothing unrecognised, nothing failed."""
    folder = public_file("ae_attendances")
    engine = store.make_engine(f"sqlite:///{tmp_path / 'all.sqlite'}")
    summary = ingest_paths([folder], engine, catalogue)
    assert not summary.failed, summary.lines()
    assert len(summary.outcomes) == 84
    latest = store.latest_periods(engine).set_index("metric_id")
    assert latest.loc["ae_4hr_all", "latest_period"] == pd.Timestamp("2026-03-01")
    assert latest.loc["ae_4hr_all", "first_period"] == pd.Timestamp("2016-04-01")
    engine.dispose()
