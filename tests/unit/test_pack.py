"""Tests for metrics.pack: the meeting pack's gathering, SVG charts, HTML and workbook."""

from __future__ import annotations

import datetime as dt
import io
import re
from html.parser import HTMLParser

import numpy as np
import openpyxl
import pandas as pd
import pytest

from metrics.brief import meeting_brief
from metrics.pack import PackError, build_pack, pack_html, pack_xlsx
from metrics.pack.svg import RIGHT, WIDTH, spc_svg, tick_positions
from metrics.pack.workbook import value_format

TODAY = dt.date(2025, 11, 20)
MEETING = dt.date(2025, 7, 15)
GENERATED = dt.datetime(2025, 11, 20, 9, 30)
MONTHS = pd.date_range("2023-11-01", "2025-10-01", freq="MS")
AE_VALUES = [60, 61, 60.5, 61.5, 60, 61, 60.2, 61.3, 60.4, 61.1, 60.8, 61, 60.1, 61.4, 60.6, 61.2, 60.9, 61,
             60.3, 61.2, 61.2, 61.0, 61.5, 70.4]  # fmt: skip


def rows(metric_id, org, months, values, denominator=None, source_id=7):
    out = []
    for period, value in zip(months, values, strict=True):
        out.append(
            {
                "metric_id": metric_id,
                "org_code": org,
                "period_start": pd.Timestamp(period),
                "period_type": "month",
                "numerator": value / 100 * denominator if denominator else np.nan,
                "denominator": float(denominator) if denominator else np.nan,
                "value": float(value),
                "source_id": source_id,
            }
        )
    return out


@pytest.fixture
def obs():
    data = rows("ae_4hr_all", "RWE", MONTHS, AE_VALUES, denominator=20_000)
    data += rows("ae_attendances", "RWE", MONTHS, [25_000 + 10 * i for i in range(len(MONTHS))], source_id=8)
    return pd.DataFrame(data)


def source_frame(demo: bool = False, publisher: str = "NHS England", file_name: str = "ae.csv") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [7, 8, 99],
            "publisher": [publisher, "NHS England", "Unused"],
            "publication": ["A&E Attendances and Emergency Admissions"] * 2 + ["Unused"],
            "licence": ["Open Government Licence v3.0"] * 3,
            "url": ["https://www.england.nhs.uk/statistics/", "", ""],
            "periods": ["November 2023 to October 2025", "", ""],
            "period_from": [pd.Timestamp("2023-11-01")] * 3,
            "period_to": [pd.Timestamp("2025-10-01")] * 3,
            "published": [pd.Timestamp("2025-11-13")] * 3,
            "file_name": [file_name, "attendances.csv", "unused.csv"],
            "is_demo": [demo, False, False],
        }
    )


def make(obs, catalogue, topics=("urgent_care", "beds"), generated=GENERATED, **kw):
    return build_pack(obs, catalogue, kw.pop("sources", source_frame()), "llr", MEETING, topics, TODAY, generated)


class TestBuildPack:
    def test_rows_are_the_meeting_briefs_rows(self, obs, catalogue):
        pack = make(obs, catalogue)
        brief = meeting_brief(obs, catalogue, "llr", MEETING, ["ae_4hr_all", "ae_attendances"], TODAY)
        pd.testing.assert_frame_equal(pack.brief, brief)

    def test_topics_in_catalogue_order_and_an_empty_topic_is_kept(self, obs, catalogue):
        pack = make(obs, catalogue, topics=("beds", "urgent_care"))
        assert [t.id for t in pack.topics] == ["urgent_care", "beds"]
        assert [t.name for t in pack.topics] == ["Urgent and emergency care", "Beds"]
        assert pack.topics[1].items == ()

    def test_unknown_topic_names_the_known_ones(self, obs, catalogue):
        with pytest.raises(PackError) as err:
            make(obs, catalogue, topics=("urgent", "beds"))
        assert str(err.value) == "unknown topic 'urgent': choose from urgent_care, beds, discharge, bcf, home_first"

    def test_unknown_area_names_the_known_ones(self, obs, catalogue):
        with pytest.raises(PackError, match=r"^unknown area 'xyz': choose from llr, "):
            build_pack(obs, catalogue, source_frame(), "xyz", MEETING)

    def test_only_the_sources_behind_the_figures(self, obs, catalogue):
        pack = make(obs, catalogue)
        assert sorted(pack.sources["id"]) == [7, 8]

    def test_summary_counts_what_the_pack_holds(self, obs, catalogue):
        pack = make(obs, catalogue)
        # Worked out from the pack's own figures, not from the summary module.
        held = {item.indicator.metric.id: item.indicator.series for item in pack.items}
        new = [mid for mid, series in held.items() if series["period_start"].max() > pd.Timestamp(MEETING)]
        assert pack.summary.n_indicators == len(held) == 2
        assert [n.metric_id for n in pack.summary.new_since_meeting] == new
        carded = [mid for section in pack.sections for mid in section.metric_ids]
        assert sorted(carded) == sorted(held), "every indicator has one card"
        # Only the A&E 4-hour series jumps beyond its upper limit after the meeting (70.4% in October).
        assert [n.metric_id for n in pack.summary.special_cause_better] == ["ae_4hr_all"]


