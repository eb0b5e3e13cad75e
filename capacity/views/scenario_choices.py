"""Scenario choices: what the picker offers, what a key stands for, and saving from the builder."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from capacity import audit, scenario_store
from capacity.access import User
from capacity.model import BASELINE_LABEL, PlanModel
from capacity.plan import PlanError, resolve_place
from capacity.scenarios.applying import services_in_scope
from capacity.scenarios.checks import Context, problems
from capacity.scenarios.model import (
    BASELINE,
    DEMAND_LEVERS,
    LEVERS,
    NAMED_SERVICE_LEVERS,
    PRESET_PREFIX,
    Change,
    Names,
    Scenario,
    ScenarioError,
    and_list,
)
from capacity.scenarios.parsing import change_from_dict, scenario_from_json
from capacity.scenarios.presets import load_presets
from capacity.store import Store
from capacity.views._db import Database, reading, writing
from capacity.views.permissions import one_place, places_words, require, require_some

__all__ = [
    "BASELINE",
    "BASELINE_LABEL",
    "DEMAND_LEVERS",
    "LEVERS",
    "NAMED_SERVICE_LEVERS",
    "PRESET_PREFIX",
    "AllServices",
    "Change",
    "Names",
    "Scenario",
    "ScenarioError",
    "all_services",
    "builder_problems",
    "change_names",
    "change_from_dict",
    "delete_scenario",
    "duplicate_scenario",
    "load_presets",
    "resolve_scenario",
    "save_scenario",
    "saved_scenarios",
    "saved_version",
    "scenario_choices",
    "scenario_for",
    "scenario_from_json",
    "scenario_history",
    "scenario_version_of",
]


def scenario_choices(db: Database) -> dict[str, str]:
    """Every scenario the sidebar offers, by key: the baseline, presets, saved ones."""
    choices = {BASELINE: "Baseline (no changes)"}
    choices |= {key: f"{p.name} (preset)" for key, p in load_presets().items()}
    with reading(db) as store:
        saved = scenario_store.list_saved(store)
    choices |= {
        name: f"{name} (saved, v{v})"
        for name, v in zip(saved["name"], saved["version"], strict=True)
    }
    return choices


def scenario_for(db: Database, key: str | None, year: int) -> Scenario | None:
    """The scenario a key stands for in a planning year (None for the baseline)."""
    with reading(db) as store:
        return scenario_store.resolve(store, key, year)


resolve_scenario = scenario_for


def scenario_version_of(key: str, scenarios_version: str) -> str:
    """What a cached result for scenario ``key`` depends on besides the data.

    A saved scenario's changes move with the scenarios version; the baseline
    and the presets (reference data) never do, so their plans survive a save.
    """
    return "" if key == BASELINE or key.startswith(PRESET_PREFIX) else scenarios_version


def builder_problems(
    change: Change, places: pd.DataFrame, types: pd.DataFrame, services: pd.DataFrame
) -> list[str]:
    """What is wrong with one change the builder is about to add (empty when nothing)."""
    return problems(Scenario("check", (change,)), Context(places, types, services))


def change_names(places: pd.DataFrame, types: pd.DataFrame, services: pd.DataFrame) -> Names:
    """What the builder's changes read with: places, service types and services by name."""
    return Names.of(places, types, services)


@dataclass(frozen=True)
class AllServices:
    """What "apply to all services" stands for: the services a change naming none lands on."""

    services: tuple[str, ...]
    where: str

    @property
    def label(self) -> str:
        """'Apply to all 3 services at Havering: BHR community rehabilitation beds, …'."""
        listed = ", ".join(self.services)
        if len(self.services) == 1:
            return f"Apply to the one service {self.where}: {listed}"
        return f"Apply to all {len(self.services)} services {self.where}: {listed}"


def all_services(prepared: PlanModel, change: Change, names: Names) -> AllServices | None:
    """For a change in beds, places or hours that names no services, the services it would
    land on, by name, with where they are; None when it names services or needs not."""
    if change.lever not in NAMED_SERVICE_LEVERS or change.services:
        return None
    found = services_in_scope(prepared, change)
    where = (
        "at " + and_list([names.places.get(p, p) for p in change.places])
        if change.places
        else "in every place"
    )
    if change.service_types:
        where += " for " + and_list([names.type_name(t) for t in change.service_types], "or")
    return AllServices(tuple(names.services.get(s, s) for s in found), where)


