"""Decisions and actions: what a meeting decided, against what it saw, and who follows it up.

A decision is recorded against one snapshot (the plan the meeting saw) or one saved
scenario version (the change it agreed to pursue), and is always *for* one place or
system: a snapshot's own place or one of its members, or the place a scenario decision
is about. It has a text, an optional owner and due date, a status (open, done or
dropped), who recorded it and when. Every change of status is kept, with who made it
and when, so a decision's history reads.

An **open action** is an open decision with an owner or a due date: someone is to do
something, or something is to happen by a date. An open decision with neither records
what was agreed and is not chased.

The text is stored exactly as typed (surrounding spaces trimmed) and never evaluated;
whoever shows it must show it as plain text. Decisions against a snapshot deleted later,
or a scenario deleted later, still list: both keep their records when hidden.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd

from capacity.plan import places_in
from capacity.store import Store

MAX_TEXT_LENGTH = 2000
MAX_OWNER_LENGTH = 200
MAX_MADE_BY_LENGTH = 200
FIRST_DUE = date(2000, 1, 1)
LAST_DUE = date(2100, 12, 31)
STATUSES = ("open", "done", "dropped")

_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class DecisionError(ValueError):
    """A decision that cannot be recorded, found or changed; the message says why."""


@dataclass(frozen=True)
class Decision:
    """A decision as stored, with what it was recorded against and its newest status change."""

    decision_id: int
    place_code: str
    place: str
    text: str
    owner: str
    due_date: date | None
    status: str
    made_by: str
    made_at: datetime
    snapshot_id: int | None
    snapshot_name: str | None
    snapshot_deleted: bool
    scenario_id: int | None
    scenario_version: int | None
    scenario_name: str | None
    status_by: str
    status_at: datetime

    @property
    def is_action(self) -> bool:
        """Whether someone is to act on it: it has an owner or a due date."""
        return bool(self.owner) or self.due_date is not None

    def is_open_action(self) -> bool:
        """An open decision with an owner or a due date."""
        return self.status == "open" and self.is_action

    def overdue(self, today: date) -> bool:
        """Open, with a due date before ``today``."""
        return self.status == "open" and self.due_date is not None and self.due_date < today

    @property
    def against(self) -> str:
        """What it was recorded against, in words: "snapshot 'DIWG 12 November'" or
        "scenario 'Winter flex beds' version 3" (with '(deleted)' for a deleted snapshot)."""
        if self.snapshot_id is not None:
            name = self.snapshot_name or f"number {self.snapshot_id}"
            return f"snapshot {name!r}" + (" (deleted)" if self.snapshot_deleted else "")
        return f"scenario {self.scenario_name!r} version {self.scenario_version}"


@dataclass(frozen=True)
class StatusChange:
    """One entry of a decision's history: the status it took, who set it and when."""

    change_no: int
    status: str
    changed_by: str
    changed_at: datetime


# -- checks ---------------------------------------------------------------------------


def check_text(text: str) -> str:
    """The decision's text as stored (surrounding spaces trimmed); DecisionError when empty
    or longer than MAX_TEXT_LENGTH characters."""
    value = str(text).strip()
    if not value:
        raise DecisionError("A decision needs its text: what was decided.")
    if len(value) > MAX_TEXT_LENGTH:
        raise DecisionError(
            f"A decision's text is at most {MAX_TEXT_LENGTH:,} characters; this one has "
            f"{len(value):,}."
        )
    return value


def check_owner(owner: str | None) -> str:
    """The owner as stored ('' for none); DecisionError when over MAX_OWNER_LENGTH characters."""
    value = "" if owner is None else str(owner).strip()
    if len(value) > MAX_OWNER_LENGTH:
        raise DecisionError(
            f"An owner's name is at most {MAX_OWNER_LENGTH} characters; this one has {len(value)}."
        )
    return value


def check_due(due: date | str | None) -> date | None:
    """The due date (None for none) from a date or 'YYYY-MM-DD' text; DecisionError when it is
    not a real date or falls outside 2000 to 2100."""
    if due is None or (isinstance(due, str) and not due.strip()):
        return None
    if isinstance(due, datetime):
        day = due.date()
    elif isinstance(due, date):
        day = due
    else:
        text = str(due).strip()
        if not _ISO_DAY.match(text):
            raise DecisionError(
                f"The due date {text!r} is not a date: use the form YYYY-MM-DD, such as 2026-11-24."
            )
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise DecisionError(f"The due date {text!r} is not a real date.") from None
    if not FIRST_DUE <= day <= LAST_DUE:
        raise DecisionError(
            f"The due date {day:%Y-%m-%d} is outside the years 2000 to 2100; is it mistyped?"
        )
    return day


