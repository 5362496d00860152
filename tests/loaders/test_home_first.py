"""Home First: the NHS England 2-hour UCR workbook and the local template (monthly and per referral)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from loaders import home_first, registry
from loaders.base import LoadError
from loaders.ingest import ingest_file
from metrics import store
from metrics.catalogue import PROJECT_ROOT
from tests.fixtures.make_ae_kh03 import write_ucr_workbook

TEMPLATES = PROJECT_ROOT / "data" / "templates"


def load(path, catalogue):
    return home_first.normalise(home_first.read(path), catalogue)


def write_csv(folder: Path, text: str, name: str = "home_first.csv") -> Path:
    path = Path(folder) / name
    path.write_text(text)
    return path


class TestUcrWorkbook:
    @pytest.mark.parametrize(("fractions", "date_headers"), [(True, True), (False, False)])
    def test_wide_table_becomes_one_row_per_organisation_and_month(self, tmp_path, catalogue, fractions, date_headers):
        path, figures = write_ucr_workbook(tmp_path, fractions=fractions, date_headers=date_headers)
        result = load(path, catalogue)
        assert result.source_key == "ucr"
        tidy = result.tidy
        assert len(tidy) == len(figures)
        for f in figures.itertuples():
            code = "E92000001" if f.code == "ENG" else f.code
            got = tidy[(tidy["org_code"] == code) & (tidy["period_start"] == f.month)].iloc[0]
            assert got.value == pytest.approx(f.pct)
            assert got.denominator == f.referrals
            assert got.numerator == round(f.pct * f.referrals / 100)
        assert set(tidy["metric_id"]) == {"ucr_2hr"}
        kinds = result.organisations.set_index("code")["kind"]
        assert kinds["QK1"] == "icb" and kinds["RT5"] == "provider" and kinds["Y60"] == "region"

    def test_missing_count_keeps_the_percentage_alone(self, tmp_path, catalogue):
        path, figures = write_ucr_workbook(tmp_path, overrides={("Table 2", "RT5", 2): "-"})
        tidy = load(path, catalogue).tidy
        got = tidy[(tidy["org_code"] == "RT5") & (tidy["period_start"] == dt.date(2023, 12, 1))].iloc[0]
        assert pd.isna(got.numerator) and pd.isna(got.denominator) and got.value > 0

    @pytest.mark.parametrize("marker", ["-", "*", None])
    def test_missing_percentage_gives_no_row(self, tmp_path, catalogue, marker):
        path, _ = write_ucr_workbook(tmp_path, overrides={("Table 1", "RT5", 0): marker})
        tidy = load(path, catalogue).tidy
        assert tidy[(tidy["org_code"] == "RT5") & (tidy["period_start"] == dt.date(2023, 10, 1))].empty

    def test_text_in_a_cell_names_sheet_row_and_column(self, tmp_path, catalogue):
        path, _ = write_ucr_workbook(tmp_path, date_headers=False, overrides={("Table 2", "QK1", 1): "lots"})
        with pytest.raises(LoadError) as err:
            load(path, catalogue)
        assert str(err.value) == f"'{path.name}', sheet 'Table 2', row 9, column 'Nov-23': 'lots' is not a number"

    def test_detected_and_not_confused_with_other_table_workbooks(self, tmp_path):
        path, _ = write_ucr_workbook(tmp_path, name="renamed.xlsx")
        assert registry.detect(path).__name__ == "loaders.home_first"
        from openpyxl import Workbook

        wb = Workbook()
        wb.active.title = "Table 1"
        wb.create_sheet("Table 2")
        wb["Table 1"].append(["Region", "Org Code", "Org Name", "Patients"])
        other = tmp_path / "sitrep-like.xlsx"
        wb.save(other)
        assert not home_first.sniff(__import__("loaders.base", fromlist=["Peek"]).Peek(other))


class TestMonthlyTemplate:
    def test_both_measures_with_numerator_and_denominator(self, tmp_path, catalogue):
        path = write_csv(
            tmp_path,
            "period,org_code,referrals,responded_within_2_hours,reablement_referrals,started_within_2_days\n"
            "2024-01,RT5,400,300,200,150\nFebruary 2024,RT5,100,70,,\n",
        )
        tidy = load(path, catalogue).tidy.set_index(["metric_id", "period_start"])
        assert tidy.loc[("ucr_2hr", dt.date(2024, 1, 1)), "value"] == 75
        assert tidy.loc[("reablement_2day", dt.date(2024, 1, 1)), ["numerator", "denominator"]].tolist() == [150, 200]
        assert tidy.loc[("ucr_2hr", dt.date(2024, 2, 1)), "value"] == 70
        assert ("reablement_2day", dt.date(2024, 2, 1)) not in tidy.index  # blank pair: no figure

    @pytest.mark.parametrize(
        ("line", "message"),
        [
            ("2024-01,RT5,10,11", "row 2, column 'responded_within_2_hours': 11 is more than the 10 referrals"),
            ("2024-01,XYZ,10,5", "row 2, column 'org_code': 'XYZ' is not an organisation in the catalogue"),
            ("2024-01,RT5,ten,5", "row 2, column 'referrals': 'ten' is not a whole number of referrals"),
            (
                "2024-01,RT5,10,",
                "row 2, column 'responded_within_2_hours': 'referrals' and 'responded_within_2_hours' go",
            ),
            ("2024-13,RT5,10,5", "row 2, column 'period':"),
        ],
    )
    def test_bad_rows_are_named(self, tmp_path, catalogue, line, message):
        path = write_csv(tmp_path, f"period,org_code,referrals,responded_within_2_hours\n{line}\n")
        with pytest.raises(LoadError) as err:
            load(path, catalogue)
        assert message in str(err.value)


class TestPerReferralTemplate:
    HEADER = "referral_id,org_code,service,referred_at,first_contact_at\n"

    @pytest.mark.parametrize(
        ("service", "referred", "contact", "met"),
        [
            ("ucr", "2024-01-03 09:00", "2024-01-03 11:00", True),  # exactly 120 minutes: inclusive
            ("ucr", "2024-01-03 09:00", "2024-01-03 11:01", False),
            ("ucr", "2024-01-03 23:30", "2024-01-04 01:00", True),  # across midnight
            ("ucr", "2024-01-03 09:00", "", False),  # not seen yet: counts, not met
            ("reablement", "2024-01-08 23:59", "2024-01-10 23:00", True),  # Monday -> Wednesday
            ("reablement", "2024-01-08 00:01", "2024-01-11 00:00", False),  # Thursday: 3 calendar days
            ("reablement", "2024-01-31 10:00", "2024-02-02 09:00", True),  # counted in the month of referral
        ],
    )
    def test_the_2_hour_and_2_day_rules(self, tmp_path, catalogue, service, referred, contact, met):
        path = write_csv(tmp_path, self.HEADER + f"R1,RT5,{service},{referred},{contact}\n")
        tidy = load(path, catalogue).tidy
        assert len(tidy) == 1
        r = tidy.iloc[0]
        assert r.metric_id == ("ucr_2hr" if service == "ucr" else "reablement_2day")
        assert r.period_start == pd.Timestamp(referred).date().replace(day=1)
        assert (r.numerator, r.denominator, r.value) == ((1, 1, 100) if met else (0, 1, 0))

    @pytest.mark.parametrize(
        ("lines", "message"),
        [
            ("R1,RT5,ucr,2024-01-03 09:00,2024-01-03 08:00", "row 2, column 'first_contact_at': the first contact is"),
            (
                "R1,RT5,ucr,2024-01-03 09:00,\nR1,RT5,ucr,2024-01-04 09:00,",
                "row 3, column 'referral_id': referral 'R1'",
            ),
            ("R1,RT5,district nursing,2024-01-03 09:00,", "row 2, column 'service': 'district nursing' is not 'ucr'"),
            ("R1,RT5,ucr,yesterday,", "row 2, column 'referred_at': 'yesterday' is not a date and time"),
            ("R1,RT5,ucr,,", "row 2, column 'referred_at': is blank"),
        ],
    )
    def test_bad_rows_are_named(self, tmp_path, catalogue, lines, message):
        path = write_csv(tmp_path, self.HEADER + lines + "\n")
        with pytest.raises(LoadError) as err:
            load(path, catalogue)
        assert message in str(err.value)


class TestShippedTemplates:
    def test_filled_examples_load_with_the_documented_figures(self, sqlite_engine, catalogue):
        for name in ("home_first_monthly_example.csv", "home_first_referrals_example.csv"):
            outcome = ingest_file(TEMPLATES / name, sqlite_engine, catalogue)
            assert outcome.status == "loaded" and outcome.loader == "home_first", outcome
        obs = store.read_observations(sqlite_engine, org_codes=["RT5"])
        jan = obs[obs["period_start"] == "2024-01-01"].set_index("metric_id")
        # the per-referral example replaces the January monthly counts (loaded second, same vintage rule)
        assert set(jan.index) == {"ucr_2hr", "reablement_2day"}
        sources = store.read_sources(sqlite_engine)
        assert set(sources["publisher"]) == {"Leicestershire Partnership NHS Trust (local extract)"}

    def test_readme_figures_for_the_referral_example(self, catalogue):
        tidy = load(TEMPLATES / "home_first_referrals_example.csv", catalogue).tidy.set_index("metric_id")
        assert tidy.loc["ucr_2hr", ["numerator", "denominator"]].tolist() == [2, 4]
        assert tidy.loc["reablement_2day", "value"] == pytest.approx(200 / 3)

    @pytest.mark.parametrize("name", ["home_first_monthly_template.csv", "home_first_referrals_template.csv"])
    def test_blank_templates_are_recognised_and_refused_as_empty(self, catalogue, name):
        assert registry.detect(TEMPLATES / name).__name__ == "loaders.home_first"
        with pytest.raises(LoadError, match="header but no rows"):
            load(TEMPLATES / name, catalogue)

    def test_template_as_xlsx(self, tmp_path, catalogue):
        frame = pd.read_csv(TEMPLATES / "home_first_monthly_example.csv", dtype=str)
        path = tmp_path / "home_first.xlsx"
        frame.to_excel(path, index=False)
        assert registry.detect(path).__name__ == "loaders.home_first"
        assert len(load(path, catalogue).tidy) == 7
