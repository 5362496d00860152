"""Real published files (OGL v3.0, beside the repository): figures recomputed with plain pandas.

A handful of files only, to keep the run short: one DToC workbook per id-column era, an acute
sitrep with lookup sheets first, a community sitrep, and the ASCOF 2020-21 open-data file.
"""

from __future__ import annotations

import calendar
import subprocess
import sys
from io import StringIO

import pandas as pd
import pytest

from loaders.ingest import ingest_paths
from metrics import store
from metrics.catalogue import PROJECT_ROOT
from tests.conftest import public_file

LLR_COUNCILS = {509: "E06000016", 508: "E10000018", 510: "E06000017"}
DTOC_FILES = ["April_11.xls", "Sept_14.xls", "Dec_19.xls"]  # SHA / Region / ONS Geography eras
ACUTE, COMMUNITY = "august2023.xlsx", "june2023.xlsx"
ASCOF = "meas-from-asc-of-eng-2021-open-data-csv_v2.xlsx"


@pytest.fixture(scope="module")
def loaded(tmp_path_factory, catalogue):
    files = [public_file("dtoc_la_monthly", f) for f in DTOC_FILES]
    files += [
        public_file("dtoc_la_monthly", "DToC_Days_Reason_for_Delay.csv"),
        public_file("discharge_delays_acute_sitrep", ACUTE),
        public_file("discharge_delays_community_sitrep", COMMUNITY),
        public_file("bcf_ascof", ASCOF),
        public_file("bcf_ascof", "final_data_2019.csv"),
        public_file("bcf_ascof", "BCF.csv"),
    ]
    db = tmp_path_factory.mktemp("public") / "public.sqlite"
    engine = store.make_engine(f"sqlite:///{db}")
    summary = ingest_paths(files, engine, catalogue)
    assert not summary.failed, [o.error for o in summary.failed]
    yield engine, db
    engine.dispose()


def stored(engine, metric_id, org, period):
    rows = store.read_observations(engine, metric_ids=[metric_id], org_codes=[org])
    rows = rows[rows["period_start"] == pd.Timestamp(period)]
    assert len(rows) == 1, (metric_id, org, period)
    return rows.iloc[0]


def raw_dtoc(name, sheet):
    """A DToC LA sheet read plainly: header row 13, LLR rows by their 3-digit code."""
    frame = pd.read_excel(public_file("dtoc_la_monthly", name), sheet_name=sheet, header=13, engine="calamine")
    frame = frame[pd.to_numeric(frame["Code"], errors="coerce").isin(LLR_COUNCILS)]
    return frame.set_index(pd.to_numeric(frame["Code"]).astype(int))


def raw_period(name):
    cell = pd.read_excel(
        public_file("dtoc_la_monthly", name),
        sheet_name="LA - by responsible org",
        header=None,
        nrows=5,
        engine="calamine",
    ).iloc[4, 2]
    return pd.to_datetime(cell, format="%B %Y")


class TestDtocAgainstRawWorkbooks:
    @pytest.mark.parametrize("name", DTOC_FILES)
    def test_days_by_responsible_org_and_beds_per_day(self, loaded, name):
        engine, _ = loaded
        period = raw_period(name)
        raw = raw_dtoc(name, "LA - by responsible org")
        for cassr, ons in LLR_COUNCILS.items():
            for column, metric in (
                ("NHS", "dtoc_days_nhs"),
                ("Social Care", "dtoc_days_social_care"),
                ("Both", "dtoc_days_both"),
                ("Total", "dtoc_days"),
            ):
                assert stored(engine, metric, ons, period).value == float(raw.loc[cassr, column])
            days = calendar.monthrange(period.year, period.month)[1]
            assert stored(engine, "dtoc_beds_per_day", ons, period).value == pytest.approx(
                float(raw.loc[cassr, "Total"]) / days
            )

    @pytest.mark.parametrize("name", DTOC_FILES)
    def test_reason_columns_sum_to_the_total(self, loaded, name):
        engine, _ = loaded
        period = raw_period(name)
        raw = raw_dtoc(name, "LA - by reason")
        reasons = [c for c in raw.columns if isinstance(c, str) and ")" in c]
        for cassr, ons in LLR_COUNCILS.items():
            frame = store.read_observations(engine, org_codes=[ons])
            frame = frame[(frame["period_start"] == period) & frame["metric_id"].str.startswith("dtoc_days_reason_")]
            assert len(frame) == len(reasons)
            assert frame["value"].sum() == float(raw.loc[cassr, reasons].sum())

    def test_leicester_april_2011_figures(self, loaded):
        """Spot values read by eye from the published April 2011 sheet."""
        engine, _ = loaded
        raw = raw_dtoc("April_11.xls", "LA - by responsible org")
        assert stored(engine, "dtoc_days", "E06000016", "2011-04-01").value == float(raw.loc[509, "Total"])
        assert stored(engine, "dtoc_days_nhs", "E06000016", "2011-04-01").value == 563.0

    def test_export_cli_matches_the_store(self, loaded):
        _, db = loaded
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "loaders",
                "export",
                "--metric",
                "dtoc_days",
                "--org",
                "509",
                "--org",
                "510",
                "--db",
                f"sqlite:///{db}",
            ],
            capture_output=True,
            text=True,
            cwd=PROJECT_ROOT,
            check=True,
            timeout=60,
        ).stdout
        exported = pd.read_csv(StringIO(out))
        dec = exported[exported["period_start"] == "2019-12-01"].set_index("org_code")["value"]
        raw = raw_dtoc("Dec_19.xls", "LA - by responsible org")
        assert dec["E06000016"] == raw.loc[509, "Total"]
        assert dec["E06000017"] == raw.loc[510, "Total"]


