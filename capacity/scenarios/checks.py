"""Checking a scenario before it is saved or applied: every reason it cannot be, in words."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import pandas as pd

from capacity.reference import MAX_CASELOAD, MAX_LOS_DAYS
from capacity.scenarios.model import (
    BASELINE,
    DEMAND_LEVERS,
    LEVERS,
    NAMED_SERVICE_LEVERS,
    PRESET_PREFIX,
    SOURCES,
    Change,
    Scenario,
    ScenarioError,
)

# Rises beyond these are slips of the keyboard (ten times the demand, a caseload change
# bigger than any service); refused so a saved scenario cannot stall the flow model.
MAX_PCT = 1_000
SOURCE_NAMES = {"hospital": "hospital discharge", "community": "community"}
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
MAX_PLANNING_YEARS = 10


@dataclass(frozen=True)
class Context:
    """What a scenario may name: the known places, service types and services."""

    places: pd.DataFrame
    service_types: pd.DataFrame
    services: pd.DataFrame = field(default_factory=pd.DataFrame)


def _change_problems(change: Change, where: str, context: Context | None) -> list[str]:
    problems: list[str] = []
    if change.lever not in LEVERS:
        return [f"{where}: unknown lever {change.lever!r} (one of {', '.join(LEVERS)})"]
    v = change.value
    if not math.isfinite(v):
        problems.append(f"{where}: value must be a finite number")
    rules = {
        "demand_pct": (
            -100 <= v <= MAX_PCT,
            f"a demand change must be from −100% to +{MAX_PCT:,}%",
        ),
        "pathway_shift_pct": (0 < v <= 100, "a pathway shift must be above 0% and at most 100%"),
        "caseload_pct": (
            -100 <= v <= MAX_PCT,
            f"a caseload change must be from −100% to +{MAX_PCT:,}%",
        ),
        "caseload_delta": (
            abs(v) <= MAX_CASELOAD,
            f"a caseload change must be at most {MAX_CASELOAD:,} places either way",
        ),
        "hours_pct": (-100 <= v <= MAX_PCT, f"an hours change must be from −100% to +{MAX_PCT:,}%"),
        "absence_pct": (0 <= v < 100, "staff absence must be at least 0% and below 100%"),
        "los_days": (
            abs(v) <= MAX_LOS_DAYS,
            f"a length-of-stay change must be at most {MAX_LOS_DAYS:,} days either way",
        ),
        "los_pct": (
            -100 < v <= MAX_PCT,
            f"a length-of-stay change must be above −100% and at most +{MAX_PCT:,}%",
        ),
        "target_occupancy": (0 < v <= 1, "target occupancy must be above 0 and at most 1"),
    }
    ok, message = rules.get(change.lever, (True, ""))
    if not ok:
        problems.append(f"{where}: {message} (got {v:g})")
    for label, month in (("first month", change.first_month), ("last month", change.last_month)):
        if not _MONTH.match(month or ""):
            problems.append(f"{where}: {label} must look like 2025-12 (got {month!r})")
    if not problems and change.last_month < change.first_month:
        problems.append(
            f"{where}: the month range {change.first_month} to {change.last_month} is empty"
        )
    elif not problems and len(change.planning_years()) > MAX_PLANNING_YEARS:
        # Saving checks the plan of every year a change spans; keep that to a few seconds.
        problems.append(
            f"{where}: the months {change.first_month} to {change.last_month} span "
            f"{len(change.planning_years())} planning years; a change may span at "
            f"most {MAX_PLANNING_YEARS}"
        )
    if change.source is not None and change.source not in SOURCES:
        problems.append(f"{where}: source must be hospital or community (got {change.source!r})")
    if change.source is not None and change.lever not in DEMAND_LEVERS:
        problems.append(f"{where}: a source can only narrow a demand change")
    problems += _service_scope_problems(change, where)
    if change.lever == "pathway_shift_pct":
        if not change.service_types:
            problems.append(f"{where}: name the service type(s) demand moves from")
        if not change.to_service_type:
            problems.append(f"{where}: name the service type demand moves to")
        elif change.to_service_type in change.service_types:
            problems.append(f"{where}: demand cannot move to a service type it moves from")
    elif change.to_service_type:
        problems.append(f"{where}: only a pathway shift moves demand to another service type")
    if context is not None:
        problems += _unknown_names(change, where, context)
        if change.lever == "pathway_shift_pct" and not problems:
            problems += _shift_problems(change, where, context.service_types)
    return problems


def _service_scope_problems(change: Change, where: str) -> list[str]:
    """A change in beds, places or hours that names no services and does not say it applies
    to all of them: left as it is, it would land on every service in its scope unnoticed."""
    if change.lever not in NAMED_SERVICE_LEVERS:
        return []
    if change.services and change.all_services:
        return [f"{where}: name the services or apply it to all services, not both"]
    if not change.services and not change.all_services:
        return [
            f"{where}: a change in {LEVERS[change.lever].lower()} must name the services it "
            "changes, or say that it applies to every service in its places and service "
            'types (in the app, tick "Apply to all"; in a file, "all_services": true)'
        ]
    return []


def _takes(types: pd.DataFrame, service_type: str) -> set[str]:
    return {source for source in SOURCES if bool(types.loc[service_type, source])}


def _shift_problems(change: Change, where: str, service_types: pd.DataFrame) -> list[str]:
    """A pathway shift that would silently move nothing, or only part of what it names.

    Demand only moves to a service type that takes referrals from its source
    (urgent community response takes no hospital discharges), so such a
    change is refused rather than saved to change nothing.
    """
    target = change.to_service_type
    # called only once the change is otherwise sound, so the target is named
    assert target, "a pathway shift is checked for a target before its sources"
    types = service_types.set_index("service_type")
    asked = {change.source} if change.source else set(SOURCES)
    leaving = asked & set().union(*(_takes(types, t) for t in change.service_types))
    if not leaving:
        names = " and ".join(types.loc[t, "name"] for t in change.service_types)
        verb = "takes" if len(change.service_types) == 1 else "take"
        return [f"{where}: {names} {verb} no {_or(asked)} referrals, so there is no demand to move"]
    refused = leaving - _takes(types, target)
    if not refused:
        return []
    text = (
        f"{where}: {types.loc[target, 'name']} takes no {_or(refused)} "
        f"referrals, so no {_or(refused)} demand can move to it"
    )
    if leaving - refused:
        text += f"; to move {_or(leaving - refused)} referrals only, choose them as the source"
    return [text]


def _or(sources: set[str]) -> str:
    return " or ".join(SOURCE_NAMES[s] for s in SOURCES if s in sources)


def _unknown_names(change: Change, where: str, context: Context) -> list[str]:
    problems = []
    known = {
        "place": set(context.places["place_code"]),
        "service type": set(context.service_types["service_type"]),
        "service": set(context.services["service_id"]) if len(context.services) else set(),
    }
    for label, values in (
        ("place", change.places),
        ("service type", change.service_types),
        ("service", change.services),
    ):
        for value in values:
            if value not in known[label]:
                problems.append(f"{where}: unknown {label} {value!r}")
    if change.to_service_type and change.to_service_type not in known["service type"]:
        problems.append(f"{where}: unknown service type {change.to_service_type!r}")
    return problems


def problems(scenario: Scenario, context: Context | None = None) -> list[str]:
    """Every reason this scenario cannot be saved (empty when it is fine)."""
    found = []
    name = scenario.name.strip()
    if not name:
        found.append("the scenario needs a name")
    elif len(name) > 100:
        found.append("the name must be at most 100 characters")
    elif name.lower() == BASELINE or name.lower().startswith(PRESET_PREFIX):
        found.append(f"the name {name!r} is reserved")
    elif any(ord(ch) < 32 for ch in name):
        found.append("the name cannot contain control characters")
    if not scenario.changes:
        found.append("add at least one change")
    for index, change in enumerate(scenario.changes, start=1):
        found += _change_problems(change, f"change {index}", context)
    return found


def check(scenario: Scenario, context: Context | None = None) -> Scenario:
    """Return the scenario if it is fine; else raise ScenarioError listing every problem."""
    found = problems(scenario, context)
    if found:
        raise ScenarioError(found)
    return scenario
