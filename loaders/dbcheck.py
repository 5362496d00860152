"""Checking a database address (``--db``, ``DATABASE_URL``) before any command uses it.

An odd value must give a message the operator can act on, never a traceback, and must never make
a database nobody named: SQLite would happily create a file for a mistyped address, and
SQLAlchemy passes ``?mode=ro&uri=true`` through in a way that turns the path into a new file
under the project. Only plain SQLite file addresses and PostgreSQL are accepted.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from metrics.catalogue import Catalogue
from metrics.store import resolve_database_url

SQLITE_HEADER = b"SQLite format 3\x00"
EXAMPLES = "sqlite:///path/to/dashboard.sqlite or postgresql+psycopg://user@host/database"
CONNECT_SECONDS = 10


def named_database_problem(db_option: str | None, catalogue: Catalogue | None = None) -> str:
    """``database_problem`` for the database an operator named: ``--db``, else ``DATABASE_URL``
    ('' when neither is given: the catalogue's own default needs no check)."""
    named = db_option or os.environ.get("DATABASE_URL")
    return database_problem(named, catalogue) if named else ""


def database_problem(url: str, catalogue: Catalogue | None = None) -> str:
    """Why ``url`` cannot be used as the store ('' when it can).

    A SQLite file that does not exist yet is fine (the command that writes creates the file it was
    given); a folder, a file that is not a SQLite database, SQLite URI options, another kind of
    database, or a PostgreSQL server or database that cannot be reached is not.
    """
    shown = url if len(url) <= 200 else url[:199] + "…"
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return f"'{shown}' is not a database address; use {EXAMPLES}"
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_problem(url, parsed, catalogue)
    if backend == "postgresql":
        return _postgresql_problem(url, parsed)
    return f"'{parsed.render_as_string(hide_password=True)}': only SQLite and PostgreSQL databases are supported"


def _sqlite_problem(url: str, parsed, catalogue: Catalogue | None) -> str:
    if parsed.query:
        options = "&".join(f"{k}={v}" for k, v in parsed.query.items())
        return (
            f"'{url}': SQLite options in the address (?{options}) are not supported; "
            "name the file only, e.g. sqlite:///data/dashboard.sqlite"
        )
    if not parsed.database or parsed.database == ":memory:":
        return ""  # a private in-memory database (tests, dry runs)
    if parsed.database.startswith("file:"):
        return f"'{url}': SQLite URI file names (file:...) are not supported; name the file, e.g. sqlite:///data/x.sqlite"
    resolved = make_url(resolve_database_url(url, catalogue)).database
    path = Path(resolved)
    if path.is_dir():
        return f"'{url}': {path} is a folder, not a database file"
    if path.exists():
        try:
            with open(path, "rb") as handle:
                head = handle.read(len(SQLITE_HEADER))
        except OSError as exc:
            return f"'{url}': {path} cannot be read ({exc.strerror})"
        if head and head != SQLITE_HEADER:
            return f"'{url}': {path} is not a SQLite database (it does not start with the SQLite header)"
    elif path.parent.exists() and not path.parent.is_dir():
        return f"'{url}': {path.parent} is a file, so {path.name} cannot be created in it"
    return ""


def _postgresql_problem(url: str, parsed) -> str:
    """Connect once (nothing is created): a missing server, database or role is named."""
    shown = parsed.render_as_string(hide_password=True)
    try:
        engine = create_engine(url, connect_args={"connect_timeout": CONNECT_SECONDS})
    except (ArgumentError, SQLAlchemyError, ImportError, ValueError) as exc:
        return f"'{shown}': cannot use this PostgreSQL address ({_first_line(exc)})"
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        reason = _first_line(getattr(exc, "orig", None) or exc)
        return f"'{shown}': cannot open the PostgreSQL database ({reason}); it is not created here: create it first"
    finally:
        engine.dispose()
    return ""


def _first_line(exc) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else exc.__class__.__name__
