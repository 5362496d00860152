"""One indicator for one area, ready to chart: the series, its SPC analysis and its targets."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from metrics import spc, targets
from metrics.catalogue import Catalogue, Metric
from metrics.periods import period_label


@dataclass(frozen=True)
class IndicatorView:
    metric: Metric
    series: pd.DataFrame  # area series from calc.area_series, limited to the chosen window
    spc: spc.SPCResult | None
    targets: pd.DataFrame  # period_start, target, kind, source_text
    breaks: list[tuple[dt.date, str]]

    def latest_status(self) -> tuple[str, str, str]:
        """The latest period's label, target status and the status in words."""
        known = self.series.dropna(subset=["value"])
        if known.empty:
            return "", "no_data", "No figure"
        last = known.iloc[-1]
        match = self.targets[self.targets["period_start"] == last["period_start"]]
        target = match["target"].iloc[0] if len(match) else None
        m = self.metric
        label = period_label(last["period_start"].date(), last["period_type"])
        return (
            label,
            targets.status(last["value"], target, m.improvement_direction),
            targets.status_words(last["value"], target, m.improvement_direction, m.unit, m.decimals),
        )

    @property
    def table(self) -> pd.DataFrame:
        """The chart's data as a table a screen reader (or a board paper) can use."""
        out = self.series[["period_start", "period_type", "numerator", "denominator", "value"]].copy()
        out.insert(
            0,
            "period",
            [period_label(p.date(), t) for p, t in zip(out["period_start"], out["period_type"], strict=True)],
        )
        out = out.merge(self.targets[["period_start", "target"]], on="period_start", how="left")
        if self.spc is not None and self.spc.has_limits:
            pts = self.spc.points.rename(columns={"date": "period_start"})
            out = out.merge(
                pts[["period_start", "mean", "lpl", "upl", "special_cause", "rules"]], on="period_start", how="left"
            )
        return out.drop(columns=["period_type"])


def indicator_view(
    series: pd.DataFrame, metric: Metric, cat: Catalogue, area_id: str, start_year: int
) -> IndicatorView:
    """Limit ``series`` to April ``start_year`` onwards and run SPC with the metric's targets.

    Series breaks inside the window re-base the process limits (Making Data Count: recalculate
    limits after a known change in the process).
    """
    start = pd.Timestamp(dt.date(start_year, 4, 1))
    window = series[series["period_start"] >= start].sort_values("period_start").reset_index(drop=True)
    org_code = cat.area_by_id[area_id].org_code
    periods = list(window["period_start"])
    target_frame = (
        targets.targets_for_periods(metric, org_code, periods)
        if periods
        else pd.DataFrame(columns=["period_start", "target", "kind", "source_text"])
    )
    target_frame["period_start"] = pd.to_datetime(target_frame["period_start"])
    breaks = [
        (b.date, b.reason)
        for b in metric.series_breaks
        if len(window) and window["period_start"].min() < pd.Timestamp(b.date) <= window["period_start"].max()
    ]
    result = None
    values = window["value"]
    if values.notna().any():
        settings = spc.SPCSettings(rebase_dates=tuple(b for b, _ in breaks))
        target_values = target_frame.set_index("period_start")["target"].reindex(window["period_start"]).to_numpy()
        has_target = pd.notna(target_values).any()
        result = spc.xmr(
            values.to_numpy(),
            window["period_start"].to_numpy(),
            metric.improvement_direction,
            target=target_values if has_target else None,
            settings=settings,
        )
    return IndicatorView(metric, window, result, target_frame, breaks)
