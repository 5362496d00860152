"""The read layer: what a reader sees for one metric in one area.

One function, :func:`indicator`, decides everything a page, the brief, a download, the pack or
the command line shows for a metric and an area (docs/architecture.md, "the read layer"):

- the series: the area's roll-up of its member organisations (a ratio of sums for rates), else
  the figures stored under the area's own code, in the metric's own frequency;
- the members in force in each period, and a new SPC segment wherever they change (a total that
  gains a site is not the same measure as before), with the reason;
- the SPC result (``metrics.spc.xmr``) on the whole series, re-based at catalogued series breaks,
  at system changes that affect the metric and at membership changes, with gaps breaking the
  moving range. The limits never depend on what a page chooses to display: a display window is a
  slice of the result (:meth:`Indicator.window`), not an input to it;
- the target in force for every period; the named components of a blended roll-up (for LLR
  A&E, University Hospitals of Leicester beside the urgent treatment centres); data currency;
  and the source ids behind every figure (provenance).

Pure: observations in, frozen result out; ``ui/`` only caches it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from metrics import spc, targets
from metrics.calc import SERIES_COLUMNS, area_series, format_value, rollup
from metrics.catalogue import Catalogue, Metric
from metrics.currency import Currency, series_currency
from metrics.periods import period_label
from metrics.targets import targets_for_periods

SPC_COLUMNS = ["mean", "upl", "lpl", "upper_2sigma", "lower_2sigma", "segment", "rules", "special_cause", "direction"]
TARGET_COLUMNS = ["target", "target_kind", "target_source", "standard"]
INDICATOR_COLUMNS = [
    *SERIES_COLUMNS, "period_label", *TARGET_COLUMNS, *SPC_COLUMNS, "follows_gap", "excluded", "note",
]  # fmt: skip
#: A member missing for fewer periods than this, then back, makes those periods incomplete
#: (left out of the limits and rules, and said so) rather than a change of membership.
SHORT_ABSENCE = 3


@dataclass(frozen=True)
class Rebase:
    """Where a new SPC segment starts, and why."""

    start: pd.Timestamp  # first period of the new segment
    reason: str
    kind: str  # "series_break" | "system_change" | "membership"


@dataclass(frozen=True)
class ComponentSeries:
    """A named part of a blended roll-up, shown beside the total."""

    id: str
    name: str
    series: pd.DataFrame  # calc.ROLLUP_COLUMNS
    members: tuple[str, ...] = ()
    main: bool = False  # the main provider of the blend (config ``main: true``)


@dataclass(frozen=True)
class Indicator:
    """What a reader sees for one metric in one area (see the module docstring)."""

    metric: Metric
    area_id: str
    org_code: str
    series: pd.DataFrame  # INDICATOR_COLUMNS, every period, date order
    spc: spc.SPCResult | None
    rebases: tuple[Rebase, ...] = ()
    components: tuple[ComponentSeries, ...] = ()
    currency: Currency = field(default_factory=lambda: Currency("no_data"))

    @property
    def empty(self) -> bool:
        return self.series.empty

    @property
    def variation(self) -> str | None:
        return self.spc.variation if self.spc is not None else None

    @property
    def assurance(self) -> str | None:
        return self.spc.assurance if self.spc is not None else None

    @property
    def latest(self) -> pd.Series | None:
        """The latest row of the series (None when there is none)."""
        return None if self.series.empty else self.series.iloc[-1]

    @property
    def source_ids(self) -> tuple[int, ...]:
        """Every source file id behind the series (provenance)."""
        return tuple(sorted({int(i) for ids in self.series["source_ids"] for i in ids}))

    def window(self, start_year: int | None) -> pd.DataFrame:
        """The rows a page displays from April of ``start_year`` (the limits are unchanged)."""
        if start_year is None:
            return self.series
        return self.series[self.series["period_start"] >= pd.Timestamp(start_year, 4, 1)].reset_index(drop=True)

    def rebases_in(self, frame: pd.DataFrame) -> list[Rebase]:
        """The rebases that fall inside a displayed window."""
        if frame.empty:
            return []
        first, last = frame["period_start"].min(), frame["period_start"].max()
        return [r for r in self.rebases if first < r.start <= last]


# ---------------------------------------------------------------------------- the read


def area_indicators(
    obs: pd.DataFrame, catalogue: Catalogue, area_id: str, today: dt.date | None = None
) -> dict[str, Indicator]:
    """Every metric's :func:`indicator` for one area from the area's rows, read once.

    The brief, its questions and the meeting pack all start from these, so each series is built
    and judged once per area rather than once per consumer.

    Parameters
    ----------
    obs : DataFrame
        The area's observations with derived rates (``Reader.area_rows``).
    catalogue : Catalogue
    area_id : str
    today : date, optional
        For data currency; defaults to today.

    Returns
    -------
    dict
        Metric id -> :class:`Indicator`, in the order the metrics first appear in ``obs``; metrics
        with no rows are absent.
    """
    by_metric = dict(tuple(obs.groupby("metric_id", sort=False))) if len(obs) else {}
    return {mid: indicator(part, catalogue, mid, area_id, today) for mid, part in by_metric.items()}


def indicator(
    obs: pd.DataFrame, catalogue: Catalogue, metric_id: str, area_id: str, today: dt.date | None = None
) -> Indicator:
    """What a reader sees for ``metric_id`` in ``area_id``.

    Parameters
    ----------
    obs : DataFrame
        Observations (``store.read_observations`` with derived rates added) holding at least the
        metric's rows for the area's members and the area's own code; other rows are ignored.
    catalogue : Catalogue
    metric_id, area_id : str
    today : date, optional
        For data currency; defaults to today.

    Returns
    -------
    Indicator
    """
    metric = catalogue.metric(metric_id)
    area = catalogue.area_by_id[area_id]
    rows = obs[obs["metric_id"].to_numpy(dtype=object) == metric_id] if "metric_id" in obs else obs
    series = area_series(rows, catalogue, metric_id, area_id)
    # One period type per series, the metric's own: a stray yearly total beside a monthly
    # series would break the run of points.
    series = series[(series["period_type"] == metric.frequency) & series["value"].notna()].reset_index(drop=True)
    if series.empty:
        none = series_currency(catalogue, metric_id, None, today)
        return Indicator(metric, area_id, area.org_code, _empty_indicator_frame(), None, currency=none)
    incomplete = incomplete_periods(series, catalogue)
    rebases = _rebases(series[~series["period_start"].isin(incomplete)], metric, catalogue)
    targets = targets_for_periods(metric, area.org_code, series["period_start"])
    settings = catalogue.spc_settings(
        rebase_dates=[r.start for r in rebases], rebase_reasons=[r.reason for r in rebases]
    )
    settings = dataclasses.replace(settings, excluded_dates=tuple(incomplete))
    target_values = targets["target"].to_numpy()
    result = spc.xmr(
        series["value"].to_numpy(),
        series["period_start"].to_numpy(),
        metric.improvement_direction,
        target=target_values if np.isfinite(target_values).any() else None,
        settings=settings,
        frequency=metric.frequency,
    )
    # xmr returns its points in date order, one per period of the (sorted, unique) series.
    points = result.points
    starts = series["period_start"]
    columns = {c: series[c].to_numpy() for c in SERIES_COLUMNS}
    columns.update(
        period_label=pd.array([_label(p, metric.frequency) for p in starts.tolist()], dtype=object),
        target=target_values,
        target_kind=targets["kind"].to_numpy(),
        target_source=targets["source_text"].to_numpy(),
        standard=targets["standard"].to_numpy(),
        **{c: points[c].to_numpy() for c in [*SPC_COLUMNS, "follows_gap", "excluded"]},
        note=pd.array([incomplete.get(p, "") for p in starts], dtype=object),
    )
    frame = pd.DataFrame(columns, columns=INDICATOR_COLUMNS)
    return Indicator(
        metric,
        area_id,
        area.org_code,
        frame[INDICATOR_COLUMNS],
        result,
        tuple(rebases),
        _components(rows, catalogue, metric, area_id),
        series_currency(catalogue, metric_id, frame["period_start"].iloc[-1], today),
    )


@functools.lru_cache(maxsize=4096)
def _label(start: pd.Timestamp, frequency: str) -> str:
    return period_label(start.date(), frequency)


def _empty_indicator_frame() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in INDICATOR_COLUMNS})
    frame["period_start"] = pd.Series(dtype="datetime64[ns]")
    for col in ("numerator", "denominator", "value", "target", "standard", "mean", "upl", "lpl"):
        frame[col] = pd.Series(dtype="float64")
    return frame


def _rebases(series: pd.DataFrame, metric: Metric, catalogue: Catalogue) -> list[Rebase]:
    """Catalogued series breaks, system changes for this metric, and changes of membership."""
    out: list[Rebase] = []
    starts = series["period_start"]
    first, last = starts.min(), starts.max()

    def first_on_or_after(day) -> pd.Timestamp | None:
        later = starts[starts >= pd.Timestamp(day)]
        return later.iloc[0] if len(later) else None

    for brk in metric.series_breaks:
        at = first_on_or_after(brk.date)
        if at is not None and first < at <= last:
            out.append(Rebase(at, brk.reason, "series_break"))
    for event in catalogue.system_changes(metric.id):
        at = first_on_or_after(event.on_date)
        if at is not None and first < at <= last:
            out.append(Rebase(at, f"{event.text} ({event.on_date:%B %Y})", "system_change"))
    out.extend(membership_changes(series, catalogue))
    merged: dict[pd.Timestamp, Rebase] = {}
    for r in sorted(out, key=lambda r: r.start):
        if r.start in merged:
            prev = merged[r.start]
            merged[r.start] = Rebase(r.start, f"{prev.reason}; {r.reason}", prev.kind)
        else:
            merged[r.start] = r
    return list(merged.values())


def incomplete_periods(series: pd.DataFrame, catalogue: Catalogue) -> dict[pd.Timestamp, str]:
    """Periods of a roll-up in which a member briefly did not report: period -> note.

    A run of fewer than ``SHORT_ABSENCE`` periods whose members are a strict subset of those
    before it, followed by the same members again (or by nothing yet), is a gap in reporting,
    not a new membership: the total for those periods is not like-for-like, so it is left
    out of the SPC limits and rules (shown, ghosted, with this note).
    """
    keys = [(b, tuple(m)) for b, m in zip(series["basis"], series["members"], strict=True)]
    runs: list[list] = []  # [key, first index, last index]
    for i, key in enumerate(keys):
        if runs and runs[-1][0] == key:
            runs[-1][2] = i
        else:
            runs.append([key, i, i])
    names = catalogue.organisation_by_code
    out: dict[pd.Timestamp, str] = {}
    for j in range(1, len(runs)):
        (basis, members), first, last = runs[j]
        before = runs[j - 1][0]
        after = runs[j + 1][0] if j + 1 < len(runs) else None
        missing = set(before[1]) - set(members)
        short = last - first + 1 < SHORT_ABSENCE
        if basis != "rollup" or before[0] != "rollup" or not short or not missing or not set(members) < set(before[1]):
            continue
        if after is not None and after != before:
            continue
        who = ", ".join(f"{names[c].name if c in names else c} ({c})" for c in sorted(missing))
        for i in range(first, last + 1):
            out[series["period_start"].iloc[i]] = f"Incomplete: {who} did not report; left out of the process limits"
    return out


def membership_changes(series: pd.DataFrame, catalogue: Catalogue) -> list[Rebase]:
    """A rebase wherever the organisations behind the figure change (or its basis does).

    ``series`` is ``calc.area_series`` output in date order. Joining or leaving members, and a
    switch between the published roll-up and figures reported for the area itself, make the
    total a different measure from the one before (issue: a total that gains urgent treatment
    centres is "unusually high" only because it counts more sites).
    """
    out = []
    names = catalogue.organisation_by_code
    previous = None
    for row in series[["period_start", "basis", "members"]].itertuples(index=False):
        current = (row.basis, tuple(row.members))
        if previous is not None and current != previous:
            out.append(
                Rebase(row.period_start, _membership_words(previous, current, names, row.period_start), "membership")
            )
        previous = current
    return out


def _membership_words(previous: tuple, current: tuple, names: dict, when: pd.Timestamp) -> str:
    (old_basis, old), (new_basis, new) = previous, current
    if old_basis != new_basis:
        what = (
            "the published figures of its organisations" if new_basis == "rollup" else "figures reported for the area"
        )
        return f"From {when:%B %Y} the figure is {what}"

    def label(codes) -> str:
        return ", ".join(f"{names[c].name if c in names else c} ({c})" for c in sorted(codes))

    parts = []
    if joined := set(new) - set(old):
        parts.append(f"{label(joined)} {'join' if len(joined) > 1 else 'joins'} the total")
    if left := set(old) - set(new):
        parts.append(f"{label(left)} {'leave' if len(left) > 1 else 'leaves'} the total")
    return f"From {when:%B %Y}: " + "; ".join(parts)


def _components(rows: pd.DataFrame, catalogue: Catalogue, metric: Metric, area_id: str) -> tuple[ComponentSeries, ...]:
    parts = []
    for comp in catalogue.components(metric.id, area_id):
        series = rollup(rows, metric, comp.members, catalogue.successor_map)
        series = series[(series["period_type"] == metric.frequency) & series["value"].notna()].reset_index(drop=True)
        if not series.empty:
            parts.append(ComponentSeries(comp.id, comp.name, series, tuple(comp.members), comp.main))
    return tuple(parts)


def components_text(ind: Indicator) -> str:
    """The latest figure of each component beside the total, in words.

    e.g. ``University Hospitals of Leicester (...): 66.4% (14,290 of 21,520); DHU urgent
    treatment centres: 99.1% (...)`` for the latest period of the total.

    A part with no activity of that kind in the period (figure, numerator and denominator all
    zero or absent: urgent treatment centres admit no one, so have no 12-hour waits from a
    decision to admit) is left out rather than shown as ": 0" (issue #20).
    """
    latest = ind.latest
    if latest is None or not ind.components:
        return ""
    m = ind.metric
    out = []
    for comp in ind.components:
        same = comp.series[comp.series["period_start"] == latest["period_start"]]
        if same.empty:
            continue
        row = same.iloc[-1]
        if no_activity(row):
            continue
        text = f"{comp.name}: {format_value(row['value'], m.unit, m.decimals)}"
        if m.scale is not None and pd.notna(row["numerator"]) and pd.notna(row["denominator"]):
            text += f" ({row['numerator']:,.0f} of {row['denominator']:,.0f})"
        out.append(text)
    return "; ".join(out)


def no_activity(row: pd.Series) -> bool:
    """True when a figure, its numerator and its denominator are each zero or absent."""
    return all(pd.isna(row.get(c)) or float(row.get(c)) == 0 for c in ("value", "numerator", "denominator"))


def ordinal(n: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``11th``, ``103rd``."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def numbers_text(metric: Metric, numerator: float, denominator: float) -> str:
    """The absolute numbers behind a percentage or rate, e.g. ``6,240 of 10,000 attendances within 4 hours``."""
    if metric.scale is None or pd.isna(numerator) or pd.isna(denominator):
        return ""
    if metric.unit == "rate_per_100k":
        return f"{targets.format_number(numerator)} in a population of {targets.format_number(denominator)}"
    words = metric.number_words
    text = f"{targets.format_number(numerator)} of {targets.format_number(denominator)}"
    return f"{text} {words.of}" if words else text


@dataclass(frozen=True)
class MainProvider:
    """The main provider of a blended roll-up, on its own, beside the total (issue #20).

    Its own latest figure (for the total's latest period), judged against the same target as
    the total, and its rank among its peers for that same period (``metrics.compare``, the
    ranking Compare shows).
    """

    name: str
    org_codes: tuple[str, ...]
    period_start: pd.Timestamp
    period_label: str
    value: float
    numerator: float
    denominator: float
    value_text: str
    numbers_text: str
    target: float | None
    status: str  # metrics.targets.status
    status_text: str  # "Missed the 78% target by 11.6 percentage points"
    gap: float  # target - value in the metric's unit (NaN without a target)
    rank: int | None = None
    peers: int | None = None
    pool: str = ""
    quartile_words: str = ""

    @property
    def rank_text(self) -> str:
        """``103rd of 121 NHS trusts with a major (type 1) emergency department``, '' without a rank."""
        if self.rank is None or not self.peers:
            return ""
        pool = self.pool[:1].lower() + self.pool[1:] if self.pool[:3] == "Org" else self.pool
        return f"{ordinal(self.rank)} of {self.peers} {pool}"

    def text(self, metric: Metric) -> str:
        """The provider's own figure, verdict and rank in one line, for the card, pages and pack.

        e.g. ``University Hospitals of Leicester (...) on its own: 66.4% in March 2026 (16,975 of
        25,557 attendances within 4 hours). Missed the 78% target by 11.6 percentage points.
        103rd of 121 NHS trusts with a major (type 1) emergency department (1st is the best; worst
        quarter).``
        """
        numbers = f" ({self.numbers_text})" if self.numbers_text else ""
        out = f"{self.name} on its own: {self.value_text} in {self.period_label}{numbers}."
        if self.target is not None:
            out += f" {self.status_text}."
        if self.rank_text:
            if metric.improvement_direction == "neutral":
                order = "1st is the highest"
            else:
                order = "1st is the best"
            out += f" Ranked {self.rank_text} ({order}; {self.quartile_words})."
        return out


def main_provider(ind: Indicator, rank: dict | None = None) -> MainProvider | None:
    """The main provider's own figure beside the total, for the total's latest period.

    Parameters
    ----------
    ind : Indicator
    rank : dict, optional
        The provider's row of ``metrics.compare.rank_among_peers`` (``Reader.main_provider_ranks``);
        used only when it ranks the same period as the figure, among more than one.

    Returns
    -------
    MainProvider or None
        None when the area's roll-up has no main provider, or it has no figure (or no activity
        of that kind) in the total's latest period, or no other part had any (then the total is
        the provider's own figure, not a blend).
    """
    latest = ind.latest
    comp = next((c for c in ind.components if c.main), None)
    if latest is None or comp is None:
        return None
    same = comp.series[comp.series["period_start"] == latest["period_start"]]
    if same.empty or no_activity(same.iloc[-1]):
        return None
    others = [c.series[c.series["period_start"] == latest["period_start"]] for c in ind.components if not c.main]
    if not any(len(o) and not no_activity(o.iloc[-1]) for o in others):
        return None  # no other part had activity of this kind: the total is the provider's, not a blend
    row = same.iloc[-1]
    m = ind.metric
    value = float(row["value"])
    target = None if pd.isna(latest["target"]) else float(latest["target"])
    status = targets.status(value, target, m.improvement_direction)
    out = dict(
        name=comp.name,
        org_codes=comp.members,
        period_start=latest["period_start"],
        period_label=latest["period_label"],
        value=value,
        numerator=float(row["numerator"]) if pd.notna(row["numerator"]) else np.nan,
        denominator=float(row["denominator"]) if pd.notna(row["denominator"]) else np.nan,
        value_text=format_value(value, m.unit, m.decimals),
        numbers_text=numbers_text(m, row["numerator"], row["denominator"]),
        target=target if status != "no_target" else None,
        status=status,
        status_text=targets.status_words(value, target, m.improvement_direction, m.unit, m.decimals),
        gap=(target - value) if status != "no_target" else np.nan,
    )
    # A rank among one is no comparison (Compare lists only pools of more than one).
    same_period = (
        rank is not None
        and pd.Timestamp(rank["period_start"]) == latest["period_start"]
        and tuple(comp.members) == (rank["org_code"],)
        and int(rank["peers"]) > 1
    )
    if same_period:
        out.update(rank=int(rank["rank"]), peers=int(rank["peers"]), pool=str(rank["pool"]),
                   quartile_words=str(rank["quartile_words"]))  # fmt: skip
    return MainProvider(**out)


def latest_status(ind: Indicator) -> tuple[str, str, str]:
    """The latest period's label, target status and the status in words."""
    last = ind.latest
    if last is None:
        return "", "no_data", "No figure"
    m = ind.metric
    target = None if pd.isna(last["target"]) else float(last["target"])
    return (
        last["period_label"],
        targets.status(last["value"], target, m.improvement_direction),
        targets.status_words(last["value"], target, m.improvement_direction, m.unit, m.decimals),
    )
