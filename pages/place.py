"""Place: gap charts per service type for one place or system, and the assumptions behind them.

In presentation mode the same page becomes one large screen per place, with
the worst shortfall of the coming months as its headline and buttons that
step through the places of a system.
"""

import html
import re

import pandas as pd
import streamlit as st

from capacity.charts import DEMAND, NHS_BLUE, SHORTFALL, mark_month
from capacity.display import as_percentages, figure, method_label, rounded
from capacity.periods import month_label, planning_year_months
from capacity.summary import SOURCE_LABELS, assumptions, headline
from capacity.views.data import StoreError
from capacity.views.observed_figures import PLAN_FLAG_DIFFERENCE, plan_with_observed
from capacity.views.places import members as places_in
from capacity.views.plans import month_headline, place_headline
from capacity.views.scenario_choices import BASELINE, ScenarioError
from pages import _decisions, _snapshots, _state, _workforce
from pages._actuals import plan_against_actual_section
from pages._changes import changes_section
from pages._common import (
    choice_param,
    current_user,
    current_view,
    list_param,
    observed_offers,
    service_types_table,
)
from pages._since import since_screen
from pages._state import Param
from pages._style import (
    figure_column,
    months_as_labels,
    percent_column,
    place_grid,
    show_notices,
    step_keys,
    title_size,
)

LAYOUTS = {"together": "Together", "apart": "Side by side"}

view = current_view()
frame = view.place_plan()
types = service_types_table(view.data_key)
type_names = dict(zip(types["service_type"], types["name"], strict=True))
present_types = [t for t in types["service_type"] if t in set(frame["service_type"])]
type_param = list_param("service_type", "place_types", {t: type_names[t] for t in present_types})
layout_param = choice_param("layout", "place_layout", LAYOUTS, "together")
MONTHS = [m.key for m in planning_year_months(view.year)]


def month_of_year(text: str) -> str:
    """A month of the planning year shown, as 'YYYY-MM' (the Overview's heat map links one)."""
    if not re.fullmatch(r"\d{4}-\d{2}", text):
        raise ValueError(f"not a month (use the form {MONTHS[9]})")
    if text not in MONTHS:
        raise ValueError(
            f"not a month of {view.year_label}, {month_label(MONTHS[0])} to "
            f"{month_label(MONTHS[-1])}"
        )
    return text


month_param = Param(
    "month",
    "place_month",
    month_of_year,
    lambda v: v,
    None,
    describe=lambda v: month_label(v) if v else "the whole year (no month marked)",
)
own_params = (type_param, layout_param, month_param)
for param in own_params:
    _state.bind(param)
if st.session_state["place_month"] not in (None, *MONTHS):
    # Marked in another planning year: a month of this one was never asked for.
    st.session_state["place_month"] = None
show_notices()
marked = st.session_state["place_month"]


def coming_month(year: int) -> str | None:
    """This month if it falls in the planning year (the headline looks ahead from it)."""
    today = pd.Timestamp.today().strftime("%Y-%m")
    keys = [m.key for m in planning_year_months(year)]
    return today if keys[0] <= today <= keys[-1] else None


def chart_for(service_type: str, source: str, large: bool = False):
    name = type_names[service_type]
    title = name if large else f"{name} — {SOURCE_LABELS[source].lower()}"
    figure = view.gap_figure(service_type, source, title, large)
    if figure is not None and marked:
        mark_month(figure, marked, large)  # the figure is the cache's copy, ours to change
    return figure


def set_place(code: str) -> None:
    st.session_state["place"] = code


def leave_presentation() -> None:
    _decisions.leave_last_screen()
    st.session_state["present"] = False


# The presentation screen's one key to its charts' lines and markers.
CHART_KEY = (
    '<div class="chartkey">'
    f'<span style="color:{DEMAND}">━●━</span> Demand &nbsp; '
    f'<span style="color:{NHS_BLUE}">━●━</span> Capacity &nbsp; '
    f'<span style="color:{SHORTFALL}">▼</span> Shortfall month &nbsp; '
    "shaded: the gap</div>"
)


