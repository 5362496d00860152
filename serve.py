"""The served dashboard: ``streamlit run serve.py``.

The pages are ``app.py``'s (the router); this adds what a server does once when it starts
(``ui.warm``, in a background thread: the default database built on a fresh clone, the page code
imported and the default area's brief made), so the first reader does not wait for it.
``streamlit run app.py`` serves the same pages without warming.
"""

import threading
from contextlib import asynccontextmanager

import streamlit as st
from starlette.middleware import Middleware

from ui.warm import ReadersFirst


@asynccontextmanager
async def warm_at_start(_app):
    from ui.warm import warm_in_background

    threading.Thread(target=warm_in_background, name="warm-at-start", daemon=True).start()
    yield


# Warming steps aside while the server answers a reader (its page, Streamlit's scripts, the page's run).
app = st.App("app.py", lifespan=warm_at_start, middleware=[Middleware(ReadersFirst)])
