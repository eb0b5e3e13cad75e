"""The state several app servers share, kept in PostgreSQL (``CAPACITY_STATE``).

With ``CAPACITY_STATE=postgresql://…`` every table people change (services, their places,
parameters, shares, demand settings, scenarios and their versions, snapshots, decisions,
workforce, the audit trail, the import log, role grants, the workspace: :data:`SHARED_TABLES`)
has its authority in PostgreSQL; each server's DuckDB file is its working copy of them,
beside the bulky read-only data (referrals, SitReps, reference data) that stays local.

How a change travels (the store calls these around every DuckDB transaction):

* :meth:`SharedState.begin`: takes PostgreSQL's write lock (one change at a time across
  every server, as the store already has one at a time per file) and moves this file's id
  sequences past every id any server has handed out.
* :meth:`SharedState.push`, before the DuckDB COMMIT: compares the shared tables, as the
  transaction left them, with what this server last took from PostgreSQL (row by primary
  key), and writes the rows added, changed and deleted. A row PostgreSQL holds at another
  version than this server read (someone on another server changed it since) refuses the
  whole change with who and when (:class:`SharedStateConflict`), and the DuckDB transaction
  rolls back: neither change is lost silently.
* :meth:`SharedState.refresh` (before reads): when PostgreSQL's version has moved, rewrites
  the tables that changed from PostgreSQL, which moves the store's stamps, so caches refresh.

The bulky read-only data (referral records, published counts, SitReps, referral aggregates:
:data:`BULKY_TABLES`) stay in each server's own file, but follow the shared import log. A
push that logs an import of those kinds also sends, in the same PostgreSQL transaction, the
rows the import added and the rows it replaced (its archive rows), as Parquet; a refresh
that finds in the log an import this file does not hold writes those rows here, oldest
first, and one the log shows undone runs the import's own undo. The table
``bulky_holdings`` (local, never shared) notes what this file holds. A change that makes or
undoes such an import is refused while this server has not yet taken another server's,
so every server's tables go through the same steps in the same order.

The first server to meet an empty PostgreSQL seeds it from its own file. The store is the
only module that holds DuckDB; this module is handed its cursors.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from capacity import config
from capacity.store import Migration, StoreError, _Session, read_migrations

MIGRATIONS_DIR = Path(__file__).parent / "sql" / "postgres"
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_TYPE = re.compile(r"^[A-Z][A-Z0-9_ (),]*$")
_SEQUENCE_DEFAULT = re.compile(r"nextval\('([a-z0-9_]+)'\)")

STATE_ENV = "CAPACITY_STATE"
LOCK_SECONDS = 30
"""How long a change waits for another server's change to finish before giving up."""

SHARED_TABLES: tuple[str, ...] = (
    "services",
    "services_archive",
    "service_places",
    "service_places_archive",
    "service_parameters",
    "service_parameters_archive",
    "trust_place_shares",
    "trust_place_shares_archive",
    "sitrep_destination_overrides",
    "sitrep_destination_overrides_archive",
    "demand_settings",
    "scenarios",
    "scenario_versions",
    "scenario_changes",
    "snapshots",
    "snapshot_rows",
    "snapshot_imports",
    "decisions",
    "decision_status_changes",
    "workforce_settings",
    "audit_log",
    "import_log",
    "role_grants",
    "workspace_places",
)
"""The DuckDB tables whose authority is PostgreSQL when the state is shared."""

BULKY_TABLES: dict[str, tuple[str, ...]] = {
    "referrals": ("referrals",),
    "counts": ("monthly_demand",),
    "sitrep": ("sitrep_discharges",),
    "aggregates": ("referral_months", "episode_months", "stay_statistics", "referral_weekdays"),
}
"""Per import kind, the local tables its rows go to (each with ``import_id``, and an archive
``<table>_archive`` of the rows it replaced, with ``replaced_by``)."""
PART_ROWS = 200_000
"""Rows per Parquet part sent through PostgreSQL (a few MB each)."""

_log = logging.getLogger(__name__)
# Who made a change, read from the rows it writes (the audit entry first).
_WHO_COLUMNS = ("user_name", "loaded_by", "made_by", "saved_by", "granted_by", "changed_by")


class SharedStateError(StoreError):
    """The shared state (CAPACITY_STATE) is misconfigured, unreachable or too new, with why."""


class SharedStateConflict(SharedStateError):
    """A change refused because another server changed the same thing since this one read it."""


class RowsRefused(SharedStateError):
    """Another server's import could not be written into this file (a damaged part, or rows
    that clash with this file's own). The store takes the refresh again without it."""


