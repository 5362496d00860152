"""Compare areas and rank LLR organisations among their peers across England."""

from __future__ import annotations

import pandas as pd

from metrics.catalogue import Catalogue, Metric

QUARTILE_WORDS = {1: "best quarter", 2: "second quarter", 3: "third quarter", 4: "worst quarter"}


def latest_by_area(series_by_area: dict[str, pd.DataFrame], cat: Catalogue) -> pd.DataFrame:
    """One row per area: its latest period and value (areas with no data say so)."""
    rows = []
    for area_id, series in series_by_area.items():
        area = cat.area_by_id[area_id]
        if series.empty or series["value"].notna().sum() == 0:
            rows.append(
                {
                    "area": area.name,
                    "area_id": area_id,
                    "period_start": pd.NaT,
                    "value": None,
                    "numerator": None,
                    "denominator": None,
                }
            )
            continue
        last = series.dropna(subset=["value"]).sort_values("period_start").iloc[-1]
        rows.append(
            {
                "area": area.name,
                "area_id": area_id,
                "period_start": last["period_start"],
                "value": last["value"],
                "numerator": last.get("numerator"),
                "denominator": last.get("denominator"),
            }
        )
    return pd.DataFrame(rows)


def rank_among_peers(
    obs: pd.DataFrame, organisations: pd.DataFrame, metric: Metric, codes: list[str], period: pd.Timestamp | None = None
) -> pd.DataFrame:
    """Rank each organisation in ``codes`` among every organisation of the same kind in England.

    Rank 1 is the best value given the metric's improvement direction (for a neutral metric, the
    highest). Quartile 1 is the best quarter. England itself and regions are not peers.

    Returns
    -------
    DataFrame
        org_code, name, kind, period_start, value, rank, peers, quartile, quartile_words
    """
    columns = ["org_code", "name", "kind", "period_start", "value", "rank", "peers", "quartile", "quartile_words"]
    data = obs[obs["metric_id"] == metric.id].dropna(subset=["value"])
    if data.empty:
        return pd.DataFrame(columns=columns)
    kinds = organisations.set_index("code")["kind"]
    names = organisations.set_index("code")["name"]
    out = []
    for code in codes:
        own = data[data["org_code"] == code]
        if own.empty or code not in kinds.index:
            continue
        when = period if period is not None else own["period_start"].max()
        peers = data[(data["period_start"] == when) & (data["org_code"].map(kinds) == kinds[code])]
        if code not in set(peers["org_code"]):
            continue
        ascending = metric.improvement_direction == "decrease"
        ranks = peers.set_index("org_code")["value"].rank(ascending=ascending, method="min")
        n = len(peers)
        rank = int(ranks[code])
        quartile = min(4, int((rank - 1) * 4 // n) + 1)
        out.append(
            {
                "org_code": code,
                "name": names.get(code, code),
                "kind": kinds[code],
                "period_start": when,
                "value": float(peers.set_index("org_code").loc[code, "value"]),
                "rank": rank,
                "peers": n,
                "quartile": quartile,
                "quartile_words": QUARTILE_WORDS[quartile],
            }
        )
    return pd.DataFrame(out, columns=columns)


def peer_table(
    obs: pd.DataFrame, organisations: pd.DataFrame, metric: Metric, kind: str, period: pd.Timestamp
) -> pd.DataFrame:
    """Every organisation of ``kind`` with its value in ``period``, best first."""
    data = obs[(obs["metric_id"] == metric.id) & (obs["period_start"] == period)].dropna(subset=["value"])
    orgs = organisations.set_index("code")
    data = data[data["org_code"].map(orgs["kind"]) == kind]
    ascending = metric.improvement_direction == "decrease"
    data = data.sort_values("value", ascending=ascending)
    return pd.DataFrame(
        {
            "org_code": data["org_code"],
            "label": data["org_code"].map(orgs["name"]).fillna(data["org_code"]),
            "value": data["value"],
        }
    )
