"""Ingest files into the store: detect the layout, read, normalise, validate, write in one transaction."""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from loaders import registry
from loaders.base import LoadResult
from loaders.limits import BYTES_PER_MB, file_bytes, megabytes
from loaders.parse import ParsedFile, parse_file, parse_isolated
from loaders.parse_ahead import DEPTH, ParseAhead
from loaders.validate import validate_tidy  # noqa: F401 - the ingest step's rules, importable from here
from metrics import store
from metrics.catalogue import Catalogue
from metrics.digest import sha256_file
from metrics.per_distinct import by_distinct

#: Files in a folder that are documentation, not data.
SKIPPED_SUFFIXES = {".md", ".txt", ".pdf", ".html", ".py"}


@dataclass
class FileOutcome:
    """What happened to one file."""

    path: Path
    status: str  # valid (prepared, not yet written) | loaded | unchanged | error | unrecognised
    loader: str = ""
    layout: str = ""
    rows: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    kept_newer: int = 0
    periods: tuple[dt.date, dt.date] | None = None
    warnings: list[str] = field(default_factory=list)
    error: str = ""


@dataclass
class IngestSummary:
    outcomes: list[FileOutcome] = field(default_factory=list)

    @property
    def failed(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status in ("error", "unrecognised")]

    def total(self, attribute: str) -> int:
        return sum(getattr(o, attribute) for o in self.outcomes)

    @property
    def periods(self) -> tuple[dt.date, dt.date] | None:
        spans = [o.periods for o in self.outcomes if o.periods]
        if not spans:
            return None
        return min(s[0] for s in spans), max(s[1] for s in spans)

    def lines(self) -> list[str]:
        """The summary a user reads after an ingest."""
        out = []
        by_status: dict[str, int] = {}
        for o in self.outcomes:
            by_status[o.status] = by_status.get(o.status, 0) + 1
        out.append(
            f"{len(self.outcomes)} file(s): " + ", ".join(f"{n} {status}" for status, n in sorted(by_status.items()))
        )
        out.append(
            f"rows: {self.total('added')} added, {self.total('updated')} updated, "
            f"{self.total('unchanged')} unchanged"
            + (
                f", {self.total('kept_newer')} kept (the stored figures come from a later publication)"
                if self.total("kept_newer")
                else ""
            )
        )
        if self.periods:
            out.append(f"periods covered: {self.periods[0].isoformat()} to {self.periods[1].isoformat()}")
        for o in self.outcomes:
            for w in o.warnings:
                out.append(f"warning: {o.path.name}: {w}")
        for o in self.failed:
            out.append(f"ERROR: {o.error}")
        return out


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files named directly, and every data file under named folders (sorted, hidden ones skipped)."""
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and not any(part.startswith(".") for part in f.relative_to(p).parts):
                    if f.suffix.lower() not in SKIPPED_SUFFIXES:
                        files.append(f)
        else:
            files.append(p)
    return files


@dataclass
class PreparedFile:
    """A file read, normalised and validated, ready to write (or the reason it cannot be)."""

    outcome: FileOutcome
    result: LoadResult | None = None
    record: store.SourceRecord | None = None
    catalogue: Catalogue | None = None  # synchronised into the store in the same transaction as the write


def prepare_file(
    path: Path,
    engine: Engine,
    catalogue: Catalogue,
    *,
    max_bytes: int | None = None,
    force_demo: bool = False,
    published: dt.date | None = None,
    isolate: bool = False,
    reload: bool = False,
) -> PreparedFile:
    """Everything short of writing: size check, dedupe, limits, detection, read, normalise, validate.

    The upload page shows this validation report before anything is written. Nothing here writes.
    ``published`` is the publication date to record when the file does not state its own. With
    ``isolate`` the file is parsed in a child process with capped memory and time
    (``loaders.parse``), as every uploaded file is. With ``reload`` content already loaded is read
    again (a publication that went back to an earlier version, see ``store.reapply_load``).
    """
    path = Path(path)
    screened = screen_file(path, engine, catalogue, max_bytes=max_bytes, reload=reload)
    if isinstance(screened, PreparedFile):
        return screened
    parse = parse_isolated if isolate else parse_file
    parsed = parse(path, catalogue, store.known_org_codes(engine))
    return check_parsed(path, screened, parsed, engine, catalogue, force_demo=force_demo, published=published)


def screen_file(
    path: Path, engine: Engine, catalogue: Catalogue, *, max_bytes: int | None = None, reload: bool = False
) -> PreparedFile | str:
    """The checks before a file is parsed: its size, and whether the same content is loaded already.

    Returns the file's outcome when it goes no further (too big, empty, unreadable, unchanged), else
    its SHA-256 digest, for :func:`check_parsed`.
    """
    limit = max_bytes if max_bytes is not None else file_bytes(catalogue.settings.max_file_mb)
    try:
        size = path.stat().st_size
    except OSError as exc:
        return PreparedFile(FileOutcome(path, "error", error=f"'{path}': cannot be opened ({exc.strerror})"))
    if size > limit:
        return PreparedFile(
            FileOutcome(
                path,
                "error",
                error=(
                    f"'{path.name}': the file is {megabytes(size)}, over the {limit / BYTES_PER_MB:g} MB limit; "
                    "nothing was read (raise settings.max_file_mb in config.yaml or use --max-mb)"
                ),
            )
        )
    if size == 0:
        return PreparedFile(FileOutcome(path, "error", error=f"'{path.name}': the file is empty"))
    digest = sha256_file(path)
    seen = None if reload else store.find_source(engine, digest)
    if seen is not None:
        note = [] if seen["file_name"] == path.name else [f"same content as '{seen['file_name']}', already loaded"]
        return PreparedFile(
            FileOutcome(
                path, "unchanged", loader=seen["loader"], rows=seen["rows"], unchanged=seen["rows"], warnings=note
            )
        )
    return digest


def check_parsed(
    path: Path,
    digest: str,
    parsed: ParsedFile,
    engine: Engine,
    catalogue: Catalogue,
    *,
    force_demo: bool = False,
    published: dt.date | None = None,
) -> PreparedFile:
    """A parsed file checked against the store as it is now: its source record, its publication date
    against its periods, and its organisations against the same publication's previous period."""
    if parsed.result is None:
        return PreparedFile(FileOutcome(path, parsed.status, loader=parsed.loader, error=parsed.error))
    result, module = parsed.result, registry.module_named(parsed.loader)
    src = catalogue.sources[result.source_key or module.SOURCE_KEY]
    warnings = list(result.warnings)
    if result.published is not None and published is not None and result.published != published:
        warnings.append(
            f"the file states it was published on {result.published.isoformat()}; "
            f"that date is recorded, not {published.isoformat()}"
        )
    record = store.SourceRecord(
        loader=module.NAME,
        file_name=path.name,
        sha256=digest,
        publisher=src.publisher,
        publication=result.publication or src.publication,
        licence=src.licence,
        url=src.url,
        vintage=result.vintage,
        published=result.published or published,
        is_demo=result.is_demo or force_demo,
        derived=result.derived,
    )
    tidy = result.tidy
    periods = None
    if len(tidy):
        starts = by_distinct(tidy["period_start"], pd.to_datetime)
        periods = (starts.min().date(), starts.max().date())
    if (why := publication_date_problem(record.published, periods, stated=result.published is not None)) is not None:
        return PreparedFile(FileOutcome(path, "error", loader=module.NAME, error=f"'{path.name}': {why}"))
    if periods is not None and (why := _fewer_organisations(tidy, periods[0], engine, record)) is not None:
        return PreparedFile(FileOutcome(path, "error", loader=module.NAME, error=f"'{path.name}': {why}"))
    outcome = FileOutcome(
        path,
        "valid",
        loader=module.NAME,
        layout=result.layout,
        rows=len(tidy),
        periods=periods,
        warnings=warnings,
    )
    return PreparedFile(outcome, result, record, catalogue)


