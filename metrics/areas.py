"""Every English health system an area: integrated care boards generated from ODS and ONS reference data.

``config.yaml`` names LLR's areas and the sites a person confirmed for them. This module adds one
area per integrated care board (ICB) from the reference files in the store (``loaders.ods_trusts``,
``loaders.ons_geography``, ``loaders.ons_mye``), never by hand:

- id: the ICB's ODS code in lower case (``qe1``); name: ONS's (December 2024, else July 2022);
- its NHS trusts: those ODS places in it, each counted from the day it opened to the day it closed
  (``Catalogue.member_periods``). They make up its A&E and beds roll-ups;
- its councils (upper tier) from the ONS district lookup: a council counts where most of its small
  areas lie; its region (ONS) and England above it. Each NHS England region is an area too (id: its
  code in lower case, ``y60``): its boards' trusts, boards and councils together, chosen like a board;
- its population: the ONS mid-year estimate of its districts, a district split between boards
  apportioned by the small areas (LSOAs) each board holds. Districts merged in April 2023
  (Cumberland, Westmorland and Furness, North Yorkshire, Somerset) are traced through
  ``LAD_2023_SUCCESSORS``.

LLR stays the area ``llr`` with its confirmed roll-up (University Hospitals of Leicester and the
DHU urgent treatment centres); ``qk1`` names the same area.

ICBs formed by the mergers of 1 April 2026 appear in ODS under a new five-character code with
their trusts; ONS has no name for them yet, so they are named by code and region. Each trust counts
in its former board until 31 March 2026 and in the merged board from 1 April 2026
(``loaders.ods_trusts`` dates the memberships), so the former boards keep their A&E and beds
figures up to the merger, with their councils, population and ICB-level figures; each board's note
says which way its trusts went.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from metrics.catalogue import Area, Catalogue, MembershipOrigin, Organisation

#: Districts abolished on 1 April 2023 -> the unitary council that replaced them (ONS LAD 2023).
LAD_2023_SUCCESSORS = {
    "E07000026": "E06000063", "E07000028": "E06000063", "E07000029": "E06000063",  # Cumberland
    "E07000027": "E06000064", "E07000030": "E06000064", "E07000031": "E06000064",  # Westmorland and Furness
    **{f"E0700016{i}": "E06000065" for i in range(3, 10)},  # North Yorkshire
    "E07000187": "E06000066", "E07000188": "E06000066", "E07000189": "E06000066", "E07000246": "E06000066",  # Somerset
}  # fmt: skip

#: The day the boards formed by the 2026 mergers took over from their predecessors (NHS England,
#: "Integrated care system boundary changes and mergers procedure", 2025: mergers "to take effect
#: on 1 April 2026").
MERGED_BOARDS_FROM = dt.date(2026, 4, 1)
#: Membership groups filled with an ICB's NHS trusts: those of metrics from these sources.
TRUST_SOURCES = ("ae", "kh03")
#: The membership group whose members are ICBs (ICB-level figures, e.g. discharge delays).
ICB_GROUP = "icb"
COUNCIL_GROUP = "councils"
#: Origins of a config.yaml area's ODS trusts, which compare it with other boards like for like.
ODS_BASIS = "ods_trusts"
COUNCIL_ORIGIN = "ONS district -> ICB lookup (most small areas)"


def trust_name(name: str) -> str:
    """An ODS name (upper case) as people write it: ``University Hospitals of Leicester NHS Trust``."""
    small = {"and", "of", "the", "for", "on", "upon", "in"}
    keep = {"NHS", "UK", "CIC", "ICB", "GP"}
    words = []
    for i, word in enumerate(str(name).split()):
        if word in keep or any(ch.isdigit() for ch in word):
            words.append(word)
        elif i > 0 and word.lower() in small:
            words.append(word.lower())
        else:
            words.append("-".join(part.capitalize() for part in word.split("-")))
    text = " ".join(words)
    return re.sub(r"\bSt\. ", "St ", text)


def _latest_view(orgs: pd.DataFrame, view: str) -> pd.DataFrame:
    return orgs[orgs["loader"] == view]


def _date(value) -> dt.date | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def with_reference_areas(
    catalogue: Catalogue,
    orgs: pd.DataFrame,
    members: pd.DataFrame,
    population: dict[str, float] | None = None,
    councils_reporting: set[str] | frozenset[str] = frozenset(),
) -> Catalogue:
    """The catalogue with one area per ICB from the reference data (``store.read_reference``).

    Returns the catalogue unchanged when no ODS trusts extract is loaded.

    Parameters
    ----------
    catalogue : Catalogue
        From config.yaml.
    orgs, members : DataFrame
        ``metrics.store.read_reference`` output.
    population : dict, optional
        All-ages population by ONS area code (the latest ``population_all``); without it the
        areas have no population.
    councils_reporting : set, optional
        Council codes with figures for council metrics (ASCOF, delayed transfers, BCF): each one
        that is not already an area becomes one (id: its ONS code in lower case), named by ONS.

    Returns
    -------
    Catalogue
        With the generated areas, their organisations and memberships, ``member_periods`` and
        ``membership_origins``; every config.yaml area keeps its id, members and figures.
    """
    trusts = _latest_view(orgs, "ods_trusts")
    if trusts.empty:
        return catalogue
    people = dict(population or {})
    trust_icb = members[members["relation"] == "trust_icb"]
    icb_names = {
        **dict(_latest_view(orgs, "ons_sub_icb").query("kind == 'icb'")[["code", "name"]].itertuples(index=False)),
        **dict(_latest_view(orgs, "ons_icb_names")[["code", "name"]].itertuples(index=False)),
    }
    region_names = dict(
        _latest_view(orgs, "ons_sub_icb").query("kind == 'region'")[["code", "name"]].itertuples(index=False)
    )
    icb_region = dict(
        members[members["relation"] == "icb_region"][["member_code", "parent_code"]].itertuples(index=False)
    )
    trust_region = dict(trusts[["code", "region_code"]].itertuples(index=False))
    for icb, group in trust_icb.groupby("parent_code"):  # merged boards: the region of their trusts
        regions = {trust_region.get(c) for c in group["member_code"]} - {None}
        if icb not in icb_region and len(regions) == 1:
            icb_region[icb] = regions.pop()
    icb_codes = sorted(set(icb_names) | set(trust_icb["parent_code"]))
    with_trusts = set(trust_icb["parent_code"])
    populations, councils = _populations_and_councils(members, people)

    merged = [c for c in icb_codes if c not in icb_names]
    predecessors, whole = _merger_predecessors(trust_icb, merged, icb_names, icb_region, with_trusts)
    successors: dict[str, list[str]] = {}
    for code, before in predecessors.items():
        for c in before:
            successors.setdefault(c, []).append(code)
        # Residents and councils add up only when every predecessor joined this board whole.
        if before and whole[code] and all(c in populations for c in before):
            populations[code] = sum(populations[c] for c in before)
        councils[code] = set().union(*(councils.get(c, set()) for c in before)) if before and whole[code] else set()
    trusts_after = set(trust_icb.loc[trust_icb["valid_to"].isna() | (pd.to_datetime(
        trust_icb["valid_to"]) >= pd.Timestamp(MERGED_BOARDS_FROM)), "parent_code"])  # fmt: skip

    known = catalogue.organisation_by_code
    new_orgs: dict[str, Organisation] = {}

    def add_org(code: str, name: str, kind: str, parent: str | None = None) -> None:
        if code not in known and code not in new_orgs:
            new_orgs[code] = Organisation(code=code, name=name, kind=kind, parent_code=parent)

    for code, name in region_names.items():
        add_org(code, name, "region")
    for r in trusts.itertuples(index=False):
        add_org(r.code, trust_name(r.name), "provider")
    council_names = dict(_latest_view(orgs, "ons_mye")[["code", "name"]].itertuples(index=False))
    llr_icb = next((o.parent_code for o in catalogue.organisations if o.code == "RWE"), None) or "QK1"

    areas = list(catalogue.areas)
    groups = {name: {k: tuple(v) for k, v in m.areas.items()} for name, m in catalogue.memberships.items()}
    trust_groups = sorted({m.membership for m in catalogue.metrics if m.membership and m.source in TRUST_SOURCES})
    periods: dict[str, dict[str, tuple]] = {}
    origins: list[MembershipOrigin] = []
    for icb in icb_codes:
        region = icb_region.get(icb)
        region_name = region_names.get(region, "England")
        name = icb_names.get(icb) or f"NHS integrated care board {icb} ({region_name}, formed 2026)"
        population = populations.get(icb)
        if icb == llr_icb:  # LLR: the confirmed area from config.yaml, also called by its ODS code
            # Its ODS trusts are kept aside: beside other boards it is compared on the same basis.
            origins.extend(
                MembershipOrigin(
                    group=ODS_BASIS,
                    area_id=catalogue.settings.default_area,
                    member=r.member_code,
                    origin=f"ODS {r.file_name} (trust -> ICB; used when compared with other boards)",
                    valid_from=_date(r.valid_from),
                    valid_to=_date(r.valid_to),
                )
                for r in trust_icb[trust_icb["parent_code"] == icb].itertuples(index=False)
            )
            areas = [
                a.model_copy(update={"aliases": (*a.aliases, icb.lower()), "region": region, "population": population})
                if a.id == catalogue.settings.default_area
                else a
                for a in areas
            ]
            continue
        area_id = icb.lower()
        add_org(icb, name, "icb", region)
        note = ""
        if icb not in with_trusts:
            note = (
                "ODS now lists this board's NHS trusts under a board formed by a 2026 merger, so its A&E and "
                "beds figures are not shown here; its ICB-level and council figures are."
            )
        elif icb in successors and icb not in trusts_after:
            into = " and ".join(f"ICB {c}" for c in successors[icb])
            note = (
                f"Merged into {into} on {MERGED_BOARDS_FROM:%-d %B %Y}: its NHS trusts count here until "
                f"{MERGED_BOARDS_FROM - dt.timedelta(days=1):%-d %B %Y} and there from {MERGED_BOARDS_FROM:%-d %B %Y}."
            )
        elif icb not in icb_names:
            before = [icb_names.get(c, c) for c in predecessors.get(icb, [])]
            formed = f" from {', '.join(before[:-1])} and {before[-1]}" if len(before) > 1 else ""
            formed = formed or (f" from {before[0]}" if before else "")
            note = (
                f"Formed on {MERGED_BOARDS_FROM:%-d %B %Y}{formed}; ONS has not yet named it, so it is shown by its "
                f"ODS code ({icb}). Its NHS trusts count here from {MERGED_BOARDS_FROM:%-d %B %Y} and in their "
                "former boards before."
            )
            if before and not whole[icb]:
                note += " Part of a former board joined another board, so its population is not given."
        short = (
            re.sub(r"^NHS |\s*Integrated Care Board$", "", name) if icb in icb_names else f"ICB {icb} ({region_name})"
        )
        areas.append(
            Area(
                id=area_id, name=name, short_name=short, org_code=icb, region=region, population=population,
                origin="ODS etr.csv (trusts), ONS ICB names and lookups (councils, region)", note=note,
            )
        )  # fmt: skip
        mine = trust_icb[trust_icb["parent_code"] == icb]
        codes = tuple(sorted(mine["member_code"]))
        if codes:
            for g in trust_groups:
                groups.setdefault(g, {})[area_id] = codes
            periods[area_id] = {
                r.member_code: (_date(r.valid_from), _date(r.valid_to)) for r in mine.itertuples(index=False)
            }
            origins.extend(
                MembershipOrigin(
                    group=ODS_BASIS,
                    area_id=area_id,
                    member=r.member_code,
                    origin=f"ODS {r.file_name} (trust -> ICB)",
                    valid_from=_date(r.valid_from),
                    valid_to=_date(r.valid_to),
                )
                for r in mine.itertuples(index=False)
            )
        groups.setdefault(ICB_GROUP, {})[area_id] = (icb,)
        origins.append(MembershipOrigin(group=ICB_GROUP, area_id=area_id, member=icb, origin="the board itself"))
        mine_councils = tuple(sorted(councils.get(icb, ())))
        if mine_councils:
            for code in mine_councils:
                add_org(code, council_names.get(code, code), "local_authority")
            groups.setdefault(COUNCIL_GROUP, {})[area_id] = mine_councils
            origins.extend(
                MembershipOrigin(group=COUNCIL_GROUP, area_id=area_id, member=c, origin=COUNCIL_ORIGIN)
                for c in mine_councils
            )
    # Each NHS England region an area: its boards' trusts, boards and councils together.
    taken = {a.id for a in areas} | {alias for a in areas for alias in a.aliases}
    for region, boards in _region_boards(icb_codes, icb_region).items():
        area_id = region.lower()
        if region not in region_names or area_id in taken:
            continue
        mine = trust_icb[trust_icb["parent_code"].isin(boards)]
        spans = _spans(mine)
        codes = tuple(sorted(spans))
        if codes:
            for g in trust_groups:
                groups.setdefault(g, {})[area_id] = codes
            origins.extend(
                MembershipOrigin(
                    group=ODS_BASIS, area_id=area_id, member=code,
                    origin=f"ODS {mine['file_name'].iloc[0]} (trust -> ICB -> region)",
                    valid_from=first, valid_to=last,
                )
                for code, (first, last) in spans.items()
            )  # fmt: skip
        periods[area_id] = dict(spans)
        # A merged board reports from the merger; a board that merged whole into it, until then.
        for b in boards:
            if b in predecessors and b not in icb_names:
                periods[area_id][b] = (MERGED_BOARDS_FROM, None)
            elif b in successors and b not in trusts_after:
                periods[area_id][b] = (None, MERGED_BOARDS_FROM - dt.timedelta(days=1))
        groups.setdefault(ICB_GROUP, {})[area_id] = tuple(boards)
        origins.extend(
            MembershipOrigin(group=ICB_GROUP, area_id=area_id, member=b, origin="ONS ICB -> region lookup")
            for b in boards
        )
        named = [b for b in boards if b in icb_names]  # ONS's boards cover England once, without the 2026 ones
        region_councils = tuple(sorted(set().union(*(councils.get(b, set()) for b in named))))
        if region_councils:
            groups.setdefault(COUNCIL_GROUP, {})[area_id] = region_councils
            origins.extend(
                MembershipOrigin(group=COUNCIL_GROUP, area_id=area_id, member=c, origin=COUNCIL_ORIGIN)
                for c in region_councils
            )
        population = sum(populations[b] for b in named) if named and all(b in populations for b in named) else None
        areas.append(
            Area(
                id=area_id, name=f"NHS England {region_names[region]} region", short_name=region_names[region],
                org_code=region, population=population,
                origin="ODS etr.csv (trusts), ONS ICB to region lookup: the region's integrated care boards together",
                note=f"The {len(named)} integrated care boards of the region together, each trust counted while it "
                "belonged to one of them.",
            )
        )  # fmt: skip
    # Councils with figures of their own (ASCOF, delayed transfers, BCF), beyond LLR's three.
    configured = {a.org_code for a in catalogue.areas}
    for code in sorted(set(councils_reporting) - configured):
        if code not in council_names or not code.startswith("E"):
            continue
        add_org(code, council_names[code], "local_authority")
        area_id = code.lower()
        areas.append(
            Area(
                id=area_id, name=f"{council_names[code]} (council)", short_name=council_names[code], org_code=code,
                population=people.get(code), origin="ONS mid-year estimates (council name and population)",
            )
        )  # fmt: skip
        groups.setdefault(COUNCIL_GROUP, {})[area_id] = (code,)
        origins.append(MembershipOrigin(group=COUNCIL_GROUP, area_id=area_id, member=code, origin="the council itself"))
    memberships = {
        name: catalogue.memberships[name].model_copy(update={"areas": groups.get(name, {})})
        if name in catalogue.memberships
        else None
        for name in groups
    }
    # Instances, not dumps: pydantic keeps validated models as they are (fast, and exact).
    data = {name: getattr(catalogue, name) for name in Catalogue.model_fields}
    data["organisations"] = (*catalogue.organisations, *new_orgs.values())
    data["areas"] = tuple(areas)
    data["memberships"] = {k: v for k, v in memberships.items() if v is not None}
    data["member_periods"] = periods
    data["membership_origins"] = tuple(origins)
    return Catalogue.model_validate(data)


def _populations_and_councils(
    members: pd.DataFrame, lad_population: dict[str, float]
) -> tuple[dict[str, float], dict[str, set[str]]]:
    """Each ICB's mid-year population and its upper-tier councils (see the module docstring).

    A council counts in the board holding most of its residents (by small areas).
    """
    districts = members[members["relation"] == "district_icb"]
    if districts.empty or not lad_population:
        return {}, {}
    county_of = dict(
        members[members["relation"] == "district_county"][["member_code", "parent_code"]].itertuples(index=False)
    )
    frame = districts[["member_code", "parent_code", "weight"]].copy()
    frame["lad"] = frame["member_code"].map(lambda c: LAD_2023_SUCCESSORS.get(c, c))
    # Share of each (current) district's small areas in each board.
    weights = frame.groupby(["lad", "parent_code"], as_index=False)["weight"].sum()
    weights["share"] = weights["weight"] / weights.groupby("lad")["weight"].transform("sum")
    populations: dict[str, float] = {}
    council_share: dict[tuple[str, str], float] = {}
    council_size: dict[str, float] = {}
    for r in weights.itertuples(index=False):
        people = lad_population.get(r.lad)
        if people is None:
            continue
        populations[r.parent_code] = populations.get(r.parent_code, 0.0) + people * r.share
        council = county_of.get(r.lad, r.lad)
        if council.startswith("E11"):  # a metropolitan county has no council: its districts are councils
            council = r.lad
        council_share[(council, r.parent_code)] = council_share.get((council, r.parent_code), 0.0) + people * r.share
        council_size[council] = council_size.get(council, 0.0) + people * r.share
    councils: dict[str, set[str]] = {}
    for (council, icb), people in council_share.items():
        if people > 0.5 * council_size[council]:
            councils.setdefault(icb, set()).add(council)
    return {k: round(v) for k, v in populations.items()}, councils


def _region_boards(icb_codes: list[str], icb_region: dict[str, str]) -> dict[str, list[str]]:
    """``{region: its boards}``, boards sorted, regions by code."""
    out: dict[str, list[str]] = {}
    for icb in sorted(icb_codes):
        if icb_region.get(icb):
            out.setdefault(icb_region[icb], []).append(icb)
    return dict(sorted(out.items()))


def _spans(memberships: pd.DataFrame) -> dict[str, tuple[dt.date | None, dt.date | None]]:
    """Each member's first and last day over its rows (None: open-ended), e.g. a trust counted in two
    boards of one region one after the other."""
    out = {}
    for code, rows in memberships.groupby("member_code"):
        starts = [_date(v) for v in rows["valid_from"]]
        ends = [_date(v) for v in rows["valid_to"]]
        first = None if any(d is None for d in starts) else min(starts)
        last = None if any(d is None for d in ends) else max(ends)
        out[str(code)] = (first, last)
    return out


def region_area(catalogue: Catalogue, area_id: str) -> str | None:
    """The id of the area of ``area_id``'s NHS England region (an ICB's, or LLR's), if it is one."""
    area = catalogue.area_by_id.get(area_id)
    if area is None or area.region is None:
        return None
    found = catalogue.area_by_id.get(area.region.lower())
    return found.id if found is not None and found.org_code == area.region else None