def presentation() -> None:
    places = view.places.set_index("place_code")
    parent = places.loc[view.place, "parent_system"]
    in_system = isinstance(parent, str)
    members = places_in(view.places, parent) if in_system else [view.place]
    position = members.index(view.place) if view.place in members else 0
    closing = _decisions.closing_screen()
    if closing is not None:  # after the last place: since last time, then the decisions
        presented = parent if in_system else view.place
        screen = _decisions.last_screen if closing == _decisions.LAST else since_screen
        screen(view, presented, str(places.loc[presented, "name"]))
        return
    last = position + 1 >= len(members)
    sentence = (
        month_headline(view.monthly("both"), view.place_name, marked)
        if marked
        else headline(view.monthly("both"), view.place_name, coming_month(view.year))
    )
    where = (
        f" · {places.loc[parent, 'name']}, {position + 1} of {len(members)}" if in_system else ""
    )
    style = "short" if " short" in sentence and "no service type is short" not in sentence else ""
    scenario = (
        f' · <span class="scenario">Scenario: {html.escape(view.scenario_label)}</span>'
        if view.scenario != BASELINE
        else ""
    )
    st.markdown(
        f'<div class="headline"><span class="{style}">{html.escape(sentence)}</span></div>'
        f'<div class="subhead">{html.escape(view.place_name)} · {view.year_label}'
        f"{html.escape(where)} · hospital discharge and community{scenario}</div>",
        unsafe_allow_html=True,
    )
    step_keys()
    # Exit's column wider than the steps', so "Exit presentation" is not cut on a laptop.
    back, forward, key, leave = st.columns([1, 1, 3.7, 1.3], vertical_alignment="center")
    key.markdown(CHART_KEY, unsafe_allow_html=True)
    back.button(
        "◀ Previous place",
        key="present_previous",
        on_click=set_place,
        args=(members[max(position - 1, 0)],),
        disabled=position == 0,
        width="stretch",
    )
    forward.button(
        "Next ▶" if last else "Next place ▶",
        key="present_next",
        on_click=_decisions.go_to_since_screen if last else set_place,
        args=() if last else (members[position + 1],),
        help="Since last time, then the decisions and actions" if last else None,
        width="stretch",
        type="primary",
    )
    leave.button(
        "Exit presentation", key="present_exit", on_click=leave_presentation, width="stretch"
    )
    figures = {t: chart_for(t, "both", large=True) for t in present_types}
    figures = {t: chart for t, chart in figures.items() if chart is not None}
    grid = place_grid(len(figures))
    columns = st.columns(grid.columns)
    for index, (service_type, chart) in enumerate(figures.items()):
        # A copy from the cache, ours to size; one key above all the charts replaces their
        # legends, which would crowd the month labels of a short chart.
        chart.update_layout(height=grid.chart_height, showlegend=False)
        if grid.columns > 2:  # a third of the wall: fewer month ticks, a smaller title
            title = chart.layout.title.text or ""
            chart.update_layout(title_font_size=title_size(title, grid.columns), xaxis_nticks=6)
        columns[index % grid.columns].plotly_chart(
            chart, config={"displayModeBar": False}, key=f"present_chart_{service_type}"
        )


# -- planning with the observed figure ------------------------------------------

OBSERVED_NOTICE = "place_observed_notice"


def plan_with_observed_figure(offer) -> None:
    """Save the offer's scenario and choose it in the sidebar (the button's callback)."""
    try:
        saved, notice = plan_with_observed(
            view.path, offer, st.session_state.get("sb_author", ""), user=current_user()
        )
    except (ScenarioError, StoreError, PermissionError) as exc:
        found = exc.problems if isinstance(exc, ScenarioError) else [str(exc)]
        st.session_state[OBSERVED_NOTICE] = (
            "error",
            f"{offer.name!r} was not saved: {'; '.join(found)}",
        )
        return
    st.session_state["scenario"] = saved.name
    st.session_state[OBSERVED_NOTICE] = (
        "success",
        f"{notice} It is now the scenario in the sidebar, so every page shows it.",
    )


