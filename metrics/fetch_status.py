"""Where each fetched publication stands: last checked, newest period held, next release, what arrived.

Pure functions over the catalogue and frames the store returns (``read_fetch_log``,
``latest_periods``); the Data page shows the result.
"""

from __future__ import annotations

import calendar
import datetime as dt

import pandas as pd

from metrics.catalogue import Catalogue, ReleaseSchedule
from metrics.periods import period_label

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
STATUS_COLUMNS = [
    "publication_id",
    "publication",
    "last_checked",
    "last_check_ok",
    "newest_period",
    "newest_period_label",
    "next_release",
    "schedule",
    "arrived_since_meeting",
]


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


def publication_status(
    catalogue: Catalogue,
    fetch_log: pd.DataFrame,
    latest: pd.DataFrame,
    meeting: dt.date,
    today: dt.date,
) -> pd.DataFrame:
    """One row per publication in the catalogue's ``publications``.

    Parameters
    ----------
    catalogue : Catalogue
    fetch_log : DataFrame
        ``store.read_fetch_log``.
    latest : DataFrame
        ``store.latest_periods`` (per metric, the latest period stored).
    meeting : date
        The last meeting; files that arrived on or after it are listed.
    today : date
        The next expected release is the first usual release day from today.

    Returns
    -------
    DataFrame
        Columns ``STATUS_COLUMNS``. ``last_checked`` is missing when never checked;
        ``arrived_since_meeting`` lists file names with what they were (new or revised) and the
        publication date the page gave.
    """
    rows = []
    for pub in catalogue.publications:
        log = fetch_log[fetch_log["publication_id"] == pub.id]
        pages = log[log["kind"] == "page"]
        last_checked = pages["checked_at"].max() if len(pages) else pd.NaT
        last_ok = bool(pages.loc[pages["checked_at"] == last_checked, "status"].eq("ok").all()) if len(pages) else None
        files = log[log["kind"] == "file"]
        if len(files):
            files = files[files["status"].isin(["new", "revised"]) & (files["arrived_at"] >= pd.Timestamp(meeting))]
        arrived = [
            f"{r.file_name} ({r.status}"
            + (f", published {r.published.day} {r.published:%B %Y}" if pd.notna(r.published) else "")
            + ")"
            for r in files.sort_values("arrived_at").itertuples()
        ]
        metrics = {m.id: m for m in catalogue.metrics if m.source == pub.source}
        held = latest[latest["metric_id"].isin(metrics)]
        newest, label = pd.NaT, ""
        if len(held):
            top = held.loc[held["latest_period"].idxmax()]
            newest = top["latest_period"]
            label = period_label(newest.date(), metrics[top["metric_id"]].frequency)
        rows.append(
            {
                "publication_id": pub.id,
                "publication": pub.name,
                "last_checked": last_checked,
                "last_check_ok": last_ok,
                "newest_period": newest,
                "newest_period_label": label,
                "next_release": next_release(pub.schedule, today),
                "schedule": pub.schedule.description,
                "arrived_since_meeting": "; ".join(arrived),
            }
        )
    return pd.DataFrame(rows, columns=STATUS_COLUMNS)
