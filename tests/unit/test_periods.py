"""Tests for metrics.periods: the ways publications write a period, and plain-English labels."""

from __future__ import annotations

import datetime as dt

import pytest

from metrics.periods import (
    PeriodError,
    days_in_period,
    financial_year,
    parse_period,
    period_end,
    period_label,
)

D = dt.date


class TestParsePeriod:
    @pytest.mark.parametrize(
        ("text", "frequency", "start"),
        [
            ("2024-01-01", "month", D(2024, 1, 1)),
            ("2024-01-01 00:00:00", "month", D(2024, 1, 1)),  # a spreadsheet date read as text
            ("2024-01", "month", D(2024, 1, 1)),
            ("2024-1", "month", D(2024, 1, 1)),
            ("January 2024", "month", D(2024, 1, 1)),
            ("Jan 2024", "month", D(2024, 1, 1)),
            ("Sept 2019", "month", D(2019, 9, 1)),
            ("  march 2020 ", "month", D(2020, 3, 1)),
            ("2023/24 Q1", "quarter", D(2023, 4, 1)),
            ("2023/24 Q3", "quarter", D(2023, 10, 1)),
            ("2023/24 Q4", "quarter", D(2024, 1, 1)),
            ("2023-24 Q2", "quarter", D(2023, 7, 1)),
            ("2023-Q4", "quarter", D(2023, 10, 1)),
            ("2024 Q1", "quarter", D(2024, 1, 1)),
            ("2023-10-01", "quarter", D(2023, 10, 1)),
            ("2023/24", "year", D(2023, 4, 1)),
            ("2023-24", "year", D(2023, 4, 1)),
            ("2023/2024", "year", D(2023, 4, 1)),
            ("1999/00", "year", D(1999, 4, 1)),
            ("2023-04-01", "year", D(2023, 4, 1)),
            (D(2024, 1, 1), "month", D(2024, 1, 1)),
            (dt.datetime(2023, 4, 1, 0, 0), "year", D(2023, 4, 1)),
        ],
    )
    def test_accepted_forms(self, text, frequency, start):
        assert parse_period(text, frequency) == start

    def test_financial_quarter_starts_in_april(self):
        assert parse_period("2016/17 Q1", "quarter") == D(2016, 4, 1)

    def test_calendar_quarter_is_stored_like_the_financial_quarter_it_coincides_with(self):
        assert parse_period("2023-Q4", "quarter") == parse_period("2023/24 Q3", "quarter")

    @pytest.mark.parametrize(("frequency", "start"), [("month", D(2011, 12, 1)), ("year", D(2011, 4, 1))])
    def test_2011_12_is_december_for_a_monthly_metric_and_a_financial_year_for_a_yearly_one(self, frequency, start):
        assert parse_period("2011-12", frequency) == start

    @pytest.mark.parametrize(
        ("text", "frequency", "message"),
        [
            ("", "month", "the period is blank"),
            ("   ", "month", "the period is blank"),
            (
                "banana",
                "month",
                "'banana' is not a period: expected 2024-01-01, 2024-01, 2023/24 Q3, 2023-Q4 or 2023/24",
            ),
            ("Smarch 2024", "month", "'Smarch 2024' is not a month"),
            ("2024-13", "month", "'2024-13' is not a month"),
            ("2024-00", "month", "'2024-00' is not a month"),
            ("2024-02-30", "month", "'2024-02-30' is not a date"),
            ("2024-01-15", "month", "'2024-01-15' is not the first day of a month"),
            ("2024-02-01", "quarter", "'2024-02-01' is not the first day of a quarter (1 Jan, Apr, Jul or Oct)"),
            ("2024-01-01", "year", "'2024-01-01' is not the first day of a financial year (1 April)"),
            ("2023/25", "year", "'2023/25' is not a financial year: expected 2023/24"),
            ("2011-13", "year", "'2011-13' is not a financial year: expected 2011/12"),
            ("2023/25 Q1", "quarter", "'2023/25 Q1' is not a financial year: expected 2023/24"),
            (
                "2023/24 Q5",
                "quarter",
                "'2023/24 Q5' is not a period: expected 2024-01-01, 2024-01, 2023/24 Q3, 2023-Q4 or 2023/24",
            ),
            ("2024-01", "week", "unknown frequency 'week'"),
        ],
    )
    def test_rejected_forms_say_why(self, text, frequency, message):
        with pytest.raises(PeriodError) as info:
            parse_period(text, frequency)
        assert str(info.value) == message

    @pytest.mark.parametrize(
        ("text", "frequency", "message"),
        [
            ("2024-01", "quarter", "'2024-01' is a month, but the metric is reported by quarter"),
            ("January 2024", "year", "'January 2024' is a month, but the metric is reported by year"),
            ("2023/24 Q3", "month", "'2023/24 Q3' is a quarter, but the metric is reported by month"),
            ("2023-Q4", "year", "'2023-Q4' is a quarter, but the metric is reported by year"),
            ("2023/24", "quarter", "'2023/24' is a year, but the metric is reported by quarter"),
            ("2023-24", "month", "'2023-24' is a year, but the metric is reported by month"),
        ],
    )
    def test_period_of_the_wrong_frequency_is_refused(self, text, frequency, message):
        with pytest.raises(PeriodError) as info:
            parse_period(text, frequency)
        assert str(info.value) == message


