"""``python -m loaders``: ingest files, export tidy rows, show status, snapshot and restore the store,
build the demo database."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import getpass
import sys
from pathlib import Path

import pandas as pd

from loaders.dbcheck import named_database_problem
from loaders.ingest import FileOutcome, expand_paths, ingest_paths
from loaders.limits import file_bytes
from metrics import access, areas, export, query, store, tables
from metrics.catalogue import CatalogueError, load_catalogue
from metrics.reader import Reader

EXPORT_COLUMNS = ["metric_id", "org_code", "period_start", "period_type", "numerator", "denominator", "value"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m loaders", description=__doc__)
    parser.add_argument("--config", default=None, help="catalogue file (default: config.yaml)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="load published files or folders into the database")
    p.add_argument("paths", nargs="+", help="files or folders")
    p.add_argument("--db", help="SQLAlchemy URL (default: DATABASE_URL, else the SQLite file under data/)")
    p.add_argument("--max-mb", type=float, help="refuse files larger than this (default: settings.max_file_mb)")
    p.add_argument(
        "--published",
        type=_past_date,
        metavar="YYYY-MM-DD",
        help="publication date to record for files that do not state one (an older publication never "
        "replaces a newer one)",
    )

    p = sub.add_parser(
        "export",
        help="with --area: what a page shows for a metric and an area (the figures table); without it: the "
        "stored tidy rows of the metric as loaded (CSV on stdout)",
    )
    p.add_argument("--metric", required=True)
    p.add_argument("--org", action="append", help="organisation code (repeatable)")
    p.add_argument(
        "--area",
        help="an area id (llr, leicester, ...): write what a reader sees for it instead (the figures table)",
    )
    p.add_argument("--db")
    p.add_argument(
        "--raw",
        action="store_true",
        help="write text cells as stored (by default a cell a spreadsheet would run as a formula gets a ' prefix)",
    )

    p = sub.add_parser("pack", help="write the meeting pack (HTML, PDF, XLSX): what changed since the last meeting")
    p.add_argument("--area", required=True, help="area id, e.g. llr")
    p.add_argument(
        "--since", required=True, type=_iso_date, metavar="YYYY-MM-DD",
        help="the last meeting's date: the pack says what has changed since then",
    )  # fmt: skip
    p.add_argument("--topics", nargs="+", help="topic ids (default: every topic but population)")
    p.add_argument("--out", required=True, help="folder to write the files to (created if missing)")
    p.add_argument("--db")
    p.add_argument("--no-pdf", action="store_true", help="write the HTML and XLSX only")

    p = sub.add_parser(
        "areas", help="every area with its members and where each membership comes from (config.yaml, ODS, ONS)"
    )
    p.add_argument("--area", help="one area (id or ODS code, e.g. qe1)")
    p.add_argument("--db")

    p = sub.add_parser("status", help="sources loaded and the latest period per metric")
    p.add_argument("--db")

    p = sub.add_parser(
        "demo",
        help="(re)build the demo database from data/demo/ and data/reported/ "
        "(default: data/demo.sqlite, which the app opens with DASHBOARD_DEMO=1; never DATABASE_URL)",
    )
    p.add_argument(
        "--db",
        help="build it here instead (refused if that database holds anything but demonstration data)",
    )

    p = sub.add_parser("snapshot", help="write the store (or the files given with --from) as a published snapshot")
    p.add_argument("--out", required=True, help="folder for the snapshot (e.g. data/published)")
    p.add_argument("--replace", action="store_true", help="replace the folder's snapshot or files (refused without it)")
    p.add_argument("--db", help="database to snapshot (default: DATABASE_URL, else the SQLite file under data/)")
    p.add_argument(
        "--from",
        dest="sources",
        nargs="+",
        metavar="PATH",
        help="snapshot these files or folders instead: they are ingested into a temporary database first",
    )

    p = sub.add_parser("restore", help="load a snapshot folder into the database in one transaction")
    p.add_argument("folder", help="snapshot folder (e.g. data/published)")
    p.add_argument("--db")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--replace",
        action="store_true",
        help="replace everything the database holds with the snapshot (refused without it, or --merge, "
        "when the database holds files the snapshot does not)",
    )
    mode.add_argument(
        "--merge",
        action="store_true",
        help="add the snapshot to a database holding other files; the revision rule decides each figure",
    )

    p = sub.add_parser("check-config", help="validate a catalogue file")
    p.add_argument("path", nargs="?", default=None)

    p = sub.add_parser("fetch", help="find new files on the statistics pages, download and ingest them")
    p.add_argument("--publication", action="append", metavar="ID", help="publication id (repeatable; default: all)")
    p.add_argument("--since", metavar="YYYY-MM", help="skip files for months before this one")
    p.add_argument("--dry-run", action="store_true", help="read the pages and list what is new; write nothing")
    p.add_argument(
        "--index-url", action="append", metavar="ID=URL", help="read this landing page for publication ID (repeatable)"
    )
    p.add_argument("--raw-dir", metavar="FOLDER", help="where downloads are kept (default: data/raw)")
    p.add_argument("--db")

    _actions_parser(sub)

    sub.add_parser("generate-demo", help="regenerate the demo input files in data/demo/ (seeded)")

    sub.add_parser(
        "hash-password",
        help=f"print the salted hash of an administrator password, for {access.HASH_VARIABLE}",
    )
    return parser


def _actions_parser(sub) -> None:
    p = sub.add_parser("actions", help="the committee's actions log: import a file of actions, or export them")
    verbs = p.add_subparsers(dest="verb", required=True)
    q = verbs.add_parser("import", help="add every action in a CSV or XLSX file (the whole file or nothing)")
    q.add_argument("file")
    q.add_argument("--by", help="who is recording the actions (default: the file's name)")
    q.add_argument("--db")
    q = verbs.add_parser("export", help="write every action as it stands (CSV on standard output by default)")
    q.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    q.add_argument("--out", help="write to this file instead of standard output")
    q.add_argument("--db")


def cmd_actions(args, catalogue) -> int:
    """``actions import FILE`` / ``actions export [--format csv|xlsx]`` (``metrics.actions``)."""
    from metrics import actions

    url = store.resolve_database_url(args.db, catalogue)
    if args.verb == "import":
        path = Path(args.file)
        try:
            content = path.read_bytes()
        except OSError as exc:
            print(f"ERROR: {path}: cannot be read ({exc.strerror})", file=sys.stderr)
            return 1
        engine = store.make_engine(url)
        try:
            ids = actions.import_file(engine, catalogue, path.name, content, args.by or f"import of {path.name}")
        except actions.ActionsError as exc:
            print(f"ERROR: {exc}; nothing was recorded", file=sys.stderr)
            return 1
        print(f"{path.name}: {len(ids)} action{'s' if len(ids) != 1 else ''} recorded")
        return 0
    if store.database_file_missing(url):
        print(f"ERROR: no database at {url}", file=sys.stderr)
        return 1
    current = actions.current_actions(store.make_engine(url))
    if args.format == "xlsx":
        content = actions.export_xlsx(current)
    else:
        content = actions.export_csv(current).encode("utf-8")
    if args.out:
        Path(args.out).write_bytes(content)
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(content)
        sys.stdout.buffer.flush()
    return 0


def _iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2026-01-08") from None


def _past_date(text: str) -> dt.date:
    """A publication date: ISO, and not after today (a future date would keep later revisions out)."""
    date = _iso_date(text)
    if date > dt.date.today():
        raise argparse.ArgumentTypeError(f"'{text}' is after today: a publication date cannot be in the future")
    return date


def _engine(args, catalogue, *, read_only: bool = False):
    return store.make_engine(store.resolve_database_url(args.db, catalogue), read_only=read_only)


def _shown_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _named(args, catalogue) -> str:
    """The database a command is about to change, as it is named (password hidden), and from where."""
    url = _shown_url(store.resolve_database_url(args.db, catalogue))
    origin = "--db" if args.db else ("DATABASE_URL" if _environment_url() else "the default")
    return f"{url} (from {origin})"


def _environment_url() -> str:
    import os

    return os.environ.get("DATABASE_URL", "")


def _describe(outcome: FileOutcome) -> str:
    name = outcome.path.name
    if outcome.status == "loaded":
        layout = f" ({outcome.layout})" if outcome.layout else ""
        return (
            f"{name}: loaded with {outcome.loader}{layout}: {outcome.rows} rows "
            f"({outcome.added} added, {outcome.updated} updated, {outcome.unchanged} unchanged)"
        )
    if outcome.status == "unchanged":
        return f"{name}: already loaded ({outcome.loader}); nothing changed"
    return f"{name}: {outcome.status.upper()}: {outcome.error}"


def cmd_ingest(args, catalogue) -> int:
    engine = _engine(args, catalogue)
    max_bytes = file_bytes(args.max_mb) if args.max_mb else None
    files = expand_paths(args.paths)
    missing = [p for p in map(Path, args.paths) if not p.exists()]
    if missing:
        print(f"ERROR: no such file or folder: {', '.join(map(str, missing))}", file=sys.stderr)
        return 1
    progress = None
    bar = None
    if len(files) > 3:
        from tqdm import tqdm

        bar = tqdm(total=len(files), unit="file", file=sys.stderr, disable=None)

        def progress(items):
            for item in items:
                yield item
                bar.update(1)

    def report(outcome: FileOutcome) -> None:
        line = _describe(outcome)
        (bar.write(line, file=sys.stderr) if bar else print(line, file=sys.stderr))

    summary = ingest_paths(
        files, engine, catalogue, max_bytes=max_bytes, on_file=report, progress=progress, published=args.published
    )
    if bar:
        bar.close()
    print("\n".join(summary.lines()))
    return 1 if summary.failed else 0


def cmd_export(args, catalogue) -> int:
    if args.metric not in catalogue.metric_by_id:
        print(f"ERROR: '{args.metric}' is not a metric in the catalogue", file=sys.stderr)
        return 1
    url = store.resolve_database_url(args.db, catalogue)
    if store.database_file_missing(url):
        if args.area is not None and catalogue.find_area(args.area) is None:
            return _unknown_area(args.area, catalogue)
        print(f"ERROR: no database at {url}: load files with `python -m loaders ingest PATH`", file=sys.stderr)
        return 1
    engine = store.make_engine(url, read_only=True)
    if args.area is not None:
        catalogue = areas.full_catalogue(engine, catalogue)  # every ICB an area (reference data)
        area_id = catalogue.find_area(args.area)
        if area_id is None:
            return _unknown_area(args.area, catalogue)
        args.area = area_id
        return _export_area(engine, catalogue, args)
    orgs = [catalogue.resolve_org(o) for o in args.org] if args.org else None
    if store.database_exists(engine):
        frame = store.read_observations(engine, metric_ids=[args.metric], org_codes=orgs)
        frame["period_start"] = frame["period_start"].dt.strftime("%Y-%m-%d")
        frame = frame[EXPORT_COLUMNS]
    else:
        frame = pd.DataFrame(columns=EXPORT_COLUMNS)
    # Organisation codes come from loaded files: neutralised like every other export unless --raw.
    (frame if args.raw else export.neutralise(frame)).to_csv(sys.stdout, index=False, lineterminator="\n")
    return 0


def _unknown_area(text: str, catalogue) -> int:
    known = ", ".join(a.id for a in catalogue.areas)
    print(f"ERROR: '{text}' is not an area (one of: {known})", file=sys.stderr)
    return 1


def _export_area(engine, catalogue, args) -> int:
    """The read layer's figures for a metric and an area: the same table as Indicator detail."""
    if store.database_exists(engine):
        reader = Reader(engine, catalogue)
        frame = tables.figures_table(reader.indicator(args.metric, args.area), sources=reader.sources())
    else:
        empty = pd.DataFrame(columns=[*store.TIDY_COLUMNS, "source_id"])
        frame = tables.figures_table(query.indicator(empty, catalogue, args.metric, args.area), sources=None)
    frame = export.whole_numbers(frame)  # 18680, not 18680.0: as the pages' CSV downloads write it
    (frame if args.raw else export.neutralise(frame)).to_csv(sys.stdout, index=False, lineterminator="\n")
    return 0


