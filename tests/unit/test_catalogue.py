"""Tests for metrics.catalogue: config.yaml parsed strictly into typed models."""

from __future__ import annotations

import csv
import datetime as dt

import pytest

from loaders.cli import main
from loaders.ingest import ingest_paths
from metrics import store
from metrics.catalogue import DEFAULT_CONFIG, PROJECT_ROOT, CatalogueError, load_catalogue, parse_catalogue
from metrics.periods import parse_period
from tests.conftest import CORE_METRICS, absent

CONFIG_TEXT = DEFAULT_CONFIG.read_text(encoding="utf-8")
SEED_FIGURES = PROJECT_ROOT.parent / "shared" / "reference" / "seed_figures.csv"

# The first metric in config.yaml, as written there (ae_4hr_all).
AE_UNIT = "    unit: percent\n    improvement_direction: increase\n    frequency: month\n    topic: urgent_care\n"
AE_DECIMALS = "    source: ae\n    decimals: 1\n"

ISSUE_2_METRICS = CORE_METRICS

# Seed figure metric names that the catalogue files under another id (data/demo/README.md).
SEED_METRIC_IDS = {
    "home_first_therapy_within_2_days": "reablement_2day",
    "reablement_91_days": "ascof_2b1",
    "not_in_best_setting_uhl": "not_in_best_setting",
    "not_in_best_setting_lpt_community": "not_in_best_setting",
}


def edited(old: str, new: str) -> str:
    """config.yaml with the first occurrence of ``old`` replaced (which must be there)."""
    assert old in CONFIG_TEXT, f"config.yaml no longer contains {old!r}"
    return CONFIG_TEXT.replace(old, new, 1)


def parse_error(text: str) -> str:
    with pytest.raises(CatalogueError) as info:
        parse_catalogue(text, "config.yaml")
    return str(info.value)


