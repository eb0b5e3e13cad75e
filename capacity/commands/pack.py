"""``pack``: the meeting pack of a place or system, as a PDF to circulate or a PowerPoint to
present, so it can be made on a schedule before each meeting."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from capacity import scenario_store
from capacity.cli import write_atomically
from capacity.commands import CommandError, place_code
from capacity.periods import planning_year_label
from capacity.store import Store
from capacity.views import snapshots as snapshot_view
from capacity.views.pack import (
    MAX_FLOW_SERVICES,
    PACK_FORMATS,
    PackError,
    build_pack,
    pack_bytes,
)

NAME = "pack"


def add_parser(commands, common: argparse.ArgumentParser, year_type) -> None:
    """Add ``pack`` to the command line."""
    pack = commands.add_parser(
        NAME,
        parents=[common],
        help="write the meeting pack of a place or system: FILE.pdf or FILE.pptx",
        description="The output file's extension picks the format: "
        + "; ".join(f".{fmt} {what}" for fmt, what in PACK_FORMATS.items())
        + ".",
    )
    pack.add_argument("--place", required=True, metavar="NAME_OR_CODE")
    pack.add_argument("--year", required=True, type=year_type, metavar="YYYY")
    pack.add_argument(
        "--scenario", metavar="NAME", help="a saved scenario, or preset:<id> (default: baseline)"
    )
    pack.add_argument(
        "--snapshot",
        metavar="NAME",
        help="a snapshot of the place: its figures and scenario, as they were when taken",
    )
    pack.add_argument(
        "--service",
        action="append",
        default=[],
        metavar="ID_OR_NAME",
        help=f"a service for the flow summary (repeat, at most {MAX_FLOW_SERVICES}; default: "
        "those with the largest winter shortfall)",
    )
    pack.add_argument("--out", required=True, type=Path, metavar="FILE.pdf|FILE.pptx")


def writes(args: argparse.Namespace) -> bool:
    """A pack only reads."""
    return False


def pack_format(path: Path) -> str:
    """'pdf' or 'pptx' from the output file's name; CommandError for anything else."""
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in PACK_FORMATS:
        raise CommandError(
            f"Cannot tell what to write from the file name {str(path)!r}: end it in .pdf or "
            ".pptx. Nothing was written."
        )
    return fmt


def run(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    """Build the pack and write it, all or nothing."""
    fmt = pack_format(args.out)
    if not args.out.parent.is_dir():
        raise CommandError(
            f"The folder {str(args.out.parent)!r} does not exist. Nothing was written."
        )
    code = place_code(store, args.place)
    snapshot = snapshot_view.find_snapshot(store, args.snapshot, code) if args.snapshot else None
    if snapshot is not None and args.scenario:
        raise CommandError("A snapshot keeps its own scenario: give --snapshot or --scenario.")
    scenario = None if snapshot else scenario_store.resolve(store, args.scenario, args.year)

    def progress(fraction: float, text: str) -> None:
        # Only to a person watching: a scheduled run's stderr stays for errors.
        if sys.stderr.isatty():
            print(f"{fraction:4.0%} {text}", file=sys.stderr)

    try:
        pack = build_pack(
            store, code, args.year, scenario, snapshot, progress, services=args.service
        )
        data = pack_bytes(pack, fmt)
    except PackError as exc:
        raise CommandError(str(exc)) from None
    write_atomically(args.out, data)
    print(
        f"Wrote {args.out} ({PACK_FORMATS[fmt]}, {len(data):,} bytes, "
        f"{len(pack.sections)} sections): {pack.title}, {planning_year_label(args.year)}, "
        f"scenario {pack.scenario_label}.",
        file=out,
    )
    return 0
