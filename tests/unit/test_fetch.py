"""``python -m loaders fetch`` against saved pages and small files served on the loopback interface.

No test reaches the internet: a fixture starts an HTTP server on 127.0.0.1 and every landing page
is pointed at it (``--index-url`` / ``LLR_FETCH_INDEX_URL_<ID>``). Sleeps between retries are
recorded, not slept.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import inspect

from loaders.cli import main
from loaders.fetch import (
    USER_AGENT,
    FetchOptions,
    Link,
    fetch_publications,
    parse_page,
    period_of,
    publication_date,
    sniff_format,
)
from metrics import store
from tests.fixtures.make_ae_kh03 import ae_rows, write_ae_csv

PAGES = Path(__file__).resolve().parent.parent / "fixtures" / "fetch"
YEAR = "/ae/ae-attendances-and-emergency-admissions-2025-26/"
LAST_YEAR = "/ae/ae-attendances-and-emergency-admissions-2024-25/"
FEB_CSV = "/uploads/2026/03/Monthly-AE-February-2026-q7Hd2.csv"
JAN_CSV = "/uploads/2026/02/January-2026-CSV-p0Lk3.csv"


# ---------------------------------------------------------------------------- the loopback server
class Server:
    """Routes: path -> list of responses; each is served in turn and the last one repeats."""

    def __init__(self) -> None:
        self.routes: dict[str, list[dict]] = {}
        self.log: list[dict] = []
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def serve(self, path: str, *responses: dict) -> None:
        self.routes[path] = list(responses)

    def requests_for(self, path: str) -> list[dict]:
        return [r for r in self.log if r["path"] == path]

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_GET(self):  # noqa: N802 - the http.server API
                queue = server.routes.get(self.path)
                spec = {"status": 404, "body": b"<html><body>Not found</body></html>"}
                if queue:
                    spec = queue.pop(0) if len(queue) > 1 else queue[0]
                entry = {"path": self.path, "headers": dict(self.headers), "status": spec.get("status", 200)}
                server.log.append(entry)
                if spec.get("delay"):
                    time.sleep(spec["delay"])
                body = spec.get("body", b"")
                etag = spec.get("etag")
                if etag and self.headers.get("If-None-Match") == etag:
                    entry["status"] = 304
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(entry["status"])
                for key, value in spec.get("headers", {}).items():
                    self.send_header(key, value)
                if etag:
                    self.send_header("ETag", etag)
                self.send_header("Content-Type", spec.get("type", "text/html; charset=utf-8"))
                length = len(body) + (5000 if spec.get("truncate") else 0)
                self.send_header("Content-Length", str(length))
                self.end_headers()
                try:
                    self.wfile.write(body)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass
                if spec.get("truncate"):
                    self.close_connection = True

        return Handler


@pytest.fixture
def server(monkeypatch):
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    srv = Server()
    srv.thread.start()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()
    srv.thread.join(timeout=5)


def month_section(month: str, published: str, links: list[tuple[str, str]]) -> str:
    """One month on a year page, as NHS England lays it out: heading, publication line, links."""
    anchors = "<br>\n".join(f'<a href="{href}">{text}</a>' for href, text in links)
    return f"<h3>{month}</h3>\n<p>Published: {published}</p>\n<p>{anchors}</p>\n"


def year_page(*sections: str) -> bytes:
    return (PAGES / "ae_year.html").read_text().replace("{{MONTHS}}", "".join(sections)).encode()


def csv_bytes(tmp_path: Path, period: str, seed: int = 1, name: str = "f.csv", **kwargs) -> bytes:
    folder = tmp_path / f"made-{period}-{seed}-{name}"
    folder.mkdir()
    return write_ae_csv(folder, name, period=period, seed=seed, **kwargs).read_bytes()


FEB_XLS = "/uploads/2026/03/February-2026-AE-by-provider-k8Qd1.xls"
FEB_SECTION = (
    "February 2026",
    "12 March 2026",
    [(FEB_CSV, "Monthly A&amp;E February 2026 (CSV, 1MB)"), (FEB_XLS, "Monthly A&amp;E February 2026 (XLS, 300KB)")],
)


@pytest.fixture
def site(server, tmp_path):
    """The A&E landing page, this year's page with February 2026, last year's page with no months."""
    server.serve("/ae/", {"body": (PAGES / "ae_landing.html").read_bytes()})
    server.serve(YEAR, {"body": year_page(month_section(*FEB_SECTION))})
    server.serve(LAST_YEAR, {"body": year_page()})
    server.serve(FEB_CSV, {"body": csv_bytes(tmp_path, "MSitAE-FEBRUARY-2026"), "type": "text/csv", "etag": '"feb-1"'})
    return server


@pytest.fixture
def slept() -> list[float]:
    return []


@pytest.fixture
def options(site, tmp_path, slept):
    return FetchOptions(
        publications=("ae_monthly",),
        index_urls={"ae_monthly": site.url + "/ae/"},
        raw_dir=tmp_path / "raw",
        timeout=2.0,
        attempts=3,
        backoff=1.5,
        sleep=slept.append,
    )


def sources(engine):
    return store.read_sources(engine)


def lines(report) -> list[str]:
    return report.lines()


# ---------------------------------------------------------------------------- a new file
def test_a_new_file_is_found_downloaded_and_ingested(site, options, sqlite_engine, catalogue):
    report = fetch_publications(sqlite_engine, catalogue, options)

    assert lines(report)[0] == (
        f"ae_monthly: new: Monthly-AE-February-2026-q7Hd2.csv (published 12 March 2026): loaded with ae_monthly: "
        f"{report.results[0].outcome.rows} rows ({report.results[0].outcome.added} added, 0 updated, 0 unchanged)"
    )
    assert lines(report)[-1] == "1 new, 0 revised, 0 unchanged, 0 skipped, 0 error; 4 request(s)"
    assert not report.failed
    saved = options.raw_dir / "ae_monthly" / "Monthly-AE-February-2026-q7Hd2.csv"
    assert saved.read_bytes() == site.routes[FEB_CSV][0]["body"]
    loaded = sources(sqlite_engine)
    assert loaded["file_name"].tolist() == ["Monthly-AE-February-2026-q7Hd2.csv"]
    feb = store.read_observations(sqlite_engine, metric_ids=["ae_attendances"], org_codes=["RWE"])
    assert feb["period_start"].dt.date.tolist() == [dt.date(2026, 2, 1)]
    log = store.read_fetch_log(sqlite_engine, "ae_monthly")
    files = log[log["kind"] == "file"].iloc[0]
    assert files["url"] == site.url + FEB_CSV
    assert files["published"].date() == dt.date(2026, 3, 12)
    assert files["period"].date() == dt.date(2026, 2, 1)
    assert files["etag"] == '"feb-1"'
    assert files["source_id"] == loaded["id"].iloc[0]
    assert log.loc[log["kind"] == "page", "url"].tolist() == [site.url + p for p in ("/ae/", YEAR, LAST_YEAR)]
    # Polite: it says who it is; it read this year's and last year's pages only, not 2023-24.
    assert all(r["headers"]["User-Agent"] == USER_AGENT for r in site.log)
    assert not site.requests_for("/ae/ae-attendances-and-emergency-admissions-2023-24/")
    # The provider XLS beside the CSV and the time series on the landing page are not the wanted file.
    assert not site.requests_for(FEB_XLS)


def test_nothing_new_means_no_download_and_no_write(site, options, sqlite_engine, catalogue):
    fetch_publications(sqlite_engine, catalogue, options)
    before = sources(sqlite_engine)
    saved = sorted((options.raw_dir / "ae_monthly").iterdir())
    stamp = saved[0].stat().st_mtime_ns

    report = fetch_publications(sqlite_engine, catalogue, options)

    assert lines(report)[-1] == "0 new, 0 revised, 1 unchanged, 0 skipped, 0 error; 4 request(s)"
    asked = site.requests_for(FEB_CSV)
    assert [r["status"] for r in asked] == [200, 304]  # a conditional request: the file was not sent again
    assert asked[1]["headers"]["If-None-Match"] == '"feb-1"'
    assert sources(sqlite_engine).equals(before)
    assert sorted((options.raw_dir / "ae_monthly").iterdir()) == saved
    assert saved[0].stat().st_mtime_ns == stamp


def test_pages_that_send_validators_are_asked_for_conditionally(site, options, sqlite_engine, catalogue):
    for path in ("/ae/", YEAR, LAST_YEAR):
        site.serve(path, {**site.routes[path][0], "etag": f'"{path}"'})
    fetch_publications(sqlite_engine, catalogue, options)

    report = fetch_publications(sqlite_engine, catalogue, options)

    assert [r.status for r in report.results] == ["unchanged"]  # the kept copies still list the file
    assert [r["status"] for r in site.log[-4:]] == [304, 304, 304, 304]
    assert site.requests_for("/ae/")[1]["headers"]["If-None-Match"] == '"/ae/"'


def test_a_second_run_is_a_no_op_through_the_command_line(site, tmp_path, capsys, catalogue):
    db = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    args = ["fetch", "--publication", "ae_monthly", "--index-url", f"ae_monthly={site.url}/ae/",
            "--raw-dir", str(tmp_path / "raw"), "--db", db]  # fmt: skip
    assert main(args) == 0
    first = capsys.readouterr().out
    assert "ae_monthly: new: Monthly-AE-February-2026-q7Hd2.csv (published 12 March 2026)" in first
    engine = store.make_engine(db)
    observations = store.read_observations(engine)

    assert main(args) == 0

    assert capsys.readouterr().out == "0 new, 0 revised, 1 unchanged, 0 skipped, 0 error; 4 request(s)\n"
    assert len(sources(engine)) == 1
    assert store.read_observations(engine).equals(observations)
    engine.dispose()


def test_a_revised_file_under_a_new_name_replaces_the_first(site, options, sqlite_engine, catalogue, tmp_path):
    fetch_publications(sqlite_engine, catalogue, options)
    first = store.read_observations(sqlite_engine, metric_ids=["ae_attendances"], org_codes=["RWE"])
    revised_url = "/uploads/2026/04/Monthly-AE-February-2026-revised-Zx81a.csv"
    rows = ae_rows(1)
    rows.loc[rows["code"] == "RWE", "att_t1"] += 100
    site.serve(revised_url, {"body": csv_bytes(tmp_path, "MSitAE-FEBRUARY-2026", rows=rows, name="r.csv"),
                             "type": "text/csv"})  # fmt: skip
    revised = ("February 2026", "9 April 2026", [(revised_url, "Monthly A&amp;E February 2026 revised (CSV, 1MB)")])
    site.serve(YEAR, {"body": year_page(month_section(*revised))})

    report = fetch_publications(sqlite_engine, catalogue, options)

    assert [r.status for r in report.results] == ["revised"]
    assert lines(report)[0].startswith(
        "ae_monthly: revised: Monthly-AE-February-2026-revised-Zx81a.csv (published 9 April 2026): "
        "loaded with ae_monthly:"
    )
    now = store.read_observations(sqlite_engine, metric_ids=["ae_attendances"], org_codes=["RWE"])
    assert now["value"].iloc[0] == first["value"].iloc[0] + 100
    assert len(sources(sqlite_engine)) == 2  # the source table keeps both publications


def test_a_revised_file_under_the_same_address_is_new_content(site, options, sqlite_engine, catalogue, tmp_path):
    fetch_publications(sqlite_engine, catalogue, options)
    rows = ae_rows(1)
    rows.loc[rows["code"] == "RWE", "att_t1"] += 7
    site.serve(FEB_CSV, {"body": csv_bytes(tmp_path, "MSitAE-FEBRUARY-2026", rows=rows, name="s.csv"),
                         "type": "text/csv", "etag": '"feb-2"'})  # fmt: skip

    report = fetch_publications(sqlite_engine, catalogue, options)

    assert [r.status for r in report.results] == ["revised"]
    kept = sorted(p.name for p in (options.raw_dir / "ae_monthly").iterdir())
    assert len(kept) == 2 and "Monthly-AE-February-2026-q7Hd2.csv" in kept  # the first download is kept too


def test_a_page_whose_structure_changed_is_named_with_its_rule(site, options, sqlite_engine, catalogue):
    site.serve("/ae/", {"body": (PAGES / "ae_landing_redesigned.html").read_bytes()})

    report = fetch_publications(sqlite_engine, catalogue, options)

    assert report.failed
    assert lines(report) == [
        f"ERROR: ae_monthly: {site.url}/ae/: the 'year_pages' rule of publication 'ae_monthly' (link text "
        r"/A&E Attendances and Emergency Admissions \d{4}-\d{2}/ and file pattern "
        r"/ae-attendances-and-emergency-admissions-\d{4}-\d{2}/?$/) found no link; the page structure may have "
        "changed (see page_structure in config.yaml)",
        "0 new, 0 revised, 0 unchanged, 0 skipped, 0 error; 1 request(s)",
    ]
    assert sources(sqlite_engine).empty


def test_a_year_page_that_fails_does_not_hide_the_others(site, options, sqlite_engine, catalogue):
    site.serve(LAST_YEAR, {"status": 500, "body": b"busy"})

    report = fetch_publications(sqlite_engine, catalogue, options)

    assert [r.status for r in report.results] == ["new"]
    assert report.problems == [f"ae_monthly: {site.url}{LAST_YEAR}: HTTP 500 Internal Server Error (tried 3 times)"]
    log = store.read_fetch_log(sqlite_engine, "ae_monthly")
    pages = log[log["kind"] == "page"].set_index("url")["status"]
    assert pages[site.url + "/ae/"] == "error"  # the Data page says the last check failed


def test_year_pages_without_the_wanted_file_are_named(site, options, sqlite_engine, catalogue):
    site.serve(YEAR, {"body": year_page()})

    report = fetch_publications(sqlite_engine, catalogue, options)

    assert lines(report)[0] == (
        f"ERROR: ae_monthly: {site.url}{YEAR}, {site.url}{LAST_YEAR}: the 'files' rule (link text /^\\s*Monthly A&E/ "
        "and file pattern /\\.csv$/) found no link; the page structure may have changed (see page_structure in "
        "config.yaml)"
    )


def test_404_and_500_then_success(site, options, slept, sqlite_engine, catalogue, tmp_path):
    gone = "/uploads/2026/02/Monthly-AE-January-2026-gone.csv"
    site.serve(FEB_CSV, {"status": 500, "body": b"busy"}, {"status": 503, "body": b"busy"},
               site.routes[FEB_CSV][0])  # fmt: skip
    january = ("January 2026", "12 February 2026", [(gone, "Monthly A&amp;E January 2026 (CSV, 1MB)")])
    site.serve(YEAR, {"body": year_page(month_section(*FEB_SECTION), month_section(*january))})

    report = fetch_publications(sqlite_engine, catalogue, options)

    assert [r.status for r in report.results] == ["new", "error"]
    assert lines(report)[1] == (
        f"ae_monthly: ERROR: Monthly-AE-January-2026-gone.csv (published 12 February 2026): {site.url}{gone}: "
        "HTTP 404 Not Found"
    )
    assert [r["status"] for r in site.requests_for(FEB_CSV)] == [500, 503, 200]
    assert len(site.requests_for(gone)) == 1  # a 404 is not retried
    assert slept == [1.5, 3.0]  # back-off doubles
    assert report.failed
    assert sources(sqlite_engine)["file_name"].tolist() == ["Monthly-AE-February-2026-q7Hd2.csv"]


def test_429_waits_as_long_as_the_server_asks(site, options, slept, sqlite_engine, catalogue):
    site.serve(FEB_CSV, {"status": 429, "headers": {"Retry-After": "7"}}, site.routes[FEB_CSV][0])

    report = fetch_publications(sqlite_engine, catalogue, options)

    assert [r.status for r in report.results] == ["new"]
    assert slept == [7.0]


def test_a_server_that_keeps_failing_is_reported_after_the_last_attempt(site, options, sqlite_engine, catalogue):
    site.serve(FEB_CSV, {"status": 502, "body": b"bad gateway"})

    report = fetch_publications(sqlite_engine, catalogue, options)

    assert report.results[0].message == f"{site.url}{FEB_CSV}: HTTP 502 Bad Gateway (tried 3 times)"
    assert sources(sqlite_engine).empty


def test_a_slow_server_hits_the_timeout(site, options, sqlite_engine, catalogue):
    site.serve(FEB_CSV, {**site.routes[FEB_CSV][0], "delay": 1.0})
    quick = dataclasses.replace(options, timeout=0.2, attempts=2)

    report = fetch_publications(sqlite_engine, catalogue, quick)

    assert lines(report)[0] == (
        f"ae_monthly: ERROR: Monthly-AE-February-2026-q7Hd2.csv (published 12 March 2026): {site.url}{FEB_CSV}: "
        "no answer within 0.2 s (tried 2 times)"
    )
    assert sources(sqlite_engine).empty
    assert not (options.raw_dir / "ae_monthly").exists()


def test_a_truncated_download_is_discarded(site, options, sqlite_engine, catalogue):
    body = site.routes[FEB_CSV][0]["body"]
    site.serve(FEB_CSV, {**site.routes[FEB_CSV][0], "truncate": True})  # announces 5000 bytes more than it sends

    report = fetch_publications(sqlite_engine, catalogue, options)

    assert report.results[0].status == "error"
    assert report.results[0].message == (
        f"{site.url}{FEB_CSV}: the download was cut short ({len(body)} of {len(body) + 5000} bytes); discarded"
    )
    assert sources(sqlite_engine).empty
    assert not (options.raw_dir / "ae_monthly").exists()
    # Nothing was recorded as held, so the next run tries again.
    site.serve(FEB_CSV, {**site.routes[FEB_CSV][0], "truncate": False})
    assert [r.status for r in fetch_publications(sqlite_engine, catalogue, options).results] == ["new"]


def test_a_download_that_is_not_the_expected_type_is_discarded(site, options, sqlite_engine, catalogue):
    site.serve(FEB_CSV, {"body": b"<!DOCTYPE html><html><body>Please sign in</body></html>"})

    report = fetch_publications(sqlite_engine, catalogue, options)

    assert report.results[0].message == "not the expected type (expected csv; got an HTML page); discarded"
    assert sources(sqlite_engine).empty
    assert not (options.raw_dir / "ae_monthly").exists()


def test_dry_run_writes_nothing(site, options, tmp_path, catalogue):
    engine = store.make_engine(f"sqlite:///{tmp_path / 'dry.sqlite'}")

    report = fetch_publications(engine, catalogue, dataclasses.replace(options, dry_run=True))

    assert lines(report) == [
        "ae_monthly: would-download: Monthly-AE-February-2026-q7Hd2.csv (published 12 March 2026)",
        "dry run, nothing written: 0 new, 0 revised, 0 unchanged, 0 skipped, 1 would-download, 0 error; 3 request(s)",
    ]
    assert not site.requests_for(FEB_CSV)
    assert not (options.raw_dir).exists()
    assert inspect(engine).get_table_names() == []  # not even the schema was created
    engine.dispose()


def test_since_skips_older_months(site, options, sqlite_engine, catalogue):
    report = fetch_publications(sqlite_engine, catalogue, dataclasses.replace(options, since=dt.date(2026, 3, 1)))

    assert [(r.status, r.message) for r in report.results] == [("skipped", "covers February 2026, before --since")]
    assert not site.requests_for(FEB_CSV)


def test_the_request_budget_is_never_exceeded(site, options, sqlite_engine, catalogue):
    report = fetch_publications(sqlite_engine, catalogue, dataclasses.replace(options, max_requests=3))

    assert len(site.log) == 3
    assert lines(report) == [
        "ae_monthly: skipped: Monthly-AE-February-2026-q7Hd2.csv: left for the next run: "
        "the limit of 3 requests per run is reached",
        "0 new, 0 revised, 0 unchanged, 1 skipped, 0 error; 3 request(s)",
    ]
    assert not report.failed  # the next run carries on


def test_only_the_newest_held_files_are_asked_for_again(site, options, sqlite_engine, catalogue, tmp_path):
    months = [("February", "FEBRUARY", "12 March"), ("January", "JANUARY", "12 February"),
              ("December", "DECEMBER", "8 January")]  # fmt: skip
    sections = []
    for i, (month, upper, published) in enumerate(months):
        year = 2025 if month == "December" else 2026
        path = f"/uploads/m{i}/Monthly-AE-{month}-{year}.csv"
        body = csv_bytes(tmp_path, f"MSitAE-{upper}-{year}", name=f"{month}.csv")
        site.serve(path, {"body": body, "type": "text/csv", "etag": f'"{i}"'})
        sections.append(month_section(f"{month} {year}", f"{published} {year + (month == 'December')}",
                                      [(path, f"Monthly A&amp;E {month} {year} (CSV)")]))  # fmt: skip
    site.serve(YEAR, {"body": year_page(*sections)})
    assert fetch_publications(sqlite_engine, catalogue, options).count("new") == 3

    report = fetch_publications(sqlite_engine, catalogue, dataclasses.replace(options, recheck_known=2))

    assert report.count("unchanged") == 3
    assert [r.message for r in report.results] == ["", "", "held; not re-checked"]
    assert [len(site.requests_for(f"/uploads/m{i}/Monthly-AE-{m}-{2025 if m == 'December' else 2026}.csv"))
            for i, (m, _, _) in enumerate(months)] == [2, 2, 1]  # fmt: skip


def test_the_landing_page_can_be_overridden_from_the_environment(site, options, sqlite_engine, catalogue, monkeypatch):
    monkeypatch.setenv("LLR_FETCH_INDEX_URL_AE_MONTHLY", site.url + "/ae/")

    report = fetch_publications(sqlite_engine, catalogue, dataclasses.replace(options, index_urls={}))

    assert [r.status for r in report.results] == ["new"]


def test_an_unknown_publication_is_refused(sqlite_engine, catalogue, capsys):
    assert main(["fetch", "--index-url", "ae=http://127.0.0.1:9/", "--db", "sqlite://"]) == 1
    assert capsys.readouterr().err.startswith("ERROR: unknown publication(s) ae; the catalogue has: ae_monthly,")


# ---------------------------------------------------------------------------- page reading
def test_links_periods_and_publication_dates_are_read_from_the_page():
    html = year_page(month_section(*FEB_SECTION), month_section("January 2026", "12 February 2026",
                     [(JAN_CSV, "Monthly A&amp;E January 2026 (CSV, 1MB)")])).decode()  # fmt: skip
    page = parse_page(html, "https://www.england.nhs.uk" + YEAR)
    jan = next(link for link in page.links if link.url.endswith(JAN_CSV))
    feb = next(link for link in page.links if link.url.endswith(FEB_CSV))

    assert jan.url == "https://www.england.nhs.uk" + JAN_CSV
    assert feb.text == "Monthly A&E February 2026 (CSV, 1MB)"
    assert publication_date(page, feb, r"published:?\s*(\d{1,2}\s+[A-Za-z]+\s+\d{4})") == dt.date(2026, 3, 12)
    assert publication_date(page, jan, r"published:?\s*(\d{1,2}\s+[A-Za-z]+\s+\d{4})") == dt.date(2026, 2, 12)
    assert period_of(feb) == dt.date(2026, 2, 1)
    kh03 = "https://x/uploads/Beds-Open-Overnight-Web_File-Q4-2024-25-Final-3HDWE.xlsx"
    assert period_of(Link(kh03, "NHS organisations in England, Quarter 4, 2024-25 (XLSX)", 0)) == dt.date(2025, 1, 1)
    assert period_of(Link(kh03, "Beds web file", 0)) == dt.date(2025, 1, 1)
    ucr = "https://x/2-hour-Urgent-Community-Response-Performance-Metrics_2025-26_January.xlsx"
    assert period_of(Link(ucr, "UCR metrics", 0)) == dt.date(2026, 1, 1)
    assert period_of(Link("https://x/uploads/ascof-open-data.csv", "ASCOF open data", 0)) is None
    assert period_of(Link("https://x/uploads/august2023.xlsx", "Webfile", 0)) == dt.date(2023, 8, 1)


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b"PK\x03\x04rest", "xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "xls"),
        (b"\xef\xbb\xbfPeriod,Org Code\r\nMSitAE-MAY-2025,RWE\r\n", "csv"),
        (b"  <!DOCTYPE html><html>", "html"),
        (b"\x00\x01\x02\xff\xfe", None),
    ],
)
def test_file_types_are_recognised_from_their_content(body, kind):
    assert sniff_format(body) == kind


# ---------------------------------------------------------------------------- every publication's rules
RULE_SITES = {
    "kh03_overnight": (
        "/kh03/",
        {"/kh03/": "kh03_landing.html", "/beds/bed-data-overnight/": "kh03_overnight.html"},
        [
            "Beds-Open-Overnight-Web_File-Q3-2025-26-Final-K7Q2X.xlsx (published 19 February 2026)",
            "Beds-Open-Overnight-Web_File-Q2-2025-26-Final-3HDWE.xlsx (published 20 November 2025)",
        ],
    ),
    "discharge_acute": (
        "/discharge/",
        {"/discharge/": "discharge_acute.html"},
        [
            "Daily-discharge-sitrep-monthly-data-webfile-February2026.xlsx",
            "Daily-discharge-sitrep-monthly-data-webfile-January2026-v2.xlsx",
        ],
    ),
    "ucr_2hr": (
        "/ucr/",
        {"/ucr/": "ucr.html"},
        [
            "2-hour-Urgent-Community-Response-Performance-Metrics_2025-26_January.xlsx",
            "2-hour-Urgent-Community-Response-Performance-Metrics_2024-25.xlsx",
        ],
    ),
    "ascof": (
        "/ascof/",
        {"/ascof/": "ascof_series.html", "/ascof/2022-23": "ascof_publication.html"},
        ["meas-from-asc-of-eng-2223-open-data-csv.csv (published 14 December 2023)"],
    ),
}


@pytest.mark.parametrize("publication_id", sorted(RULE_SITES))
def test_each_publication_rule_finds_its_file_on_a_page_in_the_real_structure(server, tmp_path, catalogue,
                                                                               publication_id):  # fmt: skip
    landing, pages, expected = RULE_SITES[publication_id]
    for path, fixture in pages.items():
        server.serve(path, {"body": (PAGES / fixture).read_bytes()})
    engine = store.make_engine(f"sqlite:///{tmp_path / 'rules.sqlite'}")
    options = FetchOptions(
        publications=(publication_id,), dry_run=True, index_urls={publication_id: server.url + landing},
        raw_dir=tmp_path / "raw", sleep=lambda s: None,
    )  # fmt: skip

    report = fetch_publications(engine, catalogue, options)

    prefix = f"{publication_id}: would-download: "
    assert all(line.startswith(prefix) for line in lines(report)[:-1])
    # In a dry run file dates come from the page only (no Last-Modified is read).
    assert [line.removeprefix(prefix) for line in lines(report)[:-1]] == expected
    assert not report.problems
    engine.dispose()


def test_a_kh03_workbook_is_fetched_and_loaded(server, tmp_path, sqlite_engine, catalogue):
    from tests.fixtures.make_ae_kh03 import write_kh03

    made = tmp_path / "made-kh03"
    made.mkdir()
    workbook, _ = write_kh03(made, "Beds-Open-Overnight-Web_File-Q3-2025-26-Final-K7Q2X.xlsx",
                             period="October to December 2025", year="2025-26", period_end="December",
                             published="12th February 2026")  # fmt: skip
    server.serve("/kh03/", {"body": (PAGES / "kh03_landing.html").read_bytes()})
    server.serve("/beds/bed-data-overnight/", {"body": (PAGES / "kh03_overnight.html").read_bytes()})
    server.serve("/uploads/2026/02/Beds-Open-Overnight-Web_File-Q3-2025-26-Final-K7Q2X.xlsx",
                 {"body": workbook.read_bytes(), "type": "application/vnd.ms-excel"})  # fmt: skip
    options = FetchOptions(publications=("kh03_overnight",), index_urls={"kh03_overnight": server.url + "/kh03/"},
                           raw_dir=tmp_path / "raw", sleep=lambda s: None)  # fmt: skip

    report = fetch_publications(sqlite_engine, catalogue, options)

    assert [(r.name, r.status) for r in report.results] == [
        ("Beds-Open-Overnight-Web_File-Q3-2025-26-Final-K7Q2X.xlsx", "new"),
        ("Beds-Open-Overnight-Web_File-Q2-2025-26-Final-3HDWE.xlsx", "error"),  # not served: 404
    ]
    beds = store.read_observations(sqlite_engine, metric_ids=["beds_ga_available"], org_codes=["RWE"])
    assert beds["period_start"].dt.date.tolist() == [dt.date(2025, 10, 1)]
    log = store.read_fetch_log(sqlite_engine, "kh03_overnight")
    assert log.loc[log["status"] == "new", "published"].dt.date.tolist() == [dt.date(2026, 2, 19)]