def cmd_pack(args, catalogue) -> int:
    """Write ``meeting-pack-<area>-<date>.html/.xlsx/.pdf``: the same files as the Meeting brief page."""
    from metrics import pack

    url = store.resolve_database_url(args.db, catalogue)
    if store.database_file_missing(url):
        print(f"ERROR: no database at {url}: load files with `python -m loaders ingest PATH`", file=sys.stderr)
        return 1
    try:
        engine = store.make_engine(url, read_only=True)
        catalogue = areas.full_catalogue(engine, catalogue)  # every ICB an area (reference data)
        area_id = catalogue.find_area(args.area) or args.area
        built = pack.read_pack(engine, catalogue, area_id, args.since, args.topics)
        files = pack.pack_files(built, pdf=not args.no_pdf)
    except (pack.PackError, pack.PdfUnavailable) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (out / name).write_bytes(content)
        print(out / name)
    return 0


def cmd_areas(args, catalogue) -> int:
    """Every area, its members per membership and where each comes from (reads only)."""
    url = store.resolve_database_url(args.db, catalogue)
    if not store.database_file_missing(url):
        catalogue = areas.full_catalogue(store.make_engine(url, read_only=True), catalogue)
    wanted = None
    if args.area is not None:
        wanted = catalogue.find_area(args.area)
        if wanted is None:
            return _unknown_area(args.area, catalogue)
    for line in areas.describe_areas(catalogue, wanted):
        print(line)
    return 0


