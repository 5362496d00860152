"""A small, dependency-free SVG XmR chart for the meeting pack (printed, offline, no plotly).

Draws what the topic pages draw from the same read-layer series (``Indicator.series``): the
values, the mean and process limits of each SPC segment, the target in force, special-cause
points by shape as well as colour (so a printed black-and-white page still tells them apart,
WCAG 2.2 1.4.1), and period ticks as people write them. Every text is escaped.
"""

from __future__ import annotations

import math
from html import escape

import pandas as pd

from metrics.catalogue import Metric
from metrics.glossary import POINT_WORDS
from metrics.periods import short_period_label
from metrics.targets import format_number

WIDTH, HEIGHT = 760, 214
#: A series of one or two figures (committee-reported figures, a single annual return) has no limits
#: and little to draw: a lower chart, so the printed pack spends its pages on the series that vary.
SHORT_SERIES, SHORT_HEIGHT = 2, 150
LEFT, RIGHT, TOP, BOTTOM = 74, 14, 18, 58  # the bottom holds the period ticks and the legend
GREY, BLUE, ORANGE, PURPLE, DARK, RED = "#768692", "#005EB8", "#ED8B00", "#330072", "#425563", "#DA291C"
GREEN = "#007F3B"  # NHS green: the target, as on the pages' charts (ui.charts)
#: Line styles shared by the lines and the legend, matching the pages' charts (``ui.charts.spc_chart``):
#: the target green dash-dot, so it never prints like the process limits (dark grey, dashed and dotted).
LINE_STYLES = {
    "value": (GREY, "", 1.4),
    "mean": (DARK, "", 1.2),
    "upl": (DARK, "6 4", 1.0),
    "lpl": (DARK, "1.5 3", 1.0),
    "target": (GREEN, "9 3 2 3", 2.0),
}
LEGEND_FONT = 10
#: special_cause -> (colour, shape, words); the same meaning as the pages' chart markers.
_POINT_MARKS = {"improvement": (BLUE, "triangle"), "concern": (ORANGE, "diamond"), "neither": (PURPLE, "square"),
                "": (GREY, "circle")}  # fmt: skip
POINT_STYLES = {cause: (*mark, POINT_WORDS[cause]) for cause, mark in _POINT_MARKS.items()}
MAX_TICKS = 8
#: The unit over the value axis, where the tick labels do not say it themselves.
AXIS_UNITS = {"rate_per_100k": "Per 100,000", "days": "Days", "beds": "Beds", "count": "Number", "ratio": "Ratio"}


