"""Tests for metrics.summary: the brief at a glance, the order of its cards, the source line."""

import datetime as dt

import pandas as pd
import pytest

from metrics.brief import meeting_brief
from metrics.summary import (
    card_sections,
    meeting_summary,
    source_line,
    summary_sentences,
)
from tests.unit.test_brief import AE_MONTHS, AE_VALUES, rows

TODAY = dt.date(2025, 11, 20)
MEETING = dt.date(2025, 7, 15)
STEADY = [60, 61, 60.5, 61.5, 60, 61, 60.2, 61.3, 60.4, 61.1, 60.8, 61, 60.1, 61.4, 60.6, 61.2, 60.9, 61, 60.3, 61.2]


@pytest.fixture
def obs():
    # ordinary variation, new since the meeting, below its 78% target
    data = rows("ae_4hr_all", "RWE", AE_MONTHS, AE_VALUES)
    # type 1 performance falls far below its limits in the four months after the meeting: a concern
    data += rows("ae_4hr_type1", "RWE", AE_MONTHS, [*STEADY, 50, 49, 48, 47])
    # 12-hour waits (lower is better) fall far below their limits: an improvement
    data += rows("ae_12hr_dta", "RWE", AE_MONTHS, [v * 10 for v in STEADY] + [300, 290, 280, 270], with_counts=False)
    # beds: the latest quarter (July to September 2025) began before the meeting: no new figure
    quarters = pd.date_range("2022-07-01", "2025-07-01", freq="QS-JAN")
    data += [{**r, "period_type": "quarter"} for r in rows("beds_ga_available", "RWE", quarters, [900] * len(quarters),
                                                            with_counts=False)]  # fmt: skip
    # emergency admissions: nothing held after June 2025, though NHS England still publishes them
    data += rows("ae_emergency_admissions", "RWE", AE_MONTHS[:-4], [7000 + 10 * i for i in range(20)],
                 with_counts=False)  # fmt: skip
    # delayed transfers of care: the collection stopped in February 2020
    dtoc_months = pd.date_range("2019-01-01", "2020-02-01", freq="MS")
    for org, base in (("E06000016", 1000), ("E10000018", 2000), ("E06000017", 100)):
        data += rows("dtoc_days", org, dtoc_months, [base] * len(dtoc_months), with_counts=False, source_id=3)
    return pd.DataFrame(data)


@pytest.fixture
def brief(obs, catalogue):
    return meeting_brief(obs, catalogue, "llr", MEETING, today=TODAY)


def test_brief_says_what_is_new_and_what_moved_since_the_meeting(brief):
    row = brief.set_index("metric_id")
    assert row.loc["ae_4hr_all", "new_since_meeting"]
    assert row.loc["ae_4hr_all", "special_since_meeting"] == ""
    assert row.loc["ae_4hr_type1", "special_since_meeting"] == "concern"
    assert row.loc["ae_4hr_type1", "special_since_label"] == "October 2025"
    assert row.loc["ae_12hr_dta", "special_since_meeting"] == "improvement"
    assert not row.loc["beds_ga_available", "new_since_meeting"]
    assert row.loc["beds_ga_available", "latest_end"] == pd.Timestamp("2025-09-30")


def test_cards_changed_first_then_unchanged_then_not_held_then_discontinued(brief):
    sections = card_sections(brief)
    assert [(s.key, s.metric_ids, s.collapsed) for s in sections] == [
        ("concern", ("ae_4hr_type1",), False),
        ("improvement", ("ae_12hr_dta",), False),
        ("changed", ("ae_4hr_all",), False),
        ("unchanged", ("beds_ga_available",), False),
        ("not_held", ("ae_emergency_admissions",), False),
        ("discontinued", ("dtoc_days",), True),
    ]
    assert [s.title for s in sections] == [
        "Concerns since the meeting",
        "Improvements since the meeting",
        "Other new figures since the meeting",
        "No new figures since the meeting",
        "Newer figures published but not held here",
        "Discontinued collections",
    ]


def test_a_collection_still_published_is_never_called_discontinued(obs, catalogue):
    # Six months without a refresh: every A&E series is overdue, only delayed transfers of care
    # (the catalogue says the collection ended) are discontinued.
    later = dt.date(2026, 5, 20)
    brief = meeting_brief(obs, catalogue, "llr", MEETING, today=later)
    states = dict(zip(brief["metric_id"], brief["currency_state"], strict=True))
    assert states == {
        "ae_4hr_all": "overdue",
        "ae_4hr_type1": "overdue",
        "ae_12hr_dta": "overdue",
        "ae_emergency_admissions": "overdue",
        "beds_ga_available": "overdue",  # Oct-Dec 2025 was due on the third Thursday of February 2026
        "dtoc_days": "discontinued",
    }


