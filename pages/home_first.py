"""Home First: every indicator of the topic for the chosen area."""

from ui.router import require_app
from ui.sections import topic_page

require_app()  # deep links on a fresh server go through app.py

topic_page(
    "home_first",
    "Home First",
    "Care at home instead of in hospital: how quickly urgent community response teams reach people, and how "
    "soon reablement or therapy starts after referral.",
)
