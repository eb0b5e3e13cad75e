"""Overview: every place and system at a glance — where and when the shortfalls are.

Its scope says which rows the heat map shows: the places and systems with plans
(the default), an ICB's places with the ICB's total, or a region's ICBs; it is
carried in the address as ``scope=icb:CODE`` or ``scope=region:NAME``. Rates per
100,000 are of people aged 18+, 65+ (the default) or 85+, carried as ``per=85``.
"""

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
from capacity.views.places import (
    DEFAULT_BASE,
    PLACES_WITH_PLANS,
    POPULATION_BASES,
    default_icb,
    describe_scope,
    icbs,
    parse_scope,
    rate_basis,
    regions,
    scope_rows,
)
from capacity.views.scenario_choices import BASELINE
from pages import _state, page_path
from pages._common import (
    choice_param,
    current_view,
    list_param,
    population_base_param,
    service_types_table,
)
from pages._state import Param
from pages._style import figure_column, months_as_labels, overview_height, show_notices

view = current_view()
plan = view.plan()
types = service_types_table(view.data_key)
present_types = [t for t in types["service_type"] if t in set(plan["service_type"])]
type_names = dict(zip(types["service_type"], types["name"], strict=True))
measures = {"people": "People", "per100k": "Per 100,000"}
scopes = {
    PLACES_WITH_PLANS: "Places with plans",
    "icb": "An ICB's places",
    "region": "A region's ICBs",
}
places = view.places
icb_table = icbs(places)
icb_labels = {
    code: f"{name} · {region}" if region else name
    for code, name, region in icb_table.itertuples(index=False)
}
icb_regions = dict(zip(icb_table["place_code"], icb_table["region_name"], strict=True))
region_names = regions(places)
totals = {"short": "People short", "net": "Net gap"}
type_param = list_param("service_type", "overview_types", {t: type_names[t] for t in present_types})
measure_param = choice_param("measure", "overview_measure", measures, "people")
total_param = choice_param("total", "overview_total", totals, "short")
scope_param = Param(
    "scope",
    "overview_scope",
    lambda text: parse_scope(places, text),
    lambda v: None if v == PLACES_WITH_PLANS else v,
    PLACES_WITH_PLANS,
    describe=lambda v: describe_scope(places, v),
)
base_param = population_base_param("overview_per")
own_params = (type_param, measure_param, total_param, scope_param, base_param)
for param in own_params:
    _state.bind(param)
show_notices()

# The scope's widgets follow the one setting the address carries; their callbacks write it.
scope_kind, _, scope_value = st.session_state["overview_scope"].partition(":")
st.session_state["overview_scope_kind"] = scope_kind
if scope_kind == "icb":
    st.session_state["overview_icb"] = scope_value
elif st.session_state.get("overview_icb") not in icb_labels:
    st.session_state["overview_icb"] = default_icb(places, view.place)
if scope_kind == "region":
    st.session_state["overview_region"] = scope_value
elif st.session_state.get("overview_region") not in region_names:
    first = icb_regions.get(st.session_state["overview_icb"])
    st.session_state["overview_region"] = first or (region_names or [None])[0]


def scope_changed() -> None:
    """Write the scope from its widgets (a callback, so it runs before the page)."""
    kind = st.session_state["overview_scope_kind"]
    value = {"icb": "overview_icb", "region": "overview_region"}.get(kind)
    chosen = st.session_state.get(value) if value else None
    st.session_state["overview_scope"] = f"{kind}:{chosen}" if chosen else PLACES_WITH_PLANS


scenario = f" · scenario: {view.scenario_label}" if view.scenario != BASELINE else ""
st.title(f"Overview · {view.year_label}{scenario}")
scope_left, scope_right = st.columns([5, 7])
scope_left.segmented_control(
    "Show",
    [k for k in scopes if k == PLACES_WITH_PLANS or (icb_labels if k == "icb" else region_names)],
    key="overview_scope_kind",
    format_func=scopes.get,
    required=True,
    on_change=scope_changed,
    help="Places with plans: every place and system with figures this year. An ICB's "
    "places: each place of one ICB, with or without services, and the ICB's total. A "
    "region's ICBs: the ICBs of one NHS England region.",
)
if scope_kind == "icb":
    scope_right.selectbox(
        "ICB",
        list(icb_labels),
        key="overview_icb",
        format_func=icb_labels.get,
        filter_mode="contains",
        on_change=scope_changed,
    )
elif scope_kind == "region":
    scope_right.selectbox(
        "Region",
        region_names,
        key="overview_region",
        filter_mode="contains",
        on_change=scope_changed,
    )
