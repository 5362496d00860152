"""The Data page says, per fetched publication, when it was checked, what is held, what is next and new."""

from __future__ import annotations

import datetime as dt

from loaders.ingest import ingest_file
from metrics import store
from metrics.currency import next_release
from tests.app.conftest import app_runner
from tests.fixtures.make_ae_kh03 import write_ae_csv


def test_data_page_shows_each_publication_and_what_arrived_since_the_meeting(monkeypatch, tmp_path, catalogue):
    url = f"sqlite:///{tmp_path / 'fetched.sqlite'}"
    engine = store.make_engine(url)
    store.init_db(engine, catalogue)
    path = write_ae_csv(tmp_path, "Monthly-AE-February-2026-q7Hd2.csv", period="MSitAE-FEBRUARY-2026")
    assert ingest_file(path, engine, catalogue).status == "loaded"
    checked = dt.datetime(2026, 3, 12, 9, 45)
    base = {"publication_id": "ae_monthly", "checked_at": checked}
    store.record_fetch(
        engine,
        [
            {**base, "kind": "page", "url": "https://www.england.nhs.uk/ae/", "status": "ok"},
            {**base, "kind": "file", "url": "https://www.england.nhs.uk/x/Monthly-AE-January-2026.csv",
             "file_name": "Monthly-AE-January-2026.csv", "status": "new", "published": dt.date(2026, 2, 12),
             "arrived_at": dt.datetime(2026, 2, 12, 9, 45)},
            {**base, "kind": "file", "url": "https://www.england.nhs.uk/x/Monthly-AE-February-2026-q7Hd2.csv",
             "file_name": "Monthly-AE-February-2026-q7Hd2.csv", "status": "new", "published": dt.date(2026, 3, 12),
             "arrived_at": checked},
            {"publication_id": "kh03_overnight", "checked_at": checked, "kind": "page",
             "url": "https://www.england.nhs.uk/kh03/", "status": "error"},
        ],
    )  # fmt: skip
    engine.dispose()

    at = app_runner(monkeypatch, url)("pages/data.py", meeting="2026-03-01")

    assert "New publications" in [h.value for h in at.header]
    table = next(d.value for d in at.dataframe if "Next expected release" in d.value.columns).set_index("Publication")
    assert list(table.index) == [p.name for p in catalogue.publications]
    ae = table.loc["A&E Attendances and Emergency Admissions (monthly provider CSV)"]
    assert ae["Last checked"] == "12 Mar 2026 09:45 UTC"
    assert ae["Newest period held"] == "February 2026"
    assert ae["Arrived since last meeting"] == (
        "Monthly-AE-February-2026-q7Hd2.csv (new, published 12 March 2026)"
    )  # January arrived before the meeting on 1 March
    release = next_release(catalogue.publication_by_id["ae_monthly"].schedule, dt.date.today())
    assert ae["Next expected release"] == (
        f"{release.day} {release:%B %Y} (monthly, with NHS England's performance statistics on the second Thursday)"
    )
    kh03 = table.loc["KH03 bed availability and occupancy, overnight (quarterly)"]
    assert kh03["Last checked"] == "12 Mar 2026 09:45 UTC (failed: the fetch log on the server says why)"
    assert kh03["Newest period held"] == "None loaded"
    assert kh03["Arrived since last meeting"] == "Nothing"
    ascof = table.loc["ASCOF open-data file (annual)"]
    assert ascof["Last checked"] == "Never"
