"""Figures reported to committee beside the published statistics (Data page, Indicator detail)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from metrics.catalogue import Catalogue
from metrics.reported import WHY_THEY_DIFFER, reported_table, threshold_text
from ui import data, plots


def reported_beside_published(reconciliation: pd.DataFrame, cat: Catalogue, key: str) -> None:
    """The table of reported and published figures, with why they can differ."""
    if reconciliation.empty:
        st.write("No figure reported to committee covers a period the published statistics also cover.")
        return
    # The table for the rows shown (all metrics, or one): made once per data version.
    metrics = tuple(sorted(reconciliation["metric_id"].unique())) if "metric_id" in reconciliation else ()
    shown = data.per_version(("reported table", metrics), lambda: reported_table(reconciliation, cat))
    plots.table(shown, key=f"reported-{key}")
    st.caption(f"{WHY_THEY_DIFFER} {threshold_text(cat)}")
