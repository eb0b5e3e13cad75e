"""Plan against actual: a snapshot's plan set against the months that have since happened.

A snapshot (:mod:`capacity.snapshots`) keeps the plan a meeting saw. Months later
the lead asks whether it held. Per place, service type, source (hospital discharge
or community) and month of the snapshot's planning year this module sets:

- **demand**: the plan's projected demand and its prediction band (``demand_low`` to
  ``demand_high`` at ``interval_level``) against the referrals that then came, from
  the demand source the place uses now (records, published counts or the SitRep);
- **capacity**: the plan's capacity against the capacity *as it turned out*: the
  plan's capacity worked out again for that month from the parameters in force now
  (the caller recomputes it; this module only compares). Where capacity is assumed
  equal to demand it stays assumed equal to demand, now the actual demand, so its
  gap is zero and says nothing of the service;
- **gap**: capacity − demand for each, and every variance as actual − planned.

A month **has happened** when it is over (its last day is before the day of the
comparison) and actual demand data exist for it; the others are *not yet*. The
**signal** says where actual demand lies against the band: above, below, within,
or that the month had no band (it rested on one year of data, so the plan could
give none). Rows of several services of a type add up: demand and capacity sum,
and the band of the sum adds the spreads with the fewest years, as the charts do
(:mod:`capacity.interval`); a type of one service keeps its row's band as stored.

Everything is unrounded; sentences round to whole people for reading.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import numpy as np
import pandas as pd

from capacity import formulas as f
from capacity.demand_settings import DEMAND_SOURCES
from capacity.interval import INTERVAL_LEVEL, bounds
from capacity.methods import following_demand
from capacity.periods import Month, planning_year_label

KEY = ["place_code", "service_type", "source", "month"]
# Actual demand of a place, service type, source and month: one row where data exist.
ACTUAL_DEMAND_COLUMNS = [*KEY, "actual_demand", "actual_from"]
# Capacity as it turned out, from the plan recomputed now.
ACTUAL_CAPACITY_COLUMNS = [*KEY, "actual_capacity", "capacity_assumed"]
TABLE_COLUMNS = [
    "place_code",
    "place",
    "service_type",
    "service_type_name",
    "source",
    "month",
    "happened",
    "planned_demand",
    "demand_low",
    "demand_high",
    "interval_level",
    "actual_demand",
    "demand_variance",
    "planned_capacity",
    "actual_capacity",
    "capacity_variance",
    "planned_gap",
    "actual_gap",
    "gap_variance",
    "signal",
    "signal_words",
    "actual_from",
    "capacity_note",
]
ABOVE, BELOW, WITHIN, NO_BAND, NO_PLAN, NOT_YET = (
    "above",
    "below",
    "within",
    "no band",
    "no plan figure",
    "not yet",
)
SIGNAL_WORDS = {
    ABOVE: "above the band",
    BELOW: "below the band",
    WITHIN: "within the band",
    NO_BAND: "no band: the month rested on one year of data",
    NO_PLAN: "no plan figure: the plan had no demand data",
}
NOT_OVER = "not yet: the month is not over"
NO_DATA_YET = "not yet: no actual demand loaded for it"
ASSUMED_NOTE = "capacity assumed equal to demand: no figure of the service's own"
SOURCE_WORDS = {"hospital": "hospital discharge", "community": "community"}
# Sentences name at most this many months outside the band, the furthest first.
MOST_SENTENCES = 5


# -- the actual side --------------------------------------------------------------


def month_over(key: str, today: date) -> bool:
    """Whether month ``key`` ('YYYY-MM') has ended by ``today`` (its last day is past)."""
    year, month = (int(part) for part in key.split("-"))
    return Month(year, month).end_exclusive <= today


def actual_demand(
    history: pd.DataFrame,
    chosen: Mapping[tuple[str, str], str | None],
    last_month: Mapping[str, str],
    keys: pd.DataFrame,
    months: Sequence[str],
) -> pd.DataFrame:
    """Actual referrals per place, service type, source and month, where data exist.

    ``history`` holds every origin's monthly rows (place_code, service_type, source,
    month as a timestamp, referrals, origin: records, counts or sitrep); ``chosen``
    names the origin each place and service type takes its demand from now;
    ``last_month`` each place's last complete month of records and counts ('YYYY-MM');
    ``keys`` the (place_code, service_type, source) the plan has; ``months`` the
    months to fill. As in the projection, a month with referrals or counts of the
    type from one source only has none from the other (a real zero), and a month
    with none of the type at all is unknown, not zero; the SitRep counts hospital
    discharges only, so its community figure is always unknown.
    """
    frame = history.assign(month=pd.to_datetime(history["month"]).dt.strftime("%Y-%m"))
    frame = frame[frame["month"].isin(list(months))]
    origin = [
        chosen.get((p, t)) for p, t in zip(frame["place_code"], frame["service_type"], strict=True)
    ]
    frame = frame[(frame["origin"] == pd.Series(origin, index=frame.index, dtype=object))]
    sums = frame.groupby(["origin", *KEY], as_index=False)["referrals"].sum()
    rows = []
    for place, stype, source in keys[["place_code", "service_type", "source"]].itertuples(
        index=False
    ):
        kind = chosen.get((place, stype))
        if kind is None:
            continue
        mine = sums[(sums["place_code"] == place) & (sums["service_type"] == stype)]
        for month in months:
            value = _actual_in(mine, kind, source, month, last_month.get(place))
            if value is not None:
                rows.append((place, stype, source, month, value, DEMAND_SOURCES[kind]))
    return pd.DataFrame(rows, columns=ACTUAL_DEMAND_COLUMNS)


def _actual_in(
    mine: pd.DataFrame, kind: str, source: str, month: str, last: str | None
) -> float | None:
    """One month's actual referrals of a source, or None where the data say nothing."""
    in_month = mine[mine["month"] == month]
    if in_month.empty:
        return None
    if kind != "sitrep" and (last is None or month > last):
        return None  # records or counts of a month not yet complete
    of_source = in_month[in_month["source"] == source]
    if of_source.empty and kind == "sitrep":
        return None
    return float(of_source["referrals"].sum())


