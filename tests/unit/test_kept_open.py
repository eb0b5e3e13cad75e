"""A page's run keeps the file open once (capacity.views._db.kept_open): its reads share one
connection, the file is free for a command again when the run ends, and a file another
program holds does not stop the run from starting."""

from __future__ import annotations

import subprocess
import sys

from capacity import config
from capacity.store import Store
from capacity.views._db import kept_open, reading

HOLD = (
    "import sys, duckdb; con = duckdb.connect(sys.argv[1]); "
    "print('holding', flush=True); sys.stdin.read()"
)


def connection_of(store: Store) -> object:
    return store._con  # the shared connection a read was given


def import_log(db) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "capacity", "import-log", "--db", str(db), "--wait", "0"],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=config.PROJECT_ROOT,
    )


def test_the_reads_of_one_run_share_one_opening_of_the_file(writable_db):
    with kept_open(writable_db):
        with reading(writable_db) as first:
            seen_first = connection_of(first)
            counted = first.table_counts()
        # Between two reads no one holds the file but the run: it stays open.
        with reading(writable_db) as second:
            assert connection_of(second) is seen_first
            assert second.table_counts() == counted


def test_without_a_run_holding_it_each_read_opens_the_file_again(writable_db):
    with reading(writable_db) as first:
        seen_first = connection_of(first)
    with reading(writable_db) as second:
        assert connection_of(second) is not seen_first


def test_the_file_is_free_for_a_command_once_the_run_ends(writable_db):
    with kept_open(writable_db):
        with reading(writable_db) as store:
            store.table_counts()
        held = import_log(writable_db)
    assert held.returncode == 1
    assert "in use by another program" in held.stderr
    assert import_log(writable_db).returncode == 0


def test_a_run_starts_at_once_while_another_program_holds_the_file(writable_db):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(writable_db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        ran = []
        with kept_open(writable_db):  # no wait: the run goes on, its reads wait for themselves
            ran.append(True)
        assert ran == [True]
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)
    with kept_open(writable_db), reading(writable_db) as store:
        assert store.table_counts()["places"] > 0
