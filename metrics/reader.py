"""The read layer's entry point: one object that reads the store and says what a reader sees.

Pages (through ``ui.data``, which only caches), the brief and its summary, the meeting pack,
Compare, the Data page and the command line all ask a :class:`Reader`; none of them reads
observations for the figures a reader sees. The reader picks what to read (the metric's inputs,
the area's members, derived rates) and hands the rows to the pure functions of the read layer:
``metrics.query.indicator`` for one metric and area, ``metrics.brief`` and ``metrics.summary``
for the brief, ``metrics.compare`` for comparisons and ranks.

Reading never writes: every method only selects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
from sqlalchemy import Engine

from metrics import areas, calc, compare, fetch_status, query, store
from metrics import brief as brief_module
from metrics import funnel as funnel_module
from metrics import summary as summary_module
from metrics.catalogue import Catalogue


class Reader:
    """What a reader sees, read from one store with one catalogue.

    Parameters
    ----------
    engine : Engine
        The store (``metrics.store.make_engine``).
    catalogue : Catalogue
    """

    #: Areas whose indicators are kept (``area_indicators``): a reader lives for one data version.
    KEPT_AREAS = 48

    def __init__(self, engine: Engine, catalogue: Catalogue) -> None:
        self.engine = engine
        self.catalogue = catalogue
        self._indicators: dict[tuple[str, dt.date], dict[str, query.Indicator]] = {}

    # ------------------------------------------------------------------ rows (private to the layer)
    def _observations(
        self, metric_ids: Sequence[str] | None, org_codes: Sequence[str] | None, period: pd.Timestamp | None = None
    ) -> pd.DataFrame:
        """Stored rows with the derived rates the metrics need (filtered in SQL; one period when given)."""
        wanted = calc.inputs_for(metric_ids, self.catalogue) if metric_ids is not None else None
        day = None if period is None else pd.Timestamp(period).date()
        obs = store.read_observations(self.engine, metric_ids=wanted, org_codes=org_codes, start=day, end=day)
        obs = calc.add_derived_rates(obs, self.catalogue)
        return obs if metric_ids is None else obs[obs["metric_id"].isin(metric_ids)].reset_index(drop=True)

    def _area_codes(self, metric_id: str, area_id: str) -> list[str]:
        cat = self.catalogue
        return sorted(set(cat.members(metric_id, area_id)) | {cat.area_by_id[area_id].org_code})

    # ------------------------------------------------------------------ the areas
    def with_reference_areas(self) -> Catalogue:
        """The catalogue with every ICB (and council with figures) an area, from the reference data
        in the store (``metrics.areas.full_catalogue``); the catalogue itself without it."""
        return areas.full_catalogue(self.engine, self.catalogue)

    # ------------------------------------------------------------------ one metric, one area
    def indicator(self, metric_id: str, area_id: str, today: dt.date | None = None) -> query.Indicator:
        """What a reader sees for ``metric_id`` in ``area_id`` (``metrics.query.indicator``)."""
        obs = self._observations([metric_id], self._area_codes(metric_id, area_id))
        return query.indicator(obs, self.catalogue, metric_id, area_id, today)

    def organisation_series(self, metric_id: str, org_codes: Sequence[str]) -> pd.DataFrame:
        """Each organisation's own published figures for ``metric_id`` in the metric's frequency.

        Returns
        -------
        DataFrame
            ``org_code``, ``name``, ``period_start``, ``value``, ``numerator``, ``denominator``.
        """
        metric = self.catalogue.metric(metric_id)
        obs = self._observations([metric_id], list(org_codes))
        obs = obs[(obs["period_type"] == metric.frequency) & obs["value"].notna()]
        names = store.read_organisations(self.engine).set_index("code")["name"]
        out = obs.assign(name=obs["org_code"].map(names).fillna(obs["org_code"]))
        return (
            out[["org_code", "name", "period_start", "value", "numerator", "denominator"]]
            .sort_values(["org_code", "period_start"], kind="stable")
            .reset_index(drop=True)
        )

    def organisations_reporting(self, metric_id: str) -> pd.DataFrame:
        """``code``, ``name`` of every organisation with a figure for ``metric_id`` (by name)."""
        codes = set(self._observations([metric_id], None)["org_code"])
        orgs = store.read_organisations(self.engine)
        return orgs[orgs["code"].isin(codes)][["code", "name"]].sort_values("name").reset_index(drop=True)

    # ------------------------------------------------------------------ the brief
    def area_rows(self, area_id: str) -> pd.DataFrame:
        """Every stored row of the area's organisations, with derived rates: what the brief and the
        meeting pack hand to ``metrics.query.indicator`` metric by metric."""
        return self._observations(None, self.catalogue.area_org_codes(area_id))

    def area_indicators(self, area_id: str, today: dt.date | None = None) -> dict[str, query.Indicator]:
        """Every metric's indicator for the area (``metrics.query.area_indicators``), built once per
        area and day for this reader: the brief, its questions and the meeting pack share them.

        The result is shared; callers must not change it.
        """
        key = (area_id, today or dt.date.today())
        found = self._indicators.get(key)
        if found is None:
            found = query.area_indicators(self.area_rows(area_id), self.catalogue, area_id, key[1])
            if len(self._indicators) >= self.KEPT_AREAS:
                self._indicators.pop(next(iter(self._indicators)), None)  # the oldest first
            self._indicators[key] = found
        return found

    def brief(
        self, area_id: str, meeting: dt.date, today: dt.date | None = None, metric_ids: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """The meeting brief for an area (``metrics.brief.meeting_brief``)."""
        return brief_module.meeting_brief(
            None, self.catalogue, area_id, meeting, metric_ids=metric_ids, today=today,
            indicators=self.area_indicators(area_id, today), main_ranks=self.main_provider_ranks(area_id, metric_ids),
        )  # fmt: skip

    def summary(
        self, brief: pd.DataFrame, meeting: dt.date
    ) -> tuple[summary_module.MeetingSummary, list[summary_module.Section]]:
        """The brief at a glance and its cards in order (``metrics.summary``)."""
        return summary_module.meeting_summary(brief, self.catalogue, meeting), summary_module.card_sections(brief)

    # ------------------------------------------------------------------ comparisons
    def area_comparison(
        self, metric_id: str, today: dt.date | None = None, also: Sequence[str] = ()
    ) -> tuple[dict, pd.DataFrame]:
        """The config.yaml areas' indicators for ``metric_id`` (and those of ``also``, e.g. a chosen
        integrated care board), each board's NHS England region, and one latest row per area
        (``compare.latest_by_area``).

        Every ICB at once is ``metrics.funnel``'s job (one latest figure each, not 42 series).
        """
        ids = [a.id for a in self.catalogue.areas if a.origin == "config.yaml"]
        ids += [a for a in also if a not in ids and a in self.catalogue.area_by_id]
        # A board's NHS England region beside it (and England, a config.yaml area): its region and
        # England above it.
        regions = [areas.region_area(self.catalogue, a) for a in ids]
        ids += [r for r in dict.fromkeys(regions) if r is not None and r not in ids]
        by_area = {a: self.indicator(metric_id, a, today) for a in ids}
        return by_area, compare.latest_by_area(by_area, self.catalogue)

    def funnel(self, metric_id: str, period=None) -> funnel_module.Funnel:
        """Every integrated care board's figure for one period beside England (``metrics.funnel``)."""
        by_area, england = self._icb_series(metric_id)
        return funnel_module.build_funnel(self.catalogue, self.catalogue.metric(metric_id), by_area, england, period)

    def _icb_series(self, metric_id: str) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
        """One read of the metric's rows for every ICB's members; each series is the read layer's
        roll-up (members in force in the period), without SPC (one period is compared)."""
        cat = self.catalogue
        metric = cat.metric(metric_id)
        icbs = funnel_module.icb_areas(cat)
        england = cat.area_by_id[cat.settings.england_area]
        # Like for like: a config.yaml area (LLR) is counted over the trusts ODS places in its
        # board, as every other board is, not with the extra sites confirmed for its own figure.
        by_ods = {
            a.id: areas.ods_trusts(cat, a.id)
            for a in icbs
            if a.origin == "config.yaml" and metric.source in areas.TRUST_SOURCES
        }
        codes = {england.org_code}
        for a in icbs:
            codes.update(by_ods[a.id] if a.id in by_ods else self._area_codes(metric_id, a.id))
        obs = self._observations([metric_id], sorted(codes))

        def series(area_id: str) -> pd.DataFrame:
            if area_id in by_ods:
                rows = calc.in_membership_periods(obs, by_ods[area_id], metric.frequency)
                frame = calc.rollup(rows, metric, list(by_ods[area_id]), cat.successor_map)
            else:
                frame = calc.area_series(obs, cat, metric_id, area_id)
            return frame[(frame["period_type"] == metric.frequency) & frame["value"].notna()]

        return {a.id: series(a.id) for a in icbs}, series(england.id)

    def icb_series(self, metric_id: str) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, float | None]:
        """Every ICB's series for ``metric_id`` (LLR over its ODS trusts, as in ``funnel``),
        England's series and England's latest all-ages population (for rates per 100,000)."""
        result = self._icb_series(metric_id)
        population = store.read_observations(self.engine, ["population_all"], [self.catalogue.area_by_id[
            self.catalogue.settings.england_area].org_code])  # fmt: skip
        latest = float(population.sort_values("period_start")["value"].iloc[-1]) if len(population) else None
        return (*result, latest)

    def rank_pool(self, metric_id: str, org_codes: Sequence[str], period: pd.Timestamp | None = None) -> pd.DataFrame:
        """Each of ``org_codes`` ranked among organisations doing the same job (``compare.rank_among_peers``),
        in ``period`` (only organisations reporting that period) or else the metric's newest."""
        cat = self.catalogue
        metric = cat.metric(metric_id)
        pool_metrics = [metric_id] + [
            ref
            for g in metric.peer_groups
            for ref in (cat.peer_groups[g].reports_metric, cat.peer_groups[g].lacks_metric)
            if ref is not None
        ]
        # A derived rate's population may be for another period (a yearly estimate): read it all.
        derived = any(cat.metric(mid).derived_from is not None for mid in pool_metrics)
        obs = self._observations(list(dict.fromkeys(pool_metrics)), None, None if derived else period)
        return compare.rank_among_peers(
            obs, store.read_organisations(self.engine), cat, metric, list(org_codes), period
        )

    def main_provider_ranks(self, area_id: str, metric_ids: Sequence[str] | None = None) -> dict[str, dict]:
        """Per metric whose roll-up for ``area_id`` has a main provider that is one organisation: its
        rank among its peers (``rank_pool``) in the newest period it reported.

        The brief and the pack pass these to ``metrics.query.main_provider``, which uses a rank
        only when it is for the same period as the figure beside it.
        """
        cat = self.catalogue
        ids = [m.id for m in cat.metrics] if metric_ids is None else list(metric_ids)
        out = {}
        for mid in ids:
            comp = cat.main_component(mid, area_id)
            if comp is None or len(comp.members) != 1:
                continue
            metric = cat.metric(mid)
            own = self._observations([mid], list(comp.members))
            own = own[(own["period_type"] == metric.frequency) & own["value"].notna()]
            if own.empty:
                continue
            ranked = self.rank_pool(mid, list(comp.members), own["period_start"].max())
            if len(ranked):
                out[mid] = ranked.iloc[0].to_dict()
        return out

    def main_provider(self, metric_id: str, area_id: str, today: dt.date | None = None) -> query.MainProvider | None:
        """The main provider's own figure, target verdict and rank beside the area's total
        (``metrics.query.main_provider``); None when the roll-up has none."""
        if self.catalogue.main_component(metric_id, area_id) is None:
            return None
        ranks = self.main_provider_ranks(area_id, [metric_id])
        return query.main_provider(self.indicator(metric_id, area_id, today), ranks.get(metric_id))

    # ------------------------------------------------------------------ reported beside published
    def reconciliation(self) -> pd.DataFrame:
        """Figures reported to committee beside the read layer's figure for the same area and period.

        The published figure is the read layer's series for the area (its members in force in
        that period), so the comparison uses the same roll-up as every page.

        Returns
        -------
        DataFrame
            ``calc.RECONCILE_COLUMNS``; ``difference`` = reported - published.
        """
        cat = self.catalogue
        # Figures reported to committee are stored under config.yaml areas' own codes; a generated
        # area's code (an ICB's) holds published ICB-level figures, not reported ones.
        area_of_code = {a.org_code: a.id for a in cat.areas if a.origin == "config.yaml"}
        reported = self._observations(None, sorted(area_of_code))
        reported = reported[reported["value"].notna()]
        rows = []
        for (metric_id, org_code), part in reported.groupby(["metric_id", "org_code"], sort=True):
            if metric_id not in cat.metric_by_id or not cat.members(metric_id, area_of_code[org_code]):
                continue
            area_id = area_of_code[org_code]
            obs = self._observations([metric_id], sorted(cat.members(metric_id, area_id)))
            rows.append(calc.reconcile_reported_area(part, obs, cat.metric(metric_id), area_id, cat))
        rows = [r for r in rows if not r.empty]
        if not rows:
            return pd.DataFrame(columns=calc.RECONCILE_COLUMNS)
        return pd.concat(rows, ignore_index=True)[calc.RECONCILE_COLUMNS]

    # ------------------------------------------------------------------ the files behind the figures
    def sources(self) -> pd.DataFrame:
        """Every loaded file (``store.read_sources``)."""
        return store.read_sources(self.engine)

    def organisations(self) -> pd.DataFrame:
        """Every organisation the store knows (code, name, kind)."""
        return store.read_organisations(self.engine)

    def annotations(self) -> pd.DataFrame:
        """Events drawn on charts (``store.read_annotations``)."""
        return store.read_annotations(self.engine)

    def coverage(self) -> pd.DataFrame:
        """Per metric: first and latest period and how many organisations (aggregated in SQL)."""
        return store.latest_periods(self.engine)

    def publication_status(self, meeting: dt.date, today: dt.date | None = None) -> pd.DataFrame:
        """Per publication: last checked, newest period held, next release and currency, arrivals since
        ``meeting`` (``metrics.fetch_status.publication_status``)."""
        today = today or dt.date.today()
        return fetch_status.publication_status(
            self.catalogue, store.read_fetch_log(self.engine), self.coverage(), meeting, today
        )

    # ------------------------------------------------------------------ versions (for caches)
    def has_data(self) -> bool:
        """True when the store has its schema and at least one loaded file."""
        return store.database_exists(self.engine)

    def data_version(self) -> str:
        """Changes whenever a file is loaded (caches key on it)."""
        return store.data_version(self.engine)

    def fetch_log_version(self) -> str:
        """Changes whenever ``fetch`` logs a check."""
        return store.fetch_log_version(self.engine)
