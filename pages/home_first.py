"""Home First: every indicator of the topic for the chosen area."""

from ui.sections import topic_page

topic_page(
    "home_first",
    "Home First",
    "Care at home instead of in hospital: urgent community response within 2 hours, and reablement or therapy started within 2 days of referral.",
)