def state_url() -> str | None:
    """The shared state's address from $CAPACITY_STATE, or None (one DuckDB file holds all)."""
    text = os.environ.get(STATE_ENV, "").strip()
    return text or None


@cache
def migrations() -> tuple[Migration, ...]:
    """The PostgreSQL migrations shipped with the code, in version order."""
    return read_migrations(MIGRATIONS_DIR, SharedStateError)


def check_url(url: str) -> str:
    """``url`` if it is a PostgreSQL address, else SharedStateError saying what is expected."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres") or not (parts.hostname or parts.path):
        raise SharedStateError(
            f"{STATE_ENV} must be a PostgreSQL address such as "
            f"postgresql://user:password@host:5432/database, not {_without_password(url)!r}."
        )
    return url


def _without_password(url: str) -> str:
    """The address as it may be shown: any password replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)


def _where(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    return f"{host}:{parts.port or 5432}{parts.path or ''}"


def connect(url: str) -> Any:
    """A psycopg connection to the shared state, or SharedStateError in one line."""
    check_url(url)
    try:
        import psycopg
    except ImportError:
        raise SharedStateError(
            f"{STATE_ENV} is set but psycopg is not installed (pip install -r requirements.txt)."
        ) from None
    try:
        return psycopg.connect(url, connect_timeout=10)
    except psycopg.Error as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        if "password authentication failed" in reason:
            reason = "the user name or password was refused"
        raise SharedStateError(
            f"Could not connect to the shared state at {_where(url)} ({STATE_ENV}): {reason}"
        ) from None


def migrate(connection: Any, where: str = "") -> list[int]:
    """Bring the PostgreSQL schema up to date (refused if newer than this code knows)."""
    newest = max((m.version for m in migrations()), default=0)
    applied = []
    with connection.transaction():
        # Two servers starting together: one migrates, the other waits, then finds it done.
        connection.execute("SELECT pg_advisory_xact_lock(190001)")
        connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
            "name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        row = connection.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
        found = int(row[0])
        if found > newest:
            raise SharedStateError(
                f"The shared state at {where} was made by a newer version of this product "
                f"(schema {found}, this version knows up to {newest}). Update the product."
            )
        for migration in migrations():
            if migration.version > found:
                connection.execute(migration.sql)
                connection.execute(
                    "INSERT INTO schema_version (version, name) VALUES (%s, %s)",
                    (migration.version, migration.name),
                )
                applied.append(migration.version)
    return applied


# -- rows as text -------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A DuckDB value as JSON can hold it, the same way every time (so rows compare)."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # DuckDB reads 'nan' and 'inf' back as DOUBLE
    return value


def _canon(row: dict[str, Any]) -> str:
    return json.dumps(row, sort_keys=True, separators=(",", ":"))


def _text(value: Any) -> str | None:
    """A JSON value as the text DuckDB casts back to its column's type."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


@dataclass
class _Table:
    """A shared table's shape in this DuckDB file."""

    name: str
    columns: list[str]
    types: list[str]
    key: list[str]  # primary key columns; empty: the whole row is the key
    sequence: tuple[str, str] | None  # (sequence, column) of an id numbered by a sequence


@dataclass
class _Pending:
    """What a pushed change will make this server's baseline once DuckDB commits it."""

    rows: dict[str, dict[str, tuple[str, int] | None]] = field(default_factory=dict)
    version: int | None = None
    caught_up: bool = False
    data_version: int | None = None  # the data version this server is then up to date with


class SharedState:
    """One DuckDB file's link to the shared state: its baseline and PostgreSQL connections.

    The baseline is, per shared table and row key, the row's text and the PostgreSQL
    version it had when this server last took or wrote it. ``held`` is the shared version
    this copy is up to date with (None: never refreshed, so the next refresh takes all).
    """

    def __init__(self, url: str):
        self.url = check_url(url)
        self.where = _where(url)
        self._write = connect(url)
        self._read = connect(url)
        self._read_lock = threading.Lock()
        migrate(self._write, self.where)
        self.held: int | None = None
        # The shared data version (imports and undos) this file's bulky tables are up to date
        # with; None: not known, so an import or undo made here is refused until a refresh.
        self.data_held: int | None = None
        self.unsent: set[tuple[int, str]] = set()  # (import id, kind) held here, sent by none
        self.refused: dict[int, str] = {}  # imports whose rows could not be written here: why
        self.baseline: dict[str, dict[str, tuple[str, int]]] = {}
        self._tables: dict[str, _Table] | None = None
        self._pending: _Pending | None = None
        self._writing = threading.local()

    def close(self) -> None:
        """Close both PostgreSQL connections."""
        for connection in (self._write, self._read):
            connection.close()

    # -- this file's tables --------------------------------------------------------------

    def tables(self, cur: Any) -> dict[str, _Table]:
        """The shared tables of this DuckDB file with their columns, types and keys."""
        if self._tables is None:
            self._tables = {name: _describe(cur, name) for name in SHARED_TABLES}
        return self._tables

    def in_change(self) -> bool:
        """True while this thread is inside a change (a refresh then would collide with it)."""
        return bool(getattr(self._writing, "active", False))

    # -- reads ------------------------------------------------------------------------------

    def version(self) -> int:
        """PostgreSQL's shared version now."""
        with self._read_lock, self._read.transaction():
            row = self._read.execute("SELECT version FROM shared_state WHERE id = 1").fetchone()
        return int(row[0])

    def moved(self) -> bool:
        """True when PostgreSQL holds changes this copy has not taken."""
        return self.held is None or self.version() != self.held

    def refresh(self, cur: Any) -> bool:
        """Take every change made since this copy's version into the DuckDB transaction on
        ``cur``: each shared table with a changed row is rewritten from PostgreSQL. Returns
        True if anything was taken. A first refresh of an empty PostgreSQL seeds it instead."""
        tables = self.tables(cur)
        with self._read_lock, self._read.transaction():
            now, data_now = self._read.execute(
                "SELECT version, data_version FROM shared_state WHERE id = 1"
            ).fetchone()
            now = int(now)
            if self.held is not None and now == self.held:
                return False
            since = -1 if self.held is None else self.held
            touched = [
                r[0]
                for r in self._read.execute(
                    "SELECT DISTINCT table_name FROM shared_rows WHERE version > %s", (since,)
                ).fetchall()
            ]
            if self.held is None:
                touched = list(tables)
            rows: dict[str, list[tuple[str, Any, int]]] = {name: [] for name in touched}
            for table_name, key, row, version in self._read.execute(
                'SELECT table_name, row_key, "row", version FROM shared_rows '
                "WHERE table_name = ANY(%s)",
                (touched,),
            ):
                rows.setdefault(table_name, []).append((key, row, version))
        if now == 0 and self.held is None:
            self.held, self.data_held = 0, int(data_now)
            return False  # nothing shared yet: the first change seeds it (see push)
        data_moved = "import_log" in touched or int(data_now) != self.data_held
        before = _bulky_log(cur) if data_moved else None
        for name in touched:
            if name in tables:
                self._rewrite(cur, tables[name], rows.get(name, []))
        if before is not None:
            self._follow_imports(cur, before)
        self.held, self.data_held = now, int(data_now)
        return True

    def _rewrite(self, cur: Any, table: _Table, rows: list[tuple[str, Any, int]]) -> None:
        """Replace the DuckDB table's rows with PostgreSQL's, and the baseline with them."""
        import pandas as pd

        cur.execute(f'DELETE FROM "{table.name}"')  # noqa: S608 - a checked table name
        baseline: dict[str, tuple[str, int]] = {}
        values = []
        for key, row, version in rows:
            baseline[key] = (_canon(row), version) if row is not None else ("", version)
            if row is not None:
                values.append([_text(row.get(c)) for c in table.columns])
        # A tombstone (a row deleted elsewhere) is no row here; only live rows are held.
        self.baseline[table.name] = {k: v for k, v in baseline.items() if v[0]}
        if not values:
            return
        frame = pd.DataFrame(values, columns=table.columns, dtype="string")
        columns = ", ".join(f'"{c}"' for c in table.columns)
        pairs = zip(table.columns, table.types, strict=True)
        casts = ", ".join(f'CAST("{c}" AS {t})' for c, t in pairs)
        with _readable(cur, "_shared_incoming", frame):
            cur.execute(
                f'INSERT INTO "{table.name}" ({columns}) '  # noqa: S608 - checked names
                f"SELECT {casts} FROM _shared_incoming"
            )

    # -- bulky rows --------------------------------------------------------------------------

    def _follow_imports(self, cur: Any, before: dict[int, _LogEntry]) -> None:
        """Bring this file's bulky tables to the shared import log just taken: note the
        imports it held already (``before``: its log until now), undo what the log shows
        undone (newest first), then write the rows of each import it lacks (oldest first)."""
        session = _Session(cur)
        log = _bulky_log(cur)
        holdings = dict(
            zip(*(session.query("bulky_holdings")[c] for c in ("import_id", "status")), strict=True)
        )
        for entry in log.values():
            if entry.import_id in holdings:
                continue
            mine = before.get(entry.import_id)
            if mine is not None and (mine.kind, mine.checksum) == (entry.kind, entry.checksum):
                holdings[entry.import_id] = "undone" if mine.undone else "held"
            elif entry.undone:
                holdings[entry.import_id] = "undone"  # undone before this server took it
            else:
                continue
            _hold(session, entry, holdings[entry.import_id])
        for entry in sorted(log.values(), key=lambda e: -e.import_id):
            if entry.undone and holdings.get(entry.import_id) in ("held", "missing"):
                if holdings[entry.import_id] == "held":
                    _undo(session, entry)
                holdings[entry.import_id] = "undone"
                _hold(session, entry, "undone")
        live = [e for e in log.values() if not e.undone]
        if not live:
            return
        with self._read_lock, self._read.transaction():
            sent = {
                int(r[0])
                for r in self._read.execute(
                    "SELECT import_id FROM bulky_imports WHERE import_id = ANY(%s)",
                    ([e.import_id for e in live],),
                )
            }
            for entry in live:
                status = holdings.get(entry.import_id)
                if status == "held":
                    continue
                if entry.import_id in self.refused:
                    holdings[entry.import_id] = "missing"
                    _hold(session, entry, "missing", self.refused[entry.import_id])
                elif entry.import_id in sent:
                    self._take(session, entry)
                    holdings[entry.import_id] = "held"
                    _hold(session, entry, "held")
                elif status is None:  # said once, in the server's log and the import log
                    note = _missing_note(entry)
                    _log.warning(note)
                    holdings[entry.import_id] = "missing"
                    _hold(session, entry, "missing", note)
        # Imports this file holds that no server has sent (loaded before the servers shared
        # data): the next change this server pushes sends them (see push).
        self.unsent = {
            (e.import_id, e.kind)
            for e in live
            if holdings.get(e.import_id) == "held" and e.import_id not in sent
        }

    def _take(self, session: _Session, entry: _LogEntry) -> None:
        """Write an import's sent rows here, or RowsRefused (noted, so the next try skips it)."""
        try:
            _apply(session, entry, self._parts(entry.import_id))
        except Exception as exc:  # noqa: BLE001 - any failure: this import is set aside
            reason = " ".join(str(exc).split())[:300] or type(exc).__name__
            note = (
                f"Import {entry.import_id} ({entry.file_name}, {entry.kind}) from another "
                f"server could not be written here ({reason}), so this server plans without "
                "its rows."
            )
            _log.warning(note)
            self.refused[entry.import_id] = note
            raise RowsRefused(note) from exc

    def _parts(self, import_id: int) -> dict[str, Any]:
        """The rows an import sent, per table, as one Arrow table each (read lock held)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        pieces: dict[str, list[Any]] = {}
        for table_name, payload in self._read.execute(
            "SELECT table_name, payload FROM bulky_parts WHERE import_id = %s "
            "ORDER BY table_name, part",
            (import_id,),
        ):
            pieces.setdefault(table_name, []).append(pq.read_table(pa.BufferReader(payload)))
        return {name: pa.concat_tables(tables) for name, tables in pieces.items()}

    # -- writes -----------------------------------------------------------------------------

    @contextmanager
    def change(self, cur: Any) -> Iterator[None]:
        """Hold PostgreSQL's write lock for one DuckDB transaction on ``cur`` (see module).

        The caller pushes (:meth:`push`) before its COMMIT and calls :meth:`committed` after.
        """
        self._writing.active = True
        try:
            self._write.execute(f"SET LOCAL lock_timeout = '{LOCK_SECONDS}s'")
            try:
                self._write.execute("SELECT version FROM shared_state WHERE id = 1 FOR UPDATE")
            except Exception as exc:
                self._write.rollback()
                raise SharedStateError(
                    "Another server was still saving a change after "
                    f"{LOCK_SECONDS} s; try again. ({' '.join(str(exc).split())})"
                ) from None
            self._advance_sequences(cur)
            yield
        except BaseException:
            self._pending = None
            self._write.rollback()
            raise
        finally:
            self._writing.active = False

    def _advance_sequences(self, cur: Any) -> None:
        """Move this file's id sequences past every id any server has used."""
        marks = dict(self._write.execute("SELECT name, last_value FROM shared_sequences"))
        last = dict(
            cur.execute("SELECT sequence_name, last_value FROM duckdb_sequences()").fetchall()
        )
        for table in self.tables(cur).values():
            if table.sequence is None:
                continue
            sequence, column = table.sequence
            highest = cur.execute(
                f'SELECT max("{column}") FROM "{table.name}"'  # noqa: S608 - checked names
            ).fetchone()[0]
            target = max(int(marks.get(sequence, 0)), int(highest or 0))
            behind = target - int(last.get(sequence) or 0)
            if behind > 0:
                # A sequence name read from the schema (checked) and a number: no user text.
                cur.execute(
                    f"SELECT max(nextval('{sequence}')) FROM range({int(behind)})"  # noqa: S608
                )

    def push(self, cur: Any) -> None:
        """Write this transaction's changes to the shared tables to PostgreSQL and commit
        there, or raise SharedStateConflict (and write nothing) if another server changed
        any of the same rows since this server read them."""
        tables = self.tables(cur)
        changes: dict[str, dict[str, dict[str, Any] | None]] = {}
        for table in tables.values():
            found = _diff(self.baseline.get(table.name, {}), _rows(cur, table))
            if found:
                changes[table.name] = found
        state_version, data_version = (
            int(v)
            for v in self._write.execute(
                "SELECT version, data_version FROM shared_state WHERE id = 1"
            ).fetchone()
        )
        current = data_version == self.data_held
        # Rows of imports loaded before sharing began, sent once this file is up to date.
        backfill = sorted(self.unsent) if current else []
        if not changes and not backfill:
            self._write.rollback()
            self._pending = _Pending(version=None)
            return
        self._refuse_conflicts(cur, changes)
        sends, undone = _bulky_changes(self.baseline.get("import_log", {}), changes)
        if (sends or undone) and not current:
            self._write.rollback()
            raise SharedStateConflict(
                "Another server loaded or undid data since this server last took it; nothing "
                "was saved here. Try again (the data are taken first)."
            )
        new_version = state_version + 1
        who = _who(changes)
        pending = _Pending(version=new_version, caught_up=state_version == self.held)
        data_moved = "import_log" in changes or bool(backfill)
        if data_moved and current:
            pending.data_version = new_version
        with self._write.cursor() as pg:
            for name, rows in changes.items():
                pg.executemany(
                    'INSERT INTO shared_rows (table_name, row_key, "row", version, changed_by, '
                    "changed_at) VALUES (%s, %s, %s, %s, %s, now()) "
                    'ON CONFLICT (table_name, row_key) DO UPDATE SET "row" = EXCLUDED."row", '
                    "version = EXCLUDED.version, changed_by = EXCLUDED.changed_by, "
                    "changed_at = EXCLUDED.changed_at",
                    [
                        (name, key, None if row is None else json.dumps(row), new_version, who)
                        for key, row in rows.items()
                    ],
                )
                pending.rows[name] = {
                    key: None if row is None else (_canon(row), new_version)
                    for key, row in rows.items()
                }
            _hold_own(cur, sends, undone)
            for import_id, kind in sorted({*sends, *backfill}):
                _send(cur, pg, import_id, kind, who)
            pg.execute(
                "UPDATE shared_state SET version = %s, changed_by = %s, changed_at = now(), "
                "data_version = CASE WHEN %s THEN %s ELSE data_version END WHERE id = 1",
                (new_version, who, data_moved, new_version),
            )
            for table in tables.values():
                if table.sequence and table.name in changes:
                    sequence, column = table.sequence
                    ids = [r[column] for r in changes[table.name].values() if r is not None]
                    if ids:
                        pg.execute(
                            "INSERT INTO shared_sequences VALUES (%s, %s) ON CONFLICT (name) "
                            "DO UPDATE SET last_value = greatest(shared_sequences.last_value, "
                            "EXCLUDED.last_value)",
                            (sequence, max(int(i) for i in ids)),
                        )
        self._write.commit()
        self.unsent -= set(backfill)  # PostgreSQL has them, whatever DuckDB does next
        self._pending = pending

    def _refuse_conflicts(self, cur: Any, changes: dict[str, dict[str, Any]]) -> None:
        """SharedStateConflict naming the first row another server changed since this read it."""
        for name, rows in changes.items():
            held = self.baseline.get(name, {})
            found = self._write.execute(
                'SELECT row_key, version, changed_by, changed_at, "row" FROM shared_rows '
                "WHERE table_name = %s AND row_key = ANY(%s)",
                (name, list(rows)),
            ).fetchall()
            for key, version, changed_by, changed_at, their_row in found:
                ours = held.get(key)
                if ours is not None and ours[1] == version:
                    continue  # the row as this server read it: ours to change
                if ours is None and their_row is None:
                    continue  # deleted elsewhere and made again here
                mine = rows[key]
                if ours is None and mine is not None and _canon(mine) == _canon(their_row):
                    continue  # the same row added on both: nothing to choose between
                what = describe(cur, name, their_row or rows[key] or {})
                self._write.rollback()
                raise SharedStateConflict(
                    f"{what} {'was deleted' if their_row is None else 'changed'} on another "
                    f"server by {changed_by} at {_when(changed_at)}; nothing was saved here. "
                    "Reload the page and make the change again."
                )

    def committed(self) -> None:
        """DuckDB committed the change: the pushed rows become this server's baseline."""
        pending, self._pending = self._pending, None
        if pending is None or pending.version is None:
            return
        for name, rows in pending.rows.items():
            baseline = self.baseline.setdefault(name, {})
            for key, value in rows.items():
                if value is None:
                    baseline.pop(key, None)
                else:
                    baseline[key] = value
        if pending.caught_up:
            self.held = pending.version
        if pending.data_version is not None:
            self.data_held = pending.data_version

    def lost(self) -> None:
        """DuckDB failed to commit a change PostgreSQL took: take everything afresh."""
        self._pending = None
        self.held = None
        self.data_held = None
        self.baseline = {}


# -- bulky rows ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _LogEntry:
    """An import of a bulky kind as the import log has it."""

    import_id: int
    kind: str
    file_name: str
    checksum: str
    undone: bool


def _bulky_log(cur: Any) -> dict[int, _LogEntry]:
    """This file's import log, its imports of the bulky kinds only, by id."""
    frame = _Session(cur).query("bulky_log", kinds=list(BULKY_TABLES))
    return {
        int(row.import_id): _LogEntry(
            int(row.import_id),
            str(row.kind),
            str(row.file_name),
            str(row.checksum),
            not _missing(row.undone_at),
        )
        for row in frame.itertuples(index=False)
    }


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value) == "NaT"


