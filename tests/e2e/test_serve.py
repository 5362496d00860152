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
