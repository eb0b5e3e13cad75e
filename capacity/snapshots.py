"""Snapshots: a plan frozen under a name, so a meeting can see again what it saw.

A snapshot is of one place or system, one planning year and one scenario version
(or the baseline). It keeps the plan frame's rows exactly as computed (unrounded,
with the parameters, demand source, data window and source notes behind each
figure) and the imports in force when it was taken, so it reads the same after any
later import, undo or scenario change. Names are unique among a place's snapshots
in use, whatever their case; deleting hides a snapshot and keeps its rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from capacity.model import BASELINE_LABEL
from capacity.plan import PLAN_COLUMNS
from capacity.scenarios.model import Scenario
from capacity.scenarios.parsing import scenario_from_dict
from capacity.store import Store

MAX_NAME_LENGTH = 200
ORIGINS = ("app", "command", "export")


class SnapshotError(ValueError):
    """A snapshot that cannot be saved, found, renamed or deleted; the message says why."""


@dataclass(frozen=True)
class Snapshot:
    """What a snapshot is of, and when and by whom it was taken."""

    snapshot_id: int
    name: str
    place_code: str
    place: str
    planning_year: int
    scenario_name: str
    scenario_id: int | None
    scenario_version: int | None
    scenario_json: str | None
    data_version: str
    last_import_id: int | None
    last_loaded_at: datetime | None
    made_by: str
    made_at: datetime
    origin: str
    note: str

    @property
    def scenario(self) -> Scenario | None:
        """The scenario as it was when the snapshot was taken (None for the baseline)."""
        if not self.scenario_json:
            return None
        return scenario_from_dict(json.loads(self.scenario_json))

    @property
    def scenario_label(self) -> str:
        """'Winter flex beds (version 3)', or the baseline's label."""
        if self.scenario_version is not None:
            return f"{self.scenario_name} (version {self.scenario_version})"
        return self.scenario_name

    @property
    def data_label(self) -> str:
        """The data version in words: 'data as loaded by import 42 on 3 Oct 2026 14:02'."""
        if self.last_import_id is None:
            return "data as built, before any import"
        when = f" on {self.last_loaded_at:%-d %b %Y %H:%M}" if self.last_loaded_at else ""
        return f"data as loaded by import {self.last_import_id}{when}"


def check_name(name: str) -> str:
    """The name as stored (spaces trimmed); SnapshotError when empty or too long."""
    text = str(name).strip()
    if not text:
        raise SnapshotError("A snapshot needs a name, such as 'DIWG 12 November'.")
    if len(text) > MAX_NAME_LENGTH:
        raise SnapshotError(
            f"A snapshot's name is at most {MAX_NAME_LENGTH} characters; this one has {len(text)}."
        )
    return text


def _check_free(store: Store, name: str, place_code: str, place: str, but: int | None) -> None:
    taken = store.query("snapshot_by_name", name=name, place_code=place_code)
    taken = taken[taken["snapshot_id"] != but] if but is not None else taken
    if not taken.empty:
        raise SnapshotError(
            f"{place} already has a snapshot called {taken.iloc[0]['name']!r}; "
            "choose another name, or rename or delete that one."
        )


def _scenario_fields(store: Store, scenario: Scenario | None) -> dict:
    if scenario is None:
        return {
            "scenario_id": None,
            "scenario_version": None,
            "scenario_name": BASELINE_LABEL,
            "scenario_json": None,
        }
    saved = store.query("scenario_by_name", name=scenario.name) if scenario.version else None
    scenario_id = None if saved is None or saved.empty else int(saved.iloc[0]["scenario_id"])
    return {
        "scenario_id": scenario_id,
        "scenario_version": scenario.version if scenario_id is not None else None,
        "scenario_name": scenario.name,
        "scenario_json": json.dumps(scenario.to_dict()),
    }


def save(
    store: Store,
    *,
    name: str,
    place_code: str,
    year: int,
    scenario: Scenario | None,
    rows: pd.DataFrame,
    made_by: str,
    origin: str = "app",
    note: str = "",
) -> Snapshot:
    """Store the plan frame ``rows`` as a snapshot, in one transaction; return it.

    ``rows`` are the plan frame's rows the snapshot shows: those of the place, or
    of a system and each of its members. Raises SnapshotError for a bad or taken
    name or an unknown origin; nothing is stored then.
    """
    name = check_name(name)
    if origin not in ORIGINS:
        raise SnapshotError(f"Unknown snapshot origin {origin!r}.")
    places = store.query("places").set_index("place_code")
    if place_code not in places.index:
        raise SnapshotError(f"There is no place or system with the code {place_code!r}.")
    _check_free(store, name, place_code, str(places.loc[place_code, "name"]), None)
    latest = store.query("last_import_in_force")
    data_version, _ = store.versions()
    with store.transaction() as tx:
        snapshot_id = int(
            tx.execute(
                "snapshot_insert",
                name=name,
                place_code=place_code,
                planning_year=int(year),
                data_version=data_version,
                last_import_id=None if latest.empty else int(latest.iloc[0]["import_id"]),
                last_loaded_at=None if latest.empty else latest.iloc[0]["loaded_at"],
                made_by=made_by,
                origin=origin,
                note=str(note),
                **_scenario_fields(store, scenario),
            )[0][0]
        )
        tx.insert_frame("snapshot_rows", rows[PLAN_COLUMNS].assign(snapshot_id=snapshot_id))
        tx.execute("snapshot_imports_insert", snapshot_id=snapshot_id)
    return get(store, snapshot_id)


