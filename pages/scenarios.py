"""Scenarios: build a what-if, see its effect at once, save it, compare, and test sensitivity."""

import streamlit as st

from capacity.charts import scenario_chart, tornado_chart
from capacity.display import people, rounded, rounded_value
from capacity.formulas import InvalidInput
from capacity.periods import month_label, planning_year_months
from capacity.summary import (
    SOURCE_LABELS,
    flips,
    monthly_totals,
    scenario_effect,
    shortfall_by_place,
)
from capacity.views import permissions, plans
from capacity.views import scenario_choices as choosing
from capacity.views.data import StoreError
from capacity.views.scenario_choices import (
    BASELINE,
    DEMAND_LEVERS,
    LEVERS,
    NAMED_SERVICE_LEVERS,
    Change,
    Scenario,
    ScenarioError,
    builder_problems,
    change_from_dict,
)
from pages import _snapshots
from pages._common import (
    current_user,
    current_view,
    plan_with,
    prepared_plan,
    scenario_choices,
    scenario_for,
    service_types_table,
    services_table,
)
from pages._style import figure_column, scenarios_height, show_notices, title_size

view = current_view()
show_notices()
types = service_types_table(view.data_key)
type_names = dict(zip(types["service_type"], types["name"], strict=True))
services = services_table(view.data_key)
service_names = dict(zip(services["service_id"], services["name"], strict=True))
place_names = dict(zip(view.places["place_code"], view.places["name"], strict=True))
names = choosing.change_names(view.places, types, services)
choices = scenario_choices(view.scenarios_key)
months = [m.key for m in planning_year_months(view.year)]
months += [m.key for m in planning_year_months(view.year + 1)][:3]
codes = tuple(view.members)

for key, default in (
    ("sb_changes", []),
    ("sb_name", ""),
    ("sb_description", ""),
    ("sb_author", ""),
    ("sb_editing", None),
    ("sb_editing_version", None),
    ("sb_message", None),
    ("sb_all", False),
):
    st.session_state.setdefault(key, default)


# -- callbacks (run before the page is drawn, so they may set widget state) ----


def builder_scenario() -> Scenario:
    return Scenario(
        st.session_state["sb_name"].strip() or "Unsaved scenario",
        tuple(change_from_dict(c) for c in st.session_state["sb_changes"]),
        st.session_state["sb_description"],
        st.session_state["sb_author"],
    )


def load_into_builder(key: str, editing: bool) -> None:
    scenario = scenario_for(view.scenarios_key, key, view.year)
    if scenario is None:
        return
    st.session_state["sb_changes"] = [
        scenario.to_dict()["changes"][i] for i in range(len(scenario.changes))
    ]
    st.session_state["sb_name"] = scenario.name if editing else f"{scenario.name} (copy)"
    st.session_state["sb_description"] = scenario.description
    st.session_state["sb_author"] = scenario.author if scenario.author != "preset" else ""
    st.session_state["sb_editing"] = scenario.name if editing else None
    # The version the edit starts from: a save is refused if someone saved a later one.
    st.session_state["sb_editing_version"] = scenario.version if editing else None
    st.session_state["sb_message"] = None


def start_from() -> None:
    key = st.session_state["sb_start"]
    if key == "":
        for name in ("sb_name", "sb_description", "sb_author"):
            st.session_state[name] = ""
        st.session_state["sb_changes"] = []
        st.session_state["sb_editing"] = None
        st.session_state["sb_editing_version"] = None
    else:
        load_into_builder(key, editing=False)


