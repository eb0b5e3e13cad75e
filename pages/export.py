"""Export: the BCF capacity & demand workbook, the plan as CSV, gap charts as images, or a zip.

The planning year and scenario come from the sidebar; the places default to
the sidebar's place or system. Every file is made by capacity.export, the
same functions the command line calls, so both give the same figures.
"""

from datetime import datetime

import streamlit as st

from capacity.summary import SOURCE_LABELS
from capacity.views.exports import (
    FORMATS,
    IMAGE_FORMATS,
    MIME_TYPES,
    ExportError,
    ExportInfo,
    chart_service_types,
    chart_title,
    export_bytes,
    file_name,
    gap_figure,
    name_scenario,
    preview,
    scope_for,
)
from capacity.views.exports import (
    export_info as make_export_info,
)
from capacity.views.places import systems_first
from pages import _snapshots
from pages._common import (
    current_view,
    scenario_for,
    service_type_labels_table,
    service_types_table,
)
from pages._pack import meeting_pack
from pages._style import show_notices
from pages._workforce import assumptions_for

view = current_view()
show_notices()
types = service_types_table(view.data_key)
type_names = dict(zip(types["service_type"], types["name"], strict=True))
names = dict(zip(view.places["place_code"], view.places["name"], strict=True))
kinds = dict(zip(view.places["place_code"], view.places["kind"], strict=True))
options = systems_first(view.places)

# The choice follows the sidebar's place until the lead picks something else here.
if st.session_state.get("_export_sidebar_place") != view.place:
    st.session_state["export_places"] = [view.place]
    st.session_state["_export_sidebar_place"] = view.place
st.session_state.setdefault("export_format", "xlsx")

st.title(f"Export · {view.year_label}")
st.caption(
    f"Scenario: {view.scenario_label}. Change the planning year and the scenario in the "
    "sidebar; the export shows what the other pages show."
)
st.multiselect(
    "Places, or a system",
    options,
    key="export_places",
    format_func=lambda c: f"{names[c]} (system)" if kinds[c] == "system" else names[c],
    help="A system gives a sheet per place and one for the system's total. Several places "
    "give a sheet each and one for their total.",
)
st.radio(
    "What to export",
    list(FORMATS),
    key="export_format",
    format_func=lambda f: f"{FORMATS[f][0].upper()}{FORMATS[f][1:]} (.{f})",
)


def export_info() -> ExportInfo:
    return make_export_info(
        types,
        service_type_labels_table(view.data_key),
        view.year,
        scenario_for(view.plan_key.scenarios, view.scenario, view.year),
        datetime.now().astimezone(),
        assumptions_for(view.data_key),
    )


def offer(data: bytes, name: str, fmt: str, scope) -> None:
    workbook = _snapshots.keeps_snapshot(fmt)  # "what we submitted" is kept as a snapshot
    st.download_button(
        f"Download {name}",
        data,
        file_name=name,
        mime=MIME_TYPES[fmt],
        type="primary",
        key="export_download",
        on_click=_snapshots.keep_download_snapshot if workbook else "ignore",
        args=(view, scope, name) if workbook else None,
    )
    st.caption(f"{len(data) / 1024:,.0f} KB.")
    _snapshots.export_notice()


def workbook_preview(frame, scope, info) -> None:
    st.subheader("What the capacity & demand tab will show")
    table = preview(frame, scope, info)
    st.caption(
        f"{scope.name}: whole numbers that add up across and down. The workbook also "
        "holds a cover, the assumptions behind every row and the unrounded figures."
    )
    st.dataframe(table, hide_index=True, width="stretch")


def chart_choice(rows) -> str | None:
    present = chart_service_types(rows, types)
    if not present:
        return None
    if st.session_state.get("export_service_type") not in present:
        st.session_state["export_service_type"] = present[0]
    st.selectbox("Chart of", present, key="export_service_type", format_func=type_names.get)
    st.caption(f"{SOURCE_LABELS[view.source]} referrals (set in the sidebar).")
    return st.session_state["export_service_type"]


def page() -> None:
    chosen = st.session_state["export_places"]
    if not chosen:
        st.info("Choose a place or a system to export.")
        return
    fmt = st.session_state["export_format"]
    scope = scope_for(view.places, chosen)
    frame = view.plan()
    rows = frame[frame["place_code"].isin(scope.codes)]
    info = export_info()
    service_type = chart_choice(rows) if fmt in IMAGE_FORMATS else None
    if fmt in IMAGE_FORMATS and service_type is None:
        st.info(f"{scope.name} has no figures to chart.")
        return
    with st.spinner("Making the file…"):
        data = export_bytes(fmt, frame, scope, info, service_type=service_type, source=view.source)
    offer(data, file_name(scope, view.year, fmt, service_type), fmt, scope)
    if fmt in ("xlsx", "zip"):
        workbook_preview(frame, scope, info)
    elif fmt in IMAGE_FORMATS:
        title = chart_title(scope.name, type_names[service_type], view.source, view.year)
        st.plotly_chart(
            name_scenario(gap_figure(rows, service_type, view.source, title), info.scenario),
            config={"displaylogo": False},
            key="export_chart",
        )
    else:
        st.caption(f"{len(rows):,} rows: one per place, service, source and month, unrounded.")


try:
    page()
except ExportError as exc:
    st.error(str(exc))
meeting_pack(view)
