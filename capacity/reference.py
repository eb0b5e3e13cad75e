"""Reference data and local service definitions: their columns and their rules.

Service types and their labels per planning year live in ``data/reference/``,
beside England's places and trusts (read by :mod:`capacity.england`); services,
the places they serve and their effective-dated parameters live beside the demo
data in ``data/demo/`` (or come from a lead's own files). Every table is
validated when it is loaded: an unknown or missing name fails loudly, with the
file, row and reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TypedDict

import pandas as pd

from capacity.formulas import THROUGHPUT_UNITS
from capacity.methods import CAPACITY_FIELDS, METHOD_KEYS, METHOD_NEEDS
from capacity.methods import METHODS as REGISTRY
from capacity.validation import Column, Problem, ValidationError, coerce, row_number

SOURCES = ("hospital", "community")
PATHWAYS = ("P0", "P1", "P2", "P3")
METHODS = METHOD_KEYS


class _Bounds(TypedDict):
    """The bounds of a numeric :class:`Column`, kept together to be unpacked into it."""

    minimum: float
    maximum: float


SHARE: _Bounds = {"minimum": 0.0, "maximum": 1.0}

# Upper bounds far above any one place's service, so that a typing slip (an extra
# few zeros, 1e12) is refused at the door instead of stalling the flow model or
# overflowing a plan.
MAX_CASELOAD = 10_000
MIN_LOS_DAYS = 0.1
MAX_LOS_DAYS = 365
MAX_HOURS_PER_MONTH = 1_000_000
HOURS_IN_A_MONTH = 24 * 31
MAX_PEOPLE_PER_MONTH = 100_000

PLACES = [
    Column("place_code"),
    Column("name"),
    Column("kind", choices=("hwb", "sub_area", "system")),
    Column("parent_system", required=False),
    Column("population_65plus", "int", required=False, minimum=0),
    Column("source_note"),
]
SERVICE_TYPES = [
    Column("service_type"),
    Column("name"),
    Column("pathway", required=False, choices=PATHWAYS),
    Column("setting", choices=("bedded", "home")),
    Column("hospital", "bool"),
    Column("community", "bool"),
    Column("sort_order", "int"),
]
SERVICE_TYPE_LABELS = [
    Column("service_type"),
    Column("source", choices=SOURCES),
    Column("planning_year"),
    Column("label"),
]
TRUSTS = [Column("trust_code"), Column("name")]
SERVICES = [
    Column("service_id"),
    Column("name"),
    Column("provider", required=False),
    Column("service_type"),
    Column("contract", choices=("block", "spot")),
    Column("source_note"),
]
SERVICE_PLACES = [
    Column("service_id"),
    Column("place_code"),
    Column("place_share", "float", required=False, **SHARE),
    Column("source_note", required=False),
]
PARAMETERS = [
    Column("service_id"),
    Column("place_code", required=False),
    Column("method", choices=METHODS),
    Column("caseload", "float", required=False, minimum=0, maximum=MAX_CASELOAD),
    Column("mean_los_days", "float", required=False, minimum=MIN_LOS_DAYS, maximum=MAX_LOS_DAYS),
    Column("hours_per_month", "float", required=False, minimum=0, maximum=MAX_HOURS_PER_MONTH),
    Column(
        "hours_per_package_per_month",
        "float",
        required=False,
        minimum=0,
        above=True,
        maximum=HOURS_IN_A_MONTH,
    ),
    Column("throughput", "float", required=False, minimum=0, maximum=MAX_PEOPLE_PER_MONTH),
    Column("throughput_unit", required=False, choices=THROUGHPUT_UNITS),
    Column("hospital_share", "float", required=False, **SHARE),
    Column("contract_share", "float", required=False, **SHARE),
    Column("target_occupancy", "float", required=False, minimum=0, maximum=1, above=True),
    Column(
        "spot_ceiling_per_month", "float", required=False, minimum=0, maximum=MAX_PEOPLE_PER_MONTH
    ),
    Column("valid_from", "date"),
    Column("valid_to", "date", required=False),
    Column("source_note"),
]

# The numbers each method needs (METHOD_NEEDS), and the ones a method that follows demand must
# not be given (CAPACITY_FIELDS), come from the registry of capacity methods.


def _problems(frame: pd.DataFrame, what: str, check: Callable[[dict], list[tuple[str, str, str]]]):
    found = []
    for index, row in enumerate(frame.to_dict("records")):
        for column, value, reason in check(row):
            found.append(Problem(row_number(index), column, value, reason, what))
    return found


def _unique(frame: pd.DataFrame, keys: list[str], what: str) -> list[Problem]:
    duplicated = frame.duplicated(subset=keys, keep="first")
    return [
        Problem(row_number(i), keys[-1], str(frame.iloc[i][keys[-1]]), "appears twice", what)
        for i in duplicated[duplicated].index
    ]


def _raise(what: str, problems: list[Problem]) -> None:
    if problems:
        raise ValidationError(what, problems)


def check_places(places: pd.DataFrame, what: str = "places") -> None:
    """Codes and names are unique; every parent system exists and is a system."""
    systems = set(places.loc[places["kind"] == "system", "place_code"])

    def check(row: dict) -> list[tuple[str, str, str]]:
        parent = row["parent_system"]
        if parent is not None and parent not in systems:
            return [("parent_system", parent, "is not a system in places")]
        if row["kind"] == "system" and parent is not None:
            return [("parent_system", parent, "a system cannot itself have a parent system")]
        return []

    problems = _unique(places, ["place_code"], what) + _unique(places, ["name"], what)
    _raise(what, problems + _problems(places, what, check))


def check_service_type_labels(
    labels: pd.DataFrame, service_types: pd.DataFrame, what: str = "service_type_labels"
) -> None:
    """Every label names a known type and a source it takes; every type has a label per year."""
    types = service_types.set_index("service_type")

    def check(row: dict) -> list[tuple[str, str, str]]:
        st = row["service_type"]
        if st not in types.index:
            return [("service_type", st, "is not a known service type")]
        if not bool(types.loc[st, row["source"]]):
            return [("source", row["source"], f"{st} does not take {row['source']} referrals")]
        return []

    problems = _unique(labels, ["service_type", "source", "planning_year"], what)
    problems += _problems(labels, what, check)
    for year in sorted(labels["planning_year"].unique()):
        have = set(
            zip(
                *[
                    labels.loc[labels["planning_year"] == year, c]
                    for c in ("service_type", "source")
                ],
                strict=True,
            )
        )
        for st, row in types.iterrows():
            for source in SOURCES:
                if row[source] and (st, source) not in have:
                    problems.append(
                        Problem(
                            1,
                            "label",
                            f"{st}/{source}",
                            f"has no label for planning year {year}",
                            what,
                        )
                    )
    _raise(what, problems)


def check_services(
    services: pd.DataFrame, service_types: pd.DataFrame, what: str = "services"
) -> None:
    """Service ids and names are unique and each names a known service type."""
    known = set(service_types["service_type"])

    def check(row: dict) -> list[tuple[str, str, str]]:
        if row["service_type"] not in known:
            return [("service_type", row["service_type"], "is not a known service type")]
        return []

    problems = _unique(services, ["service_id"], what) + _unique(services, ["name"], what)
    _raise(what, problems + _problems(services, what, check))


def check_service_places(
    service_places: pd.DataFrame,
    services: pd.DataFrame,
    places: pd.DataFrame,
    what: str = "service_places",
) -> None:
    """Links name known services and places; shares are all blank or all given and sum to 1."""
    service_ids = set(services["service_id"])
    place_kinds = dict(zip(places["place_code"], places["kind"], strict=True))

    def check(row: dict) -> list[tuple[str, str, str]]:
        if row["service_id"] not in service_ids:
            return [("service_id", row["service_id"], "is not a known service")]
        kind = place_kinds.get(row["place_code"])
        if kind is None:
            return [("place_code", row["place_code"], "is not a known place")]
        if kind == "system":
            return [
                ("place_code", row["place_code"], "is a system; link the service to its places")
            ]
        return []

    problems = _unique(service_places, ["service_id", "place_code"], what)
    problems += _problems(service_places, what, check)
    for service_id, group in service_places.groupby("service_id"):
        shares = group["place_share"]
        if shares.notna().any() and shares.isna().any():
            problems.append(
                Problem(
                    row_number(int(group.index[0])),
                    "place_share",
                    "",
                    f"{service_id}: give a share for every place or for none",
                    what,
                )
            )
        elif shares.notna().all() and abs(shares.sum() - 1) > 1e-6:
            problems.append(
                Problem(
                    row_number(int(group.index[0])),
                    "place_share",
                    f"{shares.sum():g}",
                    f"{service_id}: place shares must add up to 1",
                    what,
                )
            )
    services_without_places = service_ids - set(service_places["service_id"])
    problems += [
        Problem(1, "service_id", s, "serves no place", what)
        for s in sorted(services_without_places)
    ]
    _raise(what, problems)


def parameter_row_problems(
    row: dict, served: set[tuple[str, str]], service_ids: set[str]
) -> list[tuple[str, str, str]]:
    """Reasons one parameter row cannot be used (empty when it is fine)."""
    if row["service_id"] not in service_ids:
        return [("service_id", row["service_id"], "is not a known service")]
    place = row["place_code"]
    if place is not None and (row["service_id"], place) not in served:
        return [("place_code", place, f"is not served by {row['service_id']}")]
    method = row["method"]
    found = [
        (f, "", f"is required for the {method} method")
        for f in METHOD_NEEDS[method]
        if _missing(row[f])
    ]
    if REGISTRY[method].follows_demand:
        found += [
            (f, str(row[f]), "must be blank when capacity is equal to demand")
            for f in CAPACITY_FIELDS
            if not _missing(row[f])
        ]
    if not _missing(row["valid_to"]) and row["valid_to"] < row["valid_from"]:
        found.append(("valid_to", str(row["valid_to"].date()), "is before valid_from"))
    return found


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value is pd.NaT


def overlapping_periods(parameters: pd.DataFrame, what: str) -> list[Problem]:
    """Rows of the same service and place whose validity ranges overlap."""
    problems = []
    key = parameters["place_code"].fillna("")
    far = pd.Timestamp("2999-12-31")
    for _, group in parameters.assign(_key=key).groupby(["service_id", "_key"]):
        ordered = group.sort_values("valid_from")
        ends = ordered["valid_to"].fillna(far)
        for (i, row), previous_end in zip(ordered.iloc[1:].iterrows(), ends.iloc[:-1], strict=True):
            if row["valid_from"] <= previous_end:
                problems.append(
                    Problem(
                        row_number(int(i)),
                        "valid_from",
                        str(row["valid_from"].date()),
                        f"overlaps an earlier period of {row['service_id']}",
                        what,
                    )
                )
    return problems


def check_parameters(
    parameters: pd.DataFrame,
    services: pd.DataFrame,
    service_places: pd.DataFrame,
    what: str = "service_parameters",
) -> None:
    """Each row has what its method needs, names a served place, and no periods overlap."""
    served = set(zip(service_places["service_id"], service_places["place_code"], strict=True))
    service_ids = set(services["service_id"])
    problems = _problems(
        parameters, what, lambda row: parameter_row_problems(row, served, service_ids)
    )
    _raise(what, problems + overlapping_periods(parameters, what))


def check_shares_match_types(
    parameters: pd.DataFrame,
    services: pd.DataFrame,
    service_types: pd.DataFrame,
    what: str = "service_parameters",
) -> None:
    """A hospital share must agree with a service type that takes only one source."""
    type_of = services.set_index("service_id")["service_type"]
    takes = service_types.set_index("service_type")

    def check(row: dict) -> list[tuple[str, str, str]]:
        share = row["hospital_share"]
        service_type = type_of.get(row["service_id"])
        if _missing(share) or service_type not in takes.index:
            return []
        hospital, community = (bool(takes.loc[service_type, s]) for s in SOURCES)
        if hospital and not community and share != 1:
            return [
                (
                    "hospital_share",
                    f"{share:g}",
                    f"{service_type} takes hospital referrals only, so the share must be 1 "
                    "or blank",
                )
            ]
        if community and not hospital and share != 0:
            return [
                (
                    "hospital_share",
                    f"{share:g}",
                    f"{service_type} takes community referrals only, so the share must be 0 "
                    "or blank",
                )
            ]
        return []

    _raise(what, _problems(parameters, what, check))


TRUST_SHARES = [
    Column("trust_code"),
    Column("place_code"),
    Column("share", "float", **SHARE),
    Column("source_note", required=False),
]


def check_trust_shares(
    shares: pd.DataFrame, places: pd.DataFrame, what: str = "trust_place_shares"
) -> None:
    """Each row names an NHS trust code and a known place; a trust's shares add up to at most 1."""
    known = set(places.loc[places["kind"] != "system", "place_code"])

    def check(row: dict) -> list[tuple[str, str, str]]:
        if not re.fullmatch(r"[A-Z0-9]{3,5}", str(row["trust_code"])):
            return [
                (
                    "trust_code",
                    row["trust_code"],
                    "is not an NHS organisation code (3 to 5 capital letters or digits)",
                )
            ]
        if row["place_code"] not in known:
            return [("place_code", row["place_code"], "is not a known place")]
        return []

    problems = _problems(shares, what, check) + _unique(shares, ["trust_code", "place_code"], what)
    totals = shares.groupby("trust_code")["share"].transform("sum")
    problems += [
        Problem(
            row_number(i),
            "share",
            f"{totals.iat[i]:g}",
            f"the shares of {shares['trust_code'].iat[i]} add up to more than 1",
            what,
        )
        for i in range(len(shares))
        if totals.iat[i] > 1 + 1e-9
    ]
    _raise(what, problems)


