"""A workspace: a database of England's reference data, a lead's own places, and no services yet.

Every database starts the same way, whether it becomes the demo or a lead's own
workspace: service types and their labels from ``data/reference/``, and England's
authorities, ICBs, trusts, catchment shares and populations (:mod:`capacity.england`).
:func:`read_reference` reads and checks those files and :func:`write_reference` writes
them inside a transaction; the demo build (:func:`capacity.demo.load_demo`) and the
empty build (:func:`load_empty`) both call them, so nothing is loaded twice or two ways.

A workspace names its own places (:func:`set_places`): the authorities, or an ICB and
its authorities, a lead plans for. They are the sidebar's default place. Choosing them
is logged (import kind ``workspace``), so the app reads them again at once.
"""

from __future__ import annotations

import difflib
import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from capacity import config, england
from capacity.plan import PlanError, place_key, places_in, resolve_place
from capacity.reference import (
    POPULATION_FILE,
    REFERENCE_FILES,
    check_service_type_labels,
    read_tables,
)
from capacity.store import Store, _Session

WORKSPACE_KIND = "workspace"
REFERENCE_KIND = "reference"


class WorkspaceError(ValueError):
    """Places that cannot be a workspace's own: the reason in words, near names suggested."""


@dataclass(frozen=True)
class Reference:
    """What every database holds before anything of its own: read, typed and checked."""

    tables: dict[str, pd.DataFrame]
    """service_types and service_type_labels."""
    england: dict[str, pd.DataFrame]
    population: pd.DataFrame
    stamp: str
    files: list[Path] = field(default_factory=list)


def read_reference(store: Store, reference_dir: Path = config.REFERENCE_DIR) -> Reference:
    """Read and check the reference files (raises ValidationError naming file, row, reason)."""
    tables = read_tables(store.read_csv, reference_dir, REFERENCE_FILES)
    check_service_type_labels(
        tables["service_type_labels"],
        tables["service_types"],
        tables["service_type_labels"].attrs.get("source", "service_type_labels"),
    )
    population = read_tables(store.read_csv, reference_dir, POPULATION_FILE)["population"]
    national = england.england_tables(store.read_csv, population, reference_dir)
    files = [reference_dir / f"{n}.csv" for n in (*REFERENCE_FILES, *england.FILES)]
    files.append(reference_dir / f"{england.POPULATION_FILE}.csv")
    return Reference(tables, national, population, england.checksum(reference_dir), files)


def write_reference(
    session: _Session,
    reference: Reference,
    *,
    own_places: pd.DataFrame | None = None,
    log_kind: str = REFERENCE_KIND,
    note: str = "reference data",
) -> None:
    """Write the reference data into a new database, inside the caller's transaction.

    ``own_places`` are places and local systems of the database's own (the demo's
    BHR partnership) kept beside England's. Each file read is logged under ``log_kind``.
    """
    own = own_places if own_places is not None else pd.DataFrame(columns=england.PLACE_COLUMNS)
    england.write(session, reference.england, reference.population, reference.stamp, own=own)
    for name, frame in reference.tables.items():
        session.insert_frame(name, frame)
    for path in reference.files:
        log_file(session, path, log_kind, note)


def log_file(session: _Session, path: Path, kind: str, note: str) -> None:
    """Record in the import log that a file went into the database's build."""
    session.execute(
        "log_import",
        kind=kind,
        file_name=f"{path.parent.name}/{path.name}",
        checksum=hashlib.sha256(path.read_bytes()).hexdigest(),
        rows_read=0,
        rows_loaded=0,
        rows_rejected=0,
        loaded_by=config.os_user(),
        note=note,
    )


