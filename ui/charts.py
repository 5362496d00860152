"""Plotly figure builders: each takes DataFrames and returns a figure; no data access here.

Colours follow the NHS identity palette and the Making Data Count conventions (grey for common
cause, blue for improvement, orange for concern); special-cause points also differ by marker
shape and hover text, so status never depends on colour alone (WCAG 2.2 1.4.1).
"""

from __future__ import annotations

import zlib

import pandas as pd
import plotly.graph_objects as go

from metrics.calc import format_value
from metrics.catalogue import Metric
from metrics.glossary import POINT_WORDS
from metrics.periods import short_period_label
from metrics.spc import follows_gap
from metrics.tables import rules_in_words
from ui import safe

NHS_BLUE = "#005EB8"
NHS_DARK_BLUE = "#003087"
NHS_GREY = "#768692"
NHS_ORANGE = "#ED8B00"
NHS_PURPLE = "#330072"
NHS_GREEN = "#007F3B"
NHS_DARK_GREY = "#425563"
AREA_COLOURS = [NHS_BLUE, NHS_ORANGE, NHS_GREEN, NHS_PURPLE, NHS_DARK_GREY, "#AE2573", "#00A499"]
#: Lines that keep one colour on every chart, keyed by organisation code: University Hospitals of
#: Leicester, the LLR system total and England (issue #20: UHL changed colour between two charts).
FIXED_COLOURS = {"RWE": NHS_BLUE, "LLR": NHS_ORANGE, "E92000001": NHS_DARK_GREY}
_OTHER_COLOURS = [NHS_GREEN, NHS_PURPLE, "#AE2573", "#00A499", "#8A1538", "#41B6E6", "#78BE20", "#FFB81C", "#006747"]
#: At most this many period ticks: four "Apr 2019" labels fit a phone's 390 px without overlapping.
MAX_TICKS = 4
#: Tick spacing steps, in periods, by frequency (months: quarterly, half-yearly, yearly and longer).
_TICK_STEPS = {"month": (1, 3, 6, 12, 24, 36, 60), "quarter": (1, 2, 4, 8, 12, 20), "year": (1, 2, 3, 5, 10)}
_PERIOD_MONTHS = {"month": 1, "quarter": 3, "year": 12}

_POINT_MARKS = {"improvement": (NHS_BLUE, "triangle-up"), "concern": (NHS_ORANGE, "diamond"),
                "neither": (NHS_PURPLE, "square"), "": (NHS_GREY, "circle")}  # fmt: skip
#: special_cause -> (colour, marker symbol, words); the words are the glossary's.
POINT_STYLES = {cause: (*mark, POINT_WORDS[cause]) for cause, mark in _POINT_MARKS.items()}


def _axis_title(metric: Metric) -> str:
    return {
        "percent": "Per cent",
        "rate_per_100k": "Per 100,000",
        "gbp": "Pounds",
    }.get(metric.unit, metric.unit.replace("_", " ").capitalize())