def cmd_status(args, catalogue) -> int:
    """Reads only: a missing SQLite file is not created, an empty store is not initialised."""
    url = store.resolve_database_url(args.db, catalogue)
    print(f"database: {url}")
    if store.database_file_missing(url):
        print("sources loaded: 0 (0 demo)")
        print("no observations yet: load files with `python -m loaders ingest PATH`")
        return 0
    engine = store.make_engine(url, read_only=True)
    if not store.database_exists(engine):
        print("sources loaded: 0 (0 demo)")
        print("no observations yet: load files with `python -m loaders ingest PATH`")
        return 0
    sources = store.read_sources(engine)
    print(f"sources loaded: {len(sources)} ({int(sources['is_demo'].sum()) if len(sources) else 0} demo)")
    for loader, group in sources.groupby("loader"):
        print(f"  {loader}: {len(group)} file(s), {int(group['rows'].sum())} rows")
    latest = store.latest_periods(engine)
    if latest.empty:
        print("no observations yet: load files with `python -m loaders ingest PATH`")
        return 0
    print("latest period per metric:")
    for r in latest.itertuples():
        print(
            f"  {r.metric_id:<36} {r.first_period:%Y-%m-%d} to {r.latest_period:%Y-%m-%d}"
            f"  {r.organisations} organisation(s), {r.rows} rows"
        )
    return 0


