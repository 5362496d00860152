"""The A&E loader on generated files in the published layouts: values, layouts, bad input, vintages."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from loaders import ae, registry
from loaders.base import LoadError
from loaders.ingest import ingest_file, ingest_paths
from metrics import store
from tests.fixtures.make_ae_kh03 import ae_rows, write_ae_csv, write_ae_provider_xls, write_ae_rda

JUNE_2020 = dt.date(2020, 6, 1)


def load(path):
    return ae.normalise(ae.read(path))


def value(tidy, metric_id, org):
    rows = tidy[(tidy["metric_id"] == metric_id) & (tidy["org_code"] == org)]
    assert len(rows) == 1, (metric_id, org, rows)
    return rows.iloc[0]


def expected(row, booked=True):
    """The five measures recomputed from a fixture row (booked appointments added when present)."""
    b = 1 if booked else 0
    att = sum(row[f"att_{t}"] + b * row[f"att_b_{t}"] for t in ("t1", "t2", "oth"))
    o4 = sum(row[f"o4_{t}"] + b * row[f"o4_b_{t}"] for t in ("t1", "t2", "oth"))
    att1 = row["att_t1"] + b * row["att_b_t1"]
    o41 = row["o4_t1"] + b * row["o4_b_t1"]
    return {
        "ae_4hr_all": (att - o4, att),
        "ae_4hr_type1": (att1 - o41, att1),
        "ae_attendances": att,
        "ae_12hr_dta": row["dta12"],
        "ae_emergency_admissions": row["ea_t1"] + row["ea_t2"] + row["ea_oth"],
    }


def snapshot(engine):
    obs = store.read_observations(engine)
    return len(obs), len(store.read_sources(engine)), obs.drop(columns="source_id").to_json(date_format="iso")


class TestCsvLayouts:
    @pytest.mark.parametrize(
        ("columns", "booked", "layout"),
        [
            (16, False, "A&E monthly provider CSV (16 columns)"),
            (22, True, "A&E monthly provider CSV (22 columns)"),
            ("old", False, "A&E monthly provider CSV (16 columns, older 'Number of ...' headings)"),
        ],
    )
    def test_every_header_era_gives_the_five_measures_per_provider(self, tmp_path, columns, booked, layout):
        result = load(write_ae_csv(tmp_path, columns=columns))
        assert result.layout == layout
        for _, row in ae_rows(1).iterrows():
            exp = expected(row, booked=booked)
            for metric_id in ("ae_4hr_all", "ae_4hr_type1"):
                num, den = exp[metric_id]
                if den == 0:
                    assert result.tidy.query("metric_id == @metric_id and org_code == @row.code").empty
                    continue
                got = value(result.tidy, metric_id, row["code"])
                assert (got.numerator, got.denominator) == (num, den)
                assert got.value == pytest.approx(num / den * 100)
            for metric_id in ("ae_attendances", "ae_12hr_dta", "ae_emergency_admissions"):
                assert value(result.tidy, metric_id, row["code"]).value == exp[metric_id]
        assert set(result.tidy["period_start"]) == {JUNE_2020}
        assert set(result.tidy["period_type"]) == {"month"}

    def test_booked_appointments_are_added_to_unbooked_attendances(self, tmp_path):
        rows = ae_rows(1)
        result = load(write_ae_csv(tmp_path, columns=22, rows=rows))
        rwe = rows.iloc[0]
        assert rwe["att_b_t1"] > 0
        got = value(result.tidy, "ae_4hr_type1", "RWE")
        assert got.denominator == rwe["att_t1"] + rwe["att_b_t1"]
        assert got.numerator == rwe["att_t1"] + rwe["att_b_t1"] - rwe["o4_t1"] - rwe["o4_b_t1"]

    @pytest.mark.parametrize(
        ("total_label", "in_period"),
        [("TOTAL", True), ("Total", True), ("TOTAL ", True), ("total", True), ("TOTAL", False)],
    )
    def test_the_total_row_becomes_england(self, tmp_path, total_label, in_period):
        path = write_ae_csv(tmp_path, total=total_label)
        if not in_period:  # February 2026: 'MSitAE-FEBRUARY-2026,TOTAL,TOTAL,...'
            text = path.read_text().replace(f"\r\n{total_label},", "\r\nMSitAE-JUNE-2020,")
            path.write_text(text)
        result = load(path)
        rows = ae_rows(1)
        assert value(result.tidy, "ae_attendances", "E92000001").value == sum(
            expected(r)["ae_attendances"] for _, r in rows.iterrows()
        )
        assert "TOTAL" not in set(result.tidy["org_code"].str.upper())
        orgs = result.organisations.set_index("code")
        assert orgs.loc["E92000001", "kind"] == "country"

    def test_empty_trailing_columns_are_dropped(self, tmp_path):
        result = load(write_ae_csv(tmp_path, trailing_empty_columns=6))
        assert result.layout == "A&E monthly provider CSV (22 columns)"
        assert len(result.tidy[result.tidy["metric_id"] == "ae_attendances"]) == len(ae_rows(1)) + 1

    def test_period_comes_from_the_period_column_not_the_file_name(self, tmp_path):
        result = load(write_ae_csv(tmp_path, "March-2021-revised.csv", period="MSitAE-SEPTEMBER-2024"))
        assert set(result.tidy["period_start"]) == {dt.date(2024, 9, 1)}

    def test_cp1252_file_is_read(self, tmp_path):
        rows = ae_rows(1)
        rows.loc[0, "name"] = "UNIVERSITY HOSPITALS OF LEICESTER – ST JOHN’S"
        path = write_ae_csv(tmp_path, rows=rows, encoding="cp1252")
        with pytest.raises(UnicodeDecodeError):
            path.read_bytes().decode("utf-8")
        result = load(path)
        assert result.organisations.set_index("code").loc["RWE", "name"].endswith("ST JOHN’S")

    @pytest.mark.parametrize("marker", ["-", "", "*", "N/A", " - "])
    def test_missing_markers_are_missing_not_zero(self, tmp_path, marker):
        path = write_ae_csv(
            tmp_path, overrides={("RWE", "Patients who have waited 12+ hrs from DTA to admission"): marker}
        )
        result = load(path)
        assert result.tidy.query("metric_id == 'ae_12hr_dta' and org_code == 'RWE'").empty
        assert len(result.tidy.query("metric_id == 'ae_attendances' and org_code == 'RWE'")) == 1

    def test_missing_over_4_hours_leaves_the_percentage_missing(self, tmp_path):
        over = {
            ("RWE", c): "-"
            for c in ("Attendances over 4hrs Type 1", "Attendances over 4hrs Booked Appointments Type 1")
        }
        result = load(write_ae_csv(tmp_path, overrides=over))
        assert result.tidy.query("metric_id == 'ae_4hr_type1' and org_code == 'RWE'").empty

    def test_a_site_with_no_attendances_has_no_percentage(self, tmp_path):
        result = load(write_ae_csv(tmp_path))
        # NNJ07 (an urgent treatment centre) has no type 1 attendances: the type 1 share is undefined
        assert result.tidy.query("metric_id == 'ae_4hr_type1' and org_code == 'NNJ07'").empty
        assert value(result.tidy, "ae_attendances", "NNJ07").value > 0


class TestXlsProviderLevelData:
    def test_values_match_the_sheet_and_england_is_kept(self, tmp_path):
        path, rows = write_ae_provider_xls(tmp_path)
        result = load(path)
        assert result.layout == "A&E monthly workbook (Provider Level Data sheet)"
        assert set(result.tidy["period_start"]) == {dt.date(2019, 6, 1)}
        for _, row in rows.iterrows():
            exp = expected(row, booked=False)
            if exp["ae_4hr_all"][1]:
                got = value(result.tidy, "ae_4hr_all", row["code"])
                assert (got.numerator, got.denominator) == exp["ae_4hr_all"]
            assert value(result.tidy, "ae_12hr_dta", row["code"]).value == exp["ae_12hr_dta"]
            assert value(result.tidy, "ae_emergency_admissions", row["code"]).value == exp["ae_emergency_admissions"]
        total = sum(expected(r, booked=False)["ae_attendances"] for _, r in rows.iterrows())
        assert value(result.tidy, "ae_attendances", "E92000001").value == total

    def test_dash_cells_are_missing(self, tmp_path):
        # column 23 (1-based) is '>12 hours from decision to admit'
        path, _ = write_ae_provider_xls(tmp_path, overrides={("RWE", 23): "-"})
        result = load(path)
        assert result.tidy.query("metric_id == 'ae_12hr_dta' and org_code == 'RWE'").empty

    def test_text_in_a_count_names_the_sheet_row_and_column(self, tmp_path):
        path, _ = write_ae_provider_xls(tmp_path, overrides={("RWE", 4): "lots"})
        with pytest.raises(LoadError) as err:
            load(path)
        assert str(err.value) == (
            f"A&E workbook '{path.name}', sheet 'Provider Level Data', row 19 (RWE): "
            "'Type 1 Departments - Major A&E' is 'lots', expected a whole number"
        )


class TestRdaTable:
    def test_types_are_summed_per_provider_and_month(self, tmp_path):
        path, frame = write_ae_rda(tmp_path)
        result = load(path)
        assert result.derived and result.layout == "NHSRdatasets ae_attendances table (R data)"
        march = frame[(frame["org_code"] == "RWE") & (frame["period"] == dt.date(2017, 3, 1))]
        got = value(result.tidy[result.tidy["period_start"] == dt.date(2017, 3, 1)], "ae_4hr_all", "RWE")
        assert got.denominator == march["attendances"].sum()
        assert got.numerator == march["attendances"].sum() - march["breaches"].sum()
        t1 = march[march["type"] == "1"].iloc[0]
        got1 = value(result.tidy[result.tidy["period_start"] == dt.date(2017, 3, 1)], "ae_4hr_type1", "RWE")
        assert (got1.numerator, got1.denominator) == (t1.attendances - t1.breaches, t1.attendances)
        assert "ae_12hr_dta" not in set(result.tidy["metric_id"])  # not in the table


class TestBadInput:
    def test_text_in_a_numeric_column_names_file_row_org_and_column(self, tmp_path):
        path = write_ae_csv(tmp_path, overrides={("RWE", "Attendances over 4hrs Type 1"): "abc"}, pad_rows=81)
        with pytest.raises(LoadError) as err:
            load(path)
        assert str(err.value) == (
            "A&E CSV 'June-2020.csv', row 83 (RWE): 'Attendances over 4hrs Type 1' is 'abc', expected a whole number"
        )
        assert (err.value.row, err.value.column) == (83, "Attendances over 4hrs Type 1")

    @pytest.mark.parametrize("cell", ["12.5", "-3"])
    def test_fractions_and_negative_counts_are_rejected(self, tmp_path, cell):
        path = write_ae_csv(tmp_path, overrides={("RTG", "A&E attendances Type 2"): cell})
        with pytest.raises(LoadError, match=rf"\(RTG\): 'A&E attendances Type 2' is '{cell}', expected a whole number"):
            load(path)

    def test_wrong_columns_are_named(self, tmp_path):
        path = tmp_path / "wrong.csv"
        path.write_text(
            "Period,Org Code,Org name,A&E attendances Type 1,Some other thing\nMSitAE-JUNE-2020,RWE,X,1,2\n"
        )
        with pytest.raises(LoadError) as err:
            load(path)
        message = str(err.value)
        assert message.startswith("'wrong.csv', row 1: the header is not an A&E monthly provider CSV header")
        assert "'A&E attendances Type 2'" in message and "unexpected column(s) 'Some other thing'" in message

    def test_over_4_hours_above_attendances_is_rejected_with_the_row(self, tmp_path):
        path = write_ae_csv(tmp_path, overrides={("RAX", "Attendances over 4hrs Type 1"): 999999})
        with pytest.raises(
            LoadError, match=r"row 5 \(RAX\): attendances over 4 hours \(\d+, type 1\) exceed attendances"
        ):
            load(path)

    def test_a_month_with_no_provider_rows_is_rejected(self, tmp_path):
        path = write_ae_csv(tmp_path, rows=ae_rows(1).iloc[:0])
        with pytest.raises(LoadError, match="no provider rows"):
            load(path)

    def test_a_bad_period_names_the_row(self, tmp_path):
        path = write_ae_csv(tmp_path, period="June 2020")
        with pytest.raises(LoadError, match=r"row 2 \(RWE\): 'Period' is 'June 2020', expected a month like"):
            load(path)

    def test_two_months_in_one_file_are_rejected(self, tmp_path):
        path = write_ae_csv(tmp_path)
        path.write_text(path.read_text().replace("MSitAE-JUNE-2020,RTG", "MSitAE-JULY-2020,RTG"))
        with pytest.raises(LoadError, match="mixes months"):
            load(path)


class TestIngestLeavesTheDatabaseAsItWas:
    """Each bad file is refused by the pipeline and nothing is written (one transaction per file)."""

    @pytest.fixture
    def loaded(self, tmp_path, sqlite_engine, catalogue):
        good = write_ae_csv(tmp_path / "..", "good-may.csv", period="MSitAE-MAY-2020", seed=9)
        outcome = ingest_file(good, sqlite_engine, catalogue)
        assert outcome.status == "loaded"
        return snapshot(sqlite_engine)

    def _bad_files(self, folder):
        folder.mkdir(exist_ok=True)
        text = write_ae_csv(folder, "text.csv", overrides={("RWE", "Attendances over 4hrs Type 1"): "abc"})
        over = write_ae_csv(folder, "over.csv", overrides={("RWE", "Attendances over 4hrs Type 1"): 10**7})
        none = write_ae_csv(folder, "none.csv", rows=ae_rows(1).iloc[:0])
        empty = folder / "empty.csv"
        empty.write_bytes(b"")
        wrong = folder / "wrong.csv"
        wrong.write_text("Period,Org Code,A&E attendances Type 1\nMSitAE-JUNE-2020,RWE,abc\n")
        xls, _ = write_ae_provider_xls(folder, "trunc.xlsx")
        xls.write_bytes(xls.read_bytes()[:2000])  # truncated: the zip directory is gone
        corrupt = folder / "corrupt.xlsx"
        corrupt.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 8)
        return {"text": text, "over": over, "none": none, "empty": empty, "wrong": wrong, "trunc": xls,
                "corrupt": corrupt}  # fmt: skip

    @pytest.mark.parametrize("kind", ["text", "over", "none", "empty", "wrong", "trunc", "corrupt"])
    def test_a_bad_file_changes_nothing(self, tmp_path, sqlite_engine, catalogue, loaded, kind):
        path = self._bad_files(tmp_path / "bad")[kind]
        outcome = ingest_file(path, sqlite_engine, catalogue)
        assert outcome.status in ("error", "unrecognised"), outcome
        assert path.name in outcome.error
        assert snapshot(sqlite_engine) == loaded

    def test_truncated_workbook_message_says_so(self, tmp_path):
        path = self._bad_files(tmp_path / "bad")["trunc"]
        with pytest.raises(LoadError, match="trunc.xlsx.*(corrupt or truncated|cannot read)"):
            ae.normalise(ae.read(path))

    def test_a_200_mb_file_is_refused_before_it_is_parsed(self, tmp_path, sqlite_engine, catalogue, loaded):
        big = tmp_path / "huge.csv"
        with open(big, "wb") as fh:
            fh.write(b"Period,Org Code,Parent Org,Org name,A&E attendances Type 1\n")
            fh.truncate(200_000_000)  # sparse: costs no disk
        outcome = ingest_file(big, sqlite_engine, catalogue, max_bytes=50_000_000)
        assert outcome.status == "error"
        assert "'huge.csv': the file is 200.0 MB, over the 50 MB limit; nothing was read" in outcome.error
        assert snapshot(sqlite_engine) == loaded


class TestDetection:
    def test_each_layout_is_detected_as_ae(self, tmp_path):
        paths = [
            write_ae_csv(tmp_path, "a.csv", columns=16),
            write_ae_csv(tmp_path, "b.csv", columns=22),
            write_ae_csv(tmp_path, "c.txt.csv", columns="old"),
            write_ae_provider_xls(tmp_path)[0],
            write_ae_rda(tmp_path)[0],
        ]
        assert [registry.detect(p).__name__ for p in paths] == ["loaders.ae"] * 5

    def test_an_r_file_without_the_table_is_not_ae(self, tmp_path):
        import pyreadr

        path = tmp_path / "other.rda"
        pyreadr.write_rdata(str(path), pd.DataFrame({"x": [1.0]}), df_name="something_else")
        assert registry.detect(path) is None or registry.detect(path).__name__ != "loaders.ae"


class TestVintages:
    def test_vintage_is_the_standing_of_the_file_never_its_digest(self, tmp_path):
        small = load(write_ae_csv(tmp_path, "small.csv", rows=ae_rows(1).iloc[:3]))
        full = load(write_ae_csv(tmp_path, "full.csv"))
        assert small.vintage == full.vintage == "1"

    def test_a_known_revision_outranks_any_first_publication(self, tmp_path, monkeypatch):
        path = write_ae_csv(tmp_path, rows=ae_rows(1).iloc[:2])
        raw = ae.read(path)
        monkeypatch.setitem(ae.KNOWN_REVISIONS, raw.attrs["digest"], "test revision")
        revised = ae.normalise(raw)
        other = load(write_ae_csv(tmp_path, "other.csv"))
        assert revised.vintage == "2" and revised.vintage > other.vintage

    def test_with_publication_dates_either_order_gives_the_later_publication(self, tmp_path, catalogue):
        rows = ae_rows(1)
        first = write_ae_csv(tmp_path, "first.csv", rows=rows.iloc[:4])
        revised_rows = rows.copy()
        revised_rows.loc[0, "att_t1"] += 250
        revised = write_ae_csv(tmp_path, "revised.csv", rows=revised_rows)
        dates = {first: dt.date(2024, 2, 8), revised: dt.date(2024, 3, 14)}
        tables = []
        for order, name in (((first, revised), "a"), ((revised, first), "b")):
            engine = store.make_engine(f"sqlite:///{tmp_path / name}.sqlite")
            for path in order:
                assert ingest_file(path, engine, catalogue, published=dates[path]).status == "loaded"
            tables.append(store.read_observations(engine).drop(columns="source_id"))
            assert len(store.read_sources(engine)) == 2  # both publications are recorded
            engine.dispose()
        pd.testing.assert_frame_equal(tables[0], tables[1])
        rwe = tables[0].query("metric_id == 'ae_4hr_type1' and org_code == 'RWE'").iloc[0]
        assert rwe.denominator == revised_rows.loc[0, "att_t1"] + revised_rows.loc[0, "att_b_t1"]
        assert np.isfinite(rwe.value)

    def test_without_publication_dates_the_later_load_wins(self, tmp_path, catalogue):
        rows = ae_rows(1)
        one = write_ae_csv(tmp_path, "one.csv", rows=rows)
        other_rows = rows.copy()
        other_rows.loc[0, "att_t1"] += 250
        other = write_ae_csv(tmp_path, "other.csv", rows=other_rows)
        for order, name in (((one, other), "a"), ((other, one), "b")):
            engine = store.make_engine(f"sqlite:///{tmp_path / name}.sqlite")
            summary = ingest_paths(order, engine, catalogue)
            assert not summary.failed and summary.total("kept_newer") == 0
            rwe = store.read_observations(engine, metric_ids=["ae_attendances"], org_codes=["RWE"]).iloc[0]
            last = rows if order[-1] == one else other_rows
            assert rwe.value == last.loc[0, ["att_t1", "att_t2", "att_oth", "att_b_t1", "att_b_t2", "att_b_oth"]].sum()
            engine.dispose()
