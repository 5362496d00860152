"""Data and sources: what is loaded (and from where), a glossary, and uploading new files."""

import streamlit as st

from loaders.ingest import write_prepared
from metrics.glossary import GLOSSARY, ICON_GLOSSARY
from ui import badges, data, downloads, filters, plots, safe, sections, sign_in, tables
from ui import reported as reported_ui
from ui.router import require_app

require_app()  # deep links on a fresh server go through app.py

cat = data.catalogue()
st.title("Data and sources")
st.write("Every figure on the dashboard comes from one of the files listed here, with its publisher and licence.")

sources = data.sources()
badges.demo_banner(sources["id"].tolist())

st.header("Sources loaded")
sources_shown = sections.sources_table()
plots.table(sources_shown)
downloads.downloads(
    sources_shown, "sources-loaded", {"Title": "Files loaded into the dashboard"}, key="sources-download"
)
st.header("Latest period for each indicator")
plots.table(sections.coverage_table())

st.header("New publications")
st.write(
    "The NHS England and NHS Digital statistics pages are checked for new and revised files, which are then "
    "loaded (the README says how, on release days). For each publication: when the pages were "
    "last checked, the newest period held, when the next release is usually due, and what arrived since the "
    "last meeting."
)
plots.table(data.fetch_status_shown(filters.selected_meeting()))

st.header("Figures reported to committee, beside the published series")
st.write("Where a committee paper quoted a figure for a period the published statistics also cover, both are shown.")
reported_ui.reported_beside_published(data.reconciliation(), cat, key="data")

st.header("Glossary")
st.markdown(sections.glossary_text(GLOSSARY))  # one block of paragraphs: each element is a message to every reader
with st.expander("What the variation and assurance icons mean"):
    st.markdown(sections.glossary_text({badges.icon_words(icon): meaning for icon, meaning in ICON_GLOSSARY.items()}))

st.header("Load new files")
st.write(
    "Upload a published NHS England or NHS Digital file (A&E, KH03, DToC, discharge delays, ASCOF, 2-hour urgent "
    "community response), a Home First extract, or the generic indicator template. The file is checked first; "
    "nothing is written until you confirm."
)
allowed, reason = sign_in.admin_can_change_data()
if not allowed:
    st.info(reason)
else:
    upload = st.file_uploader(
        "File to load",
        type=["csv", "xlsx", "xls", "rda"],
        max_upload_size=int(cat.settings.max_file_mb),
        help=f"Up to {cat.settings.max_file_mb:g} MB (1 MB = 1,000,000 bytes).",
    )
    if upload is not None:
        prepared = data.prepared_upload(upload.name, upload.getvalue())
        st.subheader("Validation report")
        st.table(safe.md_table(tables.validation_table(prepared)).set_index("Check"))  # cells from the file
        if prepared.outcome.status == "valid":
            if st.button(f"Load {prepared.outcome.rows} rows into the database", type="primary"):
                outcome = write_prepared(prepared, data.engine())
                data.refresh()
                st.success(
                    f"Loaded {safe.md(prepared.outcome.path.name)}: {outcome.added} added, {outcome.updated} updated, {outcome.unchanged} unchanged."
                )
        elif prepared.outcome.status == "unchanged":
            st.info("This file is already loaded; nothing to do.")
        else:
            st.error(safe.md(prepared.outcome.error))