def actual_capacity(plan: pd.DataFrame) -> pd.DataFrame:
    """Capacity per place, service type, source and month of a plan frame recomputed now,
    and whether all of it is assumed equal to demand (no figure of its own)."""
    assumed = plan["method"].isin(following_demand())
    grouped = plan.assign(assumed=assumed).groupby(KEY, as_index=False)
    out = grouped.agg(
        actual_capacity=("capacity", lambda c: c.sum(min_count=1)),
        capacity_assumed=("assumed", "all"),
    )
    return out[ACTUAL_CAPACITY_COLUMNS]


def roll_up_demand(
    actual: pd.DataFrame, rows: pd.DataFrame, members: Mapping[str, Sequence[str]]
) -> pd.DataFrame:
    """``actual`` with rows for each system of ``members`` (system → its places).

    A system's month is the sum of its places', known only where every place whose
    plan ``rows`` have that service type and source has actual data that month.
    """
    parts = [actual]
    for system, places in members.items():
        have = rows[rows["place_code"].isin(places)][
            ["place_code", "service_type", "source"]
        ].drop_duplicates()
        needed = have.groupby(["service_type", "source"])["place_code"].nunique()
        mine = actual[actual["place_code"].isin(places)]
        sums = mine.groupby(["service_type", "source", "month"], as_index=False).agg(
            actual_demand=("actual_demand", "sum"),
            places=("place_code", "nunique"),
            actual_from=("actual_from", lambda t: "; ".join(dict.fromkeys(t))),
        )
        wanted = [
            needed.get((t, s), 0) for t, s in zip(sums["service_type"], sums["source"], strict=True)
        ]
        whole = sums[sums["places"].to_numpy() == np.array(wanted, dtype=int)]
        parts.append(whole.assign(place_code=system)[ACTUAL_DEMAND_COLUMNS])
    return pd.concat(parts, ignore_index=True)


# -- the comparison ---------------------------------------------------------------


