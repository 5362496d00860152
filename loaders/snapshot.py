"""Published snapshots: the tidy store as compressed CSV, and restoring one into any database.

A snapshot is a folder with one gzip CSV per table and a ``manifest.json``:

- ``organisations.csv.gz`` — ``code, name, kind, parent_code, place`` (every organisation stored);
- ``sources.csv.gz`` — one row per loaded file: ``ref`` (the snapshot's own key), file name,
  SHA-256, publisher, publication, licence, URL, vintage, periods and row counts, demo and
  derived flags (no database id, no load time);
- ``observations.csv.gz`` — the tidy rows with ``source_ref``;
- ``manifest.json`` — the format, each part's row count and the SHA-256 of its uncompressed
  text, and the list of source files.

The content is deterministic: rows are sorted, numbers are written in their shortest exact form
(integers without ``.0``), nothing records when it was made, and gzip headers carry no time or
name. Making the same snapshot twice from the same files gives identical parts.

Restoring runs in one transaction with the revision rules of ingest (``store.restore_tables``):
a source already loaded (same SHA-256) changes nothing, so restoring twice is harmless.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from loaders.ingest import FileOutcome, IngestSummary, expand_paths, ingest_paths
from metrics import store
from metrics.catalogue import PROJECT_ROOT, Catalogue

FORMAT = "llr-dashboard-snapshot/1"
#: The snapshot committed with the project (the app's default database is built from it).
PUBLISHED_DIR = PROJECT_ROOT / "data" / "published"

ORGANISATION_COLUMNS = ["code", "name", "kind", "parent_code", "place"]
OBSERVATION_COLUMNS = [
    "metric_id",
    "org_code",
    "period_start",
    "period_type",
    "numerator",
    "denominator",
    "value",
    "source_ref",
]
SOURCE_COLUMNS = ["ref", *store.SNAPSHOT_SOURCE_COLUMNS]
PARTS = {
    "organisations": "organisations.csv.gz",
    "sources": "sources.csv.gz",
    "observations": "observations.csv.gz",
}
_NUMBERS = ("numerator", "denominator", "value")
#: Reference data (ODS and ONS organisations and memberships), written only when the store holds
#: some, so a snapshot without reference files is byte for byte what it was before they existed.
REFERENCE_PARTS = {
    "reference_organisations": "reference_organisations.csv.gz",
    "reference_memberships": "reference_memberships.csv.gz",
}


class SnapshotError(Exception):
    """A snapshot folder that cannot be restored (missing part, checksum mismatch, wrong format)."""


@dataclass
class SnapshotSummary:
    folder: Path
    rows: dict[str, int]

    def lines(self) -> list[str]:
        return [f"snapshot written to {self.folder}: " + ", ".join(f"{n} {k}" for k, n in self.rows.items())]


# ---------------------------------------------------------------------------- writing
def _number_text(values: pd.Series) -> pd.Series:
    """Shortest exact text for each float (``repr``), integers without ``.0``, blank for missing."""

    def one(x) -> str:
        if pd.isna(x):
            return ""
        x = float(x)
        return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)

    return values.map(one)


def _csv_text(frame: pd.DataFrame) -> str:
    return frame.to_csv(index=False, lineterminator="\n")


def _write_part(folder: Path, name: str, text: str) -> str:
    """Write gzip without a time stamp or file name in the header (so identical text gives identical
    bytes with the same zlib); return the SHA-256 of the uncompressed text."""
    data = text.encode("utf-8")
    with open(folder / name, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        gz.write(data)
    return hashlib.sha256(data).hexdigest()


def snapshot_frames(engine: Engine) -> dict[str, pd.DataFrame]:
    """The store's tables in snapshot form (sorted, text cells), by part name."""
    organisations = store.read_organisations(engine)[ORGANISATION_COLUMNS].fillna("")
    organisations = organisations.sort_values("code", kind="stable").reset_index(drop=True)

    sources = store.read_all_sources(engine)
    sources = sources.sort_values(["file_name", "sha256"], kind="stable").reset_index(drop=True)
    sources.insert(0, "ref", range(1, len(sources) + 1))
    ref_by_id = dict(zip(sources["id"].astype(int), sources["ref"], strict=True))
    sources = sources[SOURCE_COLUMNS].copy()
    for col in ("period_from", "period_to", "published"):
        sources[col] = pd.to_datetime(sources[col]).dt.strftime("%Y-%m-%d").fillna("")
    for col in ("is_demo", "derived"):
        sources[col] = sources[col].astype(bool).map({True: "yes", False: "no"})

    obs = store.read_observations(engine)
    obs["source_ref"] = obs["source_id"].astype(int).map(ref_by_id)
    obs = obs.sort_values(["metric_id", "org_code", "period_start", "period_type"], kind="stable")
    obs["period_start"] = obs["period_start"].dt.strftime("%Y-%m-%d")
    for col in _NUMBERS:
        obs[col] = _number_text(obs[col])
    frames = {
        "organisations": organisations,
        "sources": sources,
        "observations": obs[OBSERVATION_COLUMNS].reset_index(drop=True),
    }
    ref_orgs, ref_members = store.read_reference_rows(engine)
    if len(ref_orgs) or len(ref_members):
        sha_by_id = dict(zip(store.read_all_sources(engine)["id"].astype(int), store.read_all_sources(engine)["sha256"],
                             strict=True))  # fmt: skip
        for part, frame, dates in (
            ("reference_organisations", ref_orgs, ("opened", "closed")),
            ("reference_memberships", ref_members, ("valid_from", "valid_to")),
        ):
            frame = frame.copy()
            frame["source_sha256"] = frame.pop("source_id").astype(int).map(sha_by_id)
            for col in dates:
                frame[col] = pd.to_datetime(frame[col]).dt.strftime("%Y-%m-%d").fillna("")
            if "weight" in frame:
                frame["weight"] = _number_text(frame["weight"])
            frames[part] = frame.fillna("").reset_index(drop=True)
    return frames


