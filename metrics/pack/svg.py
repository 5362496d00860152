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

WIDTH, HEIGHT = 680, 250
LEFT, RIGHT, TOP, BOTTOM = 74, 14, 18, 40
GREY, BLUE, ORANGE, PURPLE, DARK, RED = "#768692", "#005EB8", "#ED8B00", "#330072", "#425563", "#DA291C"
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
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="spc-chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title)}" font-family="Arial, Helvetica, sans-serif" font-size="11">'
        f"<title>{escape(title)}</title>"
    )
    if n == 0:
        return head + f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">No figures</text></svg>'
    numeric = pd.concat([frame[c].astype(float) for c in ("value", "upl", "lpl", "target")])
    numeric = numeric[numeric.notna() & numeric.map(math.isfinite)]
    low, high = float(numeric.min()), float(numeric.max())
    if high == low:  # one value, or a flat series: give it room
        low, high = low - (abs(low) * 0.1 or 1.0), high + (abs(high) * 0.1 or 1.0)
    pad = (high - low) * 0.05
    low, high = (max(0.0, low - pad) if low >= 0 else low - pad), high + pad
    ticks = _ticks(low, high)
    y0, y1 = ticks[0], ticks[-1]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

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

    line("upl", DARK, "4 3")
    line("lpl", DARK, "4 3")
    line("mean", DARK, "", 1.0)
    line("target", RED, "8 3", 1.4, by_segment=False)
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
    parts.append("</svg>")
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
