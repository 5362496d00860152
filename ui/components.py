"""Small rendering helpers shared by the pages: banners, status badges, downloads, notes."""

from __future__ import annotations

import os
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from metrics import access, export
from metrics.calc import format_value
from metrics.catalogue import TOPICS, Catalogue, Metric
from metrics.glossary import ASSURANCE_WORDS, VARIATION_WORDS
from metrics.periods import period_label
from metrics.spc import ICON_DESCRIPTIONS
from metrics.summary import MeetingSummary, Section, summary_sentences
from metrics.targets import format_target, unit_difference
from ui import data, icons, safe

STATUS_BADGES = {
    # status: (label, material icon, colour) -- the words carry the meaning; colour only repeats it
    "met": ("Target met", ":material/check_circle:", "green"),
    "not_met": ("Target not met", ":material/cancel:", "red"),
    "no_target": ("No target", ":material/remove:", "gray"),
    "no_data": ("No figure", ":material/help:", "gray"),
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

#: Why Compare areas shows no interval for a metric (the catalogue's ``interval`` is not wilson).
NO_INTERVAL_WORDS = (
    "No interval is shown: this indicator is not a proportion of people or events (bed occupancy, for example, "
    "is an average of beds over days), so a Wilson interval would not mean what it says. The figures are shown "
    "as published, without a test of difference from England."
)

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


def no_data_message(database: str) -> None:
    """What to do when the database the app reads holds no data (the app never fills it itself)."""
    st.title("No data loaded yet")
    st.info(
        f"The database `{database}` has no figures loaded. Load the published snapshot that ships "
        f"with the dashboard, or published NHS files, with one of:\n\n"
        f"```\npython -m loaders restore data/published --db URL\npython -m loaders ingest PATH --db URL\n```\n\n"
        "(`URL` is the same address as `DATABASE_URL`), then reload this page.",
        icon=":material/database:",
    )


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


def variation_badge(icon_name: str | None) -> None:
    if _blank(icon_name):
        st.badge(
            "Too few points for SPC",
            icon=":material/more_horiz:",
            color="gray",
            help="At least 13 points are needed to calculate process limits.",
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
    return VARIATION_LABELS[icon_name][0] if icon_name in VARIATION_LABELS else "Too few points"


def assurance_words(icon_name: str | None) -> str:
    return ASSURANCE_LABELS[icon_name][0] if icon_name in ASSURANCE_LABELS else ""


def icon_words(icon_name: str) -> str:
    """The words for any SPC icon (variation or assurance)."""
    return variation_words(icon_name) if icon_name in VARIATION_LABELS else assurance_words(icon_name)


def status_words(status: str) -> str:
    return STATUS_BADGES.get(status, STATUS_BADGES["no_target"])[0]


DEMO_ABOUT = (
    "Some figures in this export are generated demonstration data, not real statistics: "
    "the 'demo' column says which rows."
)


def with_demo_column(frame: pd.DataFrame, about: dict[str, str], row_source_ids=None) -> pd.DataFrame:
    """``frame`` with a ``demo`` column (yes/no per row) when the export holds any demo figure.

    ``row_source_ids`` gives each row's source ids (aligned with ``frame``); without it every row
    of an export that holds demo figures is marked demo, since its rows cannot be told apart.
    """
    if "Demonstration data" not in about or "demo" in frame.columns:
        return frame
    out = frame.copy()
    if row_source_ids is not None and len(row_source_ids) == len(frame):
        out["demo"] = ["yes" if data.shows_demo([ids]) else "no" for ids in row_source_ids]
    else:
        out["demo"] = "yes"
    return out


def downloads(frame: pd.DataFrame, name: str, about: dict[str, str], key: str, row_source_ids=None) -> None:
    """CSV and XLSX downloads of what is on screen, formulas neutralised, sources attached; a ``demo``
    column and an About line when any figure is demonstration data."""
    frame = with_demo_column(frame, about, row_source_ids)
    left, right = st.columns(2)
    # Built only when clicked (Streamlit runs the callable then): no page run pays for a file
    # nobody downloads (issue #12: the Excel file was a third of the brief's run).
    left.download_button(
        "Download CSV",
        lambda: export.to_csv_bytes(frame),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"{key}-csv",
        icon=":material/download:",
        on_click="ignore",
    )
    right.download_button(
        "Download Excel",
        lambda: export.to_xlsx_bytes(frame, about),
        file_name=f"{name}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}-xlsx",
        icon=":material/table_view:",
        on_click="ignore",
    )


def definition(metric: Metric, cat: Catalogue) -> None:
    """The metric's definition and source, one click away."""
    src = cat.sources[metric.source]
    with st.expander(f"About this indicator: {metric.name}"):
        st.markdown(f"**What it shows.** {metric.description}")
        st.markdown(f"**How it is calculated.** {metric.definition}")
        direction = {
            "increase": "Higher is better.",
            "decrease": "Lower is better.",
            "neutral": "Neither higher nor lower is better in itself.",
        }[metric.improvement_direction]
        st.markdown(f"**Which way is better.** {direction}")
        link = f" ([publication page]({src.url}))" if src.url else ""
        st.markdown(f"**Source.** {src.publisher}: {src.publication}{link}. Licence: {src.licence}.")
        for brk in metric.series_breaks:
            st.markdown(f"**Series break, {brk.date:%B %Y}.** {brk.reason}")
        for t in metric.targets:
            until = f" to {t.valid_to:%d %b %Y}" if t.valid_to else ""
            who = f" ({cat.organisation_by_code[t.org_code].name})" if t.org_code else ""
            st.markdown(f"**Target ({t.kind}){who}: {t.value:g}** from {t.valid_from:%d %b %Y}{until}. {t.source_text}")


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


CARD_HELP = (
    "**The figure** is the latest published value; under it, the change since the meeting "
    "(blue: better, orange: worse, grey: no better or worse). **The small line** (sparkline) is "
    "the last 24 periods, oldest on the left. **The numbers** under the figure are the counts "
    "behind a percentage or rate. **The badges**: whether the target in force was met; the "
    "variation icon (statistical process control, NHS England's Making Data Count): ordinary "
    "variation, or a special cause - an improvement, a concern, or neither; the assurance icon: "
    "whether, on past variation, the target will consistently be met, consistently missed, or "
    "be hit and miss. **Source**: who published the figure, in which publication, for which period."
)


def card_anchor(metric_id: str) -> str:
    """The id of a brief card, for links from the summary (``#card-ae_4hr_all``)."""
    return f"card-{metric_id}"


def brief_card(row, source_line: str = "") -> None:
    """One indicator in the meeting brief: name, source, value, numbers, target, SPC icons, sparkline, summary."""
    metric = data.catalogue().metric(row.metric_id)
    about = f"**{metric.name}.** {metric.description} {metric.definition}\n\n"
    st.subheader(row.name, anchor=card_anchor(row.metric_id), help=about + CARD_HELP)
    if source_line:
        st.caption(safe.md(source_line))  # publication names come from loaded files
    left, right = st.columns([2, 3])
    with left:
        sparkline = [v for v in (row.sparkline or []) if v is not None and not pd.isna(v)]
        change = row.change if row.change is not None and not pd.isna(row.change) else 0.0
        st.metric(
            f"{row.name} ({row.latest_label})",
            row.value_text,
            delta=row.change_text if row.change_text else None,
            # Making Data Count colours (blue better, orange worse); the words say which way.
            delta_color={"better": "blue", "worse": "orange"}.get(row.direction, "gray"),
            delta_arrow="up" if change > 0 else "down" if change < 0 else "off",
            chart_data=sparkline if len(sparkline) > 1 else None,
            help=f"Sparkline: the last {len(sparkline)} periods.",
            label_visibility="collapsed",  # the card's heading names it; the period is in the source line
        )
        if row.numbers_text:
            st.caption(row.numbers_text)
        if row.components_text:
            st.caption(f"Made up of: {safe.md(row.components_text)}.")
        demo_badge([row.source_ids])
    with right:
        with st.container(horizontal=True, gap="small"):  # badges wrap rather than being cut short
            status_badge(row.status, row.status_text)
            variation_badge(row.variation)
            assurance_badge(row.assurance)
            currency_badge(row.currency_state, row.currency_badge, row.currency_text)
        st.write(safe.md(row.summary))
        if row.gap_numbers_text:
            st.caption(f"To meet the target, {row.gap_numbers_text}.")
        if row.spc_note:
            st.caption(row.spc_note)
        if row.currency_text:
            st.caption(row.currency_text)


def _markdown_text(text: str) -> str:
    """Plain text safe inside Markdown link text (no brackets or emphasis from the words)."""
    for ch in "\\[]*_`":
        text = text.replace(ch, "\\" + ch)
    return text


def brief_summary(summary: MeetingSummary, area_short: str, linked_cards: set[str]) -> None:
    """The brief at a glance, before any card; each name links to its card (or to Indicator detail)."""

    def link(named) -> str:
        if named.metric_id in linked_cards:
            target = f"#{card_anchor(named.metric_id)}"
        else:
            target = f"/indicator?{urlencode({'metric': named.metric_id, 'area': area_short})}"
        return f"[{_markdown_text(named.name)}]({target})"

    with st.container(border=True, key="brief-summary"):
        st.subheader("Since the meeting", anchor="summary")
        st.markdown("\n".join(f"- {line}" for line in summary_sentences(summary, link)))


def icons_table(brief: pd.DataFrame, sections: list[Section]) -> None:
    """The 'Icons only' view: one line per indicator, the Making Data Count icons with their words."""
    table = compact_brief_table(brief, sections)
    st.dataframe(
        table,
        hide_index=True,
        row_height=30,
        height=30 * (len(table) + 1) + 3,  # every line on screen, no inner scroll
        column_config={
            "Indicator": st.column_config.TextColumn("Indicator", width=320),
            "Variation icon": st.column_config.ImageColumn("Variation", width="small", help=VARIATION_HELP),
            "Assurance icon": st.column_config.ImageColumn("Assurance", width="small", help=ASSURANCE_HELP),
            "Variation": st.column_config.TextColumn("Variation (in words)"),
            "Assurance": st.column_config.TextColumn("Assurance (in words)"),
        },
        column_order=[
            "Indicator",
            "Variation icon",
            "Assurance icon",
            "Target",
            "Latest",
            "Since the meeting",
            "Variation",
            "Assurance",
            "Group",
        ],
    )


VARIATION_HELP = (
    "Making Data Count variation: grey ~ ordinary variation; blue improvement, orange concern, "
    "purple neither, with H (higher) or L (lower)."
)
ASSURANCE_HELP = (
    "Making Data Count assurance: blue P consistently meets the target, orange F consistently misses, "
    "grey ~ hit and miss."
)

#: Print (A4) and phone layout for the brief: navigation hidden on paper, cards never cut across
#: pages, labels wrapped rather than cut short (on paper and on a phone). A static style sheet of
#: the project's own, never data.
BRIEF_STYLE = """<style>
@media print {
  @page { size: A4; margin: 12mm; }
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
  [data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stButtonGroup"],
  [data-testid="stDownloadButton"], .st-key-brief-downloads, header, footer { display: none !important; }
  [data-testid="stMain"], [data-testid="stMainBlockContainer"], .block-container {
    padding: 0 !important; margin: 0 !important; max-width: 100% !important; }
  [class*="st-key-card-"], [class*="st-key-brief-summary"], [data-testid="stHorizontalBlock"],
  [data-testid="stMetric"], [data-testid="stExpander"] { break-inside: avoid; page-break-inside: avoid; }
  h1, h2, h3, h4 { break-after: avoid; page-break-after: avoid; }
  [data-testid="stMetricDelta"], [data-testid="stCaptionContainer"], [data-testid="stMarkdownContainer"] span {
    overflow: visible !important; white-space: normal !important; text-overflow: clip !important; }
}
[data-testid="stMetricDelta"] div, [data-testid="stMetricDelta"] p {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important; }
@media (max-width: 640px) {
  [data-testid="stMainBlockContainer"] { padding-left: 0.75rem; padding-right: 0.75rem; }
  h1 { font-size: 1.8rem !important; }
  h2 { font-size: 1.4rem !important; }
  h3 { font-size: 1.2rem !important; }
}
</style>"""


def brief_style() -> None:
    """Inject the brief's print and phone style sheet (static; see ``BRIEF_STYLE``)."""
    st.html(BRIEF_STYLE)


BRIEF_EXPORT_COLUMNS = {
    "name": "Indicator",
    "latest_label": "Latest period",
    "value_text": "Latest value",
    "numbers_text": "Numbers",
    "meeting_value_text": "At the meeting",
    "change_text": "Change since the meeting",
    "status_text": "Target",
    "signal": "Statistical signal",
    "summary": "Summary",
    "currency_text": "Data currency",
}


def brief_export_table(brief: pd.DataFrame) -> pd.DataFrame:
    """The brief as a download: the same words, and the same SPC icons in words, as on screen."""
    cols = [c for c in BRIEF_EXPORT_COLUMNS if c in brief.columns]
    out = brief[cols].rename(columns=BRIEF_EXPORT_COLUMNS)
    variation = [variation_words(v) for v in brief["variation"]]
    out.insert(out.columns.get_loc("Statistical signal") + 1, "Variation", variation)
    out.insert(out.columns.get_loc("Variation") + 1, "Assurance", [assurance_words(a) for a in brief["assurance"]])
    return out


def compact_brief_table(brief: pd.DataFrame, sections: list[Section] | None = None) -> pd.DataFrame:
    """The 'icons only' table: one line per indicator in the cards' order, icons as images and in words."""
    group = {}
    if sections:
        for section in sections:
            group.update(dict.fromkeys(section.metric_ids, section.title))
        order = [mid for section in sections for mid in section.metric_ids]
        brief = brief.set_index("metric_id", drop=False).loc[order].reset_index(drop=True)
    variation = [(icons.variation_icon(v, variation_words(v)), variation_words(v)) for v in brief["variation"]]
    assurance = [(icons.assurance_icon(a, assurance_words(a)), assurance_words(a)) for a in brief["assurance"]]
    return pd.DataFrame(
        {
            "Indicator": brief["name"].to_numpy(),
            "Latest": (brief["value_text"] + " (" + brief["latest_label"] + ")").to_numpy(),
            "Variation icon": [uri for uri, _ in variation],
            "Assurance icon": [uri for uri, _ in assurance],  # "" (no icon) shows as an empty cell
            "Target": [
                f"{'✔' if s == 'met' else '✘' if s == 'not_met' else '–'} {status_words(s)}" for s in brief["status"]
            ],
            "Since the meeting": brief["change_text"].to_numpy(),
            "Currency": brief["currency_badge"].to_numpy(),
            "Group": [group.get(mid, "") for mid in brief["metric_id"]],
            "Variation": [words for _, words in variation],
            "Assurance": [words for _, words in assurance],
        }
    )


def about_sheet(cat: Catalogue, source_ids, title: str) -> dict[str, str]:
    """The 'About' sheet of an export: what it is, the sources and licences behind it."""
    ids = set()
    for item in source_ids:
        ids.update(item if isinstance(item, (tuple, list, set, frozenset)) else (item,))
    frame = data.sources()
    used = frame[frame["id"].isin([int(i) for i in ids if pd.notna(i)])]
    about = {"Title": title, "Exported": pd.Timestamp.now().strftime("%d %B %Y %H:%M")}
    for i, r in enumerate(used.drop_duplicates(["publisher", "publication", "licence"]).itertuples(), 1):
        demo = " (DEMONSTRATION DATA)" if r.is_demo else ""
        about[f"Source {i}"] = f"{r.publisher}: {r.publication}{demo}. Licence: {r.licence}."
    about["Files"] = "; ".join(sorted(used["file_name"].unique()))
    if used["is_demo"].astype(bool).any():
        about["Demonstration data"] = DEMO_ABOUT
    return about


def period_text(period_start, frequency: str) -> str:
    """A period as a reader writes it (``March 2026``), or '' when missing."""
    return period_label(pd.Timestamp(period_start).date(), frequency) if pd.notna(period_start) else ""


def england_code(cat: Catalogue) -> str:
    """The organisation code of the area every other is compared with (``settings.england_area``)."""
    return cat.area_by_id[cat.settings.england_area].org_code


def organisation_picker(metric: Metric, area_id: str) -> list[str]:
    """Organisations to compare: by default the area's members and England."""
    cat = data.catalogue()
    reporting = data.organisations_reporting(metric.id)
    available = sorted(reporting["code"])
    names = reporting.set_index("code")["name"]
    default = [
        c
        for c in (*cat.members(metric.id, area_id), cat.area_by_id[area_id].org_code, england_code(cat))
        if c in available
    ]
    return st.multiselect(
        "Organisations",
        available,
        default=list(dict.fromkeys(default))[:6],
        format_func=lambda c: f"{names.get(c, c)} ({c})",
        key=f"compare-orgs-{metric.id}",
    )


def source_files(series: pd.DataFrame) -> None:
    """The files behind the figures on screen (traceability)."""
    if "source_ids" not in series or series.empty:
        return
    ids = {int(i) for t in series["source_ids"] for i in (t if isinstance(t, (tuple, list)) else (t,)) if pd.notna(i)}
    frame = data.sources()
    used = frame[frame["id"].isin(ids)]
    with st.expander(f"Source files behind these figures ({len(used)})"):
        st.dataframe(
            used[["file_name", "publisher", "publication", "licence", "periods", "loaded_at", "is_demo"]].rename(
                columns={
                    "file_name": "File",
                    "publisher": "Publisher",
                    "publication": "Publication",
                    "licence": "Licence",
                    "periods": "Periods",
                    "loaded_at": "Loaded",
                    "is_demo": "Demo",
                }
            ),
            hide_index=True,
        )


def targets_table(
    brief: pd.DataFrame, statuses: list[str], topics: list[str], everything: bool = False
) -> pd.DataFrame:
    """The Targets page table: status in words (with a symbol), never colour alone.

    By default only published collections still released, as the brief's summary counts them;
    ``everything`` adds discontinued collections and figures quoted in committee papers.
    """
    keep = brief["status"].isin(statuses) & brief["topic"].isin(topics)
    if not everything:
        keep &= brief["currency_state"].isin(["current", "overdue"])
    rows = brief[keep]
    return pd.DataFrame(
        {
            "Indicator": rows["name"],
            "Topic": rows["topic"].map(TOPICS),
            "Latest period": rows["latest_label"],
            "Currency": rows["currency_badge"],
            "Latest value": rows["value_text"],
            "Target": [
                format_target(t, u) if pd.notna(t) else "" for t, u in zip(rows["target"], rows["unit"], strict=True)
            ],
            "Kind of target": rows["target_kind"].fillna(""),
            "Status": [
                f"{'✔' if s == 'met' else '✘' if s == 'not_met' else '–'} {status_words(s)}" for s in rows["status"]
            ],
            "In words": rows["status_text"],
            "Assurance": [assurance_words(a) for a in rows["assurance"]],
        }
    )


def latest_value_text(ind) -> str:
    """The latest figure with the numbers behind it: ``78.8% (32,288 of 40,958)``."""
    last = ind.latest
    if last is None:
        return "no figure"
    m = ind.metric
    text = format_value(last["value"], m.unit, m.decimals)
    if m.scale is not None and pd.notna(last["numerator"]) and pd.notna(last["denominator"]):
        text += f" ({last['numerator']:,.0f} of {last['denominator']:,.0f})"
    return text


def unit_difference_signed(delta, unit: str, decimals: int) -> str:
    """A difference with its sign, in percentage points for percentages: ``-5.9 percentage points``."""
    if delta is None or pd.isna(delta):
        return ""
    sign = "\u2212" if delta < 0 else "+" if delta > 0 else ""
    return f"{sign}{unit_difference(float(delta), unit, decimals)}"


def reported_figures(reconciliation: pd.DataFrame, cat: Catalogue) -> None:
    """Figures reported to committee beside the published series for the same period."""
    if reconciliation.empty:
        return
    rows = []
    for r in reconciliation.itertuples():
        m = cat.metric_by_id[r.metric_id]
        rows.append(
            {
                "Indicator": m.name,
                "Area": cat.area_by_id[r.area_id].name,
                "Period": period_label(r.period_start.date(), r.period_type),
                "Reported to committee": format_value(r.reported, m.unit, m.decimals),
                "Published series": format_value(r.published, m.unit, m.decimals),
                "Difference": unit_difference_signed(r.difference, m.unit, m.decimals),
                "Note": r.note,
            }
        )
    st.dataframe(pd.DataFrame(rows), hide_index=True)


def wide_table(frame: pd.DataFrame, metric: Metric) -> pd.DataFrame:
    """Lines of a comparison chart as a table: one row per period (as a period), one column per line."""
    wide = frame.pivot_table(index="period_start", columns="label", values="value", sort=False).round(metric.decimals)
    wide.index = [period_text(p, metric.frequency) for p in wide.index]
    return wide.rename_axis("Period").reset_index()
