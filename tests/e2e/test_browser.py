"""The served dashboard in headless Chromium: every page loads, shows its heading and a chart, no error
text, a CSV download works, and a copied link restores the view. Screenshots go to tests/e2e/artifacts/."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.e2e

PAGES = [
    # (url path, heading that must be visible, whether a chart is expected)
    ("", "Meeting brief: Leicester, Leicestershire and Rutland", False),
    ("targets", "Targets: Leicester, Leicestershire and Rutland", False),
    ("urgent_care", "Urgent and emergency care: Leicester, Leicestershire and Rutland", True),
    ("beds", "Beds: Leicester, Leicestershire and Rutland", True),
    ("discharge", "Discharge and delays: Leicester, Leicestershire and Rutland", True),
    ("better_care_fund", "Better Care Fund", True),
    ("home_first", "Home First: Leicester, Leicestershire and Rutland", True),
    ("indicator", "Indicator detail", True),
    ("compare", "Compare areas", True),
    ("data", "Data and sources", False),
]

ERROR_SELECTORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'


def _open(page, url: str) -> None:
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector("h1", timeout=90_000)


@pytest.mark.parametrize(("path", "heading", "chart"), PAGES, ids=[p[0] or "brief" for p in PAGES])
def test_page_loads_with_heading_chart_and_no_error(served_app, page, artifacts, path, heading, chart):
    _open(page, f"{served_app}/{path}")
    expect(page.get_by_role("heading", name=heading, exact=True).first).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Demonstration data.").first).to_be_visible(timeout=60_000)
    if chart:
        expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=60_000)
    if not path:
        expect(page.locator(".llr-card .llr-figure-value").first).to_be_visible(timeout=60_000)
    assert page.locator(ERROR_SELECTORS).count() == 0, "the page shows an error"
    assert "Traceback" not in page.content()
    page.screenshot(path=str(artifacts / f"{path or 'meeting-brief'}.png"), full_page=False)


def test_published_default_shows_real_figures_without_the_demo_banner(published_app, page, artifacts):
    _open(page, f"{published_app}/?meeting=2025-12-01")
    # The card's heading names the indicator; its figure is for March 2026 (the newest A&E month).
    expect(page.get_by_role("heading", name="A&E 4-hour performance (all types)").first).to_be_visible(timeout=60_000)
    expect(page.get_by_text("78.8%").first).to_be_visible(timeout=60_000)
    assert "March 2026" in page.content()
    assert page.get_by_text("Demonstration data").count() == 0
    assert page.locator(ERROR_SELECTORS).count() == 0, "the page shows an error"
    page.screenshot(path=str(artifacts / "meeting-brief-published.png"), full_page=False)


def test_csv_download_gives_the_figures(served_app, page):
    _open(page, f"{served_app}/indicator?metric=ae_4hr_all")
    with page.expect_download(timeout=30_000) as download_info:
        page.get_by_role("button", name="Download CSV").first.click()
    content = download_info.value.path().read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(content)))
    assert rows, "the CSV has rows"
    # The figures table as Indicator detail shows it: human column names, periods as periods.
    assert {"Period", "Figure (%)", "Numerator", "Denominator", "Signal"} <= set(rows[0])
    assert rows[0]["Period"] == "April 2016"


def test_copied_link_restores_the_area(served_app, page):
    _open(page, f"{served_app}/?area=Rutland")
    expect(page.get_by_role("heading", name="Meeting brief: Rutland", exact=True)).to_be_visible(timeout=60_000)


def _sign_in(page, password: str = ADMIN_PASSWORD) -> None:
    page.get_by_label("Administrator password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_uploads_on_a_database_other_than_the_local_default_need_the_administrator(served_app, page):
    _open(page, f"{served_app}/data")
    expect(page.get_by_text("Enter the administrator password to upload files.")).to_be_visible(timeout=60_000)
    assert page.locator('[data-testid="stFileUploaderDropzoneInput"]').count() == 0
    _sign_in(page, "not-the-password")
    expect(page.get_by_text("Wrong password.")).to_be_visible(timeout=30_000)
    assert page.locator('[data-testid="stFileUploaderDropzoneInput"]').count() == 0


def test_upload_shows_a_validation_report_before_loading(served_app, page, tmp_path):
    upload = tmp_path / "local_figures.csv"
    upload.write_text("metric_id,org_code,period,value,source\nphb_in_place,LLR,2017-12,240,Local PHB return\n")
    _open(page, f"{served_app}/data")
    _sign_in(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(upload))
    expect(page.get_by_text("Validation report")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Valid: ready to load")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Load 1 rows into the database").click()
    expect(page.get_by_text("Loaded local_figures.csv: 1 added")).to_be_visible(timeout=30_000)


def _contents(database) -> list:
    """Every row of every table of the served database, read-only, in a stable order."""
    import sqlite3

    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return [(t, sorted(map(repr, conn.execute(f'SELECT * FROM "{t}"')))) for t in tables]


def test_upload_of_a_bad_file_names_the_row_and_writes_nothing(served_app, demo_database, page, tmp_path):
    upload = tmp_path / "typo.csv"
    upload.write_text("metric_id,org_code,period,value\nphb_in_place,LLX,2018-01,250\n")
    _open(page, f"{served_app}/data")
    _sign_in(page)
    before = _contents(demo_database)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(upload))
    expect(page.get_by_text("'typo.csv', row 2, column 'org_code'").first).to_be_visible(timeout=60_000)
    assert page.get_by_role("button", name="Load 1 rows into the database").count() == 0
    assert _contents(demo_database) == before


def test_deep_link_as_the_first_request_goes_through_the_router(fresh_server, page):
    # Streamlit runs a pages/ file on its own when a deep link is the first request after a start;
    # the page must still get the navigation, the sidebar filters and the view the link names.
    _open(page, f"{fresh_server}/indicator?metric=beds_ga_occupancy")
    heading = "General and acute bed occupancy: Leicester, Leicestershire and Rutland"
    expect(page.get_by_role("heading", name=heading)).to_be_visible(timeout=60_000)
    sidebar = page.locator('[data-testid="stSidebar"]')
    expect(sidebar.get_by_text("LLR health system")).to_be_visible(timeout=30_000)
    expect(sidebar.get_by_text("Indicator detail")).to_be_visible()
    assert sidebar.get_by_text("indicator", exact=True).count() == 0  # not the file-name menu
    assert page.get_by_text("Page not found").count() == 0


def test_every_page_url_is_the_same_with_or_without_the_router():
    # A deep link on a fresh server is first resolved against the pages/ file names, so every page's
    # url_path must be its file name or that first visitor sees "Page not found".
    import re

    from metrics.catalogue import PROJECT_ROOT

    router = (PROJECT_ROOT / "app.py").read_text()
    pairs = re.findall(r'st\.Page\(\s*"pages/(\w+)\.py"[^)]*?url_path="(\w+)"', router)
    pages = len(list((PROJECT_ROOT / "pages").glob("*.py")))
    assert len(pairs) == pages - 1  # every page but the default one, which lives at "/"
    for path, url in pairs:
        assert path == url
