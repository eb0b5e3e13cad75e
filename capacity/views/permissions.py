"""Who may make a change: the check every writer in the application layer makes first,
and what a page asks to decide which controls to show.

A change is for some places (a place's counts, a snapshot of a system) or for every
place (a SitRep, a scenario that names no place, the workspace). The rules are
:mod:`capacity.access`'s; this module supplies the systems and their places from the
store, so a grant of a system covers each of its places.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from capacity import access
from capacity.access import AccessDenied, User
from capacity.model import system_members
from capacity.store import Store, _Session
from capacity.views._db import Database, reading

__all__ = [
    "AccessDenied",
    "User",
    "can_change",
    "members",
    "one_place",
    "places_words",
    "refusal",
    "require",
    "require_admin",
    "require_some",
    "viewer_note",
]


def members(places: pd.DataFrame) -> list[tuple[str, str]]:
    """Every (system, place) pair of the places table, so a system's grant covers its places."""
    pairs = system_members(places)
    return list(zip(pairs["system_code"], pairs["place_code"], strict=True))


def require(store: Store | _Session, user: User, places: Iterable[str] | None) -> None:
    """Raise AccessDenied unless ``user`` may change ``places`` (None: every place);
    a viewer is refused whatever the places."""
    wanted = () if places is None else tuple(places)
    if user.all_places():
        access.require_edit(user, wanted)
        return
    known = store.query("places")
    names = dict(zip(known["place_code"], known["name"], strict=True))
    access.require_edit(user, wanted, members(known), names)


def require_some(user: User) -> None:
    """Raise AccessDenied unless ``user`` may change something (a viewer may not), before
    anything is read: a change's places are checked once they are known."""
    if not user.can_edit_something:
        access.require_edit(user, ())


def require_admin(user: User, what: str) -> None:
    """Raise AccessDenied unless ``user`` is an admin (``what`` names the change)."""
    access.require_admin(user, what)


def refusal(db: Database, user: User, places: Iterable[str] | None) -> str | None:
    """Why ``user`` may not change ``places`` (None: every place), or None when they may."""
    if user.all_places():
        return None
    if not user.can_edit_something:
        return viewer_note(user)
    with reading(db) as store:
        try:
            require(store, user, places)
        except AccessDenied as exc:
            return str(exc)
    return None


def can_change(db: Database, user: User, places: Iterable[str] | None) -> bool:
    """Whether ``user`` may change ``places`` (None: every place)."""
    return refusal(db, user, places) is None


def viewer_note(user: User) -> str | None:
    """The one line a page shows a person who may change nothing (None for anyone else)."""
    if user.can_edit_something:
        return None
    who = user.label or "You"
    if user.role == access.EDITOR:
        why = "is an editor with no places granted"
    else:
        why = f"has the {user.role} role"
    return (
        f"You can view every page but not change anything: {who} {why}. "
        "An admin can grant you places to edit."
    )


def one_place(places: Iterable[str] | None) -> str | None:
    """The place an audit entry is filed under: the one place a change touches, else None
    (a change of several places, or of every place, shows under each of them)."""
    if places is None:
        return None
    codes = sorted(set(places))
    return codes[0] if len(codes) == 1 else None


def places_words(places: Iterable[str] | None) -> str:
    """Places in an audit entry's words: 'every place', or the codes."""
    if places is None:
        return "every place"
    codes = sorted(set(places))
    return ", ".join(codes) if codes else "no place"
