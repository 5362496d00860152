"""The app's own database: which one it opens, and building it on a fresh machine.

Reading never writes. The only time the app creates a database is when it would open the default
SQLite file (no ``DATABASE_URL``) and that file does not exist yet: it then restores the published
snapshot in ``data/published/`` (or, with ``DASHBOARD_DEMO=1``, builds the demonstration database
in its own file, ``data/demo.sqlite``). The file is built under a temporary name and renamed into
place, so a half-built database is never seen, and a lock file makes a second session wait for the
first build instead of starting its own. A database named by ``DATABASE_URL`` is never built or
changed by the app: an empty one gets a message saying how to load data.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from metrics import store
from metrics.catalogue import Catalogue

DEMO_ENV = "DASHBOARD_DEMO"
DEMO_DATABASE_URL = "sqlite:///data/demo.sqlite"
_build_lock = threading.Lock()


def demo_requested() -> bool:
    """True when ``DASHBOARD_DEMO`` asks for the demonstration database."""
    return os.environ.get(DEMO_ENV, "").strip().lower() in {"1", "yes", "true"}


def app_database_url(catalogue: Catalogue) -> str:
    """``DATABASE_URL`` when set; else the default SQLite file (the demo file with ``DASHBOARD_DEMO=1``)."""
    if os.environ.get("DATABASE_URL"):
        return store.resolve_database_url(None, catalogue)
    return store.resolve_database_url(DEMO_DATABASE_URL if demo_requested() else catalogue.settings.database_url)


def buildable_path(url: str) -> Path | None:
    """The SQLite file the app may build for ``url``: only a default one, never ``DATABASE_URL``'s."""
    if os.environ.get("DATABASE_URL"):
        return None
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def needs_build(url: str) -> bool:
    path = buildable_path(url)
    return path is not None and (not path.exists() or store.sqlite_file_is_blank(path))


def _present(path: Path) -> bool:
    """A database is there: the file exists and is not an empty placeholder (a zero-byte file, or
    one an older version's read command created with no table in it), which the build replaces."""
    return path.exists() and not store.sqlite_file_is_blank(path)


@contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """Hold a lock on ``<file>.lock`` (threads of this server and other processes alike)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with _build_lock, open(path.with_name(path.name + ".lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file is closed, even if the process dies
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove(path: Path) -> None:
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        candidate.unlink(missing_ok=True)


def build_default_database(url: str, catalogue: Catalogue) -> bool:
    """Build the default SQLite file for ``url`` if it does not exist. Returns True if it was built.

    Raises
    ------
    RuntimeError
        When the published snapshot (or the demo data) cannot be loaded; nothing is left behind.
    """
    path = buildable_path(url)
    if path is None or _present(path):
        return False
    with _exclusive(path):
        if _present(path):  # another session built it while this one waited
            return False
        building = path.with_name(f".{path.name}.building-{os.getpid()}")
        _remove(building)
        engine = store.make_scratch_sqlite_engine(building)
        try:
            _fill(engine, catalogue, demo=demo_requested())
            store.seal_sqlite(engine)
        except Exception:
            engine.dispose()
            _remove(building)
            raise
        engine.dispose()
        for stale in (Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
            stale.unlink(missing_ok=True)  # a placeholder's journal must not be applied to the new file
        os.replace(building, path)
        _remove(building)
    return True


def _fill(engine, catalogue: Catalogue, demo: bool) -> None:
    if demo:
        from loaders.demo import build_demo_database

        summary = build_demo_database(engine, catalogue)
        if summary.failed:
            raise RuntimeError("the demo database could not be built: " + "; ".join(o.error for o in summary.failed))
        return
    from loaders.snapshot import PUBLISHED_DIR, restore_snapshot

    restore_snapshot(engine, PUBLISHED_DIR, catalogue)
