"""Services: one service type across every place — capacity per 100,000 people, use, gap.

Rates are of people aged 18+, 65+ (the default) or 85+, carried in the address as ``per=85``.
"""

import streamlit as st

from capacity.charts import capacity_rate_chart
from capacity.display import as_percentages
from capacity.summary import SOURCE_LABELS, service_type_across_places
from capacity.views.places import (
    DEFAULT_BASE,
    POPULATION_BASES,
    POPULATION_BASIS,
    rate_basis,
    rate_populations,
)
from pages import _state
from pages._common import (
    choice_param,
    current_view,
    population_base_param,
    service_types_table,
)
from pages._style import figure_column, percent_column, services_height, show_notices, title_size

view = current_view()
plan = view.plan()
types = service_types_table(view.data_key)
type_names = dict(zip(types["service_type"], types["name"], strict=True))
present = [t for t in types["service_type"] if t in set(plan["service_type"])]
type_param = choice_param(
    "service_type",
    "services_type",
    {t: type_names[t] for t in present},
    present[0] if present else "",
)
base_param = population_base_param("services_per")
_state.bind(type_param)
_state.bind(base_param)
show_notices()

st.title(f"Services · {view.year_label}")
if not present:
    st.info("There are no services in the store.")
    st.stop()
type_box, base_box = st.columns([3, 1])
type_box.selectbox("Service type", present, key="services_type", format_func=type_names.get)
base_box.segmented_control(
    "Per 100,000 people aged",
    list(POPULATION_BASES),
    key="services_per",
    format_func=POPULATION_BASES.get,
    required=True,
    help="What the capacity per 100,000 is of: the ONS mid-2023 estimate of the place's "
    "people of that age.",
)
_state.publish(type_param)
_state.publish(base_param)
chosen = st.session_state["services_type"]
base = st.session_state["services_per"] or DEFAULT_BASE  # empty only in a page run alone
band = POPULATION_BASES[base]
rate = rate_basis(base)
st.caption(
    f"{SOURCE_LABELS[view.source]} referrals. Figures are totals over the planning "
    f"year; capacity {rate} compares places of different sizes."
)

places = view.places
# A system's rate is of its places with plans, as on the Overview.
population = rate_populations(places, set(plan["place_code"]), base)
table = service_type_across_places(plan, chosen, view.source, population)
kinds = dict(zip(places["place_code"], places["kind"], strict=True))
table["place"] = [
    f"{p} (system)" if kinds.get(c) == "system" else p
    for c, p in zip(table["place_code"], table["place"], strict=True)
]
if table.empty:
    st.info("No place has this service type.")
    st.stop()


NARROW = 70  # pixels: a figure column of the Services table


def the_table() -> None:
    """Every place's figures for the service type, flags beside the place."""
    shown = as_percentages(table, ["utilisation"])
    # The flags say which figures are assumed (Thurrock's top rank is assumed capacity), so they
    # come next to the place, never off the right-hand edge.
    st.dataframe(
        shown[
            [
                "place",
                "flags",
                "demand_from",
                "demand",
                "capacity",
                "gap",
                "utilisation",
                "population",
                "capacity_per_100k",
                "months_short",
            ]
        ],
        hide_index=True,
        width="stretch",
        placeholder="",
        # Widths in pixels so that all ten columns fit a 1440-pixel screen beside the sidebar.
        column_config={
            "place": st.column_config.TextColumn("Place", width=150),
            "flags": st.column_config.TextColumn("Flags", width=145),
            "demand_from": st.column_config.TextColumn("Demand from", width=130),
            "demand": figure_column("Demand", 0, "New people in the planning year", NARROW),
            "capacity": figure_column(
                "Capacity", 0, "New people the services can take in the year", NARROW
            ),
            "gap": figure_column("Gap", 0, "Capacity − demand over the year", 65),
            "utilisation": percent_column("Use", "Demand as a share of capacity", 55),
            "population": figure_column(
                f"Aged {band}", 0, f"People aged {band} ({POPULATION_BASIS})", NARROW
            ),
            "capacity_per_100k": figure_column(f"Per 100k aged {band}", 0, f"Capacity {rate}", 115),
            "months_short": st.column_config.NumberColumn("Months short", format="%d", width=90),
        },
    )
    # The source goes under the table, not into a header that would push Flags off the edge.
    st.caption(f"Populations and rates per 100,000: people aged {band}, {POPULATION_BASIS}.")


hwb = table[table["place_code"].map(kinds) != "system"]
title = f"{type_names[chosen]}: capacity {rate}"
chart = capacity_rate_chart(hwb, title, rate, large=view.present)
if view.present:
    # On the wall: the chart in the room under the title, and the flags beneath it in a line,
    # since they say which figures are assumed; the table stays in the normal view.
    chart.update_layout(
        height=services_height(len(hwb)), title_font_size=title_size(title, 1, largest=30)
    )
    st.plotly_chart(chart, config={"displayModeBar": False}, key="services_chart")
    flagged = hwb[hwb["flags"].fillna("").astype(str).str.len() > 0]
    if not flagged.empty:
        st.caption(" · ".join(f"{r.place}: {r.flags}" for r in flagged.itertuples()))
else:
    st.plotly_chart(chart, config={"displaylogo": False}, key="services_chart")
    the_table()
