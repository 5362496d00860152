"""``python -m loaders fetch`` against a hostile statistics site served on 127.0.0.1.

The site's pages link and redirect to the local disk, to ``ftp:``, to another port and another
host name, carry malformed addresses and answers, trickle a file, change a file back to an
earlier version, and are read by two runs at once. Each must end as that item's error (or a
correct load), with no request off the publication's host, nothing loaded from elsewhere and a
complete report, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from pathlib import Path

import pytest

from loaders.fetch import FetchOptions, fetch_publications
from metrics import store
from metrics.catalogue import DEFAULT_CONFIG, parse_catalogue
from tests.unit.test_fetch import FEB_CSV, FEB_SECTION, PAGES, YEAR, Server, csv_bytes, month_section, year_page

GENERIC_CSV = (
    b"metric_id,org_code,period,value,numerator,denominator,source,demo\n"
    b"ae_4hr_all,RWE,2026-02-01,,1,2,Corrected figures,no\n"
    b"ae_attendances,RWE,2026-02-01,99999,,,Corrected figures,no\n"
)


class HostileServer(Server):
    """The loopback server, plus raw (non-HTTP) answers and trickled bodies."""

    def _handler(self):
        base = super()._handler()
        server = self

        class Handler(base):
            def do_GET(self):  # noqa: N802 - the http.server API
                queue = server.routes.get(self.path) or []
                spec = queue[0] if queue else {}
                if "raw" not in spec and "trickle" not in spec:
                    return super().do_GET()
                if len(queue) > 1:
                    queue.pop(0)
                server.log.append({"path": self.path, "headers": dict(self.headers), "status": 0})
                try:
                    if "raw" in spec:
                        size, pause = spec.get("drip", (len(spec["raw"]), 0))
                        for start in range(0, len(spec["raw"]), size):
                            self.wfile.write(spec["raw"][start : start + size])
                            self.wfile.flush()
                            time.sleep(pause)
                        self.close_connection = True
                        return
                    body, (size, pause) = spec["body"], spec["trickle"]
                    self.send_response(200)
                    self.send_header("Content-Type", "text/csv")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    for start in range(0, len(body), size):
                        self.wfile.write(body[start : start + size])
                        self.wfile.flush()
                        time.sleep(pause)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler


@pytest.fixture
def hostile(monkeypatch):
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    servers = [HostileServer(), HostileServer()]  # the statistics site, and an "internal" service
    for srv in servers:
        srv.thread.start()
    yield servers
    for srv in servers:
        srv.httpd.shutdown()
        srv.httpd.server_close()
        srv.thread.join(timeout=5)


@pytest.fixture
def hostile_site(hostile, tmp_path):
    main, _ = hostile
    main.serve("/ae/", {"body": (PAGES / "ae_landing.html").read_bytes()})
    main.serve(FEB_CSV, {"body": csv_bytes(tmp_path, "MSitAE-FEBRUARY-2026"), "type": "text/csv"})
    main.serve("/ae/ae-attendances-and-emergency-admissions-2024-25/", {"body": year_page()})
    return main


def ae_options(main: Server, tmp_path: Path, **changes) -> FetchOptions:
    return FetchOptions(
        publications=("ae_monthly",), index_urls={"ae_monthly": main.url + "/ae/"}, raw_dir=tmp_path / "raw",
        timeout=2.0, attempts=2, backoff=0.0, sleep=lambda s: None, **changes,
    )  # fmt: skip


def link(href: str, month: str = "February 2026") -> tuple[str, str]:
    return href, f"Monthly A&amp;E {month} (CSV)"


def raw_files(tmp_path: Path) -> list[str]:
    folder = tmp_path / "raw" / "ae_monthly"
    return sorted(p.name for p in folder.iterdir() if p.is_file()) if folder.exists() else []


# ---------------------------------------------------------------------------- links and redirects
def test_a_hostile_year_page_gives_per_item_errors_and_loads_only_its_own_files(hostile, hostile_site, engine,
                                                                               catalogue, tmp_path):  # fmt: skip
    main, internal = hostile
    port = main.url.rsplit(":", 1)[1]
    local = tmp_path / "local" / "Monthly-AE-February-2026.csv"
    local.parent.mkdir()
    local.write_bytes(csv_bytes(tmp_path, "MSitAE-FEBRUARY-2026", seed=7))
    long_name = "/uploads/" + "Monthly-AE-January-2026-" + "x" * 300 + ".csv"
    forged = "/uploads/evil%0Aae_monthly:%20new:%20forged.csv"
    nul = "/uploads/December-2025%00.csv"
    hostile_links = {
        f"file://{local}": "only http and https addresses are fetched (this one is file:); not requested",
        f"ftp://127.0.0.1:{port}/Monthly-AE-February-2026.csv": "(this one is ftp:)",
        f"{internal.url}/internal/admin/Monthly-AE-February-2026.csv": f"on 127.0.0.1:{internal.url[17:]}, not",
        f"http://localhost:{port}/uploads/other-host.csv": f"on localhost:{port}, not the publication's own host",
        "http://127.0.0.1:abc/Monthly-AE.csv": "not a usable address (Port could not be cast",
        "http://[zz/Monthly-AE.csv": "not a usable address (Invalid IPv6 URL)",
        "/uploads/has space/Monthly-AE-February-2026.csv": "HTTP 404 Not Found",
        "/uploads/to-file.csv": "redirected (302) to file:///etc/passwd: only http and https addresses are fetched "
        "(this one is file:); not followed",
        "/uploads/to-ftp.csv": "redirected (302) to ftp://127.0.0.1",
        "/uploads/to-internal.csv": "redirected (301) to http://127.0.0.1:",
        "/uploads/not-http.csv": "not a valid HTTP answer (BadStatusLine",
        "/uploads/many-headers.csv": "not a valid HTTP answer (HTTPException: got more than 100 headers)",
        "/uploads/generic.csv": "laid out for the generic_template loader (source 'local_return'), not as publication "
        "'ae_monthly' publishes (source 'ae'); discarded",
        forged: "HTTP 404 Not Found",
    }
    main.serve("/uploads/to-file.csv", {"status": 302, "headers": {"Location": "file:///etc/passwd"}})
    main.serve("/uploads/to-ftp.csv", {"status": 302, "headers": {"Location": f"ftp://127.0.0.1:{port}/a.csv"}})
    main.serve("/uploads/to-internal.csv",
               {"status": 301, "headers": {"Location": f"{internal.url}/internal/admin/export.csv"}})  # fmt: skip
    main.serve("/uploads/not-http.csv", {"raw": b"SSH-2.0-OpenSSH_9.6\r\n\r\n"})
    headers = b"".join(b"X-H%d: v\r\n" % i for i in range(150))
    main.serve("/uploads/many-headers.csv", {"raw": b"HTTP/1.1 200 OK\r\n" + headers + b"\r\nbody"})
    main.serve("/uploads/generic.csv", {"body": GENERIC_CSV, "type": "text/csv"})
    main.serve(long_name, {"body": csv_bytes(tmp_path, "MSitAE-JANUARY-2026", name="jan.csv"), "type": "text/csv"})
    main.serve(nul, {"body": csv_bytes(tmp_path, "MSitAE-DECEMBER-2025", name="dec.csv"), "type": "text/csv"})
    internal.serve("/internal/admin/Monthly-AE-February-2026.csv", {"body": local.read_bytes()})
    internal.serve("/internal/admin/export.csv", {"body": local.read_bytes()})
    links = [link(FEB_CSV)] + [link(href) for href in hostile_links]
    links += [link(long_name, "January 2026"), link(nul, "December 2025")]
    # A bogus character set on the page is ignored (the page is read as UTF-8), not a traceback.
    main.serve(YEAR, {"body": year_page(month_section("February 2026", "12 March 2026", links)),
                      "type": "text/html; charset=no-such-charset"})  # fmt: skip

    report = fetch_publications(engine, catalogue, ae_options(main, tmp_path))

    by_url = {r.url: r for r in report.results}
    for href, expected in hostile_links.items():
        matches = [r for url, r in by_url.items() if url.endswith(href.split("//", 1)[-1]) or url == href]
        assert len(matches) == 1, href
        assert matches[0].status == "error", href
        assert expected in matches[0].message, (href, matches[0].message)
    # Nothing off the publication's host was asked for; the internal service never saw a request.
    assert internal.log == []
    assert not [r for r in main.log if "other-host" in r["path"] or r["path"].startswith("/a.csv")]
    # Only the publication's own files were loaded, by its own loader.
    loaded = store.read_sources(engine)
    assert sorted(loaded["loader"]) == ["ae_monthly"] * 3
    assert not (loaded["file_name"].str.contains("\x00") | loaded["file_name"].str.contains("\n")).any()
    assert "December-2025.csv" in set(loaded["file_name"])
    assert all(len(name) <= 120 for name in loaded["file_name"])
    assert raw_files(tmp_path) == sorted(loaded["file_name"])
    assert not (tmp_path / "raw" / "ae_monthly" / "Monthly-AE-February-2026.csv").exists()  # the local file
    # The report is complete, one printable line per item, and cannot be forged by a file name.
    text = "\n".join(report.lines())
    assert text.splitlines() == report.lines()
    assert not [line for line in report.lines() if line.startswith("ae_monthly: new: forged")]
    assert report.lines()[-1].startswith(f"3 new, 0 revised, 0 unchanged, 0 skipped, {len(hostile_links)} error;")
    log = store.read_fetch_log(engine, "ae_monthly")
    assert not log["file_name"].fillna("").str.contains("\x00").any()


def test_a_hostile_landing_page_is_that_publications_error_and_the_next_one_runs(hostile, engine, catalogue,
                                                                                   tmp_path):  # fmt: skip
    from tests.fixtures.make_ae_kh03 import write_kh03

    main, _ = hostile
    headers = b"".join(b"X-H%d: v\r\n" % i for i in range(150))
    main.serve("/ae/", {"raw": b"HTTP/1.1 200 OK\r\n" + headers + b"\r\n<html></html>"})
    made = tmp_path / "made-kh03"
    made.mkdir()
    workbook, _ = write_kh03(made, "Beds-Open-Overnight-Web_File-Q3-2025-26-Final-K7Q2X.xlsx",
                             period="October to December 2025", year="2025-26", period_end="December",
                             published="12th February 2026")  # fmt: skip
    main.serve("/kh03/", {"body": (PAGES / "kh03_landing.html").read_bytes()})
    main.serve("/beds/bed-data-overnight/", {"body": (PAGES / "kh03_overnight.html").read_bytes()})
    main.serve("/uploads/2026/02/Beds-Open-Overnight-Web_File-Q3-2025-26-Final-K7Q2X.xlsx",
               {"body": workbook.read_bytes(), "type": "application/vnd.ms-excel"})  # fmt: skip
    options = dataclasses.replace(
        ae_options(main, tmp_path), publications=("ae_monthly", "kh03_overnight"),
        index_urls={"ae_monthly": main.url + "/ae/", "kh03_overnight": main.url + "/kh03/"},
    )  # fmt: skip

    report = fetch_publications(engine, catalogue, options)

    assert report.problems == [
        f"ae_monthly: {main.url}/ae/: not a valid HTTP answer (HTTPException: got more than 100 headers); discarded"
    ]
    assert [(r.publication_id, r.status) for r in report.results][0] == ("kh03_overnight", "new")
    assert store.read_fetch_log(engine, "ae_monthly")["status"].tolist() == ["error"]


def test_a_landing_page_that_is_not_http_is_refused_before_any_request(hostile, sqlite_engine, catalogue, tmp_path):
    main, _ = hostile
    options = dataclasses.replace(ae_options(main, tmp_path), index_urls={"ae_monthly": "file:///etc/passwd"})

    report = fetch_publications(sqlite_engine, catalogue, options)

    assert report.problems == [
        "ae_monthly: file:///etc/passwd: only http and https addresses are fetched (this one is file:); not requested"
    ]
    assert report.requests == 0


def test_an_allowed_host_in_the_catalogue_may_be_requested(hostile, hostile_site, sqlite_engine, tmp_path):
    main, files = hostile
    host = files.url.removeprefix("http://")
    files.serve("/files/Monthly-AE-February-2026.csv", hostile_site.routes[FEB_CSV][0])
    elsewhere = [link(files.url + "/files/Monthly-AE-February-2026.csv")]
    hostile_site.serve(YEAR, {"body": year_page(month_section("February 2026", "12 March 2026", elsewhere))})
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    anchor = "    formats: [csv]\n"
    allowed = parse_catalogue(text.replace(anchor, anchor + f"    allowed_hosts: ['{host}']\n", 1))

    report = fetch_publications(sqlite_engine, allowed, ae_options(main, tmp_path))

    assert [r.status for r in report.results] == ["new"]
    assert [r["path"] for r in files.log] == ["/files/Monthly-AE-February-2026.csv"]


@pytest.mark.parametrize(
    "entry, why",
    [
        ("https://files.digital.nhs.uk", "is not a host name"),
        ("*.nhs.uk", "is not a host name"),
        ("Files.Digital.NHS.uk", "is not a host name"),
        ("files.digital.nhs.uk/path", "is not a host name"),
    ],
)
def test_allowed_hosts_are_host_names_only(entry, why):
    from metrics.catalogue import CatalogueError

    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    anchor = "    formats: [csv]\n"
    with pytest.raises(CatalogueError) as info:
        parse_catalogue(text.replace(anchor, anchor + f"    allowed_hosts: ['{entry}']\n", 1))
    assert "publication 'ae_monthly'" in str(info.value)
    assert why in str(info.value)


# ---------------------------------------------------------------------------- answers over time
def test_a_trickled_file_is_cut_off_at_the_overall_deadline(hostile, hostile_site, sqlite_engine, catalogue,
                                                            tmp_path):  # fmt: skip
    main, _ = hostile
    body = hostile_site.routes[FEB_CSV][0]["body"]
    # Each read arrives well within the socket timeout; the whole body would take far longer.
    main.serve(FEB_CSV, {"body": body, "trickle": (max(1, len(body) // 40), 0.25)})
    main.serve(YEAR, {"body": year_page(month_section(*FEB_SECTION))})
    options = ae_options(main, tmp_path, deadline=1.0)

    report = fetch_publications(sqlite_engine, catalogue, options)

    assert report.results[0].status == "error"
    assert report.results[0].message == (
        f"{main.url}{FEB_CSV}: no complete answer within 1 s (connecting and downloading); discarded"
    )
    assert store.read_sources(sqlite_engine).empty
    assert raw_files(tmp_path) == []


def test_trickled_headers_count_towards_the_deadline(hostile, sqlite_engine, catalogue, tmp_path):
    main, _ = hostile
    headers = b"".join(b"X-Slow-%d: v\r\n" % i for i in range(60))
    main.serve("/ae/", {"raw": b"HTTP/1.1 200 OK\r\n" + headers + b"\r\n<html></html>", "drip": (12, 0.1)})

    report = fetch_publications(sqlite_engine, catalogue, ae_options(main, tmp_path, deadline=1.0))

    assert report.problems == [
        f"ae_monthly: {main.url}/ae/: no complete answer within 1 s (connecting and downloading); discarded"
    ]


def test_content_that_returns_to_an_earlier_version_is_a_revision_and_loaded(hostile, hostile_site, engine,
                                                                            catalogue, tmp_path):  # fmt: skip
    main, _ = hostile
    first = csv_bytes(tmp_path, "MSitAE-FEBRUARY-2026", seed=1, name="a.csv")
    second = csv_bytes(tmp_path, "MSitAE-FEBRUARY-2026", seed=2, name="b.csv")
    main.serve(YEAR, {"body": year_page(month_section(*FEB_SECTION))})
    options = ae_options(main, tmp_path)

    def run(body: bytes):
        main.serve(FEB_CSV, {"body": body, "type": "text/csv"})
        report = fetch_publications(engine, catalogue, options)
        values = store.read_observations(engine, metric_ids=["ae_attendances"], org_codes=["RWE"])["value"]
        return [r.status for r in report.results if r.url.endswith(FEB_CSV)], values.tolist()

    statuses_a, values_a = run(first)
    statuses_b, values_b = run(second)
    statuses_again, values_again = run(first)

    assert (statuses_a, statuses_b, statuses_again) == (["new"], ["revised"], ["revised"])
    assert values_a != values_b
    assert values_again == values_a
    report_line = [r for r in fetch_publications(engine, catalogue, options).results if r.url.endswith(FEB_CSV)]
    assert [r.status for r in report_line] == ["unchanged"]


def test_two_runs_at_once_take_turns_and_both_report_correctly(hostile, hostile_site, engine, catalogue, tmp_path):
    main, _ = hostile
    body = hostile_site.routes[FEB_CSV][0]["body"]
    main.serve(FEB_CSV, {"body": body, "type": "text/csv", "delay": 0.3})
    main.serve(YEAR, {"body": year_page(month_section(*FEB_SECTION))})
    reports, failures = [], []

    def run(folder: str) -> None:
        try:
            reports.append(fetch_publications(engine, catalogue, ae_options(main, tmp_path / folder)))
        except Exception as exc:  # noqa: BLE001 - the test reports it
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(name,)) for name in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    assert sorted(r.results[0].status for r in reports) == ["new", "unchanged"]
    assert not any(r.failed for r in reports)
    assert len(store.read_sources(engine)) == 1
    log = store.read_fetch_log(engine, "ae_monthly")
    assert log["url"].is_unique
    assert log.loc[log["kind"] == "file", "status"].isin(["new", "unchanged"]).all()


# ---------------------------------------------------------------------------- the request budget
def test_a_page_of_thousands_of_links_gets_its_share_and_one_line_of_skipped(hostile, engine, catalogue, tmp_path):
    from tests.fixtures.make_ae_kh03 import write_kh03

    main, _ = hostile
    main.serve("/ae/", {"body": (PAGES / "ae_landing.html").read_bytes()})
    main.serve("/ae/ae-attendances-and-emergency-admissions-2024-25/", {"body": year_page()})
    links = [link(f"/uploads/many/Monthly-AE-February-2026-{i}.csv") for i in range(3000)]
    main.serve(YEAR, {"body": year_page(month_section("February 2026", "12 March 2026", links))})
    made = tmp_path / "made-kh03"
    made.mkdir()
    workbook, _ = write_kh03(made, "Beds-Open-Overnight-Web_File-Q3-2025-26-Final-K7Q2X.xlsx",
                             period="October to December 2025", year="2025-26", period_end="December",
                             published="12th February 2026")  # fmt: skip
    main.serve("/kh03/", {"body": (PAGES / "kh03_landing.html").read_bytes()})
    main.serve("/beds/bed-data-overnight/", {"body": (PAGES / "kh03_overnight.html").read_bytes()})
    main.serve("/uploads/2026/02/Beds-Open-Overnight-Web_File-Q3-2025-26-Final-K7Q2X.xlsx",
               {"body": workbook.read_bytes(), "type": "application/vnd.ms-excel"})  # fmt: skip
    options = dataclasses.replace(
        ae_options(main, tmp_path, max_requests=12), publications=("ae_monthly", "kh03_overnight"),
        index_urls={"ae_monthly": main.url + "/ae/", "kh03_overnight": main.url + "/kh03/"},
    )  # fmt: skip

    report = fetch_publications(engine, catalogue, options)

    assert report.requests == len(main.log) <= 12
    kh03 = [(r.name, r.status) for r in report.results if r.publication_id == "kh03_overnight"]
    assert ("Beds-Open-Overnight-Web_File-Q3-2025-26-Final-K7Q2X.xlsx", "new") in kh03
    skipped = [line for line in report.lines() if ": skipped: " in line]
    assert skipped == [
        "ae_monthly: skipped: 2997 files, from Monthly-AE-February-2026-3.csv: left for the next run: "
        "the share of ae_monthly (6 of the 12 requests per run) is used up"
    ]
    assert len(report.lines()) < 10


def test_a_dry_run_lists_a_link_off_the_host_as_an_error_not_a_download(hostile, hostile_site, sqlite_engine,
                                                                        catalogue, tmp_path):  # fmt: skip
    main, internal = hostile
    links = [link(FEB_CSV), link(f"{internal.url}/internal/Monthly-AE-February-2026.csv"), link("file:///etc/x.csv")]
    main.serve(YEAR, {"body": year_page(month_section("February 2026", "12 March 2026", links))})

    report = fetch_publications(sqlite_engine, catalogue, ae_options(main, tmp_path, dry_run=True))

    assert [r.status for r in report.results] == ["would-download", "error", "error"]
    assert report.results[2].message == (
        "file:///etc/x.csv: only http and https addresses are fetched (this one is file:); not requested"
    )
    assert internal.log == []
