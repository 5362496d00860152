"""Funnel plot limits, outliers, ranks and peers (metrics.funnel) against hand computations."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from metrics import funnel
from metrics.catalogue import Area, Organisation, load_catalogue


@pytest.fixture(scope="module")
def cat():
    base = load_catalogue()
    areas = [
        Area(id="a", name="Board A", short_name="A", org_code="QA1", region="Y60", population=1_000_000),
        Area(id="b", name="Board B", short_name="B", org_code="QB1", region="Y60", population=3_000_000),
        Area(id="c", name="Board C", short_name="C", org_code="QC1", region="Y61", population=1_100_000),
        Area(id="d", name="Board D", short_name="D", org_code="QD1", region="Y62", population=400_000),
    ]
    data = {name: getattr(base, name) for name in type(base).model_fields}
    data["areas"] = (*base.areas, *areas)
    data["organisations"] = (
        *base.organisations,
        *(Organisation(code=a.org_code, name=a.name, kind="icb") for a in areas),
    )
    return type(base).model_validate(data)


def series(numerator, denominator, period="2026-03-01"):
    return pd.DataFrame(
        {"period_start": [pd.Timestamp(period)], "numerator": [numerator], "denominator": [denominator],
         "value": [100 * numerator / denominator]}  # fmt: skip
    )


def test_control_limits_equal_a_hand_computation():
    # England 75%; a board with 10,000 attendances: se = sqrt(0.75 x 0.25 / 10,000) = 0.0043301
    low95, high95 = funnel.control_limits(0.75, 10_000, funnel.Z95)
    low998, high998 = funnel.control_limits(0.75, 10_000, funnel.Z998)
    assert (round(low95, 3), round(high95, 3)) == (74.151, 75.849)
    assert (round(low998, 3), round(high998, 3)) == (73.662, 76.338)


def test_every_board_gets_limits_for_its_own_denominator_and_outliers_are_named(cat):
    by_area = {
        "a": series(7_500, 10_000),  # on England's rate
        "b": series(31_000, 40_000),  # 77.5%: above the 99.8% limit for 40,000
        "c": series(740, 1_000),  # 74%: inside the wide limits of a small board
        "d": series(7_200, 10_000),  # 72%: below
    }
    england = series(75_000, 100_000)
    result = funnel.build_funnel(cat, cat.metric("ae_4hr_all"), by_area, england)
    assert result.england_value == 75.0
    points = result.points.set_index("area_id")
    for area_id, frame in by_area.items():
        n = frame["denominator"].iloc[0]
        spread = 3.090232306167813 * math.sqrt(0.75 * 0.25 / n)
        assert points.loc[area_id, "low998"] == pytest.approx(100 * (0.75 - spread))
        assert points.loc[area_id, "high998"] == pytest.approx(100 * (0.75 + spread))
    assert result.outliers() == (["Board B"], ["Board D"])
    table = funnel.ranked_table(result, "a", funnel.peers(cat, "a", nearest=1))
    assert list(table["ICB"]) == ["Board B", "Board A (chosen)", "Board C", "Board D"]
    assert list(table["Compared with England"]) == [
        "Better than England", "Similar to England", "Similar to England", "Worse than England",
    ]  # fmt: skip
    assert dict(zip(table["ICB"], table["Peer"], strict=True))["Board B"] == "same region"
    assert dict(zip(table["ICB"], table["Peer"], strict=True))["Board C"] == "similar population"
    # "Systems like A": the chosen board and its peers, in rank order; Board D is neither.
    assert list(funnel.peer_rows(table)["ICB"]) == ["Board B", "Board A (chosen)", "Board C"]


def test_the_period_is_the_latest_most_boards_have(cat):
    by_area = {"a": pd.concat([series(1, 2, "2026-02-01"), series(1, 2)]), "b": series(1, 2, "2026-02-01"),
               "c": series(1, 2, "2026-02-01")}  # fmt: skip
    england = pd.concat([series(1, 2, "2026-02-01"), series(1, 2)])
    assert funnel.common_period(by_area, england) == pd.Timestamp("2026-02-01")


def test_byar_interval_matches_a_hand_computation():
    # 100 events: low = 100 (1 - 1/900 - 1.96/30)^3, high = 101 (1 - 1/909 + 1.96/(3 sqrt(101)))^3
    low, high = funnel.byar_interval(100)
    assert low == pytest.approx(100 * (1 - 1 / 900 - 1.959963984540054 / 30) ** 3)
    assert high == pytest.approx(101 * (1 - 1 / 909 + 1.959963984540054 / (3 * math.sqrt(101))) ** 3)
    assert (round(low, 1), round(high, 1)) == (81.4, 121.6)


def test_counts_are_compared_as_rates_per_100000(cat):
    def counts(value):
        return pd.DataFrame({"period_start": [pd.Timestamp("2026-03-01")], "value": [float(value)]})

    by_area = {"a": counts(40_000), "b": counts(120_000), "c": counts(30_000), "d": counts(20_000)}
    period, eng_rate, table = funnel.rate_table(
        cat, cat.metric("ae_attendances"), by_area, counts(0), 5_500_000, "b", {"a": "same region"}
    )
    assert eng_rate == pytest.approx(100_000 * 210_000 / 5_500_000)
    rates = dict(zip(table["ICB"], table["Per 100,000"], strict=True))
    assert rates == {"Board D": "5,000.0", "Board B (chosen)": "4,000.0", "Board A": "4,000.0", "Board C": "2,727.3"}
    words = dict(zip(table["ICB"], table["Compared with England"], strict=True))
    assert words["Board D"] == "Higher than England" and words["Board C"] == "Lower than England"
    assert sorted(funnel.peer_rows(table)["ICB"]) == ["Board A", "Board B (chosen)"]  # tied at 4,000
