"""What an editor was based on: a stamp of exactly the stored rows it shows.

The app's editors (a service, its parameters, the demand settings, the trust shares, a
place's SitRep destinations, the workforce assumptions) each replace stored rows with what
a person saw and changed. If someone else saved the same rows in between — in another
browser tab, or on another server sharing the state — the later save would overwrite the
earlier one without either person knowing. So an editor takes a :class:`Stamp` when it
shows its rows, and the save hands it back: inside the save's own transaction the rows are
read again (:func:`refuse_if_changed`), and if their stamp differs the save is refused with
who changed them and when (:class:`EditConflict`), writing nothing.

A stamp is a digest of the rows as the editor reads them (:func:`rows`), not a version
number, so it needs no new column: any change to what the person saw moves it, and a
change elsewhere in the same table does not.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

import pandas as pd

from capacity.reference import PARAMETERS
from capacity.sitrep import destination_map

EDITORS = {
    "services": "the service",
    "parameters": "the parameters of",
    "demand_settings": "the demand settings",
    "shares": "the trust-to-place shares",
    "destinations": "the SitRep destination mapping of",
    "workforce": "the workforce assumptions",
}
"""Each editor whose saves are checked, and how a message names its rows."""

NOTHING = "nothing stored"
"""The digest of no rows at all (a service not added yet), whatever their columns."""

# The imports that wrote or replaced an editor's rows: the named query that finds them, and
# the parameter its key binds to.
_IMPORT_QUERIES = {
    "services": ("edit_imports_of_service", "service_id"),
    "parameters": ("edit_imports_of_parameters", "service_id"),
    "shares": ("edit_imports_of_shares", None),
    "destinations": ("edit_imports_of_destinations", "place_code"),
}


class Reader(Protocol):
    """A store or a transaction's session: anything that runs named queries."""

    def query(self, name: str, /, **params: Any) -> pd.DataFrame: ...


class EditConflict(ValueError):
    """A save refused because someone saved the same rows since the editor showed them;
    the message says who, when, and that this person's edits were not saved."""


@dataclass(frozen=True)
class Stamp:
    """The rows an editor showed: which editor (a key of :data:`EDITORS`), whose rows
    (a service id or place code; None for a whole table) and their digest."""

    editor: str
    key: str | None
    digest: str


