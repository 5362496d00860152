"""Urgent and emergency care: every indicator of the topic for the chosen area."""

from ui.router import require_app
from ui.sections import topic_page

require_app()  # deep links on a fresh server go through app.py

topic_page(
    "urgent_care",
    "Urgent and emergency care",
    "How quickly people are seen in A&E and urgent treatment centres, how many attend, and how many wait over 12 hours for a bed after the decision to admit them.",
)
