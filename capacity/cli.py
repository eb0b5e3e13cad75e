"""Command line: ``python -m capacity <command>``.

Commands: ``init`` (build or rebuild the demo database; ``--empty`` a workspace of
England's reference data and no services, ``--places`` its own places), ``places``,
``services``, ``plan``, ``flow`` (queues, waits and places needed for one
service, or a discharge pathway's services pooled), ``export`` (the BCF
workbook, CSV, chart images or a zip of workbooks, chosen by the output
file's extension),
``scenario list|show|save|delete``, ``import``, ``import-log`` and
``undo-import``. Every
command takes ``--db PATH`` (else
$CAPACITY_DB, else data/capacity.duckdb); with no database file there, the
demo database is built first. Errors go to stderr with exit status 1 (2 for
a malformed command line).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TextIO

import pandas as pd

from capacity import config, ingest, scenario_store, workspace
from capacity.access import AccessDenied
from capacity.commands import CommandError, modules, user
from capacity.decisions import DecisionError
from capacity.demand import check_growth
from capacity.demo import build_demo_database, ensure_database
from capacity.export import FORMATS, IMAGE_FORMATS, ExportError, csv_bytes, plan_csv, stop_renderer
from capacity.flow import report as flow_report
from capacity.flow.costs import MAX_COST_PER_DAY, Costs, cost_of, costs_for
from capacity.flow.from_plan import default_start_day, year_span
from capacity.flow.inputs import (
    MAX_EXTRA_PLACES,
    MAX_REPLICATIONS,
    adjust,
    start_limit,
    starting,
)
from capacity.flow.results import run as run_flow
from capacity.flow.simulation import DEFAULT_REPLICATIONS, DEFAULT_SEED
from capacity.flow.steady_state import DEFAULT_TARGET
from capacity.formulas import InvalidInput
from capacity.ingest import IMPORT_KINDS, ImportFileError
from capacity.model import BASELINE_LABEL, PlanModel
from capacity.periods import month_label, parse_planning_year, planning_year_label, planning_year_of
from capacity.plan import PlanError
from capacity.scenarios.model import PRESET_PREFIX, Names, Scenario, ScenarioError
from capacity.scenarios.parsing import scenario_from_json
from capacity.scenarios.presets import load_presets
from capacity.snapshots import SnapshotError
from capacity.store import Store, StoreError
from capacity.store import waiting as store_waiting
from capacity.summary import SOURCE_LABELS
from capacity.validation import ValidationError
from capacity.views import aggregates as aggregates_view
from capacity.views import data as data_view
from capacity.views import exports, places, plans
from capacity.views import flow as flow_view
from capacity.views import scenario_choices as scenario_view
from capacity.views import snapshots as snapshot_view
from capacity.views import workforce as workforce_view
from capacity.workforce import WorkforceError
from capacity.workspace import WorkspaceError, build_empty_database

# How long a command waits for the database while the app or another command holds it:
# the app holds it only while a page reads or a change is saved, so a minute is plenty
# unless an import is running there (then --wait longer).
COMMAND_WAIT_SECONDS = 60.0


def _year(text: str) -> int:
    try:
        return parse_planning_year(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _growth(text: str) -> float:
    try:
        return check_growth(float(text.rstrip("%")) / (100 if text.endswith("%") else 1))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date: use the form YYYY-MM-DD, such as 2026-11-24"
        ) from None


def _window(text: str) -> int:
    if text not in {str(n) for n in config.WINDOW_YEARS_ALLOWED}:
        raise argparse.ArgumentTypeError(
            f"must be one of {', '.join(map(str, config.WINDOW_YEARS_ALLOWED))}"
        )
    return int(text)


def _wait_seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not 0 <= seconds <= config.MAX_WAIT_SECONDS:  # also refuses nan
        raise argparse.ArgumentTypeError(
            f"must be a number of seconds from 0 to {config.MAX_WAIT_SECONDS:g}, not {text!r}"
        )
    return seconds


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every command."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help=f"database file (default: ${config.DB_ENV} or data/capacity.duckdb)",
    )
    common.add_argument(
        "--wait",
        metavar="SECONDS",
        type=_wait_seconds,
        default=argparse.SUPPRESS,
        help=f"while the app or another command is using the database, wait up to this "
        f"long for its turn (default: {COMMAND_WAIT_SECONDS:g}; 0: do not wait)",
    )
    parser = argparse.ArgumentParser(
        prog="python -m capacity",
        parents=[common],
        description="Intermediate-care demand and capacity: build the plan from the command line.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    init = commands.add_parser(
        "init",
        parents=[common],
        help="build or rebuild the demo database, or (--empty) a workspace of your own",
    )
    init.add_argument(
        "--force", action="store_true", help="replace an existing database file (its data are lost)"
    )
    init.add_argument(
        "--empty",
        action="store_true",
        help="England's reference data and no services: a workspace for your own place",
    )
    init.add_argument(
        "--places",
        metavar="CODE,…",
        help="with --empty: the workspace's places: authority codes or names, or an ICB's "
        "ONS or ODS code (its places)",
    )
    listing = commands.add_parser("places", parents=[common], help="list places and systems")
    listing.add_argument(
        "--in",
        dest="within",
        metavar="NAME_OR_CODE",
        help="only the places of this system or ICB (code, ODS code or name)",
    )
    services = commands.add_parser("services", parents=[common], help="list services")
    services.add_argument("--place", metavar="NAME_OR_CODE", help="only services of this place")
    plan = commands.add_parser(
        "plan", parents=[common], help="print the plan for a place or system"
    )
    plan.add_argument("--place", required=True, metavar="NAME_OR_CODE")
    plan.add_argument(
        "--year",
        required=True,
        type=_year,
        metavar="YYYY",
        help="planning year: 2025 means April 2025 to March 2026",
    )
    plan.add_argument("--format", choices=("csv", "table"), default="table")
    plan.add_argument(
        "--window-years",
        type=_window,
        default=None,
        metavar="N",
        help="years of history to average (1-3); with --growth, replaces the demand settings "
        "saved in the store for every service type (default: those settings)",
    )
    plan.add_argument(
        "--growth",
        type=_growth,
        default=None,
        metavar="RATE",
        help="flat yearly demand growth, e.g. 0.03 or 3%%; replaces the saved demand settings "
        "(default: those settings)",
    )
    plan.add_argument(
        "--scenario",
        metavar="NAME",
        help="a saved scenario, or preset:<id> (default: the baseline)",
    )
    _add_export(commands, common)
    _flow_parser(commands, common)
    scenario = commands.add_parser("scenario", parents=[common], help="saved scenarios")
    actions = scenario.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", parents=[common], help="saved scenarios and presets")
    show = actions.add_parser("show", parents=[common], help="one scenario and its changes")
    show.add_argument("name")
    show.add_argument("--version", type=int, help="an earlier version")
    save = actions.add_parser("save", parents=[common], help="save a scenario from a JSON file")
    save.add_argument("file", type=Path)
    save.add_argument(
        "--update", action="store_true", help="save a new version of the scenario with this name"
    )
    delete = actions.add_parser("delete", parents=[common], help="stop offering a scenario")
    delete.add_argument("name")
    imports = commands.add_parser(
        "import",
        parents=[common],
        help="load a file: referrals, parameters, counts, shares or a discharge SitRep workbook",
    )
    imports.add_argument("kind", choices=(*IMPORT_KINDS, "aggregates"))
    imports.add_argument("file", type=Path, help="the file (for aggregates: the folder)")
    imports.add_argument(
        "--accept-partial",
        action="store_true",
        help="load the good rows even when some are refused",
    )
    imports.add_argument(
        "--check",
        action="store_true",
        help="only check the file and print the report; load nothing",
    )
    for module in modules():
        module.add_parser(commands, common, _year)
    commands.add_parser("import-log", parents=[common], help="every import, newest first")
    commands.add_parser("undo-import", parents=[common], help="take the last import back out")
    return parser


def _add_export(commands, common: argparse.ArgumentParser) -> None:
    export = commands.add_parser(
        "export",
        parents=[common],
        help="write the BCF capacity & demand workbook, the plan as CSV, or a gap chart",
        description="The output file's extension picks what is written: "
        + "; ".join(f".{fmt} {what}" for fmt, what in FORMATS.items())
        + ".",
    )
    export.add_argument(
        "--place",
        required=True,
        metavar="NAME_OR_CODE",
        help="a place, or a system (a sheet per place and one for the total)",
    )
    export.add_argument(
        "--year",
        required=True,
        type=_year,
        metavar="YYYY",
        help="planning year: 2025 means April 2025 to March 2026",
    )
    export.add_argument(
        "--scenario",
        metavar="NAME",
        help="a saved scenario, or preset:<id> (default: the baseline)",
    )
    export.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="FILE",
        help="where to write: FILE.xlsx, .csv, .png, .svg or .zip",
    )
    export.add_argument(
        "--service-type",
        metavar="CODE",
        help="charts only: the service type to draw (default: the first one, "
        "in plan order, with figures for the place)",
    )
    export.add_argument(
        "--source",
        choices=list(SOURCE_LABELS),
        help="charts only: hospital discharge, community, or both (default)",
    )


def _flow_parser(commands, common: argparse.ArgumentParser) -> None:
    flow = commands.add_parser(
        "flow",
        parents=[common],
        help="occupancy, queue, waits and places needed for one service, or a discharge "
        "pathway's services pooled, over a year",
    )
    flow.add_argument("--place", required=True, metavar="NAME_OR_CODE")
    which = flow.add_mutually_exclusive_group(required=True)
    which.add_argument("--service", metavar="ID_OR_NAME", help="one service")
    which.add_argument(
        "--pathway",
        metavar="P1|P2|P3",
        help="every modelled service of this discharge pathway at the place, "
        "pooled as one (one queue for all their places)",
    )
    flow.add_argument(
        "--year",
        required=True,
        type=_year,
        metavar="YYYY",
        help="planning year: 2025 means April 2025 to March 2026",
    )
    flow.add_argument(
        "--scenario",
        metavar="NAME",
        help="a saved scenario, or preset:<id> (default: the baseline)",
    )
    flow.add_argument("--format", choices=("csv", "table"), default="table")
    flow.add_argument(
        "--daily",
        action="store_true",
        help="with --format csv, one row per day instead of per month",
    )
    flow.add_argument("--replications", type=int, default=DEFAULT_REPLICATIONS, metavar="N")
    flow.add_argument("--seed", type=int, default=DEFAULT_SEED)
    flow.add_argument(
        "--target",
        type=float,
        default=DEFAULT_TARGET,
        metavar="P",
        help="chance of waiting to keep under, 0-1 (default 0.05)",
    )
    flow.add_argument(
        "--extra-places",
        type=float,
        default=0.0,
        metavar="N",
        help="places added (or removed, if negative) all year",
    )
    flow.add_argument(
        "--start",
        type=_day,
        metavar="YYYY-MM-DD",
        help="the day the run starts, in the planning year (default: today if "
        "it is in the year, else 1 April)",
    )
    flow.add_argument(
        "--in-service",
        type=int,
        metavar="N",
        help="people in the service on the start day (default: see the README)",
    )
    flow.add_argument(
        "--waiting", type=int, metavar="N", help="people waiting on the start day (default 0)"
    )
    flow.add_argument(
        "--bed-cost",
        type=float,
        metavar="GBP",
        help="cost of a delayed hospital bed a day (default: the reference data)",
    )
    flow.add_argument(
        "--place-cost",
        type=float,
        metavar="GBP",
        help="cost of one community place a day (default: the reference data)",
    )
    flow.add_argument(
        "--even",
        action="store_true",
        help="spread arrivals evenly over each month (no weekday pattern)",
    )


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run one command; return the exit status."""
    out = out or sys.stdout
    err = err or sys.stderr
    args = build_parser().parse_args(argv)
    path = config.db_path(getattr(args, "db", None))
    # The app (or another command) may hold the file: wait for its turn, saying so.
    wait = getattr(args, "wait", COMMAND_WAIT_SECONDS)
    with store_waiting(wait, lambda notice: print(notice, file=err, flush=True)):
        return _run(args, path, out, err)