def _bulky_changes(
    baseline: dict[str, tuple[str, int]], changes: dict[str, dict[str, dict[str, Any] | None]]
) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """The imports of bulky kinds a push logs afresh (their rows to send) and those it marks
    undone, each as (import id, kind)."""
    sends: list[tuple[int, str]] = []
    undone: list[tuple[int, str]] = []
    for key, row in changes.get("import_log", {}).items():
        if row is None or row.get("kind") not in BULKY_TABLES:
            continue
        entry = (int(row["import_id"]), str(row["kind"]))
        if row.get("undone_at") is not None:
            undone.append(entry)
        elif key not in baseline:
            sends.append(entry)
    return sorted(sends), sorted(undone)


def _hold(session: _Session, entry: _LogEntry, status: str, note: str = "") -> None:
    session.execute(
        "bulky_hold", import_id=entry.import_id, kind=entry.kind, status=status, note=note
    )


def _hold_own(cur: Any, sends: list[tuple[int, str]], undone: list[tuple[int, str]]) -> None:
    """Note, in the change's own DuckDB transaction, the imports it made or undid here."""
    session = _Session(cur)
    for status, entries in (("held", sends), ("undone", undone)):
        for import_id, kind in entries:
            session.execute("bulky_hold", import_id=import_id, kind=kind, status=status, note="")


