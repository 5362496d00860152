"""Who may change the data: salted password hashes, constant-time checks, lock-out, the open default."""

from __future__ import annotations

import io
import tomllib

import pytest

from loaders.cli import main
from metrics import access, store
from metrics.catalogue import PROJECT_ROOT

PASSWORD = "correct horse battery staple"


class TestHashPassword:
    def test_the_right_password_verifies_and_a_wrong_one_does_not(self):
        stored = access.hash_password(PASSWORD)
        assert access.verify_password(PASSWORD, stored)
        assert not access.verify_password(PASSWORD + " ", stored)
        assert not access.verify_password("", stored)

    def test_the_hash_is_salted_and_never_contains_the_password(self):
        first, second = access.hash_password(PASSWORD), access.hash_password(PASSWORD)
        assert first != second
        assert PASSWORD not in first and PASSWORD.encode().hex() not in first
        assert first.startswith("scrypt$16384$8$1$")

    def test_the_same_salt_gives_the_same_hash(self):
        salt = bytes(range(16))
        assert access.hash_password(PASSWORD, salt=salt) == access.hash_password(PASSWORD, salt=salt)

    @pytest.mark.parametrize("stored", [PASSWORD, "", "scrypt$1$2", "bcrypt$16384$8$1$00$00", "scrypt$x$8$1$00$00"])
    def test_a_setting_that_is_not_a_hash_says_how_to_make_one(self, stored):
        with pytest.raises(access.AccessError) as err:
            access.verify_password(PASSWORD, stored)
        assert str(err.value) == (
            "DASHBOARD_ADMIN_PASSWORD_HASH is not a password hash: make one with `python -m loaders hash-password`"
        )

    def test_an_empty_password_is_refused(self):
        with pytest.raises(access.AccessError, match="the password is empty"):
            access.hash_password("")


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


@pytest.fixture(scope="module")
def stored() -> str:
    return access.hash_password(PASSWORD)


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


@pytest.fixture
def guard(fake) -> access.SignInGuard:
    return access.SignInGuard(clock=fake.clock, sleep=fake.sleep)


class TestSignInGuard:
    def test_the_right_password_is_let_in_without_waiting(self, guard, fake, stored):
        assert guard.check(PASSWORD, stored) == access.Verdict(True)
        assert fake.slept == []

    def test_each_wrong_password_waits(self, guard, fake, stored):
        assert guard.check("guess", stored) == access.Verdict(False, "Wrong password.")
        assert fake.slept == [access.FAILURE_DELAY_SECONDS]

    def test_five_wrong_passwords_lock_sign_in_even_for_the_right_one(self, guard, fake, stored):
        for _ in range(access.MAX_FAILURES - 1):
            assert guard.check("guess", stored).message == "Wrong password."
        assert guard.check("guess", stored).message == "Wrong password 5 times: sign-in is locked for 15 minutes."
        fake.now += 60
        locked = guard.check(PASSWORD, stored)
        assert locked == access.Verdict(
            False, "Sign-in is locked after repeated wrong passwords; try again in 14 minutes."
        )
        assert len(fake.slept) == access.MAX_FAILURES  # no password is even checked while locked

    def test_the_lock_lifts_after_its_time(self, guard, fake, stored):
        for _ in range(access.MAX_FAILURES):
            guard.check("guess", stored)
        fake.now += access.LOCKOUT_SECONDS
        assert guard.check(PASSWORD, stored).allowed

    def test_a_right_password_resets_the_count(self, guard, stored):
        for _ in range(access.MAX_FAILURES - 1):
            guard.check("guess", stored)
        assert guard.check(PASSWORD, stored).allowed
        assert guard.check("guess", stored).message == "Wrong password."


class TestWhoMayUpload:
    def test_the_local_default_file_is_open(self, catalogue, monkeypatch):
        monkeypatch.delenv("DATABASE_URL", raising=False)
        assert access.is_local_default(store.resolve_database_url(None, catalogue), catalogue)

    @pytest.mark.parametrize(
        "url",
        [
            "sqlite:////srv/shared/dashboard.sqlite",
            "sqlite:///data/other.sqlite",
            "sqlite:///:memory:",
            "postgresql+psycopg://dashboard@db.example/llr",
        ],
    )
    def test_any_other_database_needs_the_administrator(self, catalogue, monkeypatch, url):
        monkeypatch.setenv("DATABASE_URL", url)
        assert not access.is_local_default(store.resolve_database_url(None, catalogue), catalogue)

    def test_the_database_an_engine_opened_decides_not_the_settings(self, catalogue, monkeypatch, tmp_path):
        from loaders.default_db import DEMO_DATABASE_URL

        monkeypatch.delenv("DATABASE_URL", raising=False)
        default = store.make_engine(store.resolve_database_url(None, catalogue))  # not connected: nothing created
        demo = store.make_engine(store.resolve_database_url(DEMO_DATABASE_URL, catalogue))
        try:
            assert access.engine_is_local_default(default, catalogue)
            assert not access.engine_is_local_default(demo, catalogue)  # DASHBOARD_DEMO=1 opens this one
        finally:
            default.dispose()
            demo.dispose()
        assert not access.is_local_default("notaurl", catalogue)

    def test_the_hash_comes_from_the_environment_before_the_secrets(self):
        assert access.admin_hash({access.HASH_VARIABLE: "env-hash"}, "secret-hash") == "env-hash"
        assert access.admin_hash({}, "secret-hash") == "secret-hash"
        assert access.admin_hash({access.PLAIN_VARIABLE: PASSWORD}, None) is None  # a plain password is no hash


class TestHashPasswordCommand:
    def test_prints_a_hash_that_verifies(self, monkeypatch, capsys):
        monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
        assert main(["hash-password"]) == 0
        out, err = capsys.readouterr()
        line = out.strip()
        assert access.verify_password(PASSWORD, line)
        assert PASSWORD not in out + err
        assert "DASHBOARD_ADMIN_PASSWORD_HASH" in err

    def test_a_short_password_is_refused(self, monkeypatch, capsys):
        monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
        assert main(["hash-password"]) == 1
        out, err = capsys.readouterr()
        assert out == ""
        assert err == "ERROR: use a password of at least 12 characters\n"


def test_streamlit_own_table_download_is_hidden():
    # Table cells come from loaded files; Streamlit's CSV download would not neutralise formulas.
    config = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["disableDataExport"] is True
