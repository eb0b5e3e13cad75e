"""What an export covers and what it says about itself.

:class:`Scope` is the places an export covers (one place, a system with its
places, or a hand-picked set with a total); :class:`ExportInfo` is what every
export says about itself (planning year, scenario, when it was made, product
version, the service types and their labels); :class:`ExportError` is an export
that cannot be made, with a reason a lead can act on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from capacity.model import BASELINE_LABEL
from capacity.plan import places_in
from capacity.scenarios.model import Scenario
from capacity.workforce import Assumptions

BASELINE_NAME = BASELINE_LABEL
BASELINE_DESCRIPTION = "The plan as the data stand: no changes."


class ExportError(ValueError):
    """An export that cannot be made, with a reason a lead can act on."""


@dataclass(frozen=True)
class ExportInfo:
    """What an export says about itself.

    ``service_types`` is the store's ``service_types`` table and ``labels``
    its ``service_type_labels`` table (service_type, source, planning_year,
    label); ``made_at`` is when the export was made; ``version`` the product
    version (``capacity.__version__``). ``scenario`` is None for the baseline.
    ``workforce`` holds the workforce assumptions in force for the CSV's care-hours and
    FTE columns (None: the product's England-wide defaults).
    """

    year: int
    scenario: Scenario | None
    made_at: datetime
    version: str
    service_types: pd.DataFrame
    labels: pd.DataFrame
    workforce: Assumptions | None = None

    @property
    def scenario_name(self) -> str:
        """The scenario's name, or 'Baseline'."""
        return self.scenario.name if self.scenario is not None else BASELINE_NAME

    @property
    def scenario_description(self) -> str:
        """The scenario's description (the baseline has its own)."""
        if self.scenario is None:
            return BASELINE_DESCRIPTION
        return self.scenario.description or "(no description)"


@dataclass(frozen=True)
class Scope:
    """The places an export covers, as (code, name), and the (code, name) of their total.

    ``total`` is None for a single place; for a system it is the system, and
    for a hand-picked set of places a name for the set.
    """

    places: tuple[tuple[str, str], ...]
    total: tuple[str, str] | None = None

    @property
    def codes(self) -> list[str]:
        """The place codes, in order."""
        return [code for code, _ in self.places]

    @property
    def name(self) -> str:
        """The name of the whole export: the total's, or the one place's."""
        return self.total[1] if self.total else self.places[0][1]

    def only(self, code: str) -> Scope:
        """The scope of one of its places on its own."""
        return Scope(tuple(p for p in self.places if p[0] == code))


def scope_for(all_places: pd.DataFrame, codes: Sequence[str]) -> Scope:
    """The scope for some place or system codes: a system stands for its places.

    One place gives a single-place export; one system, its places with the
    system as their total; anything else, the places chosen with a total
    named after them.
    """
    if not codes:
        raise ExportError("Choose at least one place or system to export.")
    names = dict(zip(all_places["place_code"], all_places["name"], strict=True))
    members: list[str] = []
    for code in codes:
        for member in places_in(all_places, code):
            if member not in members:
                members.append(member)
    if not members:
        raise ExportError(f"{names.get(codes[0], codes[0])} has no places to export.")
    places = tuple((code, names[code]) for code in members)
    kinds = dict(zip(all_places["place_code"], all_places["kind"], strict=True))
    if len(codes) == 1 and kinds[codes[0]] == "system":
        return Scope(places, (codes[0], names[codes[0]]))
    if len(places) == 1:
        return Scope(places)
    return Scope(places, ("", "Total of " + ", ".join(name for _, name in places)))
