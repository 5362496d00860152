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
        described = source_descriptions(sources)
        out["Source"] = [source_text(ids, described) for ids in frame["source_ids"]]
    return out.reset_index(drop=True)


def source_descriptions(sources: pd.DataFrame) -> dict[int, str]:
    """``NHS England, A&E Attendances and Emergency Admissions: March-2026.csv`` for every stored
    source, by id: built once for a table rather than once a row (a long series has hundreds).

    A third-party compilation (``derived``) says so when its publisher and publication do not.
    """
    derived = sources["derived"] if "derived" in sources.columns else pd.Series(False, index=sources.index)
    out = {}
    for i, publisher, publication, file_name, is_derived in zip(
        sources["id"], sources["publisher"], sources["publication"], sources["file_name"], derived, strict=True
    ):
        text = f"{publisher}, {publication}"
        if flag_set(is_derived) and "third party" not in text.lower():
            text += f" ({DERIVED_WORDS})"
        out[int(i)] = f"{text}: {file_name}"
    return out


def source_text(source_ids, described: dict[int, str]) -> str:
    """The publications and files of a figure's ``source_ids`` (``source_descriptions``), each once."""
    return "; ".join(dict.fromkeys(described[int(i)] for i in sorted(set(source_ids)) if int(i) in described))
