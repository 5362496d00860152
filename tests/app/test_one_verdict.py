"""One verdict per metric on every view: for every LLR indicator on the public corpus, the data
currency, the target status and the SPC variation read the same on the brief's icons view, the
topic page's table, Indicator detail, the meeting pack's workbook and ``export --area``.

Each view is read as a reader gets it (the rendered table, the badge text, the workbook cell,
the CSV on standard output), not from the module that computed it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io

import openpyxl
import pandas as pd
import pytest

from loaders.cli import main
from metrics import pack, store
from metrics.currency import BADGES
from metrics.glossary import VARIATION_WORDS, variation_words
from tests.app.conftest import app_runner

MEETING = dt.date(2026, 9, 1)
TOPIC_PAGES = {
    "urgent_care": "pages/urgent_care.py",
    "beds": "pages/beds.py",
    "discharge": "pages/discharge.py",
    "home_first": "pages/home_first.py",
}
WORDS_TO_STATE = {words: state for state, words in BADGES.items()}


@pytest.fixture(scope="module")
def views(corpus_db_url, catalogue):
    """Per metric name: what each view says (currency, target, variation)."""
    mp = pytest.MonkeyPatch()
    try:
        run = app_runner(mp, corpus_db_url)
        icons = run("pages/meeting_brief.py", meeting=MEETING.isoformat(), view="Icons only").dataframe[0].value
        topics = {}
        for topic, page in TOPIC_PAGES.items():
            at = run(page)
            if at.dataframe:
                topics[topic] = at.dataframe[0].value.set_index("Indicator")
    finally:
        mp.undo()
    engine = store.make_engine(corpus_db_url)
    built = pack.read_pack(engine, catalogue, "llr", MEETING)
    engine.dispose()
    book = openpyxl.load_workbook(io.BytesIO(pack.pack_files(built, pdf=False)[f"{built.file_stem}.xlsx"]))
    rows = list(book["Summary"].iter_rows(values_only=True))
    workbook = pd.DataFrame(rows[1:], columns=rows[0]).set_index("Indicator")
    return icons.set_index("Indicator"), topics, workbook


def test_currency_target_and_variation_agree_on_every_view(views, catalogue):
    icons, topics, workbook = views
    checked = 0
    for name, row in icons.iterrows():
        metric = next(m for m in catalogue.metrics if m.name == name)
        state = WORDS_TO_STATE[row["Currency"]]
        # the workbook's "Data currency" cell leads with the same words
        assert workbook.loc[name, "Data currency"].startswith(f"{row['Currency']}: "), name
        assert workbook.loc[name, "Variation"] == row["Variation"], name
        target_words = row["Target"].split(" ", 1)[1]
        status = workbook.loc[name, "Target status"]
        assert (status == "No target") == (target_words == "No target"), name
        if metric.topic in topics and name in topics[metric.topic].index:
            shown = topics[metric.topic].loc[name]
            assert shown["Currency"] == row["Currency"], name
            assert shown["Variation"] == row["Variation"], name
            assert shown["Target"] == status, name
        checked += 1
        if metric.source == "dtoc":
            assert state == "discontinued", name
        elif metric.source in ("ae", "kh03", "discharge_sitrep", "ascof"):
            assert state == "overdue", name  # still published; newer files not held here
    assert checked >= 20


def test_no_collection_still_published_is_called_discontinued_anywhere(views):
    icons, topics, workbook = views
    for frame in (icons, *topics.values()):
        for name, words in frame["Currency"].items():
            if words == BADGES["discontinued"]:
                assert "delayed" in name.lower() or "Delayed" in name, name
    assert not workbook["Data currency"].fillna("").str.contains("No longer published").any()


@pytest.mark.parametrize("metric_id", ["ae_4hr_all", "beds_ga_occupancy", "nctr_patients", "dtoc_days"])
def test_indicator_detail_and_export_say_the_same(views, monkeypatch, corpus_db_url, catalogue, metric_id):
    icons, _, _ = views
    name = catalogue.metric(metric_id).name
    row = icons.loc[name]
    at = app_runner(monkeypatch, corpus_db_url)("pages/indicator.py", metric=metric_id)
    badges = "\n".join(m.value for m in at.markdown)  # st.badge renders as :colour-badge[...words]
    assert f"{row['Currency']}]" in badges
    if row["Variation"] in VARIATION_WORDS.values():
        assert f"{row['Variation']}]" in badges
    else:
        assert variation_words(None) in row["Variation"]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["export", "--metric", metric_id, "--area", "llr", "--db", corpus_db_url]) == 0
    exported = pd.read_csv(io.StringIO(out.getvalue()))
    assert row["Latest"].endswith(f" ({exported['Period'].iloc[-1]})")
