"""The meeting pack as a PDF, printed by headless Chromium (Debian's ``chromium``) via Playwright.

Chromium's print-to-PDF ignores CSS page-margin boxes, so page numbers come from Playwright's
footer template (``pageNumber`` / ``totalPages``). The page is given the pack's HTML directly and
every network request is refused, so printing needs no network. No browser is downloaded: the
Chromium already used for the browser tests is launched from its path.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from html import escape
from pathlib import Path

from metrics.pack.gather import Pack

CHROMIUM_VARIABLE = "CHROMIUM_PATH"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium tries to reach Google's services at start-up.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
MARGIN = {"top": "14mm", "bottom": "18mm", "left": "14mm", "right": "14mm"}


class PdfUnavailable(RuntimeError):
    """No Chromium to print with; the message says what to install."""


def chromium_path() -> Path | None:
    """Chromium named by ``CHROMIUM_PATH``, else Debian's ``/usr/bin/chromium``, if it exists."""
    path = Path(os.environ.get(CHROMIUM_VARIABLE) or DEFAULT_CHROMIUM)
    return path if path.exists() else None


def footer(pack: Pack) -> str:
    """The footer on every printed page: the pack's name, the last meeting, when it was made and 'Page n of N'."""
    return (
        '<div style="font-family: Arial, sans-serif; font-size: 8px; color: #425563; width: 100%; '
        'padding: 0 14mm; display: flex; justify-content: space-between;">'
        f"<span>Meeting pack: {escape(pack.area_name)}; changes since the last meeting on {pack.meeting_date.day} "
        f"{pack.meeting_date:%B %Y}; made {pack.generated_at.day} {pack.generated_at:%B %Y}</span>"
        '<span>Page <span class="pageNumber"></span> of <span class="totalPages"></span></span></div>'
    )


def html_to_pdf(html: str, footer_template: str) -> bytes:
    """Print ``html`` to an A4 PDF with ``footer_template`` on every page.

    Raises
    ------
    PdfUnavailable
        When Chromium is not installed.
    """
    browser = chromium_path()
    if browser is None:
        raise PdfUnavailable(
            f"no Chromium at {os.environ.get(CHROMIUM_VARIABLE) or DEFAULT_CHROMIUM} to print the PDF: install it "
            f"(Debian/Ubuntu: `apt-get install chromium`) or set {CHROMIUM_VARIABLE}; the HTML pack prints the same"
        )
    # Playwright's sync API refuses to run inside a thread with an event loop (Streamlit's may have
    # one), so it runs in a worker thread of its own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_print, html, footer_template, str(browser)).result()


def _print(html: str, footer_template: str, browser: str) -> bytes:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=browser, args=CHROMIUM_ARGS)
        try:
            page = chromium.new_page()
            page.route("**/*", lambda route: route.abort())  # nothing is fetched: the pack is self-contained
            page.set_content(html, wait_until="load")
            page.emulate_media(media="print")
            return page.pdf(
                format="A4",
                print_background=True,
                display_header_footer=True,
                header_template="<span></span>",
                footer_template=footer_template,
                margin=MARGIN,
                prefer_css_page_size=True,
            )
        finally:
            chromium.close()


def pack_pdf(pack: Pack, html: str) -> bytes:
    """The pack's HTML (``metrics.pack.page.pack_html``) printed to PDF."""
    return html_to_pdf(html, footer(pack))