class TestShippedCatalogue:
    def test_config_yaml_loads(self, catalogue):
        assert len(catalogue.metrics) >= len(ISSUE_2_METRICS)
        assert catalogue.settings.default_area == "llr"

    @pytest.mark.parametrize("metric_id", ISSUE_2_METRICS)
    def test_every_metric_named_in_issue_2_exists(self, catalogue, metric_id):
        assert catalogue.metric(metric_id).id == metric_id

    def test_every_metric_is_documented(self, catalogue):
        # Everything documented is enforced: a reader can always see what a figure means and where it came from.
        problems = []
        for m in catalogue.metrics:
            src = catalogue.sources[m.source]
            for field, text in [
                ("name", m.name),
                ("description", m.description),
                ("definition", m.definition),
                ("source.publisher", src.publisher),
                ("source.publication", src.publication),
                ("source.licence", src.licence),
            ]:
                if not text.strip():
                    problems.append(f"{m.id}: {field} is empty")
            if m.improvement_direction not in ("increase", "decrease", "neutral"):
                problems.append(f"{m.id}: no improvement direction")
        assert problems == []

    def test_descriptions_are_one_sentence(self, catalogue):
        not_sentences = [m.id for m in catalogue.metrics if not m.description.rstrip().endswith(".")]
        assert not_sentences == []

    def test_every_seed_figure_has_a_metric(self, catalogue):
        if not SEED_FIGURES.exists():
            absent(f"reference figures not available: {SEED_FIGURES}")
        with open(SEED_FIGURES, encoding="utf-8") as fh:
            seed_metrics = {row["metric"] for row in csv.DictReader(fh)}
        missing = sorted(m for m in seed_metrics if SEED_METRIC_IDS.get(m, m) not in catalogue.metric_by_id)
        assert missing == []

    def test_every_seed_figure_loads_from_the_reported_files(self, catalogue, sqlite_engine):
        if not SEED_FIGURES.exists():
            absent(f"reference figures not available: {SEED_FIGURES}")
        reported = sorted((PROJECT_ROOT / "data" / "reported").glob("reported_*.csv"))
        assert len(reported) == 3
        summary = ingest_paths(reported, sqlite_engine, catalogue)
        assert [o.status for o in summary.outcomes] == ["loaded"] * 3, summary.lines()
        stored = store.read_observations(sqlite_engine)
        stored = {(r.metric_id, r.org_code, r.period_start.date()): r.value for r in stored.itertuples(index=False)}
        areas = {"LLR": "LLR", "Rutland": "E06000017", "UHL": "RWE", "LPT": "RT5"}
        with open(SEED_FIGURES, encoding="utf-8") as fh:
            figures = [row for row in csv.DictReader(fh) if row["value"]]
        missing = []
        for row in figures:
            metric = catalogue.metric(SEED_METRIC_IDS.get(row["metric"], row["metric"]))
            key = (metric.id, areas[row["area"]], parse_period(row["period"], metric.frequency))
            if stored.get(key) != pytest.approx(float(row["value"])):
                missing.append((row["metric"], row["area"], row["period"], row["value"], stored.get(key)))
        assert missing == []

    @pytest.mark.parametrize(
        ("kind", "value", "valid_from", "valid_to", "org_code"),
        [
            ("standard", 95.0, dt.date(2010, 11, 1), None, None),
            ("interim", 76.0, dt.date(2023, 4, 1), dt.date(2024, 3, 31), None),
            ("interim", 78.0, dt.date(2024, 4, 1), dt.date(2026, 3, 31), None),
            ("trajectory", 92.1, dt.date(2017, 3, 1), dt.date(2017, 3, 31), "LLR"),
        ],
    )
    def test_ae_four_hour_targets_are_present(self, catalogue, kind, value, valid_from, valid_to, org_code):
        targets = {
            (t.kind, t.value, t.valid_from, t.valid_to, t.org_code) for t in catalogue.metric("ae_4hr_all").targets
        }
        assert (kind, value, valid_from, valid_to, org_code) in targets

    def test_ae_76_percent_covers_march_2024_and_78_covers_2025_26(self, catalogue):
        def in_force(day):
            return {
                t.value
                for t in catalogue.metric("ae_4hr_all").targets
                if t.kind == "interim" and t.valid_from <= day <= (t.valid_to or dt.date.max)
            }

        assert in_force(dt.date(2024, 3, 1)) == {76.0}
        assert in_force(dt.date(2025, 3, 1)) == {78.0}
        assert in_force(dt.date(2026, 3, 1)) == {78.0}

    @pytest.mark.parametrize("metric_id", ["dtoc_days", "dtoc_days_nhs", "dtoc_days_social_care", "dtoc_days_both"])
    def test_dtoc_series_breaks_after_february_2020(self, catalogue, metric_id):
        breaks = catalogue.metric(metric_id).series_breaks
        assert [b.date for b in breaks] == [dt.date(2020, 3, 1)]
        assert "February 2020" in breaks[0].reason

    @pytest.mark.parametrize(
        ("old_code", "current"),
        [
            ("508", "E10000018"),
            ("509", "E06000016"),
            ("510", "E06000017"),
            (" 509 ", "E06000016"),
            ("eng", "E92000001"),
        ],
    )
    def test_old_council_codes_resolve_to_current_codes(self, catalogue, old_code, current):
        assert catalogue.resolve_org(old_code) == current

    def test_unknown_code_is_returned_unchanged(self, catalogue):
        assert catalogue.resolve_org("RX1") == "RX1"

    def test_members_of_llr_for_a_council_metric_are_the_three_councils(self, catalogue):
        assert catalogue.members("dtoc_days", "llr") == ("E06000016", "E10000018", "E06000017")

    def test_unknown_metric_lookup_names_it(self, catalogue):
        with pytest.raises(KeyError, match="unknown metric 'ae_4hr'"):
            catalogue.metric("ae_4hr")


class TestEventsConcernTheirCharts:
    def test_home_first_going_live_is_drawn_on_home_first_charts_only(self, catalogue):
        home_first = {a.text for a in catalogue.events_for("reablement_2day")}
        beds = {a.text for a in catalogue.events_for("beds_ga_occupancy")}
        assert "Home First model live across LLR" in home_first
        assert "Home First model live across LLR" not in beds
        assert "COVID-19 pandemic: services reorganised" in beds, "a system-wide event is on every chart"

    def test_an_event_for_one_metric_is_on_that_metric_only(self, catalogue):
        assert "Delayed transfers of care collection stopped" in {a.text for a in catalogue.events_for("dtoc_days")}
        assert "Delayed transfers of care collection stopped" not in {
            a.text for a in catalogue.events_for("dtoc_days_nhs")
        }


