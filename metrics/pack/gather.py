"""What goes in a meeting pack, gathered from the read layer (``metrics.query.indicator``).

One :class:`Pack` holds, for an area, a meeting date and some topics: the brief's rows (the same
rows as the Meeting brief page), each indicator with its figures table (``metrics.tables``), and
the sources behind every figure. The HTML, the workbook and the PDF are all drawn from it, so the
pack says what the pages and ``python -m loaders export`` say.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from metrics import brief as brief_module
from metrics import query
from metrics import questions as questions_module
from metrics import summary as summary_module
from metrics.catalogue import TOPICS, Catalogue
from metrics.reader import Reader
from metrics.tables import figures_table

#: Source columns listed in the pack's appendix and sources sheet.
SOURCE_COLUMNS = ["id", "publisher", "publication", "licence", "url", "periods", "period_from", "period_to",
                  "published", "file_name", "is_demo"]  # fmt: skip


class PackError(ValueError):
    """A pack was asked for something the catalogue does not have (the message says what is known)."""


@dataclass(frozen=True)
class PackItem:
    """One indicator in the pack: what the read layer says, its brief row and its figures."""

    indicator: query.Indicator
    row: dict  # metrics.brief.BRIEF_COLUMNS
    figures: pd.DataFrame  # metrics.tables.figures_table
    demo: bool  # any figure comes from a demonstration source
    source_line: str  # "Source: NHS England, A&E Attendances ..., March 2026" (metrics.summary)

    @property
    def discontinued(self) -> bool:
        """From a collection that has ended (``metrics.currency``): one row of the pack's annex, no chart."""
        return self.indicator.currency.discontinued


@dataclass(frozen=True)
class PackTopic:
    id: str
    name: str
    items: tuple[PackItem, ...]

    @property
    def charted(self) -> list[PackItem]:
        """The items drawn in the topic's section: all but the discontinued series (in the annex)."""
        return [item for item in self.items if not item.discontinued]


@dataclass(frozen=True)
class Pack:
    """Everything a meeting pack shows (see the module docstring)."""

    area_id: str
    area_name: str
    meeting_date: dt.date
    today: dt.date
    generated_at: dt.datetime
    topics: tuple[PackTopic, ...]
    brief: pd.DataFrame  # area_id + BRIEF_COLUMNS, the pack's indicators in catalogue order
    sources: pd.DataFrame  # SOURCE_COLUMNS, the files behind the pack's figures
    catalogue: Catalogue
    summary: summary_module.MeetingSummary  # the brief's opening summary
    sections: tuple[summary_module.Section, ...]  # the brief's cards in the order that matters
    questions: tuple[questions_module.Question, ...] = ()  # suggested questions, in the chair's order
    actions: pd.DataFrame | None = None  # the committee's open actions due or overdue (metrics.actions)

    @property
    def items(self) -> list[PackItem]:
        return [item for topic in self.topics for item in topic.items]

    @property
    def discontinued(self) -> list[PackItem]:
        """The series of ended collections, in catalogue order: the annex's rows."""
        return [item for item in self.items if item.discontinued]

    @property
    def demo(self) -> bool:
        return any(item.demo for item in self.items)

    @property
    def demo_source_ids(self) -> set[int]:
        return set(self.sources.loc[self.sources["is_demo"].astype(bool), "id"].astype(int))

    @property
    def file_stem(self) -> str:
        """``meeting-pack-llr-2026-09-15``: the name shared by the HTML, PDF and XLSX files."""
        return f"meeting-pack-{self.area_id}-{self.meeting_date:%Y-%m-%d}"


def pack_topics(catalogue: Catalogue, topics: Sequence[str] | None) -> list[str]:
    """The topics asked for, in catalogue order; every topic but population when none are named.

    Raises
    ------
    PackError
        For a topic the catalogue does not know, naming the topics it does.
    """
    known = [t for t in dict.fromkeys(m.topic for m in catalogue.metrics) if t != "population"]
    if not topics:
        return known
    unknown = [t for t in topics if t not in known]
    if unknown:
        raise PackError(f"unknown topic '{unknown[0]}': choose from {', '.join(known)}")
    return [t for t in known if t in set(topics)]


