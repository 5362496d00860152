"""``streamlit run serve.py``, the README's command: the server warms itself at start (``ui.warm``),
so the first reader finds the brief made, and it says so in its log."""

from __future__ import annotations

import time

from tests.e2e.conftest import _Server


def test_the_served_app_warms_at_start_and_logs_what_it_did(tmp_path, demo_database):
    server = _Server(tmp_path, demo_database)
    try:
        server.wait_until_healthy()
        log = ""
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and "Warmed at start" not in log:
            time.sleep(0.2)
            log = (tmp_path / "streamlit.log").read_text()
        assert "Warmed at start (seconds per step): {'database'" in log, log[-3000:]
        assert "Warming at start stopped" not in log
    finally:
        server.stop()


def test_twenty_readers_opening_a_deep_link_together_on_a_fresh_server_all_get_the_page(fresh_server):
    # The first visitors after a start open a page file Streamlit runs without the router; each of
    # them must be sent through app.py, not only the first to notice (ui.router). Before, some of
    # twenty failed with 'st.session_state has no key "from"'.
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from benchmarks.bench_sessions import open_session
    from benchmarks.served import app_pages

    (indicator,) = [p for p in app_pages() if p.url_path == "indicator"]

    async def together():
        return await asyncio.gather(*(open_session(fresh_server, indicator, "metric=ae_4hr_all") for _ in range(20)))

    # In a thread of its own: Playwright's sync API may already run an event loop in this one.
    with ThreadPoolExecutor(1) as pool:
        runs = pool.submit(asyncio.run, together()).result()
    assert [r.error for r in runs if r.error] == []
    assert all(r.charts >= 1 for r in runs), "every reader got the indicator's chart"
