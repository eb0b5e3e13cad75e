"""Flow inputs for a view: which services the flow model can run at a place, the records
behind one service or pathway pool, and its inputs under a scenario with the page's what-if."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from capacity.flow.costs import MAX_COST_PER_DAY, Costs, cost_of, costs_for, load_cost_table
from capacity.flow.from_plan import (
    FlowError,
    FlowRecords,
    build,
    default_start_day,
    flow_services,
    read_pool_records,
    read_records,
    resolve_service,
    year_span,
)
from capacity.flow.inputs import FlowInputs, adjust, start_limit, starting
from capacity.flow.pathway import (
    ASSUMPTION,
    POOLED_PATHWAYS,
    build_pathway,
    pathway_key,
    pathway_label,
    pathway_of_key,
    pathway_pools,
    resolve_pathway,
)
from capacity.flow.results import FlowResult, run
from capacity.plan import PlanModel, places_in, resolve_place
from capacity.scenarios.applying import apply
from capacity.scenarios.model import Scenario
from capacity.views._db import Database, reading
from capacity.views.plans import plan_everywhere, prepared_plan

__all__ = [
    "ASSUMPTION",
    "MAX_COST_PER_DAY",
    "POOLED_PATHWAYS",
    "Costs",
    "FlowError",
    "FlowSettings",
    "FlowTarget",
    "command_inputs",
    "cost_of",
    "costs_for",
    "default_start_day",
    "fewest_places",
    "flow_inputs",
    "flow_result",
    "flow_target",
    "load_cost_table",
    "pathway_key",
    "pathway_label",
    "pathway_of_key",
    "pathway_pools",
    "records_for",
    "run_inputs",
    "service_table",
    "start_limit",
    "target_named",
    "winter_changes",
    "year_span",
]


def service_table(prepared: PlanModel, place: str) -> pd.DataFrame:
    """A place's or system's services, with whether the flow model can run each and why not."""
    return flow_services(prepared, places_in(prepared.inputs.all_places, place))


@dataclass(frozen=True)
class FlowTarget:
    """What a flow run is of: one service, or a discharge pathway's pool, at a place or system.

    ``key`` is the service id or 'pathway:P2'; hashable, so reads keyed on it can be cached.
    """

    place_code: str
    codes: tuple[str, ...]
    key: str
    pathway: str | None
    service_ids: tuple[str, ...]
    service_types: tuple[str, ...]
    label: str


def flow_target(prepared: PlanModel, place: str, key: str) -> FlowTarget:
    """The service or pathway pool ``key`` at a place (raises FlowError when there is none)."""
    places = prepared.inputs.all_places
    codes = tuple(places_in(places, place))
    name = places.set_index("place_code").loc[place, "name"]
    services = service_table(prepared, place)
    pathway = pathway_of_key(key)
    if pathway is not None:
        members = pathway_pools(services).get(pathway)
        if members is None:
            raise FlowError(f"No {pathway} service at {name} has a caseload and a length of stay")
        return FlowTarget(
            place,
            codes,
            key,
            pathway,
            tuple(members["service_id"]),
            tuple(members["service_type"]),
            f"{pathway_label(pathway, len(members))} · {name}",
        )
    table = services.set_index("service_id")
    if key not in table.index:
        raise FlowError(f"Service {key!r} is not run at {place}")
    row = table.loc[key]
    return FlowTarget(
        place, codes, key, None, (key,), (row["service_type"],), f"{row['service']} · {name}"
    )


def records_for(db: Database, target: FlowTarget, year: int) -> FlowRecords:
    """The weekday pattern and spread of stays of the target's services in the records."""
    with reading(db) as store:
        if target.pathway is not None:
            return read_pool_records(
                store,
                list(target.codes),
                list(target.service_ids),
                list(target.service_types),
                year,
            )
        return read_records(store, list(target.codes), target.key, target.service_types[0], year)


def target_named(
    prepared: PlanModel, place: str, service: str | None, pathway: str | None
) -> FlowTarget:
    """The target as a person names it: a place or system by code or name, and a service by id
    or name or else a pathway ('P2', '2' or 'pathway:P2').

    An unknown place raises PlanError; an unknown service or pathway, or one the flow model
    cannot run there, FlowError listing what can be run there.
    """
    row = resolve_place(prepared.inputs.all_places, place)
    code, name = row["place_code"], row["name"]
    if not places_in(prepared.inputs.all_places, code):
        raise FlowError(f"{name} has no member places")
    services = service_table(prepared, code)
    if pathway is not None:
        return flow_target(prepared, code, pathway_key(resolve_pathway(services, pathway, name)))
    return flow_target(prepared, code, resolve_service(services, str(service), name)["service_id"])