def _merger_predecessors(
    trust_icb: pd.DataFrame, merged: list[str], icb_names: dict, icb_region: dict, with_trusts: set[str]
) -> tuple[dict[str, list[str]], dict[str, bool]]:
    """Each merged board's predecessors, and whether every predecessor joined it whole.

    The predecessors are the boards its trusts counted in before the merger (``loaders.ods_trusts``
    dates each trust's board). A store loaded from an extract without those dates (every trust under
    its merged board for all time) falls back to a region's boards ODS lists no trusts under, when
    the region has one merged board.
    """
    predecessors: dict[str, list[str]] = {}
    whole: dict[str, bool] = {}
    receiving: dict[str, set[str]] = {}  # predecessor -> the merged boards its trusts went to
    for code in merged:
        mine = set(trust_icb.loc[trust_icb["parent_code"] == code, "member_code"])
        before = trust_icb[trust_icb["member_code"].isin(mine) & (trust_icb["parent_code"] != code)]
        predecessors[code] = sorted(set(before["parent_code"]))
        for c in predecessors[code]:
            receiving.setdefault(c, set()).add(code)
    for code in merged:
        if predecessors[code]:
            whole[code] = all(receiving[c] == {code} for c in predecessors[code])
            continue
        same_region = [c for c in merged if icb_region.get(c) == icb_region.get(code)]
        predecessors[code] = (
            [c for c in icb_names if c not in with_trusts and icb_region.get(c) == icb_region.get(code)]
            if len(same_region) == 1
            else []
        )
        whole[code] = True
    return predecessors, whole