def saved_scenarios(db: Database) -> pd.DataFrame:
    """The saved scenarios, their latest versions first as the store lists them."""
    with reading(db) as store:
        return scenario_store.list_saved(store)


def scenario_places(store: Store, scenario: Scenario) -> frozenset[str] | None:
    """The places a scenario changes, as codes (None: every place, when a change names none).

    Places named by name are looked up; a name that matches none is kept as written (the
    scenario's own checks refuse it).
    """
    if not scenario.changes or any(not change.places for change in scenario.changes):
        return None
    known = store.query("places")
    codes = set()
    for change in scenario.changes:
        for text in change.places:
            try:
                codes.add(str(resolve_place(known, text)["place_code"]))
            except PlanError:
                codes.add(text)
    return frozenset(codes)


def _saved_places(store: Store, name: str | None) -> frozenset[str] | None:
    """The places a saved scenario's latest version changes (empty when none is saved)."""
    if name is None or store.query("scenario_by_name", name=name).empty:
        return frozenset()
    return scenario_places(store, scenario_store.load(store, name))


def _union(*sets: frozenset[str] | None) -> frozenset[str] | None:
    if any(s is None for s in sets):
        return None
    return frozenset().union(*(s for s in sets if s is not None))


def _record_save(
    store: Store, user: User, saved: Scenario, places: frozenset[str] | None, how: str
) -> None:
    audit.record(
        store,
        user,
        "scenario_save",
        place_code=one_place(places),
        subject=saved.name,
        detail=f"{how} version {saved.version} with {len(saved.changes)} change(s) for "
        f"{places_words(places)}: " + "; ".join(c.describe() for c in saved.changes),
    )


def save_scenario(
    db: Database,
    scenario: Scenario,
    replacing: str | None = None,
    *,
    user: User,
    based_on: int | None = None,
) -> Scenario:
    """Save a scenario as ``user`` (a new version of ``replacing`` when given; refused with
    the reason if a version later than ``based_on``, the one the editor opened, was saved).

    The places it changes, and those of the version it replaces, must be the user's
    (every place, for a change that names none): else AccessDenied and nothing is saved.
    Raises ScenarioError for a scenario that cannot be saved. One audit entry records it.
    """
    require_some(user)
    with writing(db) as store:
        places = _union(scenario_places(store, scenario), _saved_places(store, replacing))
        require(store, user, places)
        saved = scenario_store.save(store, scenario, replacing=replacing, based_on=based_on)
        _record_save(store, user, saved, places, "Saved")
    return saved


def delete_scenario(db: Database, name: str, *, user: User) -> None:
    """Stop offering a saved scenario as ``user`` (its places must be theirs); its versions
    are kept. One audit entry records it."""
    require_some(user)
    with writing(db) as store:
        scenario = scenario_store.load(store, name)
        places = scenario_places(store, scenario)
        require(store, user, places)
        scenario_store.delete(store, name)
        audit.record(
            store,
            user,
            "scenario_delete",
            place_code=one_place(places),
            subject=scenario.name,
            detail=f"Deleted (version {scenario.version} and earlier kept); it changed "
            f"{places_words(places)}.",
        )


def duplicate_scenario(
    db: Database, name: str, new_name: str, author: str, *, user: User
) -> Scenario:
    """Save a copy of a scenario under a new name, as ``user`` (its places must be theirs)."""
    require_some(user)
    with writing(db) as store:
        places = scenario_places(store, scenario_store.load(store, name))
        require(store, user, places)
        copy = scenario_store.duplicate(store, name, new_name, author)
        _record_save(store, user, copy, places, f"Copied from {name!r} as")
    return copy


def scenario_history(db: Database, name: str) -> pd.DataFrame:
    """Every saved version of a scenario."""
    with reading(db) as store:
        return scenario_store.history(store, name)


def saved_version(db: Database, name: str, version: int | None = None) -> Scenario:
    """One saved version of a scenario (the latest when ``version`` is None)."""
    with reading(db) as store:
        return scenario_store.load(store, name, version)
