"""The Place page's "Plan against actual": a snapshot of the place set against what happened.

The lead chooses one of the place's snapshots (by default the newest whose year has
months that have happened) and sees a short reading, a table month by month and a
small chart of the plan's band against actual demand. Everything shown comes from
:mod:`capacity.views.actuals`; this module keeps the widgets and the drawing.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import streamlit as st

from capacity import config
from capacity.charts import plan_actual_chart
from capacity.periods import planning_year_label
from capacity.views import actuals
from capacity.views.places import file_stamp
from pages._common import snapshots_listed

SOURCE_WORDS = {"hospital": "hospital discharge", "community": "community"}
WHOLE = ["Planned demand", "Actual demand", "Planned capacity", "Actual capacity"]


@st.cache_data(show_spinner=False, max_entries=16)
def _default(path: Path, stamp: int, place: str, today: date) -> int | None:
    return actuals.default_snapshot(path, place, today)


@st.cache_data(show_spinner="Setting the plan against what happened…", max_entries=16)
def _comparison(path: Path, stamp: int, snapshot_id: int, today: date):
    return actuals.plan_against_actual(path, snapshot_id, today)


def _label(row: pd.Series) -> str:
    made = pd.Timestamp(row["made_at"])
    return f"{row['name']} · {planning_year_label(int(row['planning_year']))} · {made:%-d %b %Y}"


def plan_against_actual_section(path: Path, place: str, place_name: str, source: str) -> None:
    """The section: choose a snapshot of ``place``, read how its plan held (rows of
    ``source``, or both sources for 'both')."""
    st.subheader("Plan against actual")
    stamp = file_stamp(path)
    listing = snapshots_listed(path, place)
    if listing.empty:
        st.info(
            f"No snapshot of {place_name} yet: take a snapshot of its plan first, and as months "
            "pass this section sets that plan against what then happened."
        )
        return
    today = config.today()
    labels = {int(r["snapshot_id"]): _label(r) for _, r in listing.iterrows()}
    chosen = _default(path, stamp, place, today)
    ids = list(labels)
    picked = st.selectbox(
        "Snapshot",
        ids,
        index=ids.index(chosen) if chosen in ids else 0,
        format_func=labels.get,
        key=f"actuals_snapshot_{place}",
        help="The newest snapshot whose year has months that have happened is chosen first.",
    )
    result = _comparison(path, stamp, picked, today)
    st.markdown("\n".join(f"- {line}." for line in result.sentences_of(place)))
    st.caption(result.caption)
    table = result.of_place(place)
    if source != "both":
        table = table[table["source"] == source]
    _table(table)
    _chart(table, place)


def _table(table: pd.DataFrame) -> None:
    shown = actuals.display_table(table)
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        placeholder="",
        column_config={
            **{c: st.column_config.NumberColumn(c, format="%,.0f") for c in WHOLE},
            "Planned gap": st.column_config.NumberColumn("Planned gap", format="%,.0f"),
            "Actual gap": st.column_config.NumberColumn("Actual gap", format="%,.0f"),
            "Signal": st.column_config.TextColumn("Signal", width="medium"),
        },
    )


def _chart(table: pd.DataFrame, place: str) -> None:
    keys = table[["service_type", "service_type_name", "source"]].drop_duplicates()
    if keys.empty:
        return
    options = {
        (r.service_type, r.source): f"{r.service_type_name} — {SOURCE_WORDS[r.source]}"
        for r in keys.itertuples(index=False)
    }
    which = st.selectbox(
        "Chart of", list(options), format_func=options.get, key=f"actuals_chart_{place}"
    )
    rows = table[(table["service_type"] == which[0]) & (table["source"] == which[1])]
    st.plotly_chart(
        plan_actual_chart(rows, f"{options[which]}: plan against actual"),
        config={"displaylogo": False},
        key=f"actuals_figure_{place}",
    )
