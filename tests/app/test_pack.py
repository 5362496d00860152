"""The meeting pack from the Meeting brief page and from ``python -m loaders pack``: the same files,
and the same numbers as ``python -m loaders export``."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import app_test

from loaders.cli import main
from metrics.pack import chromium_path
from tests.app.conftest import app_runner

MEETING = "2025-06-01"
TOPICS = ["urgent_care", "beds"]
GENERATED = re.compile(r"<time datetime=\"[^\"]+\">Generated [^<]+</time>")


@pytest.fixture
def downloads(monkeypatch) -> dict[str, bytes]:
    """The files the page offers for download, by file name (recorded as AppTest stores them)."""
    captured: dict[str, bytes] = {}

    class Recording(MemoryMediaFileStorage):
        def load_and_get_id(self, path_or_data, mimetype, kind, filename=None):
            if filename and isinstance(path_or_data, bytes):
                captured[filename] = path_or_data
            return super().load_and_get_id(path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(app_test, "MemoryMediaFileStorage", Recording)
    return captured


def cli_pack(db_url: str, out, *extra: str) -> dict[str, bytes]:
    args = ["pack", "--area", "llr", "--since", MEETING, "--topics", *TOPICS, "--out", str(out), "--db", db_url]
    assert main([*args, *extra]) == 0
    return {p.name: p.read_bytes() for p in out.iterdir()}


def cells(content: bytes) -> dict[str, list[list]]:
    """Every sheet's values and number formats, leaving out the About sheet's 'Generated' line."""
    wb = openpyxl.load_workbook(io.BytesIO(content))
    out = {}
    for ws in wb.worksheets:
        out[ws.title] = [
            [(c.value, c.number_format) for c in row]
            for row in ws.iter_rows()
            if not (ws.title == "About" and row[0].value == "Generated")
        ]
    return out


def pdf_text(content: bytes) -> tuple[int, str]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return len(reader.pages), re.sub(r"Generated \d+ \w+ \d{4} at \d\d:\d\d", "Generated", text)


def test_page_download_and_cli_give_the_same_files(monkeypatch, demo_db_url, downloads, tmp_path):
    run = app_runner(monkeypatch, demo_db_url)
    at = run("pages/meeting_brief.py", meeting=MEETING)
    assert "Download the meeting pack" in [s.value for s in at.subheader]
    at.multiselect(key="pack-topics").set_value(TOPICS).run()
    at.button(key="pack-prepare").click().run()
    assert not at.exception, [e.value for e in at.exception]
    stem = f"meeting-pack-llr-{MEETING}"
    expected = {f"{stem}.html", f"{stem}.xlsx"} | ({f"{stem}.pdf"} if chromium_path() else set())
    assert {name for name in downloads if name.startswith("meeting-pack")} == expected
    files = cli_pack(demo_db_url, tmp_path / "out", *([] if chromium_path() else ["--no-pdf"]))
    assert set(files) == expected
    page_html, cli_html = downloads[f"{stem}.html"].decode(), files[f"{stem}.html"].decode()
    assert GENERATED.search(page_html) and GENERATED.search(cli_html)
    assert GENERATED.sub("", page_html) == GENERATED.sub("", cli_html)
    assert cells(downloads[f"{stem}.xlsx"]) == cells(files[f"{stem}.xlsx"])
    if chromium_path():
        assert pdf_text(downloads[f"{stem}.pdf"]) == pdf_text(files[f"{stem}.pdf"])


def export_rows(db_url: str, metric: str, orgs, capsys) -> list[dict]:
    capsys.readouterr()
    assert main(["export", "--metric", metric, *[a for o in orgs for a in ("--org", o)], "--db", db_url]) == 0
    return list(csv.DictReader(io.StringIO(capsys.readouterr().out)))


@pytest.mark.parametrize("db", ["demo_db_url", "corpus_db_url"])
def test_workbook_figures_are_the_exported_figures(request, db, catalogue, tmp_path, capsys):
    db_url = request.getfixturevalue(db)
    files = cli_pack(db_url, tmp_path / "out", "--no-pdf")
    wb = openpyxl.load_workbook(io.BytesIO(files[f"meeting-pack-llr-{MEETING}.xlsx"]))
    ws = wb["Urgent and emergency care"]
    header = [c.value for c in ws[1]]
    col = {h: i for i, h in enumerate(header)}
    for metric_id in ("ae_4hr_all", "ae_attendances"):
        sheet = [r for r in ws.iter_rows(min_row=2, values_only=True) if r[col["Metric id"]] == metric_id]
        assert sheet, metric_id
        members = catalogue.members(metric_id, "llr")
        exported = export_rows(db_url, metric_id, members, capsys)
        by_period: dict[str, list[dict]] = {}
        for row in exported:
            by_period.setdefault(row["period_start"], []).append(row)
        checked = 0
        for r in sheet:
            rows = by_period[r[col["Period start"]].strftime("%Y-%m-%d")]
            if metric_id == "ae_4hr_all":
                numerator = sum(float(x["numerator"]) for x in rows)
                denominator = sum(float(x["denominator"]) for x in rows)
                assert r[col["Numerator"]] == pytest.approx(numerator)
                assert r[col["Denominator"]] == pytest.approx(denominator)
                assert r[col["Value"]] == pytest.approx(numerator / denominator)  # a fraction: 0.682 is 68.2%
            else:
                assert r[col["Value"]] == pytest.approx(sum(float(x["value"]) for x in rows))
            checked += 1
        assert checked == len(sheet)
    assert ws.cell(row=2, column=col["Value"] + 1).number_format in ("0.0%", "#,##0")


def test_indicator_detail_excel_is_the_packs_sheet(monkeypatch, demo_db_url, tmp_path):
    """Indicator detail's Excel download holds, cell by cell (values and number formats), the rows the
    pack's topic sheet has for the same indicator and periods: one writer for both."""
    from ui import downloads as downloads_ui

    made: dict[str, bytes] = {}
    real = downloads_ui.downloads

    def recording(frame, name, about, key, row_source_ids=None, xlsx=None):
        if key == "indicator":
            assert xlsx is not None, "Indicator detail writes its Excel file with the pack's writer"
            made[name] = xlsx()
        return real(frame, name, about, key, row_source_ids, xlsx)

    monkeypatch.setattr(downloads_ui, "downloads", recording)
    run = app_runner(monkeypatch, demo_db_url)
    run("pages/indicator.py", metric="ae_4hr_all", area="llr", **{"from": "2019"})
    page = openpyxl.load_workbook(io.BytesIO(made["ae_4hr_all-llr"]))
    assert page.sheetnames == ["Figures", "About"]
    page_rows = [[(c.value, c.number_format) for c in row] for row in page["Figures"].iter_rows()]
    files = cli_pack(demo_db_url, tmp_path / "out", "--no-pdf")
    packed = openpyxl.load_workbook(io.BytesIO(files[f"meeting-pack-llr-{MEETING}.xlsx"]))["Urgent and emergency care"]
    pack_rows = [[(c.value, c.number_format) for c in row] for row in packed.iter_rows()]
    first = page_rows[1][3][0]  # the page shows from April 2019 ("Show from")
    assert first.year == 2019 and first.month == 4
    mine = [r for r in pack_rows[1:] if r[1][0] == "ae_4hr_all" and r[3][0] >= first]
    assert page_rows[0] == pack_rows[0]
    assert page_rows[1:] == mine
    header = [v for v, _ in page_rows[0]]
    value = page_rows[-1][header.index("Value")]
    assert 0 < value[0] < 1 and value[1] == "0.0%"  # a fraction formatted as a percentage
