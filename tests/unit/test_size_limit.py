"""One file-size limit in one unit: the upload widget, the page, the command line and the fetcher."""

from __future__ import annotations

import tomllib

import pytest

from loaders.ingest import prepare_file
from loaders.limits import BYTES_PER_MB, file_bytes
from metrics.catalogue import PROJECT_ROOT


def test_the_widget_limit_is_the_catalogue_limit(catalogue):
    config = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == catalogue.settings.max_file_mb
    # The widget counts decimal megabytes in the browser; so does every other limit.
    assert file_bytes(catalogue.settings.max_file_mb) == catalogue.settings.max_file_mb * 1_000_000 == 50_000_000
    assert BYTES_PER_MB == 1_000_000


@pytest.mark.parametrize("extra, refused", [(0, False), (1, True)])
def test_a_file_at_the_limit_is_read_and_one_byte_more_is_refused(tmp_path, sqlite_engine, catalogue, extra, refused):
    path = tmp_path / "big.csv"
    with open(path, "wb") as handle:
        handle.write(b"metric_id,org_code,period,value\n")
        handle.truncate(file_bytes(catalogue.settings.max_file_mb) + extra)  # sparse: no disk used
    outcome = prepare_file(path, sqlite_engine, catalogue).outcome
    assert outcome.status != "valid"  # mostly NUL bytes: never loaded
    over = "'big.csv': the file is 50.0 MB, over the 50 MB limit; nothing was read"
    assert (over in (outcome.error or "")) is refused
