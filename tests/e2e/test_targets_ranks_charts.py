"""Issue #20 on the published default, in headless Chromium at 1280 px and on a 390 px phone: Targets with
each figure's period and currency, ranks of one period, charts a phone can read, events only where they
belong, plain words, and a typed meeting date that applies on Enter. Screenshots go to tests/e2e/artifacts/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


def _grid_cells(page, header: str) -> list[str]:
    """The visible cells of the first table with a column ``header`` (the table's accessible grid)."""
    column = page.locator('[role="columnheader"]', has_text=header)
    grid = page.locator('[data-testid="stDataFrame"]').filter(has=column)
    expect(grid.first).to_be_visible(timeout=90_000)
    cells = grid.first.locator('[role="gridcell"]')
    expect(cells.first).to_be_attached(timeout=30_000)
    return cells.all_inner_texts()


def _figure(page, index: int = 0) -> dict:
    """The figure Plotly drew (its data and layout), as the browser holds it."""
    expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=90_000)
    # Every chart of the page drawn (a lighter chart further down can be drawn first, and an
    # element is only a .js-plotly-plot once Plotly has drawn it), so nth(index) is in page order.
    page.wait_for_function(
        "() => document.querySelector('[data-testid=stApp]')?.dataset.testScriptState === 'notRunning'"
        " && document.querySelectorAll('[data-testid=stPlotlyChart]').length > 0"
        " && document.querySelectorAll('[data-testid=stPlotlyChart]').length"
        " === document.querySelectorAll('[data-testid=stPlotlyChart] .js-plotly-plot').length",
        timeout=90_000,
    )
    plot = page.locator(".js-plotly-plot").nth(index)
    return plot.evaluate(
        "p => ({data: p.data.map(t => ({name: t.name, showlegend: t.showlegend})),"
        " annotations: (p.layout.annotations || []).map(a => ({text: a.text, hovertext: a.hovertext || ''}))})"
    )


def test_targets_rows_say_how_old_their_figure_is(published_app, page, artifacts):
    page.goto(f"{published_app}/targets", wait_until="domcontentloaded")
    cells = _grid_cells(page, "Latest period")
    headers = page.locator('[data-testid="stDataFrame"] [role="columnheader"]').all_inner_texts()
    assert headers[:3] == ["Indicator", "Latest period", "Currency"]
    assert "March 2026" in cells, "the period of each figure"
    assert "Newer figures not held" in cells or "Current" in cells, "the currency of each figure"
    page.screenshot(path=str(artifacts / "targets-1280px.png"), full_page=True)


def test_targets_on_a_phone_are_cards_with_period_and_currency(published_app, phone, artifacts):
    phone.goto(f"{published_app}/targets", wait_until="domcontentloaded")
    first = phone.locator(".narrow-list li").first
    expect(first).to_be_visible(timeout=90_000)
    assert not phone.locator('[data-testid="stDataFrame"]').first.is_visible(), "no wide table on a phone"
    text = first.inner_text()
    assert "Latest period: March 2026" in text and "Currency: " in text and "Status: " in text
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "no sideways scrolling"
    first.scroll_into_view_if_needed()
    phone.screenshot(path=str(artifacts / "targets-390px.png"))


def test_ranks_are_of_one_period_without_the_closed_site(published_app, page):
    page.goto(f"{published_app}/compare?metric=ae_4hr_all", wait_until="domcontentloaded")
    cells = _grid_cells(page, "Ranked among")
    assert cells, "the ranks are shown"
    assert "March 2026" in cells and "April 2022" not in cells
    expect(page.get_by_text("Loughborough Urgent Care Centre (earlier code)")).to_have_count(0)


def test_the_a_and_e_chart_names_its_gap_and_shows_every_legend_symbol(published_app, page, artifacts):
    page.goto(f"{published_app}/indicator?metric=ae_4hr_all&from=2016", wait_until="domcontentloaded")
    figure = _figure(page)
    texts = [a["text"] for a in figure["annotations"]]
    assert "No figures held<br>Apr 2019 – Mar 2020" in texts
    legend = [t["name"] for t in figure["data"] if t["showlegend"] is not False]
    assert "Incomplete (left out of limits)" in legend
    assert not any("Home First" in a["hovertext"] for a in figure["annotations"]), "Home First is not an A&E event"
    page.locator(".js-plotly-plot").first.screenshot(path=str(artifacts / "ae-chart-1280px.png"))


def test_the_beds_chart_carries_no_home_first_event(published_app, page):
    page.goto(f"{published_app}/beds?metric=beds_ga_occupancy&from=2016", wait_until="domcontentloaded")
    figure = _figure(page)
    assert figure["annotations"], "the chart carries its events"
    assert not any("Home First" in a["hovertext"] for a in figure["annotations"])
    expect(page.get_by_text("Home First model live")).to_have_count(0)


def test_chart_ticks_do_not_overlap_on_a_phone(published_app, phone, artifacts):
    phone.goto(f"{published_app}/indicator?metric=ae_4hr_all&from=2010", wait_until="domcontentloaded")
    plot = phone.locator(".js-plotly-plot").first
    expect(plot).to_be_visible(timeout=90_000)
    plot.scroll_into_view_if_needed()
    phone.wait_for_timeout(1000)
    boxes = plot.locator(".xtick text").evaluate_all(
        "ts => ts.map(t => { const r = t.getBoundingClientRect();"
        " return [r.left, r.right, t.getAttribute('transform')]; })"
    )
    assert len(boxes) >= 2
    assert all("rotate" not in (b[2] or "") for b in boxes), "labels are level, not turned to fit"
    for (_, right, _), (left, _, _) in zip(boxes, boxes[1:], strict=False):
        assert right <= left, "tick labels never overlap"
    plot.screenshot(path=str(artifacts / "ae-chart-390px.png"))


def test_words_for_councillors(published_app, page):
    page.goto(f"{published_app}/home_first", wait_until="domcontentloaded")
    expect(
        page.get_by_text("Not loaded yet for LLR, so not shown: Urgent community response within 2 hours.")
    ).to_be_visible(timeout=90_000)
    page.goto(f"{published_app}/?meeting=2025-12-01", wait_until="domcontentloaded")
    expect(page.get_by_role("heading", name="Since the meeting", exact=True)).to_be_visible(timeout=90_000)
    body = page.locator("body").inner_text()
    assert "python -m" not in body and "SPC" not in body


def test_a_typed_meeting_date_applies_on_enter(published_app, page):
    page.goto(f"{published_app}/?meeting=2025-12-01", wait_until="domcontentloaded")
    expect(page.get_by_role("heading", name="Since the meeting", exact=True)).to_be_visible(timeout=90_000)
    page.get_by_role("spinbutton", name="day, Last meeting").click()
    page.keyboard.type("15062025")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"meeting=2025-06-15"), timeout=30_000)