def _run(args: argparse.Namespace, path: Path, out: TextIO, err: TextIO) -> int:
    """Run the parsed command on the database at ``path``; return the exit status."""
    try:
        if args.command == "export":
            export_format(args.out)
        if args.command == "init":
            return _init(path, args, out)
        if ensure_database(path):
            print(f"Built the demo database at {path} (first use).", file=err)
        if args.command == "export":  # reads, writes the file, then keeps a snapshot of it
            return _export(path, args, out, err)
        meeting = {module.NAME: module for module in modules()}
        writes = (
            (args.command == "scenario" and args.action in ("save", "delete"))
            or args.command in ("import", "undo-import")
            or (args.command in meeting and meeting[args.command].writes(args))
        )
        with Store.open(path, read_only=not writes) as store:
            if args.command in meeting:
                return meeting[args.command].run(store, args, out)
            if args.command == "scenario":
                return SCENARIO_ACTIONS[args.action](store, args, out)
            if args.command == "flow":  # the only command that warns on stderr as it succeeds
                return _flow(store, args, out, err)
            return COMMANDS[args.command](store, args, out)
    except ScenarioError as exc:
        print("error: the scenario was not saved or used:", file=err)
        for problem in exc.problems:
            print(f"  - {problem}", file=err)
        return 1
    except ImportFileError as exc:
        print(f"error: nothing loaded: {exc}", file=err)
        return 1
    except (
        CommandError,
        StoreError,
        PlanError,
        InvalidInput,
        ValidationError,
        ExportError,
        SnapshotError,
        DecisionError,
        WorkforceError,
        AccessDenied,
    ) as exc:
        print(f"error: {exc}", file=err)
        return 1
    except BrokenPipeError:
        return 0


