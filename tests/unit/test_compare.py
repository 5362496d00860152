"""Tests for metrics.compare: Wilson intervals, comparison with England, fair peer pools."""

import math

import pandas as pd
import pytest

from metrics.compare import Z95, Z998, compare_with_england, peer_pools, rank_among_peers, wilson_interval


class TestWilson:
    @pytest.mark.parametrize(
        "numerator, denominator, z, expected",
        [
            # 50 of 100, 95%: p = 0.5, z^2 = 3.8415; centre = 0.5 + 3.8415/200 = 0.519207;
            # spread = 1.96 x sqrt(0.25/100 + 3.8415/40000) = 0.099864; / (1 + 3.8415/100) = 1.038415
            (50, 100, Z95, (40.383, 59.617)),
            # 0 of 10: the interval starts at zero and is not degenerate (Wilson, unlike Wald)
            (0, 10, Z95, (0.0, 27.753)),
            # 16,975 of 25,557 (UHL, March 2026) at 99.8%: p = 0.664205, z^2 = 9.54954; centre 0.664392,
            # spread 0.0091309, scale 1.0003737
            (16_975, 25_557, Z998, (65.501, 67.327)),
        ],
    )
    def test_against_hand_computed_values(self, numerator, denominator, z, expected):
        assert wilson_interval(numerator, denominator, z) == pytest.approx(expected, abs=1e-3)

    def test_missing_or_empty_denominator_gives_no_interval(self):
        assert all(math.isnan(x) for x in wilson_interval(5, 0))
        assert all(math.isnan(x) for x in wilson_interval(None, 10))


class TestCompareWithEngland:
    @pytest.mark.parametrize(
        "low, high, england, direction, expected",
        [
            (70, 72, 75, "increase", "worse"),
            (70, 72, 75, "decrease", "better"),
            (70, 72, 71, "increase", "similar"),
            (76, 78, 75, "increase", "better"),
            (76, 78, 75, "neutral", "higher"),
            (float("nan"), 78, 75, "increase", ""),
        ],
    )
    def test_outside_the_interval_is_significant(self, low, high, england, direction, expected):
        assert compare_with_england(low, high, england, direction) == expected


FREQ = {"ae_4hr_all": "month", "ae_4hr_type1": "month", "ascof_2b1": "year"}


def _obs(rows, start="2026-03-01"):
    return pd.DataFrame(
        [
            {"metric_id": m, "org_code": o, "period_start": pd.Timestamp(start), "period_type": FREQ[m], "value": v}
            for m, o, v in rows
        ]
    )


ORGS = pd.DataFrame(
    {
        "code": ["RWE", "RX1", "RX2", "NNJ07", "NQT", "E92000001", "E06000016"],
        "name": ["UHL", "Trust 1", "Trust 2", "Loughborough UTC", "Walk-in centre", "England", "Leicester"],
        "kind": ["provider", "provider", "provider", "provider", "provider", "country", "local_authority"],
    }
)


class TestPeerPools:
    def test_type_1_trusts_are_never_pooled_with_urgent_treatment_centres(self, catalogue):
        obs = _obs(
            [("ae_4hr_all", "RWE", 66.4), ("ae_4hr_all", "RX1", 72.0), ("ae_4hr_all", "RX2", 80.0),
             ("ae_4hr_all", "NNJ07", 100.0), ("ae_4hr_all", "NQT", 99.0), ("ae_4hr_all", "E92000001", 75.0),
             ("ae_4hr_type1", "RWE", 63.8), ("ae_4hr_type1", "RX1", 60.0), ("ae_4hr_type1", "RX2", 70.0)]
        )  # fmt: skip
        metric = catalogue.metric("ae_4hr_all")
        pools = peer_pools(obs, ORGS, catalogue, metric, pd.Timestamp("2026-03-01")).set_index("org_code")["pool"]
        type1 = catalogue.peer_groups["type1_departments"].name
        other = catalogue.peer_groups["other_ae_sites"].name
        assert pools.to_dict() == {"RWE": type1, "RX1": type1, "RX2": type1, "NNJ07": other, "NQT": other}
        ranks = rank_among_peers(obs, ORGS, catalogue, metric, ["RWE", "NNJ07"]).set_index("org_code")
        assert (ranks.loc["RWE", "rank"], ranks.loc["RWE", "peers"], ranks.loc["RWE", "pool"]) == (3, 3, type1)
        assert (ranks.loc["NNJ07", "rank"], ranks.loc["NNJ07", "peers"]) == (1, 2)

    def test_councils_are_ranked_with_councils(self, catalogue):
        obs = _obs([("ascof_2b1", "E06000016", 80.0), ("ascof_2b1", "RWE", 90.0)])
        pools = peer_pools(obs, ORGS, catalogue, catalogue.metric("ascof_2b1"), pd.Timestamp("2026-03-01"))
        assert pools["org_code"].tolist() == ["E06000016"]


