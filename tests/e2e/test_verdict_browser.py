"""Issue #20 in the browser, on the published default (data/published, the brief's default meeting), at
desktop width and on a 390 px phone: the A&E card says its verdict in one sentence, and University
Hospitals of Leicester's own figure, target verdict and rank stand beside the LLR blend in a paragraph
of their own (not the grey "Made up of" caption). Screenshots go to tests/e2e/artifacts/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

CARD = "card-ae_4hr_all"
UHL = "University Hospitals of Leicester (emergency department and eye casualty)"
SIZES = {"desktop": {"width": 1400, "height": 1000}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("size", list(SIZES))
def test_a_and_e_card_one_verdict_and_uhl_beside_the_blend(published_app, browser, artifacts, size):
    viewport = SIZES[size]
    phone = size == "phone"
    context = browser.new_context(viewport=viewport, device_scale_factor=2 if phone else 1, is_mobile=phone,
                                  has_touch=phone)  # fmt: skip
    page = context.new_page()
    try:
        page.goto(published_app, wait_until="domcontentloaded")  # the published default: no parameters
        card = page.locator(f"#{CARD}")
        expect(card).to_be_visible(timeout=90_000)
        main = card.locator(".llr-card .llr-main")
        expect(main).to_contain_text("on its own", timeout=60_000)
        main.scroll_into_view_if_needed()
        text = card.inner_text()

        # one verdict sentence, which says both what the badges say
        assert text.count("The latest figure, ") == 1, text
        verdict = re.search(r"The latest figure, [^\n]*?\.(?=\s|$)", text).group(0)
        assert "met the 78% target, but" in verdict and "the target will usually be missed" in verdict, verdict
        assert "Target met" in text and "Consistently misses target" in text

        # UHL's own figure, verdict and rank, in a paragraph of its own rather than a grey caption
        own = main.inner_text()
        assert own.startswith(f"{UHL} on its own:"), own
        assert main.evaluate("e => getComputedStyle(e).borderTopStyle") == "solid", "a paragraph of its own, boxed"
        figure = re.search(r"on its own: (\d+\.\d%) in (\w+ \d{4})", own)
        assert figure, own
        made_up = re.search(re.escape(UHL) + r": (\d+\.\d%)", card.locator(".llr-parts").inner_text())  # fmt: skip
        assert made_up and made_up.group(1) == figure.group(1), "the same figure as in the 'Made up of' line"
        gap = re.search(r"Missed the 78% target by (\d+\.\d) percentage points\.", own)
        assert gap and float(gap.group(1)) == pytest.approx(78 - float(figure.group(1)[:-1]), abs=0.11)
        rank = re.search(r"Ranked (\d+)(?:st|nd|rd|th) of (\d+) NHS trusts with a major \(type 1\) emergency "
                         r"department", own)  # fmt: skip
        assert rank and 1 <= int(rank.group(1)) <= int(rank.group(2)), own

        box = main.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"] + 1
        if phone:
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], "no sideways scroll"
        card.screenshot(path=str(artifacts / f"brief-a-and-e-card-{size}.png"))
    finally:
        context.close()