class TestSvg:
    def test_a_marker_per_point_and_special_cause_by_shape(self, obs, catalogue):
        ind = make(obs, catalogue).topics[0].items[0].indicator
        svg = spc_svg(ind.series, ind.metric, "A&E <4h> chart")
        plot = re.sub(r'<g class="legend">.*?</g>', "", svg)  # the legend's samples are not points
        markers = len(re.findall(r"<(circle|polygon|rect) ", plot))
        assert markers == len(ind.series)
        # The jump to 70.4% in October 2025 is beyond the upper limit: an improvement, drawn as a triangle.
        assert ind.series["special_cause"].iloc[-1] == "improvement"
        assert 'fill="#005EB8"' in svg
        assert "<title>A&amp;E &lt;4h&gt; chart</title>" in svg
        assert 'class="mean"' in svg and 'class="upl"' in svg and 'class="target"' in svg

    def test_a_single_figure_shows_its_target_and_a_lower_chart(self, obs, catalogue):
        ind = make(obs, catalogue).topics[0].items[0].indicator
        one = ind.series.tail(1).reset_index(drop=True)
        svg = spc_svg(one, ind.metric, "chart")
        assert 'viewBox="0 0 760 150"' in svg  # a short series gets a lower chart
        target = re.search(r'<path class="target" d="([^"]+)"', svg).group(1)
        assert len(re.findall(r"[ML]", target)) == 2, "a target in force for one period is still a line"
        assert "Target" in re.search(r'<g class="legend">(.*?)</g>', svg).group(1)

    def test_monthly_ticks_fall_on_aprils(self):
        starts = pd.Series(pd.date_range("2016-01-01", "2025-12-01", freq="MS"))
        ticks = tick_positions(starts, "month")
        assert {starts[i].month for i in ticks} == {4}
        assert len(ticks) <= 10

    def test_percent_axis_labels_are_short(self, obs, catalogue):
        ind = make(obs, catalogue).topics[0].items[0].indicator
        svg = spc_svg(ind.series, ind.metric, "chart")
        labels = re.findall(r'<text x="68" y="[\d.]+" text-anchor="end"[^>]*>([^<]+)<', svg)  # the value axis
        assert labels and all(re.fullmatch(r"\d+(\.\d+)?%", label) for label in labels)


class _Resources(HTMLParser):
    """Everything an HTML file would load: src attributes, stylesheets, scripts, CSS url()."""

    def __init__(self):
        super().__init__()
        self.loads: list[str] = []
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if "src" in attrs or tag in ("script", "iframe", "object", "embed"):
            self.loads.append(f"{tag} {attrs.get('src')}")
        if tag == "link":
            self.loads.append(f"link {attrs.get('href')}")
        for value in attrs.values():
            if value and re.search(r"url\(", value):
                self.loads.append(f"{tag} style {value}")


def parse(html: str) -> _Resources:
    parser = _Resources()
    parser.feed(html)
    return parser


