"""The committee's actions log: import and export files, every change kept, due dates in words."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest
from openpyxl import load_workbook

from loaders.cli import main
from metrics import actions, store

HEADER = "meeting_date,action,owner,due_date,metrics,area,status,closing_note"
GOOD = (
    f"{HEADER}\n"
    "2026-01-21,Present the A&E recovery plan to the next meeting,University Hospitals of Leicester,"
    "2026-03-18,ae_4hr_all;ae_12hr_dta,llr,open,\n"
    '2026-01-21,"Report on discharge delays, with the council",LLR ICB,2026-01-31,nctr_patients,llr,closed,'
    "Report received 28 January\n"
)
TODAY = dt.date(2026, 3, 1)


def csv_bytes(text: str) -> bytes:
    return text.encode("utf-8")


class TestImport:
    def test_a_file_round_trips_through_export(self, engine, catalogue):
        ids = actions.import_file(engine, catalogue, "actions.csv", csv_bytes(GOOD), "clerk")
        assert ids == [1, 2]
        exported = actions.export_csv(actions.current_actions(engine))
        assert exported == GOOD
        # ...and the exported file imports again as the same actions.
        actions.import_file(engine, catalogue, "again.csv", exported.encode("utf-8"), "clerk")
        again = actions.current_actions(engine)
        assert (
            again[again["action_id"] > 2][store.ACTION_FIELDS]
            .reset_index(drop=True)
            .equals(again[again["action_id"] <= 2][store.ACTION_FIELDS].reset_index(drop=True))
        )

    def test_an_xlsx_file_round_trips(self, sqlite_engine, catalogue):
        actions.import_file(sqlite_engine, catalogue, "actions.csv", csv_bytes(GOOD), "clerk")
        content = actions.export_xlsx(actions.current_actions(sqlite_engine))
        actions.import_file(sqlite_engine, catalogue, "actions.xlsx", content, "clerk")
        current = actions.current_actions(sqlite_engine)
        assert current["action"].tolist()[:2] == current["action"].tolist()[2:]
        assert current["due_date"].tolist()[:2] == current["due_date"].tolist()[2:]

    @pytest.mark.parametrize(
        ("row", "message"),
        [
            ("2026-02-30,Act,ICB,,ae_4hr_all,llr,open,",
             "bad.csv: row 3, column meeting_date: '2026-02-30' is not a date like 2026-03-18 (YYYY-MM-DD)"),
            ("2026-02-03,Act,ICB,,ae_4hr_al,llr,open,",
             "bad.csv: row 3, column metrics: 'ae_4hr_al' is not a metric id in the catalogue"),
            ("2026-02-03,Act,ICB,,ae_4hr_all,lllr,open,", "bad.csv: row 3, column area: 'lllr' is not an area"),
            ("2026-02-03,Act,ICB,,ae_4hr_all,llr,done,", "bad.csv: row 3, column status: 'done' is not open or closed"),
            ("2026-02-03,,ICB,,ae_4hr_all,llr,open,", "bad.csv: row 3, column action: empty"),
        ],
    )  # fmt: skip
    def test_one_bad_row_refuses_the_file_and_names_the_row(self, engine, catalogue, row, message):
        good_row = GOOD.splitlines()[1]
        content = csv_bytes(f"{HEADER}\n{good_row}\n{row}\n")
        with pytest.raises(actions.ActionsError) as err:
            actions.import_file(engine, catalogue, "bad.csv", content, "clerk")
        assert str(err.value).startswith(message)
        assert actions.current_actions(engine).empty  # the good first row was not written either

    def test_a_wrong_header_is_refused(self, sqlite_engine, catalogue):
        with pytest.raises(actions.ActionsError, match="the header must be meeting_date,action,owner"):
            actions.import_file(sqlite_engine, catalogue, "x.csv", b"date,action\n2026-01-01,x\n", "clerk")


class TestHistory:
    def test_every_change_is_kept(self, engine, catalogue):
        (first,) = store.add_actions(
            engine, actions.check_rows(actions.read_file("a.csv", csv_bytes(GOOD)), catalogue, "a.csv")[:1], "clerk"
        )
        store.change_action(engine, first, {"due_date": dt.date(2026, 4, 1)}, "chair")
        store.change_action(engine, first, {"status": "closed", "closing_note": "Presented"}, "clerk")
        history = store.read_action_history(engine, first)
        assert history["changed_by"].tolist() == ["clerk", "chair", "clerk"]
        assert history["status"].tolist() == ["open", "open", "closed"]
        assert [d.date() for d in history["due_date"]] == [dt.date(2026, 3, 18), dt.date(2026, 4, 1)] + [
            dt.date(2026, 4, 1)
        ]
        now = actions.current_actions(engine).iloc[0]
        assert (now["status"], now["closing_note"]) == ("closed", "Presented")

    def test_changing_an_unknown_action_is_refused(self, sqlite_engine):
        with pytest.raises(KeyError, match="there is no action 9"):
            store.change_action(sqlite_engine, 9, {"status": "closed"}, "chair")

    def test_a_store_without_the_log_reads_as_no_actions(self, tmp_path):
        engine = store.make_engine(f"sqlite:///{tmp_path / 'empty.sqlite'}")
        assert actions.current_actions(engine).empty


class TestExport:
    def test_formula_text_stays_text(self, sqlite_engine, catalogue):
        hostile = f'{HEADER}\n2026-01-21,"=HYPERLINK(""http://x"")",@owner,,ae_4hr_all,llr,open,+1 note\n'
        actions.import_file(sqlite_engine, catalogue, "h.csv", csv_bytes(hostile), "clerk")
        frame = pd.read_csv(io.StringIO(actions.export_csv(actions.current_actions(sqlite_engine))), dtype=str)
        assert frame.loc[0, "action"] == '\'=HYPERLINK("http://x")'
        assert frame.loc[0, "owner"] == "'@owner"
        assert frame.loc[0, "closing_note"] == "'+1 note"
        sheet = load_workbook(io.BytesIO(actions.export_xlsx(actions.current_actions(sqlite_engine)))).active
        assert sheet["B2"].data_type == "s" and sheet["B2"].value.startswith("'=")


class TestStanding:
    def test_due_dates_in_words(self, catalogue):
        def words(due, status="open"):
            return actions.standing({"status": status, "due_date": due}, catalogue, TODAY)

        assert words(dt.date(2026, 2, 20)) == "Overdue: due 20 February 2026"
        assert words(dt.date(2026, 4, 2)) == "Due before the next meeting (by 2 April 2026)"
        assert words(dt.date(2026, 9, 3)) == "Open: due 3 September 2026"
        assert words(None) == "Open (no due date)"
        assert words(dt.date(2026, 2, 20), "closed") == "Closed"

    def test_the_pack_list_keeps_the_areas_open_actions_due_soonest_first(self, sqlite_engine, catalogue):
        rows = (
            f"{HEADER}\n"
            "2026-01-21,Later,ICB,2026-04-20,ae_4hr_all,llr,open,\n"
            "2026-01-21,Late,ICB,2026-02-01,ae_4hr_all,llr,open,\n"
            "2026-01-21,Far off,ICB,2026-12-01,ae_4hr_all,llr,open,\n"
            "2026-01-21,Done,ICB,2026-02-01,ae_4hr_all,llr,closed,ok\n"
            "2026-01-21,Elsewhere,ICB,2026-02-01,ae_4hr_all,rutland,open,\n"
        )
        actions.import_file(sqlite_engine, catalogue, "a.csv", csv_bytes(rows), "clerk")
        due = actions.due(actions.current_actions(sqlite_engine), catalogue, "llr", TODAY)
        assert due["action"].tolist() == ["Late", "Later"]
        assert due["standing"].tolist() == [
            "Overdue: due 1 February 2026",
            "Due before the next meeting (by 20 April 2026)",
        ]


class TestCommandLine:
    def test_import_then_export(self, tmp_path, capsys):
        db = f"sqlite:///{tmp_path / 'cli.sqlite'}"
        path = tmp_path / "actions.csv"
        path.write_text(GOOD, encoding="utf-8")
        assert main(["actions", "import", str(path), "--db", db]) == 0
        assert "actions.csv: 2 actions recorded" in capsys.readouterr().out
        assert main(["actions", "export", "--db", db]) == 0
        assert capsys.readouterr().out == GOOD

    def test_a_bad_file_records_nothing_and_says_where(self, tmp_path, capsys):
        db = f"sqlite:///{tmp_path / 'cli.sqlite'}"
        good, path = tmp_path / "good.csv", tmp_path / "bad.csv"
        good.write_text(GOOD, encoding="utf-8")
        assert main(["actions", "import", str(good), "--db", db]) == 0
        path.write_text(GOOD + "2026-13-01,x,y,,ae_4hr_all,llr,open,\n", encoding="utf-8")
        capsys.readouterr()
        assert main(["actions", "import", str(path), "--db", db]) == 1
        err = capsys.readouterr().err
        assert (
            "bad.csv: row 4, column meeting_date: '2026-13-01' is not a date" in err and "nothing was recorded" in err
        )
        assert main(["actions", "export", "--db", db]) == 0
        assert capsys.readouterr().out == GOOD  # the two good rows of the bad file were not added

    def test_export_as_xlsx(self, tmp_path):
        db = f"sqlite:///{tmp_path / 'cli.sqlite'}"
        path = tmp_path / "actions.csv"
        path.write_text(GOOD, encoding="utf-8")
        main(["actions", "import", str(path), "--db", db])
        out = tmp_path / "out.xlsx"
        assert main(["actions", "export", "--format", "xlsx", "--out", str(out), "--db", db]) == 0
        sheet = load_workbook(out).active
        assert [c.value for c in sheet[1]] == HEADER.split(",")
        assert sheet["B2"].value == "Present the A&E recovery plan to the next meeting"
