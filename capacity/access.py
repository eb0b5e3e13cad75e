"""Who may change what: the signed-in user, their role, and the places they may edit.

Three roles, from least to most:

- **viewer**: every page, no change;
- **editor**: imports, parameters, services, shares, demand settings, scenarios, snapshots,
  decisions and workforce settings, for the places (or systems, meaning each of their
  places) granted;
- **admin**: everything, for every place, including undoing another person's load and
  changing roles.

Roles come from a small TOML file (``CAPACITY_ROLES``, else ``.streamlit/roles.toml``) and,
on top of it, from the grants an admin makes in the app (kept in the store). A laptop with
no sign-in configured has one local user with every right; so has the command line, which
runs as whoever can open the database file.

The functions that change data take a :class:`User` and call :func:`require_edit` or
:func:`require_admin` themselves, so a page that forgot to hide a button still cannot
change what the user may not.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from capacity import config

VIEWER = "viewer"
EDITOR = "editor"
ADMIN = "admin"
ROLES = (VIEWER, EDITOR, ADMIN)
ROLE_LABELS = {
    VIEWER: "Viewer: every page, no change",
    EDITOR: "Editor: changes for the places granted",
    ADMIN: "Admin: every change, every place, undo and roles",
}

EVERY_PLACE = "*"
ROLES_ENV = "CAPACITY_ROLES"
DEFAULT_ROLES_FILE = config.PROJECT_ROOT / ".streamlit" / "roles.toml"


class AccessDenied(PermissionError):
    """A change the user's role or places do not allow; the message says which."""


class RolesFileError(ValueError):
    """The roles file cannot be read as it stands; the message names the entry."""


@dataclass(frozen=True)
class User:
    """A person making changes: name and e-mail as signed in, role, and places granted.

    ``places`` holds place or system codes; ``*`` means every place. ``signed_in`` is
    False for the local user of a laptop without sign-in and for the command line.
    """

    name: str
    email: str
    role: str
    places: frozenset[str] = field(default_factory=frozenset)
    signed_in: bool = False

    @property
    def label(self) -> str:
        """The name and e-mail as a change records them: ``Ann Lee (ann@x.gov.uk)``.

        Round brackets, not angle ones: messages are drawn as Markdown, where an address in
        angle brackets becomes a bare link and the brackets vanish."""
        return person_label(self.name, self.email)

    @property
    def is_admin(self) -> bool:
        """Whether the user has every right."""
        return self.role == ADMIN

    @property
    def can_edit_something(self) -> bool:
        """Whether the user may change anything at all (an editor or an admin)."""
        return self.role == ADMIN or (self.role == EDITOR and bool(self.places))

    def all_places(self) -> bool:
        """Whether the user may edit every place (an admin, or an editor granted ``*``)."""
        return self.role == ADMIN or (self.role == EDITOR and EVERY_PLACE in self.places)


def person_label(name: str, email: str) -> str:
    """A person as changes and lists name them: ``Ann Lee (ann@x.gov.uk)``, or whichever of
    the name and e-mail there is."""
    if email and name and name != email:
        return f"{name} ({email})"
    return email or name


def local_user(name: str | None = None) -> User:
    """The one user of a laptop without sign-in, or of the command line: every right."""
    who = name or config.os_user()
    return User(name=who, email="", role=ADMIN, places=frozenset({EVERY_PLACE}))


def editable(user: User, members: Iterable[tuple[str, str]] = ()) -> frozenset[str] | None:
    """The place codes ``user`` may edit (None: every place).

    ``members`` are (system_code, place_code) pairs, as :func:`capacity.model.system_members`
    gives them, so a grant of a system covers each of its places (and the system itself).
    """
    if user.all_places():
        return None
    if user.role != EDITOR:
        return frozenset()
    granted = set(user.places)
    for system, place in members:
        if system in user.places:
            granted.add(place)
    return frozenset(granted)


def require_edit(
    user: User,
    place_codes: Iterable[str],
    members: Iterable[tuple[str, str]] = (),
    names: Mapping[str, str] | None = None,
) -> None:
    """Raise AccessDenied unless ``user`` may change every one of ``place_codes``.

    An empty ``place_codes`` means a change not tied to one place (a scenario for every
    place, a SitRep of every trust): only an admin or an editor of every place may make it.
    ``names`` (code → name) lets the refusal name places as people know them.
    """
    if user.role == VIEWER or user.role not in ROLES:
        raise AccessDenied(f"{user.label or 'This user'} can view but not change anything.")
    allowed = editable(user, members)
    if allowed is None:
        return
    wanted = sorted(set(place_codes))
    if not wanted:
        raise AccessDenied(
            f"{user.label} may change only their own places "
            f"({_named(user.places, names) or 'none'}); this change covers every place."
        )
    refused = [code for code in wanted if code not in allowed]
    if refused:
        raise AccessDenied(
            f"{user.label} may not change {_named(refused, names)}: "
            f"their role covers {_named(user.places, names) or 'no place'}."
        )


