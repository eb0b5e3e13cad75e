"""What a scenario is: named changes to the baseline, each a lever moved for a scope and months.

A :class:`Scenario` holds :class:`Change` s. Each change moves one lever by a
value, for a range of months ('YYYY-MM' to 'YYYY-MM', inclusive), and for the
places (systems stand for their places), service types, services and —
for demand — sources it names; an empty scope means all. The levers and the
order in which they combine are described in :mod:`capacity.scenarios.applying`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import date
from typing import Any

from capacity.periods import planning_year_label, planning_year_of

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
SOURCES = ("hospital", "community")
PRESET_PREFIX = "preset:"
BASELINE = "baseline"  # the key (sidebar, address, CLI); BASELINE_LABEL is what people read


class ScenarioError(ValueError):
    """A scenario that cannot be saved or applied; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class Change:
    """One lever moved by ``value`` for a scope and a range of months."""

    lever: str
    value: float
    first_month: str
    last_month: str
    places: tuple[str, ...] = ()
    service_types: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    to_service_type: str | None = None
    source: str | None = None

    def describe(self, type_names: dict[str, str] | None = None) -> str:
        """A short phrase such as 'demand +10%' or 'caseload +4'."""
        names = type_names or {}
        v = self.value
        if self.lever == "demand_pct":
            return f"demand {v:+g}%"
        if self.lever == "pathway_shift_pct":
            target = self.to_service_type
            if target is not None:  # a change not yet checked may have no target
                target = names.get(target, target)
            return f"{v:g}% of demand moved to {target}"
        if self.lever == "caseload_pct":
            return f"caseload {v:+g}%"
        if self.lever == "caseload_delta":
            return f"caseload {v:+g}"
        if self.lever == "hours_pct":
            return f"hours {v:+g}%"
        if self.lever == "absence_pct":
            return f"staff absence {v:g}%"
        if self.lever == "los_days":
            return f"length of stay {v:+g} days"
        if self.lever == "los_pct":
            return f"length of stay {v:+g}%"
        return f"target occupancy {v:g}"

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
    return ScenarioError([f"The scenario {scenario.name!r} cannot be applied to "
                          f"{planning_year_label(year)}: {reason}"])