#: A file listing fewer than this share of the organisations its publication gave for the period
#: before, when that was at least ``_MIN_FOR_COMPARISON``, is taken for a cut or partial file.
_COMPLETE_SHARE = 0.5
_MIN_FOR_COMPARISON = 20


def _fewer_organisations(tidy: pd.DataFrame, first: dt.date, engine: Engine, record: store.SourceRecord) -> str | None:
    """Why a file looks cut short: far fewer organisations for its first period than the same
    publication gave for the period before (providers come and go, but not half of them at once)."""
    starts = by_distinct(tidy["period_start"], pd.to_datetime)
    at_first = tidy[starts == pd.Timestamp(first)]
    counts = at_first.groupby("metric_id")["org_code"].nunique()
    before = store.previous_organisation_counts(engine, sorted(counts.index), first, record.loader, record.publication)
    for metric_id, (period, stored) in sorted(before.items()):
        given = int(counts.get(metric_id, 0))
        if stored >= _MIN_FOR_COMPARISON and given < _COMPLETE_SHARE * stored:
            return (
                f"gives {metric_id} for {given} organisation(s) in {first.isoformat()}, but the same publication "
                f"gave {stored} for {period.isoformat()}: a cut or partial file? Nothing was loaded"
            )
    return None


def publication_date_problem(
    published: dt.date | None, periods: tuple[dt.date, dt.date] | None, *, stated: bool, today: dt.date | None = None
) -> str | None:
    """Why a publication date cannot be true, or None.

    A date after today would make every later genuine revision lose to it (``REVISION_RULE``:
    an older publication never replaces a newer one); a date before the first period the file
    describes is a typo. ``stated`` says whether the file gave it (else the fetcher or
    ``--published``), for the message.
    """
    if published is None:
        return None
    today = today or dt.date.today()
    where = "the file states it was published" if stated else "the publication date given is"
    if published > today:
        return (
            f"{where} {published.isoformat()}, after today; nothing was loaded (a wrong date would keep "
            "every later revision out)"
        )
    if periods is not None and published < periods[0]:
        return (
            f"{where} {published.isoformat()}, before the first period it describes "
            f"({periods[0].isoformat()}); nothing was loaded"
        )
    return None