def builder_change() -> Change:
    """The change the builder's widgets describe, as they stand."""
    lever = st.session_state["sb_lever"]
    chosen = tuple(st.session_state["sb_services"])
    return Change(
        lever=lever,
        value=float(st.session_state["sb_value"]),
        first_month=st.session_state["sb_from"],
        last_month=st.session_state["sb_to"],
        places=tuple(st.session_state["sb_places"]),
        service_types=tuple(st.session_state["sb_types"]),
        services=chosen,
        to_service_type=st.session_state["sb_to_type"] if lever == "pathway_shift_pct" else None,
        source=(st.session_state["sb_source"] or None) if lever in DEMAND_LEVERS else None,
        all_services=(
            lever in NAMED_SERVICE_LEVERS and not chosen and bool(st.session_state["sb_all"])
        ),
    )


def add_change() -> None:
    change = builder_change()
    found = builder_problems(change, view.places, types, services)
    if found:
        st.session_state["sb_message"] = ("error", found)
        return
    st.session_state["sb_changes"] = [
        *st.session_state["sb_changes"],
        Scenario("x", (change,)).to_dict()["changes"][0],
    ]
    st.session_state["sb_message"] = None
    st.session_state["sb_all"] = False


def untick_all_services() -> None:
    """Another lever or scope is another question: "Apply to all" is asked afresh."""
    st.session_state["sb_all"] = False


def remove_change(index: int) -> None:
    changes = list(st.session_state["sb_changes"])
    changes.pop(index)
    st.session_state["sb_changes"] = changes


def save_builder() -> None:
    scenario = builder_scenario().with_changes(name=st.session_state["sb_name"].strip())
    try:
        saved = choosing.save_scenario(
            view.path,
            scenario,
            st.session_state["sb_editing"],
            user=current_user(),
            based_on=st.session_state["sb_editing_version"],
        )
    except permissions.AccessDenied as exc:
        st.session_state["sb_message"] = ("error", [str(exc)])
        return
    except ScenarioError as exc:
        st.session_state["sb_message"] = ("error", exc.problems)
        return
    except StoreError as exc:
        st.session_state["sb_message"] = ("error", [str(exc)])
        return
    st.session_state["sb_message"] = (
        "success",
        [
            f"Saved {saved.name!r} as version {saved.version}. It is now the scenario in the "
            "sidebar, so every page shows it."
        ],
    )
    st.session_state["sb_editing"] = saved.name
    st.session_state["sb_editing_version"] = saved.version
    st.session_state["scenario"] = saved.name


def manage(action: str) -> None:
    name = st.session_state.get("sb_selected")
    if not name:
        return
    try:
        if action == "delete":
            choosing.delete_scenario(view.path, name, user=current_user())
            if st.session_state.get("scenario") == name:
                st.session_state["scenario"] = BASELINE
            message = f"Deleted {name!r}; its saved versions are kept."
        else:
            new_name = st.session_state.get("sb_copy_name", "").strip()
            copy = choosing.duplicate_scenario(
                view.path,
                name,
                new_name,
                st.session_state["sb_author"] or "",
                user=current_user(),
            )
            message = f"Saved a copy as {copy.name!r}."
    except permissions.AccessDenied as exc:
        st.session_state["sb_message"] = ("error", [str(exc)])
        return
    except (ScenarioError, StoreError) as exc:
        found = exc.problems if isinstance(exc, ScenarioError) else [str(exc)]
        st.session_state["sb_message"] = ("error", found)
        return
    st.session_state["sb_message"] = ("success", [message])


def saved_controls(copy_name, copy, confirm, delete) -> None:
    """Duplicate and delete a saved scenario, for someone who may change something."""
    copy_name.text_input(
        "Name for a copy",
        key="sb_copy_name",
        label_visibility="collapsed",
        placeholder="Name for a copy",
    )
    copy.button("Duplicate", on_click=manage, args=("duplicate",), key="sb_duplicate")
    confirm.checkbox("Sure?", key="sb_confirm_delete")
    delete.button(
        "Delete",
        on_click=manage,
        args=("delete",),
        key="sb_delete",
        disabled=not st.session_state.get("sb_confirm_delete"),
    )


# -- the wall screen -----------------------------------------------------------


