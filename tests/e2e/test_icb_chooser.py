"""In Chromium, on the published figures with the ODS and ONS reference files loaded: a councillor
types part of a system's name in the area chooser and lands on its brief; Compare areas draws the
funnel plot for it."""

from __future__ import annotations

import subprocess
import sys

import pytest
from playwright.sync_api import expect

from metrics.catalogue import PROJECT_ROOT
from tests.e2e.conftest import _Server
from tests.loaders.test_reference import FILES, reference_file

pytestmark = pytest.mark.e2e

ERROR_SELECTORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'


@pytest.fixture(scope="module")
def icb_app(tmp_path_factory):
    """The dashboard served on data/published plus the reference files (its own database)."""
    folder = tmp_path_factory.mktemp("e2e-icb")
    url = f"sqlite:///{folder / 'icb.sqlite'}"
    for command in (["restore", "data/published"], ["ingest", *(str(reference_file(r)) for r in FILES)]):
        done = subprocess.run(
            [sys.executable, "-m", "loaders", *command, "--db", url],
            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    server = _Server(folder, folder / "icb.sqlite")
    server.wait_until_healthy()
    yield server.url
    server.stop()


def test_typing_part_of_a_name_lands_on_that_systems_brief(icb_app, page, artifacts):
    page.goto(f"{icb_app}/", wait_until="domcontentloaded")
    expect(page.get_by_role("heading", name="Meeting brief: Leicester, Leicestershire and Rutland")).to_be_visible(
        timeout=90_000
    )
    chooser = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first
    chooser.click()
    page.keyboard.type("Lancash")
    page.get_by_role("option", name="Lancashire and South Cumbria (QE1)").click()
    heading = "Meeting brief: NHS Lancashire and South Cumbria Integrated Care Board"
    expect(page.get_by_role("heading", name=heading)).to_be_visible(timeout=90_000)
    expect(page.locator(".llr-card .llr-figure-value").first).to_be_visible(timeout=60_000)
    assert "area=" in page.url
    assert page.locator(ERROR_SELECTORS).count() == 0, "the page shows an error"
    page.screenshot(path=str(artifacts / "brief-qe1.png"), full_page=False)


def test_an_ods_code_in_the_link_opens_compare_with_the_funnel(icb_app, page, artifacts):
    page.goto(f"{icb_app}/compare?area=qe1&metric=ae_4hr_all", wait_until="domcontentloaded")
    expect(page.get_by_role("heading", name="Every integrated care board beside England")).to_be_visible(timeout=90_000)
    expect(page.get_by_text("Outside the 99.8% limits, above England").first).to_be_visible(timeout=60_000)
    funnel = page.locator(".js-plotly-plot").nth(1)
    funnel.scroll_into_view_if_needed()
    expect(funnel).to_be_visible(timeout=60_000)
    expect(funnel.get_by_text("99.8% limits")).to_be_visible(timeout=60_000)  # the legend
    assert page.locator(ERROR_SELECTORS).count() == 0, "the page shows an error"
    funnel.screenshot(path=str(artifacts / "compare-qe1-funnel.png"))
