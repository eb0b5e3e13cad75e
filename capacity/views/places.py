"""Places with their systems and populations, services, service types and planning years."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pandas as pd

from capacity.demo import ensure_database
from capacity.model import system_members
from capacity.periods import planning_year_of
from capacity.plan import places_in, resolve_place
from capacity.views._db import Database, reading


def ensured_database(path: Path) -> Path:
    """The database file, built from the demo data first if there is none yet."""
    ensure_database(path)
    return path


def file_stamp(path: Path) -> int:
    """Changes whenever the database file (or its write-ahead log) is written."""
    wal = Path(f"{path}.wal")
    return os.stat(path).st_mtime_ns + (os.stat(wal).st_mtime_ns if wal.exists() else 0)


def versions(db: Database) -> tuple[str, str]:
    """The store's data and scenarios versions (see Store.versions)."""
    with reading(db) as store:
        return store.versions()


def all_places(db: Database) -> pd.DataFrame:
    """Every place and system as stored (a system's population blank: see
    :func:`places_with_populations`)."""
    with reading(db) as store:
        return store.query("places")


def places_with_populations(db: Database) -> pd.DataFrame:
    """All places and systems, with each system's population as the sum of its places'.

    An ICB's sum takes the whole of each place whose main ICB it is (an authority
    split across ICBs counts in the one holding most of its people).
    """
    places = all_places(db)
    pairs = system_members(places).merge(
        places[["place_code", "population_65plus"]], on="place_code"
    )
    totals = pairs.groupby("system_code")["population_65plus"].sum(min_count=1)
    is_system = places["kind"] == "system"
    places.loc[is_system, "population_65plus"] = places.loc[is_system, "place_code"].map(totals)
    return places


def service_types(db: Database) -> pd.DataFrame:
    """Service types in plan order."""
    with reading(db) as store:
        return store.query("service_types")


def service_type_labels(db: Database) -> pd.DataFrame:
    """The wording of each service type's row in the BCF plan, per source and planning year."""
    with reading(db) as store:
        return store.query("service_type_labels")


def services(db: Database) -> pd.DataFrame:
    """Services with the places they serve."""
    with reading(db) as store:
        return store.query("services")


def services_serving(services: pd.DataFrame, codes: list[str]) -> pd.DataFrame:
    """The services that serve at least one of the places ``codes``."""
    wanted = set(codes)
    serving = services["place_codes"].map(lambda text: bool(set(str(text).split(",")) & wanted))
    # As booleans, so that no services at all (a new workspace) keeps the columns.
    return services.loc[serving.astype(bool)]


def services_at(db: Database, place: str | None = None) -> pd.DataFrame:
    """Services with the places they serve; with ``place`` (a place or system by code or
    name), only those serving it or one of its places."""
    table = services(db)
    if not place:
        return table
    places = all_places(db)
    return services_serving(table, members(places, resolve(places, place)["place_code"]))


def planning_years(db: Database, today: date) -> list[int]:
    """Planning years worth offering: from the first with a year of history to two ahead."""
    with reading(db) as store:
        span = store.query("data_span").iloc[0]
    this_year = planning_year_of(today)
    if pd.isna(span["first_day"]):
        return list(range(this_year - 1, this_year + 3))
    first = planning_year_of(pd.Timestamp(span["first_day"]).date()) + 1
    return list(range(min(first, this_year), this_year + 3))


def members(places: pd.DataFrame, code: str) -> list[str]:
    """The places a place or system stands for."""
    return places_in(places, code)


def resolve(places: pd.DataFrame, text: str) -> pd.Series:
    """The place or system a name or code means (raises PlanError when none or several)."""
    return resolve_place(places, text)


def default_place(places: pd.DataFrame) -> str:
    """The workspace's own place (the system, when a lead chose an ICB); else the first system
    (by name) holding a place with services, else the first place with services, else the
    first place."""
    if "workspace_chosen" in places.columns:
        chosen = places[places["workspace_chosen"].fillna(False).astype(bool)]
        if not chosen.empty:
            systems = chosen[chosen["kind"] == "system"]
            return (
                (systems if not systems.empty else chosen).sort_values("name")["place_code"].iloc[0]
            )
    served = set(places.loc[places["has_services"].fillna(False).astype(bool), "place_code"])
    pairs = system_members(places)
    in_use = set(pairs.loc[pairs["place_code"].isin(served), "system_code"])
    systems = places[(places["kind"] == "system") & places["place_code"].isin(in_use)]
    if not systems.empty:
        return systems.sort_values("name")["place_code"].iloc[0]
    if served:
        return (
            places.loc[places["place_code"].isin(served)].sort_values("name")["place_code"].iloc[0]
        )
    return places["place_code"].iloc[0]


def names(places: pd.DataFrame) -> dict[str, str]:
    """Each place's or system's name by code."""
    return dict(zip(places["place_code"], places["name"], strict=True))


def systems_first(places: pd.DataFrame) -> list[str]:
    """Place codes with the systems first, as the pickers list them."""
    return [
        *places.loc[places["kind"] == "system", "place_code"],
        *places.loc[places["kind"] != "system", "place_code"],
    ]


def overview_rows(places: pd.DataFrame, shown: set[str] | None = None) -> pd.DataFrame:
    """The Overview's rows in order, places by name then systems, each with its label.

    ``shown`` is the set of places with figures on the screen (all when None).
    Columns place_code, name, label and ``single``: the one member place's name
    for a system only one of whose places is shown (its figures are that place's,
    so its label says so rather than calling it a sum), else None. A system
    with only some of its places shown says how many ("3 of 8 places"); one with
    all of them is labelled as a system.
    """
    names_by_code = names(places)
    rows = []
    for kind_is_system in (False, True):
        chosen = places[(places["kind"] == "system") == kind_is_system].sort_values("name")
        for code, name in zip(chosen["place_code"], chosen["name"], strict=True):
            single = None
            label = name
            if kind_is_system:
                inside = places_in(places, code)
                present = [c for c in inside if shown is None or c in shown]
                single = names_by_code[present[0]] if len(present) == 1 else None
                if single:
                    label = f"{name} ({single} only)"
                elif len(present) < len(inside):
                    label = f"{name} ({len(present)} of {len(inside)} places)"
                else:
                    label = f"{name} (system)"
            rows.append({"place_code": code, "name": name, "label": label, "single": single})
    return pd.DataFrame(rows, columns=["place_code", "name", "label", "single"])