def _checked(name: str) -> str:
    if not _IDENTIFIER.match(name):
        raise SharedStateError(f"{name!r} is not a table name")
    return name


def _send(cur: Any, pg: Any, import_id: int, kind: str, who: str) -> None:
    """Write to PostgreSQL the rows import ``import_id`` added to each of its kind's tables
    and those it replaced (their archives), as Parquet parts of :data:`PART_ROWS` rows. An
    import sent already (a push repeated after a failed commit here) is left as sent."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    fresh = pg.execute(
        "INSERT INTO bulky_imports VALUES (%s, %s, %s, now()) ON CONFLICT DO NOTHING "
        "RETURNING import_id",
        (import_id, kind, who),
    ).fetchall()
    if not fresh:
        return
    for table in BULKY_TABLES[kind]:
        for name, column in ((table, "import_id"), (f"{table}_archive", "replaced_by")):
            reader = cur.sql(
                f'SELECT * FROM "{_checked(name)}" WHERE "{column}" = $i',  # noqa: S608 - names
                params={"i": import_id},
            ).to_arrow_reader(PART_ROWS)
            for part, batch in enumerate(reader):
                if batch.num_rows == 0:
                    continue
                buffer = pa.BufferOutputStream()
                pq.write_table(pa.Table.from_batches([batch]), buffer, compression="zstd")
                pg.execute(
                    "INSERT INTO bulky_parts VALUES (%s, %s, %s, %s, %s)",
                    (import_id, name, part, batch.num_rows, buffer.getvalue().to_pybytes()),
                )


def _columns(cur: Any, table: str) -> list[str]:
    found = cur.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = $t "
        "ORDER BY ordinal_position",
        {"t": table},
    ).fetchall()
    columns = [str(c) for (c,) in found]
    if not columns or not all(_IDENTIFIER.match(c) for c in columns):
        raise SharedStateError(f"The database has no table {table} to take rows into")
    return columns


def _apply(session: _Session, entry: _LogEntry, parts: dict[str, Any]) -> None:
    """Write an import made on another server into this file as it was written there: the
    rows it replaced leave each table for its archive, and the rows it added arrive; then
    the referral months of the places it touched are counted again."""
    cur = session._cur
    for table in BULKY_TABLES[entry.kind]:
        archive = f"{table}_archive"
        columns = _columns(cur, _checked(table))
        if archive in parts:
            _delete_replaced(cur, table, columns, parts[archive])
            _insert(cur, archive, _columns(cur, _checked(archive)), parts[archive])
        if table in parts:
            _insert(cur, table, columns, parts[table])
    if entry.kind == "referrals":
        from capacity.ingest.loading import import_places, recount_record_months

        recount_record_months(session, import_places(session, entry.import_id))


@contextmanager
def _readable(cur: Any, name: str, rows: Any) -> Iterator[None]:
    """``rows`` (a DataFrame or Arrow table) readable by SQL on ``cur`` as ``name`` in the block."""
    cur.register(name, rows)
    try:
        yield
    finally:
        cur.unregister(name)


def _insert(cur: Any, table: str, columns: list[str], rows: Any) -> None:
    names = ", ".join(f'"{c}"' for c in columns)
    with _readable(cur, "_bulky_incoming", rows):
        cur.execute(
            f'INSERT INTO "{table}" ({names}) SELECT {names} FROM _bulky_incoming'  # noqa: S608
        )


def _delete_replaced(cur: Any, table: str, columns: list[str], archived: Any) -> None:
    """Delete from ``table`` each row equal, column for column (a missing value equal to a
    missing value), to a row the import archived: the deletions the import made there."""
    same = " AND ".join(f'a."{c}" IS NOT DISTINCT FROM t."{c}"' for c in columns)
    with _readable(cur, "_bulky_archived", archived):
        cur.execute(
            f'DELETE FROM "{table}" t WHERE EXISTS '  # noqa: S608 - checked names
            f"(SELECT 1 FROM _bulky_archived a WHERE {same})"
        )


def _undo(session: _Session, entry: _LogEntry) -> None:
    """Undo an import here as its own undo did on the server that undid it."""
    from capacity.ingest.loading import take_out

    take_out(session, entry.import_id, entry.kind)


def _missing_note(entry: _LogEntry) -> str:
    """Why an import's rows are not on this server, and what brings them."""
    return (
        f"Import {entry.import_id} ({entry.file_name}, {entry.kind}) was loaded on another "
        "server before the servers shared data, and no server has sent its rows, so this "
        "server plans without them. They arrive here once the server that loaded it runs "
        "this version (it sends them when it starts or next saves a change)."
    )