def planned(rows: pd.DataFrame) -> pd.DataFrame:
    """A snapshot's rows by place, service type, source and month: demand, capacity, gap
    and the demand band, unrounded."""
    names = ["place", "service_type_name"]
    grouped = rows.groupby(KEY, sort=False)
    out = grouped.agg(
        place=("place", "first"),
        service_type_name=("service_type_name", "first"),
        planned_demand=("demand", lambda d: d.sum(min_count=1)),
        planned_capacity=("capacity", lambda c: c.sum(min_count=1)),
        spread=("demand_spread", lambda s: s.sum(min_count=1)),
        years=("demand_years", "min"),
        level=("interval_level", "max"),
        parts=("demand", "size"),
        one_low=("demand_low", "first"),
        one_high=("demand_high", "first"),
    ).reset_index()
    out["planned_gap"] = f.gap(out["planned_capacity"], out["planned_demand"])
    level = out["level"].fillna(INTERVAL_LEVEL).to_numpy(float)
    years = out["years"].fillna(0).to_numpy(int)
    spread = out["spread"].to_numpy(float)
    low, high = _bounds_by_level(out["planned_demand"].to_numpy(float), spread, years, level)
    has = (years >= 2) & ~np.isnan(spread)
    single = out["parts"].to_numpy() == 1
    out["demand_low"] = np.where(single, out["one_low"], np.where(has, low, np.nan))
    out["demand_high"] = np.where(single, out["one_high"], np.where(has, high, np.nan))
    out["interval_level"] = np.where(out["demand_high"].notna(), level, np.nan)
    return out[
        [*KEY, *names, "planned_demand", "demand_low", "demand_high", "interval_level"]
        + ["planned_capacity", "planned_gap"]
    ]