def period_axis(fig: go.Figure, starts, frequency: str) -> None:
    """Ticks that name periods as people do: ``Mar 2026``, ``2022/23 Q2``, ``2019/20``.

    Plotly's automatic date ticks show times of day on short series ("23:59:59.999 Aug 31")
    and calendar quarters on yearly data, so the ticks are set from the periods themselves. The
    server cannot know the reader's screen, so there are at most ``MAX_TICKS`` of them, spaced
    in whole quarters or years (monthly series tick each April, or every second or third April),
    which fit a 390 px phone without labels running into each other.
    """
    stamps = sorted(pd.to_datetime(pd.Series(list(starts))).dropna().unique())
    if not stamps:
        return
    first, last = pd.Timestamp(stamps[0]), pd.Timestamp(stamps[-1])
    months = (last.year - first.year) * 12 + last.month - first.month
    periods = months // _PERIOD_MONTHS.get(frequency, 1) + 1
    steps = _TICK_STEPS.get(frequency, (1,))
    step = next((s for s in steps if -(-periods // s) <= MAX_TICKS), steps[-1])
    # Monthly ticks count from the first April (financial years start in April), others from the
    # first period; ticks are calendar dates, so a gap in the series neither removes nor shifts one.
    every = step * _PERIOD_MONTHS.get(frequency, 1)
    anchor = first
    if frequency == "month" and step > 1:
        april = pd.Timestamp(first.year + (first.month > 4), 4, 1)
        anchor = april if april <= last else first
    ticks = list(pd.date_range(anchor, last, freq=pd.DateOffset(months=every)))
    fig.update_xaxes(
        tickmode="array",
        tickvals=list(ticks),
        ticktext=[short_period_label(pd.Timestamp(t).date(), frequency) for t in ticks],
        tickfont={"size": 11},
        showgrid=False,
    )


def new_figure() -> go.Figure:
    """An empty figure that does not validate each trace and layout change as it is built.

    Plotly checks every property against its schema on every ``add_trace`` and ``update_layout``;
    building the SPC chart of a long series with its events spent a quarter of a second there
    (profiled on Indicator detail). The figures are built from the project's own fixed specs, and
    Streamlit validates the finished figure once before sending it (``st.plotly_chart``); the tests
    validate every kind of chart the same way.
    """
    return go.Figure(_validate=False)


def missing_spans(starts, frequency: str) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Runs of periods with no figure inside a series: ``(first missing, last missing)`` period starts.

    A gap of more than one period (April 2019 to March 2020, when no files are held) is named on
    the chart rather than left for the reader to notice.
    """
    stamps = sorted(pd.to_datetime(pd.Series(list(starts))).dropna().unique())
    step = pd.DateOffset(months=_PERIOD_MONTHS.get(frequency, 1))
    spans = []
    for before, after in zip(stamps, stamps[1:], strict=False):
        first, last = pd.Timestamp(before) + step, pd.Timestamp(after) - step
        if last > first:  # more than one period missing
            spans.append((first, last))
    return spans


def gap_label(first: pd.Timestamp, last: pd.Timestamp, frequency: str) -> str:
    """``No figures held Apr 2019 – Mar 2020``."""
    return (
        f"No figures held {short_period_label(first.date(), frequency)} – {short_period_label(last.date(), frequency)}"
    )


def _mark_gaps(fig: go.Figure, starts, frequency: str, shapes=(), annotations=()) -> None:
    """A light band over each run of missing periods, labelled in words inside the plot, added to
    the layout with ``shapes`` and ``annotations`` in one update."""
    step = pd.DateOffset(months=_PERIOD_MONTHS.get(frequency, 1))
    bands, labels = list(shapes), list(annotations)
    for first, last in missing_spans(starts, frequency):
        bands.append({"type": "rect", "x0": first - step, "x1": last + step, "xref": "x", "y0": 0, "y1": 1,
                      "yref": "paper", "fillcolor": "#E8EDEE", "opacity": 0.6, "line": {"width": 0},
                      "layer": "below"})  # fmt: skip
        labels.append(
            {"x": first + (last - first) / 2, "y": 0.02, "yref": "paper", "yanchor": "bottom", "showarrow": False,
             "text": gap_label(first, last, frequency).replace(" held ", " held<br>"),  # two short lines
             "font": {"size": 10, "color": NHS_DARK_GREY}}
        )  # fmt: skip
    add_to_layout(fig, bands, labels)


def add_to_layout(fig: go.Figure, shapes: list[dict], annotations: list[dict]) -> None:
    """Add shapes and annotations to a figure in one layout update.

    Plotly's ``add_vline``, ``add_vrect`` and ``add_annotation`` validate the whole figure on every
    call: a chart with a dozen events spent half a second there (profiled on Urgent care).
    """
    if shapes or annotations:
        fig.update_layout(
            shapes=[*fig.layout.shapes, *shapes], annotations=[*fig.layout.annotations, *annotations]
        )


def line_colours(keys) -> dict[str, str]:
    """A colour per line, keyed by organisation or area code, the same on every chart of a page.

    UHL, the LLR total and England keep their ``FIXED_COLOURS``; any other key takes the colour its
    code points to (a checksum, so not its position in a chart) or, if another line in the same
    chart has it, the next one free, in code order.
    """
    out = {k: FIXED_COLOURS[k] for k in keys if k in FIXED_COLOURS}
    used = set(out.values())
    for key in sorted({k for k in keys if k not in FIXED_COLOURS}):
        start = zlib.crc32(str(key).encode()) % len(_OTHER_COLOURS)
        order = _OTHER_COLOURS[start:] + _OTHER_COLOURS[:start]
        colour = next((c for c in order if c not in used), order[0])
        out[key] = colour
        used.add(colour)
    return out


def _base_layout(fig: go.Figure, metric: Metric, title: str | None, height: int = 420, top: int = 10) -> go.Figure:
    fig.update_layout(
        title=title,
        height=height,
        margin={"l": 10, "r": 10, "t": (50 if title else 10) + top, "b": 10},
        legend={"orientation": "h", "y": -0.15},
        hovermode="closest",
        yaxis_title=_axis_title(metric),
        font={"family": "Arial, sans-serif"},
    )
    if metric.unit == "percent":
        fig.update_yaxes(ticksuffix="%")
    return fig


def _broken(frame: pd.DataFrame, column: str, breaks) -> tuple[list, list]:
    """x and y with a None wherever ``breaks`` is True, so Plotly lifts the pen there."""
    xs, ys = [], []
    for x, y, cut in zip(frame["period_start"], frame[column], breaks, strict=True):
        if cut and xs:
            xs.append(None)
            ys.append(None)
        xs.append(x)
        ys.append(y)
    return xs, ys


def _hover_text(frame: pd.DataFrame, metric: Metric) -> list[str]:
    out = []
    for r in frame.itertuples(index=False):
        text = f"<b>{r.period_label}</b><br>{format_value(r.value, metric.unit, metric.decimals)}"
        if metric.scale is not None and pd.notna(r.numerator) and pd.notna(r.denominator):
            text += f" ({r.numerator:,.0f} of {r.denominator:,.0f})"
        if pd.notna(r.target):
            text += f"<br>Target {format_value(r.target, metric.unit, metric.decimals)}"
        words = POINT_STYLES.get(r.special_cause or "", POINT_STYLES[""])[2] if pd.notna(r.mean) else "run chart"
        text += f"<br>{words}"
        if r.rules:
            text += f" ({rules_in_words(r.rules)})"
        if r.note:
            text += f"<br>{safe.plot(r.note)}"
        out.append(text)
    return out


def spc_chart(frame: pd.DataFrame, metric: Metric, events=(), title: str | None = None) -> go.Figure:
    """An XmR chart of a read-layer series (``Indicator.window``): values, mean and limits per
    segment, a time-varying target, special-cause points, new-limit markers and events.

    A gap in the data lifts the line (no line across a missing year); each segment has its own
    mean and limits; incomplete periods are drawn hollow. ``events`` (``chart_events``) are
    numbered markers above the plot, never over the data.
    """
    fig = new_figure()
    if frame.empty:
        return _base_layout(fig, metric, title)
    gaps = frame["follows_gap"].fillna(False).astype(bool).to_numpy().copy()
    segment_change = frame["segment"].ne(frame["segment"].shift()).to_numpy().copy()
    segment_change[0] = False
    x, y = _broken(frame, "value", gaps)
    fig.add_trace(
        go.Scatter(x=x, y=y, mode="lines", name=metric.name, line={"color": NHS_GREY, "width": 1.5},
                   hoverinfo="skip", showlegend=False)
    )  # fmt: skip
    lines = (
        ("mean", "Mean", {"color": NHS_DARK_GREY, "width": 1.5}),
        ("upl", "Upper process limit", {"color": NHS_DARK_GREY, "width": 1, "dash": "dash"}),
        ("lpl", "Lower process limit", {"color": NHS_DARK_GREY, "width": 1, "dash": "dot"}),
    )
    if frame["mean"].notna().any():
        for col, label, style in lines:
            lx, ly = _broken(frame, col, segment_change)
            fig.add_trace(go.Scatter(x=lx, y=ly, mode="lines", name=label, line=style, hoverinfo="skip"))
    hover = pd.Series(_hover_text(frame, metric), index=frame.index)
    excluded = frame["excluded"].fillna(False).astype(bool)
    for cause, (colour, symbol, words) in POINT_STYLES.items():
        subset = frame[(frame["special_cause"].fillna("") == cause) & ~excluded]
        if subset.empty:
            continue
        fig.add_trace(
            go.Scatter(
                x=subset["period_start"], y=subset["value"], mode="markers", name=words[0].upper() + words[1:],
                marker={"color": colour, "symbol": symbol, "size": 9 if cause else 6,
                        "line": {"width": 0.5, "color": "white"}},
                hovertext=hover[subset.index], hoverinfo="text",
            )
        )  # fmt: skip
    if excluded.any():
        subset = frame[excluded]
        fig.add_trace(
            go.Scatter(
                x=subset["period_start"], y=subset["value"], mode="markers", name="Incomplete (left out of limits)",
                # An open symbol is drawn in the marker colour (its line colour is ignored): grey, so the
                # hollow point shows on the chart and in the legend.
                marker={"color": NHS_DARK_GREY, "symbol": "circle-open", "size": 9, "line": {"width": 2}},
                hovertext=hover[subset.index], hoverinfo="text",
            )
        )  # fmt: skip
    if frame["target"].notna().any():
        tx, ty = _broken(frame, "target", gaps)
        fig.add_trace(
            go.Scatter(
                x=tx, y=ty, mode="lines", name="Target",
                line={"color": NHS_GREEN, "width": 2, "shape": "hv", "dash": "dashdot"}, hoverinfo="skip",
            )
        )  # fmt: skip
    span = (frame["period_start"].max() - frame["period_start"].min()) or pd.Timedelta(days=1)
    previous, row = None, 0
    shapes, labels = [], []
    for number, when, text, kind in events or []:
        colour = NHS_PURPLE if kind == "rebase" else NHS_DARK_GREY
        # Markers closer than 8% of the axis (about 25 px on a phone) sit one above the other.
        row = row + 1 if previous is not None and (when - previous) < 0.08 * span else 0
        previous = when
        shapes.append({"type": "line", "x0": when, "x1": when, "xref": "x", "y0": 0, "y1": 1, "yref": "paper",
                       "line": {"color": colour, "dash": "dot", "width": 1}})  # fmt: skip
        # A numbered marker above the plot area, explained in the list under the chart:
        # labels never cover the data and never print over each other.
        labels.append(
            {"x": when, "y": 1.0 + 0.07 * (row % 3), "yref": "paper", "text": f"<b>{number}</b>",
             "hovertext": safe.plot(text), "showarrow": False, "yanchor": "bottom",
             "font": {"size": 11, "color": colour}, "bgcolor": "white"}
        )  # fmt: skip
    period_axis(fig, frame["period_start"], metric.frequency)
    _mark_gaps(fig, frame.loc[frame["value"].notna(), "period_start"], metric.frequency, shapes, labels)
    return _base_layout(fig, metric, title, top=60 if events else 10)


def chart_events(frame: pd.DataFrame, rebases=(), annotations: pd.DataFrame | None = None) -> list[tuple]:
    """What the chart marks, numbered in date order: ``(number, date, words, kind)``.

    ``kind`` is ``"rebase"`` (new limits, with the reason) or ``"event"`` (a catalogued event).
    Only marks inside the window shown are listed.
    """
    if frame.empty:
        return []
    first, last = frame["period_start"].min(), frame["period_start"].max()
    marks = [(pd.Timestamp(r.start), f"New limits from {r.start:%B %Y}: {r.reason}", "rebase") for r in rebases]
    if annotations is not None and len(annotations):
        for row in annotations.itertuples():
            when = pd.Timestamp(row.on_date)
            if first <= when <= last:
                marks.append((when, f"{when:%B %Y}: {row.text}", "event"))
    marks.sort(key=lambda m: (m[0], m[2] == "rebase"))  # an event before the new limits it caused
    return [(i, when, text, kind) for i, (when, text, kind) in enumerate(marks, 1)]


def compare_chart(
    frame: pd.DataFrame, metric: Metric, label_column: str = "label", title: str | None = None
) -> go.Figure:
    """Lines for several areas or organisations: ``period_start, value`` and a label column.

    Each line is lifted over missing periods; the hover names the period and the figure. A
    ``colour_key`` column (organisation or area code) gives each line its colour from
    ``line_colours``, so an organisation has the same colour on every chart of a page.
    """
    fig = new_figure()
    keys = (
        frame.groupby(label_column, sort=False)["colour_key"].first()
        if "colour_key" in frame
        else pd.Series(dict.fromkeys(frame[label_column].unique() if len(frame) else [], None), dtype=object)
    )
    colours = line_colours([k for k in keys if isinstance(k, str)])
    for i, (label, group) in enumerate(frame.groupby(label_column, sort=False)):
        key = keys.get(label)
        colour = colours[key] if isinstance(key, str) else AREA_COLOURS[i % len(AREA_COLOURS)]
        group = group[group["value"].notna()].sort_values("period_start")
        gaps = follows_gap(group["period_start"], metric.frequency)
        x, y = _broken(group, "value", gaps)
        text = [
            None if v is None else
            f"<b>{safe.plot(label)}</b><br>{short_period_label(pd.Timestamp(p).date(), metric.frequency)}: "
            f"{format_value(v, metric.unit, metric.decimals)}"
            for p, v in zip(x, y, strict=True)
        ]  # fmt: skip
        fig.add_trace(
            go.Scatter(
                x=x,
                y=y,
                mode="lines+markers",
                name=safe.plot(label),  # organisation names come from loaded files
                line={"color": colour, "width": 2},
                marker={"size": 4, "symbol": ["circle", "square", "diamond", "triangle-up", "x"][i % 5]},
                hovertext=text,
                hoverinfo="text",
            )
        )
    if len(frame):
        period_axis(fig, frame["period_start"], metric.frequency)
        # Periods no line has a figure for (no files held for any of them) are named, as on the SPC chart.
        _mark_gaps(fig, frame.loc[frame["value"].notna(), "period_start"], metric.frequency)
    return _base_layout(fig, metric, title)