def build_database(path: Path, load: Callable[[Store], dict[str, int]]) -> dict[str, int]:
    """Build a database at ``path`` with ``load``: into a temporary file first, then moved.

    A failed build leaves no file behind, and an existing file is only replaced once
    the new one is complete.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    building = path.with_name(path.name + ".building")
    for leftover in (building, building.with_name(building.name + ".wal")):
        leftover.unlink(missing_ok=True)
    try:
        with Store.open(building) as store:
            counts = load(store)
        os.replace(building, path)
    except BaseException:
        building.unlink(missing_ok=True)
        raise
    return counts


def load_empty(
    store: Store,
    places: str | Sequence[str] | None = None,
    *,
    reference_dir: Path = config.REFERENCE_DIR,
) -> dict[str, int]:
    """England's reference data and no services; with ``places``, the workspace's own places."""
    reference = read_reference(store, reference_dir)
    with store.transaction() as tx:
        write_reference(tx, reference, note="empty workspace build")
    if places:
        set_places(store, places)
    return store.table_counts()


def build_empty_database(
    path: Path,
    places: str | Sequence[str] | None = None,
    *,
    reference_dir: Path = config.REFERENCE_DIR,
) -> dict[str, int]:
    """Build an empty workspace at ``path`` (see :func:`load_empty`); all or nothing."""
    return build_database(
        path, lambda store: load_empty(store, places, reference_dir=reference_dir)
    )


def split_places(text: str, all_places: pd.DataFrame) -> list[str]:
    """A comma-separated list of places as the names it holds.

    Some names hold a comma themselves ("Kingston upon Hull, City of"), so the
    longest run of pieces that names a place is taken first.
    """
    pieces = [p.strip() for p in text.split(",") if p.strip()]
    known = {
        place_key(v)
        for column in ("place_code", "name", "ods_code")
        if column in all_places.columns
        for v in all_places[column].dropna()
    }
    found, start = [], 0
    while start < len(pieces):
        end = next(
            (
                e
                for e in range(len(pieces), start, -1)
                if place_key(", ".join(pieces[start:e])) in known
            ),
            start + 1,
        )
        found.append(", ".join(pieces[start:end]))
        start = end
    return found


def resolve_places(all_places: pd.DataFrame, wanted: str | Sequence[str]) -> pd.DataFrame:
    """The workspace's places for what a lead named: authority codes or names, or an ICB's
    ONS or ODS code or name (which brings its authorities).

    Returns columns place_code and chosen (True for what was named). Raises
    :class:`WorkspaceError` naming each text not known, with near names.
    """
    texts = split_places(wanted, all_places) if isinstance(wanted, str) else list(wanted)
    if not texts:
        raise WorkspaceError("Name at least one place: an authority, or an ICB.")
    problems, rows = [], {}
    for text in texts:
        try:
            hit = resolve_place(all_places, text)
        except PlanError as exc:
            problems.append(_with_near_names(str(exc), text, all_places))
            continue
        rows[hit["place_code"]] = True
        if hit["kind"] == "system":
            for code in places_in(all_places, hit["place_code"]):
                rows.setdefault(code, False)
    if problems:
        raise WorkspaceError(" ".join(problems) + " Nothing was set up.")
    return pd.DataFrame({"place_code": list(rows), "chosen": list(rows.values())})


def _with_near_names(message: str, text: str, all_places: pd.DataFrame) -> str:
    """The resolver's message, with names spelt like ``text`` when it had none to offer."""
    if "Did you mean" in message:
        return message
    names = list(all_places["name"])
    near = difflib.get_close_matches(str(text), names, n=5, cutoff=0.6)
    if not near:
        return message
    codes = dict(zip(all_places["name"], all_places["place_code"], strict=True))
    suggestions = ", ".join(f"{n} ({codes[n]})" for n in near)
    return f"Unknown place {text!r}. Did you mean: {suggestions}?"


def set_places(store: Store, wanted: str | Sequence[str]) -> pd.DataFrame:
    """Make ``wanted`` the workspace's own places (replacing any before); logged.

    Returns the places set (place_code, chosen). Nothing changes when a name is
    not known (:class:`WorkspaceError`).
    """
    rows = resolve_places(store.query("places"), wanted)
    named = ", ".join(rows.loc[rows["chosen"], "place_code"])
    with store.transaction() as tx:
        tx.execute("clear_workspace_places")
        for code, chosen in zip(rows["place_code"], rows["chosen"], strict=True):
            tx.execute("add_workspace_place", place_code=code, chosen=bool(chosen))
        tx.execute(
            "log_import",
            kind=WORKSPACE_KIND,
            file_name=f"workspace places: {named}",
            checksum=f"places:{named}",
            rows_read=len(rows),
            rows_loaded=len(rows),
            rows_rejected=0,
            loaded_by=config.os_user(),
            note=f"the workspace's own places: {named}",
        )
    return rows


def workspace_places(store: Store) -> pd.DataFrame:
    """The places a workspace was set up for (place_code, name, kind, chosen, chosen_at)."""
    return store.query("workspace_places")


def has_services(store: Store) -> bool:
    """Whether the database holds any service (the demo does; a new workspace does not)."""
    return int(store.query("service_count").iloc[0, 0]) > 0
