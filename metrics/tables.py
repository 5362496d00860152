"""Tables for readers: what the read layer says, with human column names and rounded figures.

The pages, the downloads and the meeting pack use the same tables, so a figure is written the
same way everywhere: periods as periods ("March 2026", "2022/23 Q2"), percentages to the metric's
decimals, differences of percentages in percentage points, SPC rules in words.
"""

from __future__ import annotations

import pandas as pd

from metrics.glossary import POINT_WORDS
from metrics.query import Indicator
from metrics.summary import DERIVED_WORDS, flag_set

#: SPC rule names (``metrics.spc``) in words.
RULE_WORDS = {
    "outside_limits": "beyond a process limit",
    "shift": "a run on one side of the mean",
    "trend": "a run of rises or falls",
    "two_of_three": "two of three points near a limit",
}
SIGNAL_WORDS = {cause: words[0].upper() + words[1:] for cause, words in POINT_WORDS.items()}


def rules_in_words(rules: str) -> str:
    """``"outside_limits,shift"`` -> ``"beyond a process limit; a run on one side of the mean"``."""
    return "; ".join(RULE_WORDS.get(r, r) for r in str(rules or "").split(",") if r)


def figures_table(ind: Indicator, start_year: int | None = None, sources: pd.DataFrame | None = None) -> pd.DataFrame:
    """The figures behind an indicator's chart, one row per period, for a screen reader or a board paper.

    Columns: Period, the figure (named by its unit), numerator and denominator where published,
    the target in force, the SPC mean and limits, the signal in words, which rule fired, and a
    note (incomplete periods, new limits). Numbers stay numbers, rounded to the metric's decimals.
    With ``sources`` (the ``source`` table: ``id``, ``file_name``, ``publisher``, ``publication``)
    each row also names the publication and files its figure came from.
    """
    m = ind.metric
    frame = ind.window(start_year)
    dec = m.decimals
    figure = {"percent": "Figure (%)", "rate_per_100k": "Rate per 100,000", "gbp": "Figure (£)"}.get(m.unit, "Figure")
    starts = {r.start: r.reason for r in ind.rebases}
    out = pd.DataFrame(
        {
            "Period": frame["period_label"],
            figure: frame["value"].astype(float).round(dec),
        }
    )
    whole = ind.series  # the columns depend on the series, never on the window shown
    if m.scale is not None and whole["numerator"].notna().any():
        out["Numerator"] = frame["numerator"].astype(float).round(0)
        out["Denominator"] = frame["denominator"].astype(float).round(0)
    if whole["target"].notna().any():
        out["Target"] = frame["target"].astype(float)
    if whole["mean"].notna().any():
        out["Mean"] = frame["mean"].astype(float).round(dec + 1)
        out["Lower process limit"] = frame["lpl"].astype(float).round(dec + 1)
        out["Upper process limit"] = frame["upl"].astype(float).round(dec + 1)
    has_limits = frame["mean"].notna().to_numpy()
    out["Signal"] = [
        SIGNAL_WORDS.get(c or "", "Common cause") if lim else "Run chart (too few points for limits)"
        for c, lim in zip(frame["special_cause"].fillna(""), has_limits, strict=True)
    ]
    out["Rule"] = [rules_in_words(r) for r in frame["rules"]]
    notes = []
    for p, note in zip(frame["period_start"], frame["note"], strict=True):
        parts = [x for x in (f"New limits: {starts[p]}" if p in starts else "", note) if x]
        notes.append("; ".join(parts))
    out["Note"] = notes
    if sources is not None and len(sources):
        out["Source"] = [source_text(ids, sources) for ids in frame["source_ids"]]
    return out.reset_index(drop=True)


def source_text(source_ids, sources: pd.DataFrame) -> str:
    """``NHS England, A&E Attendances and Emergency Admissions: March-2026.csv`` for a figure's source ids.

    A third-party compilation (``derived``) says so when its publisher and publication do not.
    """
    by_id = sources.set_index("id")
    parts = []
    for i in sorted(set(source_ids)):
        if i in by_id.index:
            row = by_id.loc[i]
            text = f"{row['publisher']}, {row['publication']}"
            if flag_set(row.get("derived", False)) and "third party" not in text.lower():
                text += f" ({DERIVED_WORDS})"
            parts.append(f"{text}: {row['file_name']}")
    return "; ".join(dict.fromkeys(parts))
