"""Shared fixtures: the catalogue, throwaway databases (SQLite and PostgreSQL), the public data."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from metrics import store
from metrics.catalogue import PROJECT_ROOT, load_catalogue

#: Real NHS England / NHS Digital files (OGL v3.0), beside the repository, never copied into it.
PUBLIC_DATA = (PROJECT_ROOT.parent / "shared" / "data" / "public").resolve()
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"

#: The core metric ids issue #2 names; the catalogue and the demo data must both cover them.
CORE_METRICS = [
    "ae_4hr_all",
    "ae_4hr_type1",
    "ae_attendances",
    "ae_12hr_dta",
    "ae_emergency_admissions",
    "beds_ga_available",
    "beds_ga_occupied",
    "beds_ga_occupancy",
    "dtoc_days",
    "dtoc_days_nhs",
    "dtoc_days_social_care",
    "dtoc_days_both",
    "dtoc_days_per_100k",
    "nctr_patients",
    "nctr_discharged",
    "ascof_2a1",
    "ascof_2a2",
    "ascof_2b1",
    "ascof_2b2",
    "ascof_2d",
    "ucr_2hr",
    "reablement_2day",
]


def absent(reason: str) -> None:
    """Skip a test whose resource is missing here; under CI (``CI=true``) fail it instead."""
    if IN_CI:
        pytest.fail(f"{reason}: required under CI")
    pytest.skip(reason)


def public_file(*parts: str) -> Path:
    """A path under the shared public data folder; the test is skipped when the folder is absent
    (and fails under CI, where it must be there)."""
    path = PUBLIC_DATA.joinpath(*parts)
    if not path.exists():
        absent(f"public data not available: {path}")
    return path


@pytest.fixture(scope="session")
def catalogue():
    return load_catalogue()


@pytest.fixture
def sqlite_engine(tmp_path, catalogue):
    engine = store.make_engine(f"sqlite:///{tmp_path / 'test.sqlite'}")
    store.init_db(engine, catalogue)
    yield engine
    engine.dispose()


def _postgres_engine(catalogue):
    """A fresh schema in the local PostgreSQL test database, or a skip (a failure under CI)."""
    from sqlalchemy import text

    schema = f"t_{uuid.uuid4().hex[:10]}"
    try:
        admin = store.make_engine(POSTGRES_URL)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001 - any connection failure means no server here
        if IN_CI:
            pytest.fail(f"PostgreSQL must be reachable under CI ({POSTGRES_URL}): {exc}")
        pytest.skip(f"no PostgreSQL server reachable at {POSTGRES_URL}: {exc.__class__.__name__}")
    admin.dispose()
    from sqlalchemy import create_engine

    # Each test gets its own schema, so tests never see each other's rows.
    engine = create_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
    store.init_db(engine, catalogue)
    return engine, schema


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path, catalogue):
    """The store on each supported backend."""
    if request.param == "sqlite":
        eng = store.make_engine(f"sqlite:///{tmp_path / 'test.sqlite'}")
        store.init_db(eng, catalogue)
        yield eng
        eng.dispose()
        return
    eng, schema = _postgres_engine(catalogue)
    yield eng
    eng.dispose()
    from sqlalchemy import text

    admin = store.make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()
