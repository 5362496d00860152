"""Tests for metrics.store: the tidy metrics layer on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import pandas as pd
import pytest
from sqlalchemy import func, select, text

from metrics import store
from metrics.catalogue import PROJECT_ROOT

D = dt.date


def tidy(rows: list[tuple]) -> pd.DataFrame:
    """Tidy rows from (metric_id, org_code, period_start, period_type, numerator, denominator, value)."""
    return pd.DataFrame(rows, columns=store.TIDY_COLUMNS)


def record(
    sha: str = "a" * 64,
    vintage: str = "",
    file_name: str = "file.csv",
    is_demo: bool = False,
    published: dt.date | None = None,
):
    return store.SourceRecord(
        loader="generic_template",
        file_name=file_name,
        sha256=sha,
        publisher="NHS England",
        publication="A&E Attendances and Emergency Admissions",
        licence="Open Government Licence v3.0",
        url="https://example.org/ae",
        vintage=vintage,
        published=published,
        is_demo=is_demo,
    )


AE = [
    ("ae_4hr_all", "RWE", D(2024, 1, 1), "month", 14000.0, 20000.0, 70.0),
    ("ae_4hr_all", "RWE", D(2024, 2, 1), "month", 13500.0, 19000.0, 13500 / 19000 * 100),
    ("ae_4hr_all", "NNJ07", D(2024, 1, 1), "month", 2500.0, 2600.0, 2500 / 2600 * 100),
    ("ae_attendances", "RWE", D(2024, 1, 1), "month", None, None, 20000.0),
    ("beds_ga_occupancy", "RWE", D(2023, 10, 1), "quarter", None, None, 93.4),  # a percentage given without parts
]


def as_tuples(frame: pd.DataFrame) -> list[tuple]:
    out = []
    for r in frame.itertuples(index=False):
        out.append(
            (
                r.metric_id,
                r.org_code,
                pd.Timestamp(r.period_start).date(),
                r.period_type,
                None if pd.isna(r.numerator) else float(r.numerator),
                None if pd.isna(r.denominator) else float(r.denominator),
                None if pd.isna(r.value) else float(r.value),
            )
        )
    return sorted(out, key=lambda t: (t[0], t[1], t[2]))


def observation_count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(store.observation)).scalar_one()


def source_count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(store.source)).scalar_one()


class TestWriteLoad:
    def test_round_trip_returns_the_same_values(self, engine):
        counts = store.write_load(engine, tidy(AE), record())
        assert (counts.added, counts.updated, counts.unchanged) == (5, 0, 0)
        got = as_tuples(store.read_observations(engine))
        expected = sorted(AE, key=lambda t: (t[0], t[1], t[2]))
        assert [g[:4] for g in got] == [e[:4] for e in expected]
        for g, e in zip(got, expected, strict=True):
            for a, b in zip(g[4:], e[4:], strict=True):
                assert (a is None and b is None) or a == pytest.approx(b, rel=1e-12)

    def test_missing_numerator_and_denominator_come_back_as_missing(self, engine):
        store.write_load(engine, tidy(AE), record())
        row = store.read_observations(engine, metric_ids=["ae_attendances"]).iloc[0]
        assert math.isnan(row.numerator) and math.isnan(row.denominator)
        assert row.value == 20000.0

    def test_period_start_is_read_back_as_a_timestamp(self, engine):
        store.write_load(engine, tidy(AE), record())
        frame = store.read_observations(engine)
        assert str(frame["period_start"].dtype).startswith("datetime64")

    def test_rewriting_identical_rows_changes_nothing(self, engine):
        store.write_load(engine, tidy(AE), record("a" * 64))
        before = as_tuples(store.read_observations(engine))
        counts = store.write_load(engine, tidy(AE), record("b" * 64))
        assert (counts.added, counts.updated, counts.unchanged, counts.kept_newer) == (0, 0, 5, 0)
        assert as_tuples(store.read_observations(engine)) == before

    def test_identical_rows_keep_pointing_at_the_first_source(self, engine):
        first = store.write_load(engine, tidy(AE), record("a" * 64))
        store.write_load(engine, tidy(AE), record("b" * 64))
        assert set(store.read_observations(engine)["source_id"]) == {first.source_id}

    @pytest.mark.parametrize("vintage", ["2024-03", "2024-04"])
    def test_a_revision_of_the_same_or_later_vintage_replaces_the_value(self, engine, vintage):
        store.write_load(engine, tidy(AE), record("a" * 64, vintage="2024-03"))
        revised = [AE[0][:4] + (14100.0, 20000.0, 70.5)]
        counts = store.write_load(engine, tidy(revised), record("b" * 64, vintage=vintage))
        assert (counts.added, counts.updated, counts.unchanged, counts.kept_newer) == (0, 1, 0, 0)
        row = store.read_observations(engine, metric_ids=["ae_4hr_all"], org_codes=["RWE"], end=D(2024, 1, 1))
        assert row[["numerator", "value"]].iloc[0].tolist() == [14100.0, 70.5]
        assert int(row["source_id"].iloc[0]) == counts.source_id

    def test_an_earlier_vintage_does_not_overwrite_a_later_one(self, engine):
        store.write_load(engine, tidy(AE), record("a" * 64, vintage="2024-04"))
        older = [AE[0][:4] + (13000.0, 20000.0, 65.0), AE[1]]
        counts = store.write_load(engine, tidy(older), record("b" * 64, vintage="2024-03"))
        assert (counts.added, counts.updated, counts.unchanged, counts.kept_newer) == (0, 0, 1, 1)
        row = store.read_observations(engine, metric_ids=["ae_4hr_all"], org_codes=["RWE"], end=D(2024, 1, 1))
        assert row["value"].iloc[0] == 70.0

    def test_new_and_existing_rows_in_one_file_are_counted_apart(self, engine):
        store.write_load(engine, tidy(AE[:2]), record("a" * 64))
        changed = AE[1][:6] + (99.0,)
        counts = store.write_load(engine, tidy([AE[0], changed, AE[2]]), record("b" * 64))
        assert (counts.added, counts.updated, counts.unchanged) == (1, 1, 1)

    def test_unknown_organisation_is_added_with_its_name_and_kind(self, engine):
        rows = [("ae_4hr_all", "RX1", D(2024, 1, 1), "month", 1.0, 2.0, 50.0)]
        orgs = pd.DataFrame([{"code": "RX1", "name": "Nottingham University Hospitals", "kind": "provider"}])
        counts = store.write_load(engine, tidy(rows), record(), orgs)
        assert counts.new_organisations == ["RX1"]
        known = store.read_organisations(engine).set_index("code")
        assert known.loc["RX1", "name"] == "Nottingham University Hospitals"
        assert known.loc["RX1", "kind"] == "provider"
        assert "RX1" in store.known_org_codes(engine)

    def test_unknown_organisation_without_details_is_named_by_its_code(self, engine):
        rows = [("ae_4hr_all", "RX1", D(2024, 1, 1), "month", 1.0, 2.0, 50.0)]
        store.write_load(engine, tidy(rows), record())
        assert store.read_organisations(engine).set_index("code").loc["RX1", "name"] == "RX1"

    def test_source_row_records_the_file(self, engine):
        counts = store.write_load(engine, tidy(AE), record("c" * 64, file_name="AE-Jan-2024.csv", is_demo=True))
        src = store.read_sources(engine).set_index("id").loc[counts.source_id]
        assert src["file_name"] == "AE-Jan-2024.csv"
        assert src["sha256"] == "c" * 64
        assert src["publisher"] == "NHS England"
        assert src["licence"] == "Open Government Licence v3.0"
        assert src["periods"] == "2023-10-01 to 2024-02-01"
        assert (src["period_from"].date(), src["period_to"].date()) == (D(2023, 10, 1), D(2024, 2, 1))
        assert (src["rows"], src["added"], src["updated"], src["unchanged"]) == (5, 5, 0, 0)
        assert bool(src["is_demo"]) is True
        assert store.find_source(engine, "c" * 64)["file_name"] == "AE-Jan-2024.csv"

    def test_a_file_with_one_period_records_it_once(self, engine):
        counts = store.write_load(engine, tidy(AE[:1]), record())
        assert store.read_sources(engine).set_index("id").loc[counts.source_id, "periods"] == "2024-01-01"

    def test_failure_mid_write_leaves_the_database_unchanged(self, engine):
        store.write_load(engine, tidy(AE[:1]), record("a" * 64))
        before = as_tuples(store.read_observations(engine))
        # A new organisation, a new row, then a value that cannot be stored: all or nothing.
        bad = [
            ("ae_4hr_all", "RX1", D(2024, 3, 1), "month", 1.0, 2.0, 50.0),
            ("ae_4hr_all", "RWE", D(2024, 3, 1), "month", None, None, "not a number"),
        ]
        with pytest.raises(ValueError):
            store.write_load(engine, tidy(bad), record("b" * 64))
        assert as_tuples(store.read_observations(engine)) == before
        assert source_count(engine) == 1
        assert store.find_source(engine, "b" * 64) is None
        assert "RX1" not in store.known_org_codes(engine)

    def test_failure_while_updating_leaves_earlier_values(self, engine, monkeypatch):
        store.write_load(engine, tidy(AE), record("a" * 64))
        before = as_tuples(store.read_observations(engine))

        def broken(*args, **kwargs):
            raise RuntimeError("disk full")

        monkeypatch.setattr(store.writes, "_upsert", broken)  # where write_load looks it up
        with pytest.raises(RuntimeError, match="disk full"):
            store.write_load(engine, tidy([AE[0][:6] + (1.0,)]), record("b" * 64))
        assert as_tuples(store.read_observations(engine)) == before
        assert source_count(engine) == 1


def rwe_january(engine) -> float:
    frame = store.read_observations(engine, metric_ids=["ae_4hr_all"], org_codes=["RWE"], end=D(2024, 1, 1))
    return float(frame["value"].iloc[0])


REVISED = [AE[0][:4] + (14100.0, 20000.0, 70.5)]


class TestRevisionRule:
    """Which of two files wins for the same metric, organisation and period (``store.REVISION_RULE``)."""

    def test_the_same_content_changes_nothing(self, engine):
        store.write_load(engine, tidy(AE), record("a" * 64))
        counts = store.write_load(engine, tidy(REVISED), record("a" * 64, file_name="copy.csv"))
        assert counts.already_loaded["file_name"] == "file.csv"
        assert (counts.added, counts.updated, counts.source_id) == (0, 0, None)
        assert source_count(engine) == 1
        assert rwe_january(engine) == 70.0

    @pytest.mark.parametrize(("first_sha", "second_sha"), [("a" * 64, "f" * 64), ("f" * 64, "a" * 64)])
    def test_new_content_replaces_and_both_sources_are_kept_whatever_the_hashes(self, engine, first_sha, second_sha):
        first = store.write_load(engine, tidy(AE), record(first_sha))
        counts = store.write_load(engine, tidy(REVISED), record(second_sha, file_name="revised.csv"))
        assert (counts.updated, counts.kept_newer) == (1, 0)
        assert rwe_january(engine) == 70.5
        assert set(store.read_sources(engine)["id"]) == {first.source_id, counts.source_id}

    @pytest.mark.parametrize(("first_sha", "second_sha"), [("a" * 64, "f" * 64), ("f" * 64, "a" * 64)])
    def test_an_older_publication_never_replaces_a_newer_one(self, engine, first_sha, second_sha):
        store.write_load(engine, tidy(AE), record(first_sha, published=D(2024, 3, 14)))
        counts = store.write_load(engine, tidy(REVISED), record(second_sha, published=D(2024, 2, 8)))
        assert (counts.updated, counts.unchanged, counts.kept_newer) == (0, 0, 1)
        assert rwe_january(engine) == 70.0
        assert source_count(engine) == 2

    def test_a_newer_publication_replaces_an_older_one(self, engine):
        store.write_load(engine, tidy(AE), record("a" * 64, published=D(2024, 2, 8)))
        counts = store.write_load(engine, tidy(REVISED), record("b" * 64, published=D(2024, 3, 14)))
        assert (counts.updated, counts.kept_newer) == (1, 0)
        assert rwe_january(engine) == 70.5
        dates = store.read_sources(engine).set_index("sha256")["published"]
        assert (dates["a" * 64].date(), dates["b" * 64].date()) == (D(2024, 2, 8), D(2024, 3, 14))

    @pytest.mark.parametrize(
        ("first_date", "second_date"), [(D(2024, 3, 14), None), (None, D(2024, 2, 8)), (None, None)]
    )
    def test_without_both_dates_the_later_load_wins(self, engine, first_date, second_date):
        store.write_load(engine, tidy(AE), record("a" * 64, published=first_date))
        counts = store.write_load(engine, tidy(REVISED), record("b" * 64, published=second_date))
        assert (counts.updated, counts.kept_newer) == (1, 0)
        assert rwe_january(engine) == 70.5

    def test_higher_standing_wins_over_a_later_publication_date(self, engine):
        store.write_load(engine, tidy(AE), record("a" * 64, vintage="2", published=D(2024, 2, 8)))
        counts = store.write_load(engine, tidy(REVISED), record("b" * 64, vintage="1", published=D(2024, 3, 14)))
        assert counts.kept_newer == 1
        assert rwe_january(engine) == 70.0


class TestReadObservations:
    @pytest.fixture
    def loaded(self, engine):
        store.write_load(engine, tidy(AE), record())
        return engine

    @pytest.mark.parametrize(
        ("kwargs", "expected"),
        [
            ({"metric_ids": ["ae_attendances"]}, [("ae_attendances", "RWE", D(2024, 1, 1))]),
            (
                {"metric_ids": ["ae_4hr_all"], "org_codes": ["RWE"]},
                [("ae_4hr_all", "RWE", D(2024, 1, 1)), ("ae_4hr_all", "RWE", D(2024, 2, 1))],
            ),
            (
                {"metric_ids": ["ae_4hr_all"], "start": D(2024, 2, 1)},
                [("ae_4hr_all", "RWE", D(2024, 2, 1))],
            ),
            (
                {"org_codes": ["RWE"], "start": D(2023, 10, 1), "end": D(2024, 1, 1)},
                [
                    ("ae_4hr_all", "RWE", D(2024, 1, 1)),
                    ("ae_attendances", "RWE", D(2024, 1, 1)),
                    ("beds_ga_occupancy", "RWE", D(2023, 10, 1)),
                ],
            ),
            ({"metric_ids": []}, []),
            ({"org_codes": ["XXX"]}, []),
        ],
    )
    def test_filters_by_metric_organisation_and_period(self, loaded, kwargs, expected):
        frame = store.read_observations(loaded, **kwargs)
        assert [(r.metric_id, r.org_code, r.period_start.date()) for r in frame.itertuples()] == expected

    def test_filters_run_in_sql(self, loaded):
        statements = []
        from sqlalchemy import event

        def capture(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        event.listen(loaded, "before_cursor_execute", capture)
        try:
            store.read_observations(loaded, metric_ids=["ae_4hr_all"], org_codes=["RWE"], start=D(2024, 1, 1))
        finally:
            event.remove(loaded, "before_cursor_execute", capture)
        where = statements[-1].split("WHERE", 1)[1]
        for column in ("metric_id", "org_code", "period_start"):
            assert f"observation.{column}" in where

    def test_sorted_by_metric_organisation_and_period(self, loaded):
        frame = store.read_observations(loaded)
        keys = list(zip(frame["metric_id"], frame["org_code"], frame["period_start"], strict=True))
        assert keys == sorted(keys)


class TestLatestPeriods:
    def test_first_and_latest_period_per_metric(self, engine):
        store.write_load(engine, tidy(AE), record())
        latest = store.latest_periods(engine).set_index("metric_id")
        assert latest.loc["ae_4hr_all", "first_period"].date() == D(2024, 1, 1)
        assert latest.loc["ae_4hr_all", "latest_period"].date() == D(2024, 2, 1)
        assert (latest.loc["ae_4hr_all", "organisations"], latest.loc["ae_4hr_all", "rows"]) == (2, 3)
        assert list(latest.index) == ["ae_4hr_all", "ae_attendances", "beds_ga_occupancy"]

    def test_empty_store_has_no_latest_periods(self, engine):
        assert store.latest_periods(engine).empty


class TestInitDb:
    def test_organisations_and_annotations_come_from_the_catalogue(self, engine, catalogue):
        orgs = store.read_organisations(engine).set_index("code")
        assert orgs.loc["E06000016", "name"] == "Leicester City Council"
        assert set(orgs.index) >= {o.code for o in catalogue.organisations}
        assert len(store.read_annotations(engine)) == len(catalogue.annotations)

    def test_running_twice_keeps_one_copy_of_each_event(self, engine, catalogue):
        store.init_db(engine, catalogue)
        assert len(store.read_annotations(engine)) == len(catalogue.annotations)

    def test_organisations_added_by_files_survive_a_resync(self, engine, catalogue):
        store.write_load(engine, tidy([("ae_4hr_all", "RX1", D(2024, 1, 1), "month", 1.0, 2.0, 50.0)]), record())
        store.init_db(engine, catalogue)
        assert "RX1" in store.known_org_codes(engine)
        assert observation_count(engine) == 1

    def test_database_exists_only_once_a_file_is_loaded(self, engine):
        assert not store.database_exists(engine)
        store.write_load(engine, tidy(AE[:1]), record())
        assert store.database_exists(engine)


class TestResolveDatabaseUrl:
    def test_command_line_beats_environment(self, monkeypatch, catalogue, tmp_path):
        monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://env@host/db")
        assert store.resolve_database_url(f"sqlite:///{tmp_path}/cli.sqlite", catalogue) == (
            f"sqlite:///{tmp_path}/cli.sqlite"
        )

    def test_environment_beats_config(self, monkeypatch, catalogue):
        monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://env@host/db")
        assert store.resolve_database_url(None, catalogue) == "postgresql+psycopg://env@host/db"

    def test_config_is_the_default_with_its_relative_path_under_the_project(self, monkeypatch, catalogue):
        monkeypatch.delenv("DATABASE_URL", raising=False)
        assert store.resolve_database_url(None, catalogue) == f"sqlite:///{PROJECT_ROOT / 'data' / 'dashboard.sqlite'}"

    def test_relative_sqlite_path_on_the_command_line_is_under_the_project(self, monkeypatch):
        monkeypatch.delenv("DATABASE_URL", raising=False)
        assert store.resolve_database_url("sqlite:///data/other.sqlite") == (
            f"sqlite:///{PROJECT_ROOT / 'data' / 'other.sqlite'}"
        )

    def test_in_memory_sqlite_is_left_alone(self):
        assert store.resolve_database_url("sqlite:///:memory:") == "sqlite:///:memory:"

    def test_password_in_a_url_is_kept(self, monkeypatch):
        monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://user:secret@host/db")
        assert store.resolve_database_url() == "postgresql+psycopg://user:secret@host/db"


class TestMakeEngine:
    def test_sqlite_uses_wal_and_creates_its_folder(self, tmp_path):
        path = tmp_path / "new" / "folder" / "db.sqlite"
        engine = store.make_engine(f"sqlite:///{path}")
        try:
            with engine.connect() as conn:
                assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
                assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
            assert path.parent.is_dir()
        finally:
            engine.dispose()


def full_dump(engine) -> dict[str, list[tuple]]:
    """Every row of every table, every column (ids and load times included), in key order."""
    tables = {}
    with engine.connect() as conn:
        for table in store.metadata.sorted_tables:
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            tables[table.name] = [tuple(r) for r in rows]
    return tables


class CapturedWrites(list):
    """Statements that change data or schema, run on ``engine`` while the ``with`` block runs."""

    WRITES = ("INSERT", "UPDATE", "DELETE", "CREATE", "ALTER", "DROP", "BEGIN IMMEDIATE")

    def __init__(self, engine) -> None:
        super().__init__()
        self.engine = engine

    def _capture(self, conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(self.WRITES):
            self.append(statement)

    def __enter__(self):
        from sqlalchemy import event

        event.listen(self.engine, "before_cursor_execute", self._capture)
        return self

    def __exit__(self, *exc):
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._capture)


GOOD_CSV = "metric_id,org_code,period,value\nae_attendances,RWE,2024-01-01,20000\nae_attendances,RWE,2024-02-01,19000\n"


class TestRefusedIngest:
    """A refused file leaves the store byte for byte as it was; catalogue rows are rewritten only on change."""

    @pytest.mark.parametrize(
        ("name", "content"),
        [
            ("typo.csv", "metric_id,org_code,period,value\nae_attendances,RWW,2024-03-01,1\n"),  # bad row
            ("notes.csv", "Item,Minute\n1,2\n"),  # no loader recognises it
            ("empty.csv", ""),
        ],
    )
    def test_every_table_is_left_exactly_as_it_was(self, engine, catalogue, tmp_path, name, content):
        from loaders.ingest import ingest_file, ingest_paths

        good = tmp_path / "good.csv"
        good.write_text(GOOD_CSV)
        assert ingest_file(good, engine, catalogue).status == "loaded"
        before = full_dump(engine)
        bad = tmp_path / name
        bad.write_text(content)
        with CapturedWrites(engine) as writes:
            summary = ingest_paths([bad], engine, catalogue)
        assert [o.status for o in summary.outcomes] in (["error"], ["unrecognised"])
        assert full_dump(engine) == before
        assert writes == []  # not even a transaction that writes was opened

    def test_a_good_file_with_an_unchanged_catalogue_leaves_targets_and_annotations_alone(
        self, engine, catalogue, tmp_path
    ):
        from loaders.ingest import ingest_file

        before = full_dump(engine)
        path = tmp_path / "good.csv"
        path.write_text(GOOD_CSV)
        assert ingest_file(path, engine, catalogue).status == "loaded"
        after = full_dump(engine)
        for table in ("annotation", "organisation"):
            assert after[table] == before[table], table

    def test_a_changed_catalogue_is_synchronised_with_the_next_load(self, engine, catalogue, tmp_path):
        from loaders.ingest import ingest_file

        with engine.begin() as conn:
            conn.execute(store.annotation.delete())
            conn.execute(store.organisation.update().where(store.organisation.c.code == "RWE").values(name="Old name"))
        path = tmp_path / "good.csv"
        path.write_text(GOOD_CSV)
        assert ingest_file(path, engine, catalogue).status == "loaded"
        assert len(store.read_annotations(engine)) == len(catalogue.annotations)
        assert store.read_organisations(engine).set_index("code").loc["RWE", "name"] != "Old name"

    def test_a_store_made_before_publication_dates_is_read_as_it_is_and_upgraded_by_the_next_load(
        self, engine, catalogue, tmp_path
    ):
        from loaders.ingest import ingest_file

        store.write_load(engine, tidy(AE[:1]), record())
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE source DROP COLUMN published"))
        before = full_dump_without(engine, "published")
        sources = store.read_sources(engine)
        assert sources["published"].isna().all()
        assert full_dump_without(engine, "published") == before
        path = tmp_path / "good.csv"
        path.write_text(GOOD_CSV)
        assert ingest_file(path, engine, catalogue, published=D(2024, 3, 14)).status == "loaded"
        assert sorted(store.read_sources(engine)["published"].dropna().dt.date) == [D(2024, 3, 14)]


def full_dump_without(engine, column: str) -> dict[str, list[tuple]]:
    tables = {}
    with engine.connect() as conn:
        for table in store.metadata.sorted_tables:
            columns = [c for c in table.columns if c.name != column]
            tables[table.name] = [tuple(r) for r in conn.execute(select(*columns).order_by(*table.primary_key.columns))]
    return tables


def test_previous_organisation_counts_judge_each_metric_on_its_own_latest_period(engine):
    """A file's completeness is judged per metric against the latest period the same publication
    gave before the file's first period, even when the metrics' latest periods differ."""
    rows = [
        ("ae_4hr_all", code, D(2024, month, 1), "month", 1.0, 2.0, 50.0)
        for code in ("RWE", "NNJ07", "RT5")
        for month in (1, 2)
    ]
    rows += [("ae_attendances", "RWE", D(2024, 1, 1), "month", None, None, 10.0)]  # stops a month earlier
    rows += [("ae_attendances", code, D(2024, 3, 1), "month", None, None, 10.0) for code in ("RWE", "RT5")]
    store.write_load(engine, tidy(rows), record())
    other = dataclasses.replace(record(sha="b" * 64, file_name="other.csv"), publication="Another publication")
    store.write_load(engine, tidy([("ae_4hr_all", "RWE", D(2024, 2, 15), "month", 1.0, 2.0, 50.0)]), other)

    got = store.previous_organisation_counts(
        engine, ["ae_attendances", "ae_4hr_all", "ae_4hr_type1"], D(2024, 3, 1),
        "generic_template", "A&E Attendances and Emergency Admissions",
    )  # fmt: skip

    # February for the 4-hour figure (3 organisations; the other publication's row is not counted),
    # January for attendances (its March rows are not before the file), nothing for type 1.
    assert got == {"ae_4hr_all": (D(2024, 2, 1), 3), "ae_attendances": (D(2024, 1, 1), 1)}
