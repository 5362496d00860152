"""The assumed last meeting is judged from today, never from the newest figure held."""

import datetime as dt

from ui.filters import default_meeting_date


def test_default_meeting_is_three_months_before_today():
    assert default_meeting_date(dt.date(2026, 12, 3)) == dt.date(2026, 9, 1)
    assert default_meeting_date(dt.date(2026, 2, 14)) == dt.date(2025, 11, 1)
    assert default_meeting_date(dt.date(2026, 3, 31)) == dt.date(2025, 12, 1)
