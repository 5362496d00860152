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
    # first table: "Meeting brief", processes, sessions, median, p95, max, errors, elements
    concurrent = rows[0]
    assert concurrent[2:4] == ["1", "2"], rows
    assert concurrent[-2] == "0", "no session failed"
    assert int(concurrent[-1]) > 10, "the brief sends its elements"