def _bounds_by_level(
    demand: np.ndarray, spread: np.ndarray, years: np.ndarray, level: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    low, high = np.full(len(demand), np.nan), np.full(len(demand), np.nan)
    for value in np.unique(level):
        at = level == value
        low[at], high[at] = bounds(demand[at], spread[at], years[at], float(value))
    return low, high


def compare(
    rows: pd.DataFrame,
    demand: pd.DataFrame,
    capacity: pd.DataFrame,
    today: date,
) -> pd.DataFrame:
    """The plan against actual table (:data:`TABLE_COLUMNS`), one row per place, service
    type, source and month of the snapshot ``rows``.

    ``demand`` has :data:`ACTUAL_DEMAND_COLUMNS` (rows only where data exist),
    ``capacity`` :data:`ACTUAL_CAPACITY_COLUMNS` (the plan recomputed now). Months
    not happened by ``today`` keep the plan's figures and no actual ones.
    """
    out = planned(rows).merge(demand, on=KEY, how="left").merge(capacity, on=KEY, how="left")
    over = np.array([month_over(m, today) for m in out["month"]], dtype=bool)
    happened = over & out["actual_demand"].notna().to_numpy()
    assumed = out["capacity_assumed"].astype("boolean").fillna(False).to_numpy(bool)
    actual = out["actual_demand"].to_numpy(float)
    out["happened"] = happened
    out["actual_demand"] = np.where(happened, actual, np.nan)
    out["actual_capacity"] = np.where(
        happened, np.where(assumed, actual, out["actual_capacity"].to_numpy(float)), np.nan
    )
    out["actual_from"] = out["actual_from"].where(happened, "")
    out["demand_variance"] = out["actual_demand"] - out["planned_demand"]
    out["capacity_variance"] = out["actual_capacity"] - out["planned_capacity"]
    out["actual_gap"] = f.gap(out["actual_capacity"], out["actual_demand"])
    out["gap_variance"] = out["actual_gap"] - out["planned_gap"]
    out["signal"] = [_signal(r) for r in out.to_dict("records")]
    out["signal_words"] = [
        SIGNAL_WORDS[s] if s != NOT_YET else (NO_DATA_YET if o else NOT_OVER)
        for s, o in zip(out["signal"], over, strict=True)
    ]
    out["capacity_note"] = np.where(happened & assumed, ASSUMED_NOTE, "")
    return out[TABLE_COLUMNS].reset_index(drop=True)


def _signal(row: dict) -> str:
    if not row["happened"]:
        return NOT_YET
    if pd.isna(row["planned_demand"]):
        return NO_PLAN
    if pd.isna(row["demand_low"]) or pd.isna(row["demand_high"]):
        return NO_BAND
    if row["actual_demand"] > row["demand_high"]:
        return ABOVE
    if row["actual_demand"] < row["demand_low"]:
        return BELOW
    return WITHIN


# -- the sentences ----------------------------------------------------------------


def _people(value: float) -> str:
    """Whole people as people round (half away from zero)."""
    return f"{np.floor(abs(value) + 0.5) * np.sign(value) + 0.0:,.0f}"


def _month_words(key: str) -> str:
    return pd.Timestamp(f"{key}-01").strftime("%B %Y")


def _what(row: dict) -> str:
    """'Havering reablement at home, hospital discharge'."""
    name = str(row["service_type_name"])
    name = name[:1].lower() + name[1:]
    return f"{row['place']} {name}, {SOURCE_WORDS.get(row['source'], row['source'])}"


def band_sentence(row: dict) -> str:
    """One month outside the band: 'Havering reablement at home, hospital discharge: actual
    demand 58 in October 2025, above the plan's 80% band (31–49)'."""
    side = "above" if row["signal"] == ABOVE else "below"
    low, high = _people(row["demand_low"]), _people(row["demand_high"])
    return (
        f"{_what(row)}: actual demand {_people(row['actual_demand'])} in "
        f"{_month_words(row['month'])}, {side} the plan's {row['interval_level']:.0%} band "
        f"({low if low == high else f'{low}–{high}'})"
    )


def summary_sentence(table: pd.DataFrame, year: int) -> str:
    """How many months have happened, and where actual demand fell against the bands."""
    done = table[table["happened"]]
    where = " and ".join(dict.fromkeys(table["place"])) or "The plan"
    if done.empty:
        return (
            f"{where}: no month of {planning_year_label(year)} has happened with actual demand "
            "loaded yet; the comparison fills in as months end and their data are loaded"
        )
    counts = done["signal"].value_counts()
    months = sorted(done["month"].unique())
    span = _month_words(months[0]) + (f" to {_month_words(months[-1])}" if len(months) > 1 else "")
    banded = int(counts.get(ABOVE, 0) + counts.get(BELOW, 0) + counts.get(WITHIN, 0))
    text = (
        f"{where}, {span}: {len(months)} month{'s' if len(months) != 1 else ''} "
        f"{'have' if len(months) != 1 else 'has'} happened, {len(done)} monthly figures of "
        "demand by service type and source"
    )
    if banded:
        text += (
            f"; actual demand was within the plan's band in {int(counts.get(WITHIN, 0))} of "
            f"the {banded} with a band, above it in {int(counts.get(ABOVE, 0))} and below it "
            f"in {int(counts.get(BELOW, 0))}"
        )
    no_band = int(counts.get(NO_BAND, 0))
    if no_band:
        text += f"; {no_band} had no band (the month rested on one year of data)"
    return text


def capacity_sentences(table: pd.DataFrame) -> list[str]:
    """Per place, service type and source whose capacity as it turned out differs from the
    plan by half a person or more in a month that has happened: by how much and when."""
    done = table[table["happened"] & table["capacity_variance"].abs().ge(0.5)]
    done = done[done["capacity_note"] == ""]
    out = []
    for _, group in done.groupby(["place_code", "service_type", "source"], sort=False):
        first = group.iloc[0].to_dict()
        mean = float(group["capacity_variance"].mean())
        months = sorted(group["month"])
        when = (
            _month_words(months[0])
            if len(months) == 1
            else f"{len(months)} months from {_month_words(months[0])}"
        )
        side = "more" if mean > 0 else "fewer"
        out.append(
            f"{_what(first)}: capacity as it turned out was {_people(abs(mean))} {side} a month "
            f"than planned ({when})"
        )
    return out


def sentences(
    table: pd.DataFrame, year: int, place_code: str | None = None, most: int = MOST_SENTENCES
) -> list[str]:
    """A short reading for the top of the comparison, of one place (every place when None):
    the summary, the months furthest outside the band (at most ``most``), and where
    capacity as it turned out differed from the plan."""
    if place_code is not None:
        table = table[table["place_code"] == place_code]
    lines = [summary_sentence(table, year)]
    outside = table[table["signal"].isin([ABOVE, BELOW])]
    # The furthest outside first, in people: a lead plans for people, not percentages.
    beyond = np.where(
        outside["signal"] == ABOVE,
        outside["actual_demand"] - outside["demand_high"],
        outside["demand_low"] - outside["actual_demand"],
    )
    outside = outside.assign(distance=beyond).sort_values(
        "distance", ascending=False, kind="stable"
    )
    lines += [band_sentence(r) for r in outside.head(most).to_dict("records")]
    if len(outside) > most:
        lines.append(f"… and {len(outside) - most} more months outside the band (see the table)")
    return lines + capacity_sentences(table)