class TestPeriodLabel:
    @pytest.mark.parametrize(
        ("start", "period_type", "label"),
        [
            (D(2024, 1, 1), "month", "January 2024"),
            (D(2019, 12, 1), "month", "December 2019"),
            (D(2023, 4, 1), "quarter", "2023/24 Q1 (Apr-Jun 2023)"),
            (D(2023, 10, 1), "quarter", "2023/24 Q3 (Oct-Dec 2023)"),
            (D(2024, 1, 1), "quarter", "2023/24 Q4 (Jan-Mar 2024)"),
            (D(2023, 4, 1), "year", "2023/24"),
            (D(1999, 4, 1), "year", "1999/00"),
        ],
    )
    def test_labels_are_plain_english(self, start, period_type, label):
        assert period_label(start, period_type) == label

    @pytest.mark.parametrize(
        ("text", "frequency"), [("2023/24 Q3", "quarter"), ("2023/24", "year"), ("January 2024", "month")]
    )
    def test_label_round_trips_through_parse(self, text, frequency):
        start = parse_period(text, frequency)
        assert parse_period(period_label(start, frequency).split(" (")[0], frequency) == start

    def test_unknown_period_type_is_refused(self):
        with pytest.raises(PeriodError, match="unknown period type 'week'"):
            period_label(D(2024, 1, 1), "week")


class TestPeriodEnd:
    @pytest.mark.parametrize(
        ("start", "period_type", "end"),
        [
            (D(2024, 2, 1), "month", D(2024, 2, 29)),
            (D(2023, 2, 1), "month", D(2023, 2, 28)),
            (D(2023, 12, 1), "month", D(2023, 12, 31)),
            (D(2023, 10, 1), "quarter", D(2023, 12, 31)),
            (D(2024, 1, 1), "quarter", D(2024, 3, 31)),
            (D(2023, 4, 1), "year", D(2024, 3, 31)),
        ],
    )
    def test_last_day_of_the_period(self, start, period_type, end):
        assert period_end(start, period_type) == end

    def test_days_in_a_leap_february(self):
        assert days_in_period(D(2024, 2, 1), "month") == 29

    def test_days_in_a_financial_year_containing_29_february(self):
        assert days_in_period(D(2023, 4, 1), "year") == 366


class TestFinancialYear:
    @pytest.mark.parametrize(
        ("day", "label"),
        [
            (D(2024, 3, 31), "2023/24"),
            (D(2024, 4, 1), "2024/25"),
            (D(2023, 4, 1), "2023/24"),
            (D(2000, 1, 1), "1999/00"),
        ],
    )
    def test_financial_year_turns_on_1_april(self, day, label):
        assert financial_year(day) == label