def full_catalogue(engine, catalogue: Catalogue) -> Catalogue:
    """The catalogue with every ICB an area, from the reference data in the store (reads only).

    Without reference data (or on a store without the tables) the catalogue is returned as it is.
    """
    from metrics import store  # the store is the only module that reads the database

    if not store.database_exists(engine):
        return catalogue
    orgs, members = store.read_reference(engine)
    if orgs.empty:
        return catalogue
    population = store.read_observations(engine, metric_ids=["population_all"])
    population = population[population["period_type"] == "year"].sort_values("period_start")
    latest = dict(zip(population["org_code"], population["value"], strict=True))  # the newest year wins
    council_metrics = [
        m.id for m in catalogue.metrics if m.membership == COUNCIL_GROUP and m.topic not in ("population",)
    ]
    reporting = store.org_codes_reporting(engine, council_metrics)
    return with_reference_areas(catalogue, orgs, members, latest, reporting)


def describe_areas(catalogue: Catalogue, area_id: str | None = None) -> list[str]:
    """Lines for ``python -m loaders areas``: each area, its members per membership, and origins.

    Members of config.yaml areas come from config.yaml (a person confirmed them); those of
    generated areas say which reference file placed them there, and the dates they hold.
    """
    orgs = catalogue.organisation_by_code
    origin_of = {(o.area_id, o.member): o for o in catalogue.membership_origins}
    lines = []
    for area in catalogue.areas:
        if area_id is not None and area.id != area_id:
            continue
        also = f" (also {', '.join(area.aliases)})" if area.aliases else ""
        people = f"; population {area.population:,.0f}" if area.population else ""
        region = f"; region {orgs[area.region].name if area.region in orgs else area.region}" if area.region else ""
        lines.append(f"{area.id}{also}: {area.name} [{area.org_code}]{region}{people}")
        lines.append(f"  from: {area.origin}")
        if area.note:
            lines.append(f"  note: {area.note}")
        if area.origin == "config.yaml" and (aside := ods_trusts(catalogue, area.id)):
            lines.append(f"  ODS trusts, used when compared with other boards ({len(aside)}):")
            for code, (first, last) in aside.items():
                label = orgs[code].name if code in orgs else code
                lines.append(f"    {code}  {label}  (ODS, {first or '...'} to {last or 'now'})")
        for name, membership in catalogue.memberships.items():
            members = membership.areas.get(area.id, ())
            if not members:
                continue
            lines.append(f"  {name} ({len(members)}):")
            for code in members:
                label = orgs[code].name if code in orgs else code
                origin = None if area.origin == "config.yaml" else origin_of.get((area.id, code))
                if origin is None:
                    where = "config.yaml"
                else:
                    span = ""
                    if origin.valid_from or origin.valid_to:
                        span = f", {origin.valid_from or '...'} to {origin.valid_to or 'now'}"
                    where = f"{origin.origin}{span}"
                lines.append(f"    {code}  {label}  ({where})")
    return lines