class TestHtml:
    def test_every_topic_and_every_chart(self, obs, catalogue):
        pack = make(obs, catalogue)
        parsed = parse(pack_html(pack))
        sections = [a.get("data-topic") for t, a in parsed.tags if t == "section" and a.get("data-topic")]
        assert sections == ["urgent_care", "beds"]
        articles = [a["data-metric"] for t, a in parsed.tags if t == "article"]
        assert articles == ["ae_4hr_all", "ae_attendances"]
        assert sum(1 for t, a in parsed.tags if t == "svg" and "spc-chart" in a.get("class", "")) == 2

    def test_loads_nothing_from_the_network(self, obs, catalogue):
        html = pack_html(make(obs, catalogue))
        assert parse(html).loads == []
        style = html[html.index("<style>") : html.index("</style>")]
        assert "url(" not in style and "@import" not in style

    def test_data_values_are_escaped(self, obs, catalogue):
        sources = source_frame(publisher="<script>alert(1)</script>")
        html = pack_html(make(obs, catalogue, sources=sources))
        assert "<script" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html

    def test_cover_summary_figures_and_appendix(self, obs, catalogue):
        html = pack_html(make(obs, catalogue))
        text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
        assert "Meeting pack: Leicester, Leicestershire and Rutland" in text
        assert "15 July 2025" in text
        assert "Generated 20 November 2025 at 09:30" in text
        assert "Since the meeting on 15 July 2025, 2 of 2 indicators have new figures." in text
        assert "70.4%" in text and "14,080 of 20,000" in text
        assert "Urgent and emergency care (2 indicators)" in text
        assert "Beds (no figures for this area)" in text
        assert "Glossary of the SPC signs" in text
        assert "ae.csv" in text and "unused.csv" not in text

    def test_only_the_generated_time_differs_between_builds(self, obs, catalogue):
        first = pack_html(make(obs, catalogue))
        second = pack_html(make(obs, catalogue, generated=dt.datetime(2025, 11, 21, 17, 5)))
        assert first != second
        strip = re.compile(r"<time datetime=\"[^\"]+\">Generated [^<]+</time>")
        assert strip.sub("", first) == strip.sub("", second)

    def test_demo_figures_are_labelled(self, obs, catalogue):
        html = pack_html(make(obs, catalogue, sources=source_frame(demo=True)))
        assert "Demonstration data: some figures in this pack are generated demonstration data" in html
        assert html.count('class="demo-tag"') >= 2  # in the summary and on the indicator


def workbook(pack) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(pack_xlsx(pack)))


class TestWorkbook:
    def test_sheets_and_frozen_headers(self, obs, catalogue):
        wb = workbook(make(obs, catalogue))
        assert wb.sheetnames == [
            "Summary", "Actions due", "Questions", "Urgent and emergency care", "Beds", "Definitions", "Sources",
            "About",
        ]  # fmt: skip
        for ws in wb.worksheets:
            assert ws.freeze_panes == "A2"
        headers = [c.value for c in wb["Urgent and emergency care"][1]]
        assert headers == [
            "Indicator", "Metric id", "Period", "Period start", "Value", "Numerator", "Denominator",
            "Target", "Mean", "Lower process limit", "Upper process limit", "Signal", "Rule", "Note", "Source",
        ]  # fmt: skip

    def test_percentages_are_numbers_formatted_as_percentages(self, obs, catalogue):
        ws = workbook(make(obs, catalogue))["Urgent and emergency care"]
        last = [c for c in ws[25]]  # header + 24 months of A&E 4-hour performance
        assert last[2].value == "October 2025"
        assert last[3].value == dt.datetime(2025, 10, 1) and last[3].number_format == "mmm yyyy"
        assert last[4].value == pytest.approx(0.704) and last[4].number_format == "0.0%"
        assert last[5].value == pytest.approx(14_080) and last[5].number_format == "#,##0"
        assert last[7].value == pytest.approx(0.78) and last[7].number_format == "0.0%"
        assert last[11].value == "Special cause: improvement"

    def test_counts_have_thousands_separators(self, obs, catalogue):
        ws = workbook(make(obs, catalogue))["Urgent and emergency care"]
        attendances = [r for r in ws.iter_rows(min_row=2) if r[1].value == "ae_attendances"]
        assert len(attendances) == 24
        assert attendances[-1][4].value == 25_230 and attendances[-1][4].number_format == "#,##0"

    def test_summary_sheet_holds_numbers(self, obs, catalogue):
        ws = workbook(make(obs, catalogue))["Summary"]
        header = [c.value for c in ws[1]]
        row = dict(zip(header, [c for c in ws[2]], strict=True))
        assert row["Indicator"].value == "A&E 4-hour performance (all types)"
        assert row["Latest value"].value == pytest.approx(0.704)
        assert row["Latest value"].number_format == "0.0%"
        assert row["Change since the meeting"].value == pytest.approx(70.4 - 61.2)
        assert row["Change since the meeting"].number_format.startswith('+0.0" pts"')
        assert "Demo" not in header

    def test_demo_column_when_a_figure_is_demo(self, obs, catalogue):
        wb = workbook(make(obs, catalogue, sources=source_frame(demo=True)))
        header = [c.value for c in wb["Urgent and emergency care"][1]]
        assert header[-1] == "Demo"
        demo = {r[1].value: r[-1].value for r in wb["Urgent and emergency care"].iter_rows(min_row=2)}
        assert demo == {"ae_4hr_all": "demo", "ae_attendances": None}
        assert [c.value for c in wb["Summary"][1]][-1] == "Demo"

    def test_formula_safe(self, obs, catalogue):
        wb = workbook(make(obs, catalogue, sources=source_frame(file_name='=HYPERLINK("http://x")')))
        names = [r[8].value for r in wb["Sources"].iter_rows(min_row=2)]
        assert '\'=HYPERLINK("http://x")' in names

    def test_the_same_pack_gives_the_same_bytes(self, obs, catalogue):
        pack = make(obs, catalogue)
        assert pack_xlsx(pack) == pack_xlsx(pack)

    def test_value_formats_follow_the_metric(self, catalogue):
        assert value_format(catalogue.metric("ae_4hr_all")) == "0.0%"
        assert value_format(catalogue.metric("ae_attendances")) == "#,##0"


