"""Tests for loaders.snapshot: the store as a published snapshot, restored into SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import gzip
import json

import pandas as pd
import pytest

from loaders.demo import REPORTED_DIR
from loaders.ingest import ingest_paths
from loaders.snapshot import (
    PARTS,
    PARTS_AND_REFERENCE,
    PUBLISHED_DIR,
    REFERENCE_PARTS,
    SnapshotError,
    read_manifest,
    read_part_text,
    restore_snapshot,
    snapshot_from_files,
    write_snapshot,
)
from metrics import store
from tests.conftest import PUBLIC_DATA, absent
from tests.fixtures.make_ae_kh03 import write_ae_csv, write_kh03

#: The folders data/published is made from, as README.md's command names them.
SHARED = PUBLIC_DATA.parent
PUBLISHED_INPUTS = [PUBLIC_DATA, SHARED / "reference", SHARED / "derived", REPORTED_DIR]
SOURCE_COLUMNS = ["file_name", "sha256", "publisher", "publication", "licence", "vintage", "periods", "is_demo"]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """A&E and KH03 files in the published layouts, a revised A&E month, and the committee figures."""
    folder = tmp_path_factory.mktemp("inputs")
    write_ae_csv(folder, "June-2020.csv", seed=1)
    write_ae_csv(folder, "July-2020.csv", period="MSitAE-JULY-2020", seed=2)
    write_ae_csv(folder, "June-2020-revised.csv", seed=5)  # a revision of June: replaces the first file
    write_kh03(folder)
    (folder / "bcf.csv").write_text(
        "metric_id,org_code,period,value,source\n"
        "bcf_non_elective_admissions,E06000017,2024/25 Q1,210.5,Rutland BCF plan 2024-25\n",
        encoding="utf-8",
    )
    return [folder, REPORTED_DIR]


@pytest.fixture(scope="module")
def source_db(tmp_path_factory, inputs, catalogue):
    url = f"sqlite:///{tmp_path_factory.mktemp('source') / 'source.sqlite'}"
    engine = store.make_engine(url)
    # The A&E files published on 9 July 2020 (the snapshot's sources carry the date; see the revision
    # test); the BCF plan for 2024/25 cannot have been published then, so it is loaded without a date.
    folder, reported = inputs
    dated = [p for p in sorted(folder.iterdir()) if p.name != "bcf.csv"]
    summary = ingest_paths(dated, engine, catalogue, published=dt.date(2020, 7, 9))
    summary.outcomes += ingest_paths([folder / "bcf.csv", reported], engine, catalogue).outcomes
    assert not summary.failed, summary.lines()
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def snapshot_dir(tmp_path_factory, source_db):
    folder = tmp_path_factory.mktemp("snapshot")
    write_snapshot(source_db, folder)
    return folder


def exported(engine, catalogue) -> dict[str, pd.DataFrame]:
    """What ``python -m loaders export`` gives for every metric (the tidy columns)."""
    obs = store.read_observations(engine)
    return {m.id: obs[obs["metric_id"] == m.id][store.TIDY_COLUMNS].reset_index(drop=True) for m in catalogue.metrics}


def sources_of(engine) -> pd.DataFrame:
    frame = store.read_sources(engine)[SOURCE_COLUMNS]
    frame["is_demo"] = frame["is_demo"].astype(bool)
    return frame.sort_values("sha256").reset_index(drop=True)


def observations_with_files(engine) -> pd.DataFrame:
    """Observations with the file each came from (ids differ between databases, files do not)."""
    obs = store.read_observations(engine)
    files = store.read_sources(engine).set_index("id")["sha256"]
    return obs.assign(source=obs["source_id"].map(files)).drop(columns="source_id")


class TestRoundTrip:
    def test_restore_into_an_empty_database_exports_every_metric_identically(
        self, engine, source_db, snapshot_dir, catalogue
    ):
        counts = restore_snapshot(engine, snapshot_dir, catalogue)
        assert counts.sources_added == len(store.read_sources(source_db))
        want, got = exported(source_db, catalogue), exported(engine, catalogue)
        assert sum(len(f) for f in want.values()) > 50
        for metric_id, frame in want.items():
            pd.testing.assert_frame_equal(got[metric_id], frame, check_exact=True, obj=metric_id)
        pd.testing.assert_frame_equal(sources_of(engine), sources_of(source_db))
        pd.testing.assert_frame_equal(observations_with_files(engine), observations_with_files(source_db))

    def test_restoring_twice_changes_nothing(self, engine, snapshot_dir, catalogue):
        restore_snapshot(engine, snapshot_dir, catalogue)
        before = observations_with_files(engine)
        counts = restore_snapshot(engine, snapshot_dir, catalogue)
        assert (counts.sources_added, counts.added, counts.updated) == (0, 0, 0)
        assert counts.sources_already_loaded == len(store.read_sources(engine))
        pd.testing.assert_frame_equal(observations_with_files(engine), before)

    def test_restore_keeps_a_later_publication_already_loaded(self, engine, inputs, snapshot_dir, catalogue, tmp_path):
        # The database already holds a later publication of June 2020 than the snapshot's (REVISION_RULE:
        # between files of the same standing, the later publication date wins).
        later = write_ae_csv(tmp_path, "June-2020-second-revision.csv", seed=9)
        ingest_paths([later], engine, catalogue, published=dt.date(2021, 4, 22))
        june = observations_with_files(engine)
        counts = restore_snapshot(engine, snapshot_dir, catalogue, other_data="merge")
        assert counts.kept_newer > 0 or counts.unchanged > 0
        after = observations_with_files(engine)
        merged = june.merge(after, on=["metric_id", "org_code", "period_start", "period_type"], suffixes=("", "_after"))
        assert (merged["source"] == merged["source_after"]).all(), "the later file's rows are kept"

    def test_a_damaged_part_is_refused_and_nothing_is_written(self, engine, snapshot_dir, tmp_path, catalogue):
        damaged = tmp_path / "damaged"
        damaged.mkdir()
        for name in [*PARTS.values(), "manifest.json"]:
            (damaged / name).write_bytes((snapshot_dir / name).read_bytes())
        text = gzip.decompress((damaged / "observations.csv.gz").read_bytes()).replace(b",RWE,", b",RT5,", 1)
        (damaged / "observations.csv.gz").write_bytes(gzip.compress(text))
        with pytest.raises(SnapshotError) as error:
            restore_snapshot(engine, damaged, catalogue)
        assert str(error.value) == (
            f"'{damaged / 'observations.csv.gz'}': its content does not match the manifest's SHA-256 (a damaged copy?)"
        )
        assert store.read_observations(engine).empty

    def test_a_folder_without_a_manifest_is_not_a_snapshot(self, engine, tmp_path, catalogue):
        with pytest.raises(SnapshotError, match="^'.*' is not a snapshot folder: it has no manifest.json$"):
            restore_snapshot(engine, tmp_path, catalogue)


class TestDeterminism:
    def test_the_same_files_give_the_same_snapshot_bytes(self, inputs, catalogue, tmp_path):
        _, first = snapshot_from_files(inputs, tmp_path / "a", catalogue)
        _, second = snapshot_from_files(inputs, tmp_path / "b", catalogue)
        assert first is not None and second is not None
        for name in [*PARTS.values(), "manifest.json"]:
            assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name

    def test_numbers_are_written_in_their_shortest_exact_form(self, snapshot_dir):
        text = read_part_text(snapshot_dir, "observations")
        assert "bcf_non_elective_admissions,E06000017,2024-04-01,quarter,,,210.5," in text
        assert ".0," not in text  # whole numbers without a decimal point

    def test_the_manifest_lists_each_part_and_every_source_file(self, snapshot_dir, source_db):
        manifest = read_manifest(snapshot_dir)
        assert set(manifest["parts"]) == {"organisations", "sources", "observations"}
        assert manifest["parts"]["observations"]["rows"] == len(store.read_observations(source_db))
        files = {f["file"] for f in manifest["source_files"]}
        assert "reported_rutland_hwb_2017-01-31.csv" in files and "July-2020.csv" in files


@pytest.fixture(scope="module")
def published(tmp_path_factory, catalogue):
    engine = store.make_engine(f"sqlite:///{tmp_path_factory.mktemp('published') / 'published.sqlite'}")
    restore_snapshot(engine, PUBLISHED_DIR, catalogue)
    yield engine
    engine.dispose()


class TestPublishedSnapshot:
    """``data/published/``, shipped with the project: real figures, no demo."""

    def test_has_no_demo_source(self, published):
        assert not store.read_sources(published)["is_demo"].astype(bool).any()

    def test_covers_a_and_e_to_march_2026_and_kh03_to_2022_23_q2(self, published):
        latest = store.latest_periods(published).set_index("metric_id")["latest_period"]
        assert latest["ae_4hr_all"] == pd.Timestamp("2026-03-01")
        assert latest["beds_ga_occupancy"] >= pd.Timestamp("2022-07-01")

    def test_committee_figures_are_real_and_cite_their_papers(self, published, catalogue):
        sources = store.read_sources(published)
        reported = sources[sources["file_name"].str.startswith("reported_")]
        assert sorted(reported["publication"]) == [
            "LLR Health Overview and Scrutiny Committee pack 18 Mar 2020",
            "LLR Joint Health Scrutiny Committee pack 21 Jan 2019",
            "Rutland Health and Wellbeing Board pack 31 Jan 2017",
        ]
        assert set(reported["publisher"]) == {catalogue.sources["committee"].publisher}
        assert not reported["is_demo"].astype(bool).any()

    def test_carries_the_reference_data_and_the_compiled_beds(self, published):
        assert set(read_manifest(PUBLISHED_DIR)["parts"]) == set(PARTS_AND_REFERENCE)
        orgs, members = store.read_reference(published)
        assert {"ods_trusts", "ons_sub_icb", "ons_icb_names"} <= set(orgs["loader"])
        icb_of = members[members["relation"] == "trust_icb"].set_index("member_code")["parent_code"]
        assert icb_of["RWE"] == "QK1"
        sources = store.read_sources(published)
        compiled = sources[sources["loader"] == "kh03_compiled"]
        assert list(compiled["file_name"]) == ["master-quarterly-trust.csv"] and compiled["derived"].all()
        assert "not an official publication" in compiled["publication"].iloc[0]
        # The whole-year discharge summaries beside it are recognised, marked derived and give no figure.
        summaries = sources[sources["loader"] == "discharge_annual"]
        assert len(summaries) == 4 and summaries["derived"].all() and (summaries["rows"] == 0).all()
        latest = store.latest_periods(published).set_index("metric_id")["latest_period"]
        assert latest["beds_ga_occupancy"] == pd.Timestamp("2025-01-01")  # 2024-25 Q4, from the compilation

    def test_regenerating_from_the_shared_files_gives_identical_content(self, tmp_path, catalogue):
        for folder in PUBLISHED_INPUTS:
            if not folder.exists():
                absent(f"shared data not available: {folder}")
        summary, written = snapshot_from_files(PUBLISHED_INPUTS, tmp_path, catalogue)
        assert written is not None, summary.lines()
        committed = json.loads((PUBLISHED_DIR / "manifest.json").read_text(encoding="utf-8"))
        regenerated = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
        assert regenerated == committed
        assert set(REFERENCE_PARTS) <= set(committed["parts"])
        for part in PARTS_AND_REFERENCE:
            assert read_part_text(tmp_path, part) == read_part_text(PUBLISHED_DIR, part), part
