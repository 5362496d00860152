"""The committee's actions on the pages: the Actions page's forms, and open actions beside indicators.

Reading and checking actions is ``metrics.actions``; writing goes through ``metrics.store`` and
only after the administrator's sign-in (``sign_in.admin_can_change_data``, the same rule as
uploads). Action text and owners are typed by people, so they are escaped before ``st.markdown``.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from metrics import actions as actions_module
from metrics import store
from ui import data, safe
from ui.questions import escape_markdown

TABLE_COLUMNS = {
    "action_id": "No.",
    "meeting_date": "Meeting",
    "action": "Action",
    "owner": "Owner",
    "due_date": "Due",
    "standing": "Where it stands",
    "metrics": "Indicators",
    "area": "Area",
    "closing_note": "Closing note",
    "changed_at": "Last changed",
    "changed_by": "By",
}


def today() -> dt.date:
    return data.brief_today()


@st.cache_resource(show_spinner=False, ttl=data.VERSION_SECONDS, max_entries=4)
def _stored_actions(database: str) -> pd.DataFrame:
    return actions_module.current_actions(data.engine())


def stored_actions() -> pd.DataFrame:
    """Every action as it stands (``metrics.actions.current_actions``), shared by this server's sessions.

    Read once per ``data.VERSION_SECONDS`` rather than once per brief card (35 reads a page); a
    change made on this server clears it at once, one made by another process is seen within that
    time. The frame is shared: callers must not change it.
    """
    return _stored_actions(data.database_label())


def _changed() -> None:
    _stored_actions.clear()


def current() -> pd.DataFrame:
    """Every action as it stands, with where it stands in words."""
    return actions_module.with_standing(stored_actions(), data.catalogue(), today())


def table(frame: pd.DataFrame) -> pd.DataFrame:
    """The actions as the page shows them: metric names, area names, dates as dates."""
    cat = data.catalogue()
    out = frame.reindex(columns=list(TABLE_COLUMNS)).copy()
    out["metrics"] = [
        "; ".join(cat.metric_by_id[m].name if m in cat.metric_by_id else m for m in str(v).split(";") if m)
        for v in out["metrics"].fillna("")
    ]
    out["area"] = [cat.area_by_id[a].name if a in cat.area_by_id else a for a in out["area"]]
    for col in ("meeting_date", "due_date"):
        out[col] = [pd.Timestamp(v).date() if pd.notna(v) else None for v in out[col]]
    return out.rename(columns=TABLE_COLUMNS)


def open_actions(frame: pd.DataFrame, metric_id: str, area_id: str) -> list[tuple[str, str, str, str]]:
    """An indicator's open actions in ``frame``, the soonest due first: how each stands (overdue,
    due before the next meeting), the action, its owner and the meeting that agreed it."""
    frame = actions_module.linked(frame, metric_id, area_id)
    if frame.empty:
        return []
    cat = data.catalogue()
    out = []
    for r in frame.sort_values("due_date", na_position="last").to_dict("records"):
        meeting = pd.Timestamp(r["meeting_date"]).date()
        agreed = f"{meeting.day} {meeting:%B %Y}"
        out.append((actions_module.standing(r, cat, today()), r["action"], r["owner"], agreed))
    return out


def _open_actions_text(frame: pd.DataFrame, metric_id: str, area_id: str) -> str:
    """:func:`open_actions` as Markdown; '' when there are none."""
    lines = [
        f"- **{escape_markdown(words)}.** {escape_markdown(action)} "
        f"({escape_markdown(owner)}; agreed {escape_markdown(agreed)})"
        for words, action, owner, agreed in open_actions(frame, metric_id, area_id)
    ]
    return f"**Committee actions ({len(lines)} open)**\n\n" + "\n".join(lines) if lines else ""


def beside_indicator(metric_id: str, area_id: str, key: str, frame: pd.DataFrame | None = None) -> None:
    """An indicator's open actions under it (``frame``: the actions already read this run, so a
    page of cards reads them once)."""
    text = _open_actions_text(stored_actions() if frame is None else frame, metric_id, area_id)
    if text:
        with st.container(key=f"actions-{key}"):
            st.markdown(text)


def action_form(key: str, start: dict | None = None, action_id: int | None = None) -> None:
    """The fields of one action (empty to add one, or ``start`` to change action ``action_id``).

    Saving runs in the button's callback, before the page is drawn again, so the page shows the
    change at once and a rerun can never save twice.
    """
    cat = data.catalogue()
    start = start or {}
    metric_ids = [m.id for m in cat.metrics if m.topic != "population"]
    area_ids = [a.id for a in cat.areas]
    with st.form(key, clear_on_submit=action_id is None):
        st.date_input(
            "Meeting", value=_date(start.get("meeting_date")) or today(), format="DD/MM/YYYY", key=f"{key}-meeting"
        )
        st.text_area("Action", value=start.get("action", ""), key=f"{key}-text")
        st.text_input("Owner (organisation)", value=start.get("owner", ""), key=f"{key}-owner")
        st.date_input("Due", value=_date(start.get("due_date")), format="DD/MM/YYYY", key=f"{key}-due")
        chosen = [m for m in str(start.get("metrics") or "").split(";") if m in metric_ids]
        st.multiselect(
            "Indicators", metric_ids, default=chosen, key=f"{key}-metrics",
            format_func=lambda m: cat.metric_by_id[m].name,
        )  # fmt: skip
        st.selectbox(
            "Area", area_ids, index=area_ids.index(start.get("area", cat.settings.default_area)),
            format_func=lambda a: cat.area_by_id[a].name, key=f"{key}-area",
        )  # fmt: skip
        st.text_input("Your name (kept with the change)", key=f"{key}-who")
        st.form_submit_button("Save", key=f"{key}-save", on_click=_submitted, args=(key, start, action_id))


def _submitted(key: str, start: dict, action_id: int | None) -> None:
    state = st.session_state
    fields = {
        "meeting_date": state.get(f"{key}-meeting"),
        "action": state.get(f"{key}-text", ""),
        "owner": state.get(f"{key}-owner", ""),
        "due_date": state.get(f"{key}-due"),
        "metrics": state.get(f"{key}-metrics", []),
        "area": state.get(f"{key}-area"),
        "status": start.get("status", "open"),
        "closing_note": start.get("closing_note", "") or "",
        "changed_by": str(state.get(f"{key}-who", "")).strip(),
    }
    state["actions-message"] = save_new(fields) if action_id is None else save_change(action_id, fields)


def _date(value) -> dt.date | None:
    return pd.Timestamp(value).date() if value is not None and pd.notna(value) else None


def save_new(fields: dict) -> str:
    """Record a new action; returns the message to show (an error names the field)."""
    if not fields["changed_by"]:
        return "Error: give your name, so the log says who made the change."
    try:
        row = actions_module.check_action(fields, data.catalogue())
    except actions_module.ActionsError as exc:
        return f"Error: {exc}"
    (action_id,) = store.add_actions(data.engine(), [row], fields["changed_by"])
    _changed()
    return f"Action {action_id} recorded."


def save_change(action_id: int, fields: dict) -> str:
    """Record a change to an action (the earlier version is kept)."""
    if not fields["changed_by"]:
        return "Error: give your name, so the log says who made the change."
    try:
        row = actions_module.check_action(fields, data.catalogue())
    except actions_module.ActionsError as exc:
        return f"Error: {exc}"
    store.change_action(data.engine(), action_id, row, fields["changed_by"])
    _changed()
    return f"Action {action_id} changed."


def close_form(open_ids: list[int], label) -> None:
    """Choose an open action, say how it was closed, and close it (in the button's callback)."""
    with st.form("action-close"):
        st.selectbox("Action to close", open_ids, format_func=label, key="action-close-id")
        st.text_area("Closing note", key="action-close-note")
        st.text_input("Your name (kept with the change)", key="action-close-who")
        st.form_submit_button("Close the action", key="action-close-save", on_click=_close_submitted)


def _close_submitted() -> None:
    state = st.session_state
    state["actions-message"] = close(
        int(state["action-close-id"]), str(state.get("action-close-note", "")), str(state.get("action-close-who", ""))
    )


def import_button() -> None:
    """Record the uploaded file's actions (in the button's callback)."""
    st.button("Record the actions in this file", key="actions-import", on_click=_import_clicked)


def _import_clicked() -> None:
    state = st.session_state
    upload = state.get("actions-upload")
    if upload is None:
        state["actions-message"] = "Error: choose a file first."
        return
    state["actions-message"] = import_upload(upload.name, upload.getvalue(), str(state.get("actions-upload-who", "")))


def close(action_id: int, note: str, who: str) -> str:
    """Close an action with its note."""
    if not who.strip():
        return "Error: give your name, so the log says who made the change."
    if not note.strip():
        return "Error: say how the action was closed (the closing note)."
    store.change_action(data.engine(), action_id, {"status": "closed", "closing_note": note.strip()}, who.strip())
    _changed()
    return f"Action {action_id} closed."


def import_upload(name: str, content: bytes, who: str) -> str:
    """Record every action of an uploaded file, or none; the message says which."""
    try:
        ids = actions_module.import_file(data.engine(), data.catalogue(), name, content, who or f"import of {name}")
    except actions_module.ActionsError as exc:
        return f"Error: {exc}; nothing was recorded."
    _changed()
    return f"{name}: {len(ids)} action{'s' if len(ids) != 1 else ''} recorded."


def show_message(message: str) -> None:
    """A save's outcome; it can quote a file's name and cells, so it is shown as literal text."""
    if message.startswith("Error: "):
        st.error(safe.md(message.removeprefix("Error: ")))
    else:
        st.success(safe.md(message))