class TestParseCatalogueStrictness:
    def test_duplicate_key_names_metric_field_and_lines(self):
        message = parse_error(edited(AE_DECIMALS, AE_DECIMALS + "    decimals: 2\n"))
        assert message.startswith("config.yaml: metric 'ae_4hr_all': field 'decimals': duplicate key at line ")
        assert "(first at line " in message

    def test_duplicate_key_in_a_source_names_the_source(self):
        message = parse_error(
            edited("    publisher: NHS Digital\n", "    publisher: NHS Digital\n    publisher: ONS\n")
        )
        assert "source 'ascof': field 'publisher': duplicate key" in message

    def test_unknown_key_names_metric_and_field(self):
        message = parse_error(edited(AE_DECIMALS, AE_DECIMALS + "    colour: red\n"))
        assert message == "config.yaml: metric 'ae_4hr_all': field 'colour': unknown key"

    def test_misspelt_key_is_both_unknown_and_missing(self):
        message = parse_error(
            edited('    definition: "Numerator: attendances (all', '    defn: "Numerator: attendances (all')
        )
        assert message == (
            "config.yaml: metric 'ae_4hr_all': field 'definition': missing; "
            "metric 'ae_4hr_all': field 'defn': unknown key"
        )

    def test_wrong_unit_names_metric_field_and_value(self):
        message = parse_error(edited(AE_UNIT, AE_UNIT.replace("percent", "pct")))
        assert message.startswith("config.yaml: metric 'ae_4hr_all': field 'unit': Input should be 'percent'")
        assert message.endswith("(got 'pct')")

    def test_decimals_as_a_word_names_metric_and_field(self):
        message = parse_error(edited(AE_DECIMALS, AE_DECIMALS.replace("1", '"one"')))
        assert message.startswith("config.yaml: metric 'ae_4hr_all': field 'decimals': Input should be a valid integer")
        assert message.endswith("(got 'one')")

    def test_wrong_type_in_a_target_names_the_metric_and_nested_field(self):
        message = parse_error(edited("{kind: standard, value: 95,", "{kind: standard, value: ninety-five,"))
        assert message.startswith("config.yaml: metric 'ae_4hr_all': field 'targets.value': ")

    def test_unknown_source_reference_names_metric_and_field(self):
        message = parse_error(edited(AE_DECIMALS, AE_DECIMALS.replace("source: ae", "source: a_and_e")))
        assert message == "config.yaml: metric 'ae_4hr_all': field 'source': 'a_and_e' is not in sources"

    def test_unknown_membership_reference_names_metric_and_field(self):
        message = parse_error(edited("    membership: llr_urgent_care\n", "    membership: llr_urgentcare\n"))
        assert message == "config.yaml: metric 'ae_4hr_all': field 'membership': 'llr_urgentcare' is not in memberships"

    def test_the_main_provider_of_the_llr_urgent_care_blend_is_uhl(self, catalogue):
        main = catalogue.main_component("ae_4hr_all", "llr")
        assert (main.id, main.members) == ("uhl", ("RWE",))
        assert not next(c for c in catalogue.components("ae_4hr_all", "llr") if c.id == "utc").main
        assert catalogue.main_component("beds_ga_occupancy", "llr") is None

    def test_two_main_providers_are_refused(self):
        message = parse_error(
            edited(
                "members: [NNJ07, NJS05, NNJ0H, NNJ12, NNJ13, NNJ14, NNJ15]}",
                "members: [NNJ07, NJS05, NNJ0H, NNJ12, NNJ13, NNJ14, NNJ15], main: true}",
            )
        )
        assert message == (
            "config.yaml: membership 'llr_urgent_care': components for 'llr': only one can be the main provider "
            "(field 'main'), not 'uhl', 'utc'"
        )

    def test_main_must_be_true_or_false(self):
        message = parse_error(edited("members: [RWE], main: true}", "members: [RWE], main: maybe}"))
        assert message == (
            "config.yaml: membership 'llr_urgent_care': field 'components.llr.0.main': Input should be a valid "
            "boolean, unable to interpret input (got 'maybe')"
        )

    def test_unknown_member_organisation_is_named(self):
        message = parse_error(edited("llr: [RWE, RT5]", "llr: [RWE, RT6]"))
        assert message == "config.yaml: membership 'llr_bed_providers': member 'RT6' is not an organisation"

    def test_target_for_unknown_organisation_is_named(self):
        message = parse_error(edited("value: 92.1, org_code: LLR,", "value: 92.1, org_code: LLRR,"))
        assert message == "config.yaml: metric 'ae_4hr_all': field 'targets.org_code': 'LLRR' is not an organisation"

    def test_an_event_for_an_unknown_topic_is_named(self):
        message = parse_error(edited("topics: [home_first]}", "topics: [homefirst]}"))
        assert message == (
            "config.yaml: annotation 'Home First model live across LLR': field 'topics': 'homefirst' is not a topic"
        )

    def test_an_expectation_whose_span_is_out_of_order_is_refused(self):
        message = parse_error(edited("earliest_end: 2019-12-01", "earliest_end: 2022-12-01"))
        assert message.startswith("config.yaml: metric 'phb_in_place': field 'expectations': ")
        assert "start < earliest_end <= end" in message

    def test_metric_defined_twice_is_named(self):
        message = parse_error(edited("  - id: ae_4hr_type1\n", "  - id: ae_4hr_all\n"))
        assert "metric 'ae_4hr_all' is defined twice" in message

    def test_cross_references_are_checked_once_fields_are_valid(self):
        text = edited(AE_UNIT, AE_UNIT.replace("percent", "pct"))
        text = text.replace("    membership: llr_urgent_care\n", "    membership: nowhere\n", 1)
        message = parse_error(text)
        assert "field 'unit'" in message
        assert "field 'membership'" not in message  # cross-references are checked once the fields are valid

    def test_not_a_mapping_is_refused(self):
        assert parse_error("- just a list\n") == (
            "config.yaml: expected a mapping with settings, organisations, areas, metrics"
        )

    def test_invalid_yaml_is_refused_with_the_file_name(self):
        assert parse_error("metrics: [\n").startswith("config.yaml: not valid YAML: ")

    def test_parsed_models_are_frozen(self, catalogue):
        with pytest.raises(ValueError, match="frozen"):
            catalogue.metric("ae_4hr_all").unit = "count"


