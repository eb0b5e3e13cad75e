"""Sub-commands of ``python -m capacity`` kept in their own modules (the meeting's commands).

Each module here has ``NAME`` (the sub-command), ``add_parser(commands, common)``,
``writes(args) -> bool`` (whether it needs the database open for writing) and
``run(store, args, out) -> int``. A problem for the user is raised as
:class:`CommandError` (or the domain's own error), printed by :func:`capacity.cli.main`
on stderr with exit status 1.
"""

from __future__ import annotations

from capacity.access import User, local_user
from capacity.store import Store
from capacity.views import places


class CommandError(Exception):
    """A problem to report to the user, without a traceback."""


def user() -> User:
    """Who runs the command: the operating-system user, with every right (whoever can open
    the database file can change it; the audit trail names them)."""
    return local_user()


def place_code(store: Store, text: str) -> str:
    """The code of the place or system a command names by name or code; PlanError, with the
    places to choose from, when it names none known."""
    return str(places.resolve(places.all_places(store), text)["place_code"])


def modules() -> tuple:
    """The sub-command modules, in the order ``--help`` lists them."""
    from capacity.commands import (
        activity,
        aggregate,
        changes,
        decision,
        pack,
        role,
        snapshot,
        workforce,
    )

    return (snapshot, changes, decision, workforce, pack, role, activity, aggregate)
