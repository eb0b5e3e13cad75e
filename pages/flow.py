"""Flow: who waits for a service, for how long, and the places that would keep waits near zero.

For the sidebar's place (or system) and scenario, one service, or every
modelled service of a discharge pathway pooled as one (``service=pathway:P2``
in the link): occupancy and the queue day by day with bands, the mean wait by month, the
places needed for a target chance of waiting beside the places planned, and
what the delay and the places cost. Sliders try more places or a shorter stay.
The run starts today when today falls in the planning year shown, else on
1 April, or on a day chosen under *Starting conditions and costs* (``start``
in the link), with the people in the service and waiting then.
"""

from dataclasses import replace
from datetime import date

import streamlit as st

from capacity import config
from capacity.charts import flow_occupancy_chart, flow_queue_chart, flow_wait_chart
from capacity.flow.report import (
    cost_text,
    display_table,
    headline,
    over_places_warning,
    places_text,
    start_text,
)
from capacity.formulas import InvalidInput
from capacity.periods import month_label, planning_year_months, same_month_in_year
from capacity.plan import PlanError
from capacity.views.flow import (
    ASSUMPTION,
    MAX_COST_PER_DAY,
    POOLED_PATHWAYS,
    Costs,
    cost_of,
    costs_for,
    default_start_day,
    fewest_places,
    load_cost_table,
    pathway_key,
    pathway_label,
    pathway_of_key,
    start_limit,
    winter_changes,
    year_span,
)
from capacity.views.scenario_choices import BASELINE
from pages import _state
from pages._common import (
    FlowSettings,
    current_view,
    flow_inputs,
    flow_pathway_pools,
    flow_result,
    flow_run_inputs,
    flow_service_table,
    services_table,
)
from pages._state import Param
from pages._style import flow_height, number, show_notices, title_size

view = current_view()
services = flow_service_table(view.data_key, view.year, view.place)
modelled = services[services["modelled"]]
pools = flow_pathway_pools(view.data_key, view.year, view.place)
months = [m.key for m in planning_year_months(view.year)]
first_day, last_day = year_span(view.year)
# Today when it falls in the planning year shown (the transient from today's starting
# conditions), else 1 April.
default_start = default_start_day(view.year, config.today())
# A fixed range: a slider whose range changes with the service loses its value.
EXTRA_RANGE = (-40, 40)


