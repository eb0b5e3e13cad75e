"""The referral-level reduction, on DuckDB or on Spark: records in, aggregates out.

``python3 -m capacity aggregate --engine duckdb|spark --input PATH --out DIR`` reads
referral records (CSV or Parquet; a file, a folder or a glob; the import format's
columns, named as the importer understands them), keeps the records the importer's rules
let count, and writes what the plan, the flow model and data quality read from records,
as Parquet partitioned by system (``system_code=…`` folders):

- ``referrals/``: referrals by place, service type, service, source and month;
- ``episodes/``: episodes by month of start and of end, with whole-day sums;
- ``stays/``: completed episodes' length-of-stay statistics by place and service type;
- ``weekdays/``: the weekday profile of referrals within each month;

with ``refused.csv`` beside them (refused records by column and reason, with an example)
and ``manifest.json`` (engine, input, counts, product version, every file's checksum) so
that ``python3 -m capacity import aggregates DIR`` can verify the folder.

Every aggregate is ONE SQL text (``capacity/sql/aggregates/referrals.sql``) run by either
engine; the functions the two spell differently are defined under one name per engine in
``prelude_duckdb.sql`` and ``prelude_spark.sql``. Spark is imported only when asked for.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from capacity import __version__
from capacity.export.csv_files import csv_bytes
from capacity.ingest.files import ImportFileError, map_header
from capacity.ingest.kinds import KINDS
from capacity.store import SQL_DIR, ScratchDatabase, Store, StoreError, read_queries

ENGINES = ("duckdb", "spark")
FORMAT_NAME = "capacity-aggregates"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
REFUSED = "refused.csv"
PARTITION = "system_code"
RECORD_COLUMNS = KINDS["referrals"].columns
# Each part's columns, in the order written (the partition column is its folder name).
PARTS: dict[str, tuple[str, ...]] = {
    "referrals": (
        "place_code",
        "service_type",
        "service_id",
        "source",
        "month",
        "referrals",
        "first_day",
        "last_day",
    ),
    "episodes": (
        "place_code",
        "service_type",
        "service_id",
        "source",
        "start_month",
        "end_month",
        "episodes",
        "start_day_sum",
        "end_day_sum",
        "stay_days",
        "stay_days_squared",
    ),
    "stays": (
        "place_code",
        "service_type",
        "completed",
        "mean_los_days",
        "cv_los",
        "median_los_days",
        "p90_los_days",
        "long_stay_days",
    ),
    "weekdays": (
        "place_code",
        "service_type",
        "service_id",
        "source",
        "month",
        "weekday",
        "referrals",
    ),
}
REFUSED_COLUMNS = ("column_name", "reason", "records", "example_referral_id", "example_value")
# Worked tables, kept (DuckDB: temp tables; Spark: cached views) because several read them.
_KEPT = ("lookup", "typed", "problems", "good")


class AggregateError(ValueError):
    """The job cannot run or a folder of aggregates cannot be read, with the reason."""


@dataclass(frozen=True)
class Reference:
    """What the importer checks records against: places (with their system), service
    types, services and which places each service serves."""

    places: pd.DataFrame
    types: pd.DataFrame
    services: pd.DataFrame
    service_places: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        """The reference under the names the shared SQL reads."""
        return {
            "ref_places": self.places,
            "ref_types": self.types,
            "ref_services": self.services,
            "ref_service_places": self.service_places,
        }


def reference_from_store(store: Store) -> Reference:
    """The places, service types and services of a store, as the importer sees them.

    A place's system is the local partnership it names, else its ICB, else itself (the
    folder of aggregates is partitioned by it).
    """
    places = store.query("places")
    system = places["parent_system"].where(places["parent_system"].notna(), places["icb_code"])
    places = places.assign(system_code=system.where(system.notna(), places["place_code"]))
    codes = list(places["place_code"])
    return Reference(
        places=places[["place_code", "name", "kind", "system_code"]].astype(object),
        types=store.query("service_types")[["service_type", "name", "hospital", "community"]],
        services=store.query("services")[["service_id", "name", "service_type"]],
        service_places=store.query("service_places_for_places", places=codes)[
            ["service_id", "place_code"]
        ],
    )


def statements() -> dict[str, str]:
    """The shared statements and each engine's prelude, by name."""
    found = read_queries(SQL_DIR / "aggregates")
    # Each shared statement is one SELECT, read as a sub-query: no closing semicolon.
    return {name: text.rstrip().rstrip(";") for name, text in found.items()}


