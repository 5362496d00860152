"""Every page renders on the demo database, says when it shows demo data, and follows the filters."""

from __future__ import annotations

import pytest

from tests.app.conftest import PAGES, brief_cards

DEMO_WORDS = "Demonstration data"


def _text(at) -> str:
    parts = [e.value for e in at.markdown] + [e.value for e in at.title] + [e.value for e in at.header]
    parts += [e.value for e in at.subheader] + [e.value for e in at.caption] + [e.value for e in at.warning]
    parts += [e.value for e in at.info] + [c["text"] for c in brief_cards(at)]
    return "\n".join(str(p) for p in parts)


class TestEveryPage:
    @pytest.mark.parametrize("page", PAGES)
    def test_page_renders_without_error_and_labels_demo_data(self, app, page):
        at = app(page)
        assert at.title, f"{page} has no title"
        assert any(DEMO_WORDS in w.value for w in at.warning), f"{page} shows demo data without the banner"


class TestMeetingBrief:
    def test_default_page_is_the_brief_for_llr(self, app):
        at = app()
        assert at.title[0].value == "Meeting brief: Leicester, Leicestershire and Rutland"

    def test_brief_shows_value_with_numbers_and_target_in_words(self, app):
        at = app()
        labels = [c["label"] for c in brief_cards(at)]
        assert any(label.startswith("A&E 4-hour performance (all types)") for label in labels)
        text = _text(at)
        assert "attendances" in text  # the absolute numbers behind the percentage
        assert "Target met" in text or "Target not met" in text  # status badge in words

    def test_area_in_the_url_restores_the_view(self, app):
        at = app(area="Rutland")
        assert at.title[0].value == "Meeting brief: Rutland"
        assert at.sidebar.selectbox(key="area").value == "Rutland"

    def test_changing_the_area_changes_what_is_shown(self, app):
        at = app()
        llr_labels = {c["label"] for c in brief_cards(at)}
        at.sidebar.selectbox(key="area").set_value("Leicester").run()
        assert at.title[0].value == "Meeting brief: Leicester"
        assert {c["label"] for c in brief_cards(at)} != llr_labels

    def test_meeting_date_changes_the_comparison(self, app):
        # The figure "at the meeting" each card compares with moves with the date: the change text
        # names that period, which differs between the two meetings.
        def compared_with(at) -> set[str]:
            frame = at.dataframe[0].value
            return set(frame["Since the meeting"])

        early = app(meeting="2019-06-01", view="Icons only")
        late = app(meeting="2024-06-01", view="Icons only")
        assert "1 June 2019" in _text(early)
        assert any("(May 2019)" in text or "(June 2019)" in text for text in compared_with(early))
        assert not any("2019)" in text for text in compared_with(late))
        assert compared_with(early) != compared_with(late)

    def test_icons_only_view_is_a_table(self, app):
        at = app(view="Icons only")
        assert at.dataframe, "the compact view shows one table"
        frame = at.dataframe[0].value
        assert {"Indicator", "Target", "Variation", "Assurance"} <= set(frame.columns)
        assert frame["Target"].str.contains("Target met|Target not met|No target").all()


class TestIndicatorDetail:
    def test_metric_in_the_url_selects_it(self, app):
        at = app("pages/indicator.py", metric="beds_ga_occupancy")
        assert at.selectbox(key="metric").value == "beds_ga_occupancy"
        assert any("General and acute bed occupancy" in h.value for h in at.header)

    def test_table_alternative_and_downloads_are_offered(self, app):
        at = app("pages/indicator.py", metric="ae_4hr_all")
        assert len(at.dataframe) >= 1
        labels = [b.proto.label for b in at.get("download_button")]
        assert "Download CSV" in labels and "Download Excel" in labels

    def test_start_year_limits_the_table(self, app):
        at = app("pages/indicator.py", metric="ae_4hr_all", **{"from": "2023"})
        tables = [d.value for d in at.dataframe if "Signal" in d.value.columns]
        assert tables, "the figures table is shown"
        assert tables[0]["Period"].iloc[0] == "April 2023"


class TestDataPage:
    def test_sources_list_publisher_licence_and_kind(self, app):
        at = app("pages/data.py")
        sources = at.dataframe[0].value
        assert {"File", "Publisher", "Licence", "Periods", "Loaded", "Kind"} <= set(sources.columns)
        assert "Demonstration data" in set(sources["Kind"])
        assert any("Rutland Health and Wellbeing Board pack" in p for p in sources["Publication"])

    def test_coverage_gives_first_and_latest_period_per_indicator(self, app):
        at = app("pages/data.py")
        coverage = next(d.value for d in at.dataframe if "Indicator" in d.value.columns)
        row = coverage[coverage["Indicator"] == "A&E 4-hour performance (all types)"].iloc[0]
        assert (row["From"], row["To"]) == ("April 2016", "December 2025")
        beds = coverage[coverage["Indicator"] == "General and acute bed occupancy"].iloc[0]
        assert beds["To"] == "2025/26 Q2 (Jul-Sep 2025)"

    def test_glossary_explains_the_terms(self, app):
        text = _text(app("pages/data.py"))
        for term in ("A&E type 1", "Delayed transfer of care", "Reablement", "Home First", "Better Care Fund", "ASCOF"):
            assert term in text


class TestTargets:
    def test_filtering_by_status_narrows_the_table(self, app):
        at = app("pages/targets.py")
        everything = len(at.dataframe[0].value)
        at.multiselect(key="status").set_value(["not_met"]).run()
        narrowed = at.dataframe[0].value
        assert len(narrowed) < everything
        assert narrowed["Status"].str.contains("Target not met").all()


class TestBriefArrows:
    def test_arrow_follows_the_words_and_colour_follows_better_or_worse(self, app):
        at = app(meeting="2024-01-01")  # demo figures run to 2025: a meeting they have moved since
        checked = 0
        for card in brief_cards(at):
            words = card["change"]
            if words.startswith("down"):
                assert card["arrow"] == "down", words
            elif words.startswith("up"):
                assert card["arrow"] == "up", words
            else:
                continue
            checked += 1
            # A&E 4-hour performance falling is worse: orange (Making Data Count), never green.
            if card["label"].startswith("A&E 4-hour performance (all types)") and words.startswith("down"):
                assert card["direction"] == "worse"
                assert 'class="llr-change worse"' in card["html"]
        assert checked > 5