def _describe(cur: Any, name: str) -> _Table:
    """A shared table's columns, types, primary key and id sequence, read from DuckDB."""
    if not _IDENTIFIER.match(name):
        raise SharedStateError(f"{name!r} is not a table name")
    found = cur.execute(
        "SELECT column_name, data_type, column_default FROM information_schema.columns "
        "WHERE table_name = $t ORDER BY ordinal_position",
        {"t": name},
    ).fetchall()
    if not found:
        raise SharedStateError(f"The database has no table {name} to share")
    columns = [c for c, _, _ in found]
    types = [t for _, t, _ in found]
    for column, type_ in zip(columns, types, strict=True):
        if not _IDENTIFIER.match(column) or not _TYPE.match(type_):
            raise SharedStateError(f"{name}.{column} ({type_}) cannot be shared")
    key_rows = cur.execute(
        "SELECT constraint_column_names FROM duckdb_constraints() "
        "WHERE table_name = $t AND constraint_type = 'PRIMARY KEY'",
        {"t": name},
    ).fetchall()
    key = list(key_rows[0][0]) if key_rows else []
    sequence = None
    for column, _, default in found:
        match = _SEQUENCE_DEFAULT.search(str(default or ""))
        if match and column in key:
            sequence = (match.group(1), column)
    return _Table(name, columns, types, key, sequence)


