"""Referral aggregates for a screen or a command: the reduction job, and loading its folder.

:func:`aggregate_records` runs :mod:`capacity.aggregates` against this database's
reference (the importer's places, service types and services); :func:`load_aggregates`
loads a folder it wrote, as an import (all or nothing, in the import log, undone like any
import, with an audit entry naming the user).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from capacity import aggregates
from capacity.views._db import Database, reading


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
