"""What a committee needs first: the meeting brief summarised, and its cards in the order that matters.

From the brief frame (``metrics.brief.meeting_brief``, itself built on the read layer) this module
says, for the chosen area and meeting date:

- how many indicators have new figures since the meeting;
- which moved significantly: a point after the meeting that the read layer flagged as special
  cause (NHS England "Making Data Count"), split into better (improvement), worse (concern) and
  unusual (neither better nor worse);
- targets met and missed among the current indicators with a target in force at their latest figure;
- what is not held: a collection still published whose next figure was due but no newer file is
  loaded here (``metrics.currency``: "overdue — not held");
- what is discontinued: a collection that ended (the catalogue's ``discontinued:``, e.g. delayed
  transfers of care after February 2020), listed collapsed at the end.

Currency is the read layer's one verdict (``metrics.currency``), never re-derived here.

It also orders the cards (:func:`card_sections`) and words the one-line source of each card
(:func:`source_line`). Pure: frames in, frozen results and strings out; no SPC is recomputed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from metrics.catalogue import Catalogue
from metrics.currency import day_text


@dataclass(frozen=True)
class Named:
    """One indicator named in the summary, with the words said about it."""

    metric_id: str
    name: str
    words: str


@dataclass(frozen=True)
class Section:
    """A group of brief cards, in the order the page shows them."""

    key: str  # "concern" | "improvement" | "changed" | "unchanged" | "not_held" | "discontinued"
    title: str
    metric_ids: tuple[str, ...]
    collapsed: bool = False


@dataclass(frozen=True)
class MeetingSummary:
    """The brief at a glance (see the module docstring); every list is in catalogue order."""

    meeting: dt.date
    n_indicators: int
    new_since_meeting: tuple[Named, ...]
    special_cause_worse: tuple[Named, ...]
    special_cause_better: tuple[Named, ...]
    special_cause_neither: tuple[Named, ...]
    with_target: int
    targets_met: tuple[Named, ...]
    targets_missed: tuple[Named, ...]
    not_held: tuple[Named, ...]
    discontinued: tuple[Named, ...]


SECTION_TITLES = {
    "concern": "Concerns since the meeting",
    "improvement": "Improvements since the meeting",
    "changed": "Other new figures since the meeting",
    "unchanged": "No new figures since the meeting",
    "not_held": "Newer figures published but not held here",
    "discontinued": "Discontinued collections",
}


# ---------------------------------------------------------------------------- classification
def card_sections(brief: pd.DataFrame) -> list[Section]:
    """The brief's cards in the order that matters, empty sections left out.

    Changed since the meeting first (special cause concern, then improvement, then the other new
    figures: ordinary variation, or special cause that is neither better nor worse), then the
    indicators with no new figures since the meeting, then those whose newer figures are
    published but not held here, then, collapsed, the discontinued collections. Within a section
    the catalogue order (the brief's order) is kept.
    """
    buckets: dict[str, list[str]] = {key: [] for key in SECTION_TITLES}
    for row in brief.itertuples():
        if row.currency_state == "discontinued":
            key = "discontinued"
        elif not row.new_since_meeting:
            key = "not_held" if row.currency_state == "overdue" else "unchanged"
        elif row.special_since_meeting in ("concern", "improvement"):
            key = row.special_since_meeting
        else:
            key = "changed"
        buckets[key].append(row.metric_id)
    return [
        Section(key, SECTION_TITLES[key], tuple(ids), collapsed=key == "discontinued")
        for key, ids in buckets.items()
        if ids
    ]


def counted_for_targets(brief: pd.DataFrame) -> pd.Series:
    """The brief rows the summary's target counts cover (boolean, aligned with ``brief``).

    Indicators from published collections still released (current, or with newer figures not
    held here) with a target in force at their latest figure: not discontinued collections, and
    not figures quoted in committee papers, which have no release calendar and can be years old.
    The Targets page shows these by default, so its totals and the summary's agree.
    """
    published = brief["currency_state"].isin(["current", "overdue"])
    return published & brief["status"].isin(["met", "not_met"])


# ---------------------------------------------------------------------------- the summary
def meeting_summary(brief: pd.DataFrame, catalogue: Catalogue, meeting) -> MeetingSummary:
    """The brief at a glance for the meeting on ``meeting`` (see the module docstring).

    Parameters
    ----------
    brief : DataFrame
        ``metrics.brief.meeting_brief`` output for one area and this meeting date.
    catalogue : Catalogue
        The names of the indicators.
    meeting : date-like

    Returns
    -------
    MeetingSummary
    """
    gone = brief["currency_state"] == "discontinued"
    current = brief[~gone]
    new = current[current["new_since_meeting"].astype(bool)]

    def named(rows: pd.DataFrame, words) -> tuple[Named, ...]:
        return tuple(Named(r.metric_id, catalogue.metric(r.metric_id).name, words(r)) for r in rows.itertuples())

    def special(kind: str) -> pd.DataFrame:
        return new[new["special_since_meeting"] == kind]

    def signal_words(r) -> str:
        text = f"{r.value_text} in {r.latest_label}"
        if r.special_since_label != r.latest_label:
            text += f"; special cause in {r.special_since_label}"
        return text

    targeted = brief[counted_for_targets(brief)]
    not_held = current[current["currency_state"] == "overdue"]
    return MeetingSummary(
        meeting=pd.Timestamp(meeting).date(),
        n_indicators=len(brief),
        new_since_meeting=named(new, lambda r: f"{r.value_text} in {r.latest_label}"),
        special_cause_worse=named(special("concern"), signal_words),
        special_cause_better=named(special("improvement"), signal_words),
        special_cause_neither=named(special("neither"), signal_words),
        with_target=len(targeted),
        targets_met=named(targeted[targeted["status"] == "met"], lambda r: r.status_text),
        targets_missed=named(targeted[targeted["status"] == "not_met"], lambda r: r.status_text),
        not_held=named(
            not_held,
            lambda r: f"newest held {r.latest_label}; the {r.next_period_label} figure was due about "
            f"{day_text(r.next_expected)}",
        ),
        discontinued=named(brief[gone], lambda r: f"latest figure {r.latest_label}"),
    )


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def summary_sentences(
    summary: MeetingSummary, link=None, where_discontinued: str = "listed, collapsed, at the end of the brief"
) -> list[str]:
    """The summary in plain English with numbers, one sentence per line.

    Parameters
    ----------
    summary : MeetingSummary
    link : callable, optional
        ``link(named) -> str`` writes a name (e.g. as a Markdown link to its card); defaults to
        the plain name.
    where_discontinued : str, optional
        Where the discontinued collections are shown (the pack has them in an annex).

    Returns
    -------
    list of str
    """
    link = link or (lambda n: n.name)
    meeting = f"{summary.meeting.day} {summary.meeting:%B %Y}"

    def names(items) -> str:
        # Indicators said the same thing of are named together: "A, B and C (the April 2026 figure ...)".
        groups: dict[str, list[str]] = {}
        for n in items:
            groups.setdefault(n.words, []).append(link(n))
        return "; ".join(f"{_and(group)} ({words})" for words, group in groups.items())

    current = summary.n_indicators - len(summary.discontinued)
    new = len(summary.new_since_meeting)
    if not new:
        lines = [f"No indicator has a new figure since the meeting on {meeting}."]
    else:
        lines = [
            f"Since the meeting on {meeting}, {new} of {current} indicators "
            f"{'has' if new == 1 else 'have'} new figures."
        ]
    moved = len(summary.special_cause_worse) + len(summary.special_cause_better) + len(summary.special_cause_neither)
    if new and not moved:
        lines.append("None of the new figures moved significantly: each is within ordinary variation.")
    elif moved:
        lines.append(f"{_count(moved, 'indicator')} moved significantly (special cause variation since the meeting).")
        if summary.special_cause_worse:
            lines.append(f"Worse: {names(summary.special_cause_worse)}.")
        if summary.special_cause_better:
            lines.append(f"Better: {names(summary.special_cause_better)}.")
        if summary.special_cause_neither:
            lines.append(f"Unusual, neither better nor worse: {names(summary.special_cause_neither)}.")
    if summary.with_target:
        lines.append(
            f"Targets: {len(summary.targets_met)} met and {len(summary.targets_missed)} missed of "
            f"{_count(summary.with_target, 'published indicator')} with a target in force at its latest figure."
        )
        if summary.targets_met:
            lines.append(f"Met: {names(summary.targets_met)}.")
        if summary.targets_missed:
            lines.append(f"Missed: {names(summary.targets_missed)}.")
    else:
        lines.append("No published indicator has a target in force at its latest figure.")
    if summary.not_held:
        lines.append(
            f"Newer figures published but not held here ({len(summary.not_held)}): {names(summary.not_held)}. "
            "Load or fetch the newer files."
        )
    else:
        lines.append("Every indicator still published has its latest expected figure.")
    if summary.discontinued:
        lines.append(
            f"{_count(len(summary.discontinued), 'indicator')} from discontinued collections "
            f"({where_discontinued})."
        )
    return lines


# ---------------------------------------------------------------------------- the source line
#: What a figure from a third-party compilation of official statistics (a derived source) says
#: wherever its source is named, unless the source record already says it.
DERIVED_WORDS = "compiled by a third party, not an official publication"


def flag_set(value) -> bool:
    """A stored flag (bool, 0/1, or a snapshot's yes/no) as a bool; missing is False."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return False
    if isinstance(value, str):
        return value.strip().lower() in {"1", "yes", "true"}
    return bool(value)


def source_line(source_ids, sources: pd.DataFrame, fallback_publisher: str, fallback_publication: str,
                period: str) -> str:  # fmt: skip
    """The one-line source of a card: ``Source: NHS England, A&E Attendances and Emergency Admissions, March 2026``.

    Parameters
    ----------
    source_ids : iterable of int
        The stored source files behind the latest figure (the brief's ``source_ids``).
    sources : DataFrame
        ``store.read_sources``: ``id``, ``publisher``, ``publication`` (``is_demo`` optional).
    fallback_publisher, fallback_publication : str
        The catalogue's source for the metric, used when no stored source names one.
    period : str
        The latest figure's period, e.g. ``March 2026``.

    Returns
    -------
    str
        Several publications behind one figure are joined with "and"; demonstration data and
        third-party compilations (``derived``) say so.
    """
    ids = {int(i) for i in (source_ids or ()) if pd.notna(i)}
    used = sources[sources["id"].isin(ids)] if len(sources) and ids else sources.iloc[0:0]
    parts = []
    for r in used.sort_values("id").itertuples():
        text = ", ".join(str(x) for x in (r.publisher, r.publication) if x and pd.notna(x))
        if getattr(r, "is_demo", False) and "demonstration" not in text.lower():
            text += " (demonstration data)"
        if flag_set(getattr(r, "derived", False)) and "third party" not in text.lower():
            text += f" ({DERIVED_WORDS})"
        if text and text not in parts:
            parts.append(text)
    if not parts:
        parts = [", ".join(x for x in (fallback_publisher, fallback_publication) if x)]
    return f"Source: {' and '.join(parts)}, {period}" if period else f"Source: {' and '.join(parts)}"
