"""Compare areas, every integrated care board: the funnel plot, the ranked table and the peers.

Figures come from ``metrics.funnel`` through the read layer (``ui.data.funnel``, computed once per
data version for all boards); this module only draws them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from metrics import funnel as funnel_module
from metrics.catalogue import Metric
from ui import charts, components, data, plots

CHOSEN_COLOUR = "#d5281b"  # NHS red: the chosen board
PEER_COLOUR = "#005eb8"  # NHS blue: its peers
OTHER_COLOUR = "#768692"  # NHS mid grey: every other board
HOVER = "%{customdata[0]}<br>%{y:.1f}% (%{customdata[1]:,.0f} of %{customdata[2]:,.0f})<extra></extra>"


def funnel_chart(result: funnel_module.Funnel, chosen: str | None, peers: dict[str, str]) -> go.Figure:
    """Each board's proportion against its denominator, with England and the 95% and 99.8% limits."""
    m = result.metric
    curve = result.curve()
    fig = charts.new_figure()
    fig.add_scatter(x=curve["denominator"], y=[result.england_value] * len(curve), mode="lines",
                    name=f"England {result.england_value:.{m.decimals}f}%", line={"color": "#212b32"})  # fmt: skip
    for level, dash in (("998", "dot"), ("95", "dash")):
        label = "99.8% limits" if level == "998" else "95% limits"
        for side in ("low", "high"):
            fig.add_scatter(x=curve["denominator"], y=curve[f"{side}{level}"], mode="lines", name=label,
                            showlegend=side == "low", legendgroup=level,
                            line={"color": "#4c6272", "dash": dash, "width": 1})  # fmt: skip
    points = result.points
    groups = (
        ("Other boards", ~points["area_id"].isin([*peers, chosen]), OTHER_COLOUR, 8),
        ("Peers", points["area_id"].isin(list(peers)), PEER_COLOUR, 10),
        ("Chosen", points["area_id"] == chosen, CHOSEN_COLOUR, 15),
    )
    for name, mask, colour, size in groups:
        part = points[mask]
        if part.empty:
            continue
        fig.add_scatter(
            x=part["denominator"],
            y=part["value"],
            mode="markers+text" if name == "Chosen" else "markers",
            text=part["short_name"] if name == "Chosen" else None,
            textposition="top center",
            name=name if name != "Chosen" else part["short_name"].iloc[0],
            marker={"color": colour, "size": size, "line": {"color": "white", "width": 1}},
            customdata=part[["name", "numerator", "denominator"]].to_numpy(),
            hovertemplate=HOVER,
        )
    fig.update_layout(
        xaxis={"title": "Denominator (log scale)", "type": "log"},
        yaxis={"title": f"{m.name} (%)"},
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        legend={"orientation": "h", "y": -0.25},
        height=480,
    )
    return fig


def _names(rows) -> str:
    return "; ".join(rows) if rows else "none"


@dataclass(frozen=True)
class _Facts:
    """What the funnel section says beside its chart (kept per data version: read-only)."""

    above: list[str]
    below: list[str]
    trusts_only: float
    table: pd.DataFrame
    peers_table: pd.DataFrame


def _facts(result: funnel_module.Funnel, chosen: str | None, peers: dict[str, str]) -> _Facts:
    above, below = result.outliers()
    points = result.points
    table = funnel_module.ranked_table(result, chosen, peers)
    return _Facts(
        above,
        below,
        100 * points["numerator"].sum() / points["denominator"].sum(),
        table,
        funnel_module.peer_rows(table),
    )


