"""Observed flow from referral records, set beside what a lead has stated.

Records with start and end dates show how a service actually ran: arrivals
per day, the mean length of stay of episodes that ended, and mean occupancy
(episodes open per day). Little's law ties them together — mean occupancy =
arrivals per day × mean length of stay — so when a lead's stated caseload and
length of stay are right, the service's stated capacity and its observed
arrivals agree in steady state. :func:`compare_with_stated` puts the two side
by side and flags where they differ by more than a tolerance.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from capacity import config
from capacity import formulas as f
from capacity.demand import coverage
from capacity.model import group_length_of_stay, places_in_force
from capacity.periods import Month
from capacity.segments import parameter_segments, resolve_place_shares, with_capacity
from capacity.store import Store

MEASURE_COLUMNS = [
    "place_code",
    "service_id",
    "service",
    "service_type",
    "arrivals",
    "arrivals_per_day",
    "completed",
    "observed_los_days",
    "observed_occupancy",
    "littles_law_occupancy",
    "stated_caseload",
    "stated_los_days",
    "stated_capacity_per_month",
    "observed_arrivals_per_month",
    "caseload_ratio",
    "los_ratio",
    "capacity_ratio",
    "flags",
]


def default_window(cover: pd.DataFrame) -> tuple[date, date] | None:
    """The last 12 complete months of data across ``cover`` as [start, end)."""
    if cover.empty:
        return None
    last = pd.Timestamp(cover["last_month"].max()) + pd.offsets.MonthBegin(1)
    first = max(pd.Timestamp(cover["first_month"].min()), last - pd.DateOffset(months=12))
    return first.date(), last.date()


def months_between(start: date, end: date) -> list[Month]:
    """The calendar months from ``start``'s month up to (not including) ``end``'s."""
    months, current = [], Month(start.year, start.month)
    while current.first_day < end:
        months.append(current)
        nxt = current.end_exclusive
        current = Month(nxt.year, nxt.month)
    return months


def observed_measures(store: Store, place_codes: list[str], start: date, end: date) -> pd.DataFrame:
    """Arrivals, mean LoS and mean occupancy per place and service over [start, end)."""
    frame = store.query("observed_episodes", places=list(place_codes), start=start, end=end)
    days = (end - start).days
    frame["arrivals_per_day"] = frame["arrivals"] / days
    los = frame["observed_los_days"].astype(float)
    frame["littles_law_occupancy"] = np.where(
        los.notna(), frame["arrivals_per_day"] * los.fillna(0), np.nan
    )
    return frame


def stated_measures(store: Store, place_codes: list[str], start: date, end: date) -> pd.DataFrame:
    """Day-weighted stated caseload and LoS, and capacity per month, per place and service."""
    services = store.query("services")
    names = dict(zip(services["service_id"], services["name"], strict=True))
    params = store.query("parameters_for_places", places=list(place_codes))
    params["valid_from"] = pd.to_datetime(params["valid_from"])
    params["valid_to"] = pd.to_datetime(params["valid_to"])
    links = resolve_place_shares(
        store.query("service_places_for_places", places=list(place_codes)),
        store.query("places"),
        params,
        list(place_codes),
    )
    months = months_between(start, end)
    segs = with_capacity(parameter_segments(params, links, months), names)
    if segs.empty:
        return pd.DataFrame(
            columns=[
                "place_code",
                "service_id",
                "stated_caseload",
                "stated_los_days",
                "stated_capacity_per_month",
            ]
        )
    places = places_in_force(segs, segs["caseload_used"].to_numpy(float))
    segs = segs.assign(weighted_caseload=places * segs["seg_days"])
    total_days = (end - start).days
    grouped = segs.groupby(["place_code", "service_id"])
    out = pd.DataFrame(
        {
            "stated_caseload": grouped["weighted_caseload"].sum(min_count=1) / total_days,
            "stated_los_days": grouped[["mean_los_days", "seg_days"]].apply(_stated_los),
            "stated_capacity_per_month": grouped["capacity_seg"].sum(min_count=1) / len(months),
        }
    )
    return out.reset_index()


def _stated_los(segs: pd.DataFrame) -> float:
    """The stated stay of one place's service over the window: its segments' stays weighted by
    the days each is in force (segments with no stay, a throughput say, left out)."""
    return float(group_length_of_stay(segs["mean_los_days"].to_numpy(float),
                                      segs["seg_days"].to_numpy(float), weighting="days"))


def compare_with_stated(
    store: Store,
    place_codes: list[str],
    start: date | None = None,
    end: date | None = None,
    tolerance: float = config.LITTLE_LAW_TOLERANCE,
) -> pd.DataFrame:
    """Observed against stated flow per place and service, with a flag where they disagree.

    With no window given, uses the last 12 complete months of the places' data.
    """
    if start is None or end is None:
        window = default_window(coverage(store, list(place_codes)))
        if window is None:
            return pd.DataFrame(columns=MEASURE_COLUMNS)
        start, end = window
    observed = observed_measures(store, place_codes, start, end)
    stated = stated_measures(store, place_codes, start, end)
    both = observed.merge(stated, on=["place_code", "service_id"], how="outer")
    names = store.query("services").set_index("service_id")["name"]
    both["service"] = both["service_id"].map(names).fillna("(records name the service type only)")
    months = len(months_between(start, end))
    both["observed_arrivals_per_month"] = both["arrivals"] / months
    both["caseload_ratio"] = _ratio(both["observed_occupancy"], both["stated_caseload"])
    both["los_ratio"] = _ratio(both["observed_los_days"], both["stated_los_days"])
    both["capacity_ratio"] = _ratio(
        both["observed_arrivals_per_month"], both["stated_capacity_per_month"]
    )
    both["flags"] = [_flags(r, tolerance) for r in both.to_dict("records")]
    return both[MEASURE_COLUMNS].sort_values(["place_code", "service"]).reset_index(drop=True)


def _ratio(observed: pd.Series, stated: pd.Series) -> pd.Series:
    stated = stated.astype(float)
    return observed.astype(float) / stated.where(stated > 0)


def _flags(row: dict, tolerance: float) -> str:
    flags = []
    if pd.isna(row.get("arrivals")) or not row.get("arrivals"):
        flags.append("no records with start dates in the window")
    if pd.isna(row.get("stated_capacity_per_month")) and pd.notna(row.get("arrivals")):
        flags.append("no stated capacity to compare")
    checks = (
        ("caseload_ratio", "observed occupancy", "stated caseload"),
        ("los_ratio", "observed length of stay", "stated length of stay"),
        ("capacity_ratio", "observed arrivals", "stated capacity"),
    )
    for column, observed, stated in checks:
        ratio = row.get(column)
        if pd.notna(ratio) and abs(ratio - 1) > tolerance:
            direction = "above" if ratio > 1 else "below"
            flags.append(f"{observed} is {abs(ratio - 1):.0%} {direction} {stated}")
    if not row.get("completed") and pd.notna(row.get("arrivals")):
        flags.append("no completed episodes: length of stay unknown")
    return "; ".join(flags)


def implied_occupancy(arrivals_per_day: float, mean_los_days: float) -> float:
    """Little's law for one service (re-exported for pages): arrivals per day × LoS."""
    return f.implied_occupancy(arrivals_per_day, mean_los_days)