def raw_sitrep(folder, name):
    """Table 2 read plainly: per org code, the mean of the NCTR and discharged columns (days with data)."""
    frame = pd.read_excel(public_file(folder, name), sheet_name="Table 2", header=None, engine="calamine")
    label_row = next(r for r in range(10) if (frame.iloc[r].astype(str) == "Number of patients discharged").any())
    labels = frame.iloc[label_row].fillna("").astype(str)
    nctr = [c for c in frame.columns if labels[c].startswith("Number of patients who no longer")]
    dis = [c for c in frame.columns if labels[c] == "Number of patients discharged"]
    out = {}
    for code in ("RWE", "RT5", "QK1"):
        rows = frame[frame.iloc[:, 2] == code]
        if len(rows):
            row = rows.iloc[0]
            out[code] = (
                pd.to_numeric(row[nctr], errors="coerce").mean(),
                pd.to_numeric(row[dis], errors="coerce").mean(),
            )
    month = pd.Timestamp(frame.iloc[label_row - 1, nctr[0]]).replace(day=1)
    return out, month


class TestSitrepsAgainstRawWorkbooks:
    @pytest.mark.parametrize(
        ("folder", "name", "codes", "metrics"),
        [
            ("discharge_delays_acute_sitrep", ACUTE, ("RWE", "QK1"), ("nctr_patients", "nctr_discharged")),
            (
                "discharge_delays_community_sitrep",
                COMMUNITY,
                ("RT5", "QK1"),
                ("nctr_patients_community", "nctr_discharged_community"),
            ),
        ],
    )
    def test_monthly_averages(self, loaded, folder, name, codes, metrics):
        engine, _ = loaded
        expected, month = raw_sitrep(folder, name)
        for code in codes:
            for metric, want in zip(metrics, expected[code], strict=True):
                assert stored(engine, metric, code, month).value == pytest.approx(want)

    def test_august_2023_uhl_figure(self, loaded):
        engine, _ = loaded
        row = stored(engine, "nctr_patients", "RWE", "2023-08-01")
        assert row.denominator == 31
        assert round(row.value, 1) == 415.6


class TestAscofAgainstRawFile:
    # SOURCES.md 4a, 2020-21 Outcome, Total.
    @pytest.mark.parametrize(
        ("metric", "figures"),
        [
            ("ascof_2a1", {"E10000018": 1.9, "E06000016": 15.5, "E06000017": 9.0}),
            ("ascof_2a2", {"E10000018": 308.8, "E06000016": 433.5, "E06000017": 502.7}),
            ("ascof_2b1", {"E10000018": 84.7, "E06000016": 91.6, "E06000017": 85.7}),
            ("ascof_2b2", {"E10000018": 2.9, "E06000016": 3.5, "E06000017": 2.5}),
            ("ascof_2d", {"E10000018": 81.1, "E06000016": 62.0, "E06000017": 83.1}),
        ],
    )
    def test_published_outcomes(self, loaded, metric, figures):
        engine, _ = loaded
        for org, figure in figures.items():
            assert stored(engine, metric, org, "2020-04-01").value == figure

    def test_numerators_and_denominators_from_the_raw_rows(self, loaded):
        engine, _ = loaded
        raw = pd.read_excel(public_file("bcf_ascof", ASCOF), sheet_name="in", engine="calamine")
        raw = raw[
            (raw["ONS Code"] == "E06000016")
            & (raw["ASCOF Measure Code"] == "2B1")
            & (raw["Disaggregation Level"] == "Total")
        ].set_index("Measure Type")["Measure Value"]
        row = stored(engine, "ascof_2b1", "E06000016", "2020-04-01")
        assert (row.numerator, row.denominator) == (float(raw["Numerator"]), float(raw["Denominator"]))

    def test_derived_2018_19_values_are_loaded_as_derived(self, loaded):
        engine, _ = loaded
        assert stored(engine, "ascof_2a2", "E06000016", "2018-04-01").value == 581.5
        sources = store.read_sources(engine).set_index("file_name")
        assert bool(sources.loc["final_data_2019.csv", "derived"])
        assert not bool(sources.loc[ASCOF, "derived"])
