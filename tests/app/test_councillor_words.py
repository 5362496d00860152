"""Words on councillor-facing pages (#20): no command lines, no "SPC" jargon, and what is not loaded
yet said plainly rather than promised."""

from __future__ import annotations

import pytest

from tests.app.conftest import app_runner


@pytest.fixture
def corpus_app(monkeypatch, corpus_db_url):
    return app_runner(monkeypatch, corpus_db_url)


def _text(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info]
    parts += [h.value for h in at.title] + [h.value for h in at.subheader]
    return "\n".join(parts)


def test_home_first_says_the_2_hour_response_figures_are_not_loaded_yet(corpus_app):
    at = corpus_app("pages/home_first.py")
    assert [i.value for i in at.info] == [
        "Not loaded yet for LLR, so not shown: Urgent community response within 2 hours."
    ]
    intro = next(m.value for m in at.markdown if m.value.startswith("Care at home instead of in hospital"))
    assert "within 2 hours" not in intro, "the page does not promise figures it does not hold"


@pytest.mark.parametrize(
    "page", ["pages/meeting_brief.py", "pages/targets.py", "pages/urgent_care.py", "pages/beds.py",
             "pages/home_first.py", "pages/indicator.py", "pages/compare.py"],
)  # fmt: skip
def test_no_command_lines_or_spc_jargon(corpus_app, page):
    text = _text(corpus_app(page, meeting="2025-12-01"))
    assert "python -m" not in text
    assert "SPC" not in text
