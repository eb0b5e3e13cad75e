"""Plan against actual for a screen, a command or the meeting pack.

Reads a snapshot's rows and what has happened since: the actual monthly demand
of each place and service type from the demand source it uses now (local
records, published counts or the SitRep, as the plan chooses them), and the
capacity as it turned out, which is the plan worked out again now for the
snapshot's year **under the baseline** from the parameters in force now. The
baseline, not the snapshot's scenario: a scenario is a what-if laid over the
stated parameters, and once its changes are made (flex beds opened, hours
raised) they are entered as parameters; recomputing under the scenario again
would count them twice. Set against a scenario's plan, the capacity variance
then says whether the changes it assumed were made. :mod:`capacity.actuals`
does the comparison.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from capacity import actuals, snapshots
from capacity.demand import coverage, monthly_history
from capacity.demand_sources import sitrep_history
from capacity.display import people, rounded, signed_people
from capacity.periods import month_label, planning_year_label, planning_year_months
from capacity.plan import load_plan_inputs, places_in, prepare
from capacity.snapshots import Snapshot
from capacity.store import Store
from capacity.views._db import Database, reading
from capacity.views.plans import plan_everywhere

__all__ = [
    "CAPACITY_BASIS",
    "PlanAgainstActual",
    "default_snapshot",
    "display_table",
    "plan_against_actual",
    "plan_against_actual_in",
]

CAPACITY_BASIS = (
    "Actual demand is the referrals each month from the demand source the place uses now. "
    "Capacity as it turned out is the plan's capacity worked out again for each month from the "
    "parameters in force now, under the baseline (no scenario): changes a scenario assumed "
    "count once they are entered as parameters, so against a scenario's plan the capacity "
    "variance shows whether they were made. It is stated capacity, not people seen. A month "
    "counts once it is over and its demand data are loaded; variance is actual − planned."
)
SOURCE_WORDS = {"hospital": "Hospital discharge", "community": "Community"}


@dataclass(frozen=True)
class PlanAgainstActual:
    """A snapshot set against what happened, on a day: the table and its reading."""

    snapshot: Snapshot
    today: date
    table: pd.DataFrame
    sentences: tuple[str, ...]

    @property
    def title(self) -> str:
        """'Plan against actual: DIWG 12 November (Havering, 2025-26)'."""
        return (
            f"Plan against actual: {self.snapshot.name} ({self.snapshot.place}, "
            f"{planning_year_label(self.snapshot.planning_year)})"
        )

    @property
    def caption(self) -> str:
        """What the figures are, and on what basis capacity is recomputed."""
        return (
            f"Snapshot taken {self.snapshot.made_at:%-d %b %Y} under "
            f"{self.snapshot.scenario_label}, compared on {self.today:%-d %b %Y}. " + CAPACITY_BASIS
        )

    @property
    def any_happened(self) -> bool:
        """Whether any month of the snapshot's year has happened with data."""
        return bool(self.table["happened"].any())

    def of_place(self, place_code: str) -> pd.DataFrame:
        """The table's rows of one place or system (a system's snapshot holds its members)."""
        return self.table[self.table["place_code"] == place_code].reset_index(drop=True)

    def sentences_of(self, place_code: str) -> tuple[str, ...]:
        """The reading of one place or system of the snapshot."""
        return tuple(
            actuals.sentences(self.table, self.snapshot.planning_year, place_code=place_code)
        )


def _histories(store: Store, codes: list[str]) -> pd.DataFrame:
    """Every origin's monthly demand rows of some places: records, counts and SitRep."""
    records = monthly_history(store, codes)
    counts = store.query("monthly_counts", places=codes)
    counts["month"] = pd.to_datetime(counts["month"])
    parts = [records[records["origin"] == "records"], counts, sitrep_history(store, codes)]
    return pd.concat([p for p in parts if len(p)], ignore_index=True)


