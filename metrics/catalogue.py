"""The metric catalogue: ``config.yaml`` parsed strictly into typed, frozen models.

Metrics are data (docs/architecture.md): the catalogue names every metric, its
definition, unit, direction of improvement, targets and source. Loading is strict: a duplicate
key, an unknown key, a missing field or a wrong type is an error that names the metric and the
field, so a typo in the catalogue can never silently drop a target or a filter.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError, model_validator

from metrics.spc import SPCSettings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = PROJECT_ROOT / "config.yaml"

Unit = Literal["percent", "count", "rate_per_100k", "days", "beds", "ratio", "gbp"]
Direction = Literal["increase", "decrease", "neutral"]
Frequency = Literal["month", "quarter", "year"]
Rollup = Literal["ratio_of_sums", "sum", "none"]
OrgKind = Literal["provider", "ccg", "icb", "local_authority", "system", "region", "country"]
Place = Literal["leicester", "leicestershire", "rutland", "llr", "england"]
TargetKind = Literal["standard", "interim", "trajectory", "plan", "local"]

#: Multiplier from numerator / denominator to the stored value, by unit.
UNIT_SCALE: dict[str, float] = {"percent": 100.0, "rate_per_100k": 100_000.0, "ratio": 1.0}

UNIT_LABELS: dict[str, str] = {
    "percent": "%",
    "count": "",
    "rate_per_100k": "per 100,000",
    "days": "days",
    "beds": "beds",
    "ratio": "",
    "gbp": "£",
}

TOPICS: dict[str, str] = {
    "urgent_care": "Urgent and emergency care",
    "beds": "Beds",
    "discharge": "Discharge and delays",
    "bcf": "Better Care Fund",
    "home_first": "Home First",
    "population": "Population",
}


class CatalogueError(ValueError):
    """The catalogue file cannot be used; the message names the file, item and field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class SPCRules(_Strict):
    """The Making Data Count rule settings (``spc`` in config.yaml); see ``metrics.spc.SPCSettings``."""

    shift_length: int = Field(ge=2)
    trend_length: int = Field(ge=2)
    minimum_points: int = Field(ge=2)
    two_of_three_same_side: bool
    screen_moving_ranges: bool
    fix_after_n_points: int | None = Field(default=None, ge=2)
    conflict_rule: Literal["improvement", "concern"]


class Settings(_Strict):
    database_url: str
    demo_dir: str
    max_file_mb: float = Field(gt=0)
    default_area: str
    england_area: str  # the area every other is compared with
    sparkline_points: int = Field(ge=2)  # periods drawn in a brief card's sparkline
    first_year: int = Field(ge=1990)  # the earliest "Show from" year offered
    default_start_year: int = Field(ge=1990)  # charts and tables start in April of this year
    bcf_sets: tuple[str, ...] = ()  # the Better Care Fund metric sets, newest first
    next_meeting_weeks: int = Field(default=8, ge=1, le=52)  # actions due within this are "due before the next meeting"


class Organisation(_Strict):
    code: str
    name: str
    kind: OrgKind
    place: Place | None = None  # LLR's places; None for organisations elsewhere (from reference data)
    parent_code: str | None = None
    aliases: tuple[str, ...] = ()
    succeeds: str | None = None


class Area(_Strict):
    id: str
    name: str
    short_name: str
    org_code: str
    #: Other ids that name this area (``qk1`` for ``llr``): a link or a command may use either.
    aliases: tuple[str, ...] = ()
    #: Set for areas generated from reference data (``metrics.areas``), never in config.yaml.
    region: str | None = None  # NHS England region code (Y60)
    population: float | None = None  # residents, ONS mid-year estimate (apportioned by small areas)
    origin: str = "config.yaml"  # where the area and its members come from
    note: str = ""  # what a reader should know about the area's figures, in one sentence


class MembershipOrigin(_Strict):
    """Where one membership of a generated area comes from, and the dates it holds."""

    group: str  # the membership (e.g. llr_urgent_care), or "councils"
    area_id: str
    member: str
    origin: str  # e.g. "ODS etr.csv (trust -> ICB)"
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None


