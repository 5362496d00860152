"""The Actions page: filters, downloads, and add / close only for the signed-in administrator."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil

import openpyxl
import pytest
from sqlalchemy.engine import make_url
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import app_test

from metrics import access, actions, store
from tests.app.conftest import app_runner

PASSWORD = "app-test administrator password"


@pytest.fixture
def actions_app(monkeypatch, demo_db_url, tmp_path):
    """The app on a private copy of the demo database (the page writes to it)."""
    copy = tmp_path / "actions.sqlite"
    shutil.copy(make_url(demo_db_url).database, copy)
    url = f"sqlite:///{copy}"
    monkeypatch.delenv(access.PLAIN_VARIABLE, raising=False)
    monkeypatch.setenv(access.HASH_VARIABLE, access.hash_password(PASSWORD))
    return app_runner(monkeypatch, url), store.make_engine(url)


class _Downloads(dict):
    """Files offered for download by name: made at once, or made on click by calling the page's callable."""

    def __init__(self):
        super().__init__()
        self.on_click: dict[str, object] = {}

    def __missing__(self, name: str) -> bytes:
        made = self.on_click[name]()
        return made.encode("utf-8") if isinstance(made, str) else made


@pytest.fixture
def downloads(monkeypatch) -> dict[str, bytes]:
    """The files the page offers for download, by file name (as AppTest stores them, or as the
    button's callable makes them when it is clicked)."""
    captured = _Downloads()

    class Recording(MemoryMediaFileStorage):
        def load_and_get_id(self, path_or_data, mimetype, kind, filename=None):
            if filename and isinstance(path_or_data, bytes):
                captured[filename] = path_or_data
            return super().load_and_get_id(path_or_data, mimetype, kind, filename)

    class RecordingManager(MediaFileManager):
        def add_deferred(self, data_callable, mimetype, coordinates, file_name=None, **options):
            captured.on_click[file_name] = data_callable
            return super().add_deferred(data_callable, mimetype, coordinates, file_name, **options)

    monkeypatch.setattr(app_test, "MemoryMediaFileStorage", Recording)
    monkeypatch.setattr(app_test, "MediaFileManager", RecordingManager)
    return captured


def plain(markdown: str) -> str:
    """Markdown-escaped text as a reader sees it."""
    return re.sub(r"\\(.)", r"\1", markdown)


def sign_in(at):
    at.text_input(key="admin_password").input(PASSWORD)
    [b for b in at.button if b.label == "Sign in"][0].click().run()
    assert not at.exception