def cmd_demo(args, catalogue) -> int:
    """Build the demo database: its own file unless ``--db`` names another; never ``DATABASE_URL``."""
    from loaders.default_db import DEMO_DATABASE_URL
    from loaders.demo import DemoRefused, replace_with_demo

    url = store.resolve_database_url(args.db or DEMO_DATABASE_URL, catalogue)
    origin = "--db" if args.db else "its own file; DATABASE_URL is never used"
    print(f"building the demo database in {_shown_url(url)} ({origin})", file=sys.stderr)
    engine = store.make_engine(url)
    try:
        summary = replace_with_demo(engine, catalogue)
    except DemoRefused as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print("\n".join(summary.lines()))
    if not args.db:
        print("open it with: DASHBOARD_DEMO=1 streamlit run app.py")
    return 1 if summary.failed else 0


def cmd_fetch(args, catalogue) -> int:
    from loaders.fetch import FetchOptions, fetch_publications

    since = None
    if args.since:
        try:
            since = dt.datetime.strptime(args.since, "%Y-%m").date()
        except ValueError:
            print(f"ERROR: --since '{args.since}' is not a month written YYYY-MM", file=sys.stderr)
            return 1
    index_urls = {}
    for item in args.index_url or []:
        key, sep, url = item.partition("=")
        if not sep or not key or not url:
            print(f"ERROR: --index-url '{item}' is not written ID=URL", file=sys.stderr)
            return 1
        index_urls[key] = url
    options = FetchOptions(
        publications=tuple(args.publication or ()), since=since, dry_run=args.dry_run, index_urls=index_urls
    )
    if args.raw_dir:
        options = dataclasses.replace(options, raw_dir=Path(args.raw_dir))
    try:
        # A dry run reads the store only: no file is created, no journal mode switched.
        report = fetch_publications(_engine(args, catalogue, read_only=args.dry_run), catalogue, options)
    except ValueError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    print("\n".join(report.lines()))
    return 1 if report.failed else 0