class TestOnePeriod:
    def test_a_closed_site_is_not_ranked_with_an_old_figure(self, catalogue):
        metric = catalogue.metric("ae_4hr_all")
        now = _obs([("ae_4hr_all", "RX1", 72.0), ("ae_4hr_all", "NQT", 99.0), ("ae_4hr_all", "RWE", 66.4),
                    ("ae_4hr_type1", "RWE", 63.8), ("ae_4hr_type1", "RX1", 60.0)])  # fmt: skip
        closed = _obs([("ae_4hr_all", "NNJ07", 100.0)], start="2022-04-01")
        ranks = rank_among_peers(pd.concat([now, closed]), ORGS, catalogue, metric, ["RWE", "NNJ07"])
        assert ranks["org_code"].tolist() == ["RWE"]
        assert ranks["period_start"].tolist() == [pd.Timestamp("2026-03-01")]

    def test_a_yearly_total_beside_monthly_figures_is_not_the_latest_period(self, catalogue):
        metric = catalogue.metric("ae_4hr_all")
        monthly = _obs([("ae_4hr_all", "RWE", 66.4), ("ae_4hr_all", "RX1", 70.0),
                        ("ae_4hr_type1", "RWE", 63.8), ("ae_4hr_type1", "RX1", 60.0)])  # fmt: skip
        yearly = _obs([("ae_4hr_all", "RX1", 50.0)], start="2026-04-01").assign(period_type="year")
        ranks = rank_among_peers(pd.concat([monthly, yearly]), ORGS, catalogue, metric, ["RWE"]).set_index("org_code")
        assert ranks.loc["RWE", "period_start"] == pd.Timestamp("2026-03-01")
        assert (ranks.loc["RWE", "rank"], ranks.loc["RWE", "peers"]) == (2, 2)

    def test_a_named_period_ranks_only_organisations_reporting_it(self, catalogue):
        metric = catalogue.metric("ae_4hr_all")
        march = _obs(
            [
                ("ae_4hr_all", "RWE", 66.4),
                ("ae_4hr_all", "RX1", 72.0),
                ("ae_4hr_all", "RX2", 60.0),
                ("ae_4hr_type1", "RWE", 63.8),
                ("ae_4hr_type1", "RX1", 60.0),
                ("ae_4hr_type1", "RX2", 55.0),
            ]
        )
        april = _obs([("ae_4hr_all", "RX1", 50.0), ("ae_4hr_type1", "RX1", 45.0)], start="2026-04-01")
        both = pd.concat([march, april])
        ranks = rank_among_peers(both, ORGS, catalogue, metric, ["RWE"], pd.Timestamp("2026-03-01"))
        assert (ranks["rank"].iloc[0], ranks["peers"].iloc[0]) == (2, 3)
        assert ranks["period_start"].iloc[0] == pd.Timestamp("2026-03-01")
        # without a period, the metric's newest, in which RWE has no figure
        assert rank_among_peers(both, ORGS, catalogue, metric, ["RWE"]).empty


class TestIntervalsOnlyForProportionsOfPeople:
    def test_bed_occupancy_gets_no_wilson_interval(self, catalogue):
        from metrics.compare import latest_by_area
        from metrics.query import indicator

        rows = []
        for org, occ, avail in [("RWE", 1800.0, 2000.0), ("E92000001", 90000.0, 100000.0)]:
            for q in pd.date_range("2019-04-01", periods=4, freq="QS-APR"):
                rows.append({"metric_id": "beds_ga_occupancy", "org_code": org, "period_start": q,
                             "period_type": "quarter", "numerator": occ, "denominator": avail,
                             "value": 100 * occ / avail, "source_id": 1})  # fmt: skip
        obs = pd.DataFrame(rows)
        inds = {a: indicator(obs, catalogue, "beds_ga_occupancy", a) for a in ("llr", "england")}
        table = latest_by_area(inds, catalogue)
        assert table["ci95_low"].isna().all()
        assert (table["vs_england_95"] == "").all()
        assert catalogue.metric("ae_4hr_all").interval == "wilson"