class TestActionsPage:
    def test_without_signing_in_nothing_can_be_changed(self, actions_app, monkeypatch):
        run, engine = actions_app
        at = run("pages/actions.py")
        assert "Enter the administrator password to upload files." in [i.value for i in at.info]
        assert not [b for b in at.button if b.label in ("Save", "Close the action")]
        monkeypatch.delenv(access.HASH_VARIABLE)
        at = run("pages/actions.py")
        assert any("turned off on this database" in i.value for i in at.info)
        assert not at.get("text_area")

    def test_the_administrator_adds_then_closes_an_action(self, actions_app):
        run, engine = actions_app
        at = run("pages/actions.py")
        sign_in(at)
        at.text_area(key="action-add-text").input("Present the A&E recovery plan")
        at.text_input(key="action-add-owner").input("University Hospitals of Leicester")
        at.date_input(key="action-add-due").set_value(dt.date(2020, 1, 31))
        at.multiselect(key="action-add-metrics").select("ae_4hr_all")
        at.text_input(key="action-add-who").input("Committee clerk")
        at.button(key="action-add-save").click().run()
        assert not at.exception
        assert "Action 1 recorded." in [plain(s.value) for s in at.success]
        table = at.dataframe[0].value
        assert table["Action"].tolist() == ["Present the A&E recovery plan"]
        assert table["Where it stands"].iloc[0] == "Overdue: due 31 January 2020"

        at.text_area(key="action-close-note").input("Plan presented on 12 March")
        at.text_input(key="action-close-who").input("Chair")
        at.button(key="action-close-save").click().run()
        assert "Action 1 closed." in [plain(s.value) for s in at.success]
        history = store.read_action_history(engine, 1)
        assert history["status"].tolist() == ["open", "closed"]
        assert history["changed_by"].tolist() == ["Committee clerk", "Chair"]
        # The default filter shows open actions: the closed one is found under "closed".
        assert "No actions match these filters." in [i.value for i in at.info]
        at.selectbox(key="actions-status").set_value("closed").run()
        assert at.dataframe[0].value["Closing note"].tolist() == ["Plan presented on 12 March"]

    def test_a_change_without_a_name_is_refused(self, actions_app):
        run, engine = actions_app
        at = run("pages/actions.py")
        sign_in(at)
        at.text_area(key="action-add-text").input("Anything")
        at.text_input(key="action-add-owner").input("ICB")
        at.button(key="action-add-save").click().run()
        assert "give your name, so the log says who made the change." in [plain(e.value) for e in at.error]
        assert actions.current_actions(engine).empty

    def test_filters_and_downloads(self, actions_app, catalogue, downloads):
        run, engine = actions_app
        content = (
            b"meeting_date,action,owner,due_date,metrics,area,status,closing_note\n"
            b"2026-01-21,A&E plan,UHL,2026-03-18,ae_4hr_all,llr,open,\n"
            b"2026-01-21,Discharge report,ICB,2026-09-30,nctr_patients,llr,open,\n"
            b"2026-01-21,Rutland beds,Rutland County Council,2026-02-01,beds_ga_available,rutland,open,\n"
        )
        actions.import_file(engine, catalogue, "a.csv", content, "clerk")
        at = run("pages/actions.py")
        assert len(at.dataframe[0].value) == 3
        at.selectbox(key="actions-area").set_value("llr").run()
        assert at.dataframe[0].value["Action"].tolist() == ["A&E plan", "Discharge report"]
        at.selectbox(key="actions-metric").set_value("nctr_patients").run()
        assert at.dataframe[0].value["Action"].tolist() == ["Discharge report"]
        at.selectbox(key="actions-metric").set_value("all").run()
        at.date_input(key="actions-due-by").set_value(dt.date(2026, 4, 1)).run()
        assert at.dataframe[0].value["Action"].tolist() == ["A&E plan"]
        labels = [b.proto.label for b in at.get("download_button")]
        assert labels == ["Download the actions (CSV)", "Download the actions (Excel)"]
        # The downloads hold the filtered actions, with the import header (so they can be imported again).
        assert downloads["actions.csv"].decode() == (
            "meeting_date,action,owner,due_date,metrics,area,status,closing_note\n"
            "2026-01-21,A&E plan,UHL,2026-03-18,ae_4hr_all,llr,open,\n"
        )
        sheet = openpyxl.load_workbook(io.BytesIO(downloads["actions.xlsx"])).active
        assert [[c.value for c in row] for row in sheet.iter_rows(min_row=2)] == [
            ["2026-01-21", "A&E plan", "UHL", "2026-03-18", "ae_4hr_all", "llr", "open", None]
        ]

    def test_the_administrator_changes_an_action_and_imports_a_file(self, actions_app, catalogue):
        run, engine = actions_app
        content = b"meeting_date,action,owner,due_date,metrics,area,status,closing_note\n" + (
            b"2026-01-21,A&E plan,UHL,2026-03-18,ae_4hr_all,llr,open,\n"
        )
        actions.import_file(engine, catalogue, "a.csv", content, "clerk")
        at = run("pages/actions.py")
        sign_in(at)
        at.text_input(key="action-edit-1-owner").input("University Hospitals of Leicester")
        at.text_input(key="action-edit-1-who").input("Chair")
        at.button(key="action-edit-1-save").click().run()
        assert "Action 1 changed." in [plain(s.value) for s in at.success]
        history = store.read_action_history(engine, 1)
        assert history["owner"].tolist() == ["UHL", "University Hospitals of Leicester"]
        assert history["action"].tolist() == ["A&E plan", "A&E plan"]

        # Import is offered to the administrator (the file's checks are tested in tests/unit/test_actions.py).
        assert len(at.get("file_uploader")) == 1
        assert "Record the actions in this file" in [b.label for b in at.button]