def observed_figures() -> None:
    """Where the records contradict a stated length of stay or caseload, offer to plan with
    what they show: one button per flagged service."""
    message = st.session_state.pop(OBSERVED_NOTICE, None)
    if message:
        kind, text = message
        (st.error if kind == "error" else st.success)(text)
    offers = observed_offers(view.plan_key, tuple(view.members))
    if not offers:
        return
    with st.container(border=True):
        st.markdown(
            f"**The records differ from a stated figure by more than "
            f"{PLAN_FLAG_DIFFERENCE:.0%}** for the services below (the rows' flags give the "
            "figures, the months of records and the episodes behind them). Planning with the "
            "observed figure saves a scenario and shows it."
        )
        for offer in offers:
            left, right = st.columns([3, 1], vertical_alignment="center")
            left.markdown(f"**{offer.service}** · " + "; ".join(offer.lines))
            right.button(
                "Plan with the observed figure",
                key=f"observed_{offer.service_id}",
                on_click=plan_with_observed_figure,
                args=(offer,),
                width="stretch",
                disabled=not current_user().can_edit_something,
                help=f"Saves the scenario {offer.name!r} and chooses it in the sidebar.",
            )


def stated(label: str, help: str | None = None):
    """A stated figure, already written as typed ('61', '41.7', blank when not stated)."""
    return st.column_config.TextColumn(label, help=help, alignment="right")


def assumptions_table() -> None:
    table = assumptions(frame, view.source)
    figures = {
        "caseload": 1,
        "mean_los_days": 1,
        "hours_per_month": 0,
        "hours_per_package_per_month": 1,
        "throughput": 2,
        "target_occupancy": 2,
        "contract_share": 2,
    }
    table = as_percentages(table, ["hospital_share", "place_share"]).assign(
        source=table["source"].map(SOURCE_LABELS),
        method=table["method"].map(method_label),
        **{c: table[c].map(lambda v, d=d: figure(v, d)) for c, d in figures.items()},
    )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        placeholder="",
        column_config={
            "service": "Service",
            "source": "Source",
            "months": "Months",
            "method": "How capacity is worked out",
            "caseload": stated(
                "Caseload",
                "Beds, places or packages at once; for the hours method, hours ÷ hours per "
                "package. For a service shared with other places, this place's part of it "
                "(the whole × place share)",
            ),
            "mean_los_days": stated("Mean LoS (days)"),
            "hours_per_month": stated("Hours a month"),
            "hours_per_package_per_month": stated("Hours per package a month"),
            "throughput": stated("Throughput"),
            "throughput_unit": "per",
            "target_occupancy": stated("Target occupancy"),
            "contract_share": stated("Contract share"),
            "place_share": percent_column("Place share"),
            "place_share_basis": "Place share from",
            "hospital_share": percent_column("Hospital share"),
            "hospital_share_basis": "Hospital share from",
            "source_note": st.column_config.TextColumn("Source note", width="large"),
            "flags": st.column_config.TextColumn("Flags", width="medium"),
        },
    )


def month_table(service_type: str) -> None:
    rows = frame[frame["service_type"] == service_type]
    if view.source != "both":
        rows = rows[rows["source"] == view.source]
    # Whole people, and never "-0" for a gap a fraction of a person either side of zero.
    people_columns = ["demand", "demand_low", "demand_high", "capacity", "gap"]
    shown = as_percentages(
        rounded(months_as_labels(rows, "month"), dict.fromkeys(people_columns, 0)),
        ["utilisation"],
    ).assign(source=rows["source"].map(SOURCE_LABELS))[
        [
            "service",
            "source",
            "month",
            "demand",
            "demand_low",
            "demand_high",
            "capacity",
            "gap",
            "utilisation",
            "calculation",
            "demand_source",
            "demand_note",
            "flags",
        ]
    ]
    shown = _workforce.with_figures(shown, rows, view)
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        placeholder="",
        column_config=_workforce.COLUMNS
        | {
            "service": "Service",
            "source": "Source",
            "month": "Month",
            "demand": figure_column("Demand", 0),
            "demand_low": figure_column("Demand, 80% low", 0),
            "demand_high": figure_column("Demand, 80% high", 0),
            "capacity": figure_column("Capacity", 0),
            "gap": figure_column("Gap", 0),
            "utilisation": percent_column("Utilisation"),
            "calculation": st.column_config.TextColumn(
                "How capacity was worked out", width="large"
            ),
            "demand_source": "Demand from",
            "demand_note": st.column_config.TextColumn("How demand was projected", width="large"),
            "flags": "Flags",
        },
    )


