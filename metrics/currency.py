"""Data currency: one verdict per series, judged from the catalogue's ``publications:`` alone.

Every page, the brief and its summary, the pack, the Targets page and the Data page say how
current a figure is with :func:`series_currency` and word it with :func:`currency_words`, so a
collection cannot be "current" on one page and "no longer published" on another. The states:

- ``current``: the next figure is not yet due (or is due within ``OVERDUE_GRACE_DAYS``);
- ``overdue``: the publisher still releases the collection and the next figure was due, but no
  newer file is held here ("not held": load or fetch the newer files). Never "discontinued":
  telling a committee that a collection ended when we simply lack its newer files would be wrong;
- ``discontinued``: the catalogue records that the collection ended (``discontinued:`` with its
  last period and successor), e.g. delayed transfers of care after February 2020;
- ``unscheduled``: figures with no published release calendar (reported to committee, local
  returns, demonstration data): shown as supplied, never called current or overdue;
- ``no_data``: nothing held.

A period's figures are due on the first release day of the publication's ``schedule`` at least
``release_lag_days`` after the period ends (A&E: the second Thursday of the next month).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

import pandas as pd

from metrics.catalogue import Catalogue, ReleaseSchedule
from metrics.periods import period_end, period_label

#: Days after the due date before a missing figure is called overdue (releases slip by days).
OVERDUE_GRACE_DAYS = 14
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
STATES = ("current", "overdue", "discontinued", "unscheduled", "no_data")

#: The short words shown beside a latest figure (a badge or a table cell).
BADGES = {
    "current": "Current",
    "overdue": "Newer figures not held",
    "discontinued": "Discontinued collection",
    "unscheduled": "No release calendar",
    "no_data": "No figures",
}


# ---------------------------------------------------------------------------- the calendar
def nth_weekday(year: int, month: int, weekday: str, nth: int) -> dt.date:
    """The ``nth`` ``weekday`` of a month (e.g. the second Thursday of March 2026 is 12 March)."""
    first = dt.date(year, month, 1)
    offset = (WEEKDAYS.index(weekday) - first.weekday()) % 7
    day = 1 + offset + 7 * (nth - 1)
    if day > calendar.monthrange(year, month)[1]:
        raise ValueError(f"{year}-{month:02d} has no {nth}th {weekday}")
    return dt.date(year, month, day)


def next_release(schedule: ReleaseSchedule, on_or_after: dt.date) -> dt.date:
    """The first usual release day on or after ``on_or_after``."""
    for step in range(25):
        index = on_or_after.month - 1 + step
        year, month = on_or_after.year + index // 12, index % 12 + 1
        if month in schedule.months:
            day = nth_weekday(year, month, schedule.weekday, schedule.nth)
            if day >= on_or_after:
                return day
    raise ValueError("the schedule names no month")  # unreachable: the catalogue requires one


def _next_start(start: dt.date, period_type: str) -> dt.date:
    return period_end(start, period_type) + dt.timedelta(days=1)


# ---------------------------------------------------------------------------- the verdict
@dataclass(frozen=True)
class Currency:
    """How current one series is (see the module docstring)."""

    state: str
    latest_period: pd.Timestamp | None = None
    latest_label: str = ""
    latest_end: dt.date | None = None
    published_about: dt.date | None = None
    next_period_label: str = ""
    next_expected: dt.date | None = None
    publisher: str = ""
    publication: str = ""
    stopped_label: str = ""
    successor: str = ""

    @property
    def badge(self) -> str:
        """Short words for beside the latest figure."""
        return BADGES[self.state]

    @property
    def text(self) -> str:
        """One sentence for the page (:func:`currency_words`)."""
        return currency_words(self)

    @property
    def current(self) -> bool:
        return self.state == "current"

    @property
    def discontinued(self) -> bool:
        return self.state == "discontinued"

    @property
    def overdue(self) -> bool:
        return self.state == "overdue"


def series_currency(
    catalogue: Catalogue, metric_id: str, latest_start, today: dt.date | None = None
) -> Currency:
    """The currency of a series of ``metric_id`` whose latest figure starts on ``latest_start``.

    Parameters
    ----------
    catalogue : Catalogue
        Its ``publications`` give the calendar (``Catalogue.publication_for``).
    metric_id : str
    latest_start : date-like or None
        First day of the latest period held (None or NaT: nothing held).
    today : date, optional
        Defaults to today's date.

    Returns
    -------
    Currency
    """
    today = today or dt.date.today()
    metric = catalogue.metric(metric_id)
    pub = catalogue.publication_for(metric_id)
    source = catalogue.sources[pub.source if pub is not None else metric.source]
    names = {"publisher": source.publisher, "publication": pub.name if pub is not None else source.publication}
    if latest_start is None or pd.isna(latest_start):
        return Currency("no_data", **names)
    start = pd.Timestamp(latest_start).date()
    end = period_end(start, metric.frequency)
    held = {
        "latest_period": pd.Timestamp(start),
        "latest_label": period_label(start, metric.frequency),
        "latest_end": end,
        **names,
    }
    if pub is None:
        return Currency("unscheduled", **held)
    if pub.discontinued is not None:
        last = pub.discontinued.last_period
        return Currency(
            "discontinued",
            **held,
            stopped_label=period_label(last, "month"),
            successor=pub.discontinued.successor,
        )
    lag = dt.timedelta(days=pub.release_lag_days)
    nxt = _next_start(start, metric.frequency)
    due = next_release(pub.schedule, period_end(nxt, metric.frequency) + dt.timedelta(days=1) + lag)
    state = "overdue" if today > due + dt.timedelta(days=OVERDUE_GRACE_DAYS) else "current"
    return Currency(
        state,
        **held,
        published_about=next_release(pub.schedule, end + dt.timedelta(days=1) + lag),
        next_period_label=period_label(nxt, metric.frequency),
        next_expected=due,
    )


def day_text(day: dt.date | None) -> str:
    """``14 May 2026`` (empty for no date)."""
    if day is None or pd.isna(day):
        return ""
    day = pd.Timestamp(day)
    return f"{day.day} {day:%B %Y}"


def currency_words(c: Currency) -> str:
    """The one sentence every page, the brief and the pack use for a series' currency."""
    if c.state == "no_data":
        return "No figures held."
    if c.state == "unscheduled":
        return (
            f"Latest figure: {c.latest_label}, as supplied by {c.publisher}; these figures have no "
            "published release calendar."
        )
    if c.state == "discontinued":
        successor = f"; its successor is {c.successor}" if c.successor else ""
        return (
            f"This collection stopped in {c.stopped_label}{successor}. "
            f"The latest figure held is for {c.latest_label}."
        )
    if c.state == "overdue":
        return (
            f"No figures held after {c.latest_label}; {c.publisher} still publishes this collection; "
            f"the {c.next_period_label} figure was due about {day_text(c.next_expected)} "
            "— load or fetch the newer files."
        )
    return (
        f"Latest figure: {c.latest_label} (published about {day_text(c.published_about)}). "
        f"Next expected about {day_text(c.next_expected)} ({c.next_period_label})."
    )


def periods_not_held(catalogue: Catalogue, metric_id: str, latest_start, today: dt.date | None = None) -> list[str]:
    """The periods after the latest one held whose figures were due (by the same calendar and grace
    as :func:`series_currency`) on or before ``today`` but are not held: ``["April 2026", ...]``.

    Empty unless the series is ``overdue``: a discontinued or unscheduled series owes nothing.
    """
    today = today or dt.date.today()
    if series_currency(catalogue, metric_id, latest_start, today).state != "overdue":
        return []
    metric = catalogue.metric(metric_id)
    pub = catalogue.publication_for(metric_id)
    lag = dt.timedelta(days=pub.release_lag_days)
    out: list[str] = []
    nxt = _next_start(pd.Timestamp(latest_start).date(), metric.frequency)
    while len(out) < 240:  # twenty years of months: a guard, never reached by a real series
        due = next_release(pub.schedule, period_end(nxt, metric.frequency) + dt.timedelta(days=1) + lag)
        if today <= due + dt.timedelta(days=OVERDUE_GRACE_DAYS):
            break
        out.append(period_label(nxt, metric.frequency))
        nxt = _next_start(nxt, metric.frequency)
    return out
