"""``workforce``: show or set the hours a week of a full-time post and the productive share.

With no values it shows the assumptions in force (England's and each place's own, or one
place's); with ``--hours-per-week``, ``--productive-share`` and ``--source`` together it
saves them for ``--place`` (or, without it, for England), refusing bad values with the
reason and storing nothing.
"""

from __future__ import annotations

import argparse
from typing import TextIO

from capacity.commands import CommandError, place_code, user
from capacity.store import Store
from capacity.views import places
from capacity.views import workforce as workforce_view
from capacity.workforce import WEEKS_PER_YEAR, Assumption

NAME = "workforce"
VALUES = ("hours_per_week", "productive_share", "source")


def add_parser(commands, common: argparse.ArgumentParser, year_type) -> None:
    """Add ``workforce`` to the command line."""
    parser = commands.add_parser(
        NAME,
        parents=[common],
        help="show or set the hours of a full-time post and the share spent with people",
        description="Show the workforce assumptions that turn a gap in care hours into "
        "full-time-equivalent staff, or set them (all three values together) for a place "
        "or, without --place, for England.",
    )
    parser.add_argument("--place", metavar="NAME_OR_CODE", help="a place or system (else England)")
    parser.add_argument(
        "--hours-per-week",
        type=float,
        metavar="H",
        help="contracted hours of a full-time post a week (more than 0, at most 60)",
    )
    parser.add_argument(
        "--productive-share",
        type=float,
        metavar="S",
        help="share of paid hours spent with people (more than 0, at most 1), such as 0.75",
    )
    parser.add_argument("--source", metavar="TEXT", help="where the figures come from")


def writes(args: argparse.Namespace) -> bool:
    """Setting values writes; showing them only reads."""
    return any(getattr(args, name) is not None for name in VALUES)


def run(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    """Show the assumptions, or save the ones given."""
    given = [name for name in VALUES if getattr(args, name) is not None]
    if given and len(given) < len(VALUES):
        missing = ", ".join("--" + n.replace("_", "-") for n in VALUES if n not in given)
        raise CommandError(f"Give {missing} too: the three values are set together. Nothing saved.")
    if given:
        saved = workforce_view.save_assumption(
            store,
            place=args.place,
            hours_per_week=args.hours_per_week,
            productive_share=args.productive_share,
            source_note=args.source,
            user=user(),
        )
        where = "England" if saved.place_code is None else _name(store, saved.place_code)
        print(f"Saved for {where}: {_line(saved)}", file=out)
        return 0
    assumptions = workforce_view.load_assumptions(store)
    if args.place is None:
        table = workforce_view.assumption_rows(assumptions, places.all_places(store))
        for row in table.itertuples(index=False):
            print(
                f"{row.applies_to}: {_figures(row.hours_per_week, row.productive_share)}", file=out
            )
            print(f"  source: {row.source_note}", file=out)
            who = f"set by {row.saved_by} on {row.saved_at}" if row.saved_at else row.saved_by
            print(f"  {who}", file=out)
        return 0
    code = place_code(store, args.place)
    used = assumptions.for_place(code)
    whose = "its own" if used.place_code == code else "England's (it has none of its own)"
    print(f"{_name(store, code)} uses {whose}: {_line(used)}", file=out)
    return 0


def _name(store: Store, code: str) -> str:
    found = places.all_places(store)
    return str(found.loc[found["place_code"] == code, "name"].iloc[0])


def _figures(hours_per_week: float, share: float) -> str:
    per_month = hours_per_week * WEEKS_PER_YEAR / 12
    return (
        f"{hours_per_week:g} hours a week × {WEEKS_PER_YEAR} weeks ÷ 12 = {per_month:,.1f} "
        f"hours a month per FTE, {share:.0%} of them with people"
    )


def _line(assumption: Assumption) -> str:
    return (
        f"{_figures(assumption.hours_per_week, assumption.productive_share)}; "
        f"source: {assumption.source_note}"
    )
