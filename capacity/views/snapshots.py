"""Snapshots for a screen or a command: take one of a place's plan, list, find, rename, delete.

Taking a snapshot computes the plan of the place (or the system and each of its
members) for the year under the scenario exactly as the Place page and the export
do, and stores those rows; reading one never computes anything again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd

from capacity import audit, scenario_store, snapshots
from capacity.access import AccessDenied, User
from capacity.export.scope import Scope
from capacity.periods import planning_year_label
from capacity.plan import load_plan_inputs, places_in, prepare
from capacity.scenarios.model import Scenario
from capacity.snapshots import MAX_NAME_LENGTH, Snapshot, SnapshotError
from capacity.store import Store
from capacity.views._db import Database, reading, writing
from capacity.views.permissions import require, require_some
from capacity.views.plans import plan_everywhere

__all__ = [
    "EXPORT_SNAPSHOT_KIND",
    "MAX_NAME_LENGTH",
    "ORIGIN_LABELS",
    "SNAPSHOT_FORMATS",
    "ExportSnapshots",
    "Snapshot",
    "SnapshotError",
    "delete_snapshot",
    "export_snapshot_name",
    "export_snapshot_places",
    "find_snapshot",
    "keep_export_snapshots",
    "rename_snapshot",
    "saved_sentence",
    "snapshot_imports",
    "snapshot_list",
    "snapshot_of_choice",
    "snapshot_rows",
    "snapshot_table",
    "suggested_name",
    "take_snapshot",
]

SNAPSHOT_FORMATS = ("xlsx", "zip")
"""Export formats that keep a snapshot: the BCF workbook, and the zip of workbooks."""

EXPORT_SNAPSHOT_KIND = "BCF workbook"
ORIGIN_LABELS = {"app": "App", "command": "Command line", "export": "Export"}
MEETING = "DIWG"  # the Discharge Improvement Working Group, whose meetings snapshots serve


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
    user: User,
    origin: str = "app",
    note: str = "",
) -> Snapshot:
    """Freeze the plan of a place or system for a year under a scenario, under a name, as
    ``user`` (who must be able to change that place or system).

    Raises AccessDenied first, SnapshotError for a bad or taken name (checked before the
    plan is computed), ScenarioError when the scenario no longer applies to the data.
    One audit entry records the snapshot.
    """
    require_some(user)
    snapshots.check_name(name)
    with writing(db) as store:
        require(store, user, [place_code])
        rows = _plan_rows(store, place_code, year, scenario)
        taken = snapshots.save(
            store,
            name=name,
            place_code=place_code,
            year=year,
            scenario=scenario,
            rows=rows,
            made_by=user.label,
            origin=origin,
            note=note,
        )
        _record(
            store,
            user,
            taken,
            f"Taken ({ORIGIN_LABELS.get(origin, origin)}): "
            f"{planning_year_label(taken.planning_year)}, scenario {taken.scenario_label}.",
        )
        return taken


def _record(store: Store, user: User, snapshot: Snapshot, detail: str) -> None:
    audit.record(
        store,
        user,
        "snapshot",
        place_code=snapshot.place_code,
        subject=snapshot.name,
        detail=detail,
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


def rename_snapshot(db: Database, snapshot_id: int, new_name: str, *, user: User) -> Snapshot:
    """Rename a snapshot (unique among its place's) as ``user``, who must be able to change
    its place; one audit entry records it."""
    require_some(user)
    with writing(db) as store:
        snapshot = snapshots.get(store, snapshot_id)
        require(store, user, [snapshot.place_code])
        renamed = snapshots.rename(store, snapshot, new_name)
        _record(store, user, renamed, f"Renamed from {snapshot.name!r}.")
        return renamed


def delete_snapshot(db: Database, snapshot_id: int, *, user: User) -> None:
    """Hide a snapshot as ``user``, who must be able to change its place; its rows stay.
    One audit entry records it."""
    require_some(user)
    with writing(db) as store:
        snapshot = snapshots.get(store, snapshot_id)
        require(store, user, [snapshot.place_code])
        snapshots.delete(store, snapshot)
        _record(store, user, snapshot, "Deleted (its rows are kept).")


# -- for the app's save button and list ------------------------------------------


def suggested_name(taken: Iterable[str], today: date) -> str:
    """A name for a snapshot taken today that the place has not used: 'DIWG 5 December 2026',
    then 'DIWG 5 December 2026 (2)' and so on (names are compared in any case)."""
    used = {str(name).strip().lower() for name in taken}
    base = f"{MEETING} {today.day} {today:%B %Y}"
    name, number = base, 1
    while name.lower() in used:
        number += 1
        name = f"{base} ({number})"
    return name


def snapshot_of_choice(
    db: Database,
    *,
    name: str,
    place_code: str,
    year: int,
    scenario_key: str | None,
    user: User,
    note: str = "",
    origin: str = "app",
) -> Snapshot:
    """A snapshot of what a page shows: the scenario key (baseline, ``preset:<id>`` or a saved
    scenario's name) is looked up when the snapshot is taken, so a saved scenario is frozen at
    its current version.

    Raises AccessDenied when ``user`` may not change the place, SnapshotError for a bad or
    taken name, ScenarioError when the scenario is no longer saved or no longer applies
    to the data; nothing is stored then.
    """
    require_some(user)
    snapshots.check_name(name)
    with writing(db) as store:
        scenario = scenario_store.resolve(store, scenario_key, year)
        return take_snapshot(
            store,
            name=name,
            place_code=place_code,
            year=year,
            scenario=scenario,
            user=user,
            origin=origin,
            note=note,
        )


def saved_sentence(snapshot: Snapshot) -> str:
    """What a snapshot froze, in one sentence: name, place, year, scenario and data version."""
    return (
        f"Saved snapshot {snapshot.name!r} of {snapshot.place}, "
        f"{planning_year_label(snapshot.planning_year)}, scenario {snapshot.scenario_label}, "
        f"{snapshot.data_label}."
    )


def snapshot_table(listing: pd.DataFrame) -> pd.DataFrame:
    """Snapshots as a list shows them (newest first, as :func:`snapshot_list` gives them):
    id, name, place, planning year, scenario with its version, who made it, when, how, note."""
    scenario = [
        name if pd.isna(version) else f"{name} (version {int(version)})"
        for name, version in zip(listing["scenario_name"], listing["scenario_version"], strict=True)
    ]
    return pd.DataFrame(
        {
            "snapshot_id": listing["snapshot_id"].astype("int64"),
            "name": listing["name"],
            "place": listing["place"].fillna(listing["place_code"]),
            "year": listing["planning_year"].map(planning_year_label),
            "scenario": pd.Series(scenario, index=listing.index, dtype="object"),
            "made_by": listing["made_by"],
            "made_at": pd.to_datetime(listing["made_at"]),
            "origin": listing["origin"].map(ORIGIN_LABELS).fillna(listing["origin"]),
            "note": listing["note"].fillna(""),
        }
    ).reset_index(drop=True)


# -- kept when a workbook is exported --------------------------------------------


@dataclass(frozen=True)
class ExportSnapshots:
    """The snapshots an export kept, and why none (or not all) were kept."""

    taken: tuple[Snapshot, ...]
    problem: str | None = None

    @property
    def sentence(self) -> str:
        """What was kept, and what was not, in words."""
        names = ", ".join(f"{s.name!r} of {s.place}" for s in self.taken)
        kept = f"Kept a snapshot of what was exported: {names}." if self.taken else ""
        if self.problem is None:
            return kept
        if self.taken:
            return f"{kept} The other places' snapshots were not kept: {self.problem}"
        return f"No snapshot was kept of this export: {self.problem}"


def export_snapshot_places(scope: Scope) -> list[str]:
    """The places whose snapshots an export keeps: the one place or system exported.

    A hand-picked set of places is not a place a snapshot can be of, so each
    of its places gets a snapshot of its own.
    """
    if scope.total and scope.total[0]:
        return [scope.total[0]]
    return scope.codes


def keep_export_snapshots(
    db: Database,
    *,
    codes: Sequence[str],
    year: int,
    scenario: Scenario | None,
    user: User,
    file_name: str,
    made_at: datetime,
) -> ExportSnapshots:
    """Keep a snapshot, origin 'export', of each place in ``codes`` after a workbook was written.

    Never raises: the file is already made, so a snapshot that cannot be kept (a
    name taken in the same second, a database another program holds, a ``user`` who may
    not change the place: a viewer's export takes no snapshot) is reported in
    :attr:`ExportSnapshots.problem` and the export stands.
    """
    name = export_snapshot_name(EXPORT_SNAPSHOT_KIND, made_at)
    taken: list[Snapshot] = []
    try:
        require_some(user)
        with writing(db) as store:
            for code in codes:
                taken.append(
                    take_snapshot(
                        store,
                        name=name,
                        place_code=code,
                        year=year,
                        scenario=scenario,
                        user=user,
                        origin="export",
                        note=f"Taken when {file_name} was exported.",
                    )
                )
    # Deliberately broad: whatever stops the snapshot, the export it records has been made.
    except Exception as exc:  # noqa: BLE001
        return ExportSnapshots(tuple(taken), _reason(exc))
    return ExportSnapshots(tuple(taken))


def _reason(exc: Exception) -> str:
    if isinstance(exc, AccessDenied):
        return f"{exc} (the export itself is made)"
    problems = getattr(exc, "problems", None)
    return "; ".join(problems) if problems else str(exc)
