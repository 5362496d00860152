"""Uploads on the Data page: only the administrator may change a database other than the local default."""

from __future__ import annotations

import pytest

from metrics import access

PASSWORD = "app-test administrator password"
TURNED_OFF = (
    "Uploads are turned off on this database, which others may share: set DASHBOARD_ADMIN_PASSWORD_HASH "
    "(made with `python -m loaders hash-password`) to let an administrator upload."
)


def infos(at) -> list[str]:
    return [i.value for i in at.info]


def uploaders(at) -> int:
    return len(at.get("file_uploader"))


@pytest.fixture
def no_admin(monkeypatch):
    monkeypatch.delenv(access.HASH_VARIABLE, raising=False)
    monkeypatch.delenv(access.PLAIN_VARIABLE, raising=False)


class TestUploadAccess:
    def test_without_a_hash_uploads_are_turned_off_on_another_sqlite_file(self, app, no_admin):
        at = app("pages/data.py")  # the test database is a temporary file, not the local default
        assert TURNED_OFF in infos(at)
        assert uploaders(at) == 0 and len(at.text_input) == 0

    def test_a_plain_password_is_not_accepted(self, app, no_admin, monkeypatch):
        monkeypatch.setenv(access.PLAIN_VARIABLE, PASSWORD)
        at = app("pages/data.py")
        assert (
            "DASHBOARD_ADMIN_PASSWORD holds a plain password, which is not accepted: set DASHBOARD_ADMIN_PASSWORD_HASH "
            "to the output of `python -m loaders hash-password` instead."
        ) in infos(at)
        assert uploaders(at) == 0

    def test_the_administrator_signs_in_and_a_wrong_password_is_refused(self, app, no_admin, monkeypatch):
        monkeypatch.setenv(access.HASH_VARIABLE, access.hash_password(PASSWORD))
        at = app("pages/data.py")
        assert "Enter the administrator password to upload files." in infos(at)
        assert uploaders(at) == 0
        at.text_input[0].input("a guess")
        at.button[0].click().run()
        assert "Wrong password." in infos(at)
        assert uploaders(at) == 0
        at.text_input[0].input(PASSWORD)
        at.button[0].click().run()
        assert not at.exception
        assert uploaders(at) == 1


class TestAccessFollowsTheOpenedDatabase:
    def test_the_demo_switch_does_not_open_uploads_on_the_demo_file(self, monkeypatch, demo_db_url, no_admin):
        # DASHBOARD_DEMO=1 with no DATABASE_URL: the app opens the demonstration file, not the
        # embedded default, so uploads stay closed whatever the settings would name.
        from loaders import default_db
        from tests.app.conftest import app_runner

        monkeypatch.setenv(default_db.DEMO_ENV, "1")
        monkeypatch.setattr(default_db, "app_database_url", lambda catalogue: demo_db_url)
        at = app_runner(monkeypatch, None)("pages/data.py")
        assert TURNED_OFF in infos(at)
        assert uploaders(at) == 0
