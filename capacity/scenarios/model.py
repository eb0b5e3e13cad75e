"""What a scenario is: named changes to the baseline, each a lever moved for a scope and months.

A :class:`Scenario` holds :class:`Change` s. Each change moves one lever by a
value, for a range of months ('YYYY-MM' to 'YYYY-MM', inclusive), and for the
places (systems stand for their places), service types, services and —
for demand — sources it names; an empty scope means all. A change that adds or
takes away beds, places or hours (:data:`NAMED_SERVICE_LEVERS`) is the
exception: "+4 beds" at every service of a place is four beds at each, so it
must name its services or say so with ``all_services``
(:mod:`capacity.scenarios.checks` refuses it otherwise). The levers and the
order in which they combine are described in :mod:`capacity.scenarios.applying`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import Any

import pandas as pd

from capacity.periods import month_label, planning_year_label, planning_year_of

LEVERS = {
    "demand_pct": "Demand (%)",
    "pathway_shift_pct": "Move demand to another service type (%)",
    "caseload_pct": "Caseload or beds (%)",
    "caseload_delta": "Caseload or beds (+ or −)",
    "hours_pct": "Commissioned hours (%)",
    "absence_pct": "Staff absence (% of hours)",
    "los_days": "Length of stay (+ or − days)",
    "los_pct": "Length of stay (%)",
    "target_occupancy": "Target occupancy (0–1)",
}
ORDER = list(LEVERS)
DEMAND_LEVERS = ("demand_pct", "pathway_shift_pct")
# The levers that add or take away commissioned capacity (beds, places, packages, hours) at
# each service in scope. Left unscoped, "+4 beds" lands on every such service of a place, so
# a change on one of these names its services or says it applies to all of them. Staff
# absence, length of stay and target occupancy are conditions or practice that a lead may
# mean for every service, and stay "all when empty".
NAMED_SERVICE_LEVERS = ("caseload_pct", "caseload_delta", "hours_pct")
SOURCES = ("hospital", "community")
PRESET_PREFIX = "preset:"
BASELINE = "baseline"  # the key (sidebar, address, CLI); BASELINE_LABEL is what people read


class ScenarioError(ValueError):
    """A scenario that cannot be saved or applied; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class Names:
    """What a change's codes read as: places, service types and services by name, and the
    setting ('bedded' or 'home') of each service type, so beds are called beds."""

    places: Mapping[str, str] = field(default_factory=dict)
    types: Mapping[str, str] = field(default_factory=dict)
    services: Mapping[str, str] = field(default_factory=dict)
    settings: Mapping[str, str] = field(default_factory=dict)
    service_types: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        places: pd.DataFrame | None = None,
        service_types: pd.DataFrame | None = None,
        services: pd.DataFrame | None = None,
    ) -> Names:
        """Names from the store's places, service types and services tables (any may be None)."""

        def pairs(frame: pd.DataFrame | None, key: str, value: str) -> dict[str, str]:
            if frame is None or frame.empty or value not in frame:
                return {}
            return dict(zip(frame[key], frame[value], strict=True))

        return cls(
            pairs(places, "place_code", "name"),
            pairs(service_types, "service_type", "name"),
            pairs(services, "service_id", "name"),
            pairs(service_types, "service_type", "setting"),
            pairs(services, "service_id", "service_type"),
        )

    def type_name(self, code: str) -> str:
        """'reablement at home': a service type's name as it reads inside a sentence."""
        name = self.types.get(code, code)
        return name[:1].lower() + name[1:]

    def unit(self, change: Change) -> tuple[str, str]:
        """('bed', 'beds') when every service in the change's scope is bedded, ('place',
        'places') when every one is at home, ('bed or place', 'beds or places') otherwise."""
        types = (
            {self.service_types.get(s) for s in change.services}
            if change.services
            else set(change.service_types)
        )
        settings = {self.settings.get(t) for t in types if t is not None} if types else {None}
        if settings == {"bedded"}:
            return "bed", "beds"
        if settings == {"home"}:
            return "place", "places"
        return "bed or place", "beds or places"


def and_list(items: Sequence[str], word: str = "and") -> str:
    """'A', 'A and B', 'A, B and C'."""
    items = list(items)
    return items[0] if len(items) < 2 else f"{', '.join(items[:-1])} {word} {items[-1]}"


def month_span(first: str, last: str) -> str:
    """'Dec 2026' for one month, 'Nov 2026–Mar 2027' for a range ('YYYY-MM' each)."""
    if first == last:
        return month_label(first)
    return f"{month_label(first)}–{month_label(last)}"


def _number(value: float) -> str:
    return f"{abs(value):,.10g}"


