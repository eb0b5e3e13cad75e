"""``activity``: the audit trail, who changed what and when, for a place or everywhere."""

from __future__ import annotations

import argparse
from typing import TextIO

from capacity.commands import CommandError, place_code
from capacity.store import Store
from capacity.views.activity import ActivityError, ActivityFilter, activity, activity_csv, parse_day

NAME = "activity"


def add_parser(commands, common: argparse.ArgumentParser, year_type) -> None:
    """Add ``activity`` to the command line."""
    found = commands.add_parser(
        NAME,
        parents=[common],
        help="the audit trail: every change, who made it and when (newest first)",
    )
    found.add_argument(
        "--place",
        metavar="NAME_OR_CODE",
        help="one place's changes and those not tied to one place (default: every change)",
    )
    found.add_argument("--person", metavar="NAME_OR_EMAIL", help="one person's changes")
    found.add_argument("--since", metavar="YYYY-MM-DD", help="from this day")
    found.add_argument("--until", metavar="YYYY-MM-DD", help="to this day, included")
    found.add_argument("--format", choices=("table", "csv"), default="table")


def writes(args: argparse.Namespace) -> bool:
    """Reading only."""
    return False


def run(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    """Print the trail as a table, or as CSV (formula-like text escaped)."""
    try:
        chosen = ActivityFilter(
            place_code=place_code(store, args.place) if args.place else None,
            person=args.person,
            since=parse_day(args.since, "--since"),
            until=parse_day(args.until, "--until"),
        )
    except ActivityError as exc:
        raise CommandError(str(exc)) from None
    frame = activity(store, chosen)
    if args.format == "csv":
        out.write(activity_csv(frame).decode("utf-8"))
        return 0
    if frame.empty:
        print("No change matches.", file=out)
        return 0
    shown = frame.assign(
        changed_at=frame["changed_at"].dt.strftime("%Y-%m-%d %H:%M"),
        detail=frame["detail"].str.slice(0, 120),
    )
    print(shown.to_string(index=False), file=out)
    return 0