def _init(path: Path, args: argparse.Namespace, out: TextIO) -> int:
    what = "an empty workspace" if args.empty else "the demo data"
    if args.places is not None and not args.empty:
        raise CommandError("--places sets up a workspace of your own: add --empty.")
    if path.exists() and not args.force:
        raise CommandError(
            f"{path} already exists. Add --force to rebuild it as {what} "
            "(everything else in it is lost), or use --db to choose another file."
        )
    if not args.empty:
        counts = build_demo_database(path)
        print(f"Built the demo database at {path}:", file=out)
    else:
        try:
            counts = build_empty_database(path, args.places)
        except WorkspaceError as exc:
            raise CommandError(f"{exc}") from None
        print(f"Built an empty workspace at {path}:", file=out)
    for table, count in counts.items():
        print(f"  {table:<20} {count:>9,}", file=out)
    if args.empty:
        with Store.open(path, read_only=True) as store:
            chosen = workspace.workspace_places(store)
        print(_workspace_next_steps(path, chosen), file=out)
    return 0


def _workspace_next_steps(path: Path, chosen: pd.DataFrame) -> str:
    """What a lead does next with a new workspace, in words."""
    named = chosen[chosen["chosen"]]
    pairs = zip(named["place_code"], named["name"], strict=True)
    places_line = (
        "Its places: " + ", ".join(f"{name} ({code})" for code, name in pairs)
        if not named.empty
        else "No places chosen yet: the app's first screen asks for one (Set up my place)."
    )
    return (
        f"{places_line}\n"
        f"Next: open the app on it (python3 run.py workspace {path}), then on the "
        "Data page add your services, give each its parameters, and load a SitRep or your "
        "referral records."
    )


