"""The served dashboard in headless Chromium: every page loads, shows its heading and a chart, no error
text, a CSV download works, and a copied link restores the view. Screenshots go to tests/e2e/artifacts/."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PAGES = [
    # (url path, heading that must be visible, whether a chart is expected)
    ("", "Meeting brief: Leicester, Leicestershire and Rutland", False),
    ("targets", "Targets: Leicester, Leicestershire and Rutland", False),
    ("urgent-care", "Urgent and emergency care", True),
    ("beds", "Beds", True),
    ("discharge", "Discharge and delays", True),
    ("better-care-fund", "Better Care Fund", True),
    ("home-first", "Home First", True),
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
        expect(page.locator('[data-testid="stMetricValue"]').first).to_be_visible(timeout=60_000)
    assert page.locator(ERROR_SELECTORS).count() == 0, "the page shows an error"
    assert "Traceback" not in page.content()
    page.screenshot(path=str(artifacts / f"{path or 'meeting-brief'}.png"), full_page=False)


def test_csv_download_gives_the_figures(served_app, page):
    _open(page, f"{served_app}/indicator?metric=ae_4hr_all")
    with page.expect_download(timeout=30_000) as download_info:
        page.get_by_role("button", name="Download CSV").first.click()
    content = download_info.value.path().read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(content)))
    assert rows, "the CSV has rows"
    assert {"period", "numerator", "denominator", "value"} <= set(rows[0])
    assert rows[0]["period"] == "April 2016"


def test_copied_link_restores_the_area(served_app, page):
    _open(page, f"{served_app}/?area=Rutland")
    expect(page.get_by_role("heading", name="Meeting brief: Rutland", exact=True)).to_be_visible(timeout=60_000)
