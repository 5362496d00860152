"""Parse one file into validated tidy rows, in this process or in a child process with limits.

``parse_file`` is everything between "the file is on disk" and "these rows may be written": the
limits on workbooks (``loaders.limits``), detection, the loader's read and normalise, and the
catalogue's rules (``loaders.validate``). It never raises for bad input.

``parse_isolated`` runs the same in a child Python process (``python -m loaders.parse``) whose
address space and run time are capped (``LLR_PARSE_MEMORY_MB``, ``LLR_PARSE_SECONDS``): a file that
makes a reader allocate without bound, or spin, kills only the child, and the server that received
the upload carries on and reports the refusal.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from loaders import discharge_sitrep, dtoc, home_first, kh03, registry
from loaders.base import LoadError, LoadResult, Peek, shown
from loaders.limits import Limits, inspect_file
from loaders.validate import validate_tidy
from metrics.catalogue import PROJECT_ROOT, Catalogue

UNRECOGNISED = "no loader recognises this file's layout (see the README for the supported publications)"

#: Sheets that identify the supported workbooks, named when a workbook is not recognised.
KNOWN_SHEETS = (
    (kh03.SHEET, "KH03 beds"),
    ("Provider Level Data", "A&E attendances"),
    (dtoc.SHEETS["type_of_care"], "delayed transfers of care"),
    (discharge_sitrep.COVER, "discharge sitrep"),
    (home_first.UCR_SHEETS[0], "2-hour urgent community response"),
)


@dataclass
class ParsedFile:
    """A file's parse: ``status`` is ``valid``, ``error`` or ``unrecognised``."""

    status: str
    loader: str = ""
    result: LoadResult | None = None
    error: str = ""


def parse_file(
    path: Path, catalogue: Catalogue, known_orgs: set[str] | frozenset[str], limits: Limits | None = None
) -> ParsedFile:
    """Inspect, detect, read, normalise and validate ``path``; bad input gives an ``error`` status.

    Parameters
    ----------
    path : Path
    catalogue : Catalogue
    known_orgs : set of str
        Organisation codes already in the store (the generic template accepts these).
    limits : Limits, optional
    """
    path = Path(path)
    limits = limits or Limits.from_environment()
    name = path.name
    loader = ""
    try:
        peek = Peek(path)
        inspect_file(path, peek.kind, limits)
        module = registry.detect(path)
        if module is None:
            why = _why_unrecognised(peek)
            return ParsedFile("unrecognised" if why == UNRECOGNISED else "error", error=f"'{name}': {why}")
        loader = module.NAME
        raw = module.read(path)
        if getattr(module, "USES_KNOWN_ORGS", False):
            result = module.normalise(raw, catalogue, known_orgs=known_orgs)
        else:
            result = module.normalise(raw, catalogue)
        validate_tidy(result, catalogue, name, limits)
    except LoadError as exc:
        return ParsedFile("error", loader, error=str(exc.with_file(name)))
    except MemoryError:
        return ParsedFile("error", loader, error=f"'{name}': reading the file ran out of memory; it was refused")
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - hostile input must never take the ingest down
        # BaseException: a panic in a native reader (pyo3's PanicException) is not an Exception.
        return ParsedFile(
            "error",
            loader,
            error=f"'{name}': the file could not be read ({exc.__class__.__name__}: {shown(exc, 120)}); "
            "nothing was loaded",
        )
    return ParsedFile("valid", loader, result)


def _why_unrecognised(peek: Peek) -> str:
    """The most useful reason no loader took the file: damage, encoding, or the sheets it lacks."""
    if peek.kind == "unknown" and peek.is_utf16:
        return "the file is encoded as UTF-16 (Excel's 'Unicode text'); save it as 'CSV UTF-8' and load that"
    if peek.kind == "unknown":
        return "the file is not text, an Excel workbook or an R data file (is it damaged?)"
    if peek.kind in ("xlsx", "xls"):
        try:
            from python_calamine import CalamineWorkbook

            sheets = list(CalamineWorkbook.from_path(str(peek.path)).sheet_names)
        except Exception:  # noqa: BLE001 - calamine's own error types for a broken file
            return "the workbook is damaged or truncated (it cannot be opened); download or save it again"
        expected = ", ".join(f"'{sheet}' ({what})" for sheet, what in KNOWN_SHEETS)
        found = ", ".join(f"'{shown(s)}'" for s in sheets[:10]) + (" ..." if len(sheets) > 10 else "")
        return (
            f"no loader recognises this workbook: it has sheet(s) {found}, and none of the sheets the "
            f"supported publications have: {expected} (was a sheet renamed?)"
        )
    if peek.kind == "rda":
        try:
            import pyreadr

            pyreadr.list_objects(str(peek.path))
        except Exception:  # noqa: BLE001 - pyreadr's own error types for a broken file
            return "the R data file is damaged or truncated (it cannot be opened); download it again"
        return "the R data file has no table a loader knows (expected 'ae_attendances')"
    return UNRECOGNISED


# ---------------------------------------------------------------------------- child process
def parse_isolated(
    path: Path, catalogue: Catalogue, known_orgs: set[str] | frozenset[str], limits: Limits | None = None
) -> ParsedFile:
    """``parse_file`` in a child process capped at ``limits.parse_memory_mb`` and ``parse_seconds``.

    The job and its answer pass through a private temporary folder, removed afterwards. A child
    that is killed (out of memory, over time, or crashed in a native reader) gives an ``error``
    naming the limit; the caller's process is never at risk.
    """
    path = Path(path)
    limits = limits or Limits.from_environment()
    name = path.name
    env = dict(os.environ)
    # One thread per numeric library: the memory cap counts every thread's reserved stack.
    env.update({"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p)
    with tempfile.TemporaryDirectory(prefix="llr-parse-") as folder:
        job, answer = Path(folder) / "job.pickle", Path(folder) / "answer.pickle"
        job.write_bytes(pickle.dumps((str(path), catalogue, set(known_orgs), limits)))
        try:
            done = subprocess.run(
                [sys.executable, "-m", "loaders.parse", str(job), str(answer)],
                cwd=PROJECT_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=limits.parse_seconds,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return ParsedFile(
                "error",
                error=f"'{name}': reading the file took longer than {limits.parse_seconds:g} seconds "
                "(LLR_PARSE_SECONDS); it was stopped and nothing was loaded",
            )
        if done.returncode == 0 and answer.exists():
            return pickle.loads(answer.read_bytes())
        return ParsedFile(
            "error",
            error=f"'{name}': reading the file needed more than the {limits.parse_memory_mb:g} MB of memory "
            f"allowed (LLR_PARSE_MEMORY_MB) or crashed the reader (exit status {done.returncode}); "
            "it was stopped and nothing was loaded",
        )


def _child(job: Path, answer: Path) -> int:
    """The child's side: cap memory and CPU time, parse, write the answer."""
    import resource

    path, catalogue, known_orgs, limits = pickle.loads(job.read_bytes())
    memory = int(limits.parse_memory_mb * 1048576)
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    seconds = int(limits.parse_seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds))
    parsed = parse_file(Path(path), catalogue, known_orgs, limits)
    answer.write_bytes(pickle.dumps(parsed))
    return 0


if __name__ == "__main__":
    # Run the copy imported as ``loaders.parse``, so the answer pickles under that name, not __main__.
    from loaders.parse import _child as child

    sys.exit(child(Path(sys.argv[1]), Path(sys.argv[2])))