def _named(codes: Iterable[str], names: Mapping[str, str] | None) -> str:
    """Place codes as a refusal lists them: "Thurrock (E06000034)" where the name is known."""
    known = names or {}
    return ", ".join(
        f"{known[code]} ({code})" if known.get(code) else code for code in sorted(codes)
    )


def require_admin(user: User, what: str) -> None:
    """Raise AccessDenied unless ``user`` is an admin; ``what`` names the change refused."""
    if not user.is_admin:
        raise AccessDenied(f"Only an admin may {what}; {user.label} is {user.role}.")


# -- the roles file --------------------------------------------------------------


@dataclass(frozen=True)
class Grant:
    """One person's role and places, from the roles file or an admin's change in the app."""

    email: str
    role: str
    places: frozenset[str]
    source: str  # 'file' or 'app'


@dataclass(frozen=True)
class Roles:
    """The roles configuration: the role of anyone not listed, and each person's grant."""

    default_role: str = VIEWER
    grants: Mapping[str, Grant] = field(default_factory=dict)

    def user(self, name: str, email: str) -> User:
        """The signed-in person as a User, with their grant (or the default role)."""
        key = email.strip().lower()
        grant = self.grants.get(key)
        role = grant.role if grant else self.default_role
        places = grant.places if grant else frozenset()
        return User(name=name or email, email=email, role=role, places=places, signed_in=True)

    def with_grants(self, grants: Iterable[Grant]) -> Roles:
        """These roles with ``grants`` (an admin's changes in the app) replacing the file's."""
        merged = dict(self.grants)
        for grant in grants:
            merged[grant.email.strip().lower()] = grant
        return Roles(self.default_role, merged)


def roles_path() -> Path:
    """The roles file: ``$CAPACITY_ROLES``, else ``.streamlit/roles.toml``."""
    from_env = os.environ.get(ROLES_ENV, "").strip()
    return Path(from_env).expanduser() if from_env else DEFAULT_ROLES_FILE


def check_grant(email: str, role: str, places: Iterable[str], source: str) -> Grant:
    """A grant checked: an e-mail with an @, a known role, place codes as text."""
    address = str(email).strip().lower()
    if "@" not in address or len(address) > 320 or any(c.isspace() for c in address):
        raise RolesFileError(f"{email!r} is not an e-mail address")
    if role not in ROLES:
        raise RolesFileError(f"{address}: role {role!r} is not one of {', '.join(ROLES)}")
    codes = frozenset(str(code).strip() for code in places if str(code).strip())
    if role == EDITOR and not codes:
        raise RolesFileError(f'{address}: an editor needs places (codes, or "*" for every place)')
    return Grant(address, role, codes, source)


def read_roles(path: Path | None = None) -> Roles:
    """Read the roles file; no file means everyone who signs in is a viewer.

    The file::

        default_role = "viewer"          # anyone who signs in and is not listed

        [[user]]
        email = "lead@havering.gov.uk"
        role = "editor"
        places = ["E09000016"]           # place or system codes; "*" is every place

    Raises RolesFileError naming the entry that is wrong.
    """
    path = path or roles_path()
    if not path.exists():
        return Roles()
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RolesFileError(f"The roles file {path} is not valid TOML: {exc}") from exc
    default_role = data.get("default_role", VIEWER)
    if default_role not in (VIEWER, EDITOR):
        raise RolesFileError(
            f"The roles file {path}: default_role must be viewer or editor, not {default_role!r}"
        )
    entries = data.get("user", [])
    if not isinstance(entries, list):
        raise RolesFileError(f"The roles file {path}: [[user]] entries expected")
    grants: dict[str, Grant] = {}
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise RolesFileError(f"The roles file {path}: user entry {number} is not a table")
        places = entry.get("places", [])
        if isinstance(places, str):
            places = [places]
        try:
            grant = check_grant(entry.get("email", ""), entry.get("role", ""), places, "file")
        except RolesFileError as exc:
            raise RolesFileError(f"The roles file {path}, user entry {number}: {exc}") from None
        if grant.email in grants:
            raise RolesFileError(f"The roles file {path}: {grant.email} is listed twice")
        grants[grant.email] = grant
    return Roles(default_role, grants)
