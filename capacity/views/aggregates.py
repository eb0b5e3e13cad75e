"""Referral aggregates for a screen or a command: the reduction job, and loading its folder.

:func:`aggregate_records` runs :mod:`capacity.aggregates` against this database's
reference (the importer's places, service types and services); :func:`load_aggregates`
loads a folder it wrote, as an import (all or nothing, in the import log, undone like any
import, with an audit entry naming the user).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from capacity import aggregates, audit
from capacity.access import User
from capacity.ingest import aggregates as folder_import
from capacity.store import _Session
from capacity.views._db import Database, reading, writing
from capacity.views.permissions import one_place, places_words, require, require_some


def aggregate_records(
    db: Database,
    *,
    engine: str,
    input_path: str,
    out: Path,
    fmt: str | None = None,
    master: str | None = None,
) -> dict[str, Any]:
    """Reduce the records at ``input_path`` into the new folder ``out`` with ``engine``,
    checked against this database's reference; return the manifest."""
    with reading(db) as store:
        reference = aggregates.reference_from_store(store)
    with aggregates.engine_for(engine, master=master) as chosen:
        return aggregates.aggregate(chosen, input_path, out, reference, fmt)


def summary(manifest: dict[str, Any], out: Path) -> str:
    """What the job wrote, in a few lines."""
    rows = manifest["rows"]
    lines = [
        f"{manifest['records_read']:,} records read with {manifest['engine']}: "
        f"{manifest['records_counted']:,} counted, {manifest['records_refused']:,} refused "
        f"(see {out / aggregates.REFUSED}).",
        "Wrote "
        + ", ".join(f"{part} {rows[part]:,} rows" for part in aggregates.PARTS)
        + f" to {out}, partitioned by system.",
    ]
    return "\n".join(lines)


def load_aggregates(db: Database, folder: Path, *, user: User) -> str:
    """Load a folder of aggregates as ``user``: all or nothing, one import to undo.

    The folder is verified before the database is touched; the places it names must be
    ones ``user`` may change (an editor of those places, or an admin), checked before
    anything is written. One audit entry records the load in the same transaction.
    ImportFileError says why a folder is refused; AccessDenied names the places refused.
    """
    require_some(user)
    verified = folder_import.read_folder(folder)

    def allow(session: _Session, places: frozenset[str]) -> None:
        require(session, user, places)

    def after(session: _Session, import_id: int, message: str) -> None:
        audit.record(
            session,
            user,
            "import",
            place_code=one_place(verified.places),
            subject=folder.name,
            detail=f"{message} Places: {places_words(verified.places)}.",
        )

    with writing(db) as store:
        _import_id, message = folder_import.load(
            store,
            verified,
            loaded_by=user.label,
            loaded_by_email=user.email,
            allow=allow,
            after=after,
        )
    return message
