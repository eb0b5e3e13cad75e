"""Snapshots for a screen or a command: take one of a place's plan, list, find, rename, delete.

Taking a snapshot computes the plan of the place (or the system and each of its
members) for the year under the scenario exactly as the Place page and the export
do, and stores those rows; reading one never computes anything again.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from capacity import snapshots
from capacity.plan import load_plan_inputs, places_in, prepare
from capacity.scenarios.model import Scenario
from capacity.snapshots import MAX_NAME_LENGTH, Snapshot, SnapshotError
from capacity.views._db import Database, reading, writing
from capacity.views.plans import plan_everywhere

__all__ = [
    "MAX_NAME_LENGTH",
    "Snapshot",
    "SnapshotError",
    "delete_snapshot",
    "export_snapshot_name",
    "find_snapshot",
    "rename_snapshot",
    "snapshot_imports",
    "snapshot_list",
    "snapshot_rows",
    "take_snapshot",
]


def _plan_rows(store, place_code: str, year: int, scenario: Scenario | None) -> pd.DataFrame:
    """The plan frame rows a snapshot of ``place_code`` keeps: its own and its members'."""
    places = store.query("places")
    members = places_in(places, place_code)
    prepared = prepare(load_plan_inputs(store, members, year))
    frame = plan_everywhere(prepared, scenario, year)
    return frame[frame["place_code"].isin({place_code, *members})]


def take_snapshot(
    db: Database,
    *,
    name: str,
    place_code: str,
    year: int,
    scenario: Scenario | None,
    made_by: str,
    origin: str = "app",
    note: str = "",
) -> Snapshot:
    """Freeze the plan of a place or system for a year under a scenario, under a name.

    Raises SnapshotError for a bad or taken name (checked before the plan is
    computed), ScenarioError when the scenario no longer applies to the data.
    """
    snapshots.check_name(name)
    with writing(db) as store:
        rows = _plan_rows(store, place_code, year, scenario)
        return snapshots.save(
            store,
            name=name,
            place_code=place_code,
            year=year,
            scenario=scenario,
            rows=rows,
            made_by=made_by,
            origin=origin,
            note=note,
        )


def export_snapshot_name(kind: str, made_at: datetime) -> str:
    """The name of the snapshot an export takes: 'BCF workbook 2026-12-05 11:40:07'."""
    return f"{kind} {made_at:%Y-%m-%d %H:%M:%S}"


def snapshot_list(db: Database, place_code: str | None = None) -> pd.DataFrame:
    """Snapshots in use, newest first, of one place or system (every one when None)."""
    with reading(db) as store:
        return snapshots.listing(store, place_code)


def find_snapshot(db: Database, name: str, place_code: str | None = None) -> Snapshot:
    """A snapshot in use by name (of one place, or unique across places)."""
    with reading(db) as store:
        return snapshots.find(store, name, place_code)


def snapshot_by_id(db: Database, snapshot_id: int) -> Snapshot:
    """A snapshot by its number, deleted or not."""
    with reading(db) as store:
        return snapshots.get(store, snapshot_id)


def snapshot_rows(db: Database, snapshot_id: int) -> pd.DataFrame:
    """The plan frame rows a snapshot keeps, as they were computed."""
    with reading(db) as store:
        return snapshots.rows(store, snapshot_id)


def snapshot_imports(db: Database, snapshot_id: int) -> pd.DataFrame:
    """The imports in force when a snapshot was taken."""
    with reading(db) as store:
        return snapshots.imports_of(store, snapshot_id)


def rename_snapshot(db: Database, snapshot_id: int, new_name: str) -> Snapshot:
    """Rename a snapshot (unique among its place's)."""
    with writing(db) as store:
        return snapshots.rename(store, snapshots.get(store, snapshot_id), new_name)


def delete_snapshot(db: Database, snapshot_id: int) -> None:
    """Hide a snapshot; its rows stay."""
    with writing(db) as store:
        snapshots.delete(store, snapshots.get(store, snapshot_id))
