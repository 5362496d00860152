"""Reporting periods: parse the ways publications write them, label them in plain English.

A period is identified by the ISO date of its first day and its type (``month``, ``quarter`` or
``year``). Financial years and their quarters start on 1 April, as NHS and local government
publications do; a calendar quarter (``2023-Q4``) is stored by its first day, the same as the
financial quarter it coincides with (2023/24 Q3).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

PERIOD_TYPES = ("month", "quarter", "year")

#: Full English month names, lower case, to month numbers (publications spell months out).
MONTH_NUMBERS: dict[str, int] = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}

_MONTHS = dict(MONTH_NUMBERS)
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9

_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_FIN_QUARTER = re.compile(r"^(\d{4})[/-](\d{2}|\d{4})\s*Q([1-4])$", re.IGNORECASE)
_CAL_QUARTER = re.compile(r"^(\d{4})\s*-?\s*Q([1-4])$", re.IGNORECASE)
_FIN_YEAR = re.compile(r"^(\d{4})[/-](\d{2}|\d{4})$")
_MONTH_NAME_YEAR = re.compile(r"^([A-Za-z]+)[\s-]+(\d{4})$")


class PeriodError(ValueError):
    """A period that cannot be read, or does not fit the metric's frequency."""


def _check_fy(start: int, end_text: str, text: str) -> None:
    end = int(end_text)
    expected = (start + 1) % 100 if len(end_text) == 2 else start + 1
    if end != expected:
        raise PeriodError(f"'{text}' is not a financial year: expected {start}/{str(start + 1)[-2:]}")


def parse_period(text: object, frequency: str) -> dt.date:
    """Return the first day of the period written as ``text`` for a metric of ``frequency``.

    Parameters
    ----------
    text : object
        ``2024-01-01`` (ISO first day), ``2024-01`` or ``January 2024`` (a month), ``2023/24 Q3``
        (financial quarter), ``2023-Q4`` (calendar quarter), ``2023/24`` or ``2023-24``
        (financial year); a ``datetime.date`` is accepted as an ISO first day.
    frequency : str
        The metric's frequency: ``month``, ``quarter`` or ``year``.

    Raises
    ------
    PeriodError
        If the text is not a period, or is a period of another length than ``frequency``.
    """
    if frequency not in PERIOD_TYPES:
        raise PeriodError(f"unknown frequency '{frequency}'")
    try:
        return _parse_period(text, frequency)
    except PeriodError:
        raise
    except (ValueError, OverflowError):
        # dt.date refuses year 0 and years past 9999 ("9999/00 Q4", "MSitAE-JANUARY-0000").
        raise PeriodError(f"'{str(text).strip()[:40]}' is not a period: its year is out of range") from None


def _parse_period(text: object, frequency: str) -> dt.date:
    if isinstance(text, dt.datetime):
        text = text.date()
    if isinstance(text, dt.date):
        return _check_start(text, frequency, text.isoformat())
    s = str(text).strip()
    if not s:
        raise PeriodError("the period is blank")
    if m := _ISO_DATE.match(s):
        try:
            day = dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            raise PeriodError(f"'{s}' is not a date") from None
        return _check_start(day, frequency, s)
    # "2011-12" is both December 2011 and the financial year 2011/12: the frequency decides.
    if frequency == "year" and (m := _FIN_YEAR.match(s)):
        start = int(m[1])
        _check_fy(start, m[2], s)
        return dt.date(start, 4, 1)
    if m := _MONTH.match(s) or _MONTH_NAME_YEAR.match(s):
        if m.re is _MONTH:
            year, month = int(m[1]), int(m[2])
        else:
            month, year = _MONTHS.get(m[1].lower(), 0), int(m[2])
        if not 1 <= month <= 12:
            if m.re is _MONTH and (fy := _FIN_YEAR.match(s)) and int(fy[2]) == (int(fy[1]) + 1) % 100:
                _require(frequency, "year", s)
            raise PeriodError(f"'{s}' is not a month")
        _require(frequency, "month", s)
        return dt.date(year, month, 1)
    if m := _FIN_QUARTER.match(s):
        start = int(m[1])
        _check_fy(start, m[2], s)
        _require(frequency, "quarter", s)
        q = int(m[3])
        return dt.date(start + (1 if q == 4 else 0), (4 + 3 * (q - 1) - 1) % 12 + 1, 1)
    if m := _CAL_QUARTER.match(s):
        _require(frequency, "quarter", s)
        return dt.date(int(m[1]), 3 * (int(m[2]) - 1) + 1, 1)
    if m := _FIN_YEAR.match(s):
        start = int(m[1])
        _check_fy(start, m[2], s)
        _require(frequency, "year", s)
        return dt.date(start, 4, 1)
    raise PeriodError(f"'{s}' is not a period: expected 2024-01-01, 2024-01, 2023/24 Q3, 2023-Q4 or 2023/24")


def _require(frequency: str, found: str, text: str) -> None:
    if frequency != found:
        raise PeriodError(f"'{text}' is a {found}, but the metric is reported by {frequency}")


def _check_start(day: dt.date, frequency: str, text: str) -> dt.date:
    if day.day != 1:
        raise PeriodError(f"'{text}' is not the first day of a {frequency}")
    if frequency == "quarter" and day.month not in (1, 4, 7, 10):
        raise PeriodError(f"'{text}' is not the first day of a quarter (1 Jan, Apr, Jul or Oct)")
    if frequency == "year" and day.month != 4:
        raise PeriodError(f"'{text}' is not the first day of a financial year (1 April)")
    return day


def period_end(start: dt.date, period_type: str) -> dt.date:
    """The last day of the period that starts on ``start``."""
    months = {"month": 1, "quarter": 3, "year": 12}[period_type]
    month_index = start.month - 1 + months
    first_after = dt.date(start.year + month_index // 12, month_index % 12 + 1, 1)
    return first_after - dt.timedelta(days=1)


def days_in_period(start: dt.date, period_type: str) -> int:
    return (period_end(start, period_type) - start).days + 1


def financial_year(day: dt.date) -> str:
    """``2023/24`` for any day from 1 April 2023 to 31 March 2024."""
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}/{str(start + 1)[-2:]}"


def period_label(start: dt.date, period_type: str) -> str:
    """A plain-English label: ``January 2024``, ``2023/24 Q3 (Oct-Dec 2023)``, ``2023/24``."""
    if period_type == "month":
        return f"{calendar.month_name[start.month]} {start.year}"
    if period_type == "quarter":
        quarter = ((start.month - 4) % 12) // 3 + 1
        end = period_end(start, "quarter")
        return (
            f"{financial_year(start)} Q{quarter} "
            f"({calendar.month_abbr[start.month]}-{calendar.month_abbr[end.month]} {end.year})"
        )
    if period_type == "year":
        return financial_year(start)
    raise PeriodError(f"unknown period type '{period_type}'")


def short_period_label(start: dt.date, period_type: str) -> str:
    """A label short enough for an axis tick: ``Mar 2026``, ``2022/23 Q2``, ``2019/20``."""
    if period_type == "month":
        return f"{calendar.month_abbr[start.month]} {start.year}"
    if period_type == "quarter":
        return f"{financial_year(start)} Q{((start.month - 4) % 12) // 3 + 1}"
    if period_type == "year":
        return financial_year(start)
    raise PeriodError(f"unknown period type '{period_type}'")
