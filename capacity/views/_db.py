"""Opening the store for the application layer: a Store passes through, a path opens one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from capacity.store import Store

Database = Store | Path
"""A store already open (the command line) or a database file (the app opens it per read)."""


@contextmanager
def reading(db: Database) -> Iterator[Store]:
    """The store to read from: ``db`` itself if open, else the file opened read-only."""
    if isinstance(db, Store):
        yield db
        return
    with Store.open(db, read_only=True) as store:
        yield store


@contextmanager
def writing(db: Database) -> Iterator[Store]:
    """The store to write to: ``db`` itself if open, else the file opened for writing."""
    if isinstance(db, Store):
        yield db
        return
    with Store.open(db) as store:
        yield store
