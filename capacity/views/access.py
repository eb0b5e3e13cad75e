"""Who the signed-in person is allowed to be, and the roles an admin gives in the app.

A signed-in person's role comes from the roles file (``capacity.access.read_roles``) with
the admins' grants kept in the store (``role_grants``) on top: a grant made in the app
replaces the file's entry for the same e-mail. This module reads those grants, merges
them with the file, lists everyone for the *People and roles* page and the ``role``
command, and records a new grant (admins only, checked here as well as on the page).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from capacity import access, audit
from capacity.access import EVERY_PLACE, Grant, Roles, RolesFileError, User
from capacity.views._db import Database, reading, writing
from capacity.views.places import all_places

__all__ = [
    "GrantError",
    "PEOPLE_COLUMNS",
    "app_grants",
    "describe",
    "grant_role",
    "people",
    "role_grants",
    "signed_in_user",
]

PEOPLE_COLUMNS = ["email", "role", "places", "source", "granted_by", "granted_at"]
SOURCE_WORDS = {"file": "roles file", "app": "the app"}


class GrantError(ValueError):
    """A grant that cannot be made as given; the message says why."""


def role_grants(db: Database) -> pd.DataFrame:
    """The grants admins have made in the app: email, role, places (comma-separated),
    granted_by, granted_at; one row per e-mail."""
    with reading(db) as store:
        return store.query("role_grants")


def app_grants(grants: pd.DataFrame) -> list[Grant]:
    """The app's grants (as :func:`role_grants` reads them) as :class:`Grant` values."""
    return [_grant_of(row) for row in grants.itertuples(index=False)]


def _grant_of(row) -> Grant:
    places = frozenset(code for code in str(row.places).split(",") if code)
    return Grant(str(row.email).strip().lower(), str(row.role), places, "app")


def signed_in_user(roles: Roles, grants: pd.DataFrame, name: str, email: str) -> User:
    """The signed-in person as a User: their grant in the app, else in the roles file, else
    the file's default role. A person whose provider gave no e-mail is a viewer: without an
    address no grant can be theirs, and a default of editor must not reach them."""
    merged = roles.with_grants(app_grants(grants))
    if not email.strip():
        return User(name=name or "Signed-in user", email="", role=access.VIEWER, signed_in=True)
    return merged.user(name, email.strip())


def describe(user: User, place_names: Mapping[str, str]) -> str:
    """The person and what they may do, in one line: ``Ann Lee · editor of Havering``."""
    who = user.name or user.email
    if user.role == access.EDITOR:
        if EVERY_PLACE in user.places:
            return f"{who} · editor of every place"
        names = sorted(place_names.get(code, code) for code in user.places)
        return f"{who} · editor of {', '.join(names)}"
    return f"{who} · {user.role}"


def people(roles: Roles, grants: pd.DataFrame) -> pd.DataFrame:
    """Everyone with a role: the file's entries and the app's grants, one row a person.

    A grant in the app replaces the file's entry, so the row shows the grant in force and
    where it comes from; ``granted_by``/``granted_at`` are empty for the file's entries.
    """
    rows: dict[str, dict] = {}
    for grant in roles.grants.values():
        rows[grant.email] = _row(grant, "", None)
    for row in grants.itertuples(index=False):
        grant = _grant_of(row)
        rows[grant.email] = _row(grant, str(row.granted_by), row.granted_at)
    frame = pd.DataFrame(list(rows.values()), columns=PEOPLE_COLUMNS)
    # A date column even when only the file's entries (no date) are listed.
    frame["granted_at"] = pd.to_datetime(frame["granted_at"])
    return frame.sort_values("email", ignore_index=True)


def _row(grant: Grant, granted_by: str, granted_at) -> dict:
    return {
        "email": grant.email,
        "role": grant.role,
        "places": ", ".join(sorted(grant.places)),
        "source": SOURCE_WORDS[grant.source],
        "granted_by": granted_by,
        "granted_at": granted_at,
    }


@dataclass(frozen=True)
class _Checked:
    grant: Grant
    detail: str


def _check(email: str, role: str, places: Iterable[str], known: set[str]) -> _Checked:
    """The grant as given, checked: an address, a role, and places the store knows."""
    try:
        grant = access.check_grant(email, role, places, "app")
    except RolesFileError as exc:
        raise GrantError(str(exc)) from None
    if role != access.EDITOR:
        # A viewer has no places and an admin has every place: places given are ignored
        # rather than kept, so the list never says more than the role allows.
        grant = Grant(grant.email, grant.role, frozenset(), "app")
    unknown = sorted(code for code in grant.places if code != EVERY_PLACE and code not in known)
    if unknown:
        raise GrantError(
            f"{grant.email}: {', '.join(unknown)} is not a place or system code in this database"
        )
    if EVERY_PLACE in grant.places and len(grant.places) > 1:
        grant = Grant(grant.email, grant.role, frozenset({EVERY_PLACE}), "app")
    where = ", ".join(sorted(grant.places)) if grant.places else ""
    detail = f"{grant.role} of {where}" if where else grant.role
    return _Checked(grant, detail)


def grant_role(db: Database, admin: User, email: str, role: str, places: Iterable[str]) -> Grant:
    """Give ``email`` a role (and, for an editor, places) in the app, as ``admin``.

    Refused with AccessDenied unless ``admin`` is an admin, and with GrantError for a bad
    address, role or place, or for an admin changing their own role (the last admin could
    otherwise lock everyone out; another admin, or the roles file, can change it). The
    grant and its audit entry are written in one transaction.
    """
    access.require_admin(admin, "change roles")
    codes = list(places)
    with writing(db) as store:
        known = set(all_places(store)["place_code"])
        checked = _check(email, role, codes, known)
        grant = checked.grant
        if admin.email and grant.email == admin.email.strip().lower():
            raise GrantError(
                "You cannot change your own role: ask another admin, or edit the roles file."
            )
        with store.transaction() as tx:
            tx.execute(
                "role_grant_set",
                email=grant.email,
                role=grant.role,
                places=",".join(sorted(grant.places)),
                granted_by=admin.label,
            )
            audit.record(tx, admin, "role", subject=grant.email, detail=checked.detail)
    return grant