def shown_scenario() -> Scenario | None:
    """The scenario the wall shows: the one being built if it has changes (what the page
    showed when presentation mode was turned on), else the sidebar's (None: the baseline)."""
    if st.session_state["sb_changes"]:
        return builder_scenario()
    return scenario_for(view.scenarios_key, view.scenario, view.year)


# The builder's widgets without a default of their own: presentation mode does not draw
# them, and Streamlit forgets a widget's value in a run that does not draw it, unless set.
BUILDER_KEYS = (
    "sb_name",
    "sb_description",
    "sb_author",
    "sb_lever",
    "sb_types",
    "sb_services",
    "sb_source",
    "sb_to_type",
    "sb_compare",
)


def keep_builder() -> None:
    """Keep what the builder holds while the wall screen hides it."""
    for key in BUILDER_KEYS:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def wall_chart(column, chart, key: str, height: int) -> None:
    """A chart sized for half the wall, its title's type fitted to the column."""
    chart.update_layout(height=height, title_font_size=title_size(chart.layout.title.text, 2))
    column.plotly_chart(chart, config={"displayModeBar": False}, key=key)


def presentation_screen() -> None:
    """On the wall: a scenario against the baseline for the sidebar's place — the shortfall
    over the year, the gap by month and what moves the winter shortfall most, in one screen.
    Building, saving and comparing stay in the normal view."""
    keep_builder()
    shown = shown_scenario()
    named = shown.name if shown is not None else "no scenario (the baseline)"
    st.title(f"Scenarios · {view.year_label} · {named}")
    st.caption(
        f"{view.place_name}, {SOURCE_LABELS[view.source].lower()} referrals; the baseline has "
        "no changes. Build, save and compare scenarios in the normal view."
    )
    try:
        baseline = plan_with(view.data_key, view.year, codes, None)
        changed = plan_with(view.data_key, view.year, codes, shown)
    except (InvalidInput, ScenarioError) as exc:
        st.error(f"This scenario cannot be applied: {exc}")
        return
    effect = scenario_effect(baseline, changed, view.source)
    before, after, change_in_shortfall = plans.shortfall_totals(effect)
    m1, m2, m3, pick = st.columns([1, 1, 1, 1.3], vertical_alignment="bottom")
    m1.metric("Shortfall over the year, baseline", people(before))
    m2.metric(
        "With the scenario",
        people(after),
        delta=int(rounded_value(change_in_shortfall)) if shown is not None else None,
        delta_color="inverse",
    )
    m3.metric("Service-months that flip", len(flips(baseline, changed, view.source)))
    present = [t for t in types["service_type"] if t in set(baseline["service_type"])]
    height = scenarios_height()
    left, right = st.columns(2)
    lines = {
        "Baseline": effect.rename(columns={"gap_baseline": "gap"}),
        **({shown.name: effect.rename(columns={"gap_scenario": "gap"})} if shown else {}),
    }
    chart = scenario_chart(lines, "Gap by month: baseline and scenario", large=True)
    wall_chart(left, chart, "sb_effect_chart", height)
    if not present:
        return
    pick.selectbox("Sensitivity of", present, key="sb_sensitivity_type", format_func=type_names.get)
    chosen_type = st.session_state["sb_sensitivity_type"]
    table = plans.sensitivity_table(
        prepared_plan(view.data_key, view.year, codes), shown, list(codes), chosen_type
    )
    # The box above names the service type, so the title can be short enough for one line.
    title = "What moves the winter shortfall most"
    wall_chart(right, tornado_chart(table, title, large=True), "sb_tornado", height)


# -- the page ------------------------------------------------------------------

if view.present:
    presentation_screen()
