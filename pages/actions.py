"""Actions: what the committee asked for, who owns it, when it is due, and whether it was done."""

import streamlit as st

from metrics import actions as actions_module
from ui import actions as actions_ui
from ui import data, sign_in
from ui.router import require_app

require_app()  # deep links on a fresh server go through app.py

cat = data.catalogue()
st.title("Committee actions")
st.write(
    "Actions agreed at meetings: what was asked, which organisation owns it, when it is due and how it was closed. "
    "Open actions also appear beside the indicators they concern (Meeting brief, topic pages, Indicator detail). "
    "Every change is kept with when and by whom it was made."
)

if message := st.session_state.pop("actions-message", None):
    actions_ui.show_message(message)

everything = actions_ui.current()
st.header("Find actions")
cols = st.columns(4)
status = cols[0].selectbox("Status", ["open", "closed", "all"], key="actions-status", format_func=str.capitalize)
area = cols[1].selectbox(
    "Area", ["all", *cat.area_by_id], key="actions-area",
    format_func=lambda a: "All areas" if a == "all" else cat.area_by_id[a].name,
)  # fmt: skip
metric = cols[2].selectbox(
    "Indicator", ["all", *(m.id for m in cat.metrics if m.topic != "population")], key="actions-metric",
    format_func=lambda m: "All indicators" if m == "all" else cat.metric_by_id[m].name,
)  # fmt: skip
due_by = cols[3].date_input("Due by", value=None, key="actions-due-by", format="DD/MM/YYYY")
shown = actions_module.filtered(
    everything,
    status=None if status == "all" else status,
    area_id=None if area == "all" else area,
    metric_id=None if metric == "all" else metric,
    due_by=due_by,
)
if shown.empty:
    st.info("No actions match these filters." if len(everything) else "No actions are recorded yet.")
else:
    st.dataframe(actions_ui.table(shown), hide_index=True, key="actions-table")

st.subheader("Download")
csv_col, xlsx_col = st.columns(2)
# Built only when clicked: no run pays for a file nobody downloads.
csv_col.download_button(
    "Download the actions (CSV)", lambda: actions_module.export_csv(shown).encode("utf-8"), file_name="actions.csv",
    mime="text/csv", key="actions-csv", on_click="ignore",
)  # fmt: skip
xlsx_col.download_button(
    "Download the actions (Excel)", lambda: actions_module.export_xlsx(shown), file_name="actions.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="actions-xlsx", on_click="ignore",
)  # fmt: skip

st.header("Add, change or close actions")
st.caption("Changing the actions log needs the administrator, as loading files does (see the Data page).")
allowed, reason = sign_in.admin_can_change_data()
if not allowed:
    st.info(reason)
    st.stop()

add, edit, close, upload = st.tabs(["Add", "Change", "Close", "Import a file"])
with add:
    actions_ui.action_form("action-add")

open_ids = everything.loc[everything["status"] == "open", "action_id"].astype(int).tolist()
all_ids = everything["action_id"].astype(int).tolist()
by_id = everything.set_index("action_id", drop=False) if len(everything) else everything


def _label(action_id: int) -> str:
    text = str(by_id.loc[action_id, "action"])
    return f"{action_id}: {text[:70]}{'...' if len(text) > 70 else ''}"


with edit:
    if not all_ids:
        st.write("No actions to change yet.")
    else:
        chosen = st.selectbox("Action to change", all_ids, format_func=_label, key="action-edit-id")
        actions_ui.action_form(f"action-edit-{chosen}", by_id.loc[chosen].to_dict(), int(chosen))

with close:
    if not open_ids:
        st.write("No open actions.")
    else:
        actions_ui.close_form(open_ids, _label)

with upload:
    st.write(
        "A CSV or Excel file with the header `meeting_date,action,owner,due_date,metrics,area,status,closing_note` "
        "(dates as YYYY-MM-DD; `metrics` holds indicator ids separated by `;`). The whole file is recorded, or "
        "nothing if any row is wrong."
    )
    st.file_uploader("File of actions", type=["csv", "xlsx"], key="actions-upload")
    st.text_input("Your name (kept with the change)", key="actions-upload-who")
    actions_ui.import_button()
