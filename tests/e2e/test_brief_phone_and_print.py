"""The meeting brief on the published default (data/published), served and opened in headless Chromium: on a phone
(390 px wide) and printed to A4. The screenshot and the PDF are saved to tests/e2e/artifacts/."""

from __future__ import annotations

import io
import re
import unicodedata

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

pytestmark = pytest.mark.e2e

MEETING = "2025-12-01"
PHONE = {"width": 390, "height": 844}
CARD = "card-ae_4hr_all"


def _open_brief(page, url: str) -> None:
    page.goto(f"{url}/?meeting={MEETING}", wait_until="domcontentloaded")
    expect(page.get_by_role("heading", name="Since the meeting", exact=True)).to_be_visible(timeout=90_000)
    expect(page.locator(".llr-card .llr-figure-value").first).to_be_visible(timeout=60_000)


def test_brief_on_a_phone_is_not_covered_by_the_sidebar(published_app, browser, artifacts):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        _open_brief(page, published_app)
        sidebar = page.locator('[data-testid="stSidebar"]').bounding_box()
        assert sidebar is None or sidebar["width"] == 0 or sidebar["x"] + sidebar["width"] <= 0, (
            "the sidebar starts collapsed on a phone, off the page"
        )
        summary = page.get_by_role("heading", name="Since the meeting", exact=True).bounding_box()
        assert summary is not None and summary["x"] >= 0 and summary["x"] + summary["width"] <= PHONE["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "no sideways scrolling"
        page.screenshot(path=str(artifacts / "meeting-brief-390px.png"))
        page.locator(f"#{CARD}").scroll_into_view_if_needed()
        card = page.locator(f"#{CARD}").bounding_box()
        assert card is not None and card["x"] + card["width"] <= PHONE["width"]
        delta = page.locator(f"#{CARD} .llr-change").first
        assert delta.evaluate(
            "p => { const r = p.getBoundingClientRect(); const c = p.closest('.llr-card').getBoundingClientRect();"
            " return r.right <= c.right + 1 && p.scrollWidth <= p.clientWidth + 1; }"
        ), "the change since the meeting wraps rather than being cut short"
        page.screenshot(path=str(artifacts / "meeting-brief-390px-card.png"))
    finally:
        context.close()


def test_brief_prints_on_a4_without_navigation(published_app, browser, artifacts):
    context = browser.new_context(viewport={"width": 1200, "height": 1000})
    page = context.new_page()
    try:
        _open_brief(page, published_app)
        page.emulate_media(media="print")
        for selector in ('[data-testid="stSidebar"]', '[data-testid="stHeader"]', '[data-testid="stButtonGroup"]',
                         '[data-testid="stDownloadButton"]'):  # fmt: skip
            # The print style sheet is an element of the page too: wait for it to apply, as a reader's
            # print dialog would, rather than look in the same instant as the last card is drawn.
            expect(page.locator(selector).first, f"{selector} is hidden on paper").to_be_hidden(timeout=15_000)
        expect(page.get_by_role("heading", name="Since the meeting", exact=True)).to_be_visible()
        # the sparklines are drawn again at the printed width before the page is printed
        expect(page.locator(".llr-card img.llr-spark").first).to_be_visible(timeout=30_000)
        page.wait_for_timeout(1500)
        badge = page.get_by_text("Consistently misses target").first
        assert badge.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), "badge labels are not cut"
        pdf = page.pdf(path=str(artifacts / "meeting-brief-a4.pdf"), format="A4", print_background=True)
        assert pdf.startswith(b"%PDF")
        assert b"/MediaBox [0 0 595" in pdf or b"/MediaBox [0 0 594" in pdf, "A4 pages"
    finally:
        context.close()


def test_printed_brief_has_nothing_collapsed_and_numbered_pages(published_app, browser, artifacts):
    """On paper the collapsed lists (questions for the chair, discontinued collections) are printed,
    every page says "Page n of N", and the brief says when the dashboard drew it."""
    context = browser.new_context(viewport={"width": 1200, "height": 1000})
    page = context.new_page()
    try:
        _open_brief(page, published_app)
        closed = page.locator('[data-testid="stExpander"] details:not([open])')
        assert closed.count() >= 2, "the chair's questions and the discontinued collections start collapsed"
        page.emulate_media(media="print")
        page.wait_for_timeout(1500)
        pdf = page.pdf(path=str(artifacts / "meeting-brief-a4-expanded.pdf"), format="A4", print_background=True)
    finally:
        context.close()
    pages = [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages]
    text = unicodedata.normalize("NFKC", " ".join(pages))
    assert "Suggested from what the figures say" in text, "the chair's questions are printed"
    assert "Delayed transfer of care days" in text and "Collections that have stopped" in text
    for number, words in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in words
    assert re.search(r"as the dashboard showed it on \d{1,2} \w+ \d{4} at \d\d:\d\d", text)


def test_icons_view_fits_one_line_per_indicator(published_app, page, artifacts):
    page.goto(f"{published_app}/?meeting={MEETING}&view=Icons+only", wait_until="domcontentloaded")
    first = page.locator(".icons-list li").first
    expect(first).to_be_visible(timeout=90_000)
    assert page.locator(".llr-card").count() == 0, "no cards in the icons view"
    expect(page.get_by_text("What the icons mean", exact=True)).to_be_visible()
    main = page.locator('[data-testid="stMainBlockContainer"]').bounding_box()
    widest = page.evaluate(
        "Math.max(...[...document.querySelectorAll('.icons-list li')].map(e => e.getBoundingClientRect().right))"
    )
    assert widest <= main["x"] + main["width"], "every line fits the page's width: no sideways scrolling"
    icon, words = first.locator(".icon img").first.bounding_box(), first.locator(".icon span").first.bounding_box()
    assert abs(icon["y"] + icon["height"] / 2 - (words["y"] + words["height"] / 2)) < 12, "words beside the icon"
    name, assurance = first.locator(".name").bounding_box(), first.locator(".icon").nth(1).bounding_box()
    assert name["x"] < icon["x"] < assurance["x"], "name, variation and assurance side by side on a wide screen"
    assert abs(name["y"] - assurance["y"]) < 30, "one row per indicator"
    first.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "meeting-brief-icons.png"))
    page.get_by_text("Show as a sortable table").click()
    expect(page.locator('[data-testid="stDataFrame"]').first).to_be_visible()


def test_icons_view_on_a_phone_is_a_list_with_words_and_the_legend(published_app, browser, artifacts):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{published_app}/?meeting={MEETING}&view=Icons+only", wait_until="domcontentloaded")
        legend = page.get_by_text("What the icons mean", exact=True)
        expect(legend).to_be_visible(timeout=90_000)
        expect(page.locator(".icons-legend").get_by_text("Consistently misses target")).to_be_visible()
        assert not page.locator('[data-testid="stDataFrame"]').first.is_visible(), "no wide table on a phone"
        first = page.locator(".icons-list li").first
        first.scroll_into_view_if_needed()
        expect(first).to_be_visible()
        assert page.locator(".icons-list li").count() > 20, "one line per indicator"
        # Each icon has its words beside it, inside the screen.
        line = first.locator(".icon").first
        assert line.inner_text().startswith("Variation: ")
        box = line.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "no sideways scrolling"
        widest = page.evaluate(
            "Math.max(...[...document.querySelectorAll('.icons-list li')].map(e => e.getBoundingClientRect().right))"
        )
        assert widest <= PHONE["width"], "every line fits the phone's width"
        page.screenshot(path=str(artifacts / "meeting-brief-icons-390px.png"))
    finally:
        context.close()
