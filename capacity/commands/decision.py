"""``decision add|list|set``: record what a meeting decided, list open actions, close them.

A decision is recorded against a snapshot (``--snapshot NAME``) or a saved scenario's
version (``--scenario NAME [--version N]``, its current version by default) and is
for a place or system (``--place``: a snapshot's own place by default). Who records it
or changes its status is the operating-system user.
"""

from __future__ import annotations

import argparse
from typing import TextIO

from capacity import config
from capacity.commands import CommandError, place_code, user
from capacity.store import Store
from capacity.views import decisions as decision_view

NAME = "decision"


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number from 1 up")
    return value


def add_parser(commands, common: argparse.ArgumentParser, year_type) -> None:
    """Add ``decision`` and its actions to the command line."""
    decision = commands.add_parser(
        NAME, parents=[common], help="record a meeting's decisions; list open actions"
    )
    actions = decision.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser(
        "add", parents=[common], help="record a decision against a snapshot or scenario version"
    )
    against = add.add_mutually_exclusive_group(required=True)
    against.add_argument("--snapshot", metavar="NAME", help="the snapshot the meeting saw")
    against.add_argument("--scenario", metavar="NAME", help="a saved scenario (needs --place)")
    add.add_argument(
        "--version", type=_positive, metavar="N", help="with --scenario (default: current)"
    )
    add.add_argument("--place", metavar="NAME_OR_CODE", help="the place or system it is for")
    add.add_argument("--text", required=True, metavar="TEXT", help="what was decided")
    add.add_argument("--owner", default="", metavar="NAME", help="who is to act on it")
    add.add_argument("--due", default=None, metavar="YYYY-MM-DD", help="when it is due")
    listing = actions.add_parser(
        "list", parents=[common], help="decisions, newest first (--open: open actions)"
    )
    listing.add_argument("--place", metavar="NAME_OR_CODE")
    listing.add_argument(
        "--open",
        dest="open_only",
        action="store_true",
        help="only open actions: open decisions with an owner or a due date",
    )
    listing.add_argument(
        "--format",
        choices=("text", "csv"),
        default="text",
        help="csv: one row a decision (a formula-like text starts with an apostrophe)",
    )
    change = actions.add_parser("set", parents=[common], help="mark a decision done or dropped")
    change.add_argument("decision_id", type=_positive, metavar="ID")
    change.add_argument("--status", required=True, choices=decision_view.STATUSES)


def writes(args: argparse.Namespace) -> bool:
    """Every action but ``list`` changes the database."""
    return args.action != "list"


def run(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    """Run one decision action."""
    named = getattr(args, "place", None)
    code = place_code(store, named) if named is not None else None
    if args.action == "add":
        return _add(store, args, code, out)
    if args.action == "list":
        return _list(store, code, args.open_only, out, args.format)
    if args.action == "set":
        changed = decision_view.set_decision_status(
            store, args.decision_id, args.status, user=user()
        )
        print(f"Decision {changed.decision_id} is now {changed.status}.", file=out)
        return 0
    raise CommandError(f"Unknown decision action {args.action!r}.")


def _add(store: Store, args: argparse.Namespace, code: str | None, out: TextIO) -> int:
    if args.version is not None and args.scenario is None:
        raise CommandError("--version goes with --scenario NAME.")
    snapshot_id = None
    if args.snapshot is not None:
        snapshot_id = decision_view.find_snapshot_for(store, args.snapshot, code).snapshot_id
    elif code is None:
        raise CommandError("A decision against a scenario needs --place: the place it is for.")
    made = decision_view.record_decision(
        store,
        place_code=code,
        text=args.text,
        user=user(),
        snapshot_id=snapshot_id,
        scenario_name=args.scenario,
        scenario_version=args.version,
        owner=args.owner,
        due=args.due,
    )
    print(
        f"Recorded decision {made.decision_id} for {made.place}, against {made.against}.", file=out
    )
    return 0


def _list(store: Store, code: str | None, open_only: bool, out: TextIO, fmt: str = "text") -> int:
    if code is None:
        found = decision_view.all_decisions(store, open_only=open_only)
    elif open_only:
        found = decision_view.open_actions(store, [code])
    else:
        found = decision_view.place_decisions(store, code)
    if not found:
        print("No open actions." if open_only else "No decisions yet.", file=out)
        return 0
    today = config.today()
    if fmt == "csv":
        out.write(decision_view.decisions_csv(found, today).decode("utf-8"))
        return 0
    for decision in found:
        print(_lines(decision, today), file=out)
    return 0


def _lines(decision: decision_view.Decision, today) -> str:
    """One decision as a few lines: its number, status and place; the text as stored,
    indented line by line; what it is against and who made it."""
    head = [f"#{decision.decision_id} {decision.status}", decision.place]
    if decision.owner:
        head.append(f"owner {decision.owner}")
    if decision.due_date is not None:
        overdue = " (overdue)" if decision.overdue(today) else ""
        head.append(f"due {decision.due_date:%Y-%m-%d}{overdue}")
    text = "\n".join(f"    {line}" for line in decision.text.splitlines())
    made = f"made by {decision.made_by} on {decision.made_at:%Y-%m-%d %H:%M}"
    if decision.status != "open":
        made += f"; {decision.status} by {decision.status_by} on {decision.status_at:%Y-%m-%d}"
    return f"{' · '.join(head)}\n{text}\n    against {decision.against}; {made}"
