"""``aggregate``: reduce referral records to the aggregates the plan reads, on DuckDB or Spark.

``python3 -m capacity aggregate --engine duckdb|spark --input PATH --out DIR`` checks the
records against this database's places, service types and services (the importer's
rules), and writes the folder that ``import aggregates DIR`` loads (see
:mod:`capacity.aggregates`). Run by ``spark-submit`` (or as a Databricks job), the Spark
engine uses the cluster it is given; run by ``python3``, Spark runs on this machine.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from capacity.aggregates import ENGINES, AggregateError
from capacity.commands import CommandError
from capacity.store import Store
from capacity.views import aggregates as aggregates_view

NAME = "aggregate"


def add_parser(commands, common: argparse.ArgumentParser, year_type) -> None:
    """Add ``aggregate`` to the command line."""
    found = commands.add_parser(
        NAME,
        parents=[common],
        help="reduce referral records (CSV or Parquet) to aggregates, on DuckDB or Spark",
    )
    found.add_argument("--engine", choices=ENGINES, default="duckdb")
    found.add_argument(
        "--input",
        required=True,
        metavar="PATH",
        help="referral records: a CSV or Parquet file, a folder of them, or a glob",
    )
    found.add_argument("--out", required=True, type=Path, metavar="DIR", help="a new folder")
    found.add_argument("--format", choices=("csv", "parquet"), help="default: from the input")
    found.add_argument(
        "--master",
        metavar="URL",
        help="Spark only: the master to use when not run by spark-submit (default local[*])",
    )


def writes(args: argparse.Namespace) -> bool:
    """Reads the database's reference only."""
    return False


def run(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    """Run the job and say what it wrote."""
    try:
        manifest = aggregates_view.aggregate_records(
            store,
            engine=args.engine,
            input_path=args.input,
            out=args.out,
            fmt=args.format,
            master=args.master,
        )
    except AggregateError as exc:
        raise CommandError(str(exc)) from None
    print(aggregates_view.summary(manifest, args.out), file=out)
    return 0
