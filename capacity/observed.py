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

from datetime import date, timedelta

import numpy as np
import pandas as pd

from capacity import config
from capacity import formulas as f
from capacity.demand import coverage, stored_settings
from capacity.model import PlanModel, group_length_of_stay, places_in_force
from capacity.periods import Month, planning_year_months, planning_year_of
from capacity.segments import (
    parameter_segments,
    resolve_place_shares,
    segment_capacity,
    with_capacity,
)
from capacity.shares import service_use
from capacity.store import Store

# The plan flags a stated length of stay or caseload that the records contradict by more than
# this share of the stated figure (the Data quality table uses config.LITTLE_LAW_TOLERANCE).
PLAN_FLAG_DIFFERENCE = 0.25
# Below this many completed episodes an observed mean is too uncertain to set against a stated
# figure. Stays in these services spread by about 0.6 of their mean (the coefficient of
# variation of every demo service is 0.54 to 0.64), so the mean of 20 stays has a standard
# error near 0.6 / sqrt(20) = 13%: a difference above 25% is then about two standard errors,
# unlikely to be chance alone. With fewer, a quarter either way is within chance.
MIN_COMPLETED_EPISODES = 20
PLAN_WINDOW_MONTHS = 12
FLAG_OBSERVED_LOS = "observed length of stay"
FLAG_OBSERVED_OCCUPANCY = "observed occupancy"
TOO_FEW_EPISODES = "too few episodes to compare"
OBSERVED_COLUMNS = [
    "place_code",
    "service_id",
    "window_start",
    "window_end",
    "arrivals",
    "completed",
    "observed_los_days",
    "observed_occupancy",
]
STATED_COLUMNS = ["place_code", "service_id", "month", "stated_los_days", "stated_places"]

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
    service_places = store.query("service_places_for_places", places=list(place_codes))
    # A pooled service is split as the plan splits it: by share of use over the demand window of
    # the planning year that follows the observed months (population only where records can't say).
    year = planning_year_of(end - timedelta(days=1)) + 1
    use = service_use(store, service_places, services, year, stored_settings(store))
    links = resolve_place_shares(
        service_places, store.query("places"), params, list(place_codes), use
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
    return float(
        group_length_of_stay(
            segs["mean_los_days"].to_numpy(float),
            segs["seg_days"].to_numpy(float),
            weighting="days",
        )
    )


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
    few = _too_few(row.get("completed"))
    if few:
        flags.append(
            f"{TOO_FEW_EPISODES} ({int(row['completed'])} completed; the plan needs "
            f"{MIN_COMPLETED_EPISODES})"
        )
    for column, observed, stated in checks:
        ratio = row.get(column)
        if few and column != "capacity_ratio":
            continue  # a mean of so few stays says too little either way
        if ratio is not None and pd.notna(ratio) and abs(ratio - 1) > tolerance:
            direction = "above" if ratio > 1 else "below"
            flags.append(f"{observed} is {abs(ratio - 1):.0%} {direction} {stated}")
    if not row.get("completed") and pd.notna(row.get("arrivals")):
        flags.append("no completed episodes: length of stay unknown")
    return "; ".join(flags)


def _too_few(completed: float | None) -> bool:
    """True for some completed episodes, but fewer than the plan needs to compare."""
    return completed is not None and pd.notna(completed) and 0 < completed < MIN_COMPLETED_EPISODES


def implied_occupancy(arrivals_per_day: float, mean_los_days: float) -> float:
    """Little's law for one service (re-exported for pages): arrivals per day × LoS."""
    return float(f.implied_occupancy(arrivals_per_day, mean_los_days))  # one number in, one out


# -- the plan's flags ------------------------------------------------------------------


def plan_windows(cover: pd.DataFrame, year: int) -> dict[str, tuple[date, date]]:
    """Each place's observation window [start, end) for planning year ``year``.

    The last :data:`PLAN_WINDOW_MONTHS` complete months of the place's data that
    end before the year starts, as the demand projection looks only at history
    before the year; fewer where the data start later, and none for a place with
    no complete month before the year.
    """
    year_start = pd.Timestamp(planning_year_months(year)[0].first_day)
    windows = {}
    for row in cover.itertuples(index=False):
        end = min(pd.Timestamp(row.last_month) + pd.offsets.MonthBegin(1), year_start)
        start = max(pd.Timestamp(row.first_month), end - pd.DateOffset(months=PLAN_WINDOW_MONTHS))
        if start < end:
            windows[row.place_code] = (start.date(), end.date())
    return windows


def observed_for_plan(store: Store, cover: pd.DataFrame, year: int) -> pd.DataFrame:
    """Arrivals, completed episodes, mean LoS and occupancy per place and service, each place
    over its window for ``year`` (:func:`plan_windows`), read in one aggregate query."""
    windows = plan_windows(cover, year)
    if not windows:
        return pd.DataFrame(columns=OBSERVED_COLUMNS)
    codes = list(windows)
    frame = store.query(
        "observed_episodes_by_window",
        places=codes,
        starts=[windows[c][0] for c in codes],
        ends=[windows[c][1] for c in codes],
    )
    return frame[OBSERVED_COLUMNS]


def stated_by_month(model: PlanModel) -> pd.DataFrame:
    """The stated mean LoS and places per place, service and month, after any scenario.

    Each is the mean over the days of the month that have a figure in force
    (parameter rows that change within a month weigh by their days). Places
    are the caseload in use × place share × contract share
    (:func:`capacity.model.places_in_force`), what the service's people at
    this place can fill at once, so they compare with observed occupancy.
    """
    segs = model.segments
    if segs.empty:
        return pd.DataFrame(columns=STATED_COLUMNS)
    used = segment_capacity(segs, model.service_names())["caseload_used"]
    days = segs["seg_days"].to_numpy(float)
    los = segs["mean_los_days"].to_numpy(float)
    places = places_in_force(segs, used)
    parts = pd.DataFrame(
        {
            "place_code": segs["place_code"].to_numpy(),
            "service_id": segs["service_id"].to_numpy(),
            "month": segs["month"].to_numpy(),
            "los_days": los * days,
            "los_weight": np.where(np.isnan(los), np.nan, days),
            "place_days": places * days,
            "place_weight": np.where(np.isnan(places), np.nan, days),
        }
    )
    sums = parts.groupby(["place_code", "service_id", "month"], sort=False).sum(min_count=1)
    out = pd.DataFrame(
        {
            "stated_los_days": sums["los_days"] / sums["los_weight"],
            "stated_places": sums["place_days"] / sums["place_weight"],
        }
    )
    return out.reset_index()[STATED_COLUMNS]


def compare_months(
    stated: pd.DataFrame,
    observed: pd.DataFrame,
    *,
    limit: float = PLAN_FLAG_DIFFERENCE,
    minimum: int = MIN_COMPLETED_EPISODES,
) -> pd.DataFrame:
    """Stated figures by month beside the observed ones of their place and service.

    ``los_flagged`` and ``occupancy_flagged`` are true where the observed
    figure differs from the stated one by more than ``limit`` of the stated
    figure and rests on at least ``minimum`` completed episodes; ``flag`` words
    both ("" where neither).
    """
    both = stated.merge(observed, on=["place_code", "service_id"], how="inner")
    enough = both["completed"].astype(float).fillna(0) >= minimum
    both["los_ratio"] = _ratio(both["observed_los_days"], both["stated_los_days"])
    both["occupancy_ratio"] = _ratio(both["observed_occupancy"], both["stated_places"])
    both["los_flagged"] = enough & ((both["los_ratio"] - 1).abs() > limit)
    both["occupancy_flagged"] = enough & ((both["occupancy_ratio"] - 1).abs() > limit)
    either = (both["los_flagged"] | both["occupancy_flagged"]).to_numpy(bool)
    both["flag"] = ""
    if either.any():  # word only the few rows flagged: the plan is recomputed per what-if
        both.loc[either, "flag"] = [
            _plan_flag(row, limit) for row in both[either].to_dict("records")
        ]
    return both


def observed_flags(model: PlanModel, keys: pd.DataFrame) -> list[str]:
    """For each row of ``keys`` (place_code, service_id, month), the words of any stated
    length of stay or caseload that the records contradict (see :func:`compare_months`)."""
    observed = model.inputs.observed
    if observed.empty or keys.empty:
        return [""] * len(keys)
    names = model.inputs.all_places.set_index("place_code")["name"]
    found = compare_months(
        stated_by_month(model),
        observed.assign(place=observed["place_code"].map(names).fillna(observed["place_code"])),
    )
    found = found.loc[found["flag"] != "", ["place_code", "service_id", "month", "flag"]]
    looked_up = keys[["place_code", "service_id", "month"]].merge(
        found, on=["place_code", "service_id", "month"], how="left"
    )
    return looked_up["flag"].fillna("").tolist()


def window_label(start: date, end: date) -> str:
    """'Apr 2024 – Mar 2025' for the window [start, end)."""
    last = end - pd.Timedelta(days=1)
    return f"{Month(start.year, start.month).label} – {Month(last.year, last.month).label}"


def _plan_flag(row: dict, limit: float) -> str:
    """The words of one month's flags: the figures, the difference, the window, the episodes."""
    window = window_label(
        pd.Timestamp(row["window_start"]).date(), pd.Timestamp(row["window_end"]).date()
    )
    place = row.get("place") or row["place_code"]
    behind = f"{place}, {window}, {int(row['completed'])} completed episodes"
    words = []
    if row["los_flagged"]:
        words.append(
            f"{FLAG_OBSERVED_LOS} {figure_text(row['observed_los_days'])} days against "
            f"{figure_text(row['stated_los_days'])} stated "
            f"({_difference(row['los_ratio'], limit)}, {behind})"
        )
    if row["occupancy_flagged"]:
        words.append(
            f"{FLAG_OBSERVED_OCCUPANCY} {figure_text(row['observed_occupancy'])} at once "
            f"against a stated caseload of {figure_text(row['stated_places'])} "
            f"({_difference(row['occupancy_ratio'], limit)}, {behind})"
        )
    return "; ".join(words)


def figure_text(value: float) -> str:
    """A figure to one decimal place, without a trailing '.0' ('42', '31.4')."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _difference(ratio: float, limit: float) -> str:
    """'+26%' or '−26%'; one decimal where whole percent would not show it beyond the limit."""
    change = (ratio - 1) * 100
    text = f"{change:+.0f}%" if abs(round(change)) > limit * 100 else f"{change:+.1f}%"
    return text.replace("-", "−")
