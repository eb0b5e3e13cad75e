"""The audit trail: who changed what, when, for which place.

Every function that changes data records one entry through :func:`record`, in the same
transaction as the change where it has one, so a change and its entry are kept or lost
together. An entry names the person as signed in (name and e-mail), never the account
the server runs as.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from capacity.access import User
from capacity.store import Store, _Session

# The kinds of change, as the Activity view names them.
ACTIONS = {
    "import": "Import",
    "undo": "Undo",
    "parameters": "Parameters edited",
    "services": "Services edited",
    "shares": "Shares edited",
    "demand_settings": "Demand settings",
    "scenario_save": "Scenario saved",
    "scenario_delete": "Scenario deleted",
    "snapshot": "Snapshot",
    "decision": "Decision",
    "workforce": "Workforce setting",
    "role": "Role changed",
    "workspace": "Place set up",
}

AUDIT_COLUMNS = [
    "changed_at",
    "user_name",
    "user_email",
    "action",
    "place_code",
    "subject",
    "detail",
]
MAX_TEXT = 2000


def record(
    session: Store | _Session,
    user: User,
    action: str,
    *,
    place_code: str | None = None,
    subject: str = "",
    detail: str = "",
) -> int:
    """Add one entry to the trail and return its id.

    ``session`` is the transaction of the change itself where there is one (so both
    commit together), else the store. ``action`` is a key of :data:`ACTIONS`.
    """
    if action not in ACTIONS:
        raise ValueError(f"{action!r} is not a kind of change the audit trail knows")
    rows = session.execute(
        "audit_insert",
        user_name=user.name[:MAX_TEXT],
        user_email=user.email[:MAX_TEXT],
        action=action,
        place_code=place_code,
        subject=str(subject)[:MAX_TEXT],
        detail=str(detail)[:MAX_TEXT],
    )
    return int(rows[0][0])


def listing(
    store: Store,
    *,
    place_code: str | None = None,
    person: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> pd.DataFrame:
    """The trail, newest first, filtered by place (its own entries and those of no one
    place), person (name or e-mail, any case) and dates (``until`` inclusive)."""
    return store.query(
        "audit_list",
        place_code=place_code,
        person=person.strip() if person and person.strip() else None,
        since=since,
        until=until,
    )


def people(store: Store) -> pd.DataFrame:
    """Everyone the trail names, for the Activity view's person filter."""
    return store.query("audit_people")