# ONS population by authority, year and age band (data/reference/population.csv; see its
# README). Loaded with the demo, not by every test store: it has some 14,000 rows.
POPULATION = [
    Column("code"),
    Column("name"),
    Column("year", "int", minimum=1990, maximum=2100),
    Column("age_band", choices=("all_ages", "18+", "65+", "85+")),
    Column("population", "float", minimum=0),
    Column("measure", choices=("estimate", "projection_2018based_principal")),
    Column("source"),
]
POPULATION_FILE = {"population": POPULATION}


# Places and trusts come from England's reference files (capacity/england.py); a
# database's own places and local systems (the demo's in data/demo/places.csv) join them.
REFERENCE_FILES = {
    "service_types": SERVICE_TYPES,
    "service_type_labels": SERVICE_TYPE_LABELS,
}
LOCAL_PLACES_FILE = {"places": PLACES}
SERVICE_FILES = {
    "services": SERVICES,
    "service_places": SERVICE_PLACES,
    "service_parameters": PARAMETERS,
}


def read_tables(
    read_csv: Callable[[Path], pd.DataFrame], folder: Path, specs: dict[str, list[Column]]
) -> dict[str, pd.DataFrame]:
    """Read and type each ``<name>.csv`` of ``folder`` named in ``specs``."""
    tables = {}
    for name, columns in specs.items():
        path = folder / f"{name}.csv"
        if not path.exists():
            raise ValidationError(str(path), [Problem(0, "file", str(path), "is missing")])
        label = f"{path.parent.name}/{path.name}"
        tables[name] = coerce(read_csv(path), columns, label)
        tables[name].attrs["source"] = label
    return tables


def check_all(tables: dict[str, pd.DataFrame]) -> None:
    """Cross-check reference and service tables against each other."""

    def label(name: str) -> str:
        return tables[name].attrs.get("source", name)

    check_places(tables["places"], label("places"))
    check_service_type_labels(
        tables["service_type_labels"], tables["service_types"], label("service_type_labels")
    )
    check_services(tables["services"], tables["service_types"], label("services"))
    check_service_places(
        tables["service_places"], tables["services"], tables["places"], label("service_places")
    )
    params = tables["service_parameters"].copy()
    params["contract_share"] = params["contract_share"].fillna(1.0)
    tables["service_parameters"] = params
    check_parameters(
        params, tables["services"], tables["service_places"], label("service_parameters")
    )
    check_shares_match_types(
        params, tables["services"], tables["service_types"], label("service_parameters")
    )