def test_summary_counts_and_names(brief, catalogue):
    s = meeting_summary(brief, catalogue, MEETING)
    assert s.n_indicators == 6
    assert [n.metric_id for n in s.new_since_meeting] == ["ae_4hr_all", "ae_4hr_type1", "ae_12hr_dta"]
    assert [(n.metric_id, n.words) for n in s.special_cause_worse] == [("ae_4hr_type1", "47.0% in October 2025")]
    assert [n.metric_id for n in s.special_cause_better] == ["ae_12hr_dta"]
    assert s.special_cause_neither == ()
    assert s.with_target == 1
    assert s.targets_met == ()
    assert [(n.metric_id, n.words) for n in s.targets_missed] == [
        ("ae_4hr_all", "Missed the 78% target by 15.6 percentage points")
    ]
    assert [(n.metric_id, n.words) for n in s.not_held] == [
        ("ae_emergency_admissions", "newest held June 2025; the July 2025 figure was due about 14 August 2025")
    ]
    assert [(n.metric_id, n.words) for n in s.discontinued] == [("dtoc_days", "latest figure February 2020")]


def test_summary_sentences_in_plain_english(brief, catalogue):
    lines = summary_sentences(meeting_summary(brief, catalogue, MEETING))
    assert lines == [
        "Since the meeting on 15 July 2025, 3 of 5 indicators have new figures.",
        "2 indicators moved significantly (special cause variation since the meeting).",
        "Worse: A&E 4-hour performance (type 1 major A&E) (47.0% in October 2025).",
        "Better: 12-hour waits from decision to admit (270 in October 2025).",
        "Targets: 0 met and 1 missed of 1 published indicator with a target in force at its latest figure.",
        "Missed: A&E 4-hour performance (all types) (Missed the 78% target by 15.6 percentage points).",
        "Newer figures published but not held here (1): Emergency admissions via A&E (newest held June 2025; "
        "the July 2025 figure was due about 14 August 2025). Load or fetch the newer files.",
        "1 indicator from discontinued collections (listed, collapsed, at the end of the brief).",
    ]


def test_nothing_new_is_worded_as_nothing_new(obs, catalogue):
    meeting = dt.date(2025, 11, 1)
    brief = meeting_brief(obs, catalogue, "llr", meeting, today=TODAY)
    lines = summary_sentences(meeting_summary(brief, catalogue, meeting))
    assert lines[0] == "No indicator has a new figure since the meeting on 1 November 2025."
    assert not any("moved" in line or "ordinary variation" in line for line in lines)


def test_not_held_figures_are_named_together_with_the_date_they_were_due(obs, catalogue):
    later = dt.date(2026, 1, 20)
    brief = meeting_brief(obs, catalogue, "llr", MEETING, today=later)
    lines = summary_sentences(meeting_summary(brief, catalogue, MEETING), link=lambda n: f"<{n.metric_id}>")
    not_held = [line for line in lines if line.startswith("Newer figures")]
    assert not_held == [
        "Newer figures published but not held here (4): <ae_4hr_all>, <ae_4hr_type1> and <ae_12hr_dta> "
        "(newest held October 2025; the November 2025 figure was due about 11 December 2025); "
        "<ae_emergency_admissions> (newest held June 2025; the July 2025 figure was due about 14 August 2025). "
        "Load or fetch the newer files."
    ]


def test_source_line_names_publisher_publication_and_period():
    sources = pd.DataFrame(
        {
            "id": [1, 2, 3],
            "publisher": ["NHS England", "NHS England", "Demo"],
            "publication": [
                "A&E Attendances and Emergency Admissions",
                "A&E Attendances and Emergency Admissions",
                "Demo urgent care",
            ],  # fmt: skip
            "is_demo": [False, False, True],
        }
    )
    assert (
        source_line((1, 2), sources, "x", "y", "March 2026")
        == "Source: NHS England, A&E Attendances and Emergency Admissions, March 2026"
    )
    assert (
        source_line((3,), sources, "x", "y", "May 2025")
        == "Source: Demo, Demo urgent care (demonstration data), May 2025"
    )
    assert source_line((), sources, "NHS Digital", "ASCOF", "2020/21") == "Source: NHS Digital, ASCOF, 2020/21"