class Component(_Strict):
    """A named part of an area's roll-up shown beside the total (e.g. the acute trust beside the UTCs)."""

    id: str
    name: str
    members: tuple[str, ...]
    # The main provider of a blend of unlike services (UHL beside the urgent treatment centres):
    # it gets its own figure, target verdict and rank beside the total (issue #20).
    main: bool = False


class Membership(_Strict):
    description: str
    areas: dict[str, tuple[str, ...]]
    components: dict[str, tuple[Component, ...]] = {}


class PeerGroup(_Strict):
    """Organisations that do the same job for a metric, so ranking them together is fair.

    An organisation belongs when its kind matches ``org_kind`` (if given), it reports
    ``reports_metric`` for the same period (if given) and does not report ``lacks_metric``.
    """

    name: str
    org_kind: OrgKind | None = None
    reports_metric: str | None = None
    lacks_metric: str | None = None


class Source(_Strict):
    publisher: str
    publication: str
    url: str
    licence: str


class Target(_Strict):
    kind: TargetKind
    value: float
    valid_from: dt.date
    valid_to: dt.date | None = None
    org_code: str | None = None
    source_text: str

    @model_validator(mode="after")
    def _dates_in_order(self) -> Target:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError(f"valid_to {self.valid_to} is before valid_from {self.valid_from}")
        return self


class Expectation(_Strict):
    """A local expectation over a span of years, e.g. "1,011 to 2,022 personal health budgets over 3 to
    5 years": a range to reach by the end of the span, never a target for each month inside it.

    ``judged_on`` says which figure the range is for: ``level_at_end`` (a count in place, such as
    budgets in place at the end of a month: the figure for the span's end) or ``total_over_span``
    (a count of events, summed over every period of the span). The span ends between
    ``earliest_end`` and ``end`` ("3 to 5 years"); before ``earliest_end`` it cannot be judged.
    """

    low: float
    high: float | None = None
    start: dt.date
    earliest_end: dt.date
    end: dt.date
    org_code: str | None = None
    judged_on: Literal["level_at_end", "total_over_span"]
    source_text: str

    @model_validator(mode="after")
    def _span_in_order(self) -> Expectation:
        if not self.start < self.earliest_end <= self.end:
            raise ValueError(
                f"the span must run start < earliest_end <= end, got {self.start}, {self.earliest_end}, {self.end}"
            )
        if self.high is not None and self.high < self.low:
            raise ValueError(f"high {self.high:g} is below low {self.low:g}")
        return self


class SeriesBreak(_Strict):
    date: dt.date
    reason: str


class Annotation(_Strict):
    """An event drawn on charts; a system change also re-bases the SPC limits of the topics
    and metrics it names (Making Data Count: recalculate limits after a change in the process).

    An event is drawn only on the charts it concerns: ``metric_id`` (one metric) or ``topics``
    (every metric of those topics); with neither it concerns every metric (a system-wide change).
    """

    on_date: dt.date
    text: str
    metric_id: str | None = None
    topics: tuple[str, ...] = ()
    org_code: str | None = None
    rebase_topics: tuple[str, ...] = ()
    rebase_metrics: tuple[str, ...] = ()


class DerivedRate(_Strict):
    """A rate per 100,000 computed at read time from a stored count and a stored population."""

    count_metric: str
    population_metric: str


class NumberWords(_Strict):
    """How to say the absolute numbers behind a percentage: ``of`` follows "N of M" ("attendances
    within 4 hours"); ``more`` / ``fewer`` follow the number needed to meet the target."""

    of: str
    more: str = "more would have been needed to meet the target"
    fewer: str = "fewer would have been needed to meet the target"


class Metric(_Strict):
    id: str
    name: str
    description: str
    definition: str
    unit: Unit
    improvement_direction: Direction
    frequency: Frequency
    topic: Literal["urgent_care", "beds", "discharge", "bcf", "home_first", "population"]
    rollup: Rollup
    source: str
    decimals: int = Field(ge=0, le=4)
    membership: str | None = None
    targets: tuple[Target, ...] = ()
    expectations: tuple[Expectation, ...] = ()
    series_breaks: tuple[SeriesBreak, ...] = ()
    bcf_sets: tuple[str, ...] = ()
    derived_from: DerivedRate | None = None
    peer_groups: tuple[str, ...] = ()
    #: "wilson": a proportion of people or events (binomial), compared with Wilson score
    #: intervals. None: no interval (bed occupancy is an average of beds over days, not a count
    #: of independent events; rates and changes are not proportions).
    interval: Literal["wilson"] | None = None
    number_words: NumberWords | None = None

    @property
    def scale(self) -> float | None:
        """Multiplier from numerator/denominator to value, or None for plain counts."""
        return UNIT_SCALE.get(self.unit)

    @property
    def topic_name(self) -> str:
        return TOPICS[self.topic]


Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday"]
FileFormat = Literal["csv", "xls", "xlsx"]


