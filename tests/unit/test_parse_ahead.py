"""Parsing ahead in a child process (``loaders.parse_ahead``) gives the outcomes of a file-by-file ingest.

The run mixes what depends on the files before it: a generic-template file naming a provider that
only the A&E file before it brings into the store (so its parse ahead, made before that file was
written, must be redone), the same content under a second name, an empty file and a file no loader
recognises.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from loaders import parse_ahead
from loaders.ingest import IngestSummary, ingest_file, ingest_paths
from metrics import store
from metrics.store.schema import observation
from tests.conftest import public_file

AE_FILE = ("ae_attendances", "monthly_provider_csv", "April-2020-revised-260421-abc123.csv")
#: Guy's and St Thomas': in the A&E file, not among the catalogue's organisations.
PROVIDER = "RJ1"


@pytest.fixture
def run_files(tmp_path, catalogue) -> list[Path]:
    assert PROVIDER not in catalogue.organisation_by_code
    folder = tmp_path / "in"
    folder.mkdir()
    ae = folder / AE_FILE[-1]
    shutil.copy(public_file(*AE_FILE), ae)
    figures = folder / "reported.csv"
    figures.write_text(
        "metric_id,org_code,period,value,numerator,denominator,note,source\n"
        f"ae_4hr_all,{PROVIDER},2020-03,,9000,10000,,Board paper\n",
        encoding="utf-8",
    )
    again = folder / "reported-copy.csv"
    again.write_bytes(figures.read_bytes())
    empty = folder / "empty.csv"
    empty.write_bytes(b"")
    unknown = folder / "notes.csv"
    unknown.write_text("colour,shape\nblue,round\n", encoding="utf-8")
    return [ae, figures, again, empty, unknown]


def _ingest(files: list[Path], folder: Path, catalogue, one_by_one: bool = False):
    engine = store.make_engine(f"sqlite:///{folder / 'store.sqlite'}")
    store.init_db(engine, catalogue)
    if one_by_one:  # each file screened, parsed and written before the next is looked at
        summary = IngestSummary([ingest_file(f, engine, catalogue) for f in files])
    else:
        summary = ingest_paths(files, engine, catalogue)
    with engine.connect() as conn:
        rows = sorted(tuple(r) for r in conn.execute(select(observation.c.metric_id, observation.c.org_code,
                      observation.c.period_start, observation.c.numerator, observation.c.value)))  # fmt: skip
    engine.dispose()
    seen = [(o.path.name, o.status, o.loader, o.layout, o.rows, o.periods, o.added, o.updated, o.unchanged,
             o.kept_newer, o.warnings, o.error) for o in summary.outcomes]  # fmt: skip
    return seen, rows


def _one_by_one(files, tmp_path, catalogue, monkeypatch):
    folder = tmp_path / "one-by-one"
    folder.mkdir()
    return _ingest(files, folder, catalogue, one_by_one=True)


def _parses_recorded(monkeypatch, tmp_path, die_in_child: bool = False) -> Path:
    """Record the process of every parse (a line each in a file); with ``die_in_child`` the child
    process dies at its first parse, as one killed for running out of memory would."""
    log = tmp_path / "parses.log"
    parent, real = os.getpid(), parse_ahead.parse_file

    def recorded(path, *args):
        if die_in_child and os.getpid() != parent:
            os._exit(1)
        with open(log, "a", encoding="utf-8") as out:
            out.write(f"{'here' if os.getpid() == parent else 'child'} {Path(path).name}\n")
        return real(path, *args)

    monkeypatch.setattr(parse_ahead, "parse_file", recorded)
    return log


def test_parsed_ahead_the_outcomes_and_rows_are_those_of_one_file_at_a_time(run_files, tmp_path, catalogue,
                                                                          monkeypatch):  # fmt: skip
    expected_outcomes, expected_rows = _one_by_one(run_files, tmp_path, catalogue, monkeypatch)
    statuses = {name: status for name, status, *_ in expected_outcomes}
    assert statuses == {
        AE_FILE[-1]: "loaded", "reported.csv": "loaded", "reported-copy.csv": "unchanged", "empty.csv": "error",
        "notes.csv": "unrecognised",
    }  # fmt: skip
    assert (
        "ae_4hr_all", PROVIDER, pytest.approx(9000.0)
    ) == next((m, o, n) for m, o, _p, n, _v in expected_rows if o == PROVIDER and n == 9000)

    log = _parses_recorded(monkeypatch, tmp_path)
    folder = tmp_path / "ahead"
    folder.mkdir()
    outcomes, rows = _ingest(run_files, folder, catalogue)

    assert outcomes == expected_outcomes
    assert rows == expected_rows
    parses = log.read_text(encoding="utf-8").splitlines()
    # The child parsed the files; the generic file was parsed again here, because the A&E file
    # written meanwhile added the provider it names. The empty file was never parsed.
    assert f"child {AE_FILE[-1]}" in parses and "child reported.csv" in parses
    assert "here reported.csv" in parses
    assert not any(line.endswith("empty.csv") for line in parses)


def test_a_child_that_dies_leaves_the_files_to_be_parsed_here(run_files, tmp_path, catalogue, monkeypatch):
    expected = _one_by_one(run_files, tmp_path, catalogue, monkeypatch)
    log = _parses_recorded(monkeypatch, tmp_path, die_in_child=True)
    folder = tmp_path / "ahead"
    folder.mkdir()
    assert _ingest(run_files, folder, catalogue) == expected
    parses = log.read_text(encoding="utf-8").splitlines()
    assert parses and all(line.startswith("here ") for line in parses)
