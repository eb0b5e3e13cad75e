"""Capacity methods as a registry: one declaration per way a service's capacity is worked out.

Each :class:`CapacityMethod` says, in one place, what the rest of the product
asks of a method: its label, the parameter fields it needs, its capacity
through :mod:`capacity.formulas`, its calculation written out in words, which
scenario levers move it, and whether the flow model can run it. The parameter
checks (:mod:`capacity.reference`), the segments, the plan, the scenarios, the
flow inputs and the database's ``capacity_methods`` table all read
:data:`METHODS`; none of them names a method itself.

A new method is a new :class:`CapacityMethod` in :data:`METHODS` (with its
formula in :mod:`capacity.formulas`, and a test); see the README's development
section.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from capacity import formulas as f

# A segment's columns as float arrays, for the rows a method covers.
Columns = Callable[[str], np.ndarray]

CASELOAD_LEVERS = frozenset(
    {"caseload_pct", "caseload_delta", "los_days", "los_pct", "target_occupancy"}
)
HOURS_LEVERS = frozenset({"hours_pct", "absence_pct"})


def number(value: float) -> str:
    """A parameter for the calculation text: up to six significant figures."""
    return f"{value:,.6g}"


@dataclass(frozen=True)
class CapacityMethod:
    """One capacity method.

    ``needs`` are the parameter fields a row of this method must give;
    ``caseload`` (for methods with places) the caseload in use before any
    scenario scales it; ``capacity`` new people over a segment's days from the
    columns and the caseload in use (None: capacity follows demand);
    ``calculation`` the formula in words for one segment (a dict of its
    columns); ``levers`` the scenario levers that move it; ``flow_reason``
    None when the flow model can run it, else why it cannot.
    """

    key: str
    label: str
    needs: tuple[str, ...]
    caseload: Callable[[Columns], np.ndarray] | None
    capacity: Callable[[Columns, np.ndarray], np.ndarray] | None
    calculation: Callable[[dict, str, str], str]
    levers: frozenset[str] = frozenset()
    flow_reason: str | None = None

    @property
    def follows_demand(self) -> bool:
        """Whether capacity is assumed equal to demand (no formula of its own)."""
        return self.capacity is None

    @property
    def modelled(self) -> bool:
        """Whether the flow model can run a service planned this way."""
        return self.flow_reason is None


# -- the formulas and words of each method ------------------------------------------


def _stated_caseload(col: Columns) -> np.ndarray:
    return col("caseload")


def _caseload_from_hours(col: Columns) -> np.ndarray:
    return np.asarray(
        f.caseload_from_hours(
            col("hours_per_month") * col("hours_factor"), col("hours_per_package_per_month")
        )
    )


def _by_caseload(col: Columns, caseload: np.ndarray) -> np.ndarray:
    return np.asarray(f.capacity_from_caseload(caseload, col("seg_days"), col("mean_los_days")))


def _by_throughput(col: Columns, _caseload: np.ndarray) -> np.ndarray:
    return np.asarray(f.capacity_from_throughput_periods(col("throughput"), col("periods")))


def _caseload_text(row: dict, scaled: str, added: str) -> str:
    stated = number(row["caseload"])
    caseload = f"({stated}{scaled}{added})" if scaled or added else stated
    return f"{caseload} × {row['seg_days']} days ÷ {number(row['mean_los_days'])}"


def _hours_text(row: dict, scaled: str, added: str) -> str:
    hours = number(row["hours_per_month"] * row.get("hours_factor", 1.0))
    return (
        f"({hours} h ÷ {number(row['hours_per_package_per_month'])} h per package"
        f"{scaled}{added}) × {row['seg_days']} days ÷ {number(row['mean_los_days'])}"
    )


def _throughput_text(row: dict, _scaled: str, _added: str) -> str:
    unit, amount, days = row["throughput_unit"], number(row["throughput"]), row["seg_days"]
    if unit == "month":
        whole = days == row["days_in_month"]
        return f"{amount} a month" + ("" if whole else f" × {days}/{row['days_in_month']} days")
    if unit == "week":
        return f"{amount} a week × {days} days ÷ 7"
    return (
        f"{amount} a weekday × {number(row['periods'])} working days "
        "(Monday to Friday less England's bank holidays)"
    )


def _equal_text(_row: dict, _scaled: str, _added: str) -> str:
    return "equal to demand"


METHODS: Mapping[str, CapacityMethod] = {
    m.key: m
    for m in (
        CapacityMethod(
            "caseload",
            "Caseload × days ÷ length of stay",
            ("caseload", "mean_los_days"),
            _stated_caseload,
            _by_caseload,
            _caseload_text,
            CASELOAD_LEVERS,
        ),
        CapacityMethod(
            "hours",
            "Hours ÷ hours per package, then caseload × days ÷ length of stay",
            ("hours_per_month", "hours_per_package_per_month", "mean_los_days"),
            _caseload_from_hours,
            _by_caseload,
            _hours_text,
            CASELOAD_LEVERS | HOURS_LEVERS,
        ),
        CapacityMethod(
            "throughput",
            "Stated throughput",
            ("throughput", "throughput_unit"),
            None,
            _by_throughput,
            _throughput_text,
            flow_reason="planned by a stated throughput, with no caseload",
        ),
        CapacityMethod(
            "equal_to_demand",
            "Capacity assumed equal to demand",
            (),
            None,
            None,
            _equal_text,
            flow_reason="capacity assumed equal to demand (no caseload or length of stay)",
        ),
    )
}

METHOD_KEYS: tuple[str, ...] = tuple(METHODS)
METHOD_LABELS: dict[str, str] = {k: m.label for k, m in METHODS.items()}
METHOD_NEEDS: dict[str, tuple[str, ...]] = {k: m.needs for k, m in METHODS.items()}
# Every field some method needs: a method that follows demand must leave them all blank.
CAPACITY_FIELDS: tuple[str, ...] = tuple(
    dict.fromkeys(field for m in METHODS.values() for field in m.needs)
)


def method(key: str) -> CapacityMethod:
    """The method called ``key``; an unknown one raises KeyError naming the known ones."""
    try:
        return METHODS[key]
    except KeyError:
        raise KeyError(f"unknown capacity method {key!r} (one of {', '.join(METHODS)})") from None


def modelled_methods() -> tuple[str, ...]:
    """The methods the flow model can run (those with places and a length of stay)."""
    return tuple(k for k, m in METHODS.items() if m.modelled)


def following_demand() -> tuple[str, ...]:
    """The methods whose capacity is assumed equal to demand."""
    return tuple(k for k, m in METHODS.items() if m.follows_demand)


def moved_by(lever: str) -> tuple[str, ...]:
    """The methods a scenario lever changes."""
    return tuple(k for k, m in METHODS.items() if lever in m.levers)


def not_modelled_reason(key: str) -> str:
    """Why the flow model cannot run a service planned by ``key`` ('' if it can)."""
    found = METHODS.get(key)
    return key if found is None else (found.flow_reason or "")
