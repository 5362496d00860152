"""Suggested questions on the pages: under each brief card, one list for the chair, Indicator detail.

The questions come from ``metrics.questions`` on the read layer's answers (cached per data
version); this module only lays them out. Their words include figures and reasons from the data,
so every line is escaped against Markdown before it is shown.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import streamlit as st

from metrics import questions as questions_module
from metrics.questions import Question
from ui import data, safe


def escape_markdown(text: str) -> str:
    """Text from data or users, shown literally by ``st.markdown`` (``ui.safe.md``)."""
    return safe.md(text)


def area_questions(area_id: str, meeting: dt.date) -> list[Question]:
    """Every suggested question for the area's brief indicators, in the brief's order (once per data
    version, shared by every session: read-only)."""
    today = data.brief_today()

    def ask() -> list[Question]:
        metric_ids = data.brief(area_id, meeting)["metric_id"].tolist()
        indicators = data.reader().area_indicators(area_id, today)
        reported = data.reconciliation()
        return questions_module.brief_questions(indicators, data.catalogue(), meeting, metric_ids, reported)

    return data.per_version(("questions", area_id, meeting), ask)


def indicator_questions(metric_id: str, area_id: str, meeting: dt.date) -> list[Question]:
    """The questions one indicator raises (as on its brief card), once per data version: read-only."""
    return data.per_version(
        ("indicator questions", metric_id, area_id, meeting),
        lambda: questions_module.indicator_questions(
            data.indicator(metric_id, area_id), data.catalogue(), meeting, data.reconciliation(metric_id)
        ),
    )


def indicator_link(q: Question) -> str:
    """The Indicator detail address of a question's indicator and area."""
    area = data.catalogue().area_by_id[q.area_id].short_name
    return f"/indicator?{urlencode({'metric': q.metric_id, 'area': area})}"


def _line(q: Question) -> str:
    return f"{escape_markdown(q.text)}  \n*{escape_markdown('Figures: ' + q.figures)}*"


def by_card(area_id: str, meeting: dt.date) -> dict[str, list[tuple[str, str]]]:
    """Each brief card's questions, by metric: (question, the figures it rests on), once per data version."""

    def gather() -> dict[str, list[tuple[str, str]]]:
        out: dict[str, list[tuple[str, str]]] = {}
        for q in area_questions(area_id, meeting):
            out.setdefault(q.metric_id, []).append((q.text, q.figures))
        return out

    return data.per_version(("card questions", area_id, meeting), gather)


def chair_list_text(area_id: str, meeting: dt.date) -> tuple[int, str]:
    """How many questions are for the chair, and their numbered Markdown list (once per data version)."""

    def write() -> tuple[int, str]:
        chosen = questions_module.for_the_chair(area_questions(area_id, meeting))
        return len(chosen), "\n".join(
            f"{i}. [{escape_markdown(q.indicator)}]({indicator_link(q)}): {_line(q)}"
            for i, q in enumerate(chosen, start=1)
        )

    return data.per_version(("chair list", area_id, meeting), write)


def chair_list(area_id: str, meeting: dt.date) -> None:
    """All the brief's questions in one list for the chair, each linked to its indicator."""
    count, text = chair_list_text(area_id, meeting)
    with st.expander(f"Questions for the chair ({count})", expanded=False, key="questions-chair"):
        if not count:
            st.write("The figures raise no suggested question for this meeting.")
            return
        st.caption(
            "Suggested from what the figures say (signals, targets, breaks in the series, data currency, "
            "figures reported to committee); each names the figures it rests on."
        )
        st.markdown(text)


def on_indicator(questions: list[Question]) -> None:
    """The Questions section of Indicator detail."""
    st.subheader("Questions to ask")
    if not questions:
        st.write("The figures raise no suggested question for this meeting.")
        return
    st.markdown("\n".join(f"- {_line(q)}" for q in questions))
