"""Discharge and delays: every indicator of the topic for the chosen area."""

from ui.router import require_app
from ui.sections import topic_page

require_app()  # deep links on a fresh server go through app.py

topic_page(
    "discharge",
    "Discharge and delays",
    "How many patients stay in hospital after they are ready to leave. Delayed transfers of care were counted to February 2020; the discharge delays collections since 2022 count patients who no longer meet the criteria to reside, and the two are not comparable.",
)
