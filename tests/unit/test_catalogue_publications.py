"""The ``publications:`` section of config.yaml: what ``python -m loaders fetch`` reads, parsed strictly."""

from __future__ import annotations

import pytest

from metrics.catalogue import DEFAULT_CONFIG, CatalogueError, parse_catalogue

CONFIG_TEXT = DEFAULT_CONFIG.read_text(encoding="utf-8")
AE_FILES = "    files:\n      link_text: ^\\s*Monthly A&E\n      file_pattern: \\.csv$\n"


def edited(old: str, new: str) -> str:
    """config.yaml with the first occurrence of ``old`` replaced (which must be there)."""
    assert old in CONFIG_TEXT, f"config.yaml no longer contains {old!r}"
    return CONFIG_TEXT.replace(old, new, 1)


def parse_error(text: str) -> str:
    with pytest.raises(CatalogueError) as info:
        parse_catalogue(text)
    return str(info.value)


class TestShippedPublications:
    def test_every_publication_the_issue_names_is_covered(self, catalogue):
        assert [p.id for p in catalogue.publications] == [
            "dtoc",
            "ae_monthly",
            "kh03_overnight",
            "discharge_acute",
            "discharge_community",
            "ucr_2hr",
            "ascof",
        ]

    def test_every_rule_says_which_page_it_is_for(self, catalogue):
        for p in catalogue.running_publications:
            assert len(p.page_structure) > 80, p.id
            assert p.landing_page.startswith("https://"), p.id

    def test_ae_reads_the_year_pages_for_the_monthly_provider_csv(self, catalogue):
        ae = catalogue.publication_by_id["ae_monthly"]
        assert ae.source == "ae"
        assert ae.year_pages.link_text == r"A&E Attendances and Emergency Admissions \d{4}-\d{2}"
        assert ae.files.file_pattern == r"\.csv$"
        assert ae.formats == ("csv",)
        assert (ae.schedule.weekday, ae.schedule.nth, len(ae.schedule.months)) == ("thursday", 2, 12)


class TestPublicationStrictness:
    def test_unknown_key_names_publication_and_field(self):
        message = parse_error(edited(AE_FILES, AE_FILES + "    url_template: x\n"))
        assert message == "config.yaml: publication 'ae_monthly': field 'url_template': unknown key"

    def test_missing_schedule_names_publication_and_field(self):
        start = CONFIG_TEXT.index("    schedule:\n", CONFIG_TEXT.index("  - id: ae_monthly"))
        end = CONFIG_TEXT.index("  - id: kh03_overnight")
        message = parse_error(CONFIG_TEXT[:start] + CONFIG_TEXT[end:])
        assert message == "config.yaml: publication 'ae_monthly': field 'schedule': missing"

    def test_a_rule_with_nothing_to_match_is_refused(self):
        message = parse_error(edited(AE_FILES, "    files: {}\n"))
        assert message == (
            "config.yaml: publication 'ae_monthly': field 'files': "
            "Value error, give link_text, file_pattern or both (got {})"
        )

    def test_a_bad_regular_expression_is_named(self):
        message = parse_error(edited("      file_pattern: \\.csv$\n", "      file_pattern: (csv\n"))
        assert message.startswith(
            "config.yaml: publication 'ae_monthly': field 'files': Value error, file_pattern is not a valid "
            "regular expression: missing ), unterminated subpattern"
        )

    def test_an_unknown_source_is_named(self):
        message = parse_error(edited("    source: ae\n    landing_page:", "    source: aee\n    landing_page:"))
        assert message == "config.yaml: publication 'ae_monthly': field 'source': 'aee' is not in sources"

    def test_a_month_out_of_range_is_named(self):
        message = parse_error(edited("      months: [2, 5, 8, 11]\n", "      months: [2, 5, 8, 13]\n"))
        assert message.startswith(
            "config.yaml: publication 'kh03_overnight': field 'schedule': "
            "Value error, months must be 1 to 12 (got [13])"
        )

    def test_a_publication_defined_twice_is_named(self):
        message = parse_error(edited("  - id: kh03_overnight\n", "  - id: ae_monthly\n"))
        assert message == "config.yaml: publication 'ae_monthly' is defined twice"
