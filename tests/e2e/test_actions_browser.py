"""An overdue committee action shows on the brief card of the indicator it names, in the browser."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from metrics.catalogue import PROJECT_ROOT
from tests.e2e.conftest import _Server

pytestmark = pytest.mark.e2e

ACTIONS = (
    "meeting_date,action,owner,due_date,metrics,area,status,closing_note\n"
    "2025-06-01,Present the A&E recovery plan,University Hospitals of Leicester,2025-07-31,ae_4hr_all,llr,open,\n"
)


@pytest.fixture
def app_with_an_action(tmp_path, demo_database):
    database = tmp_path / "with-actions.sqlite"
    shutil.copyfile(demo_database, database)
    (tmp_path / "actions.csv").write_text(ACTIONS, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "loaders", "actions", "import", str(tmp_path / "actions.csv"),
         "--db", f"sqlite:///{database}"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "served"
    folder.mkdir()
    server = _Server(folder, database)
    server.wait_until_healthy()
    yield server.url
    server.stop()


def test_an_overdue_action_is_flagged_on_its_brief_card(app_with_an_action, page, browser):
    page.goto(f"{app_with_an_action}/?meeting=2025-06-01", wait_until="domcontentloaded")
    page.wait_for_selector("h1", timeout=90_000)
    card = page.locator("#card-ae_4hr_all")
    expect(card).to_be_visible(timeout=90_000)
    actions = card.locator(".llr-actions")
    expect(actions).to_contain_text("Overdue: due 31 July 2025", timeout=30_000)
    expect(actions).to_contain_text("Present the A&E recovery plan")
    # Only the card of the indicator the action names carries it.
    expect(page.locator("#card-ae_attendances")).to_be_visible()
    assert page.locator("#card-ae_attendances .llr-actions").count() == 0
