"""``changes``: what changed between two snapshots of a place, each change with its cause."""

from __future__ import annotations

import argparse
from typing import TextIO

from capacity.commands import place_code
from capacity.periods import month_label
from capacity.store import Store
from capacity.views.changes import Changes, changes_between

NAME = "changes"


def add_parser(commands, common: argparse.ArgumentParser, year_type) -> None:
    """Add ``changes`` to the command line."""
    changes = commands.add_parser(
        NAME,
        parents=[common],
        help="what changed between two snapshots of a place (default: its last two)",
    )
    changes.add_argument("--place", required=True, metavar="NAME_OR_CODE")
    changes.add_argument("--from", dest="from_name", metavar="SNAPSHOT", help="the earlier one")
    changes.add_argument("--to", dest="to_name", metavar="SNAPSHOT", help="the later one")


def writes(args: argparse.Namespace) -> bool:
    """Reading only."""
    return False


def run(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    """Print what changed, the input changes first and then the plan's change by month."""
    code = place_code(store, args.place)
    found = changes_between(store, code, args.from_name, args.to_name)
    print(_heading(found), file=out)
    if not found.items:
        print("Nothing changed.", file=out)
        return 0
    for item in found.items:
        print(f"- [{item.kind}] {item.sentence}", file=out)
    moved = found.moved()
    if len(moved):
        print("\nThe plan's change (people a month, rounded for reading):", file=out)
        print(_table(moved), file=out)
    return 0


def _heading(found: Changes) -> str:
    earlier, later = found.earlier, found.later
    return (
        f"What changed in {later.place} from {earlier.name!r} ({earlier.made_at:%-d %b %Y}) "
        f"to {later.name!r} ({later.made_at:%-d %b %Y}):"
    )


def _table(moved) -> str:
    shown = moved.assign(month=moved["month"].map(month_label))
    columns = {
        "place": "place",
        "service_type_name": "service type",
        "month": "month",
        "demand_change": "demand ±",
        "capacity_before": "capacity before",
        "capacity_after": "capacity after",
        "gap_before": "gap before",
        "gap_after": "gap after",
        "gap_change": "gap ±",
    }
    shown = shown[list(columns)].rename(columns=columns)
    return shown.to_string(index=False, float_format=lambda v: f"{v:,.1f}")
