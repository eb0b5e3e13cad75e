"""The plan for a view: prepared inputs, a scenario applied under the can't-apply policy,
the plan everywhere with systems rolled up, and the Scenarios page's comparisons."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager

import numpy as np
import pandas as pd

from capacity.charts import gap_chart
from capacity.formulas import InvalidInput
from capacity.plan import (
    PlanModel,
    build_plan,
    compute,
    load_plan_inputs,
    plan_for,
    prepare,
    with_systems,
)
from capacity.scenarios.applying import apply
from capacity.scenarios.model import BASELINE, Scenario, ScenarioError, cannot_apply
from capacity.scenarios.sensitivity_analysis import sensitivity
from capacity.store import Store
from capacity.summary import by_service_type, monthly_totals, worst_shortfall
from capacity.views._db import Database, reading


@contextmanager
def applying(scenario: Scenario | None, year: int) -> Iterator[None]:
    """The can't-apply policy: a plan that fails under a scenario is the scenario's fault.

    A saved scenario was checked when saved, but the data may have changed since;
    its failure is reported as a ScenarioError naming it and the year. Without a
    scenario the error is the data's and passes through unchanged.
    """
    try:
        yield
    except InvalidInput as exc:
        if scenario is None:
            raise
        raise cannot_apply(scenario, year, exc) from None


def prepared_plan(db: Database, year: int, codes: tuple[str, ...] = ()) -> PlanModel:
    """The prepared plan for some places (every place when ``codes`` is empty)."""
    with reading(db) as store:
        places = store.query("places")
        wanted = list(codes) or list(places.loc[places["kind"] != "system", "place_code"])
        return prepare(load_plan_inputs(store, wanted, year))


def plan_everywhere(prepared: PlanModel, scenario: Scenario | None, year: int) -> pd.DataFrame:
    """The plan frame of every prepared place and each system, under a scenario.

    Raises ScenarioError when the scenario does not apply to this year's data.
    """
    with applying(scenario, year):
        frame = compute(apply(prepared, scenario))
    return with_systems(frame, prepared.inputs.all_places)


def scenario_problem(key: str, build: Callable[[], object]) -> str | None:
    """Why the scenario ``key`` cannot be shown (None when it can, or for the baseline).

    ``build`` makes the plan under it (the app passes its cached plan).
    """
    if key == BASELINE:
        return None
    try:
        build()
    except ScenarioError as exc:
        return str(exc)
    return None


def plan_with(prepared: PlanModel, scenario: Scenario | None) -> pd.DataFrame:
    """The plan frame of the prepared places under a scenario that may not be saved.

    Raises InvalidInput (or ScenarioError) when it cannot be applied.
    """
    return compute(apply(prepared, scenario))


def rows_of(frame: pd.DataFrame, code: str) -> pd.DataFrame:
    """The plan frame's rows of one place or system."""
    return frame[frame["place_code"] == code]