def whole_number(low: int, high: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise ValueError("not a whole number") from None
        if not low <= value <= high:
            raise ValueError(f"must be between {low:,} and {high:,}")
        return value

    return parse


def money(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError("not a number") from None
    if not 0 <= value <= MAX_COST_PER_DAY:
        raise ValueError(f"must be between 0 and {MAX_COST_PER_DAY:,.0f}")
    return value


def month_of_year(text: str) -> str:
    if text not in months:
        raise ValueError(f"not a month of {view.year_label} (use the form {months[7]})")
    return text


def day_of_year(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValueError("not a date (use the form 2026-11-24)") from None
    if not first_day <= day <= last_day:
        raise ValueError(
            f"not a day of {view.year_label}, {first_day:%-d %b %Y} to {last_day:%-d %b %Y}"
        )
    return day


def keep_start_in_year() -> None:
    """A start day kept from another planning year falls back to this year's default."""
    kept = st.session_state.get("flow_start")
    if kept is not None and not first_day <= kept <= last_day:
        st.session_state["flow_start"] = default_start


def number_param(name: str, key: str, parse, default, fmt=str) -> Param:
    return Param(name, key, parse, lambda v: None if v == default else fmt(v), default)


def choices() -> dict[str, str]:
    """The selector's options: each modelled service, then each discharge pathway with a
    modelled service here, pooled."""
    ids = dict(zip(modelled["service_id"], modelled["service"], strict=True))
    return ids | {pathway_key(p): pathway_label(p, len(m)) for p, m in pools.items()}


def service_param(ids: dict[str, str]) -> Param:
    """The ``service`` link value: a modelled service or pathway pool here; else say why it
    cannot be shown."""
    first = next(iter(ids))
    reasons = dict(zip(services["service_id"], services["reason"], strict=True))
    names = dict(zip(services["service_id"], services["service"], strict=True))

    def parse(text: str) -> str:
        if text in ids:
            return text
        if text in reasons:
            raise ValueError(
                f"{names[text]} cannot be modelled: it is {reasons[text]}, and "
                "the flow model needs a caseload and a length of stay"
            )
        if pathway_of_key(text) in POOLED_PATHWAYS:
            raise ValueError(
                f"no {pathway_of_key(text)} service at {view.place_name} has a "
                "caseload and a length of stay"
            )
        if pathway_of_key(text) is not None:
            raise ValueError("only the hospital-discharge pathways P1, P2 and P3 can be pooled")
        raise ValueError(f"not a service at {view.place_name}")

    return Param(
        "service",
        "flow_service",
        parse,
        lambda v: None if v == first else v,
        first,
        describe=lambda v: ids.get(v, v),
    )


def keep_service_here(ids: dict[str, str]) -> str:
    """If the service remembered from another place is not modelled here, fall back to the
    first one that is; return a notice saying so (else '')."""
    remembered = st.session_state.get("flow_service")
    if remembered is None or remembered in ids:
        return ""
    first = next(iter(ids))
    st.session_state["flow_service"] = first
    every = services_table(view.data_key)
    name = dict(zip(every["service_id"], every["name"], strict=True)).get(remembered, remembered)
    if pathway_of_key(remembered) is not None:
        name = f"Pathway {pathway_of_key(remembered).removeprefix('P')} (pooled)"
    return f"{name} is not modelled at {view.place_name}; showing {ids[first]}."


def carry_months_over() -> None:
    """Keep the what-if's calendar months when the planning year changes (Nov 2025 → Nov 2026)."""
    for key in ("flow_from", "flow_to"):
        kept = st.session_state.get(key)
        if kept is not None and kept not in months:
            st.session_state[key] = same_month_in_year(kept, view.year)


def not_modelled_note() -> str:
    others = services[~services["modelled"]]
    if others.empty:
        return ""
    return (
        "Not modelled here: "
        + "; ".join(f"{r.service} ({r.reason})" for r in others.itertuples())
        + "."
    )


def extra_from_slider() -> None:
    st.session_state["flow_extra_box"] = st.session_state["flow_extra"]


def extra_from_box() -> None:
    st.session_state["flow_extra"] = st.session_state["flow_extra_box"]


def controls() -> None:
    # 81 steps on a slider leave a few pixels each, so a number box beside it takes an exact
    # figure; each keeps the other in step.
    st.session_state["flow_extra_box"] = st.session_state["flow_extra"]
    extra, box, los, target, first, last = st.columns(
        [4, 1.4, 3, 3, 2, 2], vertical_alignment="bottom"
    )
    extra.slider(
        "Places added (+) or taken away (−)",
        *EXTRA_RANGE,
        key="flow_extra",
        on_change=extra_from_slider,
        help="Beds, places or packages, in the months chosen on the right. Type an "
        "exact number in the box beside the slider.",
    )
    box.number_input(
        "Places added (+) or taken away (−), exactly",
        *EXTRA_RANGE,
        step=1,
        key="flow_extra_box",
        on_change=extra_from_box,
        label_visibility="collapsed",
    )
    los.slider(
        "Length of stay change (%)",
        -50,
        50,
        step=5,
        key="flow_los",
        help="In the months chosen on the right.",
    )
    target.slider("Target: chance of waiting under (%)", 1, 20, key="flow_target")
    first.selectbox("Changes from", months, key="flow_from", format_func=month_label)
    last.selectbox("to", months, key="flow_to", format_func=month_label)


def keep_hidden_settings(start_key: str, place_cost_key: str) -> None:
    """Keep the what-if and the starting numbers while presentation mode hides their widgets:
    Streamlit forgets a widget's value in a run that does not draw it, unless it is set."""
    for key in (
        "flow_extra",
        "flow_los",
        "flow_target",
        "flow_from",
        "flow_to",
        "flow_start",
        "flow_waiting",
        "flow_bed_cost",
        start_key,
        place_cost_key,
    ):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def starting_and_costs(
    cost_notes: Costs,
    start_key: str,
    place_cost_key: str,
    limit: int,
    default_in_service: int | None,
) -> None:
    start = st.session_state["flow_start"]
    # A fixed label: an expander whose label changes closes as the start day is picked.
    with st.expander("Starting conditions and costs"):
        when, a, b, c, d = st.columns(5)
        when.date_input(
            "Start on",
            min_value=first_day,
            max_value=last_day,
            key="flow_start",
            format="DD/MM/YYYY",
            help="Days before it are not simulated. Default: today if it falls in "
            f"{view.year_label}, else 1 April.",
        )
        a.number_input(
            f"In the service on {start:%-d %b}",
            min_value=0,
            max_value=limit,
            step=1,
            key=start_key,
            placeholder="default"
            if default_in_service is None
            else f"{default_in_service:,} (default)",
            help="Leave empty for the default: as full as the start day's demand "
            "keeps it (arrivals a day × mean stay), at most the places in "
            "force that day after the what-if. More than the places: they "
            "stay until their stays end and nobody new starts until "
            f"occupancy is below the places. At most {limit:,}.",
        )
        b.number_input(
            f"Waiting on {start:%-d %b}",
            min_value=0,
            max_value=limit,
            step=1,
            key="flow_waiting",
            help="People already waiting for the service (delayed in hospital, "
            f"for a bed). Default 0, at most {limit:,}.",
        )
        c.number_input(
            "Delayed hospital bed, £ a day",
            min_value=0.0,
            max_value=MAX_COST_PER_DAY,
            step=5.0,
            key="flow_bed_cost",
            help=cost_notes.hospital_note,
        )
        d.number_input(
            "One place in this service, £ a day",
            min_value=0.0,
            max_value=MAX_COST_PER_DAY,
            step=1.0,
            key=place_cost_key,
            help=cost_notes.place_note,
        )
        st.caption(
            f"Hospital bed: {cost_notes.hospital_note}  \nCommunity place: {cost_notes.place_note}"
        )


def metrics(result, baseline, comparing: bool) -> None:
    winter, change = result.winter, winter_changes(result, baseline)
    columns = st.columns(5)

    def delta(difference: float, text: str):
        return text.format(difference) if comparing else None

    # A mean, so its decimal means something; the label says it is one, so the value can be
    # the bare figure (a value that said so too would be cut in a fifth of the page's width).
    columns[0].metric(
        "Waiting, on average, on a winter day",
        f"{winter.waiting_mean:,.1f}",
        delta=delta(change.waiting_mean, "{:+,.1f}"),
        delta_color="inverse",
        help="Expected number waiting on an average day, November to March.",
    )
    cut_off = winter.waits_cut_off
    columns[1].metric(
        "Mean wait of a winter arrival",
        f"{'over ' if cut_off else ''}{number(winter.wait_days_mean)} days",
        delta=delta(change.wait_days_mean, "{:+,.1f} days"),
        delta_color="inverse",
        help=f"Some winter arrivals are still waiting when the run stops, "
        f"{result.runout_days} days after the year ends; their waits are "
        "counted only to then, so the true mean wait is longer."
        if cut_off
        else None,
    )
    columns[2].metric(
        "Winter arrivals who wait",
        f"{number(winter.p_wait * 100, 0)}%",
        delta=delta(change.p_wait_points, "{:+,.0f} points"),
        delta_color="inverse",
    )
    more = change.beds_max
    columns[3].metric(
        "Places planned in winter",
        places_text(winter),
        delta=f"{more:+,} on the baseline" if more else None,
        delta_color="off",
    )
    columns[4].metric(
        f"Places needed, {result.target:.0%} target",
        f"{winter.beds_needed:,}",
        help="The fewest places that keep the Erlang C chance of waiting under "
        "the target in the busiest winter month (steady state).",
    )


def costs_section(result, baseline, costs: Costs, comparing: bool) -> None:
    st.subheader("Cost")
    contract = result.inputs.contract
    periods = [(result.winter, baseline.winter), (result.year, baseline.year)]
    # A run that starts in winter has nothing left of the year but winter: one line, not two.
    same = all(
        cost_of(w, costs, contract) == cost_of(y, costs, contract)
        for w, y in ((result.winter, result.year), (baseline.winter, baseline.year))
    )
    for period, base in periods[:1] if same else periods:
        now = cost_of(period, costs, contract)
        before = cost_of(base, costs, contract)
        label = period.label[0].upper() + period.label[1:]
        if same:
            label += f", which is {result.year.label.split(', from')[0]} too"
        st.markdown("- " + cost_text(label, now, now.minus(before) if comparing else None))
    basis = (
        "every commissioned place is paid for, full or empty"
        if contract != "spot"
        else "only the place-days used are paid for (spot purchase)"
    )
    st.caption(
        f"Places at £{costs.place_per_day:,.2f} a day ({basis}); hospital bed-days of "
        f"delay (people waiting × the share of arrivals from hospital, "
        f"{result.inputs.hospital_share:.0%}) at £{costs.hospital_bed_per_day:,.2f}."
    )


def charts(result, baseline, comparing: bool) -> None:
    name = result.inputs.label
    large = view.present
    figures = {
        "flow_occupancy_chart": flow_occupancy_chart(
            result.daily,
            "Occupancy by day" if large else f"Occupancy by day — {name}",
            target=result.target,
            large=large,
        ),
        "flow_queue_chart": flow_queue_chart(
            result.daily,
            "People waiting by day",
            baseline=baseline.daily if comparing else None,
            large=large,
        ),
        "flow_wait_chart": flow_wait_chart(result.monthly, "Waits by month", large=large),
    }
    if not large:
        for key, figure in figures.items():
            st.plotly_chart(figure, config={"displaylogo": False}, key=key)
        return
    # On the wall the three sit side by side under the figures, each a third of the width.
    height = flow_height()
    for column, (key, figure) in zip(st.columns(3), figures.items(), strict=True):
        title = figure.layout.title.text or ""
        figure.update_layout(
            height=height, title_font_size=title_size(title, 3), legend_font_size=16
        )
        # A month's tick each is too close in a third of the wall: a quarter's.
        if key == "flow_wait_chart":
            figure.update_xaxes(nticks=6)
        else:
            figure.update_xaxes(dtick="M3")
        column.plotly_chart(figure, config={"displayModeBar": False}, key=key)


def pool_note(inputs) -> str:
    """Which services a pathway's pool holds and what pooling assumes ('' for one service)."""
    if not inputs.members:
        return ""
    names = ", ".join(m.name for m in inputs.members)
    return (
        f"Pooled: {names}. One queue for all their places: {ASSUMPTION}. Places added "
        "or taken away apply to the pool."
    )


def explain(result) -> None:
    inputs = result.inputs
    with st.expander("By month"):
        st.dataframe(display_table(result.monthly), hide_index=True, width="stretch")
    with st.expander("Where the figures come from"):
        pool = [f"**Pool**: {inputs.basis['pool']}."] if inputs.members else []
        lines = [
            *pool,
            f"**Arrivals**: {inputs.basis.get('arrivals', '')}.",
            f"**Places**: {inputs.basis.get('places', '')}.",
            f"**Stay**: {inputs.basis.get('los', '')}; spread: {inputs.basis.get('los_cv', '')}.",
            f"**Start**: {start_text(result)} In the service: {inputs.basis.get('start', '')}.",
            *[f"**Note**: {note}." for note in inputs.notes],
            f"**Method**: {result.replications:,} simulated runs (seed {result.seed}); "
            "bands are the 5th to 95th percentiles across them. Erlang C and the places "
            "needed are steady-state formulas for each month on its own. See the "
            "Methodology page, section Flow.",
        ]
        st.markdown("\n\n".join(lines))


def what_if(
    service_id: str,
    base_inputs,
    defaults: Costs,
    start_key: str,
    place_cost_key: str,
    params: list[Param],
) -> None:
    """The what-if controls and the answer: figures, charts, costs and where they come from."""
    min_extra = -fewest_places(base_inputs)
    if st.session_state["flow_extra"] < min_extra:
        st.warning(
            f"{base_inputs.label} has {-min_extra} places at its fewest, so no more than "
            f"that can be taken away; showing {min_extra}."
        )
        st.session_state["flow_extra"] = min_extra  # so the slider and the link show it too
    if view.present:
        keep_hidden_settings(start_key, place_cost_key)
    else:
        controls()
    first, last = sorted((st.session_state["flow_from"], st.session_state["flow_to"]))
    start = st.session_state["flow_start"]
    settings = FlowSettings(
        extra_places=st.session_state["flow_extra"],
        first_month=None if first == months[0] else first,
        last_month=None if last == months[-1] else last,
        los_pct=st.session_state["flow_los"],
        target=st.session_state["flow_target"] / 100,
        in_service=st.session_state[start_key],
        waiting=st.session_state["flow_waiting"],
        start=None if start == first_day else start,
    )
    plain = FlowSettings(
        target=settings.target,
        in_service=settings.in_service,
        waiting=settings.waiting,
        start=settings.start,
    )
    try:
        # The default in the service follows the places the what-if leaves on the start day.
        default_in_service = flow_run_inputs(
            view.plan_key, view.place, service_id, replace(settings, in_service=None)
        ).in_service_today
    except (InvalidInput, PlanError):
        default_in_service = None  # the run below says why
    if not view.present:
        starting_and_costs(
            defaults,
            start_key,
            place_cost_key,
            start_limit(base_inputs.caseload),
            default_in_service,
        )
    try:
        result = flow_result(view.plan_key, view.place, service_id, settings)
        baseline = flow_result(view.baseline_key, view.place, service_id, plain)
    except (InvalidInput, PlanError) as exc:
        st.error(f"The flow model cannot run with these settings: {exc}")
    else:
        comparing = settings != plain or view.scenario != BASELINE
        costs = Costs(st.session_state["flow_bed_cost"], st.session_state[place_cost_key])
        warning = over_places_warning(result.inputs)
        if warning:
            st.warning(warning, icon="⚠️")
        st.markdown(f"**{headline(result)}**")
        if comparing and not view.present:
            st.caption(
                "Changes are shown against the baseline (no scenario, no what-if) from "
                "the same start day with the same starting numbers (left at the "
                "default, the number in the service is each run's own default)."
            )
        metrics(result, baseline, comparing)
        charts(result, baseline, comparing)
        if not view.present:  # the wall shows the figures and charts; the detail stays here
            costs_section(result, baseline, costs, comparing)
            explain(result)
    for param in params:
        _state.publish(param)


# -- the page ------------------------------------------------------------------

scenario_named = (
    f" · scenario: {view.scenario_label}" if view.present and view.scenario != BASELINE else ""
)
st.title(f"Flow · {view.place_name} · {view.year_label}{scenario_named}")
if modelled.empty:
    show_notices()
    st.info(
        f"No service at {view.place_name} has a caseload and a length of stay to model. "
        + not_modelled_note()
    )
else:
    ids = choices()
    moved = keep_service_here(ids)
    service = service_param(ids)
    _state.bind(service)
    service_id = st.session_state["flow_service"]
    carry_months_over()
    keep_start_in_year()
    base_inputs = flow_inputs(view.plan_key, view.place, service_id)
    defaults = costs_for(base_inputs, load_cost_table())
    context = f"{view.place}_{service_id}_{view.year}_{view.scenario}"
    start_key = f"flow_in_service_{context}"
    # A pool's default place cost depends on its services' places here, so it has its own box.
    place_cost_key = (
        f"flow_place_cost_{view.place}_{service_id}"
        if base_inputs.members
        else f"flow_place_cost_{base_inputs.service_type}"
    )
    limit = start_limit(base_inputs.caseload)
    if st.session_state.get("flow_waiting", 0) > limit:  # kept from a larger service
        st.session_state["flow_waiting"] = limit
    params = [
        service,
        number_param("extra", "flow_extra", whole_number(*EXTRA_RANGE), 0),
        number_param("from", "flow_from", month_of_year, months[0]),
        number_param("to", "flow_to", month_of_year, months[-1]),
        number_param("los", "flow_los", whole_number(-50, 50), 0),
        number_param("target", "flow_target", whole_number(1, 20), 5),
        Param(
            "start",
            "flow_start",
            day_of_year,
            lambda v: None if v == default_start else v.isoformat(),
            default_start,
            describe=lambda v: f"{v:%-d %b %Y}",
        ),
        number_param("in_service", start_key, whole_number(0, limit), None),
        number_param("waiting", "flow_waiting", whole_number(0, limit), 0),
        number_param(
            "bed_cost", "flow_bed_cost", money, defaults.hospital_bed_per_day, lambda v: f"{v:g}"
        ),
        number_param(
            "place_cost", place_cost_key, money, defaults.place_per_day, lambda v: f"{v:g}"
        ),
    ]
    for param in params[1:]:
        _state.bind(param)
    show_notices()
    if moved:
        st.info(moved)
    start = st.session_state["flow_start"]
    span = (
        view.year_label
        if start == first_day
        else f"{view.year_label} from {start:%-d %b %Y} (days before it are not simulated)"
    )
    if not view.present:
        st.caption(
            f"Queues, waits and the places needed, day by day over {span}, "
            f"for {view.place_name}; scenario: {view.scenario_label}. " + not_modelled_note()
        )
    st.selectbox(
        "Service",
        list(ids),
        key="flow_service",
        format_func=ids.get,
        help="After the services, each discharge pathway with a modelled service "
        "here: all of them pooled as one, one queue for all their places.",
    )
    if base_inputs.members and not view.present:
        st.caption(pool_note(base_inputs))
    what_if(service_id, base_inputs, defaults, start_key, place_cost_key, params)