class TestLoadCatalogue:
    def test_missing_file_is_named(self, tmp_path):
        with pytest.raises(CatalogueError, match=r"nope\.yaml: cannot be read"):
            load_catalogue(tmp_path / "nope.yaml")

    def test_error_names_the_file(self, tmp_path):
        path = tmp_path / "local.yaml"
        path.write_text(edited(AE_DECIMALS, AE_DECIMALS + "    colour: red\n"), encoding="utf-8")
        with pytest.raises(CatalogueError, match=r"^local\.yaml: metric 'ae_4hr_all': field 'colour': unknown key$"):
            load_catalogue(path)


class TestCheckConfigCommand:
    def test_shipped_config_is_ok(self, capsys):
        assert main(["check-config", str(DEFAULT_CONFIG)]) == 0
        out = capsys.readouterr().out
        assert out.startswith(f"{DEFAULT_CONFIG}: OK (")
        assert "metrics" in out and "organisations" in out

    def test_bad_file_exits_non_zero_with_the_message(self, tmp_path, capsys):
        path = tmp_path / "bad.yaml"
        path.write_text(edited(AE_UNIT, AE_UNIT.replace("percent", "pct")), encoding="utf-8")
        assert main(["check-config", str(path)]) == 1
        err = capsys.readouterr().err
        assert err.startswith("ERROR: bad.yaml: metric 'ae_4hr_all': field 'unit': ")
        assert "(got 'pct')" in err
