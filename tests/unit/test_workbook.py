"""One workbook writer (metrics.workbook) for Indicator detail's Excel and the pack's; CSV whole numbers."""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import openpyxl
import pandas as pd
import pytest

from metrics import export, workbook
from metrics.pack import build_pack, pack_xlsx
from tests.unit.test_pack import GENERATED, MEETING, TODAY, obs, source_frame  # noqa: F401  (obs is a fixture)


def page_sheet(ind, sources, start_year=None):
    book = openpyxl.load_workbook(io.BytesIO(workbook.indicator_xlsx(ind, sources, {"Title": "t"}, start_year)))
    return book


def cells(rows) -> list[list[tuple]]:
    return [[(c.value, c.number_format) for c in row] for row in rows]


@pytest.fixture
def pack(obs, catalogue):  # noqa: F811
    return build_pack(obs, catalogue, source_frame(), "llr", MEETING, ("urgent_care",), TODAY, GENERATED)


class TestIndicatorWorkbook:
    def test_percent_is_a_fraction_with_a_date_column_and_whole_counts(self, pack):
        ind = pack.topics[0].items[0].indicator
        ws = page_sheet(ind, pack.sources)["Figures"]
        header = [c.value for c in ws[1]]
        assert header == workbook.FIGURE_HEADERS
        row = dict(zip(header, ws[ws.max_row], strict=True))
        assert row["Period"].value == "October 2025"
        assert row["Period start"].value == dt.datetime(2025, 10, 1)
        assert row["Period start"].number_format == "mmm yyyy"
        assert row["Value"].value == pytest.approx(0.704) and row["Value"].number_format == "0.0%"
        assert row["Numerator"].value == 14_080 and isinstance(row["Numerator"].value, int)
        assert row["Numerator"].number_format == "#,##0"
        assert row["Denominator"].value == 20_000 and isinstance(row["Denominator"].value, int)
        assert row["Source"].value == "NHS England, A&E Attendances and Emergency Admissions: ae.csv"

    def test_limits_are_not_rounded(self, pack):
        ind = pack.topics[0].items[0].indicator
        ws = page_sheet(ind, pack.sources)["Figures"]
        header = [c.value for c in ws[1]]
        row = dict(zip(header, ws[2], strict=True))
        first = ind.series.iloc[0]
        # The read layer's own limit, as a fraction; the figures table on screen rounds it to 2 decimals.
        assert row["Upper process limit"].value == pytest.approx(first["upl"] / 100, abs=1e-12)
        assert round(first["upl"], 2) != first["upl"]

    def test_the_page_sheet_is_the_packs_sheet_cell_by_cell(self, pack):
        book = openpyxl.load_workbook(io.BytesIO(pack_xlsx(pack)))
        packed = book["Urgent and emergency care"]
        for item in pack.topics[0].items:
            ind = item.indicator
            page = page_sheet(ind, pack.sources)["Figures"]
            assert cells([page[1]]) == cells([packed[1]])
            mine = [row for row in packed.iter_rows(min_row=2) if row[1].value == ind.metric.id]
            assert len(mine) == len(ind.series)
            assert cells(page.iter_rows(min_row=2)) == cells(mine), ind.metric.id

    def test_show_from_keeps_the_same_rows(self, pack):
        ind = pack.topics[0].items[0].indicator
        whole = cells(page_sheet(ind, pack.sources)["Figures"].iter_rows(min_row=2))
        shown = cells(page_sheet(ind, pack.sources, start_year=2025)["Figures"].iter_rows(min_row=2))
        assert shown and shown == whole[-len(shown) :]
        assert shown[0][2][0] == "April 2025"

    def test_demo_rows_are_labelled(self, obs, catalogue):  # noqa: F811
        built = build_pack(obs, catalogue, source_frame(demo=True), "llr", MEETING, ("urgent_care",), TODAY,
                           GENERATED)  # fmt: skip
        ws = page_sheet(built.topics[0].items[0].indicator, built.sources)["Figures"]
        assert ws.cell(row=1, column=ws.max_column).value == "Demo"
        assert {ws.cell(row=r, column=ws.max_column).value for r in range(2, ws.max_row + 1)} == {"demo"}

    def test_about_sheet_and_formula_safe_text(self, pack):
        ind = pack.topics[0].items[0].indicator
        raw = workbook.indicator_xlsx(ind, pack.sources, {"Title": "=cmd", "Files": "ae.csv"})
        about = openpyxl.load_workbook(io.BytesIO(raw))["About"]
        assert [[c.value for c in row] for row in about.iter_rows()] == [
            ["Item", "Value"], ["Title", "'=cmd"], ["Files", "ae.csv"]
        ]  # fmt: skip


class TestCsv:
    def test_counts_are_whole_numbers_and_missing_stays_empty(self):
        frame = pd.DataFrame({"Period": ["March 2026", "April 2026"], "Figure (%)": [78.8, np.nan],
                              "Numerator": [18680.0, np.nan], "Denominator": [23_700.0, 24_001.0]})  # fmt: skip
        text = export.to_csv_bytes(frame).decode("utf-8-sig")
        assert text == "Period,Figure (%),Numerator,Denominator\nMarch 2026,78.8,18680,23700\nApril 2026,,,24001\n"

    def test_fractions_keep_their_decimals(self):
        frame = pd.DataFrame({"Mean": [77.25, 80.0]})
        assert export.to_csv_bytes(frame).decode("utf-8-sig") == "Mean\n77.25\n80.0\n"
