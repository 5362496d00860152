"""The administrator's sign-in that guards uploads (``metrics.access``)."""

from __future__ import annotations

import os

import streamlit as st

from metrics import access
from ui import data


@st.cache_resource(show_spinner=False)
def _sign_in_guard() -> access.SignInGuard:
    """One guard per server process: failures count across sessions (see ``metrics.access``)."""
    return access.SignInGuard()


def _secret_hash() -> str | None:
    try:
        return st.secrets.get(access.SECRET_KEY)
    except Exception:  # noqa: BLE001 - no secrets file is the usual case, and means no secret
        return None


def admin_can_change_data() -> tuple[bool, str]:
    """Uploads change the data: open on the local default database, else only for the administrator.

    The rule and the password handling live in ``metrics.access``; this shows the sign-in form.
    Returns whether uploads are allowed and, if not, what the user should know.
    """
    cat = data.catalogue()
    if access.engine_is_local_default(data.engine(), cat):  # the database this app opened
        return True, ""
    stored = access.admin_hash(dict(os.environ), _secret_hash())
    if not stored:
        if os.environ.get(access.PLAIN_VARIABLE):
            return False, (
                f"{access.PLAIN_VARIABLE} holds a plain password, which is not accepted: set "
                f"{access.HASH_VARIABLE} to the output of `python -m loaders hash-password` instead."
            )
        return False, (
            "Uploads are turned off on this database, which others may share: set "
            f"{access.HASH_VARIABLE} (made with `python -m loaders hash-password`) to let an administrator upload."
        )
    if st.session_state.get("admin_signed_in") == stored:
        return True, ""
    with st.form("admin-sign-in"):
        st.text_input("Administrator password", type="password", key="admin_password")
        st.form_submit_button("Sign in", on_click=_sign_in, args=(stored,))
    return False, st.session_state.get("admin_message", SIGN_IN_TEXT)


SIGN_IN_TEXT = "Enter the administrator password to upload files."


def _sign_in(stored: str) -> None:
    """The sign-in form's callback: runs once per press, before the page, so a rerun never re-counts it."""
    given = st.session_state.get("admin_password", "")
    st.session_state["admin_password"] = ""  # the password is not kept in the session
    if not given:
        st.session_state["admin_message"] = SIGN_IN_TEXT
        return
    try:
        verdict = _sign_in_guard().check(given, stored)
    except access.AccessError as exc:
        st.session_state["admin_message"] = str(exc)
        return
    if verdict.allowed:
        st.session_state["admin_signed_in"] = stored
        st.session_state.pop("admin_message", None)
    else:
        st.session_state["admin_message"] = verdict.message
