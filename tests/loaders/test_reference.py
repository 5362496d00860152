"""Reference loaders (ODS NHS trusts, ONS ICB lookups, ONS mid-year population): recognised by
content, stored with the dates memberships hold, bad input refused with its place named."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest

from loaders import registry
from loaders.ingest import ingest_paths
from metrics import areas, calc, store
from metrics.catalogue import PROJECT_ROOT
from tests.conftest import IN_CI

REFERENCE = (PROJECT_ROOT.parent / "shared" / "data" / "reference").resolve()
FILES = {
    "ods/etr.csv": "ods_trusts",
    "ons/LOC22_ICB22_NHSER22_EN_LU.csv": "ons_geography",
    "ons/LOC22_ICB22_NHSER22_EN_LU.xlsx": "ons_geography",
    "ons/LSOA11_LOC22_ICB22_LAD22_EN_LU.xlsx": "ons_geography",
    "ons/icb_names_codes_dec_2024.csv": "ons_geography",
    "ons/mye24tablesew.csv": "ons_mid_year_estimates",
}


def reference_file(relative: str) -> Path:
    """A file of the shared reference data; missing data fails under CI and skips elsewhere."""
    path = REFERENCE / relative
    if not path.exists():
        if IN_CI:
            pytest.fail(f"reference data missing under CI: {path}")
        pytest.skip(f"reference data not available: {path}")
    return path


@pytest.mark.parametrize("relative", sorted(FILES))
def test_each_reference_file_is_recognised_by_its_content_not_its_name(relative, tmp_path):
    renamed = tmp_path / ("renamed" + reference_file(relative).suffix)
    shutil.copy(reference_file(relative), renamed)
    module = registry.detect(renamed)
    assert module is not None and module.NAME == FILES[relative]


@pytest.fixture(scope="module")
def reference_engine(tmp_path_factory, catalogue):
    engine = store.make_engine(f"sqlite:///{tmp_path_factory.mktemp('ref') / 'ref.sqlite'}")
    store.init_db(engine, catalogue)
    summary = ingest_paths([reference_file(r) for r in FILES], engine, catalogue)
    assert not summary.failed, [o.error for o in summary.failed]
    return engine


def test_trusts_carry_their_icb_region_and_open_and_close_dates(reference_engine):
    orgs, members = store.read_reference(reference_engine)
    rwe = orgs[(orgs["code"] == "RWE") & (orgs["loader"] == "ods_trusts")].iloc[0]
    assert rwe["region_code"] == "Y60" and "LEICESTER" in rwe["name"]
    trust_icb = members[members["relation"] == "trust_icb"].set_index("member_code")
    assert trust_icb.loc["RWE", "parent_code"] == "QK1"
    assert trust_icb.loc["RT5", "parent_code"] == "QK1"
    # A closed trust keeps its dates: North Middlesex closed at the end of 2024.
    rap = trust_icb.loc["RAP"]
    assert str(rap["valid_to"].date()) == "2024-12-31" and str(rap["valid_from"].date()) == "1991-04-01"
    assert trust_icb.loc["RWE", "file_name"] == "etr.csv"


def test_ons_lookups_give_icb_region_and_district_memberships(reference_engine):
    orgs, members = store.read_reference(reference_engine)
    icb_region = members[members["relation"] == "icb_region"].set_index("member_code")["parent_code"]
    assert icb_region["QK1"] == "Y60"
    assert len(icb_region) == 42
    districts = members[members["relation"] == "district_icb"]
    assert set(districts[districts["member_code"] == "E06000016"]["parent_code"]) == {"QK1"}
    leics = districts[districts["member_code"].isin([f"E07000{n}" for n in range(129, 136)])]
    assert set(leics["parent_code"]) == {"QK1"} and leics["member_code"].nunique() == 7
    names = orgs[orgs["loader"] == "ons_icb_names"].set_index("code")["name"]
    assert len(names) == 42 and names["QE1"] == "NHS Lancashire and South Cumbria Integrated Care Board"
    county = members[members["relation"] == "district_county"].set_index("member_code")["parent_code"]
    assert county["E07000129"] == "E10000018"  # Blaby is in Leicestershire


def test_mid_year_population_is_stored_by_band_for_councils(reference_engine):
    obs = store.read_observations(reference_engine, metric_ids=["population_all", "population_65plus"])
    value = obs.set_index(["metric_id", "org_code"])["value"]
    assert value[("population_all", "E06000016")] == 388_348
    assert value[("population_all", "E10000018")] == 745_573
    assert value[("population_all", "E06000017")] == 41_443
    assert value[("population_65plus", "E06000017")] < value[("population_all", "E06000017")]
    assert set(obs["period_start"].dt.date.astype(str)) == {"2024-04-01"}


def test_a_bad_ods_date_names_the_row_and_column_and_leaves_the_store_as_it_was(tmp_path, engine, catalogue):
    lines = reference_file("ods/etr.csv").read_text(encoding="utf-8").splitlines()
    cells = lines[2].split('","')
    cells[10] = "2017-10-01"
    lines[2] = '","'.join(cells)
    bad = tmp_path / "trusts.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = store.read_reference(engine)[1]
    summary = ingest_paths([bad], engine, catalogue)
    error = summary.outcomes[0].error
    assert "'trusts.csv'" in error and "row 3" in error and "column '11 (open date)'" in error
    assert "'2017-10-01' is not a date (expected YYYYMMDD" in error
    assert len(store.read_reference(engine)[1]) == len(before)


def test_a_newer_trust_list_replaces_the_earlier_one(tmp_path, engine, catalogue):
    lines = reference_file("ods/etr.csv").read_text(encoding="utf-8").splitlines()
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("\n".join(lines) + "\n", encoding="utf-8")
    second.write_text("\n".join(line for line in lines if not line.startswith('"RWE"')) + "\n", encoding="utf-8")
    ingest_paths([first], engine, catalogue)
    assert "RWE" in set(store.read_reference(engine)[1]["member_code"])
    ingest_paths([second], engine, catalogue)
    members = store.read_reference(engine)[1]
    assert "RWE" not in set(members["member_code"]) and "RT5" in set(members["member_code"])
    assert set(members["file_name"]) == {"b.csv"}


def test_a_snapshot_carries_the_reference_data_and_restores_it_identically(reference_engine, catalogue, tmp_path):
    from loaders.snapshot import read_manifest, restore_snapshot, write_snapshot
    from metrics import areas

    first, second = tmp_path / "first", tmp_path / "second"
    write_snapshot(reference_engine, first)
    parts = read_manifest(first)["parts"]
    assert parts["reference_memberships"]["rows"] == len(store.read_reference(reference_engine)[1])
    restored = store.make_engine(f"sqlite:///{tmp_path / 'restored.sqlite'}")
    restore_snapshot(restored, first, catalogue)
    write_snapshot(restored, second)
    for part, entry in parts.items():
        assert read_manifest(second)["parts"][part]["sha256"] == entry["sha256"], part
    before = areas.full_catalogue(reference_engine, catalogue)
    after = areas.full_catalogue(restored, catalogue)
    assert [(a.id, a.name, a.population) for a in after.areas] == [(a.id, a.name, a.population) for a in before.areas]
    assert after.member_periods == before.member_periods


def test_a_merged_trust_and_its_predecessor_count_in_their_board_for_their_own_periods(reference_engine, catalogue):
    # etr.csv: Barnet, Enfield and Haringey Mental Health NHS Trust (RRP) closed on 31 October 2024;
    # North London NHS Foundation Trust (G6V2S) opened on 1 November 2024. Both were North Central
    # London's (QMJ) until its merger into Z9B2Z on 1 April 2026.
    cat = areas.full_catalogue(reference_engine, catalogue)
    assert cat.member_periods["qmj"]["RRP"] == (dt.date(2001, 4, 1), dt.date(2024, 10, 31))
    assert cat.member_periods["qmj"]["G6V2S"] == (dt.date(2024, 11, 1), dt.date(2026, 3, 31))
    assert cat.member_periods["z9b2z"]["G6V2S"] == (dt.date(2026, 4, 1), None)
    assert "RRP" not in cat.member_periods["z9b2z"]  # closed before the merger
    months = pd.to_datetime(["2024-10-01", "2024-11-01", "2026-03-01", "2026-04-01"])
    rows = pd.DataFrame({"org_code": ["RRP"] * 4 + ["G6V2S"] * 4, "period_start": [*months, *months], "value": 1.0})
    in_qmj = calc.in_membership_periods(rows, cat.member_periods["qmj"], "month")
    in_z9b2z = calc.in_membership_periods(rows[rows["org_code"] == "G6V2S"], cat.member_periods["z9b2z"], "month")
    as_text = lambda f: sorted(zip(f["org_code"], f["period_start"].dt.strftime("%Y-%m"), strict=True))  # noqa: E731
    assert as_text(in_qmj) == [("G6V2S", "2024-11"), ("G6V2S", "2026-03"), ("RRP", "2024-10")]
    assert as_text(in_z9b2z) == [("G6V2S", "2026-04")]


def test_boards_merged_in_2026_keep_their_trusts_until_the_merger(reference_engine, catalogue):
    cat = areas.full_catalogue(reference_engine, catalogue)
    # Royal Free (RAL) was North Central London's, Hillingdon (RAS) North West London's.
    assert cat.member_periods["qmj"]["RAL"][1] == dt.date(2026, 3, 31)
    assert cat.member_periods["qrv"]["RAS"][1] == dt.date(2026, 3, 31)
    assert "RAL" in cat.members("ae_4hr_all", "qmj") and "RAS" in cat.members("ae_4hr_all", "qrv")
    assert "Merged into ICB Z9B2Z on 1 April 2026" in cat.area_by_id["qmj"].note
    merged = cat.area_by_id["z9b2z"]
    assert "North Central London" in merged.note and "North West London" in merged.note
    # Both London boards joined whole: the merged board's residents are theirs together.
    assert merged.population == cat.area_by_id["qmj"].population + cat.area_by_id["qrv"].population
    # Frimley (QNQ) was split between two merged boards: no population is claimed for either.
    assert cat.area_by_id["s9b9j"].population is None and "not given" in cat.area_by_id["s9b9j"].note
