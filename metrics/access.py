"""Who may change the data: the administrator's password, stored only as a salted hash.

Uploads from the Data page write to the store. On the embedded default database (the catalogue's
own SQLite file, with no ``DATABASE_URL`` or ``--db`` pointing elsewhere) the dashboard is a
single-user tool and uploads are open. Any other database - PostgreSQL, or another SQLite file
that several people may share - needs the administrator: the password's scrypt hash (standard
library ``hashlib.scrypt``, a random salt per hash) in the environment variable
``DASHBOARD_ADMIN_PASSWORD_HASH`` or in Streamlit secrets as ``admin_password_hash``. A plain
password is never stored or accepted. Make the hash with ``python -m loaders hash-password``.

Wrong passwords are compared in constant time (``hmac.compare_digest``), each one waits a moment,
and after ``MAX_FAILURES`` in a row sign-in is locked for ``LOCKOUT_SECONDS`` for everyone on this
server (an attacker could otherwise open a fresh session for each guess).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from metrics import store
from metrics.catalogue import Catalogue

HASH_VARIABLE = "DASHBOARD_ADMIN_PASSWORD_HASH"
SECRET_KEY = "admin_password_hash"
#: The old plain-password variable: refused with a message saying what to use instead.
PLAIN_VARIABLE = "DASHBOARD_ADMIN_PASSWORD"

#: scrypt cost: n=2**14, r=8, p=1 (the parameters RFC 7914 suggests for interactive logins, ~16 MB).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MAX_FAILURES = 5
LOCKOUT_SECONDS = 15 * 60
FAILURE_DELAY_SECONDS = 1.0


class AccessError(ValueError):
    """A stored hash that is not one ``hash_password`` made (the administrator's setting is wrong)."""


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """The text to store for ``password``: ``scrypt$n$r$p$<salt hex>$<hash hex>``.

    Parameters
    ----------
    password : str
        Must not be empty.
    salt : bytes, optional
        16 random bytes by default; given only to reproduce a hash.
    """
    if not password:
        raise AccessError("the password is empty")
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches the stored hash (compared in constant time).

    Raises
    ------
    AccessError
        When ``stored`` is not a hash made by ``hash_password``.
    """
    parts = stored.strip().split("$")
    try:
        scheme, n, r, p, salt_hex, digest_hex = parts
        if scheme != "scrypt":
            raise ValueError(scheme)
        salt, expected = bytes.fromhex(salt_hex), bytes.fromhex(digest_hex)
        n, r, p = int(n), int(r), int(p)
    except ValueError:
        raise AccessError(
            f"{HASH_VARIABLE} is not a password hash: make one with `python -m loaders hash-password`"
        ) from None
    given = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=len(expected)
    )
    return hmac.compare_digest(given, expected)


def is_local_default(url: str, catalogue: Catalogue) -> bool:
    """True only for the catalogue's own embedded SQLite file (the single-user default).

    Any other URL - a server database, or another SQLite file named by ``DATABASE_URL`` or
    ``--db`` - may be shared, so changing its data needs the administrator.
    """
    default = store.resolve_database_url(catalogue.settings.database_url)
    try:
        url = make_url(url).render_as_string(hide_password=False)
    except ArgumentError:
        return False
    return url == default and default.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:")


def engine_is_local_default(engine: Engine, catalogue: Catalogue) -> bool:
    """``is_local_default`` for the database ``engine`` actually opened (not the one the settings
    would name): with ``DASHBOARD_DEMO=1`` the app opens the demonstration file, which is not it."""
    return is_local_default(engine.url.render_as_string(hide_password=False), catalogue)


def admin_hash(environ: dict[str, str], secret: str | None = None) -> str | None:
    """The stored administrator hash: the environment variable, else the Streamlit secret, else None."""
    return environ.get(HASH_VARIABLE) or secret or None


@dataclass
class Verdict:
    allowed: bool
    message: str = ""


@dataclass
class SignInGuard:
    """Checks passwords, waits after each failure and locks sign-in after repeated failures.

    One guard per server process (the pages share it), so opening a new session does not reset
    the count. ``clock`` and ``sleep`` are parameters so the behaviour can be checked without waiting.
    """

    max_failures: int = MAX_FAILURES
    lockout_seconds: float = LOCKOUT_SECONDS
    delay_seconds: float = FAILURE_DELAY_SECONDS
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    failures: int = 0
    locked_until: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def check(self, password: str, stored: str) -> Verdict:
        """Verify one sign-in attempt."""
        with self._lock:
            now = self.clock()
            if now < self.locked_until:
                return Verdict(False, self._locked_message(now))
            if verify_password(password, stored):
                self.failures = 0
                return Verdict(True)
            self.failures += 1
            if self.failures >= self.max_failures:
                self.failures = 0
                self.locked_until = now + self.lockout_seconds
                message = (
                    f"Wrong password {self.max_failures} times: sign-in is locked for "
                    f"{self._minutes(self.lockout_seconds)}."
                )
            else:
                message = "Wrong password."
            self.sleep(self.delay_seconds)  # inside the lock: guesses cannot run in parallel
            return Verdict(False, message)

    def _locked_message(self, now: float) -> str:
        return (
            f"Sign-in is locked after repeated wrong passwords; try again in {self._minutes(self.locked_until - now)}."
        )

    @staticmethod
    def _minutes(seconds: float) -> str:
        minutes = max(1, int(-(-seconds // 60)))
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
