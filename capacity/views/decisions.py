"""Decisions and actions for a screen, a command or the meeting pack.

A place's list holds the decisions *for* it, for its members when it is a system, and
for the systems that hold it (a decision of the partnership's meeting concerns each of
its places). "This meeting" is the snapshot the meeting looked at: the decisions
recorded against the newest snapshot of the place or system presented (a meeting takes,
or opens with, a snapshot of what it sees, and records what it decides against it; a
clock-based "made today" would lose a decision typed up the morning after). With no
snapshot of it yet, they are the decisions for its places made today.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd

from capacity import audit, config, decisions, snapshots
from capacity.access import User
from capacity.decisions import (
    FIRST_DUE,
    LAST_DUE,
    MAX_OWNER_LENGTH,
    MAX_TEXT_LENGTH,
    STATUSES,
    Decision,
    DecisionError,
    StatusChange,
)
from capacity.export import csv_bytes
from capacity.model import system_members
from capacity.plan import places_in
from capacity.snapshots import Snapshot, SnapshotError
from capacity.store import Store
from capacity.views._db import Database, reading, writing
from capacity.views.permissions import require, require_some

__all__ = [
    "FIRST_DUE",
    "LAST_DUE",
    "MAX_OWNER_LENGTH",
    "MAX_TEXT_LENGTH",
    "STATUSES",
    "Decision",
    "DecisionError",
    "MeetingDecisions",
    "StatusChange",
    "all_decisions",
    "covering",
    "decision_history",
    "decision_rows",
    "find_snapshot_for",
    "meeting_decisions",
    "open_actions",
    "place_decisions",
    "record_decision",
    "set_decision_status",
    "snapshot_choices",
]


def covering(places: pd.DataFrame, place_code: str) -> list[str]:
    """The places whose decisions a place's or system's list shows: itself, its member places
    (a system's) and the systems that hold it (a place's)."""
    pairs = system_members(places)
    holders = pairs.loc[pairs["place_code"] == place_code, "system_code"]
    members = [c for c in places_in(places, place_code) if c != place_code]
    return list(dict.fromkeys([place_code, *members, *sorted(holders)]))


def _covering(store: Store, place_code: str) -> list[str]:
    return covering(store.query("places"), place_code)


def place_decisions(db: Database, place_code: str, *, open_only: bool = False) -> list[Decision]:
    """Decisions for a place or system (see :func:`covering`), newest first; the open ones
    only with ``open_only``."""
    with reading(db) as store:
        return decisions.listing(store, _covering(store, place_code), open_only=open_only)


def all_decisions(db: Database, *, open_only: bool = False) -> list[Decision]:
    """Every place's decisions, newest first; with ``open_only`` the open actions, soonest due
    first."""
    with reading(db) as store:
        if open_only:
            return decisions.open_actions(store)
        return decisions.listing(store)


def open_actions(db: Database, place_codes: Sequence[str]) -> list[Decision]:
    """Open decisions with an owner or a due date for some places or systems (each as
    :func:`covering` widens it), soonest due first."""
    with reading(db) as store:
        places = store.query("places")
        codes = list(dict.fromkeys(c for code in place_codes for c in covering(places, code)))
        return decisions.open_actions(store, codes)


def snapshot_choices(db: Database, place_code: str) -> list[Snapshot]:
    """The snapshots a decision for a place can be recorded against, newest first: its own
    and those of the systems that hold it (a system's snapshot keeps its members' rows)."""
    with reading(db) as store:
        places = store.query("places")
        pairs = system_members(places)
        holders = set(pairs.loc[pairs["place_code"] == place_code, "system_code"])
        return [s for s in snapshots.all_of(store) if s.place_code in {place_code, *holders}]


def find_snapshot_for(db: Database, name: str, place_code: str | None) -> Snapshot:
    """A snapshot in use by name for a decision: of the place or a system holding it (the
    place's own first), or, with no place, the one snapshot of any place by that name."""
    with reading(db) as store:
        if place_code is None:
            return snapshots.find(store, name)
    wanted = str(name).strip().lower()
    choices = snapshot_choices(db, place_code)
    hits = [s for s in choices if s.name.lower() == wanted]
    own = [s for s in hits if s.place_code == place_code]
    if own or hits:
        return (own or hits)[0]
    offer = ", ".join(repr(s.name) for s in choices[:10])
    raise SnapshotError(
        f"There is no snapshot called {name!r} of this place or a system holding it."
        + (f" Snapshots: {offer}." if offer else " There are none yet.")
    )


def record_decision(
    db: Database,
    *,
    place_code: str | None,
    text: str,
    user: User,
    snapshot_id: int | None = None,
    scenario_name: str | None = None,
    scenario_version: int | None = None,
    owner: str | None = None,
    due: date | str | None = None,
) -> Decision:
    """Record a decision as ``user`` against a snapshot, or a saved scenario (its
    ``scenario_version``, else its current one), for a place; DecisionError with the reason
    when refused, AccessDenied when the place (a snapshot's, when none is given) is not the
    user's. One audit entry records it."""
    require_some(user)
    with writing(db) as store:
        require(store, user, _decision_places(store, place_code, snapshot_id))
        scenario_id = version = None
        if scenario_name is not None:
            scenario_id, version = decisions.saved_scenario_version(
                store, scenario_name, scenario_version
            )
        made = decisions.add(
            store,
            text=text,
            made_by=user.label,
            place_code=place_code,
            snapshot_id=snapshot_id,
            scenario_id=scenario_id,
            scenario_version=version,
            owner=owner,
            due=due,
        )
        audit.record(
            store,
            user,
            "decision",
            place_code=made.place_code,
            subject=f"decision {made.decision_id}",
            detail=f"Recorded ({made.against}): {made.text}",
        )
        return made


def _decision_places(
    store: Store, place_code: str | None, snapshot_id: int | None
) -> list[str] | None:
    """The place a decision will be for: the one given, else its snapshot's (None, every
    place, when neither is known: only someone who may change every place gets as far as
    the decision's own refusal)."""
    if place_code is not None:
        return [place_code]
    if snapshot_id is not None:
        try:
            return [snapshots.get(store, snapshot_id).place_code]
        except SnapshotError:
            return None
    return None


def set_decision_status(db: Database, decision_id: int, status: str, *, user: User) -> Decision:
    """Mark a decision open, done or dropped as ``user`` (who must be able to change its
    place), recording who and when; one audit entry records it."""
    require_some(user)
    with writing(db) as store:
        decision = decisions.get(store, decision_id)
        require(store, user, [decision.place_code])
        changed = decisions.set_status(store, decision_id, status, user.label)
        audit.record(
            store,
            user,
            "decision",
            place_code=changed.place_code,
            subject=f"decision {decision_id}",
            detail=f"Status {decision.status} → {changed.status}: {changed.text}",
        )
        return changed


def decision_history(db: Database, decision_id: int) -> list[StatusChange]:
    """A decision's status changes, oldest first (the first is its opening)."""
    with reading(db) as store:
        return decisions.history(store, decision_id)


DECISION_COLUMNS = [
    "decision_id",
    "text",
    "place",
    "owner",
    "due",
    "overdue",
    "status",
    "made_by",
    "made_at",
    "against",
    "status_by",
    "status_at",
]


def decision_rows(found: Sequence[Decision], today: date | None = None) -> pd.DataFrame:
    """Decisions as a table to show: text as stored, owner, due date, whether overdue on
    ``today`` (default: today), status, who made it and when, what it is against, and the
    newest status change."""
    day = today or config.today()
    rows = [
        {
            "decision_id": d.decision_id,
            "text": d.text,
            "place": d.place,
            "owner": d.owner,
            "due": d.due_date,
            "overdue": d.overdue(day),
            "status": d.status,
            "made_by": d.made_by,
            "made_at": d.made_at,
            "against": d.against,
            "status_by": d.status_by,
            "status_at": d.status_at,
        }
        for d in found
    ]
    return pd.DataFrame(rows, columns=DECISION_COLUMNS)


@dataclass(frozen=True)
class MeetingDecisions:
    """What a meeting decided and what is still to do, for a place or system.

    ``snapshot`` is the meeting's snapshot (None when the place has none: ``decided``
    then holds the decisions made ``today``); ``meeting`` says which in words.
    """

    place_code: str
    snapshot: Snapshot | None
    meeting: str
    decided: list[Decision]
    open_actions: list[Decision]
    today: date


def _meeting_snapshot(store: Store, place_code: str, snapshot_id: int | None) -> Snapshot | None:
    """The meeting's snapshot: the one given, else the newest of the place or system, else
    (a system whose meeting snapshotted one of its places) the newest of its places'."""
    if snapshot_id is not None:
        return snapshots.get(store, snapshot_id)
    own = snapshots.all_of(store, place_code)
    if own:
        return own[0]
    members = [p for p in places_in(store.query("places"), place_code) if p != place_code]
    theirs = [s for code in members for s in snapshots.all_of(store, code)]
    return max(theirs, key=lambda s: (s.made_at, s.snapshot_id)) if theirs else None


def meeting_decisions(
    db: Database, place_code: str, *, snapshot_id: int | None = None, today: date | None = None
) -> MeetingDecisions:
    """This meeting's decisions and every open action of a place or system and its places.

    The meeting is ``snapshot_id`` when given, else the newest snapshot of ``place_code``;
    its decisions are those recorded against it (for any place). With no snapshot, the
    decisions for the place's places made on ``today``. The open actions are those of
    :func:`open_actions` for the place.
    """
    day = today or config.today()
    with reading(db) as store:
        codes = _covering(store, place_code)
        snapshot = _meeting_snapshot(store, place_code, snapshot_id)
        if snapshot is not None:
            decided = decisions.listing(store, snapshot_id=snapshot.snapshot_id)
            meeting = (
                f"decisions recorded against the snapshot {snapshot.name!r} "
                f"({snapshot.made_at:%-d %b %Y})"
            )
        else:
            decided = [d for d in decisions.listing(store, codes) if d.made_at.date() == day]
            meeting = f"no snapshot yet: decisions made today, {day:%-d %b %Y}"
        actions = decisions.open_actions(store, codes)
    return MeetingDecisions(
        place_code=place_code,
        snapshot=snapshot,
        meeting=meeting,
        decided=list(reversed(decided)),  # in the order they were made
        open_actions=actions,
        today=day,
    )


def decisions_csv(found: Sequence[Decision], today: date | None = None) -> bytes:
    """Decisions as a CSV file: every column of :func:`decision_rows`, texts as typed except
    that one a spreadsheet would run as a formula starts with an apostrophe (as in every
    export), so it opens as the text it is."""
    return csv_bytes(decision_rows(found, today))