def plan_against_actual_in(
    store: Store, snapshot: Snapshot, rows: pd.DataFrame, today: date
) -> PlanAgainstActual:
    """Plan against actual with a store already open (the meeting pack's way in), for a
    snapshot and its rows as read (:func:`capacity.snapshots.rows`)."""
    year = snapshot.planning_year
    members = places_in(store.query("places"), snapshot.place_code)
    prepared = prepare(load_plan_inputs(store, members, year))
    current = plan_everywhere(prepared, None, year)
    current = current[current["place_code"].isin({snapshot.place_code, *members})]
    sources = prepared.inputs.demand_sources or {}
    chosen = {key: choice.source for key, choice in sources.items()}
    last = {
        row.place_code: f"{row.last_month:%Y-%m}"
        for row in coverage(store, members).itertuples(index=False)
    }
    mine = rows[rows["place_code"].isin(members)]
    keys = mine[["place_code", "service_type", "source"]].drop_duplicates()
    months = [m.key for m in planning_year_months(year)]
    history = _histories(store, members)
    demand = (
        actuals.actual_demand(history, chosen, last, keys, months)
        if len(history)
        else pd.DataFrame(columns=actuals.ACTUAL_DEMAND_COLUMNS)
    )
    if snapshot.place_code not in members:  # a system: its months from its places'
        demand = actuals.roll_up_demand(demand, rows, {snapshot.place_code: members})
    table = actuals.compare(rows, demand, actuals.actual_capacity(current), today)
    lines = actuals.sentences(table, year, place_code=snapshot.place_code)
    return PlanAgainstActual(snapshot, today, table, tuple(lines))


def plan_against_actual(db: Database, snapshot_id: int, today: date) -> PlanAgainstActual:
    """A snapshot set against the months that have happened by ``today``.

    Raises SnapshotError for an unknown snapshot; PlanError when its place is gone.
    """
    with reading(db) as store:
        snapshot = snapshots.get(store, snapshot_id)
        rows = snapshots.rows(store, snapshot_id)
        return plan_against_actual_in(store, snapshot, rows, today)


def _last_data_month(store: Store, codes: list[str]) -> str | None:
    """The last month with any demand data for some places ('YYYY-MM'), or None."""
    found = [f"{m:%Y-%m}" for m in coverage(store, codes)["last_month"]]
    sitrep = sitrep_history(store, codes)
    found += [f"{m:%Y-%m}" for m in sitrep["month"]]
    return max(found) if found else None


def default_snapshot(db: Database, place_code: str, today: date) -> int | None:
    """The newest snapshot of a place whose year has a month that has happened by ``today``
    (over, with demand data of the place loaded for it); None when none has."""
    with reading(db) as store:
        listing = snapshots.listing(store, place_code)
        if listing.empty:
            return None
        last = _last_data_month(store, places_in(store.query("places"), place_code))
    for row in listing.itertuples(index=False):
        first = planning_year_months(int(row.planning_year))[0].key
        if last is not None and first <= last and actuals.month_over(first, today):
            return int(row.snapshot_id)
    return None


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """The table for a screen or a page: whole people, months and sources in words, the
    signal in words, variances signed ('+18', '−3')."""
    whole = [
        "planned_demand",
        "demand_low",
        "demand_high",
        "actual_demand",
        "planned_capacity",
        "actual_capacity",
        "planned_gap",
        "actual_gap",
    ]
    shown = rounded(table, dict.fromkeys(whole, 0))

    def variance(actual: str, planned: str) -> pd.Series:
        # Of the whole figures shown, so the row adds up as a lead checks it.
        return (shown[actual] - shown[planned]).map(signed_people)

    band = [
        f"{people(low)}–{people(high)}" if pd.notna(high) else ""
        for low, high in zip(shown["demand_low"], shown["demand_high"], strict=True)
    ]
    return pd.DataFrame(
        {
            "Service type": table["service_type_name"],
            "Source": table["source"].map(SOURCE_WORDS).fillna(table["source"]),
            "Month": table["month"].map(month_label),
            "Planned demand": shown["planned_demand"],
            "Plan's band": band,
            "Actual demand": shown["actual_demand"],
            "Demand variance": variance("actual_demand", "planned_demand"),
            "Signal": table["signal_words"],
            "Planned capacity": shown["planned_capacity"],
            "Actual capacity": shown["actual_capacity"],
            "Capacity variance": variance("actual_capacity", "planned_capacity"),
            "Planned gap": shown["planned_gap"],
            "Actual gap": shown["actual_gap"],
            "Gap variance": variance("actual_gap", "planned_gap"),
            "Actual demand from": table["actual_from"],
            "Note": table["capacity_note"],
        }
    )
