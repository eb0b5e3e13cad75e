"""The services catalogue: checking a services file's rows against the store, and writing them.

A services file has one row per service and place it serves. A service's own
columns (name, provider, type, contract, retirement) repeat on each of its rows
and must agree; each row names one place (by code or name) with an optional
share of the service's capacity. A file that re-states a stored service
replaces it and every place it serves; the replaced rows are archived so the
import's undo puts them back.

The rules here are pure: they take the typed rows and what the store holds
(:class:`Catalogue`) and return every problem with its row, column, value and
reason. :mod:`capacity.ingest.checks` reads the file and turns the problems
into the import's report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from capacity.plan import place_key
from capacity.store import _Session
from capacity.validation import Problem, parse_month

# A service id travels in URLs, scenario filters (joined with commas) and file names.
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# The columns of a service that each of its rows repeats.
SERVICE_COLUMNS = ("name", "provider", "service_type", "contract", "retired_from")
GOOD_COLUMNS = [
    "service_id",
    *SERVICE_COLUMNS,
    "place_code",
    "place_share",
    "source_note",
    "_line",
]
SHARE_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Catalogue:
    """What the store holds that a services file is checked against."""

    places: pd.DataFrame  # place_code, name, kind
    service_types: pd.DataFrame  # service_type, name
    services: pd.DataFrame  # service_id, name, service_type, ...
    links: pd.DataFrame  # service_id, place_code: the places each stored service serves
    place_parameters: pd.DataFrame  # service_id, place_code with parameters of their own

    @classmethod
    def of(cls, session: _Session) -> Catalogue:
        """The catalogue as the session's store holds it."""
        return cls(
            session.query("places"),
            session.query("service_types"),
            session.query("services"),
            session.query("service_links"),
            session.query("place_parameter_links"),
        )


def _lookup(codes: pd.Series, names: pd.Series) -> dict[str, str]:
    """Codes by their own key and their name's key (codes win over a name spelt the same)."""
    found = {place_key(n): c for c, n in zip(codes, names, strict=True)}
    return found | {place_key(c): c for c in codes}


def check_rows(typed: pd.DataFrame, catalogue: Catalogue) -> tuple[pd.DataFrame, list[Problem]]:
    """Resolve and check a services file's typed rows (with their ``_line``).

    Returns every row resolved (codes for types and places, the retirement month
    as a date) and the problems found; rows with a problem are still returned
    so the caller can refuse the rest of their service.
    """
    rows, problems = _resolve(typed, catalogue)
    problems += _conflicts(rows)
    problems += _against_store(rows, catalogue)
    problems += _shares(rows)
    return rows, problems


def _resolve(typed: pd.DataFrame, catalogue: Catalogue) -> tuple[pd.DataFrame, list[Problem]]:
    types = _lookup(catalogue.service_types["service_type"], catalogue.service_types["name"])
    places = _lookup(catalogue.places["place_code"], catalogue.places["name"])
    kind = dict(zip(catalogue.places["place_code"], catalogue.places["kind"], strict=True))
    problems: list[Problem] = []
    out = []
    for row in typed.to_dict("records"):
        line = int(row["_line"])
        found = []
        if not _ID.match(row["service_id"]):
            found.append(
                (
                    "service_id",
                    row["service_id"],
                    "must be letters, digits, '_', '-' or '.' (up to 64, no spaces or commas)",
                )
            )
        stype = types.get(place_key(row["service_type"]))
        if stype is None:
            found.append(("service_type", row["service_type"], "is not a known service type"))
        place = places.get(place_key(row["place_code"]))
        if place is None:
            found.append(("place_code", row["place_code"], "is not a place in England"))
        elif kind[place] == "system":
            found.append(
                (
                    "place_code",
                    row["place_code"],
                    "is a system, not a place: list each place the service serves",
                )
            )
            place = None
        retired = None
        if row["retired_from"] is not None:
            try:
                retired = pd.Timestamp(parse_month(row["retired_from"]))
            except ValueError as exc:
                found.append(("retired_from", row["retired_from"], str(exc)))
        problems += [Problem(line, c, str(v), r) for c, v, r in found]
        out.append(row | {"service_type": stype, "place_code": place, "retired_from": retired})
    return pd.DataFrame(out, columns=GOOD_COLUMNS), problems


def _same(a: object, b: object) -> bool:
    missing_a, missing_b = pd.isna(a), pd.isna(b)  # type: ignore[call-overload]
    return bool(missing_a and missing_b) or (not missing_a and not missing_b and a == b)


def _shown(value: object) -> str:
    if pd.isna(value):  # type: ignore[call-overload]
        return ""
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m}"
    return str(value)


