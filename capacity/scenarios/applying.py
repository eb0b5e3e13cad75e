"""Applying a scenario to the plan model: one pure function, the levers in a fixed order.

Each :class:`~capacity.scenarios.model.Change` of a scenario moves one lever for
the places, service types, services (and, for demand, sources) and months it names.

The levers, and the fixed order in which :func:`apply` combines them:

1. ``demand_pct`` — demand up or down by a percentage; several multiply.
2. ``pathway_shift_pct`` — move a percentage of the (already changed) demand
   of the named service types to ``to_service_type`` at the same place, source
   and month; it is shared among that type's services by capacity.
3. ``caseload_pct`` — the caseload in use (beds, places, or packages derived
   from hours) up or down by a percentage; several multiply.
4. ``caseload_delta`` — beds or places added (or removed) for the places in
   scope, after the percentages. For a service shared by several places, the
   extra beds go to the places in scope in proportion to their shares.
5. ``hours_pct`` and ``absence_pct`` — commissioned hours × (1 + pct) and
   × (1 − absence), for services planned by hours; all multiply.
6. ``los_days`` then ``los_pct`` — days added to the mean length of stay,
   then percentages multiply.
7. ``target_occupancy`` — replaces the target occupancy of services planned by
   caseload or hours; the last one wins.

The baseline is no change at all. Capacity assumed equal to demand is never
changed by capacity levers: it follows demand.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from capacity import formulas as f
from capacity.levers import MOVES, move
from capacity.methods import moved_by
from capacity.model import BASELINE_LABEL, PlanModel, system_members
from capacity.scenarios.model import BASELINE, DEMAND_LEVERS, ORDER, Change, Names, Scenario


def _members(codes: tuple[str, ...], all_places: pd.DataFrame) -> set[str] | None:
    if not codes:
        return None
    out: set[str] = set()
    kinds = dict(zip(all_places["place_code"], all_places["kind"], strict=True))
    pairs = system_members(all_places)
    for code in codes:
        if kinds.get(code) == "system":
            out |= set(pairs.loc[pairs["system_code"] == code, "place_code"])
        else:
            out.add(code)
    return out


def _scope(
    frame: pd.DataFrame,
    change: Change,
    places: set[str] | None,
    services_of: pd.Series | None = None,
) -> np.ndarray:
    mask = (frame["month"] >= change.first_month) & (frame["month"] <= change.last_month)
    if places is not None:
        mask &= frame["place_code"].isin(places)
    if change.service_types:
        mask &= frame["service_type"].isin(change.service_types)
    if change.services:
        mask &= frame["service_id"].isin(change.services)
    if change.source is not None and "source" in frame:
        mask &= frame["source"] == change.source
    return mask.to_numpy(bool).copy()


def _note(frame: pd.DataFrame, mask: np.ndarray, text: str) -> pd.Series:
    notes = frame["scenario_note"].to_numpy(object).copy()
    for i in np.flatnonzero(mask):
        notes[i] = f"{notes[i]}; scenario: {text}" if notes[i] else f"scenario: {text}"
    return pd.Series(notes, index=frame.index)


def _apply_demand(
    demand: pd.DataFrame, change: Change, places: set[str] | None, names: Names, takes: pd.DataFrame
) -> pd.DataFrame:
    mask = _scope(demand, change, places)
    if not mask.any():
        return demand
    text = change.describe(names)
    if change.lever == "demand_pct":
        values = demand["demand"].to_numpy(float).copy()
        values[mask] = f.scale_by_percentage(values[mask], change.value)
        # Scaling demand scales its spread by the same factor.
        spread = demand["demand_spread"].to_numpy(float).copy()
        spread[mask] = f.scale_by_percentage(spread[mask], change.value)
        return demand.assign(
            demand=values, demand_spread=spread, scenario_note=_note(demand, mask, text)
        )
    target = change.to_service_type
    allowed = demand["source"].map(lambda s: bool(takes.loc[target, s])).to_numpy(bool)
    mask &= allowed
    values = demand["demand"].to_numpy(float).copy()
    moved = np.where(mask, values * change.value / 100, 0.0)
    values[mask] -= moved[mask]
    # The moved part takes its share of the spread with it (spreads of parts add).
    spread = demand["demand_spread"].to_numpy(float).copy()
    moved_spread = np.where(mask, spread * change.value / 100, 0.0)
    spread[mask] -= moved_spread[mask]
    moving = demand[mask].assign(demand=moved[mask], demand_spread=moved_spread[mask])
    arrived = moving.groupby(["place_code", "source", "month"], as_index=False, sort=False)[
        ["demand", "demand_spread"]
    ].sum(min_count=1)
    arrived = arrived.assign(
        service_type=target,
        service_id=None,
        years_in_month=np.nan,
        scenario_note=f"scenario: {text}",
    )
    for column in _missing_columns(arrived, demand):
        arrived[column] = None
    out = demand.assign(
        demand=values, demand_spread=spread, scenario_note=_note(demand, mask, text)
    )
    return pd.concat([out, arrived[out.columns]], ignore_index=True)


def _missing_columns(frame: pd.DataFrame, like: pd.DataFrame) -> list[str]:
    """The columns of ``like`` that ``frame`` lacks (text columns such as the demand basis)."""
    return [c for c in like.columns if c not in frame.columns]


def _caseload_weights(
    segs: pd.DataFrame, mask: np.ndarray, links: pd.DataFrame, places: set[str] | None
) -> np.ndarray:
    """For each segment, extra caseload per bed added, so scoped places get the beds."""
    shares = links if places is None else links[links["place_code"].isin(places)]
    in_scope = shares.groupby("service_id")["place_share"].sum()
    total = segs["service_id"].map(in_scope).to_numpy(float)
    own = segs["place_share_basis"].to_numpy(object) == "parameters stated for this place"
    with np.errstate(divide="ignore", invalid="ignore"):
        weight = np.where(own, 1.0, 1.0 / total)
    return np.where(mask & np.isfinite(weight), weight, 0.0)


def _apply_capacity(
    segs: pd.DataFrame, change: Change, places: set[str] | None, links: pd.DataFrame, names: Names
) -> pd.DataFrame:
    # Each capacity method declares the levers that move it; capacity that follows demand has none.
    mask = _scope(segs, change, places) & segs["method"].isin(moved_by(change.lever)).to_numpy()
    if not mask.any():
        return segs
    out = segs.assign(scenario_note=_note(segs, mask, change.describe(names)))
    value: float | np.ndarray = change.value
    if change.lever == "caseload_delta":
        value = change.value * _caseload_weights(out, mask, links, places)
    column = MOVES[change.lever]
    out[column] = move(change.lever, value, out[column].to_numpy(float), mask)
    return out


def services_in_scope(model: PlanModel, change: Change) -> list[str]:
    """The services (ids, first seen first) a capacity change would move were it to name none:
    those of its places and service types whose capacity method the lever moves, in any
    month of the model's year. What "apply to all services" stands for, listed."""
    unnamed = replace(change, services=(), first_month="0000-01", last_month="9999-12")
    places = _members(change.places, model.inputs.all_places)
    segs = model.segments
    mask = _scope(segs, unnamed, places) & segs["method"].isin(moved_by(change.lever)).to_numpy()
    return list(dict.fromkeys(segs.loc[mask, "service_id"]))


def ordered(changes: tuple[Change, ...]) -> list[Change]:
    """The changes in the order they combine (by lever, then as listed)."""
    return sorted(changes, key=lambda c: ORDER.index(c.lever))


def apply(model: PlanModel, scenario: Scenario | None) -> PlanModel:
    """The plan model with the scenario's changes made (the baseline changes nothing).

    A new model is returned; the given one is left as it was.
    """
    if scenario is None or not scenario.changes:
        label = BASELINE_LABEL
        if scenario is not None and scenario.name.lower() != BASELINE:
            label = scenario.name
        return model.with_changes(scenario=label)
    inputs = model.inputs
    names = Names.of(inputs.all_places, inputs.service_types, inputs.services)
    takes = inputs.service_types.set_index("service_type")
    links = model.shares
    demand = model.demand
    segs = model.segments
    if "caseload_factor" not in segs:
        segs = segs.assign(caseload_factor=1.0)
    for change in ordered(scenario.changes):
        places = _members(change.places, inputs.all_places)
        if change.lever in DEMAND_LEVERS:
            demand = _apply_demand(demand, change, places, names, takes)
        else:
            segs = _apply_capacity(segs, change, places, links, names)
    return model.with_changes(segments=segs, demand=demand, scenario=scenario.name)
