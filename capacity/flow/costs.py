"""What waiting and places cost: a delayed hospital bed against a community place.

Defaults live in ``data/reference/flow_costs.csv``, one row per item (the
delayed hospital bed, and each service type), each with its source or marked
as an assumption; every figure can be overridden. Costs are per day:

- **delay**: bed-days of people from hospital who wait for the service (the
  people waiting each day × the share of arrivals from hospital) × the cost of
  a delayed hospital bed;
- **places**: for a block contract, every place commissioned is paid for,
  full or empty (places × days); for spot purchase, only the days used
  (expected occupancy). A pathway's pool costs a place at the place-weighted
  mean of its services' defaults (each service's place-days over the year
  as its weight), so the pool's place-days cost what the services' would.

The net cost of a what-if is its total minus the baseline's: negative is a
saving.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from capacity import config
from capacity.flow.inputs import FlowInputs, PoolMember
from capacity.flow.results import PeriodSummary
from capacity.formulas import InvalidInput, check_non_negative
from capacity.validation import Column, Problem, ValidationError, coerce, row_number

COSTS_FILE = config.REFERENCE_DIR / "flow_costs.csv"
HOSPITAL_ITEM = "delayed_hospital_bed"
COLUMNS = [
    Column("item"),
    Column("amount", "float", required=False, minimum=0),
    Column("per", required=False, choices=("day", "week")),
    Column("source_note"),
]
DAYS_PER = {"day": 1, "week": 7}
# The most a day that a delayed bed or a place may be said to cost (the page and the CLI):
# far above any real cost, low enough to catch a slip of the keyboard.
MAX_COST_PER_DAY = 100_000.0


@dataclass(frozen=True)
class Costs:
    """Cost per day of a delayed hospital bed and of one community place, with their sources."""

    hospital_bed_per_day: float
    place_per_day: float
    hospital_note: str = ""
    place_note: str = ""

    def __post_init__(self) -> None:
        for name in ("hospital_bed_per_day", "place_per_day"):
            check_cost(name, getattr(self, name))


def check_cost(field: str, value: float) -> float:
    """Return ``value`` if it is an amount from £0 to ``MAX_COST_PER_DAY``, else raise naming it."""
    check_non_negative(field, value)
    if not value <= MAX_COST_PER_DAY:
        raise InvalidInput(field, value, f"an amount from £0 to £{MAX_COST_PER_DAY:,.0f} a day")
    return float(value)


@dataclass(frozen=True)
class CostSummary:
    """Place-days, hospital bed-days of delay, and their costs (£) over a period."""

    place_days: float
    hospital_delay_bed_days: float
    place_cost: float
    delay_cost: float

    @property
    def total(self) -> float:
        """Places plus delay."""
        return self.place_cost + self.delay_cost

    def minus(self, other: CostSummary) -> CostSummary:
        """This period's figures less another's (a what-if against the baseline)."""
        return CostSummary(
            self.place_days - other.place_days,
            self.hospital_delay_bed_days - other.hospital_delay_bed_days,
            self.place_cost - other.place_cost,
            self.delay_cost - other.delay_cost,
        )


def load_cost_table(path: Path = COSTS_FILE) -> pd.DataFrame:
    """The default costs, validated: known items, unique, amounts ≥ 0 with a unit."""
    what = path.name
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    table = coerce(raw, COLUMNS, what)
    known = {
        HOSPITAL_ITEM,
        *pd.read_csv(config.REFERENCE_DIR / "service_types.csv")["service_type"],
    }
    problems = []
    for index, row in enumerate(table.to_dict("records")):
        if row["item"] not in known:
            problems.append(
                Problem(
                    row_number(index),
                    "item",
                    row["item"],
                    "is not a service type or delayed_hospital_bed",
                    what,
                )
            )
        if pd.notna(row["amount"]) and row["per"] is None:
            problems.append(
                Problem(row_number(index), "per", "", "is required with an amount", what)
            )
    duplicated = table["item"].duplicated()
    problems += [
        Problem(row_number(i), "item", table.loc[i, "item"], "appears twice", what)
        for i in duplicated[duplicated].index
    ]
    if HOSPITAL_ITEM not in set(table["item"]):
        problems.append(Problem(1, "item", HOSPITAL_ITEM, "is missing", what))
    if problems:
        raise ValidationError(what, problems)
    per_day = table["amount"] / table["per"].map(DAYS_PER).astype(float)
    return table.assign(cost_per_day=per_day).set_index("item")


def default_costs(service_type: str, table: pd.DataFrame | None = None) -> Costs:
    """The default costs for a service of this type (a place not costed counts as £0)."""
    table = load_cost_table() if table is None else table
    hospital = table.loc[HOSPITAL_ITEM]
    place = table.loc[service_type] if service_type in table.index else None
    place_cost = (
        0.0 if place is None or pd.isna(place["cost_per_day"]) else float(place["cost_per_day"])
    )
    note = "no default cost for this service type" if place is None else place["source_note"]
    return Costs(float(hospital["cost_per_day"]), place_cost, hospital["source_note"], note)


def pooled_costs(members: tuple[PoolMember, ...], table: pd.DataFrame | None = None) -> Costs:
    """The default costs for a pathway's pool: a place at the place-weighted mean of the
    services' default place costs (weights: each service's place-days over the year; equal
    weights if none has a place)."""
    table = load_cost_table() if table is None else table
    each = [default_costs(m.service_type, table) for m in members]
    weights = [m.place_days for m in members]
    total = sum(weights)
    # x ÷ x is exactly 1, so a pool of one service costs exactly what the service does.
    shares = [w / total for w in weights] if total > 0 else [1 / len(members)] * len(members)
    place = sum(share * c.place_per_day for share, c in zip(shares, each, strict=True))
    parts = "; ".join(
        f"{m.name} £{c.place_per_day:,.2f} × {m.place_days:,.0f} place-days"
        for m, c in zip(members, each, strict=True)
    )
    note = f"the place-weighted mean of the pooled services' defaults ({parts}). " + " ".join(
        dict.fromkeys(
            f"{m.service_type}: {c.place_note}" for m, c in zip(members, each, strict=True)
        )
    )
    return Costs(each[0].hospital_bed_per_day, place, each[0].hospital_note, note)


def costs_for(inputs: FlowInputs, table: pd.DataFrame | None = None) -> Costs:
    """The default costs for a flow run's inputs: its service type's, or a pool's
    place-weighted mean."""
    if inputs.members:
        return pooled_costs(inputs.members, table)
    return default_costs(inputs.service_type, table)


def cost_of(period: PeriodSummary, costs: Costs, contract: str = "block") -> CostSummary:
    """Place and delay costs over a period of a flow run (block: places paid for; spot: used)."""
    place_days = period.occupied_place_days if contract == "spot" else period.place_days
    return CostSummary(
        place_days=place_days,
        hospital_delay_bed_days=period.hospital_delay_bed_days,
        place_cost=place_days * costs.place_per_day,
        delay_cost=period.hospital_delay_bed_days * costs.hospital_bed_per_day,
    )
