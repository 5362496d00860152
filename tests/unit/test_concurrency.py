"""Several people at once: two ingests of the same files, and readers while a file is loading.

On SQLite (one file, WAL) and PostgreSQL, each ingest and each reader with its own engine, as
separate processes would have. Real published A&E files (a few months; skipped when absent).
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, func, select, text

from loaders.ingest import ingest_paths
from metrics import store
from tests.conftest import IN_CI, POSTGRES_URL, public_file

MONTHS = [
    "April-2023-revised-130624-defv1.csv",
    "August-2023-revised-130624-ndx091.csv",
    "December-2023-revised-130624-nbe280.csv",
    "January-2024-revised-130624-ddff.csv",
    "February-2024-revised-130624-ef123ty.csv",
    "July-2023-revised-130624-ign340.csv",
]
READERS = 20


@pytest.fixture
def files():
    return [public_file("ae_attendances", "monthly_provider_csv", name) for name in MONTHS]


@pytest.fixture(params=["sqlite", "postgresql"])
def new_engine(request, tmp_path):
    """A factory of engines on one empty store: every call is another 'process'."""
    made = []
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'shared.sqlite'}"

        def factory():
            made.append(store.make_engine(url))
            return made[-1]

        yield factory
    else:
        schema = f"t_{uuid.uuid4().hex[:10]}"
        try:
            admin = store.make_engine(POSTGRES_URL)
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            admin.dispose()
        except Exception as exc:  # noqa: BLE001 - any connection failure means no server here
            if IN_CI:
                pytest.fail(f"PostgreSQL must be reachable under CI ({POSTGRES_URL}): {exc}")
            pytest.skip(f"no PostgreSQL server reachable at {POSTGRES_URL}: {exc.__class__.__name__}")

        def factory():
            made.append(create_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"}))
            return made[-1]

        yield factory
        for engine in made:
            engine.dispose()
        admin = store.make_engine(POSTGRES_URL)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
        return
    for engine in made:
        engine.dispose()


def observations_of_one_ingest(files, catalogue, tmp_path):
    engine = store.make_engine(f"sqlite:///{tmp_path / 'alone.sqlite'}")
    assert not ingest_paths(files, engine, catalogue).failed
    frame = store.read_observations(engine).drop(columns="source_id")
    engine.dispose()
    return frame


def test_two_ingests_at_once_both_finish_and_give_the_same_observations_as_one(new_engine, files, catalogue, tmp_path):
    def ingest(order):
        return ingest_paths(order, new_engine(), catalogue)

    with ThreadPoolExecutor(2) as pool:
        summaries = list(pool.map(ingest, [files, list(reversed(files))]))
    for summary in summaries:
        assert not summary.failed, summary.lines()
    # every file is loaded once; the other ingest finds it already loaded
    assert sorted(o.status for s in summaries for o in s.outcomes) == ["loaded"] * len(files) + ["unchanged"] * len(
        files
    )
    engine = new_engine()
    assert len(store.read_sources(engine)) == len(files)
    together = store.read_observations(engine).drop(columns="source_id")
    alone = observations_of_one_ingest(files, catalogue, tmp_path)
    assert len(together) > 0
    assert together.equals(alone)


#: One statement (one snapshot on both databases): for every source visible, the rows it wrote and
#: the observations that point at it. A half-loaded file would show fewer observations than rows.
COMPLETENESS = select(
    store.source.c.id,
    (store.source.c.added + store.source.c.updated).label("expected"),
    select(func.count())
    .select_from(store.observation)
    .where(store.observation.c.source_id == store.source.c.id)
    .scalar_subquery()
    .label("found"),
)


def test_readers_during_an_ingest_see_each_file_complete_or_not_at_all(new_engine, files, catalogue):
    store.init_db(new_engine(), catalogue)
    reader_engines = [new_engine() for _ in range(READERS)]
    writing = threading.Event()
    writing.set()
    problems: list[str] = []
    seen_counts: list[set[int]] = [set() for _ in range(READERS)]

    def read(i: int) -> None:
        engine = reader_engines[i]
        while True:
            still_writing = writing.is_set()
            try:
                with engine.connect() as conn:
                    rows = conn.execute(COMPLETENESS).all()
                store.latest_periods(engine)
            except Exception as exc:  # noqa: BLE001 - any error a reader meets is a failure
                problems.append(f"reader {i}: {exc.__class__.__name__}: {exc}")
                return
            for source_id, expected, found in rows:
                if expected != found:
                    problems.append(f"reader {i}: source {source_id} half loaded ({found} of {expected} rows)")
            seen_counts[i].add(len(rows))
            if not still_writing:
                return

    readers = [threading.Thread(target=read, args=(i,)) for i in range(READERS)]
    for thread in readers:
        thread.start()
    try:
        summary = ingest_paths(files, new_engine(), catalogue)
    finally:
        writing.clear()
        for thread in readers:
            thread.join(timeout=120)
    assert not summary.failed, summary.lines()
    assert not any(thread.is_alive() for thread in readers)
    assert problems == []
    # every reader finished by seeing the whole load
    assert all(max(counts) == len(files) for counts in seen_counts)
