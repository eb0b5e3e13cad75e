"""Places with their systems and populations, services, service types and planning years."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pandas as pd

from capacity.demo import ensure_database
from capacity.england import ESTIMATE_YEAR
from capacity.model import system_members
from capacity.periods import planning_year_of
from capacity.plan import places_in, resolve_place
from capacity.store import shared_version
from capacity.views._db import Database, reading

# What every per-100,000 figure is a rate of, said wherever one is shown.
POPULATION_BASIS = f"ONS mid-{ESTIMATE_YEAR} estimate"
# The people a rate per 100,000 can be of, by the value an address carries (``per=85``):
# adults, older people, or the oldest, whose numbers differ most between places.
POPULATION_BASES = {"18": "18+", "65": "65+", "85": "85+"}
DEFAULT_BASE = "65"
# The mark of the picker's first group: places with services and the systems holding them.
WITH_SERVICES = "With services"
PLACES_WITH_PLANS = "plans"


def ensured_database(path: Path) -> Path:
    """The database file, built from the demo data first if there is none yet."""
    ensure_database(path)
    return path


def file_stamp(path: Path) -> int:
    """Changes whenever the database file (or its write-ahead log) is written, or (several
    servers sharing one state) when another server changed the shared state."""
    wal = Path(f"{path}.wal")
    stamp = os.stat(path).st_mtime_ns + (os.stat(wal).st_mtime_ns if wal.exists() else 0)
    return stamp + shared_version(path)


def versions(db: Database) -> tuple[str, str]:
    """The store's data and scenarios versions (see Store.versions)."""
    with reading(db) as store:
        return store.versions()


def all_places(db: Database) -> pd.DataFrame:
    """Every place and system as stored (a system's population blank: see
    :func:`places_with_populations`)."""
    with reading(db) as store:
        return store.query("places")


def population_column(base: str) -> str:
    """The places table's column of the people a base stands for ('population_85plus')."""
    if base not in POPULATION_BASES:
        raise ValueError(f"{base!r} is not a population base")
    return f"population_{base}plus"


def rate_basis(base: str = DEFAULT_BASE) -> str:
    """What a rate is of, in words: 'per 100,000 aged 85+ (ONS mid-2023 estimate)'."""
    population_column(base)  # refuses an unknown base
    return f"per 100,000 aged {POPULATION_BASES[base]} ({POPULATION_BASIS})"


def parse_base(text: str) -> str:
    """A population base written in an address ('85', or '85+'), checked; raises ValueError
    naming the bases there are."""
    base = text.strip().removesuffix("+")
    if base not in POPULATION_BASES:
        raise ValueError("use " + ", ".join(f"per={b}" for b in POPULATION_BASES))
    return base


def describe_base(base: str) -> str:
    """A base in words, as a notice names it ('people aged 65+')."""
    return f"people aged {POPULATION_BASES.get(base, base)}"


def places_with_populations(db: Database) -> pd.DataFrame:
    """All places and systems, with their people aged 18+, 65+ and 85+ (columns
    population_18plus, population_65plus, population_85plus; see :func:`population_column`).

    A place's are its ONS mid-2023 estimates (65+ as stored with the place; 18+ and 85+
    from the estimates table). A system's are the sums of its places': an ICB's sum
    takes the whole of each place whose main ICB it is (an authority split across ICBs
    counts in the one holding most of its people).
    """
    with reading(db) as store:
        places = store.query("places")
        estimates = store.query(
            "population_estimates",
            year=ESTIMATE_YEAR,
            age_bands=[POPULATION_BASES[b] for b in POPULATION_BASES if b != DEFAULT_BASE],
        )
    by_band = estimates.pivot(index="place_code", columns="age_band", values="population")
    for base, band in POPULATION_BASES.items():
        if base != DEFAULT_BASE:
            # A place the estimates do not cover (a user's own) has no figure: blank, never 0.
            column = by_band[band] if band in by_band.columns else pd.Series(dtype=float)
            places[population_column(base)] = places["place_code"].map(column).astype(float)
    columns = [population_column(b) for b in POPULATION_BASES]
    pairs = system_members(places).merge(places[["place_code", *columns]], on="place_code")
    is_system = places["kind"] == "system"
    for column in columns:
        totals = pairs.groupby("system_code")[column].sum(min_count=1)
        places.loc[is_system, column] = places.loc[is_system, "place_code"].map(totals)
    return places


