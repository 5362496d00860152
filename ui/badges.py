"""Verdicts as badges in words (target status, SPC icons, data currency) and the demo and local-figure labels."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from metrics.glossary import ASSURANCE_WORDS, STATUS_WORDS, VARIATION_WORDS
from metrics.spc import ICON_DESCRIPTIONS
from ui import data

STATUS_BADGES = {
    # status: (label, material icon, colour) -- the words carry the meaning; colour only repeats it
    "met": (STATUS_WORDS["met"], ":material/check_circle:", "green"),
    "not_met": (STATUS_WORDS["not_met"], ":material/cancel:", "red"),
    "no_target": (STATUS_WORDS["no_target"], ":material/remove:", "gray"),
    "no_data": (STATUS_WORDS["no_data"], ":material/help:", "gray"),
}


_VARIATION_ICONS = {
    "common_cause": (":material/horizontal_rule:", "gray"),
    "improvement_high": (":material/trending_up:", "blue"),
    "improvement_low": (":material/trending_down:", "blue"),
    "concern_high": (":material/trending_up:", "orange"),
    "concern_low": (":material/trending_down:", "orange"),
    "neither_high": (":material/trending_up:", "violet"),
    "neither_low": (":material/trending_down:", "violet"),
}


VARIATION_LABELS = {k: (VARIATION_WORDS[k], *v) for k, v in _VARIATION_ICONS.items()}


_ASSURANCE_ICONS = {
    "pass": (":material/verified:", "blue"),
    "fail": (":material/error:", "orange"),
    "hit_and_miss": (":material/swap_vert:", "gray"),
}


ASSURANCE_LABELS = {k: (ASSURANCE_WORDS[k], *v) for k, v in _ASSURANCE_ICONS.items()}


DEMO_TEXT = (
    "**Demonstration data.** Some figures on this page are generated demonstration data, not real "
    "statistics. Load the published NHS England files (see the Data page) to see real figures."
)


def demo_banner(source_ids) -> None:
    """The demonstration-data banner, shown whenever a demo source is on screen."""
    if data.shows_demo(source_ids):
        st.warning(DEMO_TEXT, icon=":material/science:")


def demo_badge(source_ids) -> None:
    """A label on one figure that is (partly) demonstration data or supplied locally, so a page
    mixing them with published figures says which is which on each figure, not only in a banner."""
    if data.shows_demo(source_ids):
        st.badge("Demonstration data", icon=":material/science:", color="violet")
    if data.shows_local(source_ids):
        st.badge("Supplied locally: not an official statistic", icon=":material/edit_note:", color="gray")


#: How each data-currency state looks (``metrics.currency``): words first, colour second.
CURRENCY_BADGES = {
    "current": (":material/event_available:", "green"),
    "overdue": (":material/schedule:", "orange"),
    "discontinued": (":material/block:", "gray"),
    "unscheduled": (":material/description:", "gray"),
    "no_data": (":material/remove:", "gray"),
}


def currency_badge(state: str, badge: str, text: str) -> None:
    """The read layer's data-currency verdict as a badge whose help is its sentence."""
    icon, colour = CURRENCY_BADGES[state]
    st.badge(badge, icon=icon, color=colour, help=text or None)


def currency_note(currency) -> None:
    """The currency badge and, unless current, its sentence beside the latest figure."""
    currency_badge(currency.state, currency.badge, currency.text)
    if not currency.current:
        st.caption(currency.text)


def status_badge(status: str, text: str | None = None) -> None:
    label, icon, colour = STATUS_BADGES.get(status, STATUS_BADGES["no_target"])
    st.badge(label, icon=icon, color=colour, help=text or None)


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value)) or value == ""


#: What the variation badge and icon say when there are too few points (words for councillors).
TOO_FEW = "Too few points to judge variation"


def variation_badge(icon_name: str | None) -> None:
    if _blank(icon_name):
        st.badge(
            TOO_FEW,
            icon=":material/more_horiz:",
            color="gray",
            help="At least 13 points are needed to tell a real change from ordinary ups and downs.",
        )
        return
    label, icon, colour = VARIATION_LABELS[icon_name]
    st.badge(label, icon=icon, color=colour, help=ICON_DESCRIPTIONS.get(icon_name))


def assurance_badge(icon_name: str | None) -> None:
    if _blank(icon_name):
        return
    label, icon, colour = ASSURANCE_LABELS[icon_name]
    st.badge(label, icon=icon, color=colour, help=ICON_DESCRIPTIONS.get(icon_name))


def variation_words(icon_name: str | None) -> str:
    return VARIATION_LABELS[icon_name][0] if icon_name in VARIATION_LABELS else TOO_FEW


def assurance_words(icon_name: str | None) -> str:
    return ASSURANCE_LABELS[icon_name][0] if icon_name in ASSURANCE_LABELS else ""


def icon_words(icon_name: str) -> str:
    """The words for any SPC icon (variation or assurance)."""
    return variation_words(icon_name) if icon_name in VARIATION_LABELS else assurance_words(icon_name)


def status_words(status: str) -> str:
    return STATUS_BADGES.get(status, STATUS_BADGES["no_target"])[0]
