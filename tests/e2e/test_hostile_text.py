"""Text from data never becomes markup: a source name, an organisation name, a cell and a file name
carrying Markdown and HTML show as those characters on every page, in every message, in the
Plotly legend and in the meeting pack. No link, image or bold text from data reaches the reader
(the image would be fetched by every viewer's browser from a third party)."""

from __future__ import annotations

import datetime as dt
import shutil

import pandas as pd
import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from loaders.ingest import ingest_file
from metrics import store
from metrics.catalogue import load_catalogue
from tests.e2e.conftest import ADMIN_PASSWORD, _Server
from tests.e2e.test_browser import ERROR_SELECTORS, PAGES

pytestmark = pytest.mark.e2e

EVIL = "evil.example"
PIXEL = "127.0.0.1:9"  # nothing listens there; a fetched image would still show in the DOM
SOURCE_NAME = (
    f"[Corrected figures: sign in here](https://{EVIL}/login) ![](http://{PIXEL}/pixel.png) **URGENT** "
    f'<a href="https://{EVIL}/html">here</a> <b>BOLD</b>'
)
ORGANISATION_NAME = f'<a href="https://{EVIL}/org">University Hospitals</a> <b>UHL</b> [x](https://{EVIL}/o) **TRUST**'
CELL = f"**CELL** [a](https://{EVIL}/c) ![](http://{PIXEL}/cell.png)"  # the message quotes 40 characters
FILE_NAME = f"**FILENAME** [file](mailto:boss@{EVIL}) <b>B.csv"  # no "/": it would cut the name

#: Links, images and bold text whose address or words came from the data above.
FROM_DATA = """() => {
  const bad = [];
  for (const a of document.querySelectorAll('a')) {
    const href = a.getAttribute('href') || a.getAttribute('xlink:href') || '';
    if (href.includes('evil.example') || href.includes('127.0.0.1:9')) bad.push('link ' + href);
  }
  for (const img of document.querySelectorAll('img, image')) {
    const src = img.getAttribute('src') || img.getAttribute('href') || img.getAttribute('xlink:href') || '';
    if (src.includes('127.0.0.1:9') || src.includes('evil.example')) bad.push('image ' + src);
  }
  for (const b of document.querySelectorAll('strong, b')) {
    if (/URGENT|BOLD|UHL|TRUST|CELL|FILENAME|\\bB\\b/.test(b.textContent)) bad.push('bold ' + b.textContent);
  }
  return bad;
}"""


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory, demo_database):
    """The demo database with a hostile source name, organisation name and source address, served."""
    folder = tmp_path_factory.mktemp("e2e-hostile")
    database = folder / "hostile.sqlite"
    shutil.copyfile(demo_database, database)
    catalogue = load_catalogue()
    engine = store.make_engine(f"sqlite:///{database}")
    upload = folder / "local-return.csv"
    pd.DataFrame(
        [{"metric_id": "phb_in_place", "org_code": "LLR", "period": "2026-09", "value": 250, "source": SOURCE_NAME}]
    ).to_csv(upload, index=False)
    assert ingest_file(upload, engine, catalogue).status == "loaded"
    with engine.begin() as conn:  # names and addresses in the store are data, whoever wrote them
        conn.execute(text("UPDATE organisation SET name = :n WHERE code = 'RWE'"), {"n": ORGANISATION_NAME})
        conn.execute(text("UPDATE source SET url = 'javascript:alert(1)' WHERE file_name = 'local-return.csv'"))
    engine.dispose()
    server = _Server(folder, database)
    server.wait_until_healthy()
    yield server.url, folder / "dashboard.sqlite"
    server.stop()


def _open(page, url: str) -> None:
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector("h1", timeout=90_000)


def test_a_source_name_on_the_meeting_brief_card_is_text(hostile_app, page):
    url, _ = hostile_app
    _open(page, url)
    expect(page.get_by_text("[Corrected figures: sign in here]", exact=False).first).to_be_attached(timeout=60_000)
    assert page.evaluate(FROM_DATA) == []


def test_an_organisation_name_in_the_plotly_legend_and_hover_is_text(hostile_app, page):
    url, _ = hostile_app
    _open(page, f"{url}/indicator?metric=ae_4hr_all")
    legend = page.locator(".legendtext", has_text='<a href="https://evil.example/org">')
    expect(legend.first).to_be_visible(timeout=60_000)
    assert page.evaluate(FROM_DATA) == []


@pytest.mark.parametrize("path", [p for p, _, _ in PAGES], ids=[p or "brief" for p, _, _ in PAGES])
def test_no_page_turns_the_hostile_names_into_markup(hostile_app, page, path):
    url, _ = hostile_app
    _open(page, f"{url}/{path}")
    # Every element of the page has arrived once the app is idle (no "Running..." indicator).
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=90_000, polling=500
    )
    assert page.locator(ERROR_SELECTORS).count() == 0
    assert page.evaluate(FROM_DATA) == []


def test_a_cell_and_a_file_name_in_upload_messages_are_text(hostile_app, page):
    url, _ = hostile_app
    _open(page, f"{url}/data")
    page.get_by_label("Administrator password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    content = f'metric_id,org_code,period,value,source\nphb_in_place,LLR,2026-10,"{CELL}",x\n'.encode()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        {"name": FILE_NAME, "mimeType": "text/csv", "buffer": content}
    )
    expect(page.get_by_text("Validation report")).to_be_visible(timeout=60_000)
    alert = page.locator('[data-testid="stAlertContentError"]')
    expect(alert).to_contain_text("'**CELL** [a](https", timeout=30_000)  # shown as written, not a link
    expect(alert).to_contain_text("**FILENAME** [file](mailto:boss@")
    expect(alert).to_contain_text("**FILENAME**")
    expect(page.locator('[data-testid="stTable"]')).to_contain_text("[file](mailto:boss@")
    assert page.evaluate(FROM_DATA) == []


def test_the_meeting_pack_escapes_names_and_links_only_web_addresses(hostile_app, page):
    from metrics.pack import pack_html, read_pack

    _, database = hostile_app
    engine = store.make_engine(f"sqlite:///{database}")
    built = read_pack(engine, load_catalogue(), "llr", dt.date(2026, 1, 1), today=dt.date(2026, 12, 1))
    html = pack_html(built)
    engine.dispose()
    assert "javascript:" not in html
    page.set_content(html)
    expect(page.get_by_text("[Corrected figures: sign in here]", exact=False).first).to_be_attached()
    assert page.evaluate(FROM_DATA) == []
