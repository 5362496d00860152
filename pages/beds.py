"""Beds: every indicator of the topic for the chosen area."""

from ui.router import require_app
from ui.sections import topic_page

require_app()  # deep links on a fresh server go through app.py

topic_page(
    "beds",
    "Beds",
    "How many general and acute hospital beds are open overnight, and how full they are. Occupancy above about 92% makes it hard to admit patients from A&E promptly.",
)
