"""Reusable page sections: one indicator's chart, status and table for an area."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from metrics import tables
from metrics.calc import format_value
from metrics.catalogue import Metric
from metrics.compare import COMPARISON_WORDS
from metrics.query import Indicator, components_text, latest_status
from metrics.verdict import indicator_verdict
from ui import actions as actions_ui
from ui import badges, charts, components, data, filters, plots, safe
from ui import tables as tables_ui


def spc_chart(ind: Indicator, start_year: int, key: str, alt: str) -> None:
    """The SPC chart of the displayed window (the limits come from the whole series), and the
    list of what its numbered markers mean."""
    fig, events = spc_figure(ind, start_year)
    st.plotly_chart(fig, key=key, config=plots.CONFIG, alt=alt)
    if events:
        st.caption("  \n".join(f"**{n}** {safe.md(text)}" for n, _, text, _ in events))


def spc_figure(ind: Indicator, start_year: int):
    """The SPC chart of ``ind`` from ``start_year`` and its numbered events (``charts.chart_events``),
    once per data version."""
    what = (ind.metric.id, ind.area_id, start_year)

    def events_now():
        frame = ind.window(start_year)
        return frame, charts.chart_events(frame, ind.rebases_in(frame), data.annotations(ind.metric.id))

    frame, events = data.per_version(("spc events", *what), events_now)
    return plots.kept_figure(("spc", *what), charts.spc_chart, frame, ind.metric, events), events


def indicator_section(metric: Metric, area_id: str, start_year: int, key: str) -> bool:
    """Chart, icons, table alternative and definition for one metric; False if the area has no data."""
    ind = data.indicator(metric.id, area_id)
    if ind.empty:
        return False
    st.subheader(metric.name)
    st.caption(metric.description)
    badges.demo_badge([ind.source_ids])
    label, status, words = latest_status(ind)
    cols = st.columns(3)
    with cols[0]:
        badges.status_badge(status, words)
    with cols[1]:
        badges.variation_badge(ind.variation)
    with cols[2]:
        badges.assurance_badge(ind.assurance)
    st.write(f"Latest figure ({label}): {components.latest_value_text(ind)}.")
    components.verdict(indicator_verdict(ind))
    if main := data.main_provider(metric.id, area_id):
        components.main_provider(main.text(metric), key)
    badges.currency_note(ind.currency)
    if parts := components_words(ind):
        st.write(f"Made up of: {safe.md(parts)}.")
    if ind.spc is not None and ind.spc.reason:
        st.caption(ind.spc.reason)
    actions_ui.beside_indicator(metric.id, area_id, key=key)
    spc_chart(ind, start_year, f"chart-{key}", f"Chart of {metric.name}; the same figures are in the table below.")
    with st.expander("Show the figures as a table"):
        plots.table(figures_table(ind, start_year))
    components.definition(metric, data.catalogue())
    return True


def figures_table(ind: Indicator, start_year: int) -> pd.DataFrame:
    """The indicator's figures from April of ``start_year`` (``metrics.tables.figures_table``), made
    once per data version and shared: read-only."""
    return data.per_version(
        ("figures table", ind.metric.id, ind.area_id, start_year),
        lambda: tables.figures_table(ind, start_year, data.sources()),
    )


def comparison(what: tuple, frame: pd.DataFrame, metric: Metric, key: str, alt: str, table_label: str = "") -> None:
    """A chart of ``frame``'s lines (``charts.compare_chart``) and, with ``table_label``, the same
    figures as a table one click away; both made once per data version for ``what`` (the choices the
    lines depend on, e.g. ``("areas", metric_id, area_id, start_year)``)."""
    plots.chart(("comparison", *what), charts.compare_chart, frame, metric, key=key, alt=alt)
    if table_label:
        with st.expander(table_label):
            plots.table(data.per_version(("wide table", *what), lambda: components.wide_table(frame, metric)))


def components_words(ind: Indicator) -> str:
    """``metrics.query.components_text`` once per kept indicator (a sixth of a topic page's server time
    when it was worked out on each run)."""
    return plots.made_from(ind, "components text", components_text)


def topic_page(topic: str, title: str, intro: str) -> None:
    """A topic page: every indicator of the topic in one table, and the chart of the one chosen.

    Only the chosen indicator is drawn (``?metric=``): a page of 22 charts cost readers seconds
    and a whole committee minutes (issue #12). Collections that stopped are listed, and drawn on
    request, but never chosen by default.
    """
    cat = data.catalogue()
    area_id = filters.selected_area()
    start_year = filters.selected_start_year()
    st.title(f"{title}: {cat.area_by_id[area_id].name}")
    st.write(intro)
    found = [(m, data.indicator(m.id, area_id)) for m in cat.metrics_in_topic(topic)]
    missing = not_loaded_words([m for m, ind in found if ind.empty], cat.area_by_id[area_id].short_name)
    # Collections still published first; discontinued ones (delayed transfers of care) at the end.
    found = sorted(((m, ind) for m, ind in found if not ind.empty), key=lambda f: f[1].currency.discontinued)
    badges.demo_banner([ind.source_ids for _, ind in found])
    if not found:
        st.info(
            f"No {title.lower()} figures are loaded for {cat.area_by_id[area_id].name}. "
            "Try LLR or England, or load the publications on the Data page."
        )
        return
    if missing:  # what is not loaded yet is said plainly, never promised
        st.info(missing)
    plots.table(data.per_version(("topic table", topic, area_id), lambda: topic_table(found)))
    current = [m.id for m, ind in found if not ind.currency.discontinued]
    chosen = filters.metric(
        cat, label="Show the chart of", options=[m.id for m, _ in found], default=(current or [found[0][0].id])[0]
    )
    st.divider()
    indicator_section(cat.metric(chosen), area_id, start_year, key=f"{topic}-{chosen}")


def not_loaded_words(metrics: list[Metric], area_short: str) -> str:
    """Plain words for the topic's indicators with no figures here: what is not loaded, never a promise."""
    if not metrics:
        return ""
    names = [m.name for m in metrics]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"Not loaded yet for {area_short}, so not shown: {listed}."


def topic_table(found: list[tuple[Metric, Indicator]]) -> pd.DataFrame:
    """One line per indicator: latest figure, target in words, the SPC icons in words, currency."""
    rows = []
    for m, ind in found:
        label, status, words = latest_status(ind)
        rows.append(
            {
                "Indicator": m.name,
                "Latest": f"{components.latest_value_text(ind)} ({label})",
                "Target": words,
                "Variation": badges.variation_words(ind.variation),
                "Assurance": badges.assurance_words(ind.assurance),
                "Currency": ind.currency.badge,
            }
        )
    return pd.DataFrame(rows)


def components_frame(ind: Indicator, start_year: int) -> pd.DataFrame:
    """The total and each named component as lines (``period_start, value, label, colour_key``).

    A component of one organisation (UHL) is keyed by its code, so it has the colour that
    organisation has on the comparison chart below it."""
    cat = data.catalogue()
    area = cat.area_by_id[ind.area_id]
    members = {
        part.id: part.members
        for membership in cat.memberships.values()
        for part in membership.components.get(ind.area_id, ())
    }
    parts = [ind.window(start_year).assign(label=f"{area.short_name} total", colour_key=area.org_code)]
    start = pd.Timestamp(start_year, 4, 1)
    for c in ind.components:
        codes = members.get(c.id, ())
        key = codes[0] if len(codes) == 1 else c.id
        parts.append(c.series[c.series["period_start"] >= start].assign(label=c.name, colour_key=key))
    return pd.concat([p[["period_start", "value", "label", "colour_key"]] for p in parts], ignore_index=True)


def components_chart(ind: Indicator, start_year: int):
    """The area's total beside each of its parts, as lines (``charts.compare_chart``)."""
    return charts.compare_chart(components_frame(ind, start_year), ind.metric)


def organisation_lines(metric: Metric, org_codes: list[str], start_year: int):
    """``period_start, value, label`` for each chosen organisation (from April of ``start_year``),
    once per data version for the organisations chosen: read-only."""
    return data.per_version(
        ("organisation lines", metric.id, tuple(org_codes), start_year),
        lambda: _organisation_lines(metric, org_codes, start_year),
    )


def _organisation_lines(metric: Metric, org_codes: list[str], start_year: int):
    rows = data.organisation_series(metric.id, org_codes)
    rows = rows[rows["period_start"] >= pd.Timestamp(start_year, 4, 1)]
    labelled = rows.assign(label=rows["name"] + " (" + rows["org_code"] + ")", colour_key=rows["org_code"])
    return labelled[["period_start", "value", "label", "colour_key"]]


def sources_table() -> pd.DataFrame:
    """Every loaded file as the Data page lists it (``ui.tables.sources_table``), once per data version."""
    return data.per_version(("sources table",), lambda: tables_ui.sources_table(data.sources()))


def coverage_table() -> pd.DataFrame:
    """Each indicator's latest period held (``ui.tables.coverage_table``), once per data version and day."""
    return data.per_version(("coverage table",), lambda: tables_ui.coverage_table(data.coverage(), data.catalogue()))


def area_comparison(metric: Metric, start_year: int):
    """Every area's series for ``metric`` (long frame with ``label``), a latest-value table and the
    source ids: once per data version for the area chosen and the start year (read-only)."""
    chosen = filters.selected_area()
    return data.per_version(
        ("area comparison", metric.id, chosen, start_year), lambda: _area_comparison(metric, chosen, start_year)
    )


def _area_comparison(metric: Metric, chosen: str, start_year: int):
    cat = data.catalogue()
    by_area, latest = data.area_comparison(metric.id, (chosen,))
    parts = [
        ind.window(start_year).assign(label=cat.area_by_id[a].name, colour_key=cat.area_by_id[a].org_code)
        for a, ind in by_area.items()
        if not ind.empty
    ]
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    table = pd.DataFrame(
        {
            "Area": latest["area"],
            "Latest period": [p or "no figures" for p in latest["period_label"]],
            "Currency": [by_area[a].currency.badge for a in latest["area_id"]],
            "Value": [format_value(v, metric.unit, metric.decimals) if pd.notna(v) else "" for v in latest["value"]],
            "Numerator": [f"{v:,.0f}" if pd.notna(v) else "" for v in latest["numerator"]],
            "Denominator": [f"{v:,.0f}" if pd.notna(v) else "" for v in latest["denominator"]],
        }
    )
    if latest["ci95_low"].notna().any():
        table["95% interval"] = [
            _interval(lo, hi) for lo, hi in zip(latest["ci95_low"], latest["ci95_high"], strict=True)
        ]
        table["99.8% interval"] = [
            _interval(lo, hi) for lo, hi in zip(latest["ci998_low"], latest["ci998_high"], strict=True)
        ]
        table["Compared with England (95%)"] = latest["vs_england_95"].map(COMPARISON_WORDS)
        table["Compared with England (99.8%)"] = latest["vs_england_998"].map(COMPARISON_WORDS)
    source_ids = [ind.source_ids for ind in by_area.values()]
    return frame, table, source_ids


def _interval(low, high) -> str:
    return "" if pd.isna(low) else f"{low:.1f}% to {high:.1f}%"


def national_ranks(metric: Metric):
    """Each LLR organisation's rank within its pool of like organisations, naming the pool (once per
    data version for the metric and area chosen: read-only)."""
    area_id = filters.selected_area()  # LLR's organisations, or the chosen board's
    return data.per_version(("national ranks", metric.id, area_id), lambda: _national_ranks(metric, area_id))


def _national_ranks(metric: Metric, area_id: str):
    cat = data.catalogue()
    area = cat.area_by_id[area_id]
    local = set(cat.area_org_codes(area.id)) if area.origin != "config.yaml" else None
    codes = [
        o.code
        for o in cat.organisations
        if o.kind not in ("country", "system") and (o.code in local if local is not None else o.place is not None)
    ]
    ranks = data.ranks(metric.id, codes)
    ranks = ranks[ranks["peers"] > 1].copy()
    return pd.DataFrame(
        {
            "Organisation": ranks["name"],
            "Period": [components.period_text(p, metric.frequency) for p in ranks["period_start"]],
            "Value": [format_value(v, metric.unit, metric.decimals) for v in ranks["value"]],
            "Rank": ranks["rank"],
            "Out of": ranks["peers"],
            "Ranked among": ranks["pool"],
            "Quartile": ranks["quartile_words"],
        }
    )


def glossary_text(terms: dict[str, str]) -> str:
    """Terms and their meanings as Markdown paragraphs (``**Term.** Meaning``), for one element."""
    return "\n\n".join(f"**{term}.** {meaning}" for term, meaning in terms.items())
