"""Plotly figure builders: each takes DataFrames and returns a figure; no data access here.

Colours follow the NHS identity palette and the Making Data Count conventions (grey for common
cause, blue for improvement, orange for concern); special-cause points also differ by marker
shape and hover text, so status never depends on colour alone (WCAG 2.2 1.4.1).
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from metrics.catalogue import Metric

NHS_BLUE = "#005EB8"
NHS_DARK_BLUE = "#003087"
NHS_GREY = "#768692"
NHS_ORANGE = "#ED8B00"
NHS_PURPLE = "#330072"
NHS_GREEN = "#007F3B"
NHS_DARK_GREY = "#425563"
AREA_COLOURS = [NHS_BLUE, NHS_ORANGE, NHS_GREEN, NHS_PURPLE, NHS_DARK_GREY, "#AE2573", "#00A499"]

POINT_STYLES = {
    # special_cause: (colour, marker symbol, words)
    "improvement": (NHS_BLUE, "triangle-up", "special cause: improvement"),
    "concern": (NHS_ORANGE, "diamond", "special cause: concern"),
    "neither": (NHS_PURPLE, "square", "special cause (neither better nor worse)"),
    "": (NHS_GREY, "circle", "common cause"),
}


def _axis_title(metric: Metric) -> str:
    return {
        "percent": "Per cent",
        "rate_per_100k": "Per 100,000",
        "gbp": "Pounds",
    }.get(metric.unit, metric.unit.replace("_", " ").capitalize())


def _base_layout(fig: go.Figure, metric: Metric, title: str | None, height: int = 420) -> go.Figure:
    fig.update_layout(
        title=title,
        height=height,
        margin={"l": 10, "r": 10, "t": 50 if title else 10, "b": 10},
        legend={"orientation": "h", "y": -0.15},
        hovermode="x unified",
        yaxis_title=_axis_title(metric),
        font={"family": "Arial, sans-serif"},
    )
    if metric.unit == "percent":
        fig.update_yaxes(ticksuffix="%")
    return fig


def spc_chart(
    points: pd.DataFrame,
    metric: Metric,
    targets: pd.DataFrame | None = None,
    annotations: pd.DataFrame | None = None,
    breaks: list[tuple] | None = None,
    title: str | None = None,
) -> go.Figure:
    """An XmR chart: values, mean, process limits, a time-varying target and special-cause points.

    Parameters
    ----------
    points : DataFrame
        ``SPCResult.points`` (date, value, mean, upl, lpl, special_cause, rules...).
    targets : DataFrame, optional
        ``period_start, target`` (NaN where no target applies).
    annotations : DataFrame, optional
        ``on_date, text`` events to mark.
    breaks : list of (date, reason), optional
        Series breaks, drawn as vertical lines.
    """
    fig = go.Figure()
    dates = points["date"]
    fig.add_trace(
        go.Scatter(
            x=dates,
            y=points["value"],
            mode="lines",
            name=metric.name,
            line={"color": NHS_GREY, "width": 1.5},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    if points["mean"].notna().any():
        fig.add_trace(
            go.Scatter(
                x=dates, y=points["mean"], mode="lines", name="Mean", line={"color": NHS_DARK_GREY, "width": 1.5}
            )
        )
        for col, label in (("upl", "Upper process limit"), ("lpl", "Lower process limit")):
            fig.add_trace(
                go.Scatter(
                    x=dates,
                    y=points[col],
                    mode="lines",
                    name=label,
                    line={"color": NHS_DARK_GREY, "width": 1, "dash": "dash"},
                    showlegend=col == "upl",
                )
            )
    for cause, (colour, symbol, words) in POINT_STYLES.items():
        subset = points[points["special_cause"].fillna("") == cause]
        if subset.empty:
            continue
        fig.add_trace(
            go.Scatter(
                x=subset["date"],
                y=subset["value"],
                mode="markers",
                name=words[0].upper() + words[1:],
                marker={
                    "color": colour,
                    "symbol": symbol,
                    "size": 9 if cause else 6,
                    "line": {"width": 0.5, "color": "white"},
                },
                customdata=subset["rules"].fillna("").str.replace("_", " "),
                hovertemplate="%{y:." + str(metric.decimals) + "f}<br>" + words + " %{customdata}<extra></extra>",
            )
        )
    if targets is not None and len(targets) and targets["target"].notna().any():
        fig.add_trace(
            go.Scatter(
                x=targets["period_start"],
                y=targets["target"],
                mode="lines",
                name="Target",
                line={"color": NHS_GREEN, "width": 2, "shape": "hv", "dash": "dot"},
            )
        )
    for date, reason in breaks or []:
        fig.add_vline(x=pd.Timestamp(date), line={"color": NHS_PURPLE, "dash": "dot", "width": 1})
        fig.add_annotation(
            x=pd.Timestamp(date),
            y=1,
            yref="paper",
            text="Series break",
            showarrow=False,
            hovertext=reason,
            font={"size": 10, "color": NHS_PURPLE},
            yanchor="bottom",
        )
    if annotations is not None:
        first, last = dates.min(), dates.max()
        for row in annotations.itertuples():
            if first <= row.on_date <= last:
                fig.add_vline(x=row.on_date, line={"color": NHS_GREY, "width": 1})
                fig.add_annotation(
                    x=row.on_date,
                    y=0,
                    yref="paper",
                    text=row.text,
                    showarrow=False,
                    textangle=-90,
                    xanchor="left",
                    yanchor="bottom",
                    font={"size": 9, "color": NHS_DARK_GREY},
                )
    return _base_layout(fig, metric, title)


def compare_chart(
    frame: pd.DataFrame, metric: Metric, label_column: str = "label", title: str | None = None
) -> go.Figure:
    """Lines for several areas or organisations: ``period_start, value`` and a label column."""
    fig = go.Figure()
    for i, (label, group) in enumerate(frame.groupby(label_column, sort=False)):
        fig.add_trace(
            go.Scatter(
                x=group["period_start"],
                y=group["value"],
                mode="lines+markers",
                name=str(label),
                line={"color": AREA_COLOURS[i % len(AREA_COLOURS)], "width": 2},
                marker={"size": 4, "symbol": ["circle", "square", "diamond", "triangle-up", "x"][i % 5]},
            )
        )
    return _base_layout(fig, metric, title)


def bar_ranking(frame: pd.DataFrame, metric: Metric, highlight: set[str], title: str | None = None) -> go.Figure:
    """Horizontal bars of ``label, value``; highlighted rows in NHS blue, others grey."""
    colours = [NHS_BLUE if code in highlight else "#AEB7BD" for code in frame["org_code"]]
    fig = go.Figure(go.Bar(x=frame["value"], y=frame["label"], orientation="h", marker_color=colours))
    fig.update_layout(yaxis={"autorange": "reversed"})
    return _base_layout(fig, metric, title, height=max(300, 18 * len(frame)))
