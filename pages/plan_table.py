"""Plan table: the plan frame for one place or system and planning year."""

import streamlit as st

from capacity.periods import month_label, planning_year_label
from pages._common import (
    current_planning_year,
    data_version,
    database_path,
    places_table,
    plan_table,
)

path = database_path()
version = data_version(path)
places = places_table(path, version)
labels = dict(zip(places["place_code"], places["name"], strict=True))

with st.sidebar:
    place = st.selectbox("Place or system", list(labels), format_func=labels.get)
    this_year = current_planning_year()
    years = list(range(this_year - 3, this_year + 2))
    year = st.selectbox(
        "Planning year", years, index=years.index(this_year), format_func=planning_year_label
    )

st.title(f"{labels[place]} · {planning_year_label(year)}")
frame = plan_table(path, version, place, year)
shown = frame.assign(month=frame["month"].map(month_label))[
    ["service", "source", "month", "demand", "capacity", "gap", "utilisation", "method", "flags"]
]
st.dataframe(
    shown,
    hide_index=True,
    width="stretch",
    column_config={
        "demand": st.column_config.NumberColumn(format="%.1f"),
        "capacity": st.column_config.NumberColumn(format="%.1f"),
        "gap": st.column_config.NumberColumn(format="%.1f"),
        "utilisation": st.column_config.NumberColumn(format="percent"),
    },
)