def _check_made_by(made_by: str) -> str:
    value = str(made_by).strip()
    if not value:
        raise DecisionError("A decision records who made it; no name was given.")
    return value[:MAX_MADE_BY_LENGTH]


def _check_status(status: str) -> str:
    if status not in STATUSES:
        raise DecisionError(
            f"{status!r} is not a decision status: use {', '.join(STATUSES[:-1])} or "
            f"{STATUSES[-1]}."
        )
    return status


# -- what a decision is against --------------------------------------------------------


def _check_snapshot(store: Store, snapshot_id: int, place_code: str | None) -> str:
    """The place a decision against a snapshot is for: ``place_code`` when the snapshot
    covers it (its own place or a member of its system), else the snapshot's place."""
    found = store.query("snapshot_by_id", snapshot_id=int(snapshot_id))
    if found.empty:
        raise DecisionError(f"There is no snapshot number {snapshot_id}.")
    row = found.iloc[0]
    if pd.notna(row["deleted_at"]):
        raise DecisionError(
            f"The snapshot {row['name']!r} was deleted; record the decision against another."
        )
    own = str(row["place_code"])
    if place_code is None or place_code == own:
        return own
    if place_code not in places_in(store.query("places"), own):
        raise DecisionError(
            f"The snapshot {row['name']!r} is of {row['place']}, which does not hold the "
            f"place {place_code!r}; choose a snapshot of that place or its system."
        )
    return place_code


def _check_scenario_version(
    store: Store, scenario_id: int, version: int, place_code: str | None
) -> str:
    if place_code is None:
        raise DecisionError("A decision against a scenario needs the place or system it is for.")
    found = store.query("scenario_version", scenario_id=int(scenario_id), version=int(version))
    if found.empty:
        raise DecisionError(f"There is no saved scenario number {scenario_id} version {version}.")
    return place_code


def saved_scenario_version(store: Store, name: str, version: int | None = None) -> tuple[int, int]:
    """The (scenario_id, version) of a saved scenario in use by name (any case), its current
    version when ``version`` is None; DecisionError when there is no such scenario or version
    (a preset or the baseline has no saved version to record a decision against)."""
    found = store.query("scenario_by_name", name=str(name).strip())
    if found.empty:
        raise DecisionError(
            f"There is no saved scenario called {name!r}; a decision is recorded against a "
            "saved scenario's version (save a preset first to decide on it)."
        )
    scenario_id = int(found.iloc[0]["scenario_id"])
    current = int(found.iloc[0]["current_version"])
    chosen = current if version is None else int(version)
    if not 1 <= chosen <= current:
        raise DecisionError(
            f"The scenario {found.iloc[0]['name']!r} has versions 1 to {current}, not {chosen}."
        )
    return scenario_id, chosen


def _check_place(store: Store, place_code: str) -> None:
    if place_code not in set(store.query("places")["place_code"]):
        raise DecisionError(f"There is no place or system with the code {place_code!r}.")


# -- writing ---------------------------------------------------------------------------


def add(
    store: Store,
    *,
    text: str,
    made_by: str,
    place_code: str | None = None,
    snapshot_id: int | None = None,
    scenario_id: int | None = None,
    scenario_version: int | None = None,
    owner: str | None = None,
    due: date | str | None = None,
) -> Decision:
    """Record an open decision against a snapshot or a saved scenario version; return it.

    With a snapshot, ``place_code`` defaults to the snapshot's place and may be one of
    its members (a system's snapshot holds them); with a scenario version it is needed.
    Raises DecisionError with the reason for empty or over-long text, an over-long owner,
    a due date that is not a real date or falls outside 2000–2100, an unknown (or
    deleted) snapshot, an unknown scenario version or place; nothing is stored then.
    """
    text = check_text(text)
    owner = check_owner(owner)
    due_date = check_due(due)
    made_by = _check_made_by(made_by)
    if (snapshot_id is None) == (scenario_id is None or scenario_version is None):
        raise DecisionError(
            "A decision is recorded against one snapshot or one scenario version: say which."
        )
    if place_code is not None:
        _check_place(store, place_code)
    if snapshot_id is not None:
        place = _check_snapshot(store, snapshot_id, place_code)
    else:
        assert scenario_id is not None and scenario_version is not None
        place = _check_scenario_version(store, scenario_id, scenario_version, place_code)
    with store.transaction() as tx:
        decision_id = int(
            tx.execute(
                "decision_insert",
                place_code=place,
                snapshot_id=None if snapshot_id is None else int(snapshot_id),
                scenario_id=None if scenario_id is None else int(scenario_id),
                scenario_version=None if scenario_version is None else int(scenario_version),
                text=text,
                owner=owner,
                due_date=due_date,
                made_by=made_by,
            )[0][0]
        )
        tx.execute("decision_opened", decision_id=decision_id)
    return get(store, decision_id)


