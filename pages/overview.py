"""Overview: every place and system at a glance — where and when the shortfalls are."""

import streamlit as st

from capacity.charts import gap_heatmap
from capacity.summary import SOURCE_LABELS, gap_matrix, largest_shortfalls
from pages import _state, page_path
from pages._common import choice_param, current_view, list_param, service_types_table
from pages._style import figure_column, months_as_labels, show_notices

view = current_view()
plan = view.plan()
types = service_types_table(view.data_key)
present_types = [t for t in types["service_type"] if t in set(plan["service_type"])]
type_names = dict(zip(types["service_type"], types["name"], strict=True))
measures = {"people": "People a month", "per100k": "Per 100,000 people aged 65+"}
type_param = list_param("service_type", "overview_types", {t: type_names[t] for t in present_types})
measure_param = choice_param("measure", "overview_measure", measures, "people")
for param in (type_param, measure_param):
    _state.bind(param)
show_notices()

st.title(f"Overview · {view.year_label}")
st.caption(
    f"Gap = capacity − demand, by month; a negative gap is a shortfall. "
    f"{SOURCE_LABELS[view.source]} referrals."
)
left, right = st.columns([3, 2])
left.multiselect(
    "Service types",
    present_types,
    key="overview_types",
    format_func=type_names.get,
    placeholder="All service types",
)
right.segmented_control(
    "Show the gap as",
    list(measures),
    key="overview_measure",
    format_func=measures.get,
    required=True,
)
for param in (type_param, measure_param):
    _state.publish(param)

chosen = st.session_state["overview_types"] or None
places = view.places
population = dict(zip(places["place_code"], places["population_65plus"], strict=True))
per_100k = st.session_state["overview_measure"] == "per100k"
matrix = gap_matrix(plan, chosen, view.source, population if per_100k else None)
names_in_order = [
    *places.loc[places["kind"] != "system", "name"].sort_values(),
    *places.loc[places["kind"] == "system", "name"].sort_values(),
]
matrix = matrix.reindex([n for n in names_in_order if n in matrix.index])
what = "all service types" if not chosen else ", ".join(type_names[t] for t in chosen)
unit = "per 100,000 aged 65+" if per_100k else "people"
if matrix.empty:
    st.info("No services or demand for these service types.")
else:
    selection = st.plotly_chart(
        gap_heatmap(matrix, f"Gap by month: {what}", unit),
        key="overview_heatmap",
        on_select="rerun",
        selection_mode="points",
        config={"displaylogo": False},
    )
    picked = selection.selection.points if selection and selection.selection else []
    if picked:
        code_of = dict(zip(places["name"], places["place_code"], strict=True))
        place = code_of.get(picked[0].get("y"))
        if place:
            st.switch_page(
                page_path("place"), query_params=_state.link_values("place", place=place)
            )
    st.caption("Click a row to open that place's charts. Systems are the sums of their places.")

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
    shown = shown.assign(worst_gap=-shown["worst_gap"], total_shortfall=-shown["total_shortfall"])
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