class LinkRule(_Strict):
    """How to recognise a link on a statistics page: by its text and/or the file name it points to.

    Both are regular expressions, matched case-insensitively with ``re.search``; a link must match
    every one given. URLs are never built: NHS England file names carry random suffixes and revised
    files reappear under new names, so only what the page itself links to is fetched.
    """

    link_text: str | None = None
    file_pattern: str | None = None

    @model_validator(mode="after")
    def _usable(self) -> LinkRule:
        if self.link_text is None and self.file_pattern is None:
            raise ValueError("give link_text, file_pattern or both")
        for name in ("link_text", "file_pattern"):
            pattern = getattr(self, name)
            if pattern is not None:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise ValueError(f"{name} is not a valid regular expression: {exc}") from None
        return self


class ReleaseSchedule(_Strict):
    """A publication's usual release day: the ``nth`` ``weekday`` of each month listed in ``months``."""

    weekday: Weekday
    nth: int = Field(ge=1, le=4)
    months: tuple[int, ...] = Field(min_length=1)
    description: str

    @model_validator(mode="after")
    def _months_valid(self) -> ReleaseSchedule:
        bad = [m for m in self.months if not 1 <= m <= 12]
        if bad:
            raise ValueError(f"months must be 1 to 12 (got {bad})")
        return self


class Discontinued(_Strict):
    """A collection that ended: its last period and what replaced it (if anything)."""

    last_period: dt.date
    successor: str


_HOST = re.compile(r"(?=.{1,253}(:|$))[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?")


class Publication(_Strict):
    """A publication still released: its calendar (data currency) and how it is fetched.

    Data currency is judged from here alone (``metrics.currency``): a period's figures are due on
    the first ``schedule`` release day at least ``release_lag_days`` after the period ends.
    ``metrics`` names the metrics this publication dates where its source has several
    publications (acute and community discharge delays).
    """

    id: str
    name: str
    source: str
    landing_page: str
    release_lag_days: int = Field(ge=0, le=400)
    metrics: tuple[str, ...] = ()
    page_structure: str
    year_pages: LinkRule | None = None
    year_pages_followed: int = Field(default=1, ge=1, le=6)
    files: LinkRule
    formats: tuple[FileFormat, ...] = Field(min_length=1)
    published_pattern: str = r"published:?\s*(?:on\s*)?(\d{1,2}\s+[A-Za-z]+\s+\d{4})"
    schedule: ReleaseSchedule
    discontinued: None = None
    # Hosts besides the landing page's own that the fetcher may request (pages, files, redirects),
    # e.g. a publisher's separate file server; ``host`` or ``host:port``, nothing else.
    allowed_hosts: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _checked(self) -> Publication:
        if not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:\d{1,5})?(/\S*)?", self.landing_page):
            raise ValueError(f"landing_page must be an http(s) address (got {self.landing_page!r})")
        for host in self.allowed_hosts:
            if not _HOST.fullmatch(host):
                raise ValueError(
                    f"allowed_hosts: {host!r} is not a host name (lower case, optionally ':port'; "
                    "no scheme, path or wildcard)"
                )
        try:
            re.compile(self.published_pattern)
        except re.error as exc:
            raise ValueError(f"published_pattern is not a valid regular expression: {exc}") from None
        return self


class EndedPublication(_Strict):
    """A collection that is no longer released: never overdue, never fetched."""

    id: str
    name: str
    source: str
    landing_page: str
    release_lag_days: int = Field(ge=0, le=400)
    metrics: tuple[str, ...] = ()
    discontinued: Discontinued


