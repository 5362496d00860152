"""Where each fetched publication stands: last checked, newest period held, next release, what arrived.

Pure functions over the catalogue and frames the store returns (``read_fetch_log``,
``latest_periods``); the Data page shows the result.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from metrics.catalogue import Catalogue, Publication
from metrics.currency import next_release, series_currency
from metrics.periods import period_label

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
    "currency",
]


def publication_status(
    catalogue: Catalogue,
    fetch_log: pd.DataFrame,
    latest: pd.DataFrame,
    meeting: dt.date,
    today: dt.date,
) -> pd.DataFrame:
    """One row per publication in the catalogue's ``publications``.

    The release days and the ``currency`` sentence (of the newest period held) come from the one
    currency verdict every page uses (``metrics.currency``); a discontinued collection has no
    next release.

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
        metrics = {m.id: m for m in catalogue.metrics if catalogue.publication_for(m.id) is pub}
        held = latest[latest["metric_id"].isin(metrics)]
        newest, label, verdict = pd.NaT, "", series_currency(catalogue, next(iter(metrics)), None, today)
        if len(held):
            top = held.loc[held["latest_period"].idxmax()]
            newest = top["latest_period"]
            label = period_label(newest.date(), metrics[top["metric_id"]].frequency)
            verdict = series_currency(catalogue, top["metric_id"], newest, today)
        running = isinstance(pub, Publication)
        rows.append(
            {
                "publication_id": pub.id,
                "publication": pub.name,
                "last_checked": last_checked,
                "last_check_ok": last_ok,
                "newest_period": newest,
                "newest_period_label": label,
                "next_release": next_release(pub.schedule, today) if running else None,
                "schedule": (
                    pub.schedule.description
                    if running
                    else f"stopped in {period_label(pub.discontinued.last_period, 'month')}"
                ),
                "arrived_since_meeting": "; ".join(arrived),
                "currency": verdict,
            }
        )
    return pd.DataFrame(rows, columns=STATUS_COLUMNS)