def digest(*frames: pd.DataFrame) -> str:
    """A short digest of the frames' columns and values, in their order.

    Missing values (None, NaN, NaT) are one thing; numbers compare by value (1 and 1.0 the
    same), dates and times by their ISO text. Frames with no rows at all give
    :data:`NOTHING`.
    """
    if all(frame.empty for frame in frames):
        return NOTHING
    body = [
        [list(map(str, frame.columns)), [list(map(_plain, r)) for r in frame.itertuples(False)]]
        for frame in frames
    ]
    text = json.dumps(body, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def _plain(value: Any) -> Any:
    """A cell as JSON can hold it, the same whichever type the store handed back."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, (datetime, date, pd.Timestamp)):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return int(value) if value.is_integer() else value
    if isinstance(value, (bool, int, str)):
        return value
    return str(value)


def rows(store: Reader, editor: str, key: str | None = None) -> pd.DataFrame:
    """The stored rows ``editor`` shows (for ``key``), read through the named queries."""
    if editor == "parameters":
        found = store.query("all_parameters")
        found = found[found["service_id"] == key][[c.name for c in PARAMETERS]]
        return found.reset_index(drop=True)
    if editor == "services":
        services = store.query("services")
        links = store.query("service_links")
        one = services[services["service_id"] == key].drop(columns="place_codes")
        # One row per place it serves, the service's own columns repeated, as its form reads.
        return one.merge(links, on="service_id", how="left", suffixes=("", "_of_place"))
    if editor == "demand_settings":
        return store.query("demand_settings")
    if editor == "shares":
        return store.query("trust_place_shares")
    if editor == "destinations":
        table = destination_map(store, [str(key)])  # type: ignore[arg-type]
        return table[["place_code", "destination", "service_type", "mapped_by"]].reset_index(
            drop=True
        )
    if editor == "workforce":
        return store.query("workforce_settings_in_force")
    raise ValueError(f"{editor!r} is not an editor whose saves are checked")


def stamp(store: Reader, editor: str, key: str | None = None) -> Stamp:
    """The stamp of the rows ``editor`` shows now (for ``key``)."""
    return Stamp(editor, key, digest(rows(store, editor, key)))


def stamp_of(frame: pd.DataFrame, editor: str, key: str | None = None) -> Stamp:
    """The stamp of rows already read with :func:`rows` (so an editor's rows and its stamp
    come from one read)."""
    return Stamp(editor, key, digest(frame))


def refuse_if_changed(session: Reader, based_on: Stamp | None) -> None:
    """EditConflict, naming who changed the rows and when, if the rows ``based_on`` stamped
    read differently now; nothing when ``based_on`` is None (no check asked for).

    Call it inside the save's transaction, before writing, so no one's change can land
    between this read and the write.
    """
    if based_on is None:
        return
    if stamp(session, based_on.editor, based_on.key).digest == based_on.digest:
        return
    named = _named(session, based_on)
    raise EditConflict(
        f"{named[:1].upper()}{named[1:]} changed after you opened the editor: "
        f"{latest_change(session, based_on.editor, based_on.key)}. Your edits were not "
        "saved: reload to see the other change, then make yours again."
    )


def _named(session: Reader, based_on: Stamp) -> str:
    """The rows a stamp is of, in words: "the parameters of Havering reablement
    (hav_reablement)"."""
    words = EDITORS[based_on.editor]
    if based_on.key is None:
        return words
    table, column = (
        ("places", "place_code")
        if based_on.editor == "destinations"
        else ("services", "service_id")
    )
    found = session.query(table)
    names = found.loc[found[column] == based_on.key, "name"]
    return f"{words} {names.iloc[0]} ({based_on.key})" if len(names) else f"{words} {based_on.key}"


def latest_change(session: Reader, editor: str, key: str | None = None) -> str:
    """Who last changed an editor's rows and when, in words, from the import log (imports
    and undos), the audit trail (demand settings) or the workforce log."""
    if editor in _IMPORT_QUERIES:
        query, parameter = _IMPORT_QUERIES[editor]
        keyed = {} if parameter is None else {parameter: key}
        ids = session.query(query, **keyed)["import_id"].dropna()
        found = session.query(
            "edit_latest_import_event", import_ids=[int(i) for i in ids], kind=editor
        )
        if found.empty:
            return "the change is not in the import log"
        row = found.iloc[0]
        what = f"import {int(row['import_id'])}, {row['file_name']}"
        if row["event"] == "undid":
            return f"{row['who']} undid {what} at {_when(row['happened_at'])}"
        return f"{row['who']} saved a change at {_when(row['happened_at'])} ({what})"
    if editor == "workforce":
        log = session.query("workforce_settings_log")
        if log.empty:
            return "no workforce assumption is saved now"
        row = log.iloc[0]
        where = "England" if pd.isna(row["place_code"]) else row["place_code"]
        return f"{row['saved_by']} saved the assumption for {where} at {_when(row['saved_at'])}"
    found = session.query("edit_latest_audit", kind=editor)
    if found.empty:
        return "the change is not in the audit trail"
    row = found.iloc[0]
    detail = str(row["detail"]).rstrip(".")
    return f"{row['user_name']} saved a change at {_when(row['changed_at'])} ({detail})"


def _when(moment: Any) -> str:
    """A time as a person reads it: 14:05 on 3 December 2026."""
    at = pd.Timestamp(moment)
    return f"{at:%H:%M} on {at.day} {at:%B %Y}"
