"""``snapshot save|list|rename|delete``: freeze a plan under a name, and find it again."""

from __future__ import annotations

import argparse
from typing import TextIO

from capacity import scenario_store
from capacity.commands import CommandError, place_code, user
from capacity.store import Store
from capacity.views import snapshots as snapshot_view

NAME = "snapshot"


def add_parser(commands, common: argparse.ArgumentParser, year_type) -> None:
    """Add ``snapshot`` and its actions to the command line."""
    snapshot = commands.add_parser(
        NAME, parents=[common], help="freeze a plan under a name; list, rename, delete them"
    )
    actions = snapshot.add_subparsers(dest="action", required=True, metavar="ACTION")
    save = actions.add_parser("save", parents=[common], help="freeze a place's plan for a year")
    save.add_argument("name", metavar="NAME", help="e.g. 'DIWG 12 November'")
    save.add_argument("--place", required=True, metavar="NAME_OR_CODE")
    save.add_argument("--year", required=True, type=year_type, metavar="YYYY")
    save.add_argument(
        "--scenario", metavar="NAME", help="a saved scenario, or preset:<id> (default: baseline)"
    )
    save.add_argument("--note", default="", metavar="TEXT", help="a line saying what it is for")
    listing = actions.add_parser("list", parents=[common], help="snapshots, newest first")
    listing.add_argument("--place", metavar="NAME_OR_CODE")
    rename = actions.add_parser("rename", parents=[common], help="give a snapshot another name")
    rename.add_argument("name", metavar="NAME")
    rename.add_argument("new_name", metavar="NEW_NAME")
    rename.add_argument("--place", metavar="NAME_OR_CODE")
    delete = actions.add_parser("delete", parents=[common], help="stop listing a snapshot")
    delete.add_argument("name", metavar="NAME")
    delete.add_argument("--place", metavar="NAME_OR_CODE")


def writes(args: argparse.Namespace) -> bool:
    """Every action but ``list`` changes the database."""
    return args.action != "list"


def run(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    """Run one snapshot action."""
    code = place_code(store, args.place) if args.place is not None else None
    if args.action == "save":
        assert code is not None  # --place is required for save
        scenario = scenario_store.resolve(store, args.scenario, args.year)
        taken = snapshot_view.take_snapshot(
            store,
            name=args.name,
            place_code=code,
            year=args.year,
            scenario=scenario,
            user=user(),
            origin="command",
            note=args.note,
        )
        print(snapshot_view.saved_sentence(taken), file=out)
        return 0
    if args.action == "list":
        return _list(store, code, out)
    found = snapshot_view.find_snapshot(store, args.name, code)
    if args.action == "rename":
        renamed = snapshot_view.rename_snapshot(
            store, found.snapshot_id, args.new_name, user=user()
        )
        print(f"Renamed {found.name!r} to {renamed.name!r} ({renamed.place}).", file=out)
        return 0
    if args.action == "delete":
        snapshot_view.delete_snapshot(store, found.snapshot_id, user=user())
        print(
            f"Deleted {found.name!r} ({found.place}); its figures are kept, so decisions "
            "made against it still read.",
            file=out,
        )
        return 0
    raise CommandError(f"Unknown snapshot action {args.action!r}.")


def _list(store: Store, code: str | None, out: TextIO) -> int:
    found = snapshot_view.snapshot_list(store, code)
    if found.empty:
        print("No snapshots yet.", file=out)
        return 0
    shown = snapshot_view.snapshot_table(found)
    shown = shown.assign(made=shown["made_at"].dt.strftime("%Y-%m-%d %H:%M"))
    columns = ["name", "place", "year", "scenario", "made", "made_by", "origin"]
    print(shown[columns].to_string(index=False), file=out)
    return 0
