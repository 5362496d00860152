"""The store: the only module that talks to the database (SQLAlchemy 2.x Core, engine passed in).

Tables (docs/architecture.md): ``organisation``, ``observation`` (the tidy metrics layer), ``source``
(every observation traces to the file it came from) and ``annotation`` (events, seeded from the
catalogue); targets are read from the catalogue itself. SQLite under ``data/`` is the embedded
default; any SQLAlchemy URL works.

Writing is serialised: every write runs in one transaction that first takes the store's writer
lock (``BEGIN IMMEDIATE`` on SQLite, a transaction-level advisory lock on PostgreSQL), so two
ingests at once queue instead of racing, and readers (WAL on SQLite, MVCC on PostgreSQL) see
each file either completely or not at all. Waits for a lock are bounded (``writing``). Reading
never writes: read commands use ``make_engine(url, read_only=True)``.

Which figures win when two files give different values for the same metric, organisation and
period (``REVISION_RULE``): the file of higher standing (the loader's ``vintage``: a derived
compilation below a published file below a known revision) wins; between files of the same
standing the later publication date wins when both files' dates are known, and an older
publication never replaces a newer one; otherwise the later load wins. The ``source`` table
keeps every file.

The package is split by job (schema, engine, reads, writes, fetch_records, restore, actions, reference);
this module gathers their names so callers write ``store.read_observations(...)``.
"""

from metrics.store.actions import (  # noqa: F401
    ACTION_COLUMNS,
    ACTION_FIELDS,
    _action_rows,
    _has_actions,
    action_change,
    add_actions,
    change_action,
    read_action_history,
    read_actions,
)
from metrics.store.engine import (  # noqa: F401
    SQLITE_BUSY_SECONDS,
    WRITER_LOCK_KEY,
    StoreBusy,
    _busy_message,
    _ensure_schema,
    _env_seconds,
    _has_schema,
    _insert_if_absent,
    _is_lock_timeout,
    _lock_holders,
    _make_reader_engine,
    _replace_if_different,
    _rows_key,
    _switch_to_wal,
    _sync_catalogue,
    bulk_writing,
    database_exists,
    database_file_missing,
    init_db,
    lock_timeout_seconds,
    make_engine,
    resolve_database_url,
    sqlite_file_is_blank,
    statement_timeout_seconds,
    writing,
)
from metrics.store.fetch_records import (  # noqa: F401
    FETCH_LOG_COLUMNS,
    fetch_log_version,
    read_fetch_log,
    record_fetch,
)
from metrics.store.reads import (  # noqa: F401
    _frame,
    _source_select,
    data_version,
    find_source,
    known_org_codes,
    latest_periods,
    previous_organisation_counts,
    read_annotations,
    read_observations,
    read_organisations,
    read_sources,
    reading_bounded,
)
from metrics.store.reference import (  # noqa: F401
    REFERENCE_MEMBERSHIP_COLUMNS,
    REFERENCE_ORGANISATION_COLUMNS,
    _none_if_missing,
    org_codes_reporting,
    read_reference,
    read_reference_rows,
    reference_membership,
    reference_organisation,
    restore_reference,
    write_reference_load,
)
from metrics.store.restore import (  # noqa: F401
    OTHER_DATA_MODES,
    SNAPSHOT_SOURCE_COLUMNS,
    RestoreCounts,
    StoreHoldsOtherData,
    _clear_data,
    _database_name,
    _refuse_other_data,
    make_scratch_sqlite_engine,
    read_all_sources,
    restore_tables,
    seal_sqlite,
)
from metrics.store.schema import (  # noqa: F401
    TIDY_COLUMNS,
    annotation,
    fetch_log,
    metadata,
    observation,
    organisation,
    source,
)
from metrics.store.writes import (  # noqa: F401
    REVISION_RULE,
    SourceRecord,
    WriteCounts,
    _add_organisations,
    _bulk_insert_observations,
    _date_params,
    _executemany,
    _incoming_wins,
    _insert_observations,
    _not_in_revision,
    _nullable,
    _same,
    _timestamp_param,
    _upsert,
    reapply_load,
    reset,
    write_load,
)