def flow_inputs(
    prepared: PlanModel,
    plan: pd.DataFrame,
    scenario: Scenario | None,
    target: FlowTarget,
    records: FlowRecords,
    *,
    weekday: bool = True,
) -> FlowInputs:
    """Flow inputs for a target under a scenario; ``plan`` is the plan frame under it.

    ``prepared`` holds every place, so a service shared by several places has its places
    split among all of them, whichever the target is. ``weekday`` False spreads each month's
    arrivals evenly over its days.
    """
    changed = apply(prepared, scenario)
    codes = list(target.codes)
    if target.pathway is not None:
        members = pathway_pools(service_table(prepared, target.place_code))[target.pathway]
        return build_pathway(
            changed,
            plan,
            codes,
            target.pathway,
            members,
            records,
            label=target.label,
            place_code=target.place_code,
            weekday=weekday,
        )
    return build(
        changed,
        plan,
        codes,
        target.key,
        records,
        label=target.label,
        place_code=target.place_code,
        weekday=weekday,
    )


def fewest_places(inputs: FlowInputs) -> int:
    """The whole places in force on the day with fewest: the most the Flow page's what-if
    offers to take away."""
    return int(inputs.beds.min())


@dataclass(frozen=True)
class FlowSettings:
    """The Flow page's what-if and starting conditions (hashable, so results can be cached).

    ``start`` None is 1 April; ``in_service`` None is the default start, worked
    out after the what-if from the places it leaves on the start day.
    """

    extra_places: int = 0
    first_month: str | None = None
    last_month: str | None = None
    los_pct: int = 0
    target: float = 0.05
    in_service: int | None = None
    waiting: int = 0
    start: date | None = None


def run_inputs(inputs: FlowInputs, settings: FlowSettings) -> FlowInputs:
    """The inputs a flow run uses: the what-if applied, then the start day and numbers."""
    inputs = adjust(
        inputs,
        extra_places=settings.extra_places,
        los_pct=settings.los_pct,
        first_month=settings.first_month,
        last_month=settings.last_month,
    )
    return starting(
        inputs, start=settings.start, in_service=settings.in_service, waiting=settings.waiting
    )


def flow_result(inputs: FlowInputs, settings: FlowSettings) -> FlowResult:
    """A flow run of some inputs with the page's what-if and starting conditions."""
    return run(run_inputs(inputs, settings), target=settings.target)


@dataclass(frozen=True)
class WinterChanges:
    """How a run's winter differs from the baseline run's (run minus baseline)."""

    waiting_mean: float
    wait_days_mean: float
    p_wait_points: float
    beds_max: int


def winter_changes(result: FlowResult, baseline: FlowResult) -> WinterChanges:
    """The winter figures of ``result`` minus those of ``baseline``."""
    now, before = result.winter, baseline.winter
    return WinterChanges(
        now.waiting_mean - before.waiting_mean,
        now.wait_days_mean - before.wait_days_mean,
        now.p_wait * 100 - before.p_wait * 100,
        now.beds_max - before.beds_max,
    )


def command_inputs(
    db: Database,
    place: str,
    service: str | None,
    pathway: str | None,
    year: int,
    scenario: Scenario | None,
    *,
    weekday: bool = True,
    prepared: PlanModel | None = None,
) -> FlowInputs:
    """Flow inputs for a service (id or name) or a pathway's pool at a place or system named by
    code or name: the same inputs the Flow page builds (every place prepared, the plan
    everywhere under the scenario), so the command line and the page never differ.

    ``prepared`` is the year's plan for every place, if already made (a run and its baseline
    share it). Raises ScenarioError when the scenario does not apply to this year's data.
    """
    if prepared is None:
        prepared = prepared_plan(db, year)
    target = target_named(prepared, place, service, pathway)
    plan = plan_everywhere(prepared, scenario, year)
    return flow_inputs(
        prepared, plan, scenario, target, records_for(db, target, year), weekday=weekday
    )
