"""A synthetic store about ten times the public corpus, for checking that page cost stays flat as data grows.

    python -m benchmarks.make_big_store --corpus sqlite:////tmp/corpus.sqlite --out /tmp/big.sqlite [--factor 10]
    python -m benchmarks.make_big_store --db postgresql+psycopg://.../big [--factor 10]

The first form copies a SQLite database built from the public corpus to ``--out`` and grows the
copy; the second grows a database in place (one that already holds the public corpus, for example
after ``python -m loaders ingest ... --db URL``; never a database anyone reads).

Growth replicates the organisations outside LLR (every organisation with no ``place``, except the
country and the system rows) under new codes (``<code>~<n>``, named ``<name> (synthetic copy n)``)
together with all their observations, as many copies as it takes for the store to hold at least
``--factor`` times the observations it started with. LLR's own organisations and figures are left
exactly as published, so every page shows the same LLR figures and must find them among ten times
as many rows (national comparisons see the synthetic copies as extra areas, with the same values as
the areas they copy). The copies reuse the original source rows, so provenance reads cost what
they would. The store is for benchmarks only: never serve it to readers.
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import and_, func, insert, literal, select  # noqa: E402

from metrics import store  # noqa: E402

NOT_COPIED_KINDS = ("country", "system")


def _replicable():
    org = store.organisation
    return and_(org.c.place.is_(None), org.c.kind.not_in(NOT_COPIED_KINDS), ~org.c.code.contains("~"))


def grow(engine, factor: float) -> dict:
    """Add synthetic copies of the non-LLR organisations until the store holds ``factor`` x its observations."""
    org, obs = store.organisation, store.observation
    with engine.begin() as conn:
        if conn.execute(select(func.count()).select_from(org).where(org.c.code.contains("~"))).scalar():
            raise SystemExit("this store already holds synthetic copies; start from the public corpus")
        total = conn.execute(select(func.count()).select_from(obs)).scalar()
        codes = select(org.c.code).where(_replicable())
        replicable = conn.execute(select(func.count()).select_from(obs).where(obs.c.org_code.in_(codes))).scalar()
        if not replicable:
            raise SystemExit("no observations outside LLR to replicate: is this the public corpus?")
        copies = math.ceil((factor - 1) * total / replicable)
        for n in range(1, copies + 1):
            suffix = f"~{n}"
            conn.execute(
                insert(org).from_select(
                    ["code", "name", "kind", "parent_code", "place"],
                    select(
                        org.c.code + suffix,
                        org.c.name + f" (synthetic copy {n})",
                        org.c.kind,
                        org.c.parent_code,
                        org.c.place,
                    ).where(_replicable()),
                )  # fmt: skip
            )
            columns = ["metric_id", "org_code", "period_start", "period_type", "numerator", "denominator", "value",
                       "source_id", "loaded_at"]  # fmt: skip
            conn.execute(
                insert(obs).from_select(
                    columns,
                    select(obs.c.metric_id, obs.c.org_code + literal(suffix), *(obs.c[c] for c in columns[2:])).where(
                        obs.c.org_code.in_(codes)
                    ),
                )
            )
        after = conn.execute(select(func.count()).select_from(obs)).scalar()
        organisations = conn.execute(select(func.count()).select_from(org)).scalar()
    return {"before": total, "after": after, "copies": copies, "organisations": organisations}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.make_big_store", description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", help="SQLite URL of a database built from the public corpus (copied)")
    parser.add_argument("--out", help="path of the SQLite file to write (with --corpus)")
    parser.add_argument("--db", help="grow this database in place instead")
    parser.add_argument("--factor", type=float, default=10.0, help="times the observations to reach (default 10)")
    args = parser.parse_args(argv)
    if not 1 < args.factor <= 50:
        parser.error("--factor: above 1 and at most 50")
    if args.db:
        url = args.db
    elif args.corpus and args.out:
        from sqlalchemy.engine import make_url

        source = make_url(args.corpus)
        if source.get_backend_name() != "sqlite" or not source.database:
            parser.error("--corpus: a SQLite database URL (for another database use --db)")
        shutil.copyfile(source.database, args.out)
        url = f"sqlite:///{Path(args.out).resolve()}"
    else:
        parser.error("give --corpus and --out, or --db")
    start = time.perf_counter()
    engine = store.make_engine(url)
    try:
        result = grow(engine, args.factor)
    finally:
        engine.dispose()
    print(
        f"{url}: {result['before']:,} -> {result['after']:,} observations "
        f"({result['after'] / result['before']:.1f}x; {result['copies']} synthetic copies of the areas outside LLR, "
        f"{result['organisations']:,} organisations) in {time.perf_counter() - start:.1f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