def populations(places: pd.DataFrame, base: str = DEFAULT_BASE) -> dict[str, float]:
    """Each place's and system's people of a base, by code, from the table
    :func:`places_with_populations` gives (blank where unknown)."""
    column = _column(places, population_column(base))
    return dict(zip(places["place_code"], column, strict=True))


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


def overview_rows(
    places: pd.DataFrame, shown: set[str] | None = None, base: str = DEFAULT_BASE
) -> pd.DataFrame:
    """The Overview's rows in order, places by name then systems, each with its label.

    ``shown`` is the set of places with figures on the screen (all when None).
    Columns place_code, name, label and ``single``: the one member place's name
    for a system only one of whose places is shown (its figures are that place's,
    so its label says so rather than calling it a sum), else None. A system
    with only some of its places shown says how many ("3 of 8 places"), one with
    none says so; one with all of them is labelled as a system. Also
    population: the people of ``base`` (see :data:`POPULATION_BASES`) the row's
    figures are a rate of (see :func:`_rows`).
    """
    codes = _places_then_systems(places)
    return _rows(places, codes, shown, base)


def rate_populations(
    places: pd.DataFrame, shown: set[str], base: str = DEFAULT_BASE
) -> dict[str, float]:
    """The people each place's and system's rate per 100,000 is of, by code: a place's own
    people of ``base``; a system's, those of its places in ``shown`` (the places with plans)
    added up, so a partly planned system's rate is of the places its figures are of."""
    rows = _rows(places, list(places["place_code"]), shown, base)
    return dict(zip(rows["place_code"], rows["population"], strict=True))


def _places_then_systems(places: pd.DataFrame) -> list[str]:
    """Place codes, places by name then systems by name."""
    is_system = places["kind"] == "system"
    return [
        *places.loc[~is_system].sort_values("name")["place_code"],
        *places.loc[is_system].sort_values("name")["place_code"],
    ]


def _rows(
    places: pd.DataFrame, codes: list[str], shown: set[str] | None, base: str = DEFAULT_BASE
) -> pd.DataFrame:
    """The rows ``codes`` in that order, labelled as :func:`overview_rows` says, each with the
    people of ``base`` its figures stand for: a place's own; a system's, the sum over its
    places with figures, so a rate of a partial sum is a rate of those places alone (blank
    when one of them has no population)."""
    names_by_code = names(places)
    kinds = dict(zip(places["place_code"], places["kind"], strict=True))
    population = populations(places, base)
    pairs = system_members(places)
    rows = []
    for code in codes:
        name = names_by_code[code]
        single = None
        label = name
        people = population.get(code)
        if kinds[code] == "system":
            inside = sorted(pairs.loc[pairs["system_code"] == code, "place_code"])
            present = [c for c in inside if shown is None or c in shown]
            single = names_by_code[present[0]] if len(present) == 1 else None
            if single:
                label = f"{name} ({single} only)"
            elif not present:
                label = f"{name} (no places with plans)"
            elif len(present) < len(inside):
                label = f"{name} ({len(present)} of {len(inside)} places)"
            else:
                label = f"{name} (system)"
            counts = [population.get(c) for c in present]
            known = bool(present) and all(p is not None and not pd.isna(p) for p in counts)
            people = float(sum(c for c in counts if c is not None)) if known else None
        rows.append(
            {
                "place_code": code,
                "name": name,
                "label": label,
                "single": single,
                "population": people,
            }
        )
    table = pd.DataFrame(rows, columns=["place_code", "name", "label", "single", "population"])
    table["population"] = pd.to_numeric(table["population"], errors="coerce")
    return table