def area_label(area: Area) -> str:
    """The area as the area chooser lists it and the URL holds it: config.yaml areas by their short
    name (``LLR``, ``Rutland``), generated ones by name and code (``Lancashire and South Cumbria (QE1)``),
    so typing either finds it."""
    return area.short_name if area.origin == "config.yaml" else f"{area.short_name} ({area.org_code})"


def area_choices(catalogue: Catalogue) -> list[str]:
    """Every area's label: config.yaml areas in their order, then the generated ones by name."""
    configured = [a for a in catalogue.areas if a.origin == "config.yaml"]
    generated = sorted((a for a in catalogue.areas if a.origin != "config.yaml"), key=lambda a: a.short_name.lower())
    return [area_label(a) for a in [*configured, *generated]]


def area_for_text(catalogue: Catalogue, text: str | None) -> str | None:
    """The area id for a label, an id or an alias, any case (``Rutland``, ``qe1``, ``QK1``); else None."""
    if text is None:
        return None
    for a in catalogue.areas:
        if area_label(a) == text:
            return a.id
    return catalogue.find_area(text)


def ods_trusts(catalogue: Catalogue, area_id: str) -> dict[str, tuple[dt.date | None, dt.date | None]]:
    """The NHS trusts ODS places in an area's board, with the dates they hold: the basis on which
    every board is compared with the others (LLR's own figure also counts its confirmed sites)."""
    return {
        o.member: (o.valid_from, o.valid_to)
        for o in catalogue.membership_origins
        if o.area_id == area_id and o.group == ODS_BASIS
    }