def row_positions(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Where each place's and system's rows sit in the plan frame, in order: worked out once
    for a plan, so a place's rows are then taken without comparing every row's code."""
    return {
        str(code): rows for code, rows in frame.groupby("place_code", sort=False).indices.items()
    }


def rows_at(frame: pd.DataFrame, positions: np.ndarray | None) -> pd.DataFrame:
    """The rows of ``frame`` at ``positions`` (from :func:`row_positions`; None: no rows),
    the same frame :func:`rows_of` gives."""
    return frame.iloc[positions if positions is not None else np.array([], dtype=np.intp)]


def monthly_by_type(frame: pd.DataFrame, place: str, source: str) -> pd.DataFrame:
    """A place's demand, capacity and gap by service type and month, for one source."""
    return by_service_type(rows_of(frame, place), source)


def place_headline(
    monthly: pd.DataFrame,
    place: str,
    service_types: Sequence[str] = (),
    from_month: str | None = None,
    type_names: Mapping[str, str] | None = None,
) -> str:
    """The sentence over a place's charts: their worst month of shortfall, and its chance.

    ``monthly`` is the place's figures by service type for the source the charts
    show (:func:`monthly_by_type`); ``service_types`` are those the charts show
    (every one when empty), so the sentence never speaks of a type that is not
    drawn. Where those types are never short it says so, naming them (by
    ``type_names``, or as ``monthly`` names them).
    """
    shown = monthly[monthly["service_type"].isin(service_types)] if service_types else monthly
    worst = worst_shortfall(shown, place, from_month)
    if worst is not None:
        return worst.sentence
    text = f"{place}: no shortfall expected in the months ahead"
    if not service_types:
        return text
    names = {
        **dict(zip(monthly["service_type"], monthly["service_type_name"], strict=True)),
        **(type_names or {}),
    }
    chosen = [names.get(t, t) for t in service_types]
    chosen = [n[0].lower() + n[1:] for n in chosen]
    listed = chosen[0] if len(chosen) == 1 else f"{', '.join(chosen[:-1])} or {chosen[-1]}"
    return f"{text} for {listed}"


def month_headline(
    monthly: pd.DataFrame,
    place: str,
    month: str,
    service_types: Sequence[str] = (),
    type_names: Mapping[str, str] | None = None,
) -> str:
    """The sentence over a place's charts when one month is chosen: each shown service type
    short that month, worst first ('Havering in January 2026: social support is 93 short,
    reablement at home 20 short'), or that none is.

    ``monthly`` and ``service_types`` are as for :func:`place_headline`; ``month`` is
    'YYYY-MM'. A shortfall under half a person rounds to none, as in the headline.
    """
    names = {
        **dict(zip(monthly["service_type"], monthly["service_type_name"], strict=True)),
        **(type_names or {}),
    }
    shown = monthly[monthly["service_type"].isin(service_types)] if service_types else monthly
    rows = shown[(shown["month"] == month) & (shown["gap"] < -0.5)].sort_values("gap")
    when = f"{place} in {pd.Timestamp(f'{month}-01'):%B %Y}"
    lower = [n[0].lower() + n[1:] for n in (names.get(t, t) for t in rows["service_type"])]
    parts = [
        f"{name}{' is' if index == 0 else ''} {-gap:,.0f} short"
        for index, (name, gap) in enumerate(zip(lower, rows["gap"], strict=True))
    ]
    if parts:
        return f"{when}: {', '.join(parts)}"
    if not service_types:
        return f"{when}: no service type is short"
    chosen = [names.get(t, t) for t in service_types]
    chosen = [n[0].lower() + n[1:] for n in chosen]
    listed = chosen[0] if len(chosen) == 1 else f"{', '.join(chosen[:-1])} or {chosen[-1]}"
    return f"{when}: no shortfall for {listed}"


def gap_figure(monthly: pd.DataFrame, service_type: str, title: str, large: bool):
    """The gap chart of one service type from a place's monthly figures (None when no rows)."""
    monthly = monthly[monthly["service_type"] == service_type]
    return gap_chart(monthly, title, large=large) if not monthly.empty else None


def plan_for_command(
    store: Store,
    place: str,
    year: int,
    *,
    window_years: int | None,
    growth: float | None,
    scenario: Scenario | None,
) -> pd.DataFrame:
    """The plan of one place or system (by name or code) as ``plan`` prints it."""
    with applying(scenario, year):
        return plan_for(
            store, place, year, window_years=window_years, growth=growth, scenario=scenario
        )


def plan_of_places(
    store: Store, codes: list[str], year: int, scenario: Scenario | None
) -> pd.DataFrame:
    """The plan frame of some places under a scenario, as ``export`` writes it."""
    with applying(scenario, year):
        return build_plan(load_plan_inputs(store, codes, year), scenario)


def shortfall_totals(effect: pd.DataFrame) -> tuple[float, float, float]:
    """The year's shortfall before and after a scenario, and the change (from scenario_effect)."""
    before = float(effect["shortfall_baseline"].sum())
    after = float(effect["shortfall_scenario"].sum())
    return before, after, after - before


def compared_totals(
    prepared: PlanModel, scenario: Scenario | None, year: int, source: str
) -> pd.DataFrame:
    """A scenario's gap by month for comparison; ScenarioError when it cannot apply."""
    with applying(scenario, year):
        return monthly_totals(plan_with(prepared, scenario), source)


def sensitivity_table(
    prepared: PlanModel, scenario: Scenario | None, codes: list[str], service_type: str
) -> pd.DataFrame:
    """How far each assumption moves a service type's winter shortfall, under a scenario."""
    return sensitivity(apply(prepared, scenario), compute, codes, service_type)
