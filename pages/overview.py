"""Overview: every place and system at a glance — where and when the shortfalls are."""

import streamlit as st

from capacity.charts import gap_heatmap
from capacity.display import as_people_short
from capacity.summary import (
    SOURCE_LABELS,
    demand_sources_by_place,
    gap_matrix,
    largest_shortfalls,
    missing_demand,
    shortfall_matrix,
)
from capacity.views.places import overview_rows
from capacity.views.scenario_choices import BASELINE
from pages import _state, page_path
from pages._common import choice_param, current_view, list_param, service_types_table
from pages._style import figure_column, months_as_labels, overview_height, show_notices

view = current_view()
plan = view.plan()
types = service_types_table(view.data_key)
present_types = [t for t in types["service_type"] if t in set(plan["service_type"])]
type_names = dict(zip(types["service_type"], types["name"], strict=True))
measures = {"people": "People a month", "per100k": "Per 100,000 people aged 65+"}
totals = {"short": "People short", "net": "Net gap"}
type_param = list_param("service_type", "overview_types", {t: type_names[t] for t in present_types})
measure_param = choice_param("measure", "overview_measure", measures, "people")
total_param = choice_param("total", "overview_total", totals, "short")
own_params = (type_param, measure_param, total_param)
for param in own_params:
    _state.bind(param)
show_notices()

scenario = f" · scenario: {view.scenario_label}" if view.scenario != BASELINE else ""
st.title(f"Overview · {view.year_label}{scenario}")
left, middle, right = st.columns([5, 3, 4])
left.multiselect(
    "Service types",
    present_types,
    key="overview_types",
    format_func=type_names.get,
    placeholder="All service types",
)
middle.segmented_control(
    "Add up service types as",
    list(totals),
    key="overview_total",
    format_func=totals.get,
    required=True,
    help="People short: each service type's shortfall added up, so spare capacity in one "
    "type never hides a shortfall in another. Net gap: capacity − demand over the chosen "
    "types, where one type's spare capacity offsets another's shortfall.",
)
right.segmented_control(
    "Show the figures as",
    list(measures),
    key="overview_measure",
    format_func=measures.get,
    required=True,
)
for param in own_params:
    _state.publish(param)

chosen = st.session_state["overview_types"] or None
places = view.places
population = dict(zip(places["place_code"], places["population_65plus"], strict=True))
per_100k = st.session_state["overview_measure"] == "per100k"
short = st.session_state["overview_total"] == "short"
matrix = (shortfall_matrix if short else gap_matrix)(
    plan, chosen, view.source, population if per_100k else None
)
rows = overview_rows(places, set(plan["place_code"]))
rows = rows[rows["name"].isin(matrix.index)]
matrix = matrix.reindex(rows["name"]).set_axis(list(rows["label"]), axis=0)
# Each cell's hover says which service types have no demand data there (blank, never 0).
notes = missing_demand(plan, chosen, view.source).reindex(rows["name"])
notes = notes.set_axis(list(rows["label"]), axis=0)
what = "all service types" if not chosen else ", ".join(type_names[t] for t in chosen)
several = chosen is None or len(chosen) > 1
if short:
    title = f"People short by month: {what}"
elif several:
    title = f"Net gap by month: {what} (spare capacity in one type offsets another's shortfall)"
else:
    title = f"Gap by month: {what}"
unit = "per 100,000 aged 65+" if per_100k else "people"
st.caption(
    (
        "People short = demand above capacity, each service type on its own, added up; "
        "blank where there are no figures. "
        if short
        else "Gap = capacity − demand, by month; a negative gap is a shortfall. "
    )
    + f"{SOURCE_LABELS[view.source]} referrals."
)
if matrix.empty:
    st.info("No services or demand for these service types.")
else:
    selection = st.plotly_chart(
        gap_heatmap(
            matrix,
            title,
            unit,
            short=short,
            keys=list(rows["place_code"]),
            large=view.present,
            height=overview_height(len(matrix.index)) if view.present else None,
            notes=notes,
        ),
        key="overview_heatmap",
        on_select="rerun",
        selection_mode="points",
        config={"displayModeBar": False},  # its buttons would sit over the month labels
    )
    picked = selection.selection.points if selection and selection.selection else []
    cell = next((p["customdata"] for p in picked if p.get("customdata")), None)
    if cell:
        # The cell's place, with its month marked on the Place page's charts.
        place, month = cell[0], cell[1]
        st.switch_page(
            page_path("place"),
            query_params=_state.link_values("place", place=place, month=month),
        )
    st.caption(
        "Click a cell to open that place's charts, its month marked. A system's row takes its "
        "places together, service type by service type, as its Place page does; a system "
        "marked *only* holds "
        "just that one place here, so its row repeats that place's."
    )

st.subheader("Go to a place")
link_columns = st.columns(4)
for index, row in enumerate(places.sort_values(["kind", "name"]).itertuples()):
    label = f"{row.name} (system)" if row.kind == "system" else row.name
    link_columns[index % 4].page_link(
        page_path("place"),
        label=label,
        icon="📈",
        query_params=_state.link_values("place", place=row.place_code),
    )

st.subheader("Largest shortfalls")
shortfalls = largest_shortfalls(plan, chosen, view.source)
if shortfalls.empty:
    st.success("No shortfalls in this planning year for these service types.")
else:
    shown = months_as_labels(shortfalls, "starts", "worst_month")
    shown = as_people_short(shown, ["worst_gap", "total_shortfall"])
    st.dataframe(
        shown[
            [
                "place",
                "service_type_name",
                "starts",
                "worst_month",
                "worst_gap",
                "months_short",
                "total_shortfall",
            ]
        ],
        hide_index=True,
        width="stretch",
        column_config={
            "place": "Place",
            "service_type_name": "Service type",
            "starts": "Shortfall starts",
            "worst_month": "Worst month",
            "worst_gap": figure_column("Short in worst month"),
            "months_short": st.column_config.NumberColumn("Months short", format="%d"),
            "total_shortfall": figure_column(
                "Short over the year", help="The sum of the monthly shortfalls"
            ),
        },
    )

st.subheader("Where demand comes from")
sources = demand_sources_by_place(plan)
if chosen:
    sources = sources[sources["service_type_name"].isin([type_names[t] for t in chosen])]
st.caption(
    "Each place and service type's demand: from local referral records, published monthly "
    "counts or the NHS England discharge SitRep (see the Data page). *No service*: demand "
    "with no commissioned service here, shown as unmet (capacity 0). *No demand data*: a "
    "service with no source of demand; its demand and gap are blank, never zero."
)
st.dataframe(
    sources,
    hide_index=True,
    width="stretch",
    placeholder="",
    column_config={
        "place": "Place",
        "service_type_name": "Service type",
        "demand_source": "Demand from",
        "state": "Read with care",
    },
)