# -- engines ---------------------------------------------------------------------------


class Engine(Protocol):
    """What the job needs of an engine; DuckDB and Spark each give it in a few lines."""

    name: str

    def read(self, path: str, fmt: str) -> list[str]: ...
    def rename(self, mapping: dict[str, str]) -> None: ...
    def register(self, name: str, frame: pd.DataFrame) -> None: ...
    def run(self, sql: str) -> None: ...
    def keep(self, name: str, sql: str) -> None: ...
    def collect(self, sql: str) -> pd.DataFrame: ...
    def write(self, sql: str, folder: Path) -> None: ...
    def close(self) -> None: ...
    def row_key(self) -> str: ...


class DuckDBEngine:
    """The embedded engine: one in-memory DuckDB database."""

    name = "duckdb"

    def __init__(self) -> None:
        self._db = ScratchDatabase()

    def read(self, path: str, fmt: str) -> list[str]:
        """Open the input; its column names as written."""
        try:
            return self._db.read_files(_local_files(path, fmt), fmt)
        except StoreError as exc:
            raise AggregateError(str(exc)) from None

    def rename(self, mapping: dict[str, str]) -> None:
        """The view raw_input: the input's columns under the import format's names."""
        self._db.rename_input(mapping)

    def register(self, name: str, frame: pd.DataFrame) -> None:
        """A small table from a DataFrame."""
        self._db.register(name, frame)

    def run(self, sql: str) -> None:
        """Run statements."""
        self._db.run(sql)

    def keep(self, name: str, sql: str) -> None:
        """Keep a query's rows as a table (name: one of the job's own)."""
        self._db.run(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")

    def collect(self, sql: str) -> pd.DataFrame:
        """A small result as a DataFrame."""
        return self._db.frame(sql)

    def write(self, sql: str, folder: Path) -> None:
        """Parquet, one folder per system."""
        self._db.copy_parquet(sql, folder, PARTITION)

    def close(self) -> None:
        """Drop the database."""
        self._db.close()

    def row_key(self) -> str:
        """DuckDB's way to number records."""
        return "row_number() OVER ()"


class SparkEngine:
    """Spark SQL: the local machine's cores by default, or the cluster ``spark-submit``
    (or a Databricks job) runs the command on."""

    name = "spark"

    def __init__(self, master: str | None = None) -> None:
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            raise AggregateError(
                "The Spark engine needs pyspark (pip install -r requirements-spark.txt) "
                "and Java 17."
            ) from None
        builder = SparkSession.builder.appName("capacity-aggregate")
        if master or not os.environ.get("PYSPARK_GATEWAY_PORT"):
            # Run by python3 itself rather than by spark-submit: Spark in this process.
            builder = (
                builder.master(master or "local[*]")
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.sql.shuffle.partitions", "16")
            )
        self._spark = builder.getOrCreate()
        self._spark.sparkContext.setLogLevel("ERROR")
        # String literals as written, as DuckDB reads them (the regular expressions).
        self._spark.conf.set("spark.sql.parser.escapedStringLiterals", "true")
        self._kept: list[Any] = []

    def read(self, path: str, fmt: str) -> list[str]:
        """Open the input; its column names as written."""
        reader = self._spark.read.option("recursiveFileLookup", "true")
        if fmt == "csv":
            reader = reader.option("header", "true").option("inferSchema", "false")
            frame = reader.csv(path)
        else:
            frame = reader.parquet(path)
        self._input = frame
        return list(frame.columns)

    def rename(self, mapping: dict[str, str]) -> None:
        """The view raw_input: the input's columns under the import format's names."""
        from pyspark.sql import functions as F

        picked = [
            F.col(f"`{old.replace('`', '``')}`").cast("string").alias(new)
            for old, new in mapping.items()
        ]
        self._input.select(*picked).createOrReplaceTempView("raw_input")

    def register(self, name: str, frame: pd.DataFrame) -> None:
        """A small table from a DataFrame."""
        data = frame.astype(object).where(frame.notna(), None)
        rows = [tuple(r) for r in data.itertuples(index=False)]
        schema = ", ".join(f"{c} {_spark_type(frame[c])}" for c in frame.columns)
        small = self._spark.createDataFrame(rows, schema).cache()
        # Counted once so Spark knows it is small and sends it whole to every task
        # (a broadcast join) instead of sorting the records to meet it.
        small.count()
        small.createOrReplaceTempView(name)
        self._kept.append(small)

    def run(self, sql: str) -> None:
        """Run statements."""
        for statement in _split(sql):
            self._spark.sql(statement)

    def keep(self, name: str, sql: str) -> None:
        """Keep a query's rows in memory under ``name`` (computed once: the record keys
        Spark numbers must not change between reads)."""
        frame = self._spark.sql(sql).cache()
        frame.count()
        frame.createOrReplaceTempView(name)
        self._kept.append(frame)

    def collect(self, sql: str) -> pd.DataFrame:
        """A small result as a DataFrame."""
        rows = self._spark.sql(sql).collect()
        return pd.DataFrame([r.asDict() for r in rows])

    def write(self, sql: str, folder: Path) -> None:
        """Parquet, one folder per system."""
        frame = self._spark.sql(sql)
        frame.write.mode("overwrite").partitionBy(PARTITION).parquet(str(folder))

    def close(self) -> None:
        """Let go of what was kept (the session stays for the next job in this process)."""
        for frame in self._kept:
            frame.unpersist()
        self._kept = []

    def row_key(self) -> str:
        """Spark's way to number records."""
        return "monotonically_increasing_id()"


def _spark_type(column: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(column):
        return "BOOLEAN"
    return "STRING"


def _split(sql: str) -> list[str]:
    parts = [p.strip() for p in sql.strip().rstrip(";").split(";\n")]
    return [p for p in parts if p and not all(line.startswith("--") for line in p.splitlines())]


def make_engine(name: str, *, master: str | None = None) -> Engine:
    """The engine called ``name`` (duckdb or spark)."""
    if name == "duckdb":
        return DuckDBEngine()
    if name == "spark":
        return SparkEngine(master)
    raise AggregateError(f"There is no engine called {name!r}: choose {' or '.join(ENGINES)}")


def _local_files(path: str, fmt: str) -> list[str]:
    """The files a local path names: the file, every file of the format under a folder,
    or a glob's matches."""
    target = Path(path)
    if target.is_dir():
        found = sorted(str(p) for p in target.rglob(f"*.{fmt}"))
    elif any(ch in path for ch in "*?["):
        found = sorted(glob.glob(path, recursive=True))
    else:
        found = [path] if target.is_file() else []
    if not found:
        raise AggregateError(f"There are no {fmt.upper()} files at {path}")
    return found


def input_format(path: str, fmt: str | None) -> str:
    """csv or parquet: as asked, else from the path's ending or, for a folder, its files."""
    if fmt:
        return fmt
    target = Path(path)
    names = [p.name for p in target.rglob("*") if p.is_file()] if target.is_dir() else [path]
    if any(n.lower().endswith(".parquet") for n in names):
        return "parquet"
    if any(n.lower().endswith(".csv") for n in names):
        return "csv"
    raise AggregateError(f"Cannot tell whether {path} holds CSV or Parquet: add --format")


# -- the job ---------------------------------------------------------------------------


@contextmanager
def engine_for(name: str, *, master: str | None = None) -> Iterator[Engine]:
    """An engine, closed after use."""
    engine = make_engine(name, master=master)
    try:
        yield engine
    finally:
        engine.close()


def aggregate(
    engine: Engine, input_path: str, out: Path, reference: Reference, fmt: str | None = None
) -> dict[str, Any]:
    """Reduce the referral records at ``input_path`` into the folder ``out``; return the
    manifest written there. ``out`` must be new or empty."""
    if out.exists() and any(out.iterdir()):
        raise AggregateError(f"{out} is not empty: choose a new folder for the aggregates")
    chosen = input_format(input_path, fmt)
    columns = engine.read(input_path, chosen)
    try:
        mapped, _ignored = map_header(columns, KINDS["referrals"])
    except ImportFileError as exc:
        raise AggregateError(str(exc)) from None
    engine.rename(
        {old: new for old, new in zip(columns, mapped, strict=True) if new in RECORD_COLUMNS}
    )
    sql = statements()
    engine.run(sql[f"prelude_{engine.name}"])
    for name, frame in reference.tables().items():
        engine.register(name, frame)
    engine.keep("raw_referrals", _raw_select(engine, set(mapped)))
    for name in _KEPT:
        engine.keep(name, sql[name])
    out.mkdir(parents=True, exist_ok=True)
    for part, part_columns in PARTS.items():
        chosen_columns = ", ".join((PARTITION, *part_columns))
        # Only the product's own names and SQL text: nothing from the input.
        engine.write(f"SELECT {chosen_columns} FROM ({sql[part]}) AS t", out / part)  # noqa: S608
        (out / part).mkdir(exist_ok=True)
    refused = engine.collect(sql["refused"])
    refused = (
        refused.reindex(columns=list(REFUSED_COLUMNS))
        .sort_values(["column_name", "reason"])
        .reset_index(drop=True)
    )
    (out / REFUSED).write_bytes(csv_bytes(refused))
    counts = engine.collect(sql["counts"]).iloc[0]
    manifest = _manifest(engine.name, input_path, out, counts, refused)
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
    return manifest


def _raw_select(engine: Engine, present: set[str]) -> str:
    """The records as text under the import format's names, each with a key (a column the
    input lacks is empty); the key is the one thing each engine numbers its own way."""
    cells = [c if c in present else f"CAST(NULL AS STRING) AS {c}" for c in RECORD_COLUMNS]
    # The import format's own column names: nothing from the input.
    return f"SELECT {engine.row_key()} AS row_key, {', '.join(cells)} FROM raw_input"  # noqa: S608


# -- the manifest ----------------------------------------------------------------------


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, in hex."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def folder_files(out: Path) -> list[str]:
    """The data files of a folder of aggregates (Parquet and the refused report), as
    sorted relative paths."""
    found = [p for p in out.rglob("*.parquet") if p.is_file()] + [out / REFUSED]
    return sorted(p.relative_to(out).as_posix() for p in found if p.exists())


def checksum(files: dict[str, str]) -> str:
    """One SHA-256 over every file's relative path and SHA-256, in path order."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(f"{name}\t{files[name]}\n".encode())
    return digest.hexdigest()


def _manifest(
    engine: str, input_path: str, out: Path, counts: pd.Series, refused: pd.DataFrame
) -> dict[str, Any]:
    read = int(counts["records_read"])
    refused_records = int(counts["records_refused"])
    files = {name: file_sha256(out / name) for name in folder_files(out)}
    db = ScratchDatabase()
    try:
        rows = {
            part: len(db.read_parquet_folder(out / part)) if _has_parquet(out / part) else 0
            for part in PARTS
        }
    finally:
        db.close()
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "product_version": __version__,
        "engine": engine,
        "input": input_path,
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "records_read": read,
        "records_refused": refused_records,
        "records_counted": read - refused_records,
        "rows": rows,
        "refusal_reasons": len(refused),
        "files": files,
        "checksum": checksum(files),
    }


def _has_parquet(folder: Path) -> bool:
    return any(folder.rglob("*.parquet"))


def read_part(out: Path, part: str) -> pd.DataFrame:
    """One part of a folder of aggregates, with its system column, in a fixed order."""
    columns = [PARTITION, *PARTS[part]]
    if not _has_parquet(out / part):
        return pd.DataFrame(columns=columns)
    db = ScratchDatabase()
    try:
        frame = db.read_parquet_folder(out / part)
    finally:
        db.close()
    return (
        frame[columns]
        .sort_values(columns[: len(columns) - 1], na_position="last")
        .reset_index(drop=True)
    )
