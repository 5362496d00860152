"""Warming at start steps aside while readers' pages are made (``ui.warm.reader_running``)."""

from __future__ import annotations

import threading
import time

from ui import warm


def _stepping() -> tuple[threading.Thread, threading.Event]:
    """A warming step about to start, in its own thread: set once it may go on."""
    went_on = threading.Event()
    thread = threading.Thread(target=lambda: (warm._give_way(), went_on.set()), daemon=True)
    thread.start()
    return thread, went_on


def test_warming_waits_until_every_reader_page_is_made(monkeypatch):
    monkeypatch.setattr(warm, "GIVE_WAY_SECONDS", 30)
    with warm.reader_running():
        with warm.reader_running():
            _, went_on = _stepping()
            assert not went_on.wait(0.3), "warming waits while two readers' pages are made"
        assert not went_on.wait(0.3), "and while one still is"
    assert went_on.wait(5), "and goes on once none is"


def test_a_page_that_fails_still_lets_warming_go_on(monkeypatch):
    monkeypatch.setattr(warm, "GIVE_WAY_SECONDS", 30)
    try:
        with warm.reader_running():
            raise RuntimeError("the page stopped")  # st.stop and st.rerun leave the same way
    except RuntimeError:
        pass
    _, went_on = _stepping()
    assert went_on.wait(5)


def test_a_reader_that_never_finishes_holds_warming_back_for_a_while_only(monkeypatch):
    monkeypatch.setattr(warm, "GIVE_WAY_SECONDS", 0.5)
    with warm.reader_running():
        started = time.monotonic()
        _, went_on = _stepping()
        assert went_on.wait(5)
        assert time.monotonic() - started >= 0.45
