"""The Activity view: who changed what, when, for which place, from the audit trail.

The page and the ``activity`` command both list the trail for one place (its own entries
and those of changes not tied to one place, such as a SitRep import or a scenario for
every place; for a system, its places' entries too), filtered by person and dates, newest
first, and export it as CSV that a spreadsheet opens safely (formula-like text is escaped
by :func:`capacity.export.csv_bytes`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd

from capacity import audit
from capacity.access import person_label
from capacity.export import csv_bytes
from capacity.plan import places_in
from capacity.views._db import Database, reading

__all__ = [
    "ACTIVITY_COLUMNS",
    "ActivityError",
    "ActivityFilter",
    "activity",
    "activity_csv",
    "parse_day",
    "people",
]

ACTIVITY_COLUMNS = ["changed_at", "person", "email", "action", "place", "subject", "detail"]
NOT_ONE_PLACE = "Not one place"


class ActivityError(ValueError):
    """A filter that cannot be used as given; the message says why."""


@dataclass(frozen=True)
class ActivityFilter:
    """Which entries to list: a place (None: every entry), a person's name or e-mail
    (None: everyone), and a range of days, both ends included (None: open)."""

    place_code: str | None = None
    person: str | None = None
    since: date | None = None
    until: date | None = None

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise ActivityError(
                f"The dates run backwards: from {self.since:%d %b %Y} to {self.until:%d %b %Y}."
            )


def parse_day(text: str | None, what: str) -> date | None:
    """A day typed as YYYY-MM-DD (None for blank); ActivityError naming ``what`` if not."""
    if text is None or not str(text).strip():
        return None
    try:
        return datetime.strptime(str(text).strip(), "%Y-%m-%d").date()
    except ValueError:
        raise ActivityError(f"{what} {text!r} is not a day written YYYY-MM-DD.") from None


def activity(db: Database, chosen: ActivityFilter) -> pd.DataFrame:
    """The audit trail as the Activity view lists it, newest first.

    Columns :data:`ACTIVITY_COLUMNS`: when, the person's name and e-mail, the kind of change
    in words, the place by name ("Not one place" for a change of several or every place),
    what it was about, and what changed.
    """
    with reading(db) as store:
        rows = audit.listing(store, person=chosen.person, since=chosen.since, until=chosen.until)
        places = store.query("places")
    if chosen.place_code is not None:
        wanted = {chosen.place_code, *places_in(places, chosen.place_code)}
        rows = rows[rows["place_code"].isna() | rows["place_code"].isin(wanted)]
    names = dict(zip(places["place_code"], places["name"], strict=True))
    place = [
        NOT_ONE_PLACE if code is None or code != code else f"{names.get(code, code)} ({code})"
        for code in rows["place_code"]
    ]
    return pd.DataFrame(
        {
            "changed_at": pd.to_datetime(rows["changed_at"]),
            "person": rows["user_name"],
            "email": rows["user_email"],
            "action": rows["action"].map(audit.ACTIONS).fillna(rows["action"]),
            "place": pd.Series(place, index=rows.index, dtype="object"),
            "subject": rows["subject"],
            "detail": rows["detail"],
        },
        columns=ACTIVITY_COLUMNS,
    ).reset_index(drop=True)


def people(db: Database) -> dict[str, str]:
    """Everyone the trail names, for a person filter: what to filter by (the e-mail, else the
    name) → how to show them."""
    with reading(db) as store:
        found = audit.people(store)
    choices: dict[str, str] = {}
    for name, email in zip(found["user_name"], found["user_email"], strict=True):
        key = email or name
        choices.setdefault(key, person_label(name, email) or key)
    return choices


def activity_csv(frame: pd.DataFrame) -> bytes:
    """The listing as CSV: when as YYYY-MM-DD HH:MM:SS, formula-like text escaped."""
    shown = frame.assign(changed_at=frame["changed_at"].dt.strftime("%Y-%m-%d %H:%M:%S"))
    return csv_bytes(shown)
