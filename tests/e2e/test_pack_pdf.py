"""The meeting pack printed by headless Chromium: page count, page numbers and text of the PDF.

Screenshots of the first two PDF pages and of a topic section of the HTML pack go to
tests/e2e/artifacts/ (meeting-pack-page-1.png, meeting-pack-page-2.png, meeting-pack-section.png).
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from loaders.demo import build_demo_database
from metrics import store
from metrics.pack import pack_html, pack_pdf, read_pack

pytestmark = pytest.mark.e2e

MEETING = dt.date(2025, 6, 1)


@pytest.fixture(scope="module")
def demo_pack(tmp_path_factory, catalogue):
    engine = store.make_engine(f"sqlite:///{tmp_path_factory.mktemp('packdb') / 'demo.sqlite'}")
    build_demo_database(engine, catalogue)
    built = read_pack(engine, catalogue, "llr", MEETING)
    engine.dispose()
    return built


@pytest.fixture(scope="module")
def printed(browser, demo_pack, artifacts):
    """The pack's HTML and PDF (``browser`` skips the module when Chromium is absent)."""
    html = pack_html(demo_pack)
    pdf = pack_pdf(demo_pack, html)
    (artifacts / "meeting-pack.html").write_text(html, encoding="utf-8")
    (artifacts / "meeting-pack.pdf").write_bytes(pdf)
    return html, pdf


def test_pdf_pages_numbers_and_text(demo_pack, printed):
    reader = PdfReader(io.BytesIO(printed[1]))
    pages = [p.extract_text() for p in reader.pages]
    n_items = len(demo_pack.items)
    # A cover, the summary, the actions due, the questions, one section per topic (each starts a
    # page) and the appendix; at most about two indicators and about six questions to a page.
    question_pages = -(-len(demo_pack.questions) // 6)
    assert 5 + len(demo_pack.topics) <= len(pages) <= n_items + 12 + question_pages
    assert "Meeting pack: Leicester, Leicestershire" in pages[0]
    assert "1 June 2025" in pages[0]
    assert f"Page 1 of {len(pages)}" in pages[0]
    assert f"Page {len(pages)} of {len(pages)}" in pages[-1]
    text = "\n".join(pages)
    for topic in demo_pack.topics:
        assert topic.name in text
    assert "Summary" in pages[1] + pages[2]
    assert "Since the meeting on 1 June 2025" in text.replace("\n", " ")
    assert "Demonstration data" in pages[0]
    assert "Appendix: sources" in text and "Glossary of the SPC signs" in text
    assert "Actions due and overdue" in text and "Questions" in text


def test_screenshots_of_the_pdf_and_a_section(browser, printed, artifacts):
    context = browser.new_context(viewport={"width": 1000, "height": 1400})
    try:
        pdf_file = (artifacts / "meeting-pack.pdf").as_uri()
        for number in (1, 2):
            viewer = context.new_page()  # a fresh viewer per page: a changed #page= is not a new load
            viewer.goto(f"{pdf_file}#page={number}")
            shot = artifacts / f"meeting-pack-page-{number}.png"
            for _ in range(8):  # Chromium's PDF viewer draws after load, later on a busy machine
                viewer.wait_for_timeout(2500)
                viewer.screenshot(path=str(shot))
                if shot.stat().st_size > 10_000:
                    break
            viewer.close()
        page = context.new_page()
        page.goto((artifacts / "meeting-pack.html").as_uri())
        section = page.locator("#topic-urgent_care")
        assert section.locator("svg.spc-chart").count() >= 1
        section.locator("article").first.screenshot(path=str(artifacts / "meeting-pack-section.png"))
    finally:
        context.close()
    for name in ("meeting-pack-page-1.png", "meeting-pack-page-2.png", "meeting-pack-section.png"):
        assert (artifacts / name).stat().st_size > 10_000
