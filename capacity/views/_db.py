"""Opening the store for the application layer: a Store passes through, a path is shared.

The app gives the view functions a database file; every session's read and write
of that file in this process then shares one connection (see
:meth:`capacity.store.Store.shared`). A read sees the data as one moment left
them: before another session's import or undo, or after it, never half. A write
takes the file's turn, so two sessions' changes run one after the other. While
another program (the command line) holds the file, both wait for it for up to
:func:`capacity.config.wait_seconds` (a command: its own ``--wait``), then carry on by
themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path

from capacity import config
from capacity.store import Store, StoreError, chosen_wait

Database = Store | Path
"""A store already open (the command line) or a database file (the app shares one per file)."""


@contextmanager
def reading(db: Database) -> Iterator[Store]:
    """The store to read from: ``db`` itself if open, else the file's shared connection,
    every query in the block reading the same moment's data."""
    if isinstance(db, Store):
        yield db
        return
    with Store.shared(db, wait_seconds=_wait()) as store, store.consistent() as view:
        yield view


@contextmanager
def writing(db: Database) -> Iterator[Store]:
    """The store to write to: ``db`` itself if open, else the file's shared connection,
    holding the file's turn to change until the block ends."""
    if isinstance(db, Store):
        yield db
        return
    with Store.open(db, wait_seconds=_wait()) as store, store.turn():
        yield store


@contextmanager
def kept_open(db: Database) -> Iterator[None]:
    """Keep the file's shared connection open while the block runs (one run of a page).

    Without it, each read of a page run that misses the app's caches opens the file, checks
    its schema and closes it again: about a sixth of a change of place on England's data.
    Held for the run only, the file is free again between runs for a command to write it.
    If the file cannot be opened at once (a command is importing into it), the block runs
    as before, each read waiting for its own turn and saying why it could not.
    """
    if isinstance(db, Store):
        yield
        return
    with ExitStack() as stack:
        with suppress(StoreError):  # each read in the block then waits and reports itself
            stack.enter_context(Store.shared(db, wait_seconds=0))
        yield


def _wait() -> float:
    """How long to wait for another program to let go of the file: the command's own
    ``--wait`` when a command runs, else the app's setting."""
    chosen = chosen_wait()
    return config.wait_seconds() if chosen is None else chosen