class TestEdges:
    def test_period_labels_at_the_ends_are_anchored_inwards(self, obs, catalogue):
        ind = make(obs, catalogue).topics[0].items[0].indicator
        svg = spc_svg(ind.series, ind.metric, "chart")
        ticks = re.findall(r'<text x="([\d.]+)" y="\d+" text-anchor="(\w+)" fill="#425563">([A-Z][a-z]{2} \d{4})<', svg)
        assert ticks
        for x, anchor, _ in ticks:
            if float(x) > WIDTH - RIGHT - 30:  # within 30 units of the right edge
                assert anchor == "end"

    def test_no_chromium_says_what_to_install(self, obs, catalogue, monkeypatch, tmp_path):
        from metrics.pack import PdfUnavailable, pack_pdf

        missing = tmp_path / "no-chromium"
        monkeypatch.setenv("CHROMIUM_PATH", str(missing))
        with pytest.raises(PdfUnavailable) as err:
            pack_pdf(make(obs, catalogue), "<html></html>")
        assert str(err.value) == (
            f"no Chromium at {missing} to print the PDF: install it (Debian/Ubuntu: `apt-get install chromium`) "
            "or set CHROMIUM_PATH; the HTML pack prints the same"
        )

    def test_cli_without_a_database(self, tmp_path, capsys):
        from loaders.cli import main

        url = f"sqlite:///{tmp_path / 'none.sqlite'}"
        code = main(["pack", "--area", "llr", "--since", "2025-07-15", "--out", str(tmp_path / "out"), "--db", url])
        assert code == 1
        assert capsys.readouterr().err == (
            f"ERROR: no database at {url}: load files with `python -m loaders ingest PATH`\n"
        )
        assert not (tmp_path / "out").exists()


@pytest.fixture
def paper_pack(catalogue):
    """A pack with a current series (A&E 4-hour), an overdue one (attendances, last held June 2025)
    and a discontinued one (delayed transfers of care, ending December 2019)."""
    data = rows("ae_4hr_all", "RWE", MONTHS, AE_VALUES, denominator=20_000)
    june = MONTHS[MONTHS <= "2025-06-01"]
    data += rows("ae_attendances", "RWE", june, [25_000 + 10 * i for i in range(len(june))], source_id=8)
    dtoc = pd.date_range("2018-01-01", "2019-12-01", freq="MS")
    for org in catalogue.members("dtoc_days", "llr"):
        data += rows("dtoc_days", org, dtoc, [600 + (i % 5) for i in range(len(dtoc))], source_id=8)
    return build_pack(pd.DataFrame(data), catalogue, source_frame(), "llr", MEETING, ("urgent_care", "discharge"),
                      TODAY, GENERATED)  # fmt: skip


