"""The DuckDB store: the only module that talks to the database.

It opens the file, applies the versioned migrations in ``capacity/sql/migrations``
(recording each in ``schema_migrations``), runs the named queries of
``capacity/sql/queries/*.sql`` with bound parameters, and bulk-inserts validated
DataFrames. No value is ever formatted into SQL text: values travel as bound
parameters, and the only names written into SQL are table and column names
checked against the live schema.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from capacity.methods import METHOD_LABELS

SQL_DIR = Path(__file__).parent / "sql"
MIGRATIONS_DIR = SQL_DIR / "migrations"
QUERIES_DIR = SQL_DIR / "queries"

_MIGRATION_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")
_QUERY_HEADER = re.compile(r"^-- name: ([a-z0-9_]+)\s*$", re.MULTILINE)
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class StoreError(RuntimeError):
    """The database could not be opened, migrated or written, with the reason."""


@dataclass(frozen=True)
class Migration:
    """One schema migration file."""

    version: int
    name: str
    sql: str


@cache
def migrations() -> tuple[Migration, ...]:
    """All migrations shipped with the code, in version order."""
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if not match:
            raise StoreError(f"Migration file {path.name} is not named NNN_name.sql")
        found.append(Migration(int(match.group(1)), match.group(2), path.read_text("utf-8")))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise StoreError("Two migration files share a version number")
    return tuple(found)


@cache
def named_queries() -> dict[str, str]:
    """The named queries of every file in ``capacity/sql/queries``, by name."""
    return read_queries(QUERIES_DIR)


def read_queries(directory: Path) -> dict[str, str]:
    """The named queries of every ``*.sql`` file in ``directory``, by name.

    Each query starts with a ``-- name: <name>`` line. Raises StoreError when
    there are no query files, when a name is used twice (in one file or two),
    or when a file has SQL before its first name (it would never run).
    """
    paths = sorted(directory.glob("*.sql"))
    if not paths:
        raise StoreError(f"There are no query files in {directory}")
    found: dict[str, str] = {}
    where: dict[str, str] = {}
    for path in paths:
        parts = _QUERY_HEADER.split(path.read_text("utf-8"))
        # parts = [preamble, name1, body1, name2, body2, ...]
        if any(
            line.strip() and not line.lstrip().startswith("--") for line in parts[0].splitlines()
        ):
            raise StoreError(f"{path.name} has SQL before its first '-- name:' line")
        for name, body in zip(parts[1::2], parts[2::2], strict=True):
            if name in found:
                raise StoreError(
                    f"The query {name} is named twice: in {where[name]} and {path.name}"
                )
            found[name], where[name] = body.strip(), path.name
    return found


class _Session:
    """Runs statements on one DuckDB cursor (one thread, or one transaction)."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection):
        self._cur = cursor

    def query(self, name: str, /, **params: Any) -> pd.DataFrame:
        """Run the named query with bound parameters and return its rows."""
        return self._cur.execute(_sql(name), params or None).df()

    def execute(self, name: str, /, **params: Any) -> list[tuple]:
        """Run the named statement(s) with bound parameters; return the last one's rows."""
        for statement in _statements(_sql(name)):
            used = {k: v for k, v in params.items() if f"${k}" in statement}
            self._cur.execute(statement, used or None)
        try:
            return self._cur.fetchall()
        except duckdb.InvalidInputException:
            return []

    def insert_frame(self, table: str, frame: pd.DataFrame) -> int:
        """Append the rows of ``frame`` to ``table``; columns must exist in the table."""
        if frame.empty:
            return 0
        known = self._columns(table)
        unknown = [c for c in frame.columns if c not in known]
        if unknown:
            raise StoreError(f"Table {table} has no column(s) {', '.join(unknown)}")
        columns = ", ".join(f'"{c}"' for c in frame.columns)
        self._cur.register("_incoming", frame)
        try:
            # Identifiers only: the table and columns were checked against the schema above.
            self._cur.execute(
                f'INSERT INTO "{table}" ({columns}) SELECT {columns} FROM _incoming'  # noqa: S608
            )
        finally:
            # After a failed insert the transaction is aborted and DuckDB refuses even
            # this clean-up; the cursor is discarded with the transaction anyway.
            with suppress(duckdb.Error):
                self._cur.unregister("_incoming")
        return len(frame)

    def register(self, name: str, frame: pd.DataFrame) -> None:
        """Make a DataFrame readable by the named queries under ``name`` (this session only)."""
        if not _IDENTIFIER.match(name):
            raise StoreError(f"{name!r} is not a valid table name")
        self._cur.register(name, frame)

    def add_text_columns(self, table: str, names: list[str]) -> None:
        """Add empty text columns to a staging table (names checked, never user text)."""
        if not _IDENTIFIER.match(table) or not table.startswith("staging"):
            raise StoreError(f"{table!r} is not a staging table")
        for name in names:
            if not _IDENTIFIER.match(name):
                raise StoreError(f"{name!r} is not a valid column name")
            # Identifiers only, checked above.
            self._cur.execute(f'ALTER TABLE "{table}" ADD COLUMN "{name}" VARCHAR')  # noqa: S608

    def _columns(self, table: str) -> set[str]:
        rows = self._cur.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = $t",
            {"t": table},
        ).fetchall()
        if not rows:
            raise StoreError(f"There is no table called {table}")
        return {r[0] for r in rows}