def write_snapshot(engine: Engine, folder: str | Path, inputs: dict[str, str] | None = None) -> SnapshotSummary:
    """Write the store as a snapshot folder (parts and manifest), replacing any earlier parts.

    Parameters
    ----------
    engine : Engine
    folder : path
        Created if missing; files other than the parts and the manifest are left alone.
    inputs : dict, optional
        SHA-256 -> path of each input file (relative, as given), listed in the manifest.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    frames = snapshot_frames(engine)
    manifest: dict = {"format": FORMAT, "parts": {}, "source_files": []}
    for part, name in {**PARTS, **REFERENCE_PARTS}.items():
        if part not in frames:
            continue
        digest = _write_part(folder, name, _csv_text(frames[part]))
        manifest["parts"][part] = {"file": name, "rows": len(frames[part]), "sha256": digest}
    for r in frames["sources"].itertuples():
        entry = {"file": r.file_name, "sha256": r.sha256, "loader": r.loader, "rows": int(r.rows)}
        if inputs and r.sha256 in inputs:
            entry["path"] = inputs[r.sha256]
        manifest["source_files"].append(entry)
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return SnapshotSummary(folder, {part: len(frame) for part, frame in frames.items()})


def snapshot_from_files(
    paths: list[str | Path],
    folder: str | Path,
    catalogue: Catalogue,
    on_file: Callable[[FileOutcome], None] | None = None,
) -> tuple[IngestSummary, SnapshotSummary | None]:
    """Ingest ``paths`` into a temporary SQLite database and snapshot it (nothing is written to
    ``folder`` when a file fails)."""
    with tempfile.TemporaryDirectory(prefix="llr-snapshot-") as tmp:
        engine = store.make_engine(f"sqlite:///{Path(tmp) / 'snapshot.sqlite'}")
        try:
            summary = ingest_paths(paths, engine, catalogue, on_file=on_file)
            if summary.failed:
                return summary, None
            inputs = {}
            for root in map(Path, paths):
                for file in expand_paths([root]):
                    relative = file.relative_to(root.parent) if root.is_dir() else Path(file.name)
                    inputs.setdefault(_sha256_file(file), relative.as_posix())
            return summary, write_snapshot(engine, folder, inputs)
        finally:
            engine.dispose()


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------------------- reading
def read_manifest(folder: str | Path) -> dict:
    path = Path(folder) / "manifest.json"
    if not path.exists():
        raise SnapshotError(f"'{folder}' is not a snapshot folder: it has no manifest.json")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise SnapshotError(f"'{path}': format {manifest.get('format')!r} is not {FORMAT!r}")
    return manifest


def read_part_text(folder: str | Path, part: str, manifest: dict | None = None) -> str:
    """A part's uncompressed text, checked against the manifest's SHA-256."""
    manifest = manifest or read_manifest(folder)
    entry = manifest["parts"].get(part)
    if entry is None:
        raise SnapshotError(f"'{folder}': the manifest lists no {part} part")
    path = Path(folder) / entry["file"]
    if not path.exists():
        raise SnapshotError(f"'{path}': the file is missing")
    data = gzip.decompress(path.read_bytes())
    if hashlib.sha256(data).hexdigest() != entry["sha256"]:
        raise SnapshotError(f"'{path}': its content does not match the manifest's SHA-256 (a damaged copy?)")
    return data.decode("utf-8")


def read_snapshot(folder: str | Path) -> dict[str, pd.DataFrame]:
    """The parts of a snapshot as frames ready for ``store.restore_tables`` (periods as ISO text)."""
    manifest = read_manifest(folder)
    text = {part: read_part_text(folder, part, manifest) for part in PARTS}
    organisations = pd.read_csv(io.StringIO(text["organisations"]), dtype=str, keep_default_na=False)
    sources = pd.read_csv(
        io.StringIO(text["sources"]),
        dtype=str,
        keep_default_na=False,
    )
    for col in ("ref", "rows", "added", "updated", "unchanged"):
        sources[col] = sources[col].astype(int)
    for col in ("is_demo", "derived"):
        sources[col] = sources[col] == "yes"
    for col in ("period_from", "period_to", "published"):
        if col in sources:  # ``published``: snapshots made before sources carried publication dates lack it
            sources[col] = pd.to_datetime(sources[col].replace("", None), format="%Y-%m-%d")
    obs = pd.read_csv(
        io.StringIO(text["observations"]),
        # Python strings (object), not pandas' Arrow strings: the rows go straight to the driver.
        dtype={c: object for c in ("metric_id", "org_code", "period_start", "period_type")}
        | {c: "float64" for c in _NUMBERS}
        | {"source_ref": "int64"},
        keep_default_na=False,
        na_values={c: [""] for c in _NUMBERS},
    )
    frames = {"organisations": organisations, "sources": sources, "observations": obs}
    for part in REFERENCE_PARTS:
        if part in manifest["parts"]:
            frame = pd.read_csv(io.StringIO(read_part_text(folder, part, manifest)), dtype=str, keep_default_na=False)
            frame = frame.astype(object).where(frame != "", None)
            for col in ("opened", "closed", "valid_from", "valid_to"):
                if col in frame:
                    frame[col] = [None if v is None else dt.date.fromisoformat(v) for v in frame[col]]
            if "weight" in frame:
                frame["weight"] = frame["weight"].astype(float)
            frames[part] = frame
    return frames


def restore_snapshot(engine: Engine, folder: str | Path, catalogue: Catalogue) -> store.RestoreCounts:
    """Create the schema if needed and load the snapshot in ``folder`` in one transaction."""
    frames = read_snapshot(folder)
    unknown = sorted(set(frames["observations"]["metric_id"]) - set(catalogue.metric_by_id))
    if unknown:
        raise SnapshotError(f"'{folder}': metric(s) {unknown} are not in the catalogue")
    store.init_db(engine, catalogue)
    counts = store.restore_tables(engine, frames["organisations"], frames["sources"], frames["observations"])
    if "reference_organisations" in frames or "reference_memberships" in frames:
        ids = dict(zip(store.read_all_sources(engine)["sha256"], store.read_all_sources(engine)["id"], strict=True))
        empty = pd.DataFrame(columns=["loader", "source_sha256"])
        store.restore_reference(
            engine,
            frames.get("reference_organisations", empty),
            frames.get("reference_memberships", empty),
            {sha: int(i) for sha, i in ids.items()},
            frames["organisations"],
        )
    return counts
