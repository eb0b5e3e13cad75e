"""The DuckDB store: the only module that talks to the database.

It opens the file, applies the versioned migrations in ``capacity/sql/migrations``
(recording each in ``schema_migrations``), runs the named queries of
``capacity/sql/queries/*.sql`` with bound parameters, and bulk-inserts validated
DataFrames. No value is ever formatted into SQL text: values travel as bound
parameters, and the only names written into SQL are table and column names
checked against the live schema.
"""

from __future__ import annotations

import copy
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager, nullcontext, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd

from capacity.methods import METHOD_LABELS

if TYPE_CHECKING:
    from capacity.shared_state import SharedState

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
    return read_migrations(MIGRATIONS_DIR, StoreError)


def read_migrations(
    directory: Path, error: type[Exception] = RuntimeError
) -> tuple[Migration, ...]:
    """The migration files ``NNN_name.sql`` of ``directory``, in version order.

    Raises ``error`` for a file named otherwise or two files of one version.
    """
    found = []
    for path in sorted(directory.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if not match:
            raise error(f"Migration file {path.name} is not named NNN_name.sql")
        found.append(Migration(int(match.group(1)), match.group(2), path.read_text("utf-8")))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise error("Two migration files share a version number")
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
        if table == "referrals":
            # Counted months beside the records (referral_record_months) follow every way in.
            self.execute("record_months_recount", places=sorted(set(frame["place_code"])))
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


class _File:
    """One database file's connection in this process, and who is using it.

    DuckDB lets one process at a time write a file (it locks it), and refuses a
    read-only connection in a process that has the file open read-write. So a
    process keeps one connection per file, shared by every thread that uses the
    file: the first user opens it (and brings its schema up to date), the last
    one to leave closes it, which lets another program take its turn.
    """

    def __init__(self) -> None:
        self.connection: duckdb.DuckDBPyConnection | None = None
        self.read_only = False
        self.users = 0
        self.busy = False  # one thread is opening or closing the connection
        # One change at a time in this process: DuckDB refuses the second of two
        # transactions writing the same rows, so they queue here instead.
        self.writes = threading.RLock()
        self.cursors = threading.Lock()
        # The link to the shared state (CAPACITY_STATE), kept while the process runs: its
        # baseline stays true across closing and reopening the file.
        self.state: SharedState | None = None


_FILES: dict[str, _File] = {}
_FILES_CHANGED = threading.Condition()
# How long an open waits for another program to let go of the file (see waiting()).
_WAIT: ContextVar[tuple[float, Callable[[str], None] | None] | None] = ContextVar(
    "capacity_store_wait", default=None
)
_DEFAULT_WAIT = 5.0


def chosen_wait() -> float | None:
    """The wait :func:`waiting` set for this context (a command's --wait), else None."""
    chosen = _WAIT.get()
    return None if chosen is None else chosen[0]


def _wait_and_notice(wait_seconds: float | None) -> tuple[float, Callable[[str], None] | None]:
    wait, notice = _WAIT.get() or (_DEFAULT_WAIT, None)
    return (wait if wait_seconds is None else wait_seconds), notice


@contextmanager
def waiting(seconds: float, notice: Callable[[str], None] | None = None) -> Iterator[None]:
    """Let every open in this block wait up to ``seconds`` for the file to be free.

    ``notice`` is told, once per open, when the open starts to wait (the command
    line says so on its error stream, so a waiting command does not look hung).
    """
    token = _WAIT.set((seconds, notice))
    try:
        yield
    finally:
        _WAIT.reset(token)


class Store:
    """A DuckDB database file holding the product's data.

    Open it with :meth:`Store.open` (or :meth:`Store.shared` for a read). Every
    open of the same file in one process shares one connection, counted, and
    closed when its last user closes. Reads are safe from several threads: each
    call takes its own cursor, and sees the data before or after another
    thread's change, never half of it. Changes go through :meth:`transaction`,
    one at a time per file in this process.
    """

    def __init__(
        self,
        connection: duckdb.DuckDBPyConnection,
        path: Path | None,
        *,
        shared_file: _File | None = None,
    ):
        self._con = connection
        self.path = path
        self._file = shared_file
        self._writes = shared_file.writes if shared_file else threading.RLock()
        self._cursor_lock = shared_file.cursors if shared_file else threading.Lock()
        self._reader: duckdb.DuckDBPyConnection | None = None
        self._owner = True  # False for a view made by consistent(): it closes nothing
        self._closed = False

    @classmethod
    def open(
        cls,
        path: str | Path | None,
        *,
        read_only: bool = False,
        wait_seconds: float | None = None,
    ) -> Store:
        """Open (creating if needed) the database at ``path`` and bring its schema up to date.

        DuckDB lets one process write or several read; while another process
        holds the file, this retries for up to ``wait_seconds`` (default: as
        :func:`waiting` set, else 5 s) before giving a clear error. In a process
        that has the file open already, this shares that connection (a read-only
        open shares a read-write one; a read-write open is refused while the file
        is open read-only here). ``None`` opens a private in-memory database (tests).
        """
        wait, notice = _wait_and_notice(wait_seconds)
        if path is None:
            store = cls(_connect(None, False, wait, notice), None)
            store.migrate()
            return store
        target = Path(path)
        if read_only and not target.exists():
            raise StoreError(f"There is no database at {target}")
        if not read_only:
            target.parent.mkdir(parents=True, exist_ok=True)
        return cls._borrow(target, read_only, not read_only, wait, notice)

    @classmethod
    @contextmanager
    def shared(cls, path: str | Path, *, wait_seconds: float | None = None) -> Iterator[Store]:
        """The file's connection in this process, for as long as the block runs.

        The app's way to use a file: the connection is shared with every other
        session's read or write running at the same time, opened read-write by the
        first of them (so a change needs no second connection) and closed by the
        last. The file must exist.
        """
        target = Path(path)
        if not target.exists():
            raise StoreError(f"There is no database at {target}")
        wait, notice = _wait_and_notice(wait_seconds)
        store = cls._borrow(target, False, False, wait, notice)
        try:
            yield store
        finally:
            store.close()

    @classmethod
    def _borrow(
        cls,
        target: Path,
        open_read_only: bool,
        needs_write: bool,
        wait: float,
        notice: Callable[[str], None] | None,
    ) -> Store:
        deadline = time.monotonic() + wait
        shared_file, must_open = _claim(target, needs_write, deadline, wait)
        if not must_open:
            assert shared_file.connection is not None
            return cls(shared_file.connection, target, shared_file=shared_file)
        connection = None
        try:
            remaining = max(deadline - time.monotonic(), 0.0)
            connection = _connect(target, open_read_only, remaining, notice, wait)
            store = cls(connection, target, shared_file=shared_file)
            if open_read_only:
                store._check_version()
                store._join_shared_state(take=False)
            else:
                store.migrate()
                store._join_shared_state()
        except BaseException:
            if connection is not None:
                connection.close()
            _opened(shared_file, None, open_read_only)
            raise
        _opened(shared_file, connection, open_read_only)
        return store

    # -- the shared state (several app servers) -----------------------------------

    def _shared_state(self) -> SharedState | None:
        return self._file.state if self._file is not None else None

    def _join_shared_state(self, *, take: bool = True) -> None:
        """With CAPACITY_STATE set, link this file to the shared state in PostgreSQL: take
        its tables from there, or (PostgreSQL still empty) seed it from this file.

        A read-only open (``take`` False) only checks the setting and PostgreSQL's schema:
        it cannot write what it would take, so it reads this file as last refreshed.
        """
        from capacity import shared_state

        url = shared_state.state_url()
        if url is None or self._file is None:
            return
        if self._file.state is None:
            self._file.state = shared_state.SharedState(url)
        state = self._file.state
        if not take:
            return
        self.refresh()
        if (state.held == 0 and state.version() == 0) or state.unsent:
            with self.transaction():
                # The change pushes every shared row this file holds (PostgreSQL empty), or
                # the rows of imports loaded here before the servers shared data.
                pass

    @property
    def state_shared(self) -> bool:
        """True when the tables people change have their authority in PostgreSQL."""
        return self._shared_state() is not None

    def refresh(self) -> bool:
        """Take the changes other servers made to the shared state, if any (True if taken).

        Skipped (False) while this thread is making a change, or while another thread of
        this process is (the next read takes them). Without a shared state, False.
        """
        state = self._shared_state()
        if state is None or self._file is None or self._file.read_only:
            return False
        from capacity.shared_state import RowsRefused

        if state.in_change() or not state.moved():
            return False
        if not self._writes.acquire(blocking=False):
            return False
        try:
            while True:
                with closing(self._cursor()) as cur:
                    cur.execute("BEGIN TRANSACTION")
                    try:
                        taken = state.refresh(cur)
                        cur.execute("COMMIT")
                    except RowsRefused:
                        # Another server's import could not be written here: taken again
                        # without it (each try sets one more aside, so this ends).
                        with suppress(duckdb.Error):
                            cur.execute("ROLLBACK")
                        state.lost()
                        continue
                    except BaseException:
                        with suppress(duckdb.Error):
                            cur.execute("ROLLBACK")
                        state.lost()
                        raise
                return taken
        finally:
            self._writes.release()

    def close(self) -> None:
        """Let go of the connection: closed once its last user in this process lets go."""
        if not self._owner or self._closed:
            return
        self._closed = True
        if self._file is None:
            self._con.close()
        else:
            _release(self._file)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        # The connection keeps a list of its cursors: threads take them one at a time.
        with self._cursor_lock:
            return self._con.cursor()

    @contextmanager
    def consistent(self) -> Iterator[Store]:
        """This store, its queries in the block all reading the data as one moment left them.

        DuckDB keeps a transaction's view of the data fixed (MVCC): a change
        another thread commits while the block runs is seen by none of its
        queries. Changes made in the block go through their own transactions.
        """
        if self._reader is None:
            self.refresh()
        cursor = self._cursor()
        cursor.execute("BEGIN TRANSACTION")
        view = copy.copy(self)
        view._reader, view._owner = cursor, False
        try:
            yield view
        except BaseException:
            with suppress(duckdb.Error):
                cursor.execute("ROLLBACK")
            raise
        else:
            cursor.execute("COMMIT")
        finally:
            cursor.close()

    @contextmanager
    def turn(self) -> Iterator[Store]:
        """This store, with no other thread of this process changing the file until the block
        ends (so a change that reads before it writes sees no other change land between)."""
        with self._writes:
            yield self

    # -- schema -------------------------------------------------------------

    def schema_version(self) -> int:
        """The highest migration applied to this database (0 for an empty file)."""
        with closing(self._cursor()) as cur:
            return self._schema_version(cur)

    @staticmethod
    def _schema_version(cur: duckdb.DuckDBPyConnection) -> int:
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
        current = self._check_version()
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
        # Looked at first: the app opens the file for every read after the command line
        # had it, and a change it need not make would cost a write each time.
        known = set(self.query("capacity_methods")["method"])
        if known >= METHOD_LABELS.keys():
            return
        with self.transaction() as tx:
            for key, label in METHOD_LABELS.items():
                tx.execute("add_capacity_method", method=key, label=label)

    def _check_version(self) -> int:
        """The database's schema version, refused if newer than this code knows."""
        newest = max((m.version for m in migrations()), default=0)
        found = self.schema_version()
        if found > newest:
            raise StoreError(
                f"The database {self.path} was made by a newer version of this product "
                f"(schema {found}, this version knows up to {newest}). "
                "Update the product, or point --db / CAPACITY_DB at another file."
            )
        return found

    # -- reads and writes ---------------------------------------------------

    def query(self, name: str, /, **params: Any) -> pd.DataFrame:
        """Run a named query with bound parameters and return a DataFrame."""
        if self._reader is not None:
            return _Session(self._reader).query(name, **params)
        with closing(self._cursor()) as cur:
            return _Session(cur).query(name, **params)

    def execute(self, name: str, /, **params: Any) -> list[tuple]:
        """Run a named statement with bound parameters (a change: one at a time per file)."""
        if self._shared_state() is not None:
            with self.transaction() as tx:
                return tx.execute(name, **params)
        with self._writes, closing(self._cursor()) as cur:
            return _Session(cur).execute(name, **params)

    def insert_frame(self, table: str, frame: pd.DataFrame) -> int:
        """Append a DataFrame to a table in its own transaction."""
        with self.transaction() as tx:
            return tx.insert_frame(table, frame)

    @contextmanager
    def transaction(self) -> Iterator[_Session]:
        """A session whose statements all commit together, or not at all.

        Transactions on one file in this process run one after another (see :meth:`turn`).
        With a shared state, every server's changes run one after another, and the rows
        this one changes in the shared tables are written to PostgreSQL before it commits:
        refused (SharedStateConflict, nothing saved) if another server changed them since
        this one read them (see :mod:`capacity.shared_state`).
        """
        with self._writes:
            state = self._shared_state()
            cur = self._cursor()
            cur.execute("BEGIN TRANSACTION")
            pushed = False
            try:
                with state.change(cur) if state is not None else nullcontext():
                    yield _Session(cur)
                    if state is not None:
                        state.push(cur)
                        pushed = True
                    cur.execute("COMMIT")
            except BaseException:
                with suppress(duckdb.Error):
                    cur.execute("ROLLBACK")
                if pushed and state is not None:
                    state.lost()  # PostgreSQL has it and this file not: take all afresh
                raise
            finally:
                cur.close()
            if state is not None:
                state.committed()

    def read_csv(self, path: str | Path) -> pd.DataFrame:
        """Read a CSV file with DuckDB's reader, every cell as text (validation types it)."""
        cur = self._cursor()
        try:
            return cur.read_csv(str(path), header=True, all_varchar=True).df()
        except duckdb.Error as exc:
            raise StoreError(f"Could not read {path}: {exc}") from exc
        finally:
            cur.close()

    @contextmanager
    def scratch(self) -> Iterator[_Session]:
        """A session whose every change is thrown away at the end (for checking files).

        It takes the file's turn to change as a transaction does: its scratch tables
        would otherwise collide with a load's of the same name.
        """
        with self._writes:
            cur = self._cursor()
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
        if self._reader is None:
            self.refresh()
        data, scenarios = (
            "|".join(str(v) for v in self.query(name).iloc[0])
            for name in ("data_version", "scenarios_version")
        )
        return data, scenarios

    def table_counts(self) -> dict[str, int]:
        """Row counts of the main tables, for status output and tests."""
        frame = self.query("table_counts")
        return dict(zip(frame["table_name"], frame["row_count"].astype(int), strict=True))


def shared_version(path: str | Path) -> int:
    """PostgreSQL's shared version for this file's shared state in this process, or 0 with
    none (no CAPACITY_STATE, or the file not opened yet here). It moves when another server
    changes the shared state, which does not touch this file, so the app's file-stamped
    caches add it to the file's own stamp."""
    shared_file = _FILES.get(str(Path(path).resolve()))
    state = shared_file.state if shared_file is not None else None
    return 0 if state is None else state.version()


def _claim(target: Path, needs_write: bool, deadline: float, wait: float) -> tuple[_File, bool]:
    """Count one more user of the file's connection in this process; True if the caller
    must open it. Waits while another thread opens or closes it. A change is refused at
    once while the file is open read-only in this program: the app never keeps it so (its
    own reads open it read-write), and a command or test that does would wait for itself."""
    key = str(target.resolve())
    with _FILES_CHANGED:
        shared_file = _FILES.setdefault(key, _File())
        while shared_file.busy:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise StoreError(_busy_here(target, wait))
            _FILES_CHANGED.wait(remaining)
        if needs_write and shared_file.connection is not None and shared_file.read_only:
            raise StoreError(
                f"The database {target} is open read-only in this program, so it cannot be "
                "changed until that is closed."
            )
        shared_file.users += 1
        must_open = shared_file.connection is None
        shared_file.busy = must_open
        return shared_file, must_open


def _opened(
    shared_file: _File, connection: duckdb.DuckDBPyConnection | None, read_only: bool
) -> None:
    """Hand the new connection (None: the open failed) to the threads waiting for it."""
    with _FILES_CHANGED:
        shared_file.connection, shared_file.read_only = connection, read_only
        shared_file.busy = False
        if connection is None:
            shared_file.users -= 1
        _FILES_CHANGED.notify_all()


def _release(shared_file: _File) -> None:
    """One user fewer; the last one closes the connection, so another program can open it."""
    with _FILES_CHANGED:
        shared_file.users -= 1
        if shared_file.users > 0 or shared_file.connection is None:
            return
        connection, shared_file.connection = shared_file.connection, None
        shared_file.busy = True
    try:
        connection.close()
    finally:
        with _FILES_CHANGED:
            shared_file.busy = False
            _FILES_CHANGED.notify_all()


def _connect(
    target: Path | None,
    read_only: bool,
    wait_seconds: float,
    notice: Callable[[str], None] | None = None,
    waited_in_all: float | None = None,
) -> duckdb.DuckDBPyConnection:
    """A new connection, retrying while another program holds the file (or, in this
    process, a connection of another mode that is about to close)."""
    deadline = time.monotonic() + wait_seconds
    delay = 0.05
    told = False
    while True:
        try:
            return duckdb.connect(str(target) if target else ":memory:", read_only=read_only)
        except (duckdb.IOException, duckdb.ConnectionException) as exc:
            if not _held_elsewhere(exc) or time.monotonic() + delay > deadline:
                waited = wait_seconds if waited_in_all is None else waited_in_all
                raise StoreError(_explain_open_error(target, exc, waited)) from exc
            if notice is not None and not told:
                told = True
                notice(_waiting_notice(target, wait_seconds))
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


def _held_elsewhere(exc: Exception) -> bool:
    """The file is open elsewhere: locked by another program (IOException), or open in
    this process in another mode (ConnectionException: 'different configuration')."""
    text = str(exc).lower()
    if isinstance(exc, duckdb.ConnectionException):
        return "different configuration" in text
    return "lock" in text


def _waiting_notice(path: Path | None, seconds: float) -> str:
    return (
        f"Waiting for {path}: another program (the app, or another command) is using it. "
        f"Waiting up to {seconds:g} s for its turn to end…"
    )


def _busy_here(path: Path, seconds: float) -> str:
    return (
        f"The database {path} was still busy in this program after {seconds:g} s "
        "(another change was being saved or the file opened). Try again."
    )


def _explain_open_error(path: Path | None, exc: Exception, waited: float) -> str:
    if _held_elsewhere(exc):
        return (
            f"The database {path} is in use by another program (the app, or another command "
            f"such as an import) and was still in use after waiting {waited:g} s. Try again "
            "when it has finished, or let a command wait longer with --wait SECONDS (the app "
            "waits as CAPACITY_WAIT_SECONDS says)."
        )
    return f"Could not open the database {path}: {exc}"


class ScratchDatabase:
    """An in-memory DuckDB database for work on files that never touches a store: the
    aggregate job's DuckDB engine (:mod:`capacity.aggregates`). Its SQL is the product's
    own text; paths and values are bound, and column names from a file's header are
    renamed through DuckDB's expression API, never written into SQL."""

    def __init__(self, threads: int | None = None) -> None:
        self._con = duckdb.connect(":memory:")
        if threads:
            self._con.execute("SET threads = $n", {"n": int(threads)})

    def close(self) -> None:
        """Close the database (everything in it is gone)."""
        self._con.close()

    def run(self, sql: str, **params: Any) -> None:
        """Run the statements of ``sql`` (split at semicolons that end a line)."""
        for statement in _statements(sql):
            used = {k: v for k, v in params.items() if f"${k}" in statement}
            self._con.execute(statement, used or None)

    def frame(self, sql: str, **params: Any) -> pd.DataFrame:
        """Run one query and return its rows."""
        return self._con.execute(sql, params or None).df()

    def register(self, name: str, frame: pd.DataFrame) -> None:
        """Make ``frame`` a table called ``name`` (a checked identifier)."""
        if not _IDENTIFIER.match(name):
            raise StoreError(f"{name!r} is not a valid table name")
        self._con.register(f"{name}_frame", frame)
        self._con.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" AS FROM "{name}_frame"')  # noqa: S608
        self._con.unregister(f"{name}_frame")

    def read_files(self, paths: list[str], fmt: str) -> list[str]:
        """Open CSV (every cell as text) or Parquet files as the view ``raw_input``;
        return its column names as the files have them."""
        try:
            if fmt == "csv":
                rel = self._con.read_csv(paths, header=True, all_varchar=True)
            else:
                rel = self._con.read_parquet(paths)
        except duckdb.Error as exc:
            raise StoreError(f"Could not read {', '.join(paths[:3])}: {exc}") from exc
        rel.create_view("raw_input_files")
        return list(rel.columns)

    def rename_input(self, mapping: dict[str, str]) -> None:
        """Make the view ``raw_input``: the file columns in ``mapping`` under their new names,
        as text."""
        rel = self._con.table("raw_input_files")
        picked = [
            duckdb.ColumnExpression(old).cast(duckdb.sqltype("VARCHAR")).alias(new)
            for old, new in mapping.items()
        ]
        rel.select(*picked).create_view("raw_input")

    def copy_parquet(self, sql: str, folder: Path, partition: str) -> None:
        """Write the rows of query ``sql`` under ``folder`` as Parquet, one sub-folder per
        value of the column ``partition`` (a checked identifier)."""
        if not _IDENTIFIER.match(partition):
            raise StoreError(f"{partition!r} is not a valid column name")
        # The query is the product's text; the folder is bound.
        self._con.execute(
            f'COPY ({sql}) TO $folder (FORMAT parquet, PARTITION_BY ("{partition}"), '  # noqa: S608
            "OVERWRITE_OR_IGNORE true)",
            {"folder": str(folder)},
        )

    def read_parquet_folder(self, folder: Path) -> pd.DataFrame:
        """Every row of the Parquet files under ``folder``, partition columns included."""
        return self._con.execute(
            "SELECT * FROM read_parquet($glob, hive_partitioning = true)",
            {"glob": str(folder / "**" / "*.parquet")},
        ).df()
