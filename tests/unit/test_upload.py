"""The upload page's validation: checked before writing, nothing left on disk, names can't escape."""

from __future__ import annotations

from loaders.ingest import prepare_upload, write_prepared
from metrics import store

GOOD = b"metric_id,org_code,period,value\nphb_in_place,LLR,2017-12,240\n"


class TestPrepareUpload:
    def test_valid_file_is_reported_and_nothing_is_written_until_confirmed(self, sqlite_engine, catalogue):
        prepared = prepare_upload("figures.csv", GOOD, sqlite_engine, catalogue)
        assert (prepared.outcome.status, prepared.outcome.rows) == ("valid", 1)
        assert store.read_observations(sqlite_engine).empty
        outcome = write_prepared(prepared, sqlite_engine)
        assert (outcome.status, outcome.added) == ("loaded", 1)
        assert store.read_observations(sqlite_engine)["value"].tolist() == [240.0]

    def test_temporary_copy_is_removed(self, sqlite_engine, catalogue):
        prepared = prepare_upload("figures.csv", GOOD, sqlite_engine, catalogue)
        assert not prepared.outcome.path.exists()
        assert not prepared.outcome.path.parent.exists()

    def test_a_path_in_the_name_is_reduced_to_its_base_name(self, sqlite_engine, catalogue):
        prepared = prepare_upload("../../etc/figures.csv", GOOD, sqlite_engine, catalogue)
        assert prepared.outcome.path.name == "figures.csv"
        assert prepared.outcome.path.parent.name.startswith("llr-upload-")

    def test_bad_row_is_named_and_nothing_can_be_written(self, sqlite_engine, catalogue):
        bad = b"metric_id,org_code,period,value\nphb_in_place,LLX,2018-01,250\n"
        prepared = prepare_upload("typo.csv", bad, sqlite_engine, catalogue)
        assert prepared.outcome.status == "error"
        assert prepared.outcome.error.startswith("'typo.csv', row 2, column 'org_code'")
        assert write_prepared(prepared, sqlite_engine).status == "error"
        assert store.read_observations(sqlite_engine).empty
