"""Parse the next files of an ingest in child processes while this one writes the current file.

An ingest of many files (``loaders.ingest.ingest_paths``) spends about half its time parsing
(``loaders.parse.parse_file``: the workbook limits, the loader's read and normalise, the catalogue's
rules) and half checking and writing. Parsing needs nothing from the store but the organisation
codes already known, so child processes parse the next files while this process writes: on a
machine with two cores the whole public corpus is ingested in 1.4 times the time pandas takes
merely to read it, where it took 2.1 times (issue #23, ``benchmarks/README.md``).

What stays in this process, in file order, is everything that reads or writes the store: the
screening (size, same content already loaded), the checks against what the earlier files of the
run wrote (publication date, organisation counts, revision detection) and the write itself. So the
outcome of every file is the one a file-by-file ingest gives:

- a file parsed with organisation codes that a file written meanwhile has added to is parsed
  again here (only loaders that take the known codes, ``USES_KNOWN_ORGS``, depend on them);
- content loaded by an earlier file of the same run is recognised when it is written
  (``store.write_load`` reports it as already loaded).

The children are forked, so they start at once with the catalogue and the loaders already imported;
where ``fork`` is unavailable, or for a handful of files, everything is parsed here as before. Each
child holds one file's parse at a time, as the ingest's own process did.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from loaders import registry
from loaders.parse import ParsedFile, parse_file
from metrics.catalogue import Catalogue

#: Files parsed ahead of the one being written: enough to keep the children busy while a large
#: file is written, few enough that the parsed files waiting in memory stay small.
DEPTH = 4
#: Child processes parsing at once. Parsing is about three fifths of the work and writing two
#: fifths, so on two cores two children and the writer kept both busy (the whole corpus: 7.6-7.9 s
#: against 8.1-8.6 s with one child); a machine with one core gets one child.
WORKERS = max(1, min(2, os.cpu_count() or 1))
#: Below this many files starting the children is not worth it.
MIN_FILES = 4


class ParseAhead:
    """Parses files in forked child processes, answering in the order they are asked for.

    Use as a context manager; :meth:`submit` a file (with the organisation codes known now), then
    :meth:`parsed` it. A file that was not submitted, or whose child failed, is parsed in this
    process.
    """

    def __init__(self, catalogue: Catalogue, files: int) -> None:
        self.catalogue = catalogue
        self._pending: dict[Path, tuple[Future, set[str]]] = {}
        self._pool: ProcessPoolExecutor | None = None
        if files >= MIN_FILES and "fork" in multiprocessing.get_all_start_methods():
            # Forked with the catalogue, so a job is a path and the organisation codes known then.
            self._pool = ProcessPoolExecutor(
                max_workers=WORKERS,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_start_child,
                initargs=(catalogue,),
            )

    @property
    def active(self) -> bool:
        """Whether files are parsed in child processes."""
        return self._pool is not None

    def __enter__(self) -> ParseAhead:
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def submit(self, path: Path, known_orgs: set[str]) -> None:
        """Start parsing ``path`` in a child with the organisation codes known now (nothing
        happens when no child runs)."""
        if self._pool is None or path in self._pending:
            return
        try:
            self._pending[path] = (self._pool.submit(_parse_in_child, path, known_orgs), known_orgs)
        except BrokenProcessPool:
            self._pool = None

    def parsed(self, path: Path, known_orgs: Callable[[], set[str]]) -> ParsedFile:
        """``path`` parsed: its child's answer when it still holds, else parsed here.

        ``known_orgs`` gives the organisation codes in the store now; it is called only for a file
        read by a loader that depends on them, or parsed here.
        """
        pending = self._pending.pop(path, None)
        if pending is not None:
            future, known_then = pending
            try:
                parsed = future.result()
            except BrokenProcessPool:  # a child died (killed, out of memory): parse here from now on
                self._pool = None
                parsed = None
            except Exception:  # noqa: BLE001 - its answer could not come back (pickling): parse here
                parsed = None
            if parsed is not None and (not _uses_known_orgs(parsed) or known_orgs() == known_then):
                return parsed
        return parse_file(path, self.catalogue, known_orgs())


#: The child's catalogue, set when it starts (``_start_child``).
_child_catalogue: Catalogue | None = None


def _start_child(catalogue: Catalogue) -> None:
    global _child_catalogue
    _child_catalogue = catalogue


def _parse_in_child(path: Path, known_orgs: set[str]) -> ParsedFile:
    """``parse_file`` as a child runs it (a module-level name, so the call can be sent to it)."""
    return parse_file(path, _child_catalogue, known_orgs)


def _uses_known_orgs(parsed: ParsedFile) -> bool:
    """Whether the loader that read the file depends on the organisation codes in the store."""
    return bool(parsed.loader) and getattr(registry.module_named(parsed.loader), "USES_KNOWN_ORGS", False)
