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

import ctypes
import datetime as dt
import gzip
import io
import json
import os
import re
import shutil
import sys
import tempfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from loaders.base import LoadError, LoadResult, Problems, shown
from loaders.ingest import FileOutcome, IngestSummary, expand_paths, ingest_paths
from loaders.limits import Limits
from loaders.validate import _CONTROL, MAX_PUBLICATION_LENGTH, ORG_CODE, text_problem, validate_tidy
from metrics import store
from metrics.catalogue import PROJECT_ROOT, Catalogue
from metrics.digest import sha256_file, sha256_hex

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
PARTS_AND_REFERENCE = {**PARTS, **REFERENCE_PARTS}


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
    return sha256_hex(data)


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


def write_snapshot(
    engine: Engine, folder: str | Path, inputs: dict[str, str] | None = None, *, replace: bool = False
) -> SnapshotSummary:
    """Write the store as a snapshot folder (parts and manifest), all at once.

    The new snapshot is written to a hidden folder beside ``folder`` and swapped into place in one
    step (``_swap_into_place``), so a reader, or a run killed midway, finds the old snapshot or the
    new one, never a mix of parts. Files in ``folder`` other than the parts and the manifest (a
    README) are carried over.

    Parameters
    ----------
    engine : Engine
    folder : path
        Created if missing.
    inputs : dict, optional
        SHA-256 -> path of each input file (relative, as given), listed in the manifest.
    replace : bool
        A folder that already holds something other than this same snapshot (another snapshot, or
        any other files) is refused with ``SnapshotError`` unless this is True.
    """
    folder = Path(folder)
    frames = snapshot_frames(engine)
    texts = {part: _csv_text(frames[part]) for part in PARTS_AND_REFERENCE if part in frames}
    manifest: dict = {"format": FORMAT, "parts": {}, "source_files": []}
    for part, name in PARTS_AND_REFERENCE.items():
        if part not in texts:
            continue
        digest = sha256_hex(texts[part].encode("utf-8"))
        manifest["parts"][part] = {"file": name, "rows": len(frames[part]), "sha256": digest}
    for r in frames["sources"].itertuples():
        entry = {"file": r.file_name, "sha256": r.sha256, "loader": r.loader, "rows": int(r.rows)}
        if inputs and r.sha256 in inputs:
            entry["path"] = inputs[r.sha256]
        manifest["source_files"].append(entry)
    manifest_text = json.dumps(manifest, indent=1, ensure_ascii=False) + "\n"
    summary = SnapshotSummary(folder, {part: len(frame) for part, frame in frames.items()})
    if not replace:
        why = _holds_other_data(folder, manifest_text)
        if why is None:  # the folder already holds exactly this snapshot: nothing to do
            return summary
        if why:
            raise SnapshotError(f"'{folder}' {why}; nothing was written (give --replace to replace it)")
    building = folder.with_name(f".{folder.name}.building-{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    try:
        if folder.is_dir():  # keep what is not ours (a README beside the parts)
            for item in folder.iterdir():
                if item.name not in {*PARTS_AND_REFERENCE.values(), "manifest.json"} and item.is_file():
                    shutil.copy2(item, building / item.name)
        for part, name in PARTS_AND_REFERENCE.items():
            if part in texts:
                _write_part(building, name, texts[part])
        (building / "manifest.json").write_text(manifest_text, encoding="utf-8")
        _swap_into_place(building, folder)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return summary


def _holds_other_data(folder: Path, manifest_text: str) -> str | None:
    """Why ``folder`` may not be written without ``--replace``: "" when it is missing or empty,
    None when it already holds this very snapshot, else what it holds."""
    if not folder.exists():
        return ""
    if not folder.is_dir():
        return "is a file, not a folder"
    names = sorted(p.name for p in folder.iterdir())
    if not names:
        return ""
    manifest = folder / "manifest.json"
    if manifest.is_file():
        try:
            same = manifest.read_text(encoding="utf-8") == manifest_text
        except (OSError, UnicodeDecodeError):
            same = False
        if same and all((folder / name).is_file() for name in PARTS.values()):
            try:
                if all(read_part_text(folder, part) is not None for part in PARTS):
                    return None
            except SnapshotError:
                pass
        return "already holds another snapshot"
    shown_names = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return f"already holds other files ({shown_names})"


def _swap_into_place(building: Path, folder: Path) -> None:
    """Make ``building`` the folder at ``folder`` in one step.

    Linux swaps the two folders atomically (``renameat2`` with ``RENAME_EXCHANGE``); elsewhere the
    old folder is moved aside first and removed after, so an interruption leaves it beside the new
    name (``.NAME.old-PID``) rather than mixing parts.
    """
    if not folder.exists():
        os.replace(building, folder)
        return
    if _exchange(building, folder):
        shutil.rmtree(building, ignore_errors=True)  # now holds the old snapshot
        return
    aside = folder.with_name(f".{folder.name}.old-{os.getpid()}")
    os.replace(folder, aside)
    os.replace(building, folder)
    shutil.rmtree(aside, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    done = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return done == 0


def snapshot_from_files(
    paths: list[str | Path],
    folder: str | Path,
    catalogue: Catalogue,
    on_file: Callable[[FileOutcome], None] | None = None,
    *,
    replace: bool = False,
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
                    inputs.setdefault(sha256_file(file), relative.as_posix())
            return summary, write_snapshot(engine, folder, inputs, replace=replace)
        finally:
            engine.dispose()


# ---------------------------------------------------------------------------- reading
#: The largest part a snapshot may inflate to (the published observations part is about 30 MB);
#: ``LLR_MAX_UNCOMPRESSED_MB`` (the workbook limit) overrides it like every other unpacking limit.
def _max_part_bytes() -> int:
    return int(Limits.from_environment().max_uncompressed_mb * 1048576)


def read_manifest(folder: str | Path) -> dict:
    path = Path(folder) / "manifest.json"
    if not path.exists():
        raise SnapshotError(f"'{folder}' is not a snapshot folder: it has no manifest.json")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SnapshotError(f"'{path}': the manifest is not readable JSON ({exc}); nothing was loaded") from None
    except OSError as exc:
        raise SnapshotError(f"'{path}': cannot be read ({exc.strerror}); nothing was loaded") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else type(manifest).__name__
        raise SnapshotError(f"'{path}': format {found!r} is not {FORMAT!r}")
    parts = manifest.get("parts")
    if not isinstance(parts, dict) or not all(
        isinstance(parts.get(p), dict)
        and isinstance(parts[p].get("file"), str)
        and isinstance(parts[p].get("sha256"), str)
        and isinstance(parts[p].get("rows"), int)
        for p in PARTS
    ):
        raise SnapshotError(
            f"'{path}': the manifest must list each part ({', '.join(PARTS)}) with its file, rows and sha256"
        )
    for part in PARTS:
        name = parts[part]["file"]
        if Path(name).name != name or name.startswith("."):
            raise SnapshotError(f"'{path}': the {part} part '{name}' is not a file name in the snapshot folder")
    return manifest


def _inflate(path: Path, limit: int) -> bytes:
    """A gzip file's content, refused once it passes ``limit`` bytes (never inflated further)."""
    out = bytearray()
    try:
        with gzip.open(path, "rb") as gz:
            while chunk := gz.read(1 << 20):
                out += chunk
                if len(out) > limit:
                    raise SnapshotError(
                        f"'{path}': unpacks to more than {limit / 1048576:.0f} MB "
                        "(LLR_MAX_UNCOMPRESSED_MB); nothing was loaded"
                    )
    except (OSError, EOFError, zlib.error) as exc:
        raise SnapshotError(
            f"'{path}': not a complete gzip file ({exc}); nothing was loaded (a damaged or cut copy?)"
        ) from None
    return bytes(out)


def read_part_text(folder: str | Path, part: str, manifest: dict | None = None) -> str:
    """A part's uncompressed text, checked against the manifest's SHA-256 (inflating at most
    ``LLR_MAX_UNCOMPRESSED_MB``)."""
    manifest = manifest or read_manifest(folder)
    entry = manifest["parts"].get(part)
    if entry is None:
        raise SnapshotError(f"'{folder}': the manifest lists no {part} part")
    path = Path(folder) / entry["file"]
    if not path.is_file():
        raise SnapshotError(f"'{path}': the file is missing; nothing was loaded")
    data = _inflate(path, _max_part_bytes())
    if sha256_hex(data) != entry["sha256"]:
        raise SnapshotError(f"'{path}': its content does not match the manifest's SHA-256 (a damaged copy?)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise SnapshotError(f"'{path}': the content is not UTF-8 text; nothing was loaded") from None


def read_snapshot(folder: str | Path) -> dict[str, pd.DataFrame]:
    """The parts of a snapshot as frames ready for ``store.restore_tables`` (periods as ISO text).

    Raises
    ------
    SnapshotError
        For a missing, damaged or malformed part, and when a part's row count differs from the
        manifest's.
    """
    manifest = read_manifest(folder)
    text = {part: read_part_text(folder, part, manifest) for part in PARTS}
    try:
        frames = _parse_parts(text)
    except (ValueError, KeyError, TypeError, pd.errors.ParserError) as exc:
        raise SnapshotError(f"'{folder}': a part is not in the snapshot's layout ({exc}); nothing was loaded") from None
    for part, frame in frames.items():
        expected = manifest["parts"][part]["rows"]
        if len(frame) != expected:
            raise SnapshotError(
                f"'{folder}': the {part} part has {len(frame):,} rows but the manifest says {expected:,}; "
                "nothing was loaded"
            )
    return {**frames, **_reference_parts(folder, manifest)}


_COLUMNS = {
    "organisations": ORGANISATION_COLUMNS,
    "sources": [c for c in SOURCE_COLUMNS if c != "published"],
    "observations": OBSERVATION_COLUMNS,
}


def _parse_parts(text: dict[str, str]) -> dict[str, pd.DataFrame]:
    organisations = pd.read_csv(io.StringIO(text["organisations"]), dtype=str, keep_default_na=False)
    sources = pd.read_csv(
        io.StringIO(text["sources"]),
        dtype=str,
        keep_default_na=False,
    )
    obs_header = pd.read_csv(io.StringIO(text["observations"]), nrows=0).columns
    for part, frame_columns in (
        ("organisations", organisations.columns),
        ("sources", sources.columns),
        ("observations", obs_header),
    ):
        lacking = [c for c in _COLUMNS[part] if c not in frame_columns]
        if lacking:
            raise ValueError(f"the {part} part lacks column(s) {lacking}")
    for col in ("ref", "rows", "added", "updated", "unchanged"):
        if not sources[col].str.fullmatch(r"\d{1,12}").all():
            raise ValueError(f"sources column '{col}' holds something other than a whole number")
        sources[col] = sources[col].astype(int)
    for col in ("is_demo", "derived"):
        if not sources[col].isin(["yes", "no"]).all():
            raise ValueError(f"sources column '{col}' holds something other than yes or no")
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
    return {"organisations": organisations, "sources": sources, "observations": obs}


def _reference_parts(folder, manifest: dict) -> dict[str, pd.DataFrame]:
    """The reference parts a snapshot lists (none for one made without reference files)."""
    frames = {}
    for part in REFERENCE_PARTS:
        if part not in manifest["parts"]:
            continue
        try:
            frame = pd.read_csv(io.StringIO(read_part_text(folder, part, manifest)), dtype=str, keep_default_na=False)
            frame = frame.astype(object).where(frame != "", None)
            for col in ("opened", "closed", "valid_from", "valid_to"):
                if col in frame:
                    frame[col] = [None if v is None else dt.date.fromisoformat(v) for v in frame[col]]
            if "weight" in frame:
                frame["weight"] = frame["weight"].astype(float)
        except (ValueError, KeyError, TypeError, pd.errors.ParserError) as exc:
            raise SnapshotError(f"'{folder}': the {part} part is not in the snapshot's layout ({exc})") from None
        if len(frame) != manifest["parts"][part]["rows"]:
            raise SnapshotError(f"'{folder}': the {part} part's row count differs from the manifest's")
        frames[part] = frame
    return frames


def check_snapshot(frames: dict[str, pd.DataFrame], catalogue: Catalogue, folder: str | Path) -> None:
    """Refuse a snapshot whose content could not have come from an ingest.

    The same rules as an ingested file (``loaders.validate``: values, periods, period types,
    organisation codes and names) applied to every row, plus: every observation's source is in
    the snapshot, source references and SHA-256s are unique, source URLs are web addresses,
    publication dates are not in the future, and text fields hold no control characters.

    Raises
    ------
    SnapshotError
        Listing the problems found (up to ``LLR_MAX_ERRORS_REPORTED``).
    """
    sources, obs, organisations = frames["sources"], frames["observations"], frames["organisations"]
    problems = Problems(Limits.from_environment().max_errors_reported)
    refs = set(sources["ref"])
    if sources["ref"].duplicated().any():
        problems.add("the sources part repeats a ref")
    if sources["sha256"].duplicated().any():
        problems.add("the sources part lists the same SHA-256 twice")
    for sha in sources.loc[~sources["sha256"].str.fullmatch(r"[0-9a-f]{64}"), "sha256"].head(3):
        problems.add(f"source SHA-256 '{shown(sha)}' is not 64 hexadecimal digits")
    dangling = ~obs["source_ref"].isin(refs)
    if dangling.any():
        missing = sorted(set(obs.loc[dangling, "source_ref"]))
        problems.add(
            f"{int(dangling.sum()):,} observation(s) point at source ref(s) {missing[:5]} that the sources part lacks"
        )
    for url in sources.loc[~sources["url"].apply(_web_address), "url"].head(3):
        problems.add(f"source URL '{shown(url)}' is not a web address (http or https)")
    today = dt.date.today()
    if "published" in sources:
        future = sources[sources["published"].notna() & (sources["published"] > pd.Timestamp(today))]
        for r in future.head(3).itertuples():
            problems.add(f"source '{shown(r.file_name)}' says it was published on {r.published:%Y-%m-%d}, after today")
        early = sources[sources["published"].notna() & (sources["published"] < sources["period_from"])]
        for r in early.head(3).itertuples():
            problems.add(
                f"source '{shown(r.file_name)}' says it was published on {r.published:%Y-%m-%d}, before the "
                f"first period it describes ({r.period_from:%Y-%m-%d})"
            )
    known = set(catalogue.organisation_by_code)
    twins = {c for c in obs["org_code"].astype(str).unique() if c not in known and c != c.upper() and ORG_CODE.match(c)}
    for code in sorted(twins)[:3]:
        # An ingest reads such a code in upper case; a snapshot must already hold it that way.
        problems.add(f"organisation code '{shown(code)}' is not upper case, as ODS and ONS codes are written")
    for col in ("loader", "file_name", "publisher", "publication", "licence", "vintage", "periods"):
        for value in sources[col].head(100_000):
            if why := text_problem(value, MAX_PUBLICATION_LENGTH):
                problems.add(f"source {col} '{shown(value)}' {why}")
                break
    problems.raise_if_any()
    result = LoadResult(tidy=obs[store.TIDY_COLUMNS].copy(), organisations=organisations)
    validate_tidy(result, catalogue, "observations part", limits=Limits.from_environment())


def _web_address(url: str) -> bool:
    if url == "":
        return True
    return re.match(r"^https?://[^\s]+$", url, flags=re.IGNORECASE) is not None and not _CONTROL.search(url)


def restore_snapshot(
    engine: Engine, folder: str | Path, catalogue: Catalogue, other_data="refuse"
) -> store.RestoreCounts:
    """Check the snapshot in ``folder`` and load it in one transaction (schema created if needed).

    A snapshot that breaks a rule (``check_snapshot``) or is damaged is refused whole with a
    ``SnapshotError``; ``other_data`` (refuse, merge or replace) is ``store.restore_tables``'s.
    """
    frames = read_snapshot(folder)
    unknown = sorted(set(frames["observations"]["metric_id"]) - set(catalogue.metric_by_id))
    if unknown:
        raise SnapshotError(f"'{folder}': metric(s) {unknown} are not in the catalogue")
    try:
        check_snapshot(frames, catalogue, folder)
    except LoadError as exc:
        raise SnapshotError(f"'{folder}' is refused, nothing was loaded: {exc}") from None
    try:
        counts = store.restore_tables(
            engine,
            frames["organisations"],
            frames["sources"],
            frames["observations"],
            catalogue=catalogue,
            other_data=other_data,
        )
    except store.StoreHoldsOtherData as exc:
        raise SnapshotError(str(exc)) from None
    if "reference_organisations" in frames or "reference_memberships" in frames:
        stored = store.read_all_sources(engine)
        empty = pd.DataFrame(columns=["code", "loader", "source_sha256"])
        store.restore_reference(
            engine,
            frames.get("reference_organisations", empty),
            frames.get("reference_memberships", empty),
            {sha: int(i) for sha, i in zip(stored["sha256"], stored["id"], strict=True)},
            frames["organisations"],
        )
    return counts