def words(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


class TestPackOnPaper:
    def test_cover_speaks_of_the_last_meeting_and_what_is_not_loaded(self, paper_pack):
        text = words(pack_html(paper_pack))
        assert "Changes since the last meeting on 15 July 2025" in text
        assert "for the meeting on" not in text
        assert "Figures held up to October 2025" in text
        # Attendances: June held; July to September were due (second Thursday of the next month, with
        # the grace days) by 20 November 2025; October's (13 November) is not late yet.
        assert (
            "A&amp;E Attendances and Emergency Admissions (monthly provider CSV): July 2025 to September 2025 not "
            "loaded yet (3 periods due by 20 November 2025; newest held June 2025; 1 indicator)"
        ) in text

    def test_discontinued_series_are_one_annex_row_not_a_chart(self, paper_pack):
        html = pack_html(paper_pack)
        parsed = parse(html)
        articles = [a["data-metric"] for t, a in parsed.tags if t == "article"]
        assert articles == ["ae_4hr_all", "ae_attendances"]
        annex = html[html.index('id="annex"') :]
        row = re.search(r'<tr id="indicator-dtoc_days"[^>]*>(.*?)</tr>', annex).group(1)
        assert re.findall(r"<td[^>]*>([^<]*)</td>", row)[:3] == ["Delayed transfer of care days", "December 2019",
                                                                 "1,809 days"]  # fmt: skip
        assert "stopped in February 2020" in words(annex)
        assert "Annex: discontinued series (1 indicator)" in words(html)

    def test_a_legend_on_every_chart_and_the_target_green_dash_dot(self, paper_pack):
        html = pack_html(paper_pack)
        charts = re.findall(r'<svg [^>]*class="spc-chart".*?</svg>', html, flags=re.S)
        assert len(charts) == 2
        for chart in charts:
            legend = re.search(r'<g class="legend">(.*?)</g>', chart).group(1)
            assert "Mean" in legend and "Upper process limit" in legend and "Lower process limit" in legend
        legend = re.search(r'<g class="legend">(.*?)</g>', charts[0]).group(1)
        assert "Target" in legend and "Special cause: improvement" in legend
        target = re.search(r'<path class="target" [^>]*>', charts[0]).group(0)
        assert 'stroke="#007F3B"' in target and 'stroke-dasharray="9 3 2 3"' in target
        limits = re.search(r'<path class="upl" [^>]*>', charts[0]).group(0)
        assert 'stroke="#007F3B"' not in limits and "9 3 2 3" not in limits

    def test_appendix_is_one_row_per_publication(self, catalogue):
        """24 monthly files of one publication: one row naming the first three and the last two."""
        one = source_frame().loc[[1]]
        many = pd.DataFrame({c: [one[c].iloc[0]] * len(MONTHS) for c in one.columns})
        many["id"] = range(100, 100 + len(MONTHS))
        many["file_name"] = [f"ae-{i:02d}.csv" for i in range(len(MONTHS))]
        many["period_from"] = many["period_to"] = pd.date_range("2022-01-01", periods=len(MONTHS), freq="MS")
        sources = pd.concat([source_frame(), many], ignore_index=True)
        obs = pd.DataFrame(rows("ae_attendances", "RWE", MONTHS, [25_000] * len(MONTHS)))
        obs["source_id"] = many["id"].to_numpy()
        pack = build_pack(obs, catalogue, sources, "llr", MEETING, ("urgent_care",), TODAY, GENERATED)
        html = pack_html(pack)
        table = html[html.index('<table class="files">') : html.index("</table>", html.index('<table class="files">'))]
        assert table.count("<tr>") == 2  # the header and one publication
        assert "ae-00.csv, ae-01.csv, ae-02.csv … 19 more … ae-22.csv, ae-23.csv" in table
        assert "Jan 2022 to Dec 2023" in table

    def test_the_same_question_about_several_indicators_is_asked_once(self, catalogue):
        june = MONTHS[MONTHS <= "2025-06-01"]
        data = rows("ae_4hr_all", "RWE", june, AE_VALUES[: len(june)], denominator=20_000)
        data += rows("ae_attendances", "RWE", june, [25_000 + 10 * i for i in range(len(june))], source_id=8)
        pack = build_pack(pd.DataFrame(data), catalogue, source_frame(), "llr", MEETING, ("urgent_care",), TODAY,
                          GENERATED)  # fmt: skip
        late = [q for q in pack.questions if q.rule == "overdue"]
        assert len(late) == 2  # one per indicator, as on the brief and in the workbook
        html = pack_html(pack)
        start = html.index('id="questions"')
        section = words(html[start : html.index("</section>", start)])
        asked = "No figures for A&amp;E 4-hour performance (all types) and A&amp;E attendances are held after June 2025"
        assert section.count(asked) == 1
        assert section.count("when will the next figures be published?") == 1
