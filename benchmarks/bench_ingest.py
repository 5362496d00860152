"""Ingest benchmark: parsing the public files with plain pandas versus ingesting them into SQLite.

Run as ``python -m benchmarks.bench_ingest`` (or ``python benchmarks/bench_ingest.py``), optionally
with ``--data DIR`` (default: the shared public data folder beside the repository) and
``--folders a,b``. For each folder it times, in the same run:

(a) *parse*: reading every data file with pandas alone — ``pd.read_excel(sheet_name=None,
    engine="calamine")`` for .xls/.xlsx (all sheets), ``pd.read_csv`` for CSV, ``pyreadr`` for .rda;
(b) *ingest*: :func:`loaders.ingest.ingest_paths` into a fresh SQLite database (detection, reading,
    normalising, validation and the database writes, one transaction per file);
(c) *loaders*: the recognised files' ``read`` + ``normalise`` alone (no database), to show how
    the ingest time splits between the loaders and the store.

It prints a table (folder, files, rows, parse s, ingest s, ratio) and the machine it ran on.
Files no loader recognises yet are counted and reported as "no loader yet". Timings are
informative only; no test asserts them.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd  # noqa: E402

from loaders.ingest import expand_paths, ingest_paths  # noqa: E402
from metrics import store  # noqa: E402
from metrics.catalogue import PROJECT_ROOT, load_catalogue  # noqa: E402

FOLDERS = (
    "ae_attendances",
    "kh03_beds_overnight",
    "dtoc_la_monthly",
    "discharge_delays_acute_sitrep",
    "discharge_delays_community_sitrep",
    "bcf_ascof",
)
DEFAULT_DATA = (PROJECT_ROOT.parent / "shared" / "data" / "public").resolve()


def parse_only(path: Path) -> int:
    """Read a file with pandas alone; return the number of rows read (all sheets)."""
    suffix = path.suffix.lower()
    if suffix in (".xls", ".xlsx"):
        sheets = pd.read_excel(path, sheet_name=None, header=None, engine="calamine")
        return sum(len(s) for s in sheets.values())
    if suffix == ".rda" or suffix == ".rds":
        import pyreadr

        return sum(len(f) for f in pyreadr.read_r(str(path)).values())
    try:
        return len(pd.read_csv(path, low_memory=False))
    except UnicodeDecodeError:
        return len(pd.read_csv(path, encoding="cp1252", low_memory=False))


def loaders_only(files: list[Path], catalogue) -> float:
    """Seconds spent in ``read`` + ``normalise`` for the files a loader recognises."""
    from loaders import registry

    total = 0.0
    for f in files:
        module = registry.detect(f)
        if module is None:
            continue
        start = time.perf_counter()
        try:
            raw = module.read(f)
            if getattr(module, "USES_KNOWN_ORGS", False):
                module.normalise(raw, catalogue, known_orgs=set())
            else:
                module.normalise(raw, catalogue)
        except Exception:  # noqa: BLE001 - errors are reported by the ingest run
            pass
        total += time.perf_counter() - start
    return total


def bench_folder(folder: Path, catalogue) -> dict:
    files = expand_paths([folder])
    start = time.perf_counter()
    raw_rows = sum(parse_only(f) for f in files)
    parse_s = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        engine = store.make_engine(f"sqlite:///{Path(tmp) / 'bench.sqlite'}")
        store.init_db(engine, catalogue)  # schema creation is not part of the per-file cost
        start = time.perf_counter()
        summary = ingest_paths(files, engine, catalogue)
        ingest_s = time.perf_counter() - start
        engine.dispose()
    loader_s = loaders_only(files, catalogue)
    unrecognised = [o for o in summary.outcomes if o.status == "unrecognised"]
    errors = [o for o in summary.outcomes if o.status == "error"]
    return {
        "folder": folder.name,
        "files": len(files),
        "rows": raw_rows,
        "tidy_rows": summary.total("rows"),
        "parse_s": parse_s,
        "ingest_s": ingest_s,
        "ratio": ingest_s / parse_s if parse_s else float("nan"),
        "loader_s": loader_s,
        "note": (f"{len(unrecognised)} file(s): no loader yet" if unrecognised else "")
        + (f"{'; ' if unrecognised else ''}{len(errors)} error(s)" if errors else ""),
        "errors": [o.error for o in errors][:3],
    }


def machine() -> str:
    return (
        f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.platform()}, "
        f"pandas {pd.__version__}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_ingest", description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="folder holding the public data folders")
    parser.add_argument("--folders", default=",".join(FOLDERS), help="comma-separated folder names")
    args = parser.parse_args(argv)
    data = Path(args.data)
    catalogue = load_catalogue()
    results = []
    for name in args.folders.split(","):
        folder = data / name.strip()
        if not folder.is_dir():
            print(f"{name}: not found under {data}; skipped", file=sys.stderr)
            continue
        results.append(bench_folder(folder, catalogue))
    head = (
        f"{'folder':<36} {'files':>5} {'rows':>9} {'tidy rows':>9} {'parse s':>8} {'ingest s':>9} {'ratio':>6} "
        f"{'loaders s':>9}  note"
    )
    print(head)
    print("-" * len(head))
    for r in results:
        print(
            f"{r['folder']:<36} {r['files']:>5} {r['rows']:>9} {r['tidy_rows']:>9} {r['parse_s']:>8.2f} "
            f"{r['ingest_s']:>9.2f} {r['ratio']:>6.2f} {r['loader_s']:>9.2f}  {r['note']}"
        )
        for e in r["errors"]:
            print(f"    error: {e}")
    print("ratio = ingest s / parse s; loaders s = read + normalise only (the rest of ingest is the database)")
    print(machine())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