# -- England's places in the sidebar and on the Overview --------------------------------------


def _column(places: pd.DataFrame, name: str) -> pd.Series:
    """A column of the places table, blank where the table has none (an older table)."""
    if name in places.columns:
        return places[name]
    return pd.Series([None] * len(places), index=places.index, dtype=object)


def _text(value: object) -> str:
    return "" if value is None or pd.isna(value) else str(value)


def _served(places: pd.DataFrame) -> set[str]:
    """The places with services of their own."""
    flags = _column(places, "has_services").fillna(False).astype(bool)
    return set(places.loc[flags, "place_code"])


def picker_options(places: pd.DataFrame) -> pd.DataFrame:
    """Every place and system in the sidebar's order, each with the label the picker shows.

    First the places with services and the systems holding them (their labels start
    "With services"), then every other; within each, by the ICB's region, the ICB,
    then the ICB itself, any local partnership and its places by name. A place's
    label names its ICB and region ("Havering · North East London ICB · London") so
    typing any of the three finds it. Columns place_code, label, in_use.
    """
    pairs = system_members(places)
    served = _served(places)
    holding = set(pairs.loc[pairs["place_code"].isin(served), "system_code"])
    names_by_code = names(places)
    icb_of = dict(zip(places["place_code"], _column(places, "icb_code"), strict=True))
    region_of = dict(zip(places["place_code"], _column(places, "region_name"), strict=True))
    system_type = dict(zip(places["place_code"], _column(places, "system_type"), strict=True))
    rows = []
    for code, kind in zip(places["place_code"], places["kind"], strict=True):
        is_system = kind == "system"
        is_icb = is_system and system_type.get(code) == "icb"
        if is_icb:
            icb = code
        elif is_system:
            # A local partnership sits under the ICB most of its places belong to.
            inside = pairs.loc[pairs["system_code"] == code, "place_code"]
            found = [i for i in inside.map(icb_of) if _text(i)]
            icb = max(set(found), key=found.count) if found else None
        else:
            icb = icb_of.get(code)
        icb = _text(icb) or None
        region = _text(region_of.get(icb)) if icb else ""
        own_region = region if is_system else _text(region_of.get(code)) or region
        icb_name = names_by_code.get(icb, "") if icb else ""
        name = names_by_code[code]
        parts = [f"{name} (system)" if is_system else name]
        if not is_icb and icb_name:
            parts.append(icb_name)
        if own_region:
            parts.append(own_region)
        in_use = code in served or code in holding
        label = " · ".join(([WITH_SERVICES] if in_use else []) + parts)
        rank = 0 if is_icb else 1 if is_system else 2
        order = (not in_use, region == "", region, icb_name, rank, name)
        rows.append({"place_code": code, "label": label, "in_use": in_use, "order": order})
    rows.sort(key=lambda row: row.pop("order"))
    return pd.DataFrame(rows, columns=["place_code", "label", "in_use"])


def icbs(places: pd.DataFrame) -> pd.DataFrame:
    """The ICBs by region then name: columns place_code, name, region_name."""
    chosen = places[(places["kind"] == "system") & (_column(places, "system_type") == "icb")]
    table = chosen.assign(region_name=_column(chosen, "region_name").fillna(""))
    return table.sort_values(["region_name", "name"])[
        ["place_code", "name", "region_name"]
    ].reset_index(drop=True)


def regions(places: pd.DataFrame) -> list[str]:
    """The regions ICBs belong to (NHS England's regions), by name."""
    return sorted({r for r in icbs(places)["region_name"] if r})