def marker(shape: str, x: float, y: float, colour: str, size: float = 4.0, hollow: bool = False) -> str:
    """One point marker: circle, triangle, diamond or square centred on (x, y)."""
    fill = "#fff" if hollow else colour
    style = f'fill="{fill}" stroke="{colour}" stroke-width="1.2"'
    s = size
    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{s * 0.8:.1f}" {style}/>'
    if shape == "square":
        corner, side = s * 0.8, s * 1.6
        return f'<rect x="{x - corner:.1f}" y="{y - corner:.1f}" width="{side:.1f}" height="{side:.1f}" {style}/>'
    if shape == "diamond":
        pts = [(x, y - s * 1.2), (x + s, y), (x, y + s * 1.2), (x - s, y)]
    else:  # triangle, pointing up
        pts = [(x, y - s * 1.2), (x + s, y + s * 0.8), (x - s, y + s * 0.8)]
    return f'<polygon points="{" ".join(f"{a:.1f},{b:.1f}" for a, b in pts)}" {style}/>'


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round-number axis ticks covering ``low``..``high``."""
    span = high - low or abs(high) or 1.0
    raw = span / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high:
        ticks.append(ticks[-1] + step)
    return ticks


def _path(points: list[tuple[float, float] | None]) -> str:
    """An SVG path through ``points``, lifting the pen at each None."""
    out, pen_down = [], False
    for p in points:
        if p is None:
            pen_down = False
            continue
        out.append(f"{'L' if pen_down else 'M'}{p[0]:.1f},{p[1]:.1f}")
        pen_down = True
    return " ".join(out)


def spc_svg(frame: pd.DataFrame, metric: Metric, title: str) -> str:
    """An XmR chart of a read-layer series as an inline ``<svg>`` element.

    Parameters
    ----------
    frame : DataFrame
        Rows of ``Indicator.series`` (``period_start``, ``value``, ``mean``, ``upl``, ``lpl``,
        ``segment``, ``target``, ``special_cause``, ``follows_gap``, ``excluded``).
    metric : Metric
    title : str
        The accessible name of the chart (``<title>``).

    Returns
    -------
    str
        Self-contained SVG markup (no scripts, no external references).
    """
    n = len(frame)
    height = SHORT_HEIGHT if 0 < n <= SHORT_SERIES else HEIGHT
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="spc-chart" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-label="{escape(title)}" font-family="Arial, Helvetica, sans-serif" font-size="11">'
        f"<title>{escape(title)}</title>"
    )
    if n == 0:
        return head + f'<text x="{WIDTH / 2}" y="{height / 2}" text-anchor="middle">No figures</text></svg>'
    numeric = pd.concat([frame[c].astype(float) for c in ("value", "upl", "lpl", "target")])
    numeric = numeric[numeric.notna() & numeric.map(math.isfinite)]
    low, high = float(numeric.min()), float(numeric.max())
    if high == low:  # one value, or a flat series: give it room
        low, high = low - (abs(low) * 0.1 or 1.0), high + (abs(high) * 0.1 or 1.0)
    pad = (high - low) * 0.05
    low, high = (max(0.0, low - pad) if low >= 0 else low - pad), high + pad
    ticks = _ticks(low, high)
    y0, y1 = ticks[0], ticks[-1]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, height - TOP - BOTTOM

    days = (pd.to_datetime(frame["period_start"]) - pd.Timestamp(frame["period_start"].iloc[0])).dt.days.to_numpy()
    span = float(days[-1]) or 1.0

    def x_at(i: int) -> float:  # by date, so a gap in the data shows as a gap in time
        return LEFT + 8 + (plot_w - 16) * (days[i] / span if n > 1 else 0.5)

    def y_at(v: float) -> float:
        return TOP + plot_h * (1 - (v - y0) / ((y1 - y0) or 1.0))

    parts = [head]
    if metric.unit in AXIS_UNITS:
        parts.append(f'<text x="4" y="9" fill="{DARK}" font-size="10">{escape(AXIS_UNITS[metric.unit])}</text>')
    for t in ticks:  # gridlines and labels
        y = y_at(t)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#E8EDEE"/>')
        label = tick_label(t, metric.unit, _tick_decimals(ticks))
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{DARK}">{escape(label)}</text>')
    parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" stroke="{DARK}"/>')
    for i in tick_positions(frame["period_start"], metric.frequency):  # period ticks
        start = pd.Timestamp(frame["period_start"].iloc[i]).date()
        label = short_period_label(start, metric.frequency)
        x = x_at(i)
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{TOP + plot_h}" y2="{TOP + plot_h + 4}" stroke="{DARK}"/>')
        # A label near either end is anchored inwards, so it is never cut at the chart's edge.
        anchor = "start" if x < LEFT + 30 else "end" if x > WIDTH - RIGHT - 30 else "middle"
        parts.append(
            f'<text x="{x:.1f}" y="{TOP + plot_h + 17}" text-anchor="{anchor}" fill="{DARK}">{escape(label)}</text>'
        )
    segments = frame["segment"].to_numpy()
    gaps = frame["follows_gap"].fillna(False).astype(bool).to_numpy()

    def line(column: str, colour: str, dash: str = "", width: float = 1.2, by_segment: bool = True) -> None:
        pts: list[tuple[float, float] | None] = []
        for i, v in enumerate(frame[column].astype(float)):
            new_segment = by_segment and i > 0 and segments[i] != segments[i - 1]
            if pd.isna(v) or new_segment:
                pts.append(None)
            if pd.notna(v):
                pts.append((x_at(i), y_at(v)))
        d = _path(pts)
        if d:
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            parts.append(
                f'<path class="{column}" d="{d}" fill="none" stroke="{colour}" stroke-width="{width}"{dash_attr}/>'
            )

    for column in ("upl", "lpl", "mean"):
        line(column, *LINE_STYLES[column])
    target_points: list[tuple[float, float] | None] = []
    for i, v in enumerate(frame["target"].astype(float)):  # a step, as the pages draw it (plotly "hv")
        if pd.isna(v) or (i and gaps[i]):
            target_points.append(None)
        if pd.notna(v):
            if target_points and target_points[-1] is not None:
                target_points.append((x_at(i), target_points[-1][1]))
            target_points.append((x_at(i), y_at(v)))
    runs: list[list[tuple[float, float]]] = [[]]
    for point in target_points:  # a target in force for one period only is still drawn: a short step
        if point is None:
            runs.append([])
        else:
            runs[-1].append(point)
    target_points = []
    for run in (r for r in runs if r):
        if len(run) == 1:
            run = [(run[0][0] - 14, run[0][1]), (run[0][0] + 14, run[0][1])]
        target_points += [*run, None]
    if any(target_points):
        colour, dash, width = LINE_STYLES["target"]
        parts.append(
            f'<path class="target" d="{_path(target_points)}" fill="none" stroke="{colour}" stroke-width="{width}" '
            f'stroke-dasharray="{dash}"/>'
        )
    value_points: list[tuple[float, float] | None] = []
    for i, v in enumerate(frame["value"].astype(float)):  # a gap in the data lifts the pen
        if i and gaps[i]:
            value_points.append(None)
        value_points.append((x_at(i), y_at(v)))
    parts.append(f'<path class="value" d="{_path(value_points)}" fill="none" stroke="{GREY}" stroke-width="1.4"/>')
    size = 4.0 if n <= 60 else 3.0 if n <= 120 else 2.2
    for i, r in enumerate(frame.itertuples(index=False)):
        cause = r.special_cause if isinstance(r.special_cause, str) else ""
        colour, shape, _ = POINT_STYLES.get(cause, POINT_STYLES[""])
        hollow = bool(r.excluded) if pd.notna(r.excluded) else False
        parts.append(marker(shape, x_at(i), y_at(float(r.value)), colour, size, hollow))
    parts.append(legend_svg(legend_entries(frame), TOP + plot_h + 32))
    parts.append("</svg>")
    return "".join(parts)


def legend_entries(frame: pd.DataFrame) -> list[tuple[str, str]]:
    """What a chart of ``frame`` draws, as ``(kind, words)`` for its legend, in drawing order.

    Only what is on the chart is listed: the target when one is in force, limits when there are
    any, each kind of special-cause point that occurs, hollow points when a period is incomplete.
    """
    entries = [("value", "Figures (common cause)")]
    if frame["mean"].notna().any():
        entries += [("mean", "Mean"), ("upl", "Upper process limit"), ("lpl", "Lower process limit")]
    if frame["target"].notna().any():
        entries.append(("target", "Target"))
    causes = set(frame["special_cause"].fillna(""))
    for cause in ("improvement", "concern", "neither"):
        if cause in causes:
            words = POINT_STYLES[cause][2]
            entries.append((cause, words[0].upper() + words[1:]))
    if frame["excluded"].fillna(False).astype(bool).any():
        entries.append(("excluded", "Incomplete period (left out of the limits)"))
    return entries


def legend_svg(entries: list[tuple[str, str]], y: float) -> str:
    """A legend from ``y`` down (a second row when one is not enough), drawn inside the chart, so that it is on
    the page with the chart wherever the chart is printed or copied."""
    parts = ['<g class="legend">']
    x, row = float(LEFT), 0
    for kind, words in entries:
        width = 26 + len(words) * LEGEND_FONT * 0.52 + 14  # sample, text at about half an em a letter, space
        if x + width > WIDTH - RIGHT and x > LEFT:
            x, row = float(LEFT), row + 1
        cy = y + 14 * row
        if kind in LINE_STYLES:
            colour, dash, stroke = LINE_STYLES[kind]
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            parts.append(
                f'<line x1="{x:.1f}" x2="{x + 22:.1f}" y1="{cy:.1f}" y2="{cy:.1f}" stroke="{colour}" '
                f'stroke-width="{stroke}"{dash_attr}/>'
            )
            if kind == "value":
                parts.append(marker("circle", x + 11, cy, GREY, 3.5))
        elif kind == "excluded":
            parts.append(marker("circle", x + 11, cy, GREY, 3.5, hollow=True))
        else:
            colour, shape, _ = POINT_STYLES[kind]
            parts.append(marker(shape, x + 11, cy, colour, 3.5))
        parts.append(
            f'<text x="{x + 26:.1f}" y="{cy + 3.5:.1f}" fill="{DARK}" font-size="{LEGEND_FONT}">{escape(words)}</text>'
        )
        x += width
    parts.append("</g>")
    return "".join(parts)


def tick_positions(starts: pd.Series, frequency: str) -> list[int]:
    """Row numbers to label on the time axis: at most ``MAX_TICKS``, monthly ticks on Aprils
    (financial years start in April) when the series is long."""
    n = len(starts)
    step = max(1, math.ceil(n / MAX_TICKS))
    if frequency != "month" or step == 1:
        return list(range(0, n, step))
    step = 12 * math.ceil(step / 12) if step > 6 else 6 if step > 3 else 3
    months = pd.to_datetime(starts)
    aprils = [i for i, d in enumerate(months) if d.month == 4]
    first = aprils[0] if aprils else 0
    base = months.iloc[first]
    return [
        i for i, d in enumerate(months) if i >= first and ((d.year - base.year) * 12 + d.month - base.month) % step == 0
    ]


def tick_label(value: float, unit: str, decimals: int) -> str:
    """A value-axis label short enough for the margin: ``80%``, ``£1,000``, ``12,500``."""
    number = format_number(value, decimals)
    return f"{number}%" if unit == "percent" else f"£{number}" if unit == "gbp" else number


def _tick_decimals(ticks: list[float]) -> int:
    """Enough decimals to tell the ticks apart, and no more."""
    for decimals in range(0, 4):
        if all(abs(round(t, decimals) - t) < 1e-9 for t in ticks):
            return decimals
    return 3
