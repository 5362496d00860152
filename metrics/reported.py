"""Figures reported to committee beside the published statistics, in words a committee can use.

``Reader.reconciliation`` pairs each figure a committee paper quoted (``data/reported/``) with the
read layer's published figure for the same metric, area and period. This module words each pair:
both figures, the difference (reported minus published), the organisations the published figure
adds up, whether the gap is large enough to raise a question (``metrics.questions``), and the
reasons two honest figures can differ (:data:`WHY_THEY_DIFFER`).
"""

from __future__ import annotations

import pandas as pd

from metrics.calc import format_value
from metrics.catalogue import Catalogue
from metrics.periods import period_label
from metrics.questions import is_large_difference, reported_text, signed_difference
from metrics.targets import unit_difference

WHY_THEY_DIFFER = (
    "Why a reported figure can differ from the published one: the committee paper may define the area "
    "differently (for example the acute trust alone, or with or without the urgent treatment centres); it may "
    "quote provisional figures, taken before the return was finalised; or the publisher may have revised the "
    "statistics after the paper was written. Every chart and table on this dashboard shows the published figure."
)

REPORTED_COLUMNS = [
    "Indicator", "Area", "Period", "Reported to committee", "Published statistics",
    "Difference (reported minus published)", "Large difference", "The published figure adds up", "Note",
]  # fmt: skip


def threshold_text(catalogue: Catalogue) -> str:
    """When a gap raises a question, in words (from ``questions.large_difference``)."""
    big = catalogue.questions.large_difference
    return (
        f"A difference of at least {big.percentage_points:g} percentage point"
        f"{'' if big.percentage_points == 1 else 's'} (or {big.relative:.0%} of the published figure for counts "
        "and rates) is marked as large, and suggests a question for the committee."
    )


def organisations_text(codes, catalogue: Catalogue) -> str:
    """``University Hospitals of Leicester NHS Trust (RWE) and ... (NNJ07)``."""
    names = catalogue.organisation_by_code
    parts = [f"{names[c].name} ({c})" if c in names else str(c) for c in sorted(codes or ())]
    if len(parts) <= 1:
        return "".join(parts)
    return f"{', '.join(parts[:-1])} and {parts[-1]}"


def note(row, catalogue: Catalogue) -> str:
    """One sentence for one pair: what the committee was told, what the statistics say, how far apart."""
    m = catalogue.metric(row["metric_id"])
    label = period_label(pd.Timestamp(row["period_start"]).date(), row["period_type"])
    told = reported_text(row["reported"], m)
    published = format_value(row["published"], m.unit, m.decimals)
    diff = float(row["difference"])
    if round(diff, 2) == 0:
        return f"{label}: the committee was told {told}, the same as the published statistics."
    return (
        f"{label}: the committee was told {told}; the published statistics give {published}, so the reported "
        f"figure is {unit_difference(diff, m.unit, max(m.decimals, 2))} {'higher' if diff > 0 else 'lower'}."
    )


def reported_table(reconciliation: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """One row per figure reported to committee, beside the published one (``REPORTED_COLUMNS``)."""
    rows = []
    for r in reconciliation.to_dict("records"):
        m = catalogue.metric(r["metric_id"])
        rows.append(
            {
                "Indicator": m.name,
                "Area": catalogue.area_by_id[r["area_id"]].name,
                "Period": period_label(pd.Timestamp(r["period_start"]).date(), r["period_type"]),
                "Reported to committee": reported_text(r["reported"], m),
                "Published statistics": format_value(r["published"], m.unit, m.decimals),
                "Difference (reported minus published)": signed_difference(r["difference"], m),
                "Large difference": "Yes" if is_large_difference(r["reported"], r["published"], m.unit, catalogue)
                else "No",
                "The published figure adds up": organisations_text(r.get("members"), catalogue),
                "Note": note(r, catalogue),
            }
        )  # fmt: skip
    return pd.DataFrame(rows, columns=REPORTED_COLUMNS)