#: The suggested-question rules (``metrics.questions``) and the names each may use in its words.
_COMMON_PLACEHOLDERS = ("indicator", "area", "value", "period")
_LIMITS = ("target", "target_kind", "lower_limit", "upper_limit")
QUESTION_PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "special_cause_concern": (*_COMMON_PLACEHOLDERS, "moved", "where", "limit"),
    "assurance_fail": (*_COMMON_PLACEHOLDERS, *_LIMITS),
    "trajectory_missed": (*_COMMON_PLACEHOLDERS, "target", "target_kind", "target_source", "gap"),
    "hit_and_miss": (*_COMMON_PLACEHOLDERS, *_LIMITS),
    "series_break": (*_COMMON_PLACEHOLDERS, "change_period", "reason"),
    "membership_change": (*_COMMON_PLACEHOLDERS, "change_period", "reason"),
    "overdue": (*_COMMON_PLACEHOLDERS, "next_period", "due"),
    "discontinued": (*_COMMON_PLACEHOLDERS, "stopped", "successor"),
    "reported_gap": (*_COMMON_PLACEHOLDERS, "reported", "published", "difference"),
}
SPECIAL_CAUSE_PLACES = tuple(
    f"{rule}_{side}" for rule in ("outside_limits", "shift", "trend", "two_of_three") for side in ("low", "high")
)


def _placeholders(template: str) -> list[str]:
    """The ``{names}`` in a question's words (a malformed brace is a ValueError)."""
    return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]


class QuestionRule(_Strict):
    """One rule's words: the question and the line of figures it rests on."""

    question: str = Field(min_length=1)
    figures: str = Field(min_length=1)


class LargeDifference(_Strict):
    """When a figure reported to committee is far enough from the published one to ask about."""

    percentage_points: float = Field(gt=0)
    relative: float = Field(gt=0, lt=1)


class Questions(_Strict):
    """Suggested questions (``questions`` in config.yaml): thresholds and the words of every rule."""

    large_difference: LargeDifference
    target_kinds: dict[TargetKind, str]
    special_cause_words: dict[str, str]
    rules: dict[str, QuestionRule]

    @model_validator(mode="after")
    def _complete(self) -> Questions:
        problems = []
        for rule in QUESTION_PLACEHOLDERS:
            if rule not in self.rules:
                problems.append(f"questions: rule '{rule}' is missing")
        for rule, words in self.rules.items():
            if rule not in QUESTION_PLACEHOLDERS:
                problems.append(f"questions: '{rule}' is not a rule (one of: {', '.join(QUESTION_PLACEHOLDERS)})")
                continue
            allowed = QUESTION_PLACEHOLDERS[rule]
            for field_name in ("question", "figures"):
                try:
                    names = _placeholders(getattr(words, field_name))
                except ValueError as exc:
                    problems.append(f"questions: rule '{rule}': field '{field_name}': {exc}")
                    continue
                for name in names:
                    if name not in allowed:
                        problems.append(
                            f"questions: rule '{rule}': field '{field_name}': '{{{name}}}' is not one of "
                            f"{', '.join('{' + a + '}' for a in allowed)}"
                        )
        missing = [k for k in TargetKind.__args__ if k not in self.target_kinds]
        if missing:
            problems.append(f"questions: field 'target_kinds': missing {', '.join(missing)}")
        for key in SPECIAL_CAUSE_PLACES:
            if key not in self.special_cause_words:
                problems.append(f"questions: field 'special_cause_words': '{key}' is missing")
        for key in self.special_cause_words:
            if key not in SPECIAL_CAUSE_PLACES:
                known = ", ".join(SPECIAL_CAUSE_PLACES)
                problems.append(f"questions: field 'special_cause_words': '{key}' is not one of {known}")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _publication_kind(value) -> str:
    ended = isinstance(value, EndedPublication) or (isinstance(value, dict) and "discontinued" in value)
    return "ended" if ended else "running"


AnyPublication = Annotated[
    Annotated[Publication, Tag("running")] | Annotated[EndedPublication, Tag("ended")],
    Discriminator(_publication_kind),
]


