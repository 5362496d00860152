"""The meeting pack printed by headless Chromium: page count, page numbers and text of the PDF.

Screenshots of the first two PDF pages and of a topic section of the HTML pack go to
tests/e2e/artifacts/ (meeting-pack-page-1.png, meeting-pack-page-2.png, meeting-pack-section.png).
"""

from __future__ import annotations

import datetime as dt
import io
import unicodedata

import pytest
from pypdf import PdfReader

from loaders.demo import build_demo_database
from loaders.snapshot import PUBLISHED_DIR, restore_snapshot
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
    text = unicodedata.normalize("NFKC", "\n".join(pages))  # "ﬁ" ligatures as "fi"
    for topic in demo_pack.topics:
        assert topic.name in text
    assert "Summary" in pages[1] + pages[2]
    assert "Since the meeting on 1 June 2025" in text.replace("\n", " ")
    assert "Demonstration data" in pages[0]
    assert "Appendix: source files" in text and "Glossary of the SPC signs" in text
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


#: The committee's last meeting and the day the pack is made, for the pack on the published statistics.
LAST_MEETING, MADE = dt.date(2026, 9, 1), dt.date(2026, 12, 4)


@pytest.fixture(scope="module")
def published_pdf(browser, tmp_path_factory, catalogue, artifacts):
    """The LLR pack on the published snapshot (data/published), printed: its pages' text."""
    engine = store.make_engine(f"sqlite:///{tmp_path_factory.mktemp('published') / 'published.sqlite'}")
    restore_snapshot(engine, PUBLISHED_DIR, catalogue)
    built = read_pack(engine, catalogue, "llr", LAST_MEETING, today=MADE, generated_at=dt.datetime(2026, 12, 4, 9))
    engine.dispose()
    pdf = pack_pdf(built, pack_html(built))
    (artifacts / "meeting-pack-llr-published.pdf").write_bytes(pdf)
    # The text as read, ligatures ("ﬁ") as letters.
    return built, [unicodedata.normalize("NFKC", page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


def test_published_pack_speaks_of_the_last_meeting_and_is_short(published_pdf):
    built, pages = published_pdf
    cover = " ".join(pages[0].split())
    assert "Changes since the last meeting on 1 September 2026" in cover
    assert "for the meeting on" not in " ".join(pages)
    assert "Figures held up to March 2026" in cover
    assert "April 2026 to October 2026 not loaded yet" in cover  # A&E: due by 4 December, not loaded
    # 73 pages when every discontinued series had a chart page and every file a table row.
    assert len(pages) <= 25, f"{len(pages)} pages"
    assert f"Page {len(pages)} of {len(pages)}" in pages[-1]


def test_published_pack_has_one_annex_for_discontinued_series(published_pdf):
    built, pages = published_pdf
    ended = [item for item in built.items if item.discontinued]
    assert len(ended) == 18  # the delayed transfers of care series, ending December 2019
    annex = [i for i, text in enumerate(pages) if text.startswith("Annex: discontinued series")]
    assert len(annex) == 1
    text = " ".join(" ".join(pages[annex[0] : annex[0] + 2]).split())
    assert "stopped in February 2020" in text
    for item in ended:
        assert item.indicator.metric.name in text
    charted = " ".join(" ".join(pages[: annex[0]]).split())
    assert "Delayed transfer of care days, Leicester" not in charted, "no chart for a discontinued series"


def test_published_pack_charts_carry_a_legend(published_pdf):
    built, pages = published_pdf
    text = " ".join(" ".join(pages).split())
    charted = [item for t in built.topics for item in t.charted]
    # Every chart's legend names its series; those with process limits name them too.
    assert text.count("Figures (common cause)") == len(charted)
    with_limits = sum(item.indicator.series["mean"].notna().any() for item in charted)
    assert with_limits and text.count("Lower process limit") == with_limits
    assert "Target" in text and "Special cause: improvement" in text
    assert "the target is the green dash-dot line" in text