def prepare_upload(
    file_name: str, content: bytes, engine: Engine, catalogue: Catalogue, *, max_bytes: int | None = None
) -> PreparedFile:
    """``prepare_file`` for bytes received by the upload page.

    The bytes are written to a private temporary folder under their own base name (never a path the
    uploader chose), read, and the folder is removed: the prepared result holds everything needed
    to write, so nothing is left on disk.
    """
    with tempfile.TemporaryDirectory(prefix="llr-upload-") as folder:
        path = Path(folder) / _safe_name(file_name)
        path.write_bytes(content)
        return prepare_file(path, engine, catalogue, max_bytes=max_bytes, isolate=True)


def _safe_name(file_name: str) -> str:
    """The upload's base name, without control characters and at most 120 characters (it is
    stored in the source table and shown on every page that cites the file)."""
    name = re.sub(r"[\x00-\x1f\x7f-\x9f]", "", Path(str(file_name).replace("\\", "/")).name).strip()
    if len(name) > 120:
        stem, dot, suffix = name.rpartition(".")
        name = (stem[:110] + dot + suffix[:9]) if dot and len(suffix) < 10 else name[:120]
    return name or "upload"


def write_prepared(prepared: PreparedFile, engine: Engine) -> FileOutcome:
    """Write a validated file in one transaction and return its outcome.

    The catalogue's organisations, targets and annotations are synchronised in that same
    transaction (and only where they differ), so a refused file never changes the store.
    """
    if prepared.result is None or prepared.record is None:
        return prepared.outcome
    result = prepared.result
    if result.reference is not None:  # ODS and ONS reference files: organisations and memberships
        counts = store.write_reference_load(
            engine, result.tidy, prepared.record, result.organisations, prepared.catalogue,
            result.reference.organisations, result.reference.memberships, result.reference.view,
        )  # fmt: skip
    else:
        counts = store.write_load(engine, result.tidy, prepared.record, result.organisations, prepared.catalogue)
    outcome = prepared.outcome
    if counts.already_loaded is not None:  # loaded meanwhile (a concurrent ingest, or earlier in this run)
        seen = counts.already_loaded
        # As a file found loaded before parsing is reported (``screen_file``): nothing of it is new.
        outcome.status, outcome.layout, outcome.periods = "unchanged", "", None
        outcome.loader, outcome.rows = seen["loader"], seen["rows"]
        outcome.unchanged = seen["rows"]
        if seen["file_name"] != outcome.path.name:
            outcome.warnings.append(f"same content as '{seen['file_name']}', already loaded")
        return outcome
    outcome.status = "loaded"
    if counts.not_in_revision:
        outcome.warnings.append(_not_in_revision_warning(counts.not_in_revision))
    outcome.added, outcome.updated = counts.added, counts.updated
    outcome.unchanged, outcome.kept_newer = counts.unchanged, counts.kept_newer
    return outcome


