"""Questions and actions on the Meeting brief, and the same words in the meeting pack."""

from __future__ import annotations

import re
import shutil
from html import unescape

import openpyxl
import pytest
from sqlalchemy.engine import make_url

from loaders.cli import main
from metrics import actions, store
from tests.app.conftest import app_runner, brief_cards

MEETING = "2025-06-01"
ACTIONS = (
    b"meeting_date,action,owner,due_date,metrics,area,status,closing_note\n"
    b"2025-06-01,Present the A&E recovery plan,University Hospitals of Leicester,2025-07-31,ae_4hr_all,llr,open,\n"
    b"2025-06-01,Closed already,LLR ICB,2025-07-31,ae_4hr_all,llr,closed,Done\n"
    b"2025-06-01,Another area's action,Rutland County Council,2025-07-31,ae_4hr_all,rutland,open,\n"
)


def plain(markdown: str) -> str:
    """Markdown text as a reader sees it (escapes removed)."""
    return re.sub(r"\\(.)", r"\1", markdown)


@pytest.fixture
def db_with_actions(demo_db_url, tmp_path, catalogue):
    copy = tmp_path / "brief.sqlite"
    shutil.copy(make_url(demo_db_url).database, copy)
    url = f"sqlite:///{copy}"
    actions.import_file(store.make_engine(url), catalogue, "actions.csv", ACTIONS, "clerk")
    return url


def test_an_overdue_action_and_the_questions_on_the_brief_and_in_the_pack(monkeypatch, db_with_actions, tmp_path):
    at = app_runner(monkeypatch, db_with_actions)("pages/meeting_brief.py", meeting=MEETING)
    cards = brief_cards(at)
    with_actions = [c for c in cards if c["actions"]]
    assert [c["metric_id"] for c in with_actions] == ["ae_4hr_all"]  # the closed action and Rutland's are not shown
    assert with_actions[0]["actions"] == (
        "Committee actions (1 open) Overdue: due 31 July 2025. Present the A&E recovery plan "
        "(University Hospitals of Leicester; agreed 1 June 2025)"
    )
    texts = [plain(m.value) for m in at.markdown] + [c["text"] for c in cards]
    assert not any("Closed already" in t or "Another area" in t for t in texts)
    assert any(c["questions"].startswith("Questions to ask ") for c in cards)

    (chair,) = [e for e in at.expander if e.label.startswith("Questions for the chair")]
    chair_text = "\n".join(plain(m.value) for m in chair.markdown)
    n = int(re.search(r"\((\d+)\)", chair.label).group(1))
    assert n > 0

    out = tmp_path / "pack"
    args = ["pack", "--area", "llr", "--since", MEETING, "--out", str(out), "--db", db_with_actions, "--no-pdf"]
    assert main(args) == 0
    html = unescape((out / f"meeting-pack-llr-{MEETING}.html").read_text(encoding="utf-8"))
    assert html.index('id="summary"') < html.index('id="actions"') < html.index('id="questions"')
    assert "Overdue: due 31 July 2025" in html and "Present the A&E recovery plan" in html
    assert "Closed already" not in html

    wb = openpyxl.load_workbook(out / f"meeting-pack-llr-{MEETING}.xlsx")
    (sheet,) = [ws for ws in wb.worksheets if "Questions" in ws.title]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [c.value for c in sheet[1]] == ["Topic", "Indicator", "Question", "The figures"]
    assert len(rows) == n  # every question of the brief, one row each
    for _topic, indicator, question, figures in rows:
        question = question.lstrip("'")
        assert question in chair_text  # the same words as the brief
        # The pack asks it in the same words, once for all the indicators it applies to (their names
        # listed where the brief names one).
        before, after = question.split(indicator, 1)
        pattern = re.escape(before) + r"[^<]*" + re.escape(indicator) + r"[^<]*" + re.escape(after)
        assert re.search(pattern, html), question
        assert figures.lstrip("'") in html
    due = [r for r in wb["Actions due"].iter_rows(min_row=2, values_only=True)]
    assert [(r[0], r[1]) for r in due] == [("Overdue: due 31 July 2025", "Present the A&E recovery plan")]


def test_reading_a_brief_without_an_actions_log_shows_no_actions(app):
    at = app("pages/meeting_brief.py", meeting=MEETING)
    cards = brief_cards(at)
    assert cards and not any("Committee actions" in c["text"] for c in cards)
    assert not any("Committee actions" in m.value for m in at.markdown)


def test_indicator_detail_and_the_data_page_show_reported_beside_published(corpus_db_url, monkeypatch):
    run = app_runner(monkeypatch, corpus_db_url)
    at = run("pages/indicator.py", metric="ae_4hr_all", area="LLR")
    assert "Reported to committee, beside the published statistics" in [s.value for s in at.subheader]
    (table,) = [d.value for d in at.dataframe if "Reported to committee" in d.value.columns]
    row = table.iloc[0]
    assert (row["Period"], row["Reported to committee"], row["Large difference"]) == ("September 2016", "79.48%", "Yes")
    assert row["Note"].startswith("September 2016: the committee was told 79.48%; the published statistics give")
    assert any("Why a reported figure can differ from the published one" in c.value for c in at.caption)
    # The large gap raises a question, quoting both figures.
    assert "Questions to ask" in [s.value for s in at.subheader]
    questions = "\n".join(plain(m.value) for m in at.markdown)
    published = row["Published statistics"]
    assert f"as 79.48% for September 2016, but the published statistics give {published}" in questions

    at = run("pages/data.py")
    tables = [d.value for d in at.dataframe if "Published statistics" in d.value.columns]
    assert len(tables) == 1 and "79.48%" in tables[0]["Reported to committee"].tolist()


def test_action_text_and_owner_are_never_markup(monkeypatch, demo_db_url, tmp_path, catalogue):
    copy = tmp_path / "hostile.sqlite"
    shutil.copy(make_url(demo_db_url).database, copy)
    url = f"sqlite:///{copy}"
    hostile = (
        b"meeting_date,action,owner,due_date,metrics,area,status,closing_note\n"
        b"2025-06-01,[Sign in here](https://evil.example/login) **URGENT**,:red[ICB] $x$,2025-07-31,"
        b"ae_4hr_all,llr,open,\n"
    )
    actions.import_file(store.make_engine(url), catalogue, "hostile.csv", hostile, "clerk")
    run = app_runner(monkeypatch, url)
    # On the brief the card is HTML: the words are escaped and read as typed, never a link.
    at = run("pages/meeting_brief.py", meeting=MEETING)
    (card,) = [c for c in brief_cards(at) if c["actions"]]
    assert "[Sign in here](https://evil.example/login) **URGENT** (:red[ICB] $x$;" in card["actions"]
    assert "<a " not in card["html"] and "evil.example" not in card["html"].replace(
        "[Sign in here](https://evil.example/login)", ""
    )
    # On Indicator detail it is Markdown, escaped so that nothing in it is markup.
    at = run("pages/indicator.py", metric="ae_4hr_all", area="LLR")
    (line,) = [m.value for m in at.markdown if "Sign in here" in m.value]
    assert "](https" not in line and "**URGENT" not in line and ":red[" not in line and "$x$" not in line
    assert "\\[Sign in here\\]" in line and "\\*\\*URGENT\\*\\*" in line
