"""Keep deep links working on a freshly started server.

Streamlit treats a top-level ``pages/`` folder as its older automatic navigation until a script
run calls ``st.navigation``. If the first visitor after a start opens a deep link
(``/indicator?metric=ae_4hr_all``), Streamlit runs that page file on its own: no router, no
sidebar filters, file names as the menu. Every page therefore calls :func:`require_app` first; in
that situation it switches the old behaviour off (exactly what ``st.navigation`` does) and reruns,
so the request goes through ``app.py`` to the same page.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager


def require_app() -> None:
    """Rerun through ``app.py`` when Streamlit ran this page file directly."""
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