class Catalogue(_Strict):
    settings: Settings
    spc: SPCRules
    peer_groups: dict[str, PeerGroup] = {}
    organisations: tuple[Organisation, ...]
    areas: tuple[Area, ...]
    memberships: dict[str, Membership]
    sources: dict[str, Source]
    metrics: tuple[Metric, ...]
    annotations: tuple[Annotation, ...] = ()
    publications: tuple[AnyPublication, ...] = ()
    questions: Questions
    #: Added by ``metrics.areas.with_reference_areas`` (empty for config.yaml alone): when each
    #: member counts in an area, area id -> member code -> (first day, last day; None open), and
    #: where every generated membership comes from.
    member_periods: dict[str, dict[str, tuple[dt.date | None, dt.date | None]]] = {}
    membership_origins: tuple[MembershipOrigin, ...] = ()

    @model_validator(mode="after")
    def _cross_references(self) -> Catalogue:
        problems: list[str] = []
        _unique(problems, "organisation", [o.code for o in self.organisations])
        _unique(problems, "metric", [m.id for m in self.metrics])
        _unique(problems, "area", [a.id for a in self.areas])
        _unique(problems, "publication", [p.id for p in self.publications])
        metric_ids_all = {m.id for m in self.metrics}
        for p in self.publications:
            if p.source not in self.sources:
                problems.append(f"publication '{p.id}': field 'source': '{p.source}' is not in sources")
            for ref in p.metrics:
                if ref not in metric_ids_all:
                    problems.append(f"publication '{p.id}': field 'metrics': '{ref}' is not a metric")
        codes = {o.code for o in self.organisations}
        area_ids = {a.id for a in self.areas}
        for area in self.areas:
            if area.org_code not in codes:
                problems.append(f"area '{area.id}': field 'org_code': '{area.org_code}' is not an organisation")
        for name, membership in self.memberships.items():
            for area_id, members in membership.areas.items():
                if area_id not in area_ids:
                    problems.append(f"membership '{name}': area '{area_id}' is not an area")
                for code in members:
                    if code not in codes:
                        problems.append(f"membership '{name}': member '{code}' is not an organisation")
        for m in self.metrics:
            if m.source not in self.sources:
                problems.append(f"metric '{m.id}': field 'source': '{m.source}' is not in sources")
            if m.membership is not None and m.membership not in self.memberships:
                problems.append(f"metric '{m.id}': field 'membership': '{m.membership}' is not in memberships")
            for name in m.bcf_sets:
                if name not in self.settings.bcf_sets:
                    problems.append(f"metric '{m.id}': field 'bcf_sets': '{name}' is not in settings.bcf_sets")
            if m.interval == "wilson" and m.unit != "percent":
                problems.append(f"metric '{m.id}': field 'interval': wilson needs a percent unit")
            if m.rollup == "ratio_of_sums" and m.scale is None:
                problems.append(f"metric '{m.id}': field 'rollup': ratio_of_sums needs a percent, rate or ratio unit")
            if m.derived_from is not None:
                for field in ("count_metric", "population_metric"):
                    ref = getattr(m.derived_from, field)
                    if ref not in {x.id for x in self.metrics}:
                        problems.append(f"metric '{m.id}': field 'derived_from.{field}': '{ref}' is not a metric")
            for t in m.targets:
                if t.org_code is not None and t.org_code not in codes:
                    problems.append(f"metric '{m.id}': field 'targets.org_code': '{t.org_code}' is not an organisation")
            for e in m.expectations:
                if e.org_code is not None and e.org_code not in codes:
                    problems.append(
                        f"metric '{m.id}': field 'expectations.org_code': '{e.org_code}' is not an organisation"
                    )
                if e.judged_on == "total_over_span" and m.unit not in ("count", "gbp"):
                    problems.append(f"metric '{m.id}': field 'expectations.judged_on': a total needs a count")
        metric_ids = {m.id for m in self.metrics}
        for m in self.metrics:
            for group in m.peer_groups:
                if group not in self.peer_groups:
                    problems.append(f"metric '{m.id}': field 'peer_groups': '{group}' is not in peer_groups")
        for name, group in self.peer_groups.items():
            for field in ("reports_metric", "lacks_metric"):
                ref = getattr(group, field)
                if ref is not None and ref not in metric_ids:
                    problems.append(f"peer group '{name}': field '{field}': '{ref}' is not a metric")
        for name, membership in self.memberships.items():
            for area_id, parts in membership.components.items():
                members = set(membership.areas.get(area_id, ()))
                if area_id not in membership.areas:
                    problems.append(f"membership '{name}': components for area '{area_id}', which has no members")
                if sum(part.main for part in parts) > 1:
                    mains = ", ".join(f"'{part.id}'" for part in parts if part.main)
                    problems.append(
                        f"membership '{name}': components for '{area_id}': only one can be the main provider "
                        f"(field 'main'), not {mains}"
                    )
                for part in parts:
                    for code in part.members:
                        if code not in members:
                            problems.append(
                                f"membership '{name}': component '{part.id}': '{code}' is not a member for '{area_id}'"
                            )
        for o in self.organisations:
            if o.succeeds is not None and o.succeeds not in codes:
                problems.append(f"organisation '{o.code}': field 'succeeds': '{o.succeeds}' is not an organisation")
        for a in self.annotations:
            if a.metric_id is not None and a.metric_id not in metric_ids:
                problems.append(f"annotation '{a.text}': field 'metric_id': '{a.metric_id}' is not a metric")
            for ref in a.rebase_metrics:
                if ref not in metric_ids:
                    problems.append(f"annotation '{a.text}': field 'rebase_metrics': '{ref}' is not a metric")
            for topic in a.rebase_topics:
                if topic not in TOPICS:
                    problems.append(f"annotation '{a.text}': field 'rebase_topics': '{topic}' is not a topic")
            for topic in a.topics:
                if topic not in TOPICS:
                    problems.append(f"annotation '{a.text}': field 'topics': '{topic}' is not a topic")
            if a.metric_id is not None and a.topics:
                problems.append(f"annotation '{a.text}': give 'metric_id' or 'topics', not both")
        if self.settings.england_area not in area_ids:
            problems.append(f"settings: field 'england_area': '{self.settings.england_area}' is not an area")
        if self.settings.default_area not in area_ids:
            problems.append(f"settings: field 'default_area': '{self.settings.default_area}' is not an area")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # ------------------------------------------------------------------ look-ups
    @cached_property
    def metric_by_id(self) -> dict[str, Metric]:
        return {m.id: m for m in self.metrics}

    @cached_property
    def organisation_by_code(self) -> dict[str, Organisation]:
        return {o.code: o for o in self.organisations}

    @cached_property
    def area_by_id(self) -> dict[str, Area]:
        return {a.id: a for a in self.areas}

    def find_area(self, text: str | None) -> str | None:
        """The id of the area named by ``text``: its id or an alias (``qk1``), any case; else None."""
        if text is None:
            return None
        wanted = str(text).strip().lower()
        return self._area_ids.get(wanted)

    @cached_property
    def _area_ids(self) -> dict[str, str]:
        out = {}
        for a in self.areas:
            for alias in a.aliases:
                out.setdefault(alias.lower(), a.id)
        for a in self.areas:
            out[a.id.lower()] = a.id
        return out

    @cached_property
    def alias_map(self) -> dict[str, str]:
        """Old or alternative organisation codes (e.g. council code 509) to current codes."""
        mapping = {o.code.upper(): o.code for o in self.organisations}
        for o in self.organisations:
            for alias in o.aliases:
                mapping[alias.upper()] = o.code
        return mapping

    @cached_property
    def publication_by_id(self) -> dict[str, Publication | EndedPublication]:
        return {p.id: p for p in self.publications}

    @cached_property
    def running_publications(self) -> tuple[Publication, ...]:
        """The publications still released (the ones ``fetch`` checks)."""
        return tuple(p for p in self.publications if isinstance(p, Publication))

    @cached_property
    def _publication_by_metric(self) -> dict[str, Publication | EndedPublication]:
        out: dict[str, Publication | EndedPublication] = {}
        for p in self.publications:  # named metrics first, then the rest of the source's
            for mid in p.metrics:
                out.setdefault(mid, p)
        for m in self.metrics:
            if m.id not in out:
                same = [p for p in self.publications if p.source == m.source and not p.metrics]
                if same:
                    out[m.id] = same[0]
        return out

    def publication_for(self, metric_id: str) -> Publication | EndedPublication | None:
        """The publication whose calendar dates ``metric_id`` (None: a local or committee figure)."""
        return self._publication_by_metric.get(metric_id)

    def metric(self, metric_id: str) -> Metric:
        try:
            return self.metric_by_id[metric_id]
        except KeyError:
            raise KeyError(f"unknown metric '{metric_id}'") from None

    def resolve_org(self, code: str) -> str:
        """Return the current code for ``code`` (an alias such as '509' becomes 'E06000016')."""
        text = str(code).strip()
        return self.alias_map.get(text.upper(), text)

    def members(self, metric_id: str, area_id: str) -> tuple[str, ...]:
        """Organisations whose figures roll up into ``area_id`` for ``metric_id`` (may be empty)."""
        metric = self.metric(metric_id)
        if metric.membership is None:
            return ()
        return self.memberships[metric.membership].areas.get(area_id, ())

    def area_org_codes(self, area_id: str) -> tuple[str, ...]:
        """Every organisation whose figures can appear for ``area_id``: its members for any metric and itself."""
        codes = {self.area_by_id[area_id].org_code}
        for membership in self.memberships.values():
            codes.update(membership.areas.get(area_id, ()))
        return tuple(sorted(codes))

    def components(self, metric_id: str, area_id: str) -> tuple[Component, ...]:
        """The named parts of ``area_id``'s roll-up for ``metric_id`` (may be empty)."""
        metric = self.metric(metric_id)
        if metric.membership is None:
            return ()
        return self.memberships[metric.membership].components.get(area_id, ())

    def main_component(self, metric_id: str, area_id: str) -> Component | None:
        """The part of ``area_id``'s roll-up marked ``main: true`` for ``metric_id`` (None when none is)."""
        return next((c for c in self.components(metric_id, area_id) if c.main), None)

    @cached_property
    def successor_map(self) -> dict[str, str]:
        """Each organisation code to the code that now reports for it (NJS05 -> NNJ07)."""
        direct = {o.succeeds: o.code for o in self.organisations if o.succeeds is not None}
        out = {}
        for code in direct:
            current, seen = code, set()
            while current in direct and current not in seen:
                seen.add(current)
                current = direct[current]
            out[code] = current
        return out

    def events_for(self, metric_id: str) -> tuple[Annotation, ...]:
        """Catalogued events drawn on ``metric_id``'s charts: its own, its topic's and system-wide ones."""
        topic = self.metric(metric_id).topic
        return tuple(
            a
            for a in self.annotations
            if a.metric_id == metric_id or topic in a.topics or (a.metric_id is None and not a.topics)
        )

    def system_changes(self, metric_id: str) -> tuple[Annotation, ...]:
        """Catalogued events that re-base ``metric_id``'s SPC limits."""
        metric = self.metric(metric_id)
        return tuple(a for a in self.annotations if metric.topic in a.rebase_topics or metric_id in a.rebase_metrics)

    def spc_settings(self, rebase_dates=(), rebase_reasons=()):
        """``metrics.spc.SPCSettings`` from the catalogue's ``spc`` rules and the given rebases."""
        return SPCSettings(
            **self.spc.model_dump(), rebase_dates=tuple(rebase_dates), rebase_reasons=tuple(rebase_reasons)
        )

    def metrics_in_topic(self, topic: str) -> tuple[Metric, ...]:
        return tuple(m for m in self.metrics if m.topic == topic)

    def resolve_path(self, relative: str) -> Path:
        """A path from the settings, relative to the project root."""
        path = Path(relative)
        return path if path.is_absolute() else PROJECT_ROOT / path