def _not_in_revision_warning(rows: list[tuple[str, str, str]]) -> str:
    """The ingest's note on organisations a revision no longer lists (``store.REVISION_RULE``)."""
    orgs = sorted({org for _, org, _ in rows})
    periods = sorted({period for _, _, period in rows})
    named = ", ".join(orgs[:10]) + (f" and {len(orgs) - 10} more" if len(orgs) > 10 else "")
    span = periods[0] if len(periods) == 1 else f"{periods[0]} to {periods[-1]}"
    return (
        f"this revision no longer lists {len(orgs)} organisation(s) an earlier file of the same publication "
        f"gave for {span} ({named}): their {len(rows)} earlier figure(s) are kept, not removed; check "
        "whether the publisher withdrew them"
    )


def _busy(path: Path, exc: store.StoreBusy) -> FileOutcome:
    """Another client holds the store: this file is reported, and waits for a later run."""
    return FileOutcome(Path(path), "error", error=f"'{Path(path).name}': {exc}")


def ingest_file(
    path: Path,
    engine: Engine,
    catalogue: Catalogue,
    *,
    max_bytes: int | None = None,
    force_demo: bool = False,
    published: dt.date | None = None,
) -> FileOutcome:
    """Load one file; never raises for bad input (the outcome carries the message)."""
    try:
        prepared = prepare_file(
            path, engine, catalogue, max_bytes=max_bytes, force_demo=force_demo, published=published
        )
        return write_prepared(prepared, engine)
    except store.StoreBusy as exc:
        return _busy(path, exc)


def ingest_paths(
    paths: Iterable[str | Path],
    engine: Engine,
    catalogue: Catalogue,
    *,
    max_bytes: int | None = None,
    force_demo: bool = False,
    on_file: Callable[[FileOutcome], None] | None = None,
    progress: Callable[[list[Path]], Iterable[Path]] | None = None,
    published: dt.date | None = None,
) -> IngestSummary:
    """Load every file under ``paths``, each in its own transaction, and summarise.

    Nothing is written for a file that is refused; ``published`` is recorded for files that do not
    state their own publication date. The next files are parsed in a child process while each is
    written (``loaders.parse_ahead``); every file is still checked against, and written after, the
    files before it, so the outcomes are those of loading the files one by one.
    """
    files = expand_paths(paths)
    summary = IngestSummary()
    iterator = progress(files) if progress else files
    screened: dict[int, PreparedFile | str] = {}

    def screen(i: int) -> PreparedFile | str:
        try:
            return screen_file(files[i], engine, catalogue, max_bytes=max_bytes)
        except store.StoreBusy as exc:
            return PreparedFile(_busy(files[i], exc))

    with store.bulk_writing(engine), ParseAhead(catalogue, len(files)) as ahead:
        known = store.known_org_codes(engine) if ahead.active else set()
        for i, path in enumerate(iterator):
            ahead_to = min(i + 1 + DEPTH, len(files)) if ahead.active else i + 1
            for j in range(i, ahead_to):  # the next files, screened and parsing
                if j not in screened:
                    screened[j] = screen(j)
                    if isinstance(screened[j], str):
                        ahead.submit(files[j], known)
            outcome = _ingest_screened(
                path, screened.pop(i), ahead, engine, catalogue, force_demo=force_demo, published=published
            )
            if outcome.status == "loaded" and ahead.active:
                known = store.known_org_codes(engine)  # a written file may add organisations
            summary.outcomes.append(outcome)
            if on_file:
                on_file(outcome)
    return summary


def _ingest_screened(
    path: Path,
    screened: PreparedFile | str,
    ahead: ParseAhead,
    engine: Engine,
    catalogue: Catalogue,
    *,
    force_demo: bool,
    published: dt.date | None,
) -> FileOutcome:
    """Parse (or take the child's parse of), check and write one screened file of ``ingest_paths``."""
    if isinstance(screened, PreparedFile):
        return screened.outcome
    try:
        parsed = ahead.parsed(path, lambda: store.known_org_codes(engine))
        prepared = check_parsed(path, screened, parsed, engine, catalogue, force_demo=force_demo, published=published)
        return write_prepared(prepared, engine)
    except store.StoreBusy as exc:
        return _busy(path, exc)
