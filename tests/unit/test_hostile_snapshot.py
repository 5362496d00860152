"""A restored snapshot passes the same rules as an ingested file, or is refused whole.

Each hostile snapshot is a good one edited in code with its manifest's hashes and row counts
recomputed (as anyone editing one would); restoring it must leave the store as it was, on SQLite
and PostgreSQL, and the command line must answer with a message, never a traceback.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import io
import json
import shutil
from pathlib import Path

import pytest

from loaders.cli import main
from loaders.ingest import ingest_paths
from loaders.snapshot import PARTS, SnapshotError, restore_snapshot, write_snapshot
from metrics import store
from tests.unit.test_cli import write_csv
from tests.unit.test_data_safety import dump

GOOD_ROWS = [
    "ae_4hr_all,RWE,2024-01-01,70,14000,20000,,",
    "ae_attendances,RWE,2024-01-01,20000,,,,",
    "ae_12hr_dta,RWE,2024-01-01,150,,,,",
]


@pytest.fixture(scope="module")
def good(tmp_path_factory, catalogue) -> Path:
    folder = tmp_path_factory.mktemp("good")
    engine = store.make_engine(f"sqlite:///{folder / 'source.sqlite'}")
    summary = ingest_paths([write_csv(folder / "in", "figures.csv", GOOD_ROWS)], engine, catalogue)
    assert not summary.failed, summary.lines()
    write_snapshot(engine, folder / "snap")
    engine.dispose()
    return folder / "snap"


def edited(good: Path, tmp_path: Path, part: str, change) -> Path:
    """A copy of ``good`` whose ``part`` text is ``change(text)``, its manifest made to match."""
    folder = tmp_path / "hostile"
    shutil.copytree(good, folder)
    name = PARTS[part]
    text = change(gzip.decompress((folder / name).read_bytes()).decode("utf-8"))
    data = text.encode("utf-8")
    (folder / name).write_bytes(gzip.compress(data))
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["parts"][part]["sha256"] = hashlib.sha256(data).hexdigest()
    manifest["parts"][part]["rows"] = len(text.splitlines()) - 1
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def replace_in_row(metric: str, old: str, new: str):
    def change(text: str) -> str:
        lines = text.splitlines()
        for i, line in enumerate(lines):
            if line.startswith(metric + ","):
                assert old in line, (old, line)
                lines[i] = line.replace(old, new, 1)
                break
        else:
            raise AssertionError(metric)
        return "\n".join(lines) + "\n"

    return change


def extra_rows(count: int, ref: int):
    def change(text: str) -> str:
        rows = [f"ae_attendances,RWE,{2000 + i // 12:04d}-{i % 12 + 1:02d}-01,month,,,100,{ref}" for i in range(count)]
        return text + "\n".join(rows) + "\n"

    return change


HOSTILE = {
    "a 250% proportion with its numerator above its denominator": (
        "observations",
        replace_in_row("ae_4hr_all", ",14000,20000,70,", ",50000,20000,250,"),
        "250 is a percentage and cannot be above 100",
    ),
    "negative attendances": (
        "observations",
        replace_in_row("ae_attendances", ",20000,", ",-12345,"),
        "-12345 is a count and cannot be negative",
    ),
    "an infinite value": ("observations", replace_in_row("ae_attendances", ",20000,", ",Inf,"), "not a finite number"),
    "a formula as an organisation code": (
        "observations",
        replace_in_row("ae_attendances", ",RWE,", ',"=HYPERLINK(""http://x"")",'),
        "is not an organisation code",
    ),
    "a period in 2099": (
        "observations",
        replace_in_row("ae_attendances", ",2024-01-01,", ",2099-01-01,"),
        "is outside 1990 to",
    ),
    "a period with month 13": (
        "observations",
        replace_in_row("ae_attendances", ",2024-01-01,", ",2024-13-01,"),
        "the period 2024-13-01 is outside",
    ),
    "a period type of decade": (
        "observations",
        replace_in_row("ae_attendances", ",month,", ",decade,"),
        "is reported by month, not by decade",
    ),
    "1,000 rows pointing at a source that does not exist": (
        "observations",
        extra_rows(1000, 99),
        "1,000 observation(s) point at source ref(s) [99] that the sources part lacks",
    ),
    "a javascript: source URL": (
        "sources",
        lambda text: _first_source(text, "url", "javascript:alert(1)//https://example.org"),
        "source URL 'javascript:alert(1)//https://",
    ),
    "a lower-case twin of an organisation code": (
        "observations",
        replace_in_row("ae_attendances", ",RWE,", ",rwe,"),
        "organisation code 'rwe' is not upper case",
    ),
    "a month that has not ended": (
        "observations",
        lambda text: replace_in_row("ae_attendances", ",2024-01-01,", f",{dt.date.today():%Y-%m}-01,")(text),
        "the month has not ended yet",
    ),
    "a percentage that disagrees with its parts": (
        "observations",
        replace_in_row("ae_4hr_all", ",14000,20000,70,", ",2000,20000,70,"),
        "the value 70% does not agree with its numerator and denominator (2000 / 20000 = 10.0%)",
    ),
    "a source published before its period": (
        "sources",
        lambda text: _published(text, "2019-01-01"),
        "says it was published on 2019-01-01, before the first period it describes (2024-01-01)",
    ),
    "a source published in 2099": (
        "sources",
        lambda text: _published(text, "2099-01-01"),
        "says it was published on 2099-01-01, after today",
    ),
}


def _first_source(text: str, column: str, value: str) -> str:
    rows = list(csv.reader(io.StringIO(text)))
    rows[1][rows[0].index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def _published(text: str, date: str) -> str:
    return _first_source(text, "published", date)


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_snapshot_is_refused_whole(engine, good, tmp_path, catalogue, case):
    part, change, message = HOSTILE[case]
    folder = edited(good, tmp_path, part, change)
    before = dump(engine)
    with pytest.raises(SnapshotError) as error:
        restore_snapshot(engine, folder, catalogue)
    assert message in str(error.value)
    assert "nothing was loaded" in str(error.value) or "refused" in str(error.value)
    assert dump(engine) == before


def test_the_good_snapshot_restores(engine, good, catalogue):
    restore_snapshot(engine, good, catalogue)
    assert len(store.read_observations(engine)) == len(GOOD_ROWS)


def test_row_counts_must_equal_the_manifest(engine, good, tmp_path, catalogue):
    folder = tmp_path / "miscounted"
    shutil.copytree(good, folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["parts"]["observations"]["rows"] = 4
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(SnapshotError, match="the observations part has 3 rows but the manifest says 4"):
        restore_snapshot(engine, folder, catalogue)
    assert store.read_observations(engine).empty


DAMAGE = {
    "a cut gzip part": (
        lambda f: (f / "observations.csv.gz").write_bytes((f / "observations.csv.gz").read_bytes()[:-12]),
        "not a complete gzip file",
    ),
    "a part that is not gzip": (
        lambda f: (f / "sources.csv.gz").write_bytes(b"ref,loader\n"),
        "not a complete gzip file",
    ),
    "a damaged manifest": (
        lambda f: (f / "manifest.json").write_text('{"format": "llr-dashboard-snapshot/1", "parts": {', "utf-8"),
        "the manifest is not readable JSON",
    ),
    "a manifest without parts": (
        lambda f: (f / "manifest.json").write_text('{"format": "llr-dashboard-snapshot/1"}', "utf-8"),
        "the manifest must list each part",
    ),
    "a missing part": (lambda f: (f / "organisations.csv.gz").unlink(), "the file is missing"),
    "a part named outside the folder": (
        lambda f: (f / "manifest.json").write_text(
            (f / "manifest.json").read_text("utf-8").replace('"sources.csv.gz"', '"../sources.csv.gz"'), "utf-8"
        ),
        "is not a file name in the snapshot folder",
    ),
}


@pytest.mark.parametrize("case", list(DAMAGE))
def test_a_damaged_snapshot_gets_a_message_not_a_traceback(good, tmp_path, case, capsys):
    damage, message = DAMAGE[case]
    folder = tmp_path / "damaged"
    shutil.copytree(good, folder)
    damage(folder)
    db = tmp_path / "target.sqlite"
    assert main(["restore", str(folder), "--db", f"sqlite:///{db}"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("ERROR: ") and message in err
    assert "Traceback" not in err


def test_a_part_that_inflates_past_the_limit_is_refused_unread(engine, good, tmp_path, catalogue, monkeypatch):
    monkeypatch.setenv("LLR_MAX_UNCOMPRESSED_MB", "1")
    # 3 MB of padding in a quoted cell compresses to a few kilobytes.
    folder = edited(good, tmp_path, "organisations", lambda text: text + '"' + "A" * 3_000_000 + '",x,provider,,\n')
    with pytest.raises(SnapshotError, match="unpacks to more than 1 MB"):
        restore_snapshot(engine, folder, catalogue)
    assert store.read_observations(engine).empty