def funnel_section(metric: Metric, area_id: str) -> None:
    """Every ICB beside England for the metric's latest common period, and the chosen board's peers."""
    cat = data.catalogue()
    st.subheader("Every integrated care board beside England")
    if metric.interval != "wilson":
        rates_section(metric, area_id)
        return
    result = data.funnel(metric.id)
    if result.empty:
        st.write(f"No figures for {metric.name} are loaded for integrated care boards in one period beside England.")
        return
    chosen = area_id if area_id in set(result.points["area_id"]) else None
    peers = funnel_module.peers(cat, area_id)
    period = components.period_text(result.period_start, metric.frequency)
    st.write(
        f"{period}: each board's figure against its denominator (the number of people or events it counts), with "
        f"England's ({result.england_value:.{metric.decimals}f}%) and the limits within which a board would fall by "
        "chance alone 95% and 99.8% of the time."
    )
    plots.chart(
        ("funnel", metric.id, chosen, tuple(peers.items())),
        funnel_chart,
        result,
        chosen,
        peers,
        key=f"funnel-{metric.id}",
        alt=f"Funnel plot of {metric.name} for every integrated care board; the same figures are in the table below.",
    )
    facts = data.per_version(
        ("funnel facts", metric.id, chosen, tuple(peers.items())), lambda: _facts(result, chosen, peers)
    )
    above, below = facts.above, facts.below
    better_above = metric.improvement_direction == "increase"
    st.markdown(
        f"**Outside the 99.8% limits, above England** ({'better' if better_above else 'worse'}): {_names(above)}.  \n"
        f"**Outside the 99.8% limits, below England** ({'worse' if better_above else 'better'}): {_names(below)}."
    )
    trusts_only = facts.trusts_only
    st.caption(
        f"England's published figure ({result.england_value:.1f}%) also counts independent-sector sites; the boards' "
        f"NHS trusts together: {trusts_only:.1f}%. "
        "Limits: England's proportion plus or minus 1.96 (95%) or 3.09 (99.8%) binomial standard errors for each "
        "denominator. Each board counts the NHS trusts the Organisation Data Service places in it, while open; "
        "LLR too, so it is compared like for like (its own pages also count the DHU urgent treatment centres). "
        "With tens of thousands of attendances the limits are narrow: a board outside them differs from England "
        "by more than chance, which is not the same as a difference that matters."
    )
    if chosen is None and area_id in cat.area_by_id:
        st.write(f"{cat.area_by_id[area_id].name} has no figure for {period} to set among the boards.")
    table = facts.table
    if peers and chosen is not None:
        me = cat.area_by_id[area_id]
        st.markdown(f"**Systems like {me.short_name}**: the boards of its region and the five nearest in population.")
        plots.table(facts.peers_table)
    with st.expander(f"All {len(table)} boards ranked, with 95% intervals"):
        plots.table(table)


def rates_section(metric: Metric, area_id: str) -> None:
    """Counts compared as rates per 100,000 residents for every board (no funnel: not a proportion)."""
    cat = data.catalogue()
    if metric.unit not in ("count", "beds"):
        st.write(f"{metric.name} is not a proportion or a count, so boards are not compared here.")
        return
    series, england, population = data.icb_series(metric.id)
    peers = funnel_module.peers(cat, area_id)
    chosen = area_id if area_id in series else None
    period, eng_rate, table = funnel_module.rate_table(cat, metric, series, england, population, chosen, peers)
    if table.empty:
        st.write(f"No figures for {metric.name} are loaded for integrated care boards in one period.")
        return
    when = components.period_text(period, metric.frequency)
    st.write(
        f"{when}: {metric.name} per 100,000 residents (ONS mid-year estimate), with 95% intervals; England "
        f"{eng_rate:,.1f} per 100,000."
    )
    st.caption(
        "Each board counts the NHS trusts the Organisation Data Service places in it, where people are seen, not "
        "where they live, so a board whose hospitals serve neighbouring areas has a higher rate. England's rate is "
        "the boards' counts together over England's population. Intervals: Byar's approximation to the Poisson."
    )
    if peers and chosen is not None:
        st.markdown(
            f"**Systems like {cat.area_by_id[area_id].short_name}**: the boards of its region and the five nearest "
            "in population."
        )
        plots.table(funnel_module.peer_rows(table))
    with st.expander(f"All {len(table)} boards ranked, per 100,000 residents"):
        plots.table(table)
