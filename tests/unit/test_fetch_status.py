"""Release schedules and the per-publication status the Data page shows."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from metrics import store
from metrics.catalogue import ReleaseSchedule
from metrics.currency import next_release, nth_weekday
from metrics.fetch_status import publication_status

MONTHLY = ReleaseSchedule(weekday="thursday", nth=2, months=tuple(range(1, 13)), description="monthly")
QUARTERLY = ReleaseSchedule(weekday="thursday", nth=3, months=(2, 5, 8, 11), description="quarterly")


def test_the_second_thursday_is_found_in_any_month():
    # NHS England's performance statistics: 12 March 2026, 9 April 2026, 10 August 2017 (A&E page).
    assert nth_weekday(2026, 3, "thursday", 2) == dt.date(2026, 3, 12)
    assert nth_weekday(2026, 4, "thursday", 2) == dt.date(2026, 4, 9)
    assert nth_weekday(2017, 8, "thursday", 2) == dt.date(2017, 8, 10)


@pytest.mark.parametrize(
    ("schedule", "today", "expected"),
    [
        (MONTHLY, dt.date(2026, 3, 1), dt.date(2026, 3, 12)),
        (MONTHLY, dt.date(2026, 3, 12), dt.date(2026, 3, 12)),  # release day itself
        (MONTHLY, dt.date(2026, 3, 13), dt.date(2026, 4, 9)),
        (MONTHLY, dt.date(2026, 12, 20), dt.date(2027, 1, 14)),  # across the year end
        (QUARTERLY, dt.date(2026, 5, 22), dt.date(2026, 8, 20)),
        (QUARTERLY, dt.date(2026, 11, 20), dt.date(2027, 2, 18)),
    ],
)
def test_next_release_is_the_first_usual_release_day_from_today(schedule, today, expected):
    assert next_release(schedule, today) == expected


def test_status_before_anything_was_fetched(catalogue, sqlite_engine):
    status = publication_status(
        catalogue, store.read_fetch_log(sqlite_engine), store.latest_periods(sqlite_engine),
        dt.date(2026, 3, 1), dt.date(2026, 3, 1),
    )  # fmt: skip
    assert status["publication_id"].tolist() == [p.id for p in catalogue.publications]
    assert status["last_checked"].isna().all()
    assert (status["arrived_since_meeting"] == "").all()
    assert (status["newest_period_label"] == "").all()
    by_id = status.set_index("publication_id")
    assert by_id.loc["ae_monthly", "next_release"] == dt.date(2026, 3, 12)
    assert by_id.loc["dtoc", "next_release"] is None
    assert by_id.loc["dtoc", "schedule"] == "stopped in February 2020"
    assert by_id.loc["ae_monthly", "currency"].state == "no_data"


def test_fetch_log_round_trip_updates_one_row_per_address(engine):
    first = dt.datetime(2026, 3, 12, 9, 30)
    row = {"publication_id": "ae_monthly", "kind": "file", "url": "https://x/a.csv", "file_name": "a.csv",
           "status": "new", "checked_at": first, "sha256": "a" * 64, "etag": '"1"', "published": dt.date(2026, 3, 12),
           "arrived_at": first}  # fmt: skip
    store.record_fetch(engine, [row])
    later = dt.datetime(2026, 4, 9, 9, 30)
    store.record_fetch(engine, [{**{k: row[k] for k in ("publication_id", "kind", "url")}, "status": "unchanged",
                                 "checked_at": later}])  # fmt: skip

    log = store.read_fetch_log(engine)

    assert len(log) == 1
    kept = log.iloc[0]
    assert (kept["status"], kept["checked_at"], kept["sha256"], kept["etag"]) == ("unchanged", pd.Timestamp(later),
                                                                                  "a" * 64, '"1"')  # fmt: skip
    assert kept["published"] == pd.Timestamp(2026, 3, 12)
    assert store.fetch_log_version(engine) != "never"