def set_status(store: Store, decision_id: int, status: str, changed_by: str) -> Decision:
    """Change a decision's status (open, done or dropped), recording who and when; return it.

    Raises DecisionError for an unknown status or decision, or a decision already in that
    status (nothing is recorded then).
    """
    status = _check_status(status)
    changed_by = _check_made_by(changed_by)
    decision = get(store, decision_id)
    if decision.status == status:
        raise DecisionError(f"Decision {decision_id} is already {status}.")
    with store.transaction() as tx:
        tx.execute(
            "decision_status_change",
            decision_id=decision.decision_id,
            status=status,
            changed_by=changed_by,
        )
    return get(store, decision_id)


# -- reading ---------------------------------------------------------------------------


def _whole(value) -> int | None:
    return None if pd.isna(value) else int(value)


def _text(value) -> str | None:
    return value if isinstance(value, str) else None


def _decision(row: pd.Series) -> Decision:
    due = row["due_date"]
    return Decision(
        decision_id=int(row["decision_id"]),
        place_code=str(row["place_code"]),
        place=_text(row["place"]) or str(row["place_code"]),
        text=str(row["text"]),
        owner=str(row["owner"]),
        due_date=None if pd.isna(due) else pd.Timestamp(due).date(),
        status=str(row["status"]),
        made_by=str(row["made_by"]),
        made_at=pd.Timestamp(row["made_at"]).to_pydatetime(),
        snapshot_id=_whole(row["snapshot_id"]),
        snapshot_name=_text(row["snapshot_name"]),
        snapshot_deleted=bool(row["snapshot_deleted"]) and pd.notna(row["snapshot_id"]),
        scenario_id=_whole(row["scenario_id"]),
        scenario_version=_whole(row["scenario_version"]),
        scenario_name=_text(row["scenario_name"]),
        status_by=str(row["status_by"]),
        status_at=pd.Timestamp(row["status_at"]).to_pydatetime(),
    )


def _query(store: Store, **params) -> list[Decision]:
    found = store.query(
        "decision_list",
        **(
            {"place_codes": None, "open_only": False, "snapshot_id": None, "decision_id": None}
            | params
        ),
    )
    return [_decision(row) for _, row in found.iterrows()]


def get(store: Store, decision_id: int) -> Decision:
    """A decision by its number."""
    found = _query(store, decision_id=int(decision_id))
    if not found:
        raise DecisionError(f"There is no decision number {decision_id}.")
    return found[0]


def listing(
    store: Store,
    place_codes: Sequence[str] | None = None,
    *,
    open_only: bool = False,
    snapshot_id: int | None = None,
) -> list[Decision]:
    """Decisions for some places or systems (every one when None), newest first; only the
    open ones with ``open_only``, only those against one snapshot with ``snapshot_id``."""
    return _query(
        store,
        place_codes=None if place_codes is None else list(place_codes),
        open_only=bool(open_only),
        snapshot_id=None if snapshot_id is None else int(snapshot_id),
    )


def open_actions(store: Store, place_codes: Sequence[str] | None = None) -> list[Decision]:
    """Open decisions with an owner or a due date, for some places (every one when None),
    soonest due first (those with no due date last, newest first among them)."""
    found = [d for d in listing(store, place_codes, open_only=True) if d.is_action]
    return sorted(found, key=lambda d: (d.due_date is None, d.due_date or LAST_DUE))


def history(store: Store, decision_id: int) -> list[StatusChange]:
    """A decision's status changes, oldest first (the first is its opening)."""
    get(store, decision_id)
    found = store.query("decision_history", decision_id=int(decision_id))
    return [
        StatusChange(
            change_no=int(row["change_no"]),
            status=str(row["status"]),
            changed_by=str(row["changed_by"]),
            changed_at=pd.Timestamp(row["changed_at"]).to_pydatetime(),
        )
        for _, row in found.iterrows()
    ]
