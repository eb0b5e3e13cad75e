"""What changed between two snapshots of a place or system, for a screen, a command or the pack.

:func:`changes_between` picks the two snapshots (by default the last two of the
place, by when they were taken), reads their frozen rows and imports, looks up
when the parameters they used were loaded, and hands them to the pure
:func:`capacity.changes.compare`. Nothing is computed again from today's data.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from capacity import snapshots
from capacity.changes import KINDS, PLAN_CHANGE_COLUMNS, ChangeItem, Changes, compare
from capacity.display import rounded
from capacity.model import system_members
from capacity.periods import month_label
from capacity.scenarios.model import Names
from capacity.snapshots import Snapshot, SnapshotError
from capacity.store import Store
from capacity.views._db import Database, reading

__all__ = [
    "DISPLAY_COLUMNS",
    "KINDS",
    "PLAN_CHANGE_COLUMNS",
    "ChangeItem",
    "Changes",
    "SnapshotError",
    "changes_between",
    "changes_in",
    "default_pair",
    "display_table",
]


def default_pair(listed: list[Snapshot], place: str = "This place") -> tuple[Snapshot, Snapshot]:
    """The last two of a place's snapshots (newest first, as listed): (earlier, later).

    Raises SnapshotError when there are fewer than two.
    """
    if len(listed) < 2:
        have = "no snapshots" if not listed else f"only one snapshot ({listed[0].name!r})"
        raise SnapshotError(
            f"{place} has {have}; what changed compares two. Take a snapshot at each "
            "meeting (Place page, or python3 -m capacity snapshot save) to compare them."
        )
    return listed[1], listed[0]


def _pick(
    store: Store, place_code: str, from_name: str | None, to_name: str | None
) -> tuple[Snapshot, Snapshot]:
    listed = snapshots.all_of(store, place_code)
    if from_name is None and to_name is None:
        found = store.query("places").set_index("place_code")
        name = str(found.loc[place_code, "name"]) if place_code in found.index else place_code
        return default_pair(listed, name)
    later = snapshots.find(store, to_name, place_code) if to_name else listed[0] if listed else None
    if later is None:
        raise SnapshotError("This place has no snapshots yet.")
    if from_name:
        earlier = snapshots.find(store, from_name, place_code)
    else:
        older = [
            s for s in listed if (s.made_at, s.snapshot_id) < (later.made_at, later.snapshot_id)
        ]
        if not older:
            raise SnapshotError(
                f"There is no snapshot of {later.place} taken before {later.name!r} to compare "
                "it with; name one with --from."
            )
        earlier = older[0]
    return earlier, later


def _check_pair(earlier: Snapshot, later: Snapshot) -> None:
    if earlier.snapshot_id == later.snapshot_id:
        raise SnapshotError(f"Choose two different snapshots; both are {later.name!r}.")
    if earlier.planning_year != later.planning_year:
        raise SnapshotError(
            f"{earlier.name!r} is of planning year {earlier.planning_year}-"
            f"{(earlier.planning_year + 1) % 100:02d} and {later.name!r} of "
            f"{later.planning_year}-{(later.planning_year + 1) % 100:02d}; what changed "
            "compares two snapshots of the same planning year."
        )


def _loaded_at(store: Store, rows: pd.DataFrame) -> dict[int, datetime]:
    ids = sorted(
        {int(p) for text in rows["param_ids"] for p in str(text or "").split(",") if p.strip()}
    )
    if not ids:
        return {}
    found = store.query("parameters_loaded_at", param_ids=ids)
    return {
        int(row.param_id): pd.Timestamp(row.loaded_at).to_pydatetime() for row in found.itertuples()
    }


def changes_in(store: Store, earlier: Snapshot, later: Snapshot) -> Changes:
    """What changed from one snapshot to another, with an open store (the pack calls this)."""
    _check_pair(earlier, later)
    before = snapshots.rows(store, earlier.snapshot_id)
    after = snapshots.rows(store, later.snapshot_id)
    places = store.query("places")
    pairs = system_members(places)
    members = {
        str(code): frozenset(group["place_code"]) for code, group in pairs.groupby("system_code")
    }
    return compare(
        earlier,
        later,
        before,
        after,
        snapshots.imports_of(store, earlier.snapshot_id),
        snapshots.imports_of(store, later.snapshot_id),
        _loaded_at(store, after),
        names=Names.of(places, store.query("service_types"), store.query("services")),
        members=members,
    )


def changes_between(
    db: Database, place_code: str, from_name: str | None = None, to_name: str | None = None
) -> Changes:
    """What changed between two snapshots of a place or system.

    By default the last two snapshots of the place (by when they were taken);
    ``to_name`` alone compares that one with the snapshot taken before it,
    ``from_name`` alone compares that one with the newest. Raises SnapshotError
    when the place has fewer than two snapshots, a name is unknown, both are the
    same snapshot, or they are of different planning years.
    """
    with reading(db) as store:
        earlier, later = _pick(store, place_code, from_name, to_name)
        return changes_in(store, earlier, later)


DISPLAY_COLUMNS = {
    "place": "Place",
    "service_type_name": "Service type",
    "month": "Month",
    "demand_before": "Demand before",
    "demand_after": "Demand after",
    "capacity_before": "Capacity before",
    "capacity_after": "Capacity after",
    "gap_before": "Gap before",
    "gap_after": "Gap after",
    "gap_change": "Gap change",
}


def display_table(found: Changes, place_code: str | None = None) -> pd.DataFrame:
    """The plan's change where it moved, for a screen or a pack: whole people, months in
    words, the columns named for a reader (so a change may differ by one from after − before);
    only ``place_code``'s rows when given (a system's total, without its places')."""
    moved = found.moved()
    if place_code is not None:
        moved = moved[moved["place_code"] == place_code]
    whole = {c: 0 for c in DISPLAY_COLUMNS if c not in ("place", "service_type_name", "month")}
    shown = rounded(moved, whole)
    shown = shown.assign(month=shown["month"].map(month_label))
    return shown[list(DISPLAY_COLUMNS)].rename(columns=DISPLAY_COLUMNS).reset_index(drop=True)
