"""CSV and Excel downloads of what a page shows, each with an About sheet naming its sources and licences."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from metrics import export, workbook
from metrics.catalogue import Catalogue
from ui import data

DEMO_ABOUT = (
    "Some figures in this export are generated demonstration data, not real statistics: "
    "the 'demo' column says which rows."
)


def with_demo_column(frame: pd.DataFrame, about: dict[str, str], row_source_ids=None) -> pd.DataFrame:
    """``frame`` with a ``demo`` column (yes/no per row) when the export holds any demo figure.

    ``row_source_ids`` gives each row's source ids (aligned with ``frame``); without it every row
    of an export that holds demo figures is marked demo, since its rows cannot be told apart.
    """
    if "Demonstration data" not in about or "demo" in frame.columns:
        return frame
    out = frame.copy()
    if row_source_ids is not None and len(row_source_ids) == len(frame):
        out["demo"] = ["yes" if data.shows_demo([ids]) else "no" for ids in row_source_ids]
    else:
        out["demo"] = "yes"
    return out


def downloads(
    frame: pd.DataFrame, name: str, about: dict[str, str], key: str, row_source_ids=None, xlsx=None
) -> None:
    """CSV and XLSX downloads of what is on screen, formulas neutralised, sources attached; a ``demo``
    column and an About line when any figure is demonstration data.

    ``xlsx``, when given, is a callable making the Excel file itself (Indicator detail's figures come
    from ``metrics.workbook``, the pack's writer); otherwise the Excel file is ``frame``.
    """
    frame = with_demo_column(frame, about, row_source_ids)
    left, right = st.columns(2)
    # Built only when clicked (Streamlit runs the callable then): no page run pays for a file
    # nobody downloads (issue #12: the Excel file was a third of the brief's run).
    left.download_button(
        "Download CSV",
        lambda: export.to_csv_bytes(frame),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"{key}-csv",
        icon=":material/download:",
        on_click="ignore",
    )
    right.download_button(
        "Download Excel",
        xlsx or (lambda: export.to_xlsx_bytes(frame, about)),
        file_name=f"{name}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}-xlsx",
        icon=":material/table_view:",
        on_click="ignore",
    )


def indicator_xlsx(ind, about: dict[str, str], start_year: int | None = None) -> bytes:
    """Indicator detail's Excel file: the indicator's sheet exactly as in the meeting pack's workbook
    (``metrics.workbook``: fractions formatted as percentages, period start dates, whole counts,
    unrounded limits), then the About sheet."""
    return workbook.indicator_xlsx(ind, data.sources(), about, start_year)


def about_sheet(cat: Catalogue, source_ids, title: str) -> dict[str, str]:
    """The 'About' sheet of an export: what it is, when it was made, the sources and licences behind it."""
    ids = set()
    for item in source_ids:
        ids.update(item if isinstance(item, (tuple, list, set, frozenset)) else (item,))
    wanted = frozenset(int(i) for i in ids if pd.notna(i))
    about = {"Title": title, "Exported": pd.Timestamp.now().strftime("%d %B %Y %H:%M")}
    about.update(data.per_version(("about sources", wanted), lambda: _about_sources(wanted)))
    return about


def _about_sources(ids: frozenset[int]) -> dict[str, str]:
    """The About sheet's lines naming the sources ``ids`` (once per data version: a page asks on every run)."""
    frame = data.sources()
    used = frame[frame["id"].isin(list(ids))]
    about = {}
    for i, r in enumerate(used.drop_duplicates(["publisher", "publication", "licence"]).itertuples(), 1):
        demo = " (DEMONSTRATION DATA)" if r.is_demo else ""
        about[f"Source {i}"] = f"{r.publisher}: {r.publication}{demo}. Licence: {r.licence}."
    about["Files"] = "; ".join(sorted(used["file_name"].unique()))
    if used["is_demo"].astype(bool).any():
        about["Demonstration data"] = DEMO_ABOUT
    return about