def _rows(cur: Any, table: _Table) -> dict[str, dict[str, Any]]:
    """The table's rows by key (text), each as plain JSON values."""
    columns = ", ".join(f'"{c}"' for c in table.columns)
    result = cur.execute(f'SELECT {columns} FROM "{table.name}"')  # noqa: S608 - checked names
    rows: dict[str, dict[str, Any]] = {}
    seen: dict[str, int] = {}
    for values in result.fetchall():
        row = {c: _plain(v) for c, v in zip(table.columns, values, strict=True)}
        if table.key:
            key = json.dumps([row[c] for c in table.key])
        else:
            # No primary key: the row is its own key (a repeat counted, so none is lost).
            text = _canon(row)
            seen[text] = seen.get(text, 0) + 1
            key = f"{text}#{seen[text]}"
        rows[key] = row
    return rows


def _diff(
    baseline: dict[str, tuple[str, int]], now: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any] | None]:
    """Rows added or changed (key: row) and deleted (key: None) since the baseline."""
    changed: dict[str, dict[str, Any] | None] = {
        key: row
        for key, row in now.items()
        if key not in baseline or baseline[key][0] != _canon(row)
    }
    changed.update({key: None for key in baseline if key not in now})
    return changed


def _who(changes: dict[str, dict[str, dict[str, Any] | None]]) -> str:
    """Who made a change: the audit entry's user, else a name on a row written, else the
    operating-system user of this server."""
    ordered = sorted(changes, key=lambda name: name != "audit_log")
    for name in ordered:
        for row in changes[name].values():
            for column in _WHO_COLUMNS:
                if row and row.get(column):
                    return str(row[column])
    return config.os_user()