else:
    st.title(f"Scenarios · {view.year_label}")
    st.caption(
        f"Effects are shown for {view.place_name}, {SOURCE_LABELS[view.source].lower()} "
        "referrals. Choose another place or system in the sidebar."
    )
    _snapshots.save_button(view)
    message = st.session_state["sb_message"]
    if message:
        kind, lines = message
        (st.error if kind == "error" else st.success)("\n".join(f"- {line}" for line in lines))

    st.subheader("Build a scenario")
    start_options = ["", *[k for k in choices if k != BASELINE]]
    left, right = st.columns([3, 1])
    left.selectbox(
        "Start from",
        start_options,
        key="sb_start",
        format_func=lambda k: "A blank scenario" if k == "" else choices[k],
    )
    right.button("Start", on_click=start_from, width="stretch", key="sb_start_button")
    if st.session_state["sb_editing"]:
        st.info(f"Editing {st.session_state['sb_editing']!r}: saving keeps the earlier versions.")
    name_col, author_col = st.columns([2, 1])
    name_col.text_input("Name", key="sb_name", max_chars=100)
    author_col.text_input("Author", key="sb_author", max_chars=100)
    st.text_area("Description", key="sb_description", height=68)

    with st.container(border=True):
        st.markdown("**Add a change**")
        a, b, c, d = st.columns([3, 1, 1, 1])
        a.selectbox(
            "Lever",
            list(LEVERS),
            key="sb_lever",
            format_func=LEVERS.get,
            on_change=untick_all_services,
        )
        b.number_input(
            "Value",
            key="sb_value",
            value=10.0,
            step=1.0,
            help="Percent for % levers, beds for caseload ±, days for length of stay "
            "± days, a share (0–1) for target occupancy.",
        )
        c.selectbox("From", months, key="sb_from", index=8, format_func=month_label)
        d.selectbox("To", months, key="sb_to", index=11, format_func=month_label)
        e, g, h = st.columns(3)
        e.multiselect(
            "Places (all if empty)",
            list(place_names),
            key="sb_places",
            format_func=place_names.get,
            default=[view.place],
            on_change=untick_all_services,
        )
        g.multiselect(
            "Service types (all if empty; for a shift, the types demand leaves)",
            list(type_names),
            key="sb_types",
            format_func=type_names.get,
            on_change=untick_all_services,
        )
        h.multiselect(
            "Services (all if empty)",
            list(service_names),
            key="sb_services",
            format_func=service_names.get,
            on_change=untick_all_services,
            help="A change in beds, places or hours names its services, or says that "
            "it applies to all of them with the box that appears below.",
        )
        i, j = st.columns(2)
        i.selectbox(
            "Referrals (demand levers only)",
            ["", "hospital", "community"],
            key="sb_source",
            format_func=lambda s: {
                "": "Both",
                "hospital": "Hospital discharge",
                "community": "Community",
            }[s],
        )
        j.selectbox(
            "Move demand to (pathway shift only)",
            list(type_names),
            key="sb_to_type",
            format_func=type_names.get,
        )
        # A change in beds, places or hours with no service chosen would land on every service
        # it covers: it is added only once the box naming them all is ticked.
        everything = choosing.all_services(
            prepared_plan(view.data_key, view.year, ()), builder_change(), names
        )
        waiting = False
        if everything is not None and not everything.services:
            st.warning(
                f"No service {everything.where} is planned by caseload or hours, so this "
                "change would move nothing. Choose other places, service types or services."
            )
            waiting = True
        elif everything is not None:
            st.checkbox(everything.label, key="sb_all")
            waiting = not st.session_state["sb_all"]
            if waiting:
                st.caption(
                    "A change in beds, places or hours adds them at every service it "
                    "covers: choose its services above, or tick the box to apply it to "
                    "all of them."
                )
        st.button("Add change", key="sb_add", on_click=add_change, type="primary", disabled=waiting)

    changes = st.session_state["sb_changes"]
    if not changes:
        st.caption("No changes yet: the scenario is the baseline.")
    for index, data in enumerate(changes):
        change = change_from_dict(data)
        row, button = st.columns([6, 1])
        row.markdown(f"{index + 1}\\. **{change.describe(names)}**")
        button.button("Remove", key=f"sb_remove_{index}", on_click=remove_change, args=(index,))

    scenario = builder_scenario()
    st.subheader(f"Effect on {view.place_name}")
    try:
        baseline = plan_with(view.data_key, view.year, codes, None)
        changed = plan_with(view.data_key, view.year, codes, scenario)
    except (InvalidInput, ScenarioError) as exc:
        st.error(f"This scenario cannot be applied: {exc}")
        st.stop()
    effect = scenario_effect(baseline, changed, view.source)
    before, after, change_in_shortfall = plans.shortfall_totals(effect)
    m1, m2, m3 = st.columns(3)
    m1.metric("Shortfall over the year, baseline", people(before))
    m2.metric(
        "With the scenario",
        people(after),
        # A number, so Streamlit reads its sign for the arrow; whole people, never -0.
        delta=int(rounded_value(change_in_shortfall)) if scenario.changes else None,
        delta_color="inverse",
    )
    flipped = flips(baseline, changed, view.source)
    m3.metric(
        "Service-months that flip",
        len(flipped),
        help="A service at a place, for one source, in one month, that moves between surplus "
        "and shortfall (capacity below demand). Each is counted on its own: one "
        "service's surplus does not hide another's shortfall.",
    )
    lines = {
        "Baseline": effect.rename(columns={"gap_baseline": "gap"}),
        scenario.name: effect.rename(columns={"gap_scenario": "gap"}),
    }
    st.plotly_chart(
        scenario_chart(lines, "Gap by month: baseline and scenario"),
        config={"displaylogo": False},
        key="sb_effect_chart",
    )
    # People are whole on screen (unrounded in the chart's hover and in exports).
    figures = [
        "demand_baseline",
        "capacity_baseline",
        "gap_baseline",
        "demand_scenario",
        "capacity_scenario",
        "gap_scenario",
    ]
    shown = rounded(effect, dict.fromkeys(figures, 0)).assign(
        month=effect["month"].map(month_label)
    )
    st.dataframe(
        shown[
            [
                "month",
                "demand_baseline",
                "capacity_baseline",
                "gap_baseline",
                "demand_scenario",
                "capacity_scenario",
                "gap_scenario",
                "into_shortfall",
                "out_of_shortfall",
            ]
        ],
        hide_index=True,
        width="stretch",
        column_config={
            "month": "Month",
            "demand_baseline": figure_column("Demand", 0),
            "capacity_baseline": figure_column("Capacity", 0),
            "gap_baseline": figure_column("Gap", 0),
            "demand_scenario": figure_column("Demand (scenario)", 0),
            "capacity_scenario": figure_column("Capacity (scenario)", 0),
            "gap_scenario": figure_column("Gap (scenario)", 0),
            "into_shortfall": st.column_config.NumberColumn("Services into shortfall", format="%d"),
            "out_of_shortfall": st.column_config.NumberColumn(
                "Services out of shortfall", format="%d"
            ),
        },
    )
    if len(codes) > 1:
        st.markdown("**Each place**")
        by_place = shortfall_by_place(baseline, changed, view.source)
        st.dataframe(
            rounded(by_place, dict.fromkeys(["baseline", "scenario", "change"], 0)),
            hide_index=True,
            column_config={
                "place": "Place",
                "baseline": figure_column("Shortfall, baseline", 0),
                "scenario": figure_column("Shortfall, scenario", 0),
                "change": figure_column("Change", 0),
            },
        )

    if scenario.changes:
        st.markdown("**Services that flip between surplus and shortfall**")
        if flipped.empty:
            st.caption("No service flips: each stays in surplus or in shortfall month by month.")
        else:
            whole = rounded(flipped, {"gap_baseline": 0, "gap_scenario": 0})
            st.dataframe(
                whole.assign(
                    month=flipped["month"].map(month_label),
                    source=flipped["source"].map(SOURCE_LABELS),
                ),
                hide_index=True,
                width="stretch",
                column_order=[
                    "month",
                    "place",
                    "service",
                    "source",
                    "gap_baseline",
                    "gap_scenario",
                    "flip",
                ],
                column_config={
                    "month": "Month",
                    "place": "Place",
                    "service": "Service",
                    "source": "Referrals",
                    "gap_baseline": figure_column("Gap, baseline", 0),
                    "gap_scenario": figure_column("Gap, scenario", 0),
                    "flip": "Flips",
                },
            )

    label = (
        f"Save as a new version of {st.session_state['sb_editing']!r}"
        if st.session_state["sb_editing"]
        else "Save scenario"
    )
    cannot_save = permissions.viewer_note(current_user())
    if cannot_save:
        st.caption(f"{cannot_save} Scenarios built here are not saved.")
    else:
        st.button(label, on_click=save_builder, type="primary", key="sb_save", disabled=not changes)

    st.subheader("Saved scenarios")
    saved = {k: v for k, v in choices.items() if k != BASELINE and not k.startswith("preset:")}
    if not saved:
        st.caption("No scenarios saved yet.")
    else:
        st.selectbox("Scenario", list(saved), key="sb_selected", format_func=saved.get)
        chosen = st.session_state["sb_selected"]
        edit, copy_name, copy, confirm, delete = st.columns([1, 2, 1, 1, 1])
        edit.button("Edit", on_click=load_into_builder, args=(chosen, True), key="sb_edit")
        if not cannot_save:
            saved_controls(copy_name, copy, confirm, delete)
        with st.expander("Versions"):
            history = choosing.scenario_history(view.path, chosen)
            st.dataframe(history, hide_index=True)
            number = st.selectbox("Show version", list(history["version"]), key="sb_version")
            old = choosing.saved_version(view.path, chosen, int(number))
            for i, change in enumerate(old.changes, start=1):
                st.markdown(f"{i}\\. {change.describe(names)}")

    st.subheader("Compare scenarios")
    others = [k for k in choices if k != BASELINE]
    st.multiselect(
        "Up to three scenarios", others, key="sb_compare", max_selections=3, format_func=choices.get
    )
    compared = {"Baseline": monthly_totals(baseline, view.source)}
    for key in st.session_state["sb_compare"]:
        chosen_scenario = scenario_for(view.scenarios_key, key, view.year)
        try:
            compared[choices[key]] = plans.compared_totals(
                prepared_plan(view.data_key, view.year, codes),
                chosen_scenario,
                view.year,
                view.source,
            )
        except ScenarioError as exc:
            st.warning(f"{exc}. It is left out of the comparison.")
    if len(compared) > 1:
        st.plotly_chart(
            scenario_chart(compared, f"Gap by month, {view.place_name}"),
            config={"displaylogo": False},
            key="sb_compare_chart",
        )

    st.subheader("Sensitivity")
    present = [t for t in types["service_type"] if t in set(baseline["service_type"])]
    if present:
        st.selectbox("Service type", present, key="sb_sensitivity_type", format_func=type_names.get)
        chosen_type = st.session_state["sb_sensitivity_type"]
        current = scenario_for(view.plan_key.scenarios, view.scenario, view.year)
        table = plans.sensitivity_table(
            prepared_plan(view.data_key, view.year, codes), current, list(codes), chosen_type
        )
        st.plotly_chart(
            tornado_chart(
                table, f"What moves the winter shortfall of {type_names[chosen_type].lower()} most"
            ),
            config={"displaylogo": False},
            key="sb_tornado",
        )
        st.caption(
            f"Each assumption moved 10% down and up on its own, everything else as in "
            f"{view.scenario_label.lower()}. Winter shortfall: people short from November "
            f"to March, {table['baseline'].iloc[0]:,.0f} as it stands."
        )
