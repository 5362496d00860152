"""Reported beside published (metrics.reported): both figures, the difference, and why they can differ."""

from __future__ import annotations

import pandas as pd

from metrics.reported import REPORTED_COLUMNS, WHY_THEY_DIFFER, reported_table, threshold_text


def pair(reported, published, metric_id="ae_4hr_all", members=("RWE", "NNJ07")):
    return {"metric_id": metric_id, "area_id": "llr", "period_start": pd.Timestamp("2016-09-01"),
            "period_type": "month", "reported": reported, "published": published,
            "difference": reported - published, "members_reporting": len(members), "note": "",
            "members": members}  # fmt: skip


class TestReportedTable:
    def test_both_figures_the_signed_difference_and_a_plain_note(self, catalogue):
        table = reported_table(pd.DataFrame([pair(79.48, 82.5823)]), catalogue)
        assert list(table.columns) == REPORTED_COLUMNS
        row = table.iloc[0]
        assert (row["Reported to committee"], row["Published statistics"]) == ("79.48%", "82.6%")
        assert row["Difference (reported minus published)"] == "\u22123.10 percentage points"
        assert row["Large difference"] == "Yes"
        assert row["Period"] == "September 2016"
        assert "(NNJ07) and " in row["The published figure adds up"] and "(RWE)" in row["The published figure adds up"]
        assert row["Note"] == (
            "September 2016: the committee was told 79.48%; the published statistics give 82.6%, so the reported "
            "figure is 3.10 percentage points lower."
        )

    def test_a_small_difference_is_not_large_and_an_equal_figure_says_so(self, catalogue):
        table = reported_table(pd.DataFrame([pair(82.2, 82.58), pair(82.58, 82.58)]), catalogue)
        assert table["Large difference"].tolist() == ["No", "No"]
        assert table["Difference (reported minus published)"].iloc[0] == "\u22120.38 percentage points"
        assert (
            table["Note"].iloc[1]
            == "September 2016: the committee was told 82.58%, the same as the published statistics."
        )

    def test_why_they_differ_names_the_three_reasons_and_the_threshold(self, catalogue):
        for reason in ("define the area", "provisional figures", "revised"):
            assert reason in WHY_THEY_DIFFER
        assert threshold_text(catalogue).startswith(
            "A difference of at least 1 percentage point (or 5% of the published"
        )