def _when(moment: datetime) -> str:
    """A time as people read it: 14:02 UTC on 5 December 2026."""
    utc = moment.astimezone(UTC)
    return f"{utc:%H:%M} UTC on {utc.day} {utc:%B %Y}"


def _place_name(cur: Any, code: Any) -> str:
    if not code:
        return "every place"
    found = cur.execute("SELECT name FROM places WHERE place_code = $c", {"c": code}).fetchall()
    return str(found[0][0]) if found else str(code)


def describe(cur: Any, table: str, row: dict[str, Any]) -> str:
    """What a shared row is, in the words of the screen that changes it."""
    place = row.get("place_code")
    if table in ("service_parameters", "service_parameters_archive"):
        return f"{_service_places(cur, row)}'s parameters for {_service_name(cur, row)}"
    if table in ("scenarios", "scenario_versions", "scenario_changes"):
        return f"The scenario {_scenario_name(cur, row)!r}"
    if table in ("services", "services_archive"):
        return f"The service {row.get('name') or row.get('service_id')}"
    if table in ("service_places", "service_places_archive"):
        return f"The places of the service {row.get('service_id')}"
    if table == "demand_settings":
        return "The demand settings"
    if table == "workforce_settings":
        return f"The workforce assumptions for {_place_name(cur, place)}"
    if table in ("snapshots", "snapshot_rows", "snapshot_imports"):
        return f"A snapshot ({row.get('name') or row.get('snapshot_id')})"
    if table in ("decisions", "decision_status_changes"):
        return f"A decision ({row.get('text') or row.get('decision_id')})"
    if table == "role_grants":
        return f"The role of {row.get('email')}"
    if table == "workspace_places":
        return "The workspace's places"
    return f"A row of {table.replace('_', ' ')}"


def _service_name(cur: Any, row: dict[str, Any]) -> str:
    found = cur.execute(
        "SELECT name FROM services WHERE service_id = $s", {"s": row.get("service_id")}
    ).fetchall()
    return str(found[0][0]) if found else str(row.get("service_id"))


def _service_places(cur: Any, row: dict[str, Any]) -> str:
    """The place a parameter row is for: its own, else the places its service serves."""
    if row.get("place_code"):
        return _place_name(cur, row["place_code"])
    found = cur.execute(
        "SELECT p.name FROM service_places s JOIN places p USING (place_code) "
        "WHERE s.service_id = $s ORDER BY p.name",
        {"s": row.get("service_id")},
    ).fetchall()
    return " and ".join(str(r[0]) for r in found) or "every place"


def _scenario_name(cur: Any, row: dict[str, Any]) -> str:
    if row.get("name"):
        return str(row["name"])
    found = cur.execute(
        "SELECT name FROM scenarios WHERE scenario_id = $i", {"i": row.get("scenario_id")}
    ).fetchall()
    return str(found[0][0]) if found else f"#{row.get('scenario_id')}"
