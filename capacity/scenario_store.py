"""Saving, versioning and finding scenarios in the store.

Every save writes a new version with all its changes, in one transaction; a
scenario is only saved when nothing is wrong with it (see :func:`check_for_store`).
Names are unique among scenarios in use, whatever their case. Deleting hides
a scenario; its versions stay in the store.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from capacity.formulas import InvalidInput
from capacity.plan import PlanError, compute, load_plan_inputs, prepare, resolve_place
from capacity.scenarios.applying import apply
from capacity.scenarios.checks import Context, problems
from capacity.scenarios.model import (
    BASELINE,
    NAMED_SERVICE_LEVERS,
    PRESET_PREFIX,
    Change,
    Scenario,
    ScenarioError,
)
from capacity.scenarios.presets import load_presets
from capacity.store import Store


def context(store: Store) -> Context:
    """The places, service types and services a scenario may name."""
    return Context(store.query("places"), store.query("service_types"), store.query("services"))


def _years(scenario: Scenario) -> list[int]:
    """Every planning year any change touches, not only those of its first and last month."""
    return sorted({year for change in scenario.changes for year in change.planning_years()})


def check_for_store(store: Store, scenario: Scenario, *, replacing: str | None = None) -> None:
    """Raise ScenarioError listing every reason the scenario cannot be saved.

    Beyond the rules of :func:`capacity.scenarios.checks.problems`: the name must not
    be taken by another scenario, and applying the scenario to the plans of
    the years it touches must leave every length of stay above zero and every
    caseload at or above zero.
    """
    found = problems(scenario, context(store))
    existing = store.query("scenario_by_name", name=scenario.name.strip())
    taken = not existing.empty and (
        replacing is None or existing.iloc[0]["name"].lower() != replacing.lower()
    )
    if taken:
        found.append(f"a scenario called {existing.iloc[0]['name']!r} already exists")
    if not found:
        found += _applied_problems(store, scenario)
    if found:
        raise ScenarioError(found)


def _applied_problems(store: Store, scenario: Scenario) -> list[str]:
    places = store.query("places")
    codes = list(places.loc[places["kind"] != "system", "place_code"])
    found = []
    for year in _years(scenario):
        try:
            compute(apply(prepare(load_plan_inputs(store, codes, year)), scenario))
        except (InvalidInput, PlanError) as exc:
            found.append(f"applied to {year}-{(year + 1) % 100:02d}: {exc}")
    return found


def _with_place_codes(scenario: Scenario, places: pd.DataFrame) -> Scenario:
    """The scenario with places named as the command line takes them (code or name) as codes."""

    def code(text: str) -> str:
        try:
            return str(resolve_place(places, text)["place_code"])
        except PlanError:
            return text  # left for the checks to report as unknown

    return scenario.with_changes(
        changes=tuple(replace(c, places=tuple(code(p) for p in c.places)) for c in scenario.changes)
    )


def _change_rows(scenario_id: int, version: int, changes: tuple[Change, ...]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "scenario_id": scenario_id,
                "version": version,
                "position": position,
                "lever": c.lever,
                "value": c.value,
                "first_month": c.first_month,
                "last_month": c.last_month,
                "places": ",".join(c.places),
                "service_types": ",".join(c.service_types),
                "services": ",".join(c.services),
                "to_service_type": c.to_service_type,
                "source": c.source,
            }
            for position, c in enumerate(changes, start=1)
        ]
    )


def save(
    store: Store,
    scenario: Scenario,
    *,
    replacing: str | None = None,
    based_on: int | None = None,
) -> Scenario:
    """Save a new scenario, or (with ``replacing``) a new version of an existing one.

    Everything is checked first and written in one transaction; on any
    problem nothing is saved. ``based_on``, the version the editor started from, refuses
    the save if someone saved a later version since (in another session or on another
    server), so neither person's change is lost without their knowing. Returns the
    scenario with its version.
    """
    scenario = _with_place_codes(
        scenario.with_changes(name=scenario.name.strip()), store.query("places")
    )
    check_for_store(store, scenario, replacing=replacing)
    with store.transaction() as tx:
        if replacing is None:
            scenario_id = tx.execute(
                "scenario_insert",
                name=scenario.name,
                description=scenario.description,
                author=scenario.author,
            )[0][0]
            version = 1
        else:
            current = tx.query("scenario_by_name", name=replacing)
            if current.empty:
                raise ScenarioError([f"there is no scenario called {replacing!r}"])
            _refuse_if_saved_since(current.iloc[0], replacing, based_on)
            scenario_id = int(current.iloc[0]["scenario_id"])
            version = tx.execute(
                "scenario_update",
                scenario_id=scenario_id,
                name=scenario.name,
                description=scenario.description,
                author=scenario.author,
            )[0][0]
        tx.execute(
            "scenario_version_insert",
            scenario_id=scenario_id,
            version=version,
            name=scenario.name,
            description=scenario.description,
            author=scenario.author,
        )
        tx.insert_frame("scenario_changes", _change_rows(scenario_id, version, scenario.changes))
    return load(store, scenario.name)


def _refuse_if_saved_since(current: pd.Series, name: str, based_on: int | None) -> None:
    """ScenarioError when the scenario has moved past the version the editor started from."""
    latest = int(current["current_version"])
    if based_on is None or latest == based_on:
        return
    when = pd.Timestamp(current["updated_at"])
    raise ScenarioError(
        [
            f"{name!r} was saved again since you opened version {based_on}: version {latest} "
            f"by {current['author']} at {when:%H:%M} on {when.day} {when:%B %Y}. Nothing was "
            "saved: open the latest version and make your change again."
        ]
    )


def _row_to_change(row: dict) -> Change:
    def split(text: str | None) -> tuple[str, ...]:
        return tuple(t for t in (text or "").split(",") if t)

    services = split(row["services"])
    # No services stored on a lever that must name them means all: since the rule, only a
    # change that said so is saved; before it, empty meant all, and such a change reads the
    # same as it did ("at every service") rather than becoming unreadable.
    return Change(
        lever=row["lever"],
        value=float(row["value"]),
        first_month=row["first_month"],
        last_month=row["last_month"],
        places=split(row["places"]),
        service_types=split(row["service_types"]),
        services=services,
        to_service_type=row["to_service_type"] or None,
        source=row["source"] or None,
        all_services=not services and row["lever"] in NAMED_SERVICE_LEVERS,
    )


def _header(store: Store, name: str) -> pd.Series:
    found = store.query("scenario_by_name", name=name)
    if found.empty:
        known = ", ".join(store.query("scenario_list")["name"]) or "none saved yet"
        raise ScenarioError([f"there is no scenario called {name!r} (saved: {known})"])
    return found.iloc[0]


def load(store: Store, name: str, version: int | None = None) -> Scenario:
    """A saved scenario by name (any case), at its latest or a given version."""
    header = _header(store, name)
    scenario_id = int(header["scenario_id"])
    latest = int(header["current_version"])
    version = latest if version is None else int(version)  # 0 is a version asked for, not none
    stored = store.query("scenario_version", scenario_id=scenario_id, version=version)
    if stored.empty:
        raise ScenarioError(
            [f"{header['name']!r} has no version {version} (its versions are 1 to {latest})"]
        )
    meta = stored.iloc[0]
    rows = store.query("scenario_changes", scenario_id=scenario_id, version=version)
    changes = tuple(
        _row_to_change(r) for r in rows.astype(object).where(rows.notna(), None).to_dict("records")
    )
    return Scenario(
        name=meta["name"],
        changes=changes,
        description=meta["description"],
        author=meta["author"],
        version=version,
        saved_at=str(meta["saved_at"]),
    )


def list_saved(store: Store) -> pd.DataFrame:
    """Saved scenarios in use: name, description, author, dates, version, number of changes."""
    return store.query("scenario_list")


def history(store: Store, name: str) -> pd.DataFrame:
    """Every saved version of a scenario, newest first."""
    return store.query("scenario_versions", scenario_id=int(_header(store, name)["scenario_id"]))


def delete(store: Store, name: str) -> None:
    """Stop offering a scenario; its saved versions stay in the store."""
    header = _header(store, name)
    with store.transaction() as tx:
        tx.execute("scenario_delete", scenario_id=int(header["scenario_id"]))


def duplicate(store: Store, name: str, new_name: str, author: str) -> Scenario:
    """Save a copy of a scenario's latest version under a new name."""
    original = load(store, name)
    return save(store, original.with_changes(name=new_name, author=author, version=None))


def resolve(store: Store, key: str | None, year: int) -> Scenario | None:
    """The scenario a key stands for: None (baseline), a preset for ``year``, or a saved one."""
    if not key or key == BASELINE:
        return None
    if key.startswith(PRESET_PREFIX):
        presets = load_presets()
        if key not in presets:
            raise ScenarioError(
                [
                    f"there is no preset called {key[len(PRESET_PREFIX) :]!r} "
                    f"(presets: {', '.join(p.preset_id for p in presets.values())})"
                ]
            )
        return presets[key].for_year(year)
    return load(store, key)
