"""The performance instruments run on a tiny scale: two readers open the meeting brief at the protocol
level and both get the whole page without an error; the floor (the bare Streamlit app) is timed in the
same run, and both instruments print every page's ratio to it with the load average. Timings are never
asserted, only that the tables carry them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.e2e.conftest import CHROMIUM, IN_CI, run_benchmark

pytestmark = pytest.mark.e2e

FLOOR_PAGES = ("Floor: text and metrics", "Floor: chart and table")


def _rows(out: str, title: str) -> list[list[str]]:
    """The table rows of one page (its title, then the columns split on blanks)."""
    return [line[len(title) :].split() for line in out.splitlines() if line.startswith(title)]


def _is_number(cell: str) -> bool:
    try:
        return float(cell) > 0
    except ValueError:
        return False


def test_two_sessions_get_the_meeting_brief_beside_the_floor(served_app):
    out = run_benchmark(
        "bench_sessions", "--url", served_app, "--pages", "brief", "--sessions", "2", "--repeat", "1",
        "--budget", "180",
    )  # fmt: skip
    brief = _rows(out, "Meeting brief")
    # first table: processes, sessions, median, p95, max, errors, elements, CPU s/session
    processes, sessions, errors, elements = (brief[0][i] for i in (0, 1, 5, 6))
    assert (processes, sessions) == ("1", "2"), brief
    assert errors == "0", "no session failed"
    assert int(elements) > 10, "the brief sends its elements"

    ratio_head = next(line for line in out.splitlines() if "warm x floor" in line)
    assert ratio_head.split()[:2] == ["page", "load"], ratio_head
    assert "p95@2 x floor" in ratio_head and "CPU x floor" in ratio_head, ratio_head
    for title in FLOOR_PAGES:
        first, summary, ratios = _rows(out, title)
        assert first[5] == "0", f"{title}: no session of the floor failed"
        assert float(summary[0]) >= 0 and float(ratios[0]) >= 0, f"{title}: the load average is recorded"
    chart_summary = _rows(out, "Floor: chart and table")[1]
    assert chart_summary[3] == "1", "the floor's chart page sends its Plotly chart"
    brief_ratios = brief[2]  # load, warm x floor, CPU x floor ("-": the attached app's CPU is not read), p95@2
    assert _is_number(brief_ratios[1]) and _is_number(brief_ratios[3]), brief_ratios
    assert "floor (s): warm" in out


def _chromium_or_skip() -> None:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        if IN_CI:
            pytest.fail(f"Chromium is required under CI ({CHROMIUM}); .ci/run installs Debian's chromium")
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")


def test_browser_instrument_times_a_page_beside_the_floor(demo_database):
    _chromium_or_skip()
    out = run_benchmark(
        "bench_browser", "--db", f"sqlite:///{demo_database}", "--pages", "home_first", "--repeat", "1",
        "--no-first-run", "--budget", "240",
    )  # fmt: skip
    head = next(line for line in out.splitlines() if line.startswith("page"))
    assert "cold x floor" in head and "warm x floor" in head and "load" in head, head
    for title in (*FLOOR_PAGES, "Home First"):
        (row,) = _rows(out, title)
        # load, cold s, warm s, cold x floor, warm x floor, elements, charts, errors
        assert all(_is_number(cell) for cell in row[1:5]), f"{title} was drawn and has its ratios: {row}"
        assert row[7] == "0", f"{title} shows no error"
    assert "floor = the slower of the floor app's two pages" in out