def normal() -> None:
    st.title(f"{view.place_name} · {view.year_label}")
    # Of the rows the charts below draw: the chosen types (all when none) and the source.
    sentence = (
        month_headline(
            view.monthly(view.source),
            view.place_name,
            marked,
            st.session_state["place_types"],
            type_names,
        )
        if marked
        else place_headline(
            view.monthly(view.source),
            view.place_name,
            st.session_state["place_types"],
            coming_month(view.year),
            type_names,
        )
    )
    sentence = _workforce.headline(
        sentence, view, st.session_state["place_types"], marked, coming_month(view.year)
    )
    st.markdown(
        f"**{sentence}.**  \n"
        "Demand and capacity are new people a month; the shaded area is the gap, "
        "vermillion where demand exceeds capacity; the grey band around demand is its 80% "
        "prediction interval from the year-to-year spread of each month (none where a month "
        f"rests on one year of data). {SOURCE_LABELS[view.source]} "
        f"referrals; scenario: {view.scenario_label}."
    )
    observed_figures()
    _snapshots.save_button(view)
    left, middle, right = st.columns([3, 1.2, 2])
    middle.selectbox(
        "Mark a month",
        [None, *MONTHS],
        key="place_month",
        format_func=lambda m: "No month" if m is None else month_label(m),
        help="A yellow band on every gap chart, and the sentence above speaks of that month.",
    )
    left.multiselect(
        "Service types",
        present_types,
        key="place_types",
        format_func=type_names.get,
        placeholder="All service types",
    )
    if view.source == "both":
        right.segmented_control(
            "Hospital discharge and community",
            list(LAYOUTS),
            key="place_layout",
            format_func=LAYOUTS.get,
            required=True,
        )
    apart = view.source == "both" and st.session_state["place_layout"] == "apart"
    sources = ["hospital", "community"] if apart else [view.source]
    if frame.empty:
        st.info("This place has no services or demand in the store.")
    for service_type in st.session_state["place_types"] or present_types:
        st.subheader(type_names[service_type])
        for column, source in zip(st.columns(len(sources)), sources, strict=True):
            figure = chart_for(service_type, source)
            if figure is None:
                column.caption(f"No {SOURCE_LABELS[source].lower()} referrals or capacity.")
            else:
                column.plotly_chart(
                    figure, config={"displaylogo": False}, key=f"chart_{service_type}_{source}"
                )
        with st.expander("Figures by month"):
            month_table(service_type)
    # The meeting's questions, in the order a meeting asks them: what moved since last
    # time, whether the plan held, what was decided; then the assumptions behind every
    # figure and the snapshots kept.
    changes_section(view)
    plan_against_actual_section(view.path, view.place, view.place_name, view.source)
    _decisions.section(view)
    st.subheader("Assumptions")
    st.caption("The parameters behind every figure above, with their sources.")
    assumptions_table()
    _snapshots.place_snapshots(view)


if view.present:
    # The screen draws none of the page's own widgets, and Streamlit forgets the value of a
    # widget a run does not draw unless it is set: kept, they are there on leaving.
    for param in own_params:
        st.session_state[param.key] = st.session_state[param.key]
    presentation()
else:
    normal()
for param in own_params:
    _state.publish(param)