def _snapshot(row: pd.Series) -> Snapshot:
    def whole(value) -> int | None:
        return None if pd.isna(value) else int(value)

    def when(value) -> datetime | None:
        return None if pd.isna(value) else pd.Timestamp(value).to_pydatetime()

    return Snapshot(
        snapshot_id=int(row["snapshot_id"]),
        name=str(row["name"]),
        place_code=str(row["place_code"]),
        place=str(row["place"]) if isinstance(row["place"], str) else str(row["place_code"]),
        planning_year=int(row["planning_year"]),
        scenario_name=str(row["scenario_name"]),
        scenario_id=whole(row["scenario_id"]),
        scenario_version=whole(row["scenario_version"]),
        scenario_json=row["scenario_json"] if isinstance(row["scenario_json"], str) else None,
        data_version=str(row["data_version"]),
        last_import_id=whole(row["last_import_id"]),
        last_loaded_at=when(row["last_loaded_at"]),
        made_by=str(row["made_by"]),
        made_at=pd.Timestamp(row["made_at"]).to_pydatetime(),
        origin=str(row["origin"]),
        note=str(row["note"]),
    )


def get(store: Store, snapshot_id: int) -> Snapshot:
    """A snapshot by its id, deleted or not (a decision may point at a deleted one)."""
    found = store.query("snapshot_by_id", snapshot_id=int(snapshot_id))
    if found.empty:
        raise SnapshotError(f"There is no snapshot number {snapshot_id}.")
    return _snapshot(found.iloc[0])


def listing(store: Store, place_code: str | None = None) -> pd.DataFrame:
    """Snapshots in use, newest first, of one place or system (every one when None)."""
    return store.query("snapshot_list", place_code=place_code)


def all_of(store: Store, place_code: str | None = None) -> list[Snapshot]:
    """Snapshots in use as objects, newest first."""
    return [_snapshot(row) for _, row in listing(store, place_code).iterrows()]


def find(store: Store, name: str, place_code: str | None = None) -> Snapshot:
    """The snapshot in use with this name (any case), of one place or, when unique, of any.

    Raises SnapshotError naming the places to choose from when the name is used by
    several places' snapshots and no place is given, or the place's snapshots when
    there is none by that name.
    """
    hits = store.query("snapshot_by_name", name=str(name).strip(), place_code=place_code)
    if len(hits) == 1:
        return get(store, int(hits.iloc[0]["snapshot_id"]))
    if len(hits) > 1:
        where = ", ".join(f"{r.place} ({r.place_code})" for r in hits.itertuples())
        raise SnapshotError(
            f"Several places have a snapshot called {name!r} ({where}); say which with --place."
        )
    known = listing(store, place_code)["name"].tolist()
    offer = f" Snapshots: {', '.join(known[:10])}." if known else " There are none yet."
    raise SnapshotError(f"There is no snapshot called {name!r}.{offer}")


def rows(store: Store, snapshot_id: int) -> pd.DataFrame:
    """The plan frame a snapshot keeps, with the plan frame's columns and types."""
    frame = store.query("snapshot_rows", snapshot_id=int(snapshot_id))
    for column in ("days_in_month", "demand_years"):
        frame[column] = frame[column].astype("int64")
    text = [c for c in PLAN_COLUMNS if frame[c].dtype == object]
    frame[text] = frame[text].astype("str").where(frame[text].notna(), "")
    return frame[PLAN_COLUMNS].reset_index(drop=True)


def imports_of(store: Store, snapshot_id: int) -> pd.DataFrame:
    """The imports in force when the snapshot was taken, oldest first."""
    return store.query("snapshot_imports", snapshot_id=int(snapshot_id))


def rename(store: Store, snapshot: Snapshot, new_name: str) -> Snapshot:
    """Give a snapshot another name (unique among its place's); return it renamed."""
    name = check_name(new_name)
    _check_free(store, name, snapshot.place_code, snapshot.place, snapshot.snapshot_id)
    with store.transaction() as tx:
        tx.execute("snapshot_rename", name=name, snapshot_id=snapshot.snapshot_id)
    return get(store, snapshot.snapshot_id)


def delete(store: Store, snapshot: Snapshot) -> None:
    """Hide a snapshot from lists; its rows stay, so decisions made against it still read."""
    with store.transaction() as tx:
        tx.execute("snapshot_delete", snapshot_id=snapshot.snapshot_id)