def default_icb(places: pd.DataFrame, code: str) -> str | None:
    """The ICB the Overview offers first: ``code`` itself when it is an ICB, else the main ICB
    of its (first) place, else the first ICB holding a place with services, else the first."""
    listed = list(icbs(places)["place_code"])
    if code in listed:
        return code
    icb_of = dict(zip(places["place_code"], _column(places, "icb_code"), strict=True))
    known = set(places["place_code"])
    for member in places_in(places, code) if code in known else []:
        if icb_of.get(member) in listed:
            return icb_of[member]
    pairs = system_members(places)
    holding = set(pairs.loc[pairs["place_code"].isin(_served(places)), "system_code"])
    return next((c for c in listed if c in holding), listed[0] if listed else None)


def parse_scope(places: pd.DataFrame, text: str) -> str:
    """The Overview's scope written in an address, checked: ``plans``, ``icb:CODE`` (an ICB's
    code or ODS code) or ``region:NAME`` (any case). Returns it as the Overview writes it;
    raises ValueError saying what is wrong."""
    kind, _, value = text.partition(":")
    value = value.strip()
    if kind == PLACES_WITH_PLANS and not value:
        return PLACES_WITH_PLANS
    table = icbs(places)
    if kind == "icb":
        ods = dict(zip(_column(places, "ods_code"), places["place_code"], strict=True))
        code = value if value in set(table["place_code"]) else ods.get(value.upper())
        if code not in set(table["place_code"]):
            raise ValueError(f"{value!r} is not an ICB's code")
        return f"icb:{code}"
    if kind == "region":
        known = {r.lower(): r for r in regions(places)}
        if value.lower() not in known:
            raise ValueError(
                f"{value!r} is not a region; the regions are " + ", ".join(known.values())
            )
        return f"region:{known[value.lower()]}"
    raise ValueError("use plans, icb:CODE or region:NAME")


def describe_scope(places: pd.DataFrame, scope: str) -> str:
    """The scope in words ("North East London ICB's places")."""
    kind, _, value = scope.partition(":")
    if kind == "icb":
        return f"{names(places).get(value, value)}'s places"
    if kind == "region":
        return f"the ICBs of {value}"
    return "the places with plans"


def scope_rows(
    places: pd.DataFrame, scope: str, shown: set[str], base: str = DEFAULT_BASE
) -> pd.DataFrame:
    """The Overview's rows for a scope (see :func:`parse_scope`), as :func:`overview_rows`,
    with the people of ``base`` each row's rates are of.

    ``shown`` holds the places and systems with plan rows. *Places with plans*: those
    rows, places by name then systems, a place with no services of its own labelled so.
    *An ICB*: every place whose main ICB it is, by
    name, then the ICB's own row; a place without a plan is kept (its row blank) and
    labelled as having no services, or no plan this year, never given a zero. *A
    region*: its ICBs by name, each saying how many of its places have plans.
    """
    kind, _, value = scope.partition(":")
    if kind == "icb":
        inside = places[places["place_code"].isin(places_in(places, value))]
        codes = [*inside.sort_values("name")["place_code"], value]
        table = _rows(places, codes, shown, base)
        served = _served(places)
        for index, code in enumerate(codes[:-1]):
            if code not in served:
                table.loc[index, "label"] += " (no services)"
            elif code not in shown:
                table.loc[index, "label"] += " (no plan this year)"
        return table
    if kind == "region":
        table = icbs(places)
        codes = list(table.loc[table["region_name"] == value, "place_code"])
        return _rows(places, codes, shown, base)
    codes = _places_then_systems(places[places["place_code"].isin(shown)])
    table = _rows(places, codes, shown, base)
    # A place with a plan from SitRep demand alone has no services of its own: said so here
    # as on an ICB's rows, so its shortfall reads as demand with nothing to meet it.
    kinds = dict(zip(places["place_code"], places["kind"], strict=True))
    served = _served(places)
    if "has_services" in places.columns:  # an older table cannot say
        unserved = [kinds[c] != "system" and c not in served for c in table["place_code"]]
        table.loc[unserved, "label"] += " (no services)"
    return table
