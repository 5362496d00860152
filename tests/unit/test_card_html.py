"""Tests for metrics.card_html: the one card renderer the Meeting brief and the meeting pack share."""

import base64
import re

from metrics.card_html import card_html, screen_card_html, sparkline_svg
from tests.app.conftest import html_text

ROW = {
    "metric_id": "ae_4hr_all",
    "name": "A&E 4-hour performance (all types)",
    "latest_label": "March 2026",
    "value_text": "78.8%",
    "change": 0.0,
    "change_text": "no new figure since the meeting (latest: March 2026)",
    "direction": "same",
    "sparkline": [70.0, 72.5, 76.1, 78.8],
    "numbers_text": "32,288 of 40,958 attendances within 4 hours",
    "components_text": "University Hospitals of Leicester (emergency department and eye casualty): 66.4% "
    "(16,975 of 25,557); DHU urgent treatment centres: 99.4% (15,313 of 15,401)",
    "main_text": "University Hospitals of Leicester (emergency department and eye casualty) on its own: 66.4% in "
    "March 2026 (16,975 of 25,557 attendances within 4 hours). Missed the 78% target by 11.6 percentage points. "
    "Ranked 103rd of 121 NHS trusts with a major (type 1) emergency department (1st is the best; worst quarter).",
    "status": "met",
    "status_text": "Met the 78% target",
    "variation": "improvement_high",
    "assurance": "fail",
    "currency_state": "overdue",
    "currency_badge": "Newer figures not held",
    "currency_text": "No figures held after March 2026.",
    "verdict": "The latest figure, 78.8% in March 2026, met the 78% target, but it is unusually high for this "
    "series: on past variation the target will usually be missed.",
    "gap_numbers_text": "",
    "spc_note": "",
}


def test_the_card_says_every_word_of_the_brief_once():
    text = html_text(card_html(ROW, "Source: NHS England, A&E Attendances, March 2026"))
    for words in ("A&E 4-hour performance (all types)", "Source: NHS England, A&E Attendances, March 2026", "78.8%",
                  "no new figure since the meeting (latest: March 2026)", "32,288 of 40,958 attendances within 4 hours",
                  "Target met", "Improving (higher)", "Consistently misses target", "Newer figures not held",
                  "No figures held after March 2026.", "Made up of: University Hospitals of Leicester"):  # fmt: skip
        assert words in text, words
    assert text.count("The latest figure, ") == 1
    assert text.count("on its own:") == 1 and "Ranked 103rd of 121" in text


def test_the_main_provider_is_a_paragraph_of_its_own_with_its_name_in_bold():
    html = card_html(ROW)
    assert '<p class="llr-main"><strong>University Hospitals of Leicester (emergency department and eye casualty) ' \
           "on its own:</strong> 66.4% in March 2026" in html  # fmt: skip
    assert html.index('class="llr-main"') < html.index('class="llr-parts"')


def test_text_from_files_is_escaped():
    hostile = {**ROW, "name": '<img src=x onerror="alert(1)">', "components_text": "<script>alert(2)</script>"}
    html = card_html(hostile, source_line='Source: <a href="javascript:alert(3)">here</a>')
    assert "<img src=x" not in html and 'onerror="' not in html and "<script" not in html and "<a " not in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html
    assert html_text(html).count('<img src=x onerror="alert(1)">') == 1  # the heading, as text
    assert 'data-label="&lt;img src=x onerror=&quot;alert(1)&quot;&gt; (March 2026)"' in html


def test_no_heading_when_the_screen_gives_its_own():
    assert "<h3>" not in card_html(ROW, heading=False)


def test_demo_figures_are_labelled_on_the_card():
    assert "Demonstration data" in html_text(card_html(ROW, demo_labels=["Demonstration data"]))


def test_too_few_points_says_so_and_no_assurance_badge():
    text = html_text(card_html({**ROW, "variation": None, "assurance": None}))
    assert "Too few points to judge variation" in text and "Consistently" not in text


def test_the_change_carries_its_arrow_and_better_or_worse():
    html = card_html({**ROW, "change": -2.0, "change_text": "down 2.0 percentage points", "direction": "worse"})
    assert re.search(r'<p class="llr-change worse" data-arrow="down" data-direction="worse">down 2\.0', html)


def test_sparkline_is_inline_svg_oldest_on_the_left():
    svg = sparkline_svg([1.0, 3.0, 2.0], "Sparkline: the last 3 periods")
    assert svg.startswith('<svg class="llr-spark"') and 'aria-label="Sparkline: the last 3 periods"' in svg
    points = [p.split(",") for p in re.search(r'points="([^"]+)"', svg).group(1).split()]
    xs, ys = [float(x) for x, _ in points], [float(y) for _, y in points]
    assert xs == sorted(xs) and len(xs) == 3
    assert ys[1] < ys[2] < ys[0]  # the highest figure is drawn highest (smallest y)
    assert sparkline_svg([1.0], "one point") == ""
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")  # nothing fetched


def test_on_screen_the_same_line_is_an_image_of_the_same_svg():
    svg = sparkline_svg([1.0, 3.0, 2.0], "Sparkline")
    img = sparkline_svg([1.0, 3.0, 2.0], "Sparkline", image=True)
    found = re.fullmatch(r'<img class="llr-spark" src="data:image/svg\+xml;base64,([^"]+)" alt="Sparkline">', img)
    assert found
    drawn = base64.b64decode(found.group(1)).decode()
    assert re.search(r"<polyline[^>]*/>", drawn).group(0) == re.search(r"<polyline[^>]*/>", svg).group(0)
    # every word of the card is the same on screen and on paper
    assert html_text(card_html(ROW, screen=True)) == html_text(card_html(ROW))


def test_the_screen_card_is_one_fragment_with_its_heading_questions_and_actions_as_text():
    hostile = '<img src=x onerror="alert(1)">'
    fragment = screen_card_html(
        card_html(ROW, "Source: NHS England", heading=False, screen=True),
        "card-ae_4hr_all",
        ROW["name"],
        f"Attendances seen within 4 hours. {hostile}",
        questions=[("What would it take to meet it?", "78.8% in March 2026")],
        actions=[("Overdue: due 31 July 2025", f"Present the plan {hostile}", "UHL", "1 June 2025")],
    )
    assert fragment.startswith('<section class="llr-brief-card" id="card-ae_4hr_all"')
    assert fragment.count("<section") == 1 and fragment.endswith("</section>")
    assert "<img src=x" not in fragment and "&lt;img src=x" in fragment  # words from files stay words
    text = html_text(fragment)
    assert text.startswith("A&E 4-hour performance (all types) What this measures Attendances seen within 4 hours.")
    assert (
        "Committee actions (1 open) Overdue: due 31 July 2025. Present the plan "
        '<img src=x onerror="alert(1)"> (UHL; agreed 1 June 2025)'
    ) in text
    assert text.endswith("Questions to ask What would it take to meet it? Figures: 78.8% in March 2026")
    # The heading is said once: the card inside has none of its own.
    assert text.count("A&E 4-hour performance (all types)") == 1


def test_a_card_with_no_questions_or_actions_has_neither_heading():
    fragment = screen_card_html(card_html(ROW, heading=False), "card-x", "Name", "About")
    assert "Questions to ask" not in fragment and "Committee actions" not in fragment
