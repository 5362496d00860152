"""The concurrent-sessions benchmark drives the served app at the protocol level: two readers open the
meeting brief and both get the whole page without an error. (Its timings are never asserted.)"""

from __future__ import annotations

import pytest

from benchmarks import bench_sessions

pytestmark = pytest.mark.e2e


def test_two_sessions_get_the_meeting_brief_without_error(served_app, capsys):
    bench_sessions.main(
        ["--url", served_app, "--pages", "brief", "--sessions", "2", "--repeat", "1", "--budget", "120"]
    )
    rows = [line.split() for line in capsys.readouterr().out.splitlines() if line.startswith("Meeting brief")]
    # first table: "Meeting brief", processes, sessions, median, p95, max, errors, elements, CPU s/session
    processes, sessions, errors, elements = (rows[0][i] for i in (2, 3, 7, 8))
    assert (processes, sessions) == ("1", "2"), rows
    assert errors == "0", "no session failed"
    assert int(elements) > 10, "the brief sends its elements"
