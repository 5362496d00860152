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

It prints a table (folder, files, rows, parse s, ingest s, ratio) and the machine it ran on, then
the *whole corpus* line: every file of the chosen folders parsed in one child process and ingested
in one ``ingest_paths`` call (as ``python -m loaders ingest`` does) in another, with the ratio and
each child's peak memory (its maximum resident set size). ``--db URL`` ingests the whole corpus into
that database instead of a fresh SQLite file: it must be a throwaway database (its tables are
dropped first). ``--whole-only`` skips the per-folder table.
Files no loader recognises yet are counted and reported as "no loader yet". Timings are
informative only; no test asserts them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
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


def _child(task: str, files: list[Path], db_url: str | None) -> dict:
    """Run in a child process: parse or ingest ``files``; seconds, counts and this process's peak memory."""
    if task == "parse":
        start = time.perf_counter()
        result = {"rows": sum(parse_only(f) for f in files)}
        result["seconds"] = time.perf_counter() - start
    else:
        catalogue = load_catalogue()
        with tempfile.TemporaryDirectory() as tmp:
            engine = store.make_engine(db_url or f"sqlite:///{Path(tmp) / 'bench.sqlite'}")
            if db_url:
                store.reset(engine)
            store.init_db(engine, catalogue)  # as per folder: schema creation is not part of the cost
            start = time.perf_counter()
            summary = ingest_paths(files, engine, catalogue)
            result = {"seconds": time.perf_counter() - start, "rows": summary.total("rows")}
            result["errors"] = sum(o.status == "error" for o in summary.outcomes)
            result["unrecognised"] = sum(o.status == "unrecognised" for o in summary.outcomes)
            engine.dispose()
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes
    return result


def whole_corpus(folders: list[Path], db_url: str | None) -> dict:
    """Parse and ingest every file of ``folders`` in two fresh child processes (for their peak memory)."""
    files = expand_paths(folders)
    results = {"files": len(files)}
    for task in ("parse", "ingest"):
        command = [sys.executable, "-m", "benchmarks.bench_ingest", "--child", task, "--data", str(folders[0].parent),
                   "--folders", ",".join(f.name for f in folders)] + (["--db", db_url] if db_url else [])  # fmt: skip
        done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=1800, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"the {task} child failed:\n{done.stderr[-2000:]}")
        results[task] = json.loads(done.stdout.strip().splitlines()[-1])
    return results


def machine() -> str:
    return (
        f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.platform()}, "
        f"pandas {pd.__version__}; load average at the end {', '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )


def _describe(db_url: str | None) -> str:
    if not db_url:
        return "a fresh SQLite file"
    from sqlalchemy.engine import make_url

    return f"{make_url(db_url).get_backend_name()} (--db)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_ingest", description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="folder holding the public data folders")
    parser.add_argument("--folders", default=",".join(FOLDERS), help="comma-separated folder names")
    parser.add_argument("--db", help="a throwaway database for the whole-corpus ingest (its tables are dropped)")
    parser.add_argument("--whole-only", action="store_true", help="only the whole-corpus line")
    parser.add_argument("--child", choices=("parse", "ingest"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    data = Path(args.data)
    folders = []
    for name in args.folders.split(","):
        folder = data / name.strip()
        if not folder.is_dir():
            print(f"{name}: not found under {data}; skipped", file=sys.stderr)
            continue
        folders.append(folder)
    if args.child:
        print(json.dumps(_child(args.child, expand_paths(folders), args.db)))
        return 0
    catalogue = load_catalogue()
    results = [] if args.whole_only else [bench_folder(folder, catalogue) for folder in folders]
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
    if results:
        print("ratio = ingest s / parse s; loaders s = read + normalise only (the rest of ingest is the database)")
    if folders:
        w = whole_corpus(folders, args.db)
        parse, ingest = w["parse"], w["ingest"]
        print()
        print(
            f"whole corpus: {w['files']} files, {parse['rows']:,} rows parsed in {parse['seconds']:.2f} s "
            f"(peak {parse['peak_mb']:.0f} MB); {ingest['rows']:,} tidy rows ingested in {ingest['seconds']:.2f} s "
            f"(peak {ingest['peak_mb']:.0f} MB) into {_describe(args.db)}; "
            f"ratio {ingest['seconds'] / parse['seconds']:.2f}"
        )
        if ingest["errors"] or ingest["unrecognised"]:
            print(f"    {ingest['errors']} file(s) with errors, {ingest['unrecognised']} file(s) with no loader yet")
    print(machine())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
