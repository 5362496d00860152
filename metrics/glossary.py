"""The dashboard's one vocabulary: the glossary, and the words for every SPC icon and signal.

Every page, download, the brief and the meeting pack take their SPC words from here (Making Data
Count), so a signal cannot be called one thing on screen and another on paper.
"""

from metrics.spc import ICON_DESCRIPTIONS

GLOSSARY: dict[str, str] = {
    "A&E type 1": "A major emergency department: consultant-led, 24 hours, with full resuscitation facilities.",
    "A&E type 2": "A single-specialty emergency department, such as an eye casualty.",
    "A&E type 3 and 4 (other)": "Urgent treatment centres, minor injury units and walk-in centres.",
    "4-hour standard": "The share of people who leave A&E (admitted, transferred or discharged) within 4 hours of "
    "arriving. The NHS Constitution standard is 95%; interim targets were 76% (March 2024) and 78% (2025/26).",
    "12-hour wait from decision to admit": "A patient who waited more than 12 hours in A&E between the decision to "
    "admit them and actually being admitted to a ward.",
    "G&A beds": "General and acute hospital beds: all beds except maternity, mental illness and learning disability.",
    "Bed occupancy": "The share of open beds that are occupied. Above about 92% it becomes hard to admit patients "
    "promptly.",
    "Delayed transfer of care (DToC)": "A patient ready to leave hospital who is still occupying a bed. Counted as "
    "delayed days each month until February 2020, by the organisation responsible (NHS, social care or both) and "
    "the reason.",
    "No longer meeting the criteria to reside": "Patients who no longer need to be in hospital. The discharge delays "
    "collections count them from 2022; the figures are not comparable with DToC.",
    "Reablement": "Short-term help at home (usually up to six weeks) to regain skills and confidence after an illness "
    "or a hospital stay.",
    "Home First": "The LLR approach of supporting people at home instead of in hospital: urgent community response "
    "within 2 hours, and reablement or therapy started within 2 days.",
    "Urgent community response (2-hour)": "A community team reaching a person in crisis at home within 2 hours of "
    "referral. The national expectation is at least 70%.",
    "Better Care Fund (BCF)": "A pooled budget between the NHS and councils for joined-up health and social care, "
    "monitored by each Health and Wellbeing Board (Leicester, Leicestershire, Rutland) against national metrics.",
    "ASCOF": "The Adult Social Care Outcomes Framework: national measures of how well adult social care works, "
    "published each year by council.",
    "Health and Wellbeing Board": "The council-led board that agrees the Better Care Fund plan for its area.",
    "ICB": "Integrated Care Board: the NHS body that plans and pays for health services in LLR (from July 2022, "
    "replacing three clinical commissioning groups).",
    "Statistical process control (SPC)": "A way of telling real change from ordinary ups and downs. Each chart shows "
    "the average and process limits; points outside the limits, or long runs on one side, are signals.",
    "Process limits": "The range within which almost all values fall if nothing has changed (average ± 2.66 × the "
    "average moving range).",
    "Demonstration data": "Generated figures that show how the dashboard works. They are labelled on every page where "
    "they appear and are never real statistics.",
}

ICON_GLOSSARY = ICON_DESCRIPTIONS

#: The short words for each SPC icon, the same on the pages, the downloads and the meeting pack.
VARIATION_WORDS: dict[str, str] = {
    "common_cause": "Ordinary variation",
    "improvement_high": "Improving (higher)",
    "improvement_low": "Improving (lower)",
    "concern_high": "Concern (higher)",
    "concern_low": "Concern (lower)",
    "neither_high": "Unusually high",
    "neither_low": "Unusually low",
}
ASSURANCE_WORDS: dict[str, str] = {
    "pass": "Consistently meets target",
    "fail": "Consistently misses target",
    "hit_and_miss": "Hit and miss",
}

#: The target status (``metrics.targets.status``) as a badge's words, on screen and on paper.
STATUS_WORDS: dict[str, str] = {
    "met": "Target met",
    "not_met": "Target not met",
    "no_target": "No target",
    "no_data": "No figure",
}


#: A point's special cause (``metrics.spc`` ``special_cause``) in words, for charts and tables.
POINT_WORDS: dict[str, str] = {
    "improvement": "special cause: improvement",
    "concern": "special cause: concern",
    "neither": "special cause (neither better nor worse)",
    "": "common cause",
}
#: The brief's plain-English signal for each variation icon ("too few points": no limits yet).
SIGNALS: dict[str | None, str] = {
    "common_cause": "ordinary variation",
    "improvement_high": "special cause improvement",
    "improvement_low": "special cause improvement",
    "concern_high": "special cause concern",
    "concern_low": "special cause concern",
    "neither_high": "special cause variation",
    "neither_low": "special cause variation",
    None: "too few points",
}


def variation_words(icon_name: str | None) -> str:
    """``"common_cause"`` -> ``"Ordinary variation"``; no icon -> ``"Too few points to judge variation"``."""
    few = "Too few points to judge variation"
    return VARIATION_WORDS.get(icon_name, few) if isinstance(icon_name, str) else few


def assurance_words(icon_name: str | None) -> str:
    """``"pass"`` -> ``"Consistently meets target"``; no icon -> ``""``."""
    return ASSURANCE_WORDS.get(icon_name, "") if isinstance(icon_name, str) else ""