@dataclass(frozen=True)
class Change:
    """One lever moved by ``value`` for a scope and a range of months.

    ``all_services`` says in so many words that a change on a lever of
    :data:`NAMED_SERVICE_LEVERS` with no services named applies to every
    service in its scope; without it such a change is refused.
    """

    lever: str
    value: float
    first_month: str
    last_month: str
    places: tuple[str, ...] = ()
    service_types: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    to_service_type: str | None = None
    source: str | None = None
    all_services: bool = False

    def describe(self, names: Names | None = None) -> str:
        """The change in words: '4 more beds at BHR discharge-to-assess nursing beds in
        Havering, Nov 2026–Mar 2027'. Codes stand in for names ``names`` lacks."""
        names = names or Names()
        return (
            f"{self._what(names)}{self._scope(names)}, "
            f"{month_span(self.first_month, self.last_month)}"
        )

    def short(self, names: Names | None = None) -> str:
        """What the change does and when, without where ('10% more beds, Nov 2026–Mar 2027'):
        for a sentence that has already named the place and service type."""
        return f"{self._what(names or Names())}, {month_span(self.first_month, self.last_month)}"

    def _what(self, names: Names) -> str:
        v, lever = self.value, self.lever
        if lever == "pathway_shift_pct":
            moved_from = and_list([names.type_name(t) for t in self.service_types])
            target = names.type_name(self.to_service_type or "")
            return f"{_number(v)}% of demand moved from {moved_from} to {target}"
        if lever == "absence_pct":
            return f"{_number(v)}% of care hours lost to staff absence"
        if lever == "target_occupancy":
            return f"target occupancy of {v * 100:,.10g}%"
        one, many = names.unit(self)
        unchanged = {
            "demand_pct": "demand",
            "caseload_pct": many,
            "caseload_delta": many,
            "hours_pct": "commissioned hours",
            "los_days": "length of stay",
            "los_pct": "length of stay",
        }
        if v == 0:
            return f"{unchanged.get(lever, lever)} unchanged"
        if lever == "demand_pct":
            return f"{_number(v)}% {'more' if v > 0 else 'less'} demand"
        if lever in ("los_days", "los_pct"):
            unit = "%" if lever == "los_pct" else (" day" if abs(v) == 1 else " days")
            return f"stays {_number(v)}{unit} {'longer' if v > 0 else 'shorter'}"
        more = "more" if v > 0 else "fewer"
        if lever == "caseload_delta":
            return f"{_number(v)} {more} {one if abs(v) == 1 else many}"
        return f"{_number(v)}% {more} {many if lever == 'caseload_pct' else 'commissioned hours'}"

    def _scope(self, names: Names) -> str:
        parts = []
        if self.services:
            parts.append(" at " + and_list([names.services.get(s, s) for s in self.services]))
        elif self.service_types and self.lever != "pathway_shift_pct":
            every = " at every service" if self.all_services else ""
            parts.append(
                f"{every} for " + and_list([names.type_name(t) for t in self.service_types])
            )
        elif self.all_services:
            parts.append(" at every service")
        if self.places:
            parts.append(" in " + and_list([names.places.get(p, p) for p in self.places]))
        elif not self.services:
            parts.append(" in every place")
        if self.source:
            label = {"hospital": "hospital discharge"}.get(self.source, self.source)
            parts.append(f" ({label} referrals)")
        return "".join(parts)

    def months(self) -> tuple[str, str]:
        """The first and last month, 'YYYY-MM'."""
        return self.first_month, self.last_month

    def planning_years(self) -> range:
        """Every planning year (April to March) the months fall in, first to last."""
        first, last = (planning_year_of(date(int(m[:4]), int(m[5:7]), 1)) for m in self.months())
        return range(first, last + 1)


@dataclass(frozen=True)
class Scenario:
    """A named set of changes to the baseline."""

    name: str
    changes: tuple[Change, ...] = ()
    description: str = ""
    author: str = ""
    version: int | None = None
    saved_at: str | None = None

    @property
    def key(self) -> str:
        """What identifies this scenario and its version (for caches and URLs)."""
        return f"{self.name}@{self.version}" if self.version else self.name

    def with_changes(self, **changes: Any) -> Scenario:
        """A copy with some fields replaced."""
        return replace(self, **changes)

    def to_dict(self) -> dict:
        """A plain dictionary, as written to JSON."""
        return {
            "name": self.name,
            "description": self.description,
            "author": self.author,
            "changes": [
                {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(c).items()}
                for c in self.changes
            ],
        }


BASELINE_SCENARIO = Scenario(BASELINE)


def cannot_apply(scenario: Scenario, year: int, reason: Exception) -> ScenarioError:
    """The error for a scenario that does not apply to a year's plan, naming both and why.

    A saved scenario was checked when it was saved, but the data may have
    changed since (fewer beds imported, say), so applying it can still fail.
    """
    return ScenarioError(
        [
            f"The scenario {scenario.name!r} cannot be applied to "
            f"{planning_year_label(year)}: {reason}"
        ]
    )