left, middle, right = st.columns([4, 3, 5])
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
measure_box, base_box = right.columns([5, 4])
measure_box.segmented_control(
    "Show the figures as",
    list(measures),
    key="overview_measure",
    format_func=measures.get,
    required=True,
    help="People: each month's figures in people. Per 100,000: the same figures per 100,000 "
    "people of the age chosen beside it, to compare places of different sizes.",
)
base_box.segmented_control(
    "Of people aged",
    list(POPULATION_BASES),
    key="overview_per",
    format_func=POPULATION_BASES.get,
    required=True,
    # Kept drawn while the figures are people, so the choice is there when rates come back.
    disabled=st.session_state["overview_measure"] != "per100k",
    help="What a rate per 100,000 is of: the ONS mid-2023 estimate of the place's people of "
    "that age (a system's: its places' added up).",
)
for param in own_params:
    _state.publish(param)

chosen = st.session_state["overview_types"] or None
scope = st.session_state["overview_scope"]
everywhere = scope == PLACES_WITH_PLANS
per_100k = st.session_state["overview_measure"] == "per100k"
short = st.session_state["overview_total"] == "short"
# A page run outside the app (hand_over_to_app) can leave a segmented control empty.
base = st.session_state["overview_per"] or DEFAULT_BASE
rows = scope_rows(places, scope, set(plan["place_code"]), base)
# Only the scope's rows of the plan built for every place: never a plan per place.
scoped = plan[plan["place_code"].isin(set(rows["place_code"]))]
population = dict(zip(rows["place_code"], rows["population"], strict=True))
matrix = (shortfall_matrix if short else gap_matrix)(
    scoped, chosen, view.source, population if per_100k else None
)
if everywhere:
    rows = rows[rows["name"].isin(matrix.index)]
else:
    # Every place of the ICB, or ICB of the region, keeps its row: blank, never zero.
    matrix = matrix.reindex(columns=sorted(set(plan["month"])))
matrix = matrix.reindex(rows["name"]).set_axis(list(rows["label"]), axis=0)
labels = dict(zip(rows["place_code"], rows["label"], strict=True))
# Each cell's hover says which service types have no demand data there (blank, never 0).
notes = missing_demand(scoped, chosen, view.source).reindex(rows["name"])
notes = notes.set_axis(list(rows["label"]), axis=0)
what = "all service types" if not chosen else ", ".join(type_names[t] for t in chosen)
several = chosen is None or len(chosen) > 1
where = "" if everywhere else f" in {describe_scope(places, scope)}"
rate = f", {rate_basis(base)}" if per_100k else ""
if short:
    title = f"People short by month{where}{rate}: {what}"
elif several:
    title = (
        f"Net gap by month{where}{rate}: {what} "
        "(spare capacity in one type offsets another's shortfall)"
    )
else:
    title = f"Gap by month{where}{rate}: {what}"
unit = f"per 100,000 aged {POPULATION_BASES[base]}" if per_100k else "people"
st.caption(
    (
        "People short = demand above capacity, each service type on its own, added up; "
        "blank where there are no figures. "
        if short
        else "Gap = capacity − demand, by month; a negative gap is a shortfall. "
    )
    + f"{SOURCE_LABELS[view.source]} referrals."
    + (
        f" Rates are {rate_basis(base)}; a system's rate is of the people in its places with plans."
        if per_100k
        else ""
    )
)
if matrix.empty or matrix.columns.empty:
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
    if not everywhere and not matrix.notna().to_numpy().any():
        st.info(f"No figures for {describe_scope(places, scope)} this year.")
    st.caption(
        "Click a cell to open that place's charts, its month marked. A system's row takes its "
        "places together, service type by service type, as its Place page does; a system "
        "marked *only* holds just that one place here, so its row repeats that place's, and "
        "one marked *3 of 8 places* adds up only its places with plans. *No services*: a "
        "place with no services of its own, its row blank where it has no figures."
    )

st.subheader("Go to a place")
link_columns = st.columns(4)
for index, row in enumerate(rows.itertuples()):
    link_columns[index % 4].page_link(
        page_path("place"),
        label=row.label,
        icon="📈",
        query_params=_state.link_values("place", place=row.place_code),
    )

st.subheader("Largest shortfalls")
shortfalls = largest_shortfalls(scoped, chosen, view.source)
if shortfalls.empty:
    st.success("No shortfalls in this planning year for these service types.")
else:
    shortfalls = shortfalls.assign(place=shortfalls["place_code"].map(labels))
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
            "worst_gap": figure_column("Short in worst month", 0),
            "months_short": st.column_config.NumberColumn("Months short", format="%d"),
            "total_shortfall": figure_column(
                "Short over the year", 0, help="The sum of the monthly shortfalls"
            ),
        },
    )

st.subheader("Where demand comes from")
sources = demand_sources_by_place(scoped)
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
