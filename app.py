"""LLR health-system performance dashboard: the router.

Run with ``streamlit run app.py``. On a fresh machine the embedded SQLite database is built from
the published snapshot in data/published/ (DASHBOARD_DEMO=1: the demonstration database); set
DATABASE_URL to use another database, which the app only reads.
"""

import streamlit as st

from ui import components, data, filters, router, warm

router.routed()
st.set_page_config(
    page_title="LLR health-system performance",
    page_icon=":material/monitor_heart:",
    layout="wide",
    initial_sidebar_state="auto",  # collapsed on a phone, so it never covers the page,
)

pages = router.pages(
    lambda: {
        "For the meeting": [
            st.Page("pages/meeting_brief.py", title="Meeting brief", icon=":material/summarize:", default=True),
            st.Page("pages/targets.py", title="Targets", icon=":material/flag:", url_path="targets"),
            st.Page("pages/actions.py", title="Actions", icon=":material/task_alt:", url_path="actions"),
        ],
        "Topics": [
            st.Page(
                "pages/urgent_care.py",
                title="Urgent and emergency care",
                icon=":material/emergency:",
                url_path="urgent_care",
            ),
            st.Page("pages/beds.py", title="Beds", icon=":material/bed:", url_path="beds"),
            st.Page("pages/discharge.py", title="Discharge and delays", icon=":material/logout:", url_path="discharge"),
            st.Page(
                "pages/better_care_fund.py",
                title="Better Care Fund",
                icon=":material/handshake:",
                url_path="better_care_fund",
            ),
            st.Page("pages/home_first.py", title="Home First", icon=":material/home_health:", url_path="home_first"),
        ],
        "Explore": [
            st.Page("pages/indicator.py", title="Indicator detail", icon=":material/show_chart:", url_path="indicator"),
            st.Page("pages/compare.py", title="Compare areas", icon=":material/compare_arrows:", url_path="compare"),
            st.Page("pages/data.py", title="Data and sources", icon=":material/database:", url_path="data"),
        ],
    }
)
page = st.navigation(pages)
if reason := data.store_problem():
    components.unreachable_message(data.database_label(), reason)
    st.stop()
if not data.has_data():
    components.no_data_message(data.database_label())
    st.stop()
cat = data.catalogue()

st.sidebar.title("LLR health system")
filters.area(cat)
filters.meeting_date(filters.default_meeting_date())
filters.start_year(cat)
st.sidebar.caption(
    "Official statistics from NHS England, NHS Digital and ONS, under the Open Government Licence v3.0. "
    "Figures reported to LLR committees are shown as reported."
)

with warm.reader_running():  # warming at start steps aside while a reader's page is made
    page.run()
