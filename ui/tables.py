"""Tables for display: rename and format store frames for readers (no arithmetic on figures)."""

from __future__ import annotations

import pandas as pd

from loaders.ingest import PreparedFile
from metrics.catalogue import Catalogue
from metrics.currency import series_currency
from metrics.periods import period_label


def sources_table(sources: pd.DataFrame) -> pd.DataFrame:
    if sources.empty:
        return pd.DataFrame(
            columns=["File", "Publisher", "Publication", "Published", "Licence", "Periods", "Rows", "Loaded", "Kind"]
        )
    return pd.DataFrame(
        {
            "File": sources["file_name"],
            "Publisher": sources["publisher"],
            "Publication": sources["publication"],
            # when the file states it or it was given on loading; it decides between revisions
            "Published": sources["published"].dt.strftime("%d %b %Y").fillna(""),
            "Licence": sources["licence"],
            "Periods": sources["periods"],
            "Rows": sources["rows"],
            "Loaded": sources["loaded_at"].dt.strftime("%d %b %Y %H:%M"),
            "Kind": [
                "Demonstration data" if d else ("Derived (third-party compilation)" if v else "Published")
                for d, v in zip(sources["is_demo"].astype(bool), sources["derived"].astype(bool), strict=True)
            ],
        }
    )


def coverage_table(latest: pd.DataFrame, cat: Catalogue, today=None) -> pd.DataFrame:
    """First and latest period per indicator, from ``store.latest_periods`` (aggregated in SQL),
    with the currency of the newest period held anywhere (``metrics.currency``)."""
    rows = []
    for r in latest.itertuples():
        m = cat.metric_by_id.get(r.metric_id)
        if m is None:
            continue
        rows.append(
            {
                "Indicator": m.name,
                "Topic": m.topic_name,
                "From": period_label(r.first_period.date(), m.frequency),
                "To": period_label(r.latest_period.date(), m.frequency),
                "Organisations": int(r.organisations),
                "Currency": series_currency(cat, m.id, r.latest_period, today).text,
            }
        )
    return pd.DataFrame(rows, columns=["Indicator", "Topic", "From", "To", "Organisations", "Currency"])


def validation_table(prepared: PreparedFile) -> pd.DataFrame:
    o = prepared.outcome
    rows = [
        ("File", o.path.name),
        ("Recognised as", f"{o.loader} {('(' + o.layout + ')') if o.layout else ''}".strip() or "not recognised"),
        (
            "Result",
            {
                "valid": "Valid: ready to load",
                "unchanged": "Already loaded",
                "error": "Rejected",
                "unrecognised": "Not recognised",
            }.get(o.status, o.status),
        ),
        ("Rows", str(o.rows)),
        ("Periods", f"{o.periods[0]:%d %b %Y} to {o.periods[1]:%d %b %Y}" if o.periods else ""),
    ]
    rows += [("Warning", w) for w in o.warnings]
    if o.error:
        rows.append(("Problem", o.error))
    return pd.DataFrame(rows, columns=["Check", "Result"])


def fetch_status_table(status: pd.DataFrame) -> pd.DataFrame:
    """``metrics.fetch_status.publication_status`` in words for the Data page."""
    columns = [
        "Publication",
        "Last checked",
        "Newest period held",
        "Next expected release",
        "Currency",
        "Arrived since last meeting",
    ]
    rows = []
    for r in status.itertuples():
        if pd.isna(r.last_checked):
            checked = "Never"
        else:
            checked = f"{r.last_checked:%d %b %Y %H:%M} UTC" + (
                "" if r.last_check_ok else " (failed: the fetch log on the server says why)"
            )
        rows.append(
            {
                "Publication": r.publication,
                "Last checked": checked,
                "Newest period held": r.newest_period_label or "None loaded",
                "Next expected release": (
                    f"{r.next_release.day} {r.next_release:%B %Y} ({r.schedule})"
                    if r.next_release is not None
                    else f"None: the collection {r.schedule}"
                ),
                "Currency": f"{r.currency.badge}: {r.currency.text}",
                "Arrived since last meeting": r.arrived_since_meeting or "Nothing",
            }
        )
    return pd.DataFrame(rows, columns=columns)
