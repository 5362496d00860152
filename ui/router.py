"""What every run of the router (``app.py``) shares: its pages, and the check that a page came through it.

Streamlit treats a top-level ``pages/`` folder as its older automatic navigation until a script
run calls ``st.navigation``. If the first visitors after a start open a deep link
(``/indicator?metric=ae_4hr_all``), Streamlit runs that page file on its own: no router, no
sidebar filters, file names as the menu. Every page therefore calls :func:`require_app` first; a
run that did not come through ``app.py`` switches the old behaviour off (exactly what
``st.navigation`` does) and reruns, so the request goes through ``app.py`` to the same page.

Whether a run came through ``app.py`` is known per run (:func:`routed`), not from Streamlit's
process-wide switch: of twenty readers opening a deep link together on a fresh server, the first to
flip the switch would otherwise leave the others' pages running without the router, and they
failed on the sidebar's filters (``st.session_state has no key "from"``).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

#: Per script-run thread: whether this run started in ``app.py``.
_run = threading.local()

_declared: dict[str, list[st.Page]] | None = None
_declaring = threading.Lock()


def routed() -> None:
    """Mark this run as one that came through ``app.py`` (its first statement)."""
    _run.routed = True


def require_app() -> None:
    """Rerun through ``app.py`` when Streamlit ran this page file directly."""
    if not getattr(_run, "routed", False):
        PagesManager.uses_pages_directory = False
        st.rerun()


def pages(declare: Callable[[], dict[str, list[st.Page]]]) -> dict[str, list[st.Page]]:
    """The router's pages: ``declare`` is called once per process, and each run gets copies.

    Declaring a page resolves its file's path on disk; eleven of them on every run were a sixth of
    a page's server time under twenty readers at once, each file-system call giving up the
    interpreter lock to the other readers' runs. A copy is taken for each run because
    ``st.navigation`` marks the page it chooses on the object itself.
    """
    global _declared
    with _declaring:
        if _declared is None:
            _declared = declare()
    return {section: [copy.copy(page) for page in section_pages] for section, section_pages in _declared.items()}