def cmd_snapshot(args, catalogue) -> int:
    from loaders.snapshot import SnapshotError, snapshot_from_files, write_snapshot

    if args.sources:
        missing = [p for p in map(Path, args.sources) if not p.exists()]
        if missing:
            print(f"ERROR: no such file or folder: {', '.join(map(str, missing))}", file=sys.stderr)
            return 1
        try:
            summary, written = snapshot_from_files(
                args.sources,
                args.out,
                catalogue,
                on_file=lambda o: print(_describe(o), file=sys.stderr),
                replace=args.replace,
            )
        except SnapshotError as exc:
            print(f"ERROR: {exc}", file=sys.stderr)
            return 1
        print("\n".join(summary.lines()))
        if written is None:
            print(f"ERROR: nothing was written to {args.out}: a file could not be loaded", file=sys.stderr)
            return 1
    else:
        engine = _engine(args, catalogue, read_only=True)
        if not store.database_exists(engine):
            print(f"ERROR: {store.resolve_database_url(args.db, catalogue)} has no data to snapshot", file=sys.stderr)
            return 1
        try:
            written = write_snapshot(engine, args.out, replace=args.replace)
        except SnapshotError as exc:
            print(f"ERROR: {exc}", file=sys.stderr)
            return 1
    print("\n".join(written.lines()))
    return 0


def cmd_restore(args, catalogue) -> int:
    from loaders.snapshot import SnapshotError, restore_snapshot

    engine = _engine(args, catalogue)
    mode = "replace" if args.replace else "merge" if args.merge else "refuse"
    if not args.db:  # say which database is about to change when the command line did not name it
        print(f"restoring {args.folder} into {_named(args, catalogue)}", file=sys.stderr)
    try:
        counts = restore_snapshot(engine, args.folder, catalogue, other_data=mode)
    except SnapshotError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()  # SQLite: folds and removes the write-ahead log, so a refused restore leaves no trace
    print(
        f"{counts.sources_added} source(s) added, {counts.sources_already_loaded} already loaded; "
        f"rows: {counts.added} added, {counts.updated} updated, {counts.unchanged} unchanged"
        + (f", {counts.kept_newer} kept (a later publication is already loaded)" if counts.kept_newer else "")
    )
    return 0


def cmd_generate_demo(args, catalogue) -> int:
    from loaders.demo import write_demo_files

    for path in write_demo_files(catalogue):
        print(path)
    return 0


def cmd_hash_password(args) -> int:
    """Ask for a password twice (or read one line from a pipe) and print its salted hash."""
    if sys.stdin.isatty():
        password = getpass.getpass("Administrator password: ")
        if getpass.getpass("Again: ") != password:
            print("ERROR: the two passwords differ; nothing printed", file=sys.stderr)
            return 1
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < 12:
        print("ERROR: use a password of at least 12 characters", file=sys.stderr)
        return 1
    print(access.hash_password(password))
    print(
        f"Set {access.HASH_VARIABLE} to the line above (or `{access.SECRET_KEY}` in .streamlit/secrets.toml); "
        "never store the password itself.",
        file=sys.stderr,
    )
    return 0


def cmd_check_config(args) -> int:
    try:
        catalogue = load_catalogue(args.path)
    except CatalogueError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    print(
        f"{args.path or 'config.yaml'}: OK ({len(catalogue.metrics)} metrics, "
        f"{len(catalogue.organisations)} organisations, {len(catalogue.areas)} areas)"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "check-config":
        return cmd_check_config(args)
    if args.command == "hash-password":
        return cmd_hash_password(args)
    try:
        catalogue = load_catalogue(args.config)
    except CatalogueError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    if problem := named_database_problem(getattr(args, "db", None), catalogue):  # a message, never a traceback
        print(f"ERROR: {problem}", file=sys.stderr)
        return 1
    handlers = {
        "ingest": cmd_ingest,
        "export": cmd_export,
        "pack": cmd_pack,
        "status": cmd_status,
        "areas": cmd_areas,
        "demo": cmd_demo,
        "snapshot": cmd_snapshot,
        "restore": cmd_restore,
        "generate-demo": cmd_generate_demo,
        "fetch": cmd_fetch,
        "actions": cmd_actions,
    }
    try:
        return handlers[args.command](args, catalogue)
    except store.StoreBusy as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