def build_pack(
    obs: pd.DataFrame,
    catalogue: Catalogue,
    sources: pd.DataFrame,
    area_id: str,
    meeting_date: dt.date,
    topics: Sequence[str] | None = None,
    today: dt.date | None = None,
    generated_at: dt.datetime | None = None,
    reported: pd.DataFrame | None = None,
    actions: pd.DataFrame | None = None,
    main_ranks: dict[str, dict] | None = None,
) -> Pack:
    """Gather a meeting pack.

    Parameters
    ----------
    obs : DataFrame
        Observations (``store.read_observations`` with derived rates) for the area's organisations.
    catalogue : Catalogue
    sources : DataFrame
        ``store.read_sources``: publisher, publication, licence and file of every loaded file.
    area_id : str
        e.g. ``"llr"``.
    meeting_date : date
        The last meeting: the pack says what changed since then ("change since the meeting").
    topics : sequence of str, optional
        Catalogue topic ids (``urgent_care``, ``beds`` ...); every topic but population by default.
    today, generated_at : optional
        For data currency and the cover's "generated" line; default to now.
    reported : DataFrame, optional
        ``Reader.reconciliation()``: figures reported to committee (a large gap raises a question).
    actions : DataFrame, optional
        The committee's open actions due before the next meeting or overdue (``metrics.actions.due``).
    main_ranks : dict, optional
        Per metric, the rank of the main provider of a blend (``Reader.main_provider_ranks``), as
        on the Meeting brief page.

    Returns
    -------
    Pack
    """
    if area_id not in catalogue.area_by_id:
        raise PackError(f"unknown area '{area_id}': choose from {', '.join(a.id for a in catalogue.areas)}")
    today = today or dt.date.today()
    generated_at = (generated_at or dt.datetime.now()).replace(microsecond=0)
    chosen = pack_topics(catalogue, topics)
    demo_ids = set(sources.loc[sources["is_demo"].astype(bool), "id"].astype(int)) if len(sources) else set()
    by_metric = dict(tuple(obs.groupby("metric_id", sort=False))) if len(obs) else {}
    built: list[PackTopic] = []
    rows: list[dict] = []
    used: set[int] = set()
    for topic in chosen:
        items = []
        for metric in (m for m in catalogue.metrics if m.topic == topic):
            part = by_metric.get(metric.id)
            if part is None:
                continue
            ind = query.indicator(part, catalogue, metric.id, area_id, today)
            if ind.empty:
                continue
            row = brief_module.brief_row(
                ind, meeting_date, today, catalogue.settings.sparkline_points, (main_ranks or {}).get(metric.id)
            )
            rows.append(row)
            used.update(ind.source_ids)
            src = catalogue.sources[metric.source]
            line = summary_module.source_line(
                row["source_ids"], sources, src.publisher, src.publication, row["latest_label"]
            )
            items.append(PackItem(ind, row, figures_table(ind), bool(demo_ids & set(ind.source_ids)), line))
        built.append(PackTopic(topic, TOPICS.get(topic, topic), tuple(items)))
    brief = brief_module.brief_frame(rows, area_id)
    used_sources = _used_sources(sources, used)
    meeting = pd.Timestamp(meeting_date).date()
    return Pack(
        area_id,
        catalogue.area_by_id[area_id].name,
        meeting,
        today,
        generated_at,
        tuple(built),
        brief,
        used_sources,
        catalogue,
        summary_module.meeting_summary(brief, catalogue, meeting),
        tuple(summary_module.card_sections(brief)),
        tuple(
            questions_module.for_the_chair(
                questions_module.area_questions((item.indicator for t in built for item in t.items), catalogue,
                                                meeting, reported)  # fmt: skip
            )
        ),
        actions,
    )


def _used_sources(sources: pd.DataFrame, ids: set[int]) -> pd.DataFrame:
    """The sources behind the figures, by publisher, publication and file name (a stable order)."""
    if not len(sources):
        return pd.DataFrame(columns=SOURCE_COLUMNS)
    frame = sources[sources["id"].astype(int).isin(ids)].copy()
    for col in SOURCE_COLUMNS:
        if col not in frame:
            frame[col] = np.nan
    frame = frame[SOURCE_COLUMNS]
    return frame.sort_values(["publisher", "publication", "file_name", "id"], kind="stable").reset_index(drop=True)


def read_pack(
    engine: Engine,
    catalogue: Catalogue,
    area_id: str,
    meeting_date: dt.date,
    topics: Sequence[str] | None = None,
    today: dt.date | None = None,
    generated_at: dt.datetime | None = None,
) -> Pack:
    """:func:`build_pack` on a store, through the read layer's :class:`metrics.reader.Reader`.

    Reads the same rows as the Meeting brief page (the area's organisations, filtered in SQL), so
    the page's download and ``python -m loaders pack`` build the same pack.
    """
    if area_id not in catalogue.area_by_id:
        raise PackError(f"unknown area '{area_id}': choose from {', '.join(a.id for a in catalogue.areas)}")
    from metrics import actions as actions_module  # the actions log reads the store too

    reader = Reader(engine, catalogue)
    today = today or dt.date.today()
    due = actions_module.due(actions_module.current_actions(engine), catalogue, area_id, today)
    return build_pack(reader.area_rows(area_id), catalogue, reader.sources(), area_id, meeting_date, topics, today,
                      generated_at, reader.reconciliation(), due, reader.main_provider_ranks(area_id))  # fmt: skip