def _places(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    places_ = places.places_with_populations(store)
    if args.within:
        system = places.resolve(places_, args.within)
        codes = places.members(places_, system["place_code"])
        places_ = places_[places_["place_code"].isin(codes)]
    icb_names = places.names(places_) | places.names(places.all_places(store))
    shown = pd.DataFrame(
        {
            "code": places_["place_code"],
            "name": places_["name"],
            "kind": places_["kind"].where(places_["system_type"] != "icb", "ICB"),
            "partnership": places_["parent_system"].fillna(""),
            "ICB": places_["icb_code"].map(icb_names).fillna(""),
            "region": places_["region_name"].fillna(""),
            **{
                f"aged {band}": places_[places.population_column(base)].map(
                    lambda v: "" if pd.isna(v) else f"{int(v):,}"
                )
                for base, band in places.POPULATION_BASES.items()
            },
        }
    )
    print(shown.to_string(index=False), file=out)
    print(f"People by age: {places.POPULATION_BASIS} (a system's: its places' added up).", file=out)
    return 0


def _services(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    services = places.services_at(store, args.place)
    shown = services.assign(
        retired_from=pd.to_datetime(services["retired_from"]).dt.strftime("%Y-%m").fillna("")
    )
    columns = ["service_id", "name", "service_type", "contract", "place_codes", "retired_from"]
    print(shown[columns].to_string(index=False), file=out)
    return 0


def _plan(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    scenario = scenario_store.resolve(store, args.scenario, args.year)
    frame = plans.plan_for_command(
        store,
        args.place,
        args.year,
        window_years=args.window_years,
        growth=args.growth,
        scenario=scenario,
    )
    if args.format == "csv":
        out.write(plan_csv(frame, workforce_view.load_assumptions(store)).decode("utf-8"))
    else:
        print(format_table(frame), file=out)
    return 0


def export_format(path: Path) -> str:
    """The export format an output file's extension asks for (raises CommandError if none)."""
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise CommandError(
            f"Cannot tell what to write from the file name {str(path)!r}: end it in "
            + ", ".join(f".{f}" for f in FORMATS)
            + ". Nothing was written."
        )
    return fmt


def _export(path: Path, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    fmt = export_format(args.out)
    if fmt not in IMAGE_FORMATS and (args.service_type or args.source):
        raise CommandError(
            "--service-type and --source choose a chart; they apply to .png "
            "and .svg only. Nothing was written."
        )
    with Store.open(path, read_only=True) as store:
        all_places = places.all_places(store)
        scope = exports.scope_for(
            all_places, [places.resolve(all_places, args.place)["place_code"]]
        )
        scenario = scenario_store.resolve(store, args.scenario, args.year)
        info = exports.export_info(
            places.service_types(store),
            places.service_type_labels(store),
            args.year,
            scenario,
            datetime.now().astimezone(),
            workforce_view.load_assumptions(store),
        )
        frame = plans.plan_of_places(store, scope.codes, args.year, scenario)
    try:
        data = exports.export_bytes(
            fmt, frame, scope, info, service_type=args.service_type, source=args.source or "both"
        )
    finally:
        if fmt in IMAGE_FORMATS:
            stop_renderer()
    write_atomically(args.out, data)
    print(
        f"Wrote {args.out} ({FORMATS[fmt]}, {len(data):,} bytes): {scope.name}, "
        f"{planning_year_label(args.year)}, scenario {info.scenario_name}.",
        file=out,
    )
    if fmt in snapshot_view.SNAPSHOT_FORMATS:
        # The store is closed first: the snapshot opens it for writing.
        kept = snapshot_view.keep_export_snapshots(
            path,
            codes=snapshot_view.export_snapshot_places(scope),
            year=args.year,
            scenario=scenario,
            user=user(),
            file_name=args.out.name,
            made_at=info.made_at,
        )
        print(kept.sentence, file=err if kept.problem else out)
    return 0


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it into place.

    A failure part-way leaves no file (and an existing file as it was).
    """
    folder = path.parent
    if not folder.is_dir():
        raise CommandError(f"The folder {str(folder)!r} does not exist. Nothing was written.")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        # mkstemp makes the file private; give it the permissions a new file would have.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _flow(store: Store, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    _check_flow_flags(args)
    start = _start_day(args)
    scenario = scenario_store.resolve(store, args.scenario, args.year)
    settings = {"replications": args.replications, "seed": args.seed, "target": args.target}
    prepared = plans.prepared_plan(store, args.year)
    with plans.applying(scenario, args.year):
        inputs = _flow_inputs(store, prepared, args, scenario, start, args.extra_places)
    result = run_flow(inputs, **settings)
    warning = flow_report.over_places_warning(inputs)
    if args.format == "csv":
        if warning:
            print(f"warning: {warning}", file=err)
        ids = {"place_code": inputs.place_code, "service_id": inputs.service_id}
        if inputs.pathway:
            ids = {
                "place_code": inputs.place_code,
                "pathway": inputs.pathway,
                "service_ids": ";".join(m.service_id for m in inputs.members),
            }
        ids["scenario"] = scenario.name if scenario else BASELINE_LABEL
        out.write(csv_bytes(flow_report.csv_frame(result, daily=args.daily, **ids)).decode("utf-8"))
        return 0
    defaults = costs_for(inputs)
    costs = Costs(
        args.bed_cost if args.bed_cost is not None else defaults.hospital_bed_per_day,
        args.place_cost if args.place_cost is not None else defaults.place_per_day,
    )
    base = None
    if scenario is not None or args.extra_places:
        # The same start day and typed starting numbers; a default start is the baseline's own.
        base_inputs = _flow_inputs(store, prepared, args, None, start, 0.0)
        base = cost_of(run_flow(base_inputs, **settings).year, costs, inputs.contract)
    print(_flow_header(result, scenario, warning), file=out)
    print(flow_report.display_table(result.monthly).to_string(index=False), file=out)
    print("", file=out)
    print(flow_report.headline(result), file=out)
    print(flow_report.start_text(result), file=out)
    year_cost = cost_of(result.year, costs, inputs.contract)
    print(
        flow_report.cost_text(
            f"Costs over {result.year.label} (£{costs.place_per_day:,.2f} "
            f"a place-day, £{costs.hospital_bed_per_day:,.2f} a delayed "
            f"bed-day)",
            year_cost,
            year_cost.minus(base) if base else None,
        ),
        file=out,
    )
    return 0


def _start_day(args: argparse.Namespace) -> date:
    """The --start day, refused unless it is in the planning year; by default today if it is,
    else 1 April."""
    if args.start is None:
        return default_start_day(args.year, config.today())
    first, last = year_span(args.year)
    if not first <= args.start <= last:
        raise _refuse(
            "--start",
            args.start.isoformat(),
            f"a day of the planning year {planning_year_label(args.year)}, from "
            f"{first.isoformat()} to {last.isoformat()}",
        )
    return args.start


def _flow_inputs(
    store: Store,
    prepared: PlanModel,
    args: argparse.Namespace,
    scenario: Scenario | None,
    start: date,
    extra_places: float,
):
    """Flow inputs for the command's service (or pathway's pool) under a scenario, with a
    what-if of places added, from the start day with the starting numbers given (or the
    default ones)."""
    inputs = flow_view.command_inputs(
        store,
        args.place,
        args.service,
        args.pathway,
        args.year,
        scenario,
        weekday=not args.even,
        prepared=prepared,
    )
    _check_start_flags(args, start_limit(inputs.caseload))
    fewest = float(inputs.caseload.min())
    if extra_places < -fewest:
        raise CommandError(
            f"--extra-places {extra_places:g} would leave fewer than no "
            f"places: {inputs.label} has {fewest:g} at its fewest"
        )
    inputs = adjust(inputs, extra_places=extra_places)
    return starting(inputs, start=start, in_service=args.in_service, waiting=args.waiting or 0)


def _refuse(flag: str, value: object, rule: str) -> CommandError:
    return CommandError(f"{flag} must be {rule} (got {value})")


def _check_flow_flags(args: argparse.Namespace) -> None:
    """Refuse, naming the flag, a flow setting that is not finite or out of range."""
    if not 1 <= args.replications <= MAX_REPLICATIONS:
        raise _refuse(
            "--replications", args.replications, f"a whole number from 1 to {MAX_REPLICATIONS:,}"
        )
    if args.seed < 0:
        raise _refuse("--seed", args.seed, "a whole number of 0 or more")
    if not 0 < args.target < 1:  # NaN too
        raise _refuse("--target", args.target, "a probability above 0 and below 1, such as 0.05")
    if not (math.isfinite(args.extra_places) and abs(args.extra_places) <= MAX_EXTRA_PLACES):
        raise _refuse(
            "--extra-places",
            args.extra_places,
            f"a number from −{MAX_EXTRA_PLACES:,} to {MAX_EXTRA_PLACES:,}",
        )
    for flag, value in (("--bed-cost", args.bed_cost), ("--place-cost", args.place_cost)):
        if value is not None and not 0 <= value <= MAX_COST_PER_DAY:
            raise _refuse(flag, value, f"an amount from £0 to £{MAX_COST_PER_DAY:,.0f} a day")


def _check_start_flags(args: argparse.Namespace, limit: int) -> None:
    """Refuse an --in-service or --waiting below 0 or above the service's limit."""
    for flag, value in (("--in-service", args.in_service), ("--waiting", args.waiting)):
        if value is not None and not 0 <= value <= limit:
            raise _refuse(flag, value, f"a whole number from 0 to {limit:,}")


def _flow_header(result, scenario: Scenario | None, warning: str = "") -> str:
    inputs = result.inputs
    first = pd.Timestamp(inputs.dates[0])
    lines = [
        f"{inputs.label}, {planning_year_label(inputs.year)} — "
        f"{scenario.name if scenario else 'baseline'}",
        *([f"Pool: {inputs.basis['pool']}"] if inputs.pathway else []),
        f"Arrivals: {inputs.basis.get('arrivals', '')}",
        f"Places: {inputs.basis.get('places', '')}",
        f"Stay: {inputs.basis.get('los', '')}; spread: {inputs.basis.get('los_cv', '')}",
        f"Start: {first:%-d %b %Y} (days before it are not simulated): "
        f"{inputs.in_service_today:,} in the service, {inputs.waiting_today:,} waiting; in the "
        f"service {inputs.basis.get('start', '')}",
        *([f"Warning: {warning}"] if warning else []),
        *[f"Note: {note}" for note in inputs.notes],
        f"{result.replications:,} replications, seed {result.seed}; ranges in brackets are "
        "5th–95th percentiles across replications. 'Erlang C' and 'places needed' are the "
        "steady-state (analytical) figures.",
        "",
    ]
    return "\n".join(lines)


def format_table(frame: pd.DataFrame) -> str:
    """The plan as a readable table: figures rounded to one decimal place for display only."""
    if frame.empty:
        return "No services or demand for this place."
    shown = pd.DataFrame(
        {
            "place": frame["place"],
            "service": frame["service"],
            "source": frame["source"],
            "month": frame["month"].map(month_label),
            "demand": frame["demand"].map(_one_dp),
            "capacity": frame["capacity"].map(_one_dp),
            "gap": frame["gap"].map(_one_dp),
            "utilisation": frame["utilisation"].map(lambda v: "–" if pd.isna(v) else f"{v:.0%}"),
            "method": frame["method"].fillna("–"),
            "flags": frame["flags"].fillna(""),
        }
    )
    return shown.to_string(index=False)


def _one_dp(value: float) -> str:
    if pd.isna(value):
        return "–"
    text = f"{value:,.1f}"
    return "0.0" if text == "-0.0" else text


def _scenario_list(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    saved = scenario_store.list_saved(store)
    if saved.empty:
        print("No saved scenarios yet.", file=out)
    else:
        shown = saved.assign(updated_at=saved["updated_at"].dt.strftime("%Y-%m-%d %H:%M"))
        print(
            shown[["name", "version", "changes", "author", "updated_at", "description"]].to_string(
                index=False
            ),
            file=out,
        )
    print("\nPresets (use as preset:<id>):", file=out)
    for preset in load_presets().values():
        print(f"  {preset.key:<28} {preset.name}: {preset.description}", file=out)
    return 0


def _scenario_show(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    if args.name.startswith(PRESET_PREFIX):
        scenario = scenario_store.resolve(
            store, args.name, parse_planning_year(str(current_planning_year()))
        )
        # resolve gives None only for the baseline; a preset key is found or refused
        assert scenario is not None, f"{args.name!r} resolved to no scenario"
    else:
        scenario = scenario_store.load(store, args.name, args.version)
    print(
        f"{scenario.name}"
        + (f" (version {scenario.version}, saved {scenario.saved_at})" if scenario.version else ""),
        file=out,
    )
    if scenario.description:
        print(scenario.description, file=out)
    if scenario.author:
        print(f"Author: {scenario.author}", file=out)
    names = Names.of(store.query("places"), store.query("service_types"), store.query("services"))
    for index, change in enumerate(scenario.changes, start=1):
        print(f"  {index}. {change.describe(names)}", file=out)
    if scenario.version:
        versions = scenario_store.history(store, scenario.name)
        print(f"Versions: {', '.join(str(v) for v in versions['version'])}", file=out)
    return 0


def _scenario_save(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    scenario = scenario_from_json(args.file)
    if not scenario.author:
        scenario = scenario.with_changes(author=user().label)
    saved = scenario_view.save_scenario(
        store, scenario, scenario.name if args.update else None, user=user()
    )
    print(f"Saved {saved.name!r} as version {saved.version}.", file=out)
    return 0


def _scenario_delete(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    scenario_view.delete_scenario(store, args.name, user=user())
    print(f"Deleted {args.name!r}; its saved versions are kept in the database.", file=out)
    return 0


def current_planning_year() -> int:
    """The planning year today falls in."""
    return planning_year_of(date.today())


def _import(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    """Exit 0 when every row loaded; 1 when rows were refused and nothing was loaded;
    3 when rows were refused and the good ones loaded (--accept-partial)."""
    if args.kind == "aggregates":
        if args.check or args.accept_partial:
            raise CommandError(
                "A folder of aggregates loads whole: without --check or --accept-partial."
            )
        print(aggregates_view.load_aggregates(store, args.file, user=user()), file=out)
        return 0
    if not args.file.is_file():
        raise CommandError(f"There is no file {args.file}")
    with tempfile.TemporaryDirectory() as workdir:
        staged = ingest.stage_file(args.file, args.kind, workdir=Path(workdir))
        if args.check:
            report = ingest.check(store, staged)
            print(report.text(), file=out)
            return 1 if report.rows_rejected else 0
        result = data_view.load_file(store, staged, user=user(), accept_partial=args.accept_partial)
    print(result.report.text(), file=out)
    print(result.message, file=out)
    if not result.report.rows_rejected:
        done = result.import_id is not None or result.up_to_date
        return 0 if done or result.report.loaded_before else 1
    return 3 if result.import_id is not None else 1


def _import_log(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    log = ingest.import_log(store)
    shown = log.assign(
        loaded_at=log["loaded_at"].dt.strftime("%Y-%m-%d %H:%M"),
        undone_at=log["undone_at"].dt.strftime("%Y-%m-%d %H:%M").fillna(""),
    )
    print(
        shown[
            [
                "import_id",
                "kind",
                "file_name",
                "rows_read",
                "rows_loaded",
                "rows_rejected",
                "loaded_by",
                "loaded_at",
                "undone_at",
            ]
        ].to_string(index=False),
        file=out,
    )
    for note in ingest.missing_imports(store):  # servers sharing one state only
        print(f"Warning: {note}", file=out)
    return 0


def _undo_import(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    print(data_view.undo_last_import(store, user=user()), file=out)
    return 0


COMMANDS = {
    "places": _places,
    "services": _services,
    "plan": _plan,
    "import": _import,
    "import-log": _import_log,
    "undo-import": _undo_import,
}
SCENARIO_ACTIONS = {
    "list": _scenario_list,
    "show": _scenario_show,
    "save": _scenario_save,
    "delete": _scenario_delete,
}