def _conflicts(rows: pd.DataFrame) -> list[Problem]:
    """Rows of one service that disagree, a place twice, a name given to two services."""
    problems = []
    first: dict[str, dict] = {}
    places: dict[tuple, int] = {}
    names: dict[str, tuple[str, int]] = {}
    for row in rows.to_dict("records"):
        sid, line = row["service_id"], int(row["_line"])
        before = first.setdefault(sid, row)
        for column in SERVICE_COLUMNS if before is not row else ():
            if not _same(row[column], before[column]):
                problems.append(
                    Problem(
                        line,
                        column,
                        _shown(row[column]),
                        f"differs from row {before['_line']} of {sid} "
                        f"({_shown(before[column]) or 'blank'}): a service's name, provider, "
                        "type, contract and retirement are the same on each of its rows",
                    )
                )
        if row["place_code"] is not None:
            seen = places.setdefault((sid, row["place_code"]), line)
            if seen != line:
                problems.append(
                    Problem(
                        line,
                        "place_code",
                        row["place_code"],
                        f"is listed twice for {sid} (first on row {seen})",
                    )
                )
        other, other_line = names.setdefault(row["name"].casefold(), (sid, line))
        if other != sid:
            problems.append(
                Problem(
                    line,
                    "name",
                    row["name"],
                    f"is also the name of {other} on row {other_line}: each service has its "
                    "own name",
                )
            )
    return problems


def _against_store(rows: pd.DataFrame, catalogue: Catalogue) -> list[Problem]:
    """Ids that are another kind of service, names of other services, places with parameters
    the file leaves out."""
    stored = catalogue.services.set_index("service_id")
    restated = rows.drop_duplicates("service_id").set_index("service_id")
    # A stored name is free when the file renames its service (two services may swap names).
    taken = {
        str(name).casefold(): sid
        for sid, name in zip(stored.index, stored["name"], strict=True)
        if sid not in restated.index or restated.loc[sid, "name"] == name
    }
    problems = []
    for sid, row in restated.iterrows():
        line = int(row["_line"])
        if sid in stored.index and row["service_type"] not in (
            None,
            stored.loc[sid, "service_type"],
        ):
            problems.append(
                Problem(
                    line,
                    "service_id",
                    str(sid),
                    f"is already {stored.loc[sid, 'name']}, a {stored.loc[sid, 'service_type']} "
                    "service: a service's type cannot change (retire it and add a new one)",
                )
            )
        owner = taken.get(row["name"].casefold())
        if owner is not None and owner != sid:
            problems.append(
                Problem(
                    line,
                    "name",
                    row["name"],
                    f"is the name of another service ({owner}): use its id to change it, "
                    "or give this one another name",
                )
            )
        problems += _places_left_out(str(sid), line, rows, catalogue)
    return problems


def _places_left_out(
    sid: str, line: int, rows: pd.DataFrame, catalogue: Catalogue
) -> list[Problem]:
    """Places a stored service serves, with parameters of their own, that the file drops."""
    links, own = catalogue.links, catalogue.place_parameters
    if rows.loc[rows["service_id"] == sid, "place_code"].isna().any():
        return []  # an unreadable place: that row is refused already
    kept = set(rows.loc[rows["service_id"] == sid, "place_code"])
    served = set(links.loc[links["service_id"] == sid, "place_code"])
    with_own = set(own.loc[own["service_id"] == sid, "place_code"])
    return [
        Problem(
            line,
            "place_code",
            place,
            f"{sid} has parameters stated for {place}, which this file leaves out: "
            "list the place, or end those parameters first",
        )
        for place in sorted((served - kept) & with_own)
    ]


def _shares(rows: pd.DataFrame) -> list[Problem]:
    """A service's place shares: all blank or all given, and adding up to 1."""
    problems = []
    for sid, group in rows.groupby("service_id", sort=False):
        shares = group["place_share"]
        if shares.notna().any() and shares.isna().any():
            line = int(group.loc[shares.isna(), "_line"].iloc[0])
            problems.append(
                Problem(line, "place_share", "", f"give a share for every place of {sid}, or none")
            )
        elif shares.notna().all() and abs(shares.sum() - 1) > SHARE_TOLERANCE:
            problems.append(
                Problem(
                    int(group["_line"].iloc[0]),
                    "place_share",
                    f"{shares.sum():g}",
                    f"the place shares of {sid} add up to {shares.sum():g}, not 1",
                )
            )
    return problems


def write(session: _Session, good: pd.DataFrame, import_id: int) -> int:
    """Replace the services the rows name, and the places each serves; return the rows written.

    The replaced rows go to the archive tables with ``import_id``, so undo restores them.
    A service's source note is its first row's; each place keeps its own row's note.
    """
    rows = good.drop(columns="_line")
    services = rows.drop_duplicates("service_id")[
        ["service_id", *SERVICE_COLUMNS, "source_note"]
    ].assign(retired_from=lambda d: pd.to_datetime(d["retired_from"]).dt.date)
    links = rows[["service_id", "place_code", "place_share", "source_note"]]
    session.execute(
        "archive_services", import_id=import_id, services=sorted(set(rows["service_id"]))
    )
    session.insert_frame("services", services.assign(import_id=import_id))
    return session.insert_frame("service_places", links.assign(import_id=import_id))
