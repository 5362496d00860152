"""Areas generated from reference data (metrics.areas) and membership over time (calc)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from metrics import areas, calc, funnel
from metrics.catalogue import load_catalogue

D = dt.date


def reference(trusts, icbs=(("QK1", "NHS Leicester, Leicestershire and Rutland Integrated Care Board", "Y60"),)):
    """Reference frames as ``store.read_reference`` returns them."""
    org_rows, member_rows = [], []
    for code, icb, opened, closed in trusts:
        org_rows.append(
            dict(
                code=code,
                name=f"{code} HOSPITALS NHS TRUST",
                kind="trust",
                ons_code=None,
                region_code="Y60",
                opened=opened,
                closed=closed,
                loader="ods_trusts",
                file_name="etr.csv",
            )
        )
        member_rows.append(
            dict(
                member_code=code,
                parent_code=icb,
                relation="trust_icb",
                valid_from=opened,
                valid_to=closed,
                weight=1.0,
                loader="ods_trusts",
                file_name="etr.csv",
            )
        )
    for code, name, region in icbs:
        org_rows.append(
            dict(
                code=code,
                name=name,
                kind="icb",
                ons_code=None,
                region_code=None,
                opened=None,
                closed=None,
                loader="ons_icb_names",
                file_name="names.csv",
            )
        )
        member_rows.append(
            dict(
                member_code=code,
                parent_code=region,
                relation="icb_region",
                valid_from=D(2022, 7, 1),
                valid_to=None,
                weight=1.0,
                loader="ons_sub_icb",
                file_name="loc.csv",
            )
        )
    org_rows.append(
        dict(
            code="Y60",
            name="Midlands",
            kind="region",
            ons_code=None,
            region_code=None,
            opened=None,
            closed=None,
            loader="ons_sub_icb",
            file_name="loc.csv",
        )
    )
    return pd.DataFrame(org_rows), pd.DataFrame(member_rows)


@pytest.fixture(scope="module")
def base():
    return load_catalogue()


def test_every_icb_is_an_area_with_its_ods_trusts_and_llr_keeps_its_id(base):
    orgs, members = reference(
        [
            ("RWE", "QK1", D(1993, 4, 1), None),
            ("RX1", "QT1", D(1993, 4, 1), None),
            ("RX2", "QT1", D(2001, 1, 1), D(2020, 3, 31)),
        ],
        icbs=(
            ("QK1", "NHS Leicester, Leicestershire and Rutland Integrated Care Board", "Y60"),
            ("QT1", "NHS Nottingham and Nottinghamshire Integrated Care Board", "Y60"),
        ),
    )
    cat = areas.with_reference_areas(base, orgs, members)
    assert [a.id for a in cat.areas][:5] == [a.id for a in base.areas]  # config.yaml areas first, unchanged
    qt1 = cat.area_by_id["qt1"]
    assert qt1.name == "NHS Nottingham and Nottinghamshire Integrated Care Board"
    assert qt1.short_name == "Nottingham and Nottinghamshire" and qt1.region == "Y60"
    assert cat.members("ae_4hr_all", "qt1") == ("RX1", "RX2")
    assert cat.members("beds_ga_occupancy", "qt1") == ("RX1", "RX2")
    assert cat.members("nctr_patients", "qt1") == ("QT1",)
    assert cat.member_periods["qt1"]["RX2"] == (D(2001, 1, 1), D(2020, 3, 31))
    assert "qk1" not in cat.area_by_id and cat.find_area("QK1") == "llr"
    assert cat.members("ae_4hr_all", "llr") == base.members("ae_4hr_all", "llr")  # the confirmed roll-up
    assert cat.organisation_by_code["RX1"].name == "RX1 Hospitals NHS Trust"


def test_a_board_without_trusts_says_why(base):
    orgs, members = reference(
        [("RWE", "QK1", D(1993, 4, 1), None), ("RZ1", "Z9B2Z", D(1993, 4, 1), None)],
        icbs=(
            ("QK1", "NHS Leicester, Leicestershire and Rutland Integrated Care Board", "Y60"),
            ("QMJ", "NHS North Central London Integrated Care Board", "Y60"),
        ),
    )
    cat = areas.with_reference_areas(base, orgs, members)
    assert "2026 merger" in cat.area_by_id["qmj"].note and cat.members("ae_4hr_all", "qmj") == ()
    merged = cat.area_by_id["z9b2z"]
    assert merged.short_name == "ICB Z9B2Z (Midlands)" and "NHS North Central London" in merged.note


def test_no_reference_data_leaves_the_catalogue_as_it_is(base):
    orgs, members = reference([])
    assert areas.with_reference_areas(base, orgs[orgs["kind"] == "trust"], members) is base


def test_a_member_counts_only_in_periods_it_belonged():
    rows = pd.DataFrame(
        {
            "org_code": ["A", "A", "A", "B", "B"],
            "period_start": pd.to_datetime(["2019-12-01", "2020-03-01", "2020-04-01", "2019-12-01", "2020-04-01"]),
            "value": np.arange(5.0),
        }
    )
    kept = calc.in_membership_periods(rows, {"A": (D(2020, 1, 15), D(2020, 3, 31))}, "month")
    assert list(kept["value"]) == [1.0, 3.0, 4.0]  # A only Jan-Mar 2020; B has no dates, always counts
    quarterly = calc.in_membership_periods(rows, {"A": (D(2020, 1, 15), None)}, "quarter")
    assert list(quarterly["value"]) == [0.0, 1.0, 2.0, 3.0, 4.0]  # Dec-Feb quarter overlaps the opening


def test_trust_names_read_as_people_write_them():
    assert (
        areas.trust_name("UNIVERSITY HOSPITALS OF LEICESTER NHS TRUST") == "University Hospitals of Leicester NHS Trust"
    )
    assert areas.trust_name("NORTH-EAST LONDON NHS FOUNDATION TRUST") == "North-East London NHS Foundation Trust"


def test_a_council_with_figures_of_its_own_is_an_area(base):
    orgs, members = reference([("RWE", "QK1", D(1993, 4, 1), None)])
    orgs = pd.concat(
        [orgs, pd.DataFrame([dict(code="E10000017", name="Lancashire", kind="local_authority", ons_code="E10000017",
                                  region_code=None, opened=None, closed=None, loader="ons_mye", file_name="mye.csv")])],
        ignore_index=True,
    )  # fmt: skip
    cat = areas.with_reference_areas(base, orgs, members, {"E10000017": 1_294_914}, {"E10000017", "E06000016"})
    lancs = cat.area_by_id["e10000017"]
    assert (lancs.name, lancs.population) == ("Lancashire (council)", 1_294_914)
    assert cat.members("ascof_2a2", "e10000017") == ("E10000017",)
    assert "e06000016" not in cat.area_by_id  # Leicester is already the area leicester
    assert areas.area_label(lancs) == "Lancashire (E10000017)"


def test_each_nhs_england_region_is_an_area_of_its_boards_together(base):
    orgs, members = reference(
        [
            ("RWE", "QK1", D(1993, 4, 1), None),
            ("RX1", "QT1", D(1993, 4, 1), None),
            ("RX2", "QT1", D(2001, 1, 1), D(2020, 3, 31)),
        ],
        icbs=(
            ("QK1", "NHS Leicester, Leicestershire and Rutland Integrated Care Board", "Y60"),
            ("QT1", "NHS Nottingham and Nottinghamshire Integrated Care Board", "Y60"),
        ),
    )
    cat = areas.with_reference_areas(base, orgs, members)
    region = cat.area_by_id["y60"]
    assert (region.name, region.short_name, region.org_code) == ("NHS England Midlands region", "Midlands", "Y60")
    # LLR's board counts in its region on its ODS trusts, like every other board.
    assert cat.members("ae_4hr_all", "y60") == ("RWE", "RX1", "RX2")
    assert cat.members("nctr_patients", "y60") == ("QK1", "QT1")
    assert cat.member_periods["y60"]["RX2"] == (D(2001, 1, 1), D(2020, 3, 31))
    assert areas.region_area(cat, "qt1") == "y60" and areas.region_area(cat, "llr") == "y60"
    assert areas.area_for_text(cat, "Midlands (Y60)") == areas.area_for_text(cat, "Y60") == "y60"  # like a board
    assert "Midlands (Y60)" in areas.area_choices(cat)
    assert "y60" not in {a.id for a in funnel.icb_areas(cat)}  # a region is not one of the boards compared


def test_a_region_counts_a_trust_while_it_belonged_to_any_of_its_boards(base):
    # A trust that moved between two boards of one region counts in the region throughout.
    orgs, members = reference(
        [("RX1", "QT1", D(1993, 4, 1), D(2026, 3, 31))],
        icbs=(("QT1", "NHS Nottingham and Nottinghamshire Integrated Care Board", "Y60"),),
    )
    moved = members.iloc[[0]].assign(parent_code="QK1", valid_from=D(2026, 4, 1), valid_to=None)
    cat = areas.with_reference_areas(base, orgs, pd.concat([members, moved], ignore_index=True))
    assert cat.member_periods["y60"]["RX1"] == (D(1993, 4, 1), None)
    assert cat.member_periods["qt1"]["RX1"] == (D(1993, 4, 1), D(2026, 3, 31))