def _statements(sql: str) -> list[str]:
    """The statements of a named query, split at semicolons that end a line.

    DuckDB binds parameters to one statement at a time, so a query of several
    statements runs them one by one, each with the parameters it names.
    """
    parts = re.split(r";\s*\n", sql.strip().rstrip(";") + "\n")
    return [part.strip() for part in parts if part.strip()]


def _one_value(cursor: duckdb.DuckDBPyConnection) -> Any:
    """The single value of a query that always returns one row (a count or an aggregate)."""
    row = cursor.fetchone()
    assert row is not None, "an aggregate query returned no row"
    return row[0]


def _sql(name: str) -> str:
    try:
        return named_queries()[name]
    except KeyError:
        raise StoreError(f"There is no named query called {name}") from None


class Store:
    """A DuckDB database file holding the product's data.

    Open it with :meth:`Store.open`. Reads are safe from several threads: each
    call takes its own cursor. Writes that must succeed or fail together go
    through :meth:`transaction`.
    """

    def __init__(self, connection: duckdb.DuckDBPyConnection, path: Path | None):
        self._con = connection
        self.path = path

    @classmethod
    def open(
        cls, path: str | Path | None, *, read_only: bool = False, wait_seconds: float = 5.0
    ) -> Store:
        """Open (creating if needed) the database at ``path`` and bring its schema up to date.

        DuckDB lets one process write or several read; while another process
        holds the file, this retries for up to ``wait_seconds`` before giving a
        clear error. ``None`` opens a private in-memory database (tests).
        """
        target = Path(path) if path is not None else None
        if target is not None and not read_only:
            target.parent.mkdir(parents=True, exist_ok=True)
        if target is not None and read_only and not target.exists():
            raise StoreError(f"There is no database at {target}")
        con = _connect(target, read_only, wait_seconds)
        store = cls(con, target)
        if read_only:
            store._check_version()
        else:
            store.migrate()
        return store

    def close(self) -> None:
        """Close the connection."""
        self._con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema -------------------------------------------------------------

    def schema_version(self) -> int:
        """The highest migration applied to this database (0 for an empty file)."""
        cur = self._con.cursor()
        exists = _one_value(
            cur.execute(
                "SELECT count(*) FROM information_schema.tables "
                "WHERE table_name = 'schema_migrations'"
            )
        )
        if not exists:
            return 0
        return _one_value(cur.execute("SELECT coalesce(max(version), 0) FROM schema_migrations"))

    def migrate(self) -> list[int]:
        """Apply every migration newer than the database, each in its own transaction."""
        self._check_version()
        current = self.schema_version()
        applied = []
        for migration in migrations():
            if migration.version <= current:
                continue
            with self.transaction() as tx:
                tx._cur.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations ("
                    "version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, "
                    "applied_at TIMESTAMP NOT NULL)"
                )
                tx._cur.execute(migration.sql)
                tx.execute("record_migration", version=migration.version, name=migration.name)
            applied.append(migration.version)
        self._add_capacity_methods()
        return applied

    def _add_capacity_methods(self) -> None:
        """Add every capacity method the registry declares and the database does not know."""
        with self.transaction() as tx:
            for key, label in METHOD_LABELS.items():
                tx.execute("add_capacity_method", method=key, label=label)

    def _check_version(self) -> None:
        newest = max((m.version for m in migrations()), default=0)
        if self.schema_version() > newest:
            raise StoreError(
                f"The database {self.path} was made by a newer version of this product "
                f"(schema {self.schema_version()}, this version knows up to {newest}). "
                "Update the product, or point --db / CAPACITY_DB at another file."
            )

    # -- reads and writes ---------------------------------------------------

    def query(self, name: str, /, **params: Any) -> pd.DataFrame:
        """Run a named query with bound parameters and return a DataFrame."""
        return _Session(self._con.cursor()).query(name, **params)

    def execute(self, name: str, /, **params: Any) -> list[tuple]:
        """Run a named statement with bound parameters."""
        return _Session(self._con.cursor()).execute(name, **params)

    def insert_frame(self, table: str, frame: pd.DataFrame) -> int:
        """Append a DataFrame to a table in its own transaction."""
        with self.transaction() as tx:
            return tx.insert_frame(table, frame)

    @contextmanager
    def transaction(self) -> Iterator[_Session]:
        """A session whose statements all commit together, or not at all."""
        cur = self._con.cursor()
        cur.execute("BEGIN TRANSACTION")
        try:
            yield _Session(cur)
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        else:
            cur.execute("COMMIT")
        finally:
            cur.close()

    def read_csv(self, path: str | Path) -> pd.DataFrame:
        """Read a CSV file with DuckDB's reader, every cell as text (validation types it)."""
        cur = self._con.cursor()
        try:
            return cur.read_csv(str(path), header=True, all_varchar=True).df()
        except duckdb.Error as exc:
            raise StoreError(f"Could not read {path}: {exc}") from exc
        finally:
            cur.close()

    @contextmanager
    def scratch(self) -> Iterator[_Session]:
        """A session whose every change is thrown away at the end (for checking files)."""
        cur = self._con.cursor()
        cur.execute("BEGIN TRANSACTION")
        try:
            yield _Session(cur)
        finally:
            with suppress(duckdb.Error):
                cur.execute("ROLLBACK")
            cur.close()

    def versions(self) -> tuple[str, str]:
        """Two stamps: one that changes with the data, one with the saved scenarios.

        The data stamp moves with every import (edits made in the app are
        imports too), undo and migration; the scenarios stamp with every
        scenario saved or deleted. Caches of what is read from the data can
        be keyed on the first, so saving a scenario does not read them again.
        """
        data, scenarios = (
            "|".join(str(v) for v in self.query(name).iloc[0])
            for name in ("data_version", "scenarios_version")
        )
        return data, scenarios

    def table_counts(self) -> dict[str, int]:
        """Row counts of the main tables, for status output and tests."""
        frame = self.query("table_counts")
        return dict(zip(frame["table_name"], frame["row_count"].astype(int), strict=True))


def _connect(target: Path | None, read_only: bool, wait_seconds: float):
    deadline = time.monotonic() + wait_seconds
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(target) if target else ":memory:", read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() + delay > deadline:
                raise StoreError(_explain_open_error(target, exc)) from exc
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


def _explain_open_error(path: Path | None, exc: Exception) -> str:
    text = str(exc)
    if "lock" in text.lower():
        return (
            f"The database {path} is in use by another program (is the app or another "
            "command running?). Close it, or point --db / CAPACITY_DB at another file."
        )
    return f"Could not open the database {path}: {text}"