def _unique(problems: list[str], what: str, keys: list[str]) -> None:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            problems.append(f"{what} '{key}' is defined twice")
        seen.add(key)


class _DuplicateKey(Exception):
    """A mapping key given twice; lines are 0-based, as PyYAML marks are."""

    def __init__(self, key: object, line: int, first_line: int) -> None:
        super().__init__(key)
        self.key, self.line, self.first_line = key, line, first_line


def _duplicate_location(text: str, line: int) -> str:
    """'metric 'ae_4hr_all': ' for the catalogue item whose text contains ``line`` (else '')."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return ""
    if not isinstance(root, yaml.MappingNode):
        return ""
    item_names = {
        "metrics": ("metric", "id"),
        "organisations": ("organisation", "code"),
        "areas": ("area", "id"),
        "publications": ("publication", "id"),
    }
    for key_node, value_node in root.value:
        if not value_node.start_mark.line <= line <= value_node.end_mark.line:
            continue
        section = key_node.value
        if section in item_names and isinstance(value_node, yaml.SequenceNode):
            label, ident_key = item_names[section]
            items = [n for n in value_node.value if n.start_mark.line <= line]
            if items and isinstance(items[-1], yaml.MappingNode):
                ident = next((v.value for k, v in items[-1].value if k.value == ident_key), f"#{len(items)}")
                return f"{label} '{ident}': "
        if section in ("memberships", "sources") and isinstance(value_node, yaml.MappingNode):
            names = [k.value for k, v in value_node.value if k.start_mark.line <= line]
            if names:
                return f"{section[:-1]} '{names[-1]}': "
    return ""


# libyaml's parser when PyYAML was built with it: the pure-Python one took half a second of every
# app start to read config.yaml (profiled); the constructors, and so the checks, are the same.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _NoDuplicateLoader(_SafeLoader):
    """A YAML loader that refuses duplicate mapping keys instead of keeping the last one."""


def _construct_mapping(loader: _NoDuplicateLoader, node: yaml.MappingNode, deep: bool = False):
    loader.flatten_mapping(node)
    seen: dict = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise _DuplicateKey(key, key_node.start_mark.line, seen[key])
        seen[key] = key_node.start_mark.line
    return yaml.constructor.SafeConstructor.construct_mapping(loader, node, deep=deep)


_NoDuplicateLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _location(raw: dict, loc: tuple) -> str:
    """Turn a pydantic error location into 'metric 'ae_4hr_all': field 'unit''."""
    if not loc:
        return "catalogue"
    head, *rest = loc
    item_names = {
        "metrics": ("metric", "id"),
        "organisations": ("organisation", "code"),
        "areas": ("area", "id"),
        "publications": ("publication", "id"),
    }
    rest = [p for p in rest if p not in ("running", "ended")]  # the publication kind's tag
    if head in item_names and rest and isinstance(rest[0], int):
        label, key = item_names[head]
        index = rest[0]
        try:
            ident = raw[head][index].get(key, f"#{index + 1}")
        except (AttributeError, IndexError, KeyError, TypeError):
            ident = f"#{index + 1}"
        field = ".".join(str(p) for p in rest[1:] if not isinstance(p, int)) or key
        return f"{label} '{ident}': field '{field}'"
    if head in ("memberships", "sources") and rest:
        field = ".".join(str(p) for p in rest[1:]) or "value"
        return f"{head[:-1]} '{rest[0]}': field '{field}'"
    return "field '" + ".".join(str(p) for p in loc) + "'"


def parse_catalogue(text: str, name: str = "config.yaml") -> Catalogue:
    """Parse catalogue YAML text strictly.

    Parameters
    ----------
    text : str
        The YAML document.
    name : str
        The file name used in error messages.

    Returns
    -------
    Catalogue

    Raises
    ------
    CatalogueError
        With every problem found, each naming the item (metric, organisation, ...) and field.
    """
    try:
        raw = yaml.load(text, Loader=_NoDuplicateLoader)  # noqa: S506 - a safe loader's subclass
    except _DuplicateKey as exc:
        where = _duplicate_location(text, exc.line)
        lines = f"line {exc.line + 1} (first at line {exc.first_line + 1})"
        raise CatalogueError(f"{name}: {where}field '{exc.key}': duplicate key at {lines}") from None
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{name}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise CatalogueError(f"{name}: expected a mapping with settings, organisations, areas, metrics")
    try:
        return Catalogue.model_validate(raw)
    except ValidationError as exc:
        messages = []
        for err in exc.errors():
            where = _location(raw, tuple(err["loc"]))
            if err["type"] == "missing":
                messages.append(f"{where}: missing")
            elif err["type"] == "extra_forbidden":
                messages.append(f"{where}: unknown key")
            elif err["type"] == "value_error" and (not err["loc"] or tuple(err["loc"]) == ("questions",)):
                messages.append(str(err["ctx"]["error"]))
            else:
                messages.append(f"{where}: {err['msg']} (got {err.get('input')!r})")
        raise CatalogueError(f"{name}: " + "; ".join(messages)) from None


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """Read and strictly parse the catalogue file (``config.yaml`` at the project root by default)."""
    path = Path(path) if path is not None else DEFAULT_CONFIG
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogueError(f"{path}: cannot be read ({exc.strerror})") from None
    return parse_catalogue(text, name=path.name)
