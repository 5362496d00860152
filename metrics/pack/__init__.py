"""The meeting pack: the brief, the charts and the figures as HTML, PDF and XLSX files.

``build_pack`` gathers everything from the read layer; ``pack_html``, ``pack_xlsx`` and
``pack_pdf`` draw the files from it; ``pack_files`` makes all three, as the Meeting brief page
and ``python -m loaders pack`` both do, so the two give the same files.
"""

from __future__ import annotations

from metrics.pack.gather import Pack, PackError, build_pack, pack_topics, read_pack
from metrics.pack.page import pack_html
from metrics.pack.pdf import PdfUnavailable, chromium_path, pack_pdf
from metrics.pack.workbook import pack_xlsx

__all__ = ["Pack", "PackError", "PdfUnavailable", "build_pack", "chromium_path", "pack_files", "pack_html",
           "pack_pdf", "pack_topics", "pack_xlsx", "read_pack"]  # fmt: skip


def pack_files(pack: Pack, pdf: bool = True) -> dict[str, bytes]:
    """The pack's files by name: ``<stem>.html``, ``<stem>.xlsx`` and (with Chromium) ``<stem>.pdf``.

    Raises
    ------
    PdfUnavailable
        When ``pdf`` is asked for and Chromium is not installed.
    """
    html = pack_html(pack)
    files = {f"{pack.file_stem}.html": html.encode("utf-8"), f"{pack.file_stem}.xlsx": pack_xlsx(pack)}
    if pdf:
        files[f"{pack.file_stem}.pdf"] = pack_pdf(pack, html)
    return files
