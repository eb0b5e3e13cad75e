"""``role list|set``: who has which role, and give someone a role, from the command line.

``list`` shows everyone the roles file names and everyone an admin has given a role in
the app (the app's grant replaces the file's entry). ``set EMAIL ROLE [--places …]``
gives a role as an admin would on the *People and roles* page; the command line runs
with every right (whoever can open the database file), and the change is recorded in
the audit trail under the operating-system user.
"""

from __future__ import annotations

import argparse
from typing import TextIO

from capacity import access
from capacity.commands import CommandError, user
from capacity.store import Store
from capacity.views import access as access_view

NAME = "role"


def add_parser(commands, common: argparse.ArgumentParser, year_type) -> None:
    """Add ``role`` and its actions to the command line."""
    role = commands.add_parser(
        NAME, parents=[common], help="list who has which role; give someone a role"
    )
    actions = role.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", parents=[common], help="everyone with a role, and where from")
    grant = actions.add_parser("set", parents=[common], help="give someone a role")
    grant.add_argument("email", metavar="EMAIL")
    grant.add_argument("role", metavar="ROLE", help=", ".join(access.ROLES))
    grant.add_argument(
        "--places",
        nargs="+",
        default=[],
        metavar="CODE",
        help='an editor\'s place or system codes; "*" (quoted) for every place',
    )


def writes(args: argparse.Namespace) -> bool:
    """Setting a role writes; listing only reads."""
    return args.action == "set"


def _roles() -> access.Roles:
    try:
        return access.read_roles()
    except access.RolesFileError as exc:
        raise CommandError(str(exc)) from None


def run(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    """List the roles, or give one."""
    if args.action == "set":
        try:
            grant = access_view.grant_role(store, user(), args.email, args.role, args.places)
        except (access_view.GrantError, access.AccessDenied) as exc:
            raise CommandError(f"{exc}. Nothing saved.") from None
        where = f" of {', '.join(sorted(grant.places))}" if grant.places else ""
        print(f"{grant.email} is now {grant.role}{where}.", file=out)
        return 0
    roles = _roles()
    print(f"Anyone not listed who signs in: {roles.default_role}", file=out)
    listed = access_view.people(roles, access_view.role_grants(store))
    for row in listed.itertuples(index=False):
        where = f" of {row.places}" if row.places else ""
        given = f", given by {row.granted_by}" if row.granted_by else ""
        print(f"{row.email}: {row.role}{where} (from {row.source}{given})", file=out)
    return 0
