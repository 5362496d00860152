"""Issue #20 points 1, 2 and 5 in the browser, on the published default at desktop width and on a
390 px phone: the assumed last meeting is three months before today (not before the newest figure),
a brief with nothing new says so in words, and figures reported for one council (Rutland's Better
Care Fund pool and reablement count) are never shown as the LLR area's."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from ui.filters import default_meeting_date

pytestmark = pytest.mark.e2e

SIZES = {"desktop": {"width": 1400, "height": 1000}, "phone": {"width": 390, "height": 844}}
#: Reported for Rutland County Council alone (Rutland Health and Wellbeing Board paper).
ONE_COUNCIL_ONLY = ("bcf_pooled_fund", "bcf_programme_value", "reablement_cases")


@pytest.mark.parametrize("size", list(SIZES))
def test_recent_default_meeting_nothing_new_and_no_council_figure_as_llr(published_app, browser, artifacts, size):
    phone = size == "phone"
    context = browser.new_context(viewport=SIZES[size], is_mobile=phone, has_touch=phone)
    page = context.new_page()
    try:
        page.goto(published_app, wait_until="domcontentloaded")
        summary = page.locator('[class*="st-key-brief-summary"]').first
        expect(summary).to_be_visible(timeout=90_000)
        meeting = default_meeting_date(dt.date.today())
        words = f"{meeting.day} {meeting:%B %Y}"
        assert (dt.date.today() - meeting).days <= 123, "the assumed last meeting is recent"
        expect(page.get_by_text(f"what has changed since the meeting on {words}", exact=False)).to_be_visible()
        # The published figures end in March 2026, before any meeting this default can give: nothing
        # is new, and the summary says so instead of speaking of change.
        expect(summary).to_contain_text(f"No indicator has a new figure since the meeting on {words}.")
        text = summary.inner_text()
        assert "moved significantly" not in text and "of 0" not in text, text
        expect(page.locator(".llr-brief-card").first).to_be_attached(timeout=60_000)  # the cards are drawn
        body = page.locator('[data-testid="stMain"]').inner_text()
        for metric_id in ONE_COUNCIL_ONLY:
            assert page.locator(f"#card-{metric_id}").count() == 0, metric_id
        assert "Leicester, Leicestershire and Rutland: 47" not in body
        assert "2,061,000" not in body
        page.screenshot(path=str(artifacts / f"brief-currency-{size}.png"))
    finally:
        context.close()
