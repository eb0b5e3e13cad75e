"""Flow inputs from the plan and the store: arrivals, places, stay and starting conditions.

Everything comes from the same plan model the monthly figures use, after
any scenario, so the flow and the plan frame never disagree about demand,
beds or stay:

- **Arrivals**: each month's demand for the service (both sources, from the
  plan frame) spread over its days — evenly, or by the weekday pattern of the
  service's referral records when there are enough of them.
- **Places**: the caseload in force each day (effective-dated, so winter flex
  beds open on their date) × place share × contract share, with any scenario's
  changes; for a system, the sum over its places (one shared pool).
  Target occupancy is not applied: in the flow model occupancy is an outcome.
- **Stay**: the mean length of stay in force each day, and its spread (the
  coefficient of variation of completed episodes in the records of the three
  planning years before this one; 1, as the Erlang formulas assume, when there
  are fewer than 30).
- **Starting conditions**: the run starts today when today falls in the
  planning year, else on 1 April (:func:`default_start_day`); days before the
  start are not simulated. Unless given, the service starts as full as the
  start day's demand keeps it (arrivals a day × mean stay, at most its places
  that day) with nobody waiting: :func:`capacity.flow.inputs.starting` works it out
  after any what-if.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from capacity.flow.inputs import FlowInputs, default_in_service
from capacity.methods import modelled_methods, not_modelled_reason
from capacity.model import (
    PlanModel,
    group_length_of_stay,
    methods_by_service,
    places_in_force,
    segment_days,
    segments_at,
    segments_by_method,
)
from capacity.periods import planning_year_months
from capacity.segments import PlanError, segment_capacity
from capacity.store import Store

MODELLED_METHODS = modelled_methods()
MIN_EPISODES = 30
MIN_REFERRALS = 100
HISTORY_YEARS = 3


class FlowError(PlanError):
    """The flow model cannot be set up for this service and place; the message says why."""


@dataclass(frozen=True)
class FlowRecords:
    """What the referral records say about a service's arrivals and stays."""

    weekday_referrals: tuple[float, ...]
    completed: int
    mean_los_days: float
    sd_los_days: float
    window: str


def history_window(year: int) -> tuple[str, str, str]:
    """The planning years before ``year`` whose records describe it: [start, end) and a label."""
    first = year - HISTORY_YEARS
    label = f"April {first} to March {year}"
    return f"{first}-04-01", f"{year}-04-01", label


def read_records(
    store: Store, place_codes: list[str], service_id: str, service_type: str, year: int
) -> FlowRecords:
    """The weekday pattern of referrals and the spread of completed stays, from the records."""
    return read_pool_records(store, place_codes, [service_id], [service_type], year)


def read_pool_records(
    store: Store,
    place_codes: list[str],
    service_ids: list[str],
    service_types: list[str],
    year: int,
) -> FlowRecords:
    """:func:`read_records` for several services at once (a pathway's pool).

    One query over all of them, so a record that names only its service type
    counts once, not once for each pooled service of that type, and the spread
    of stays is that of the pooled episodes (it includes the differences
    between the services' stays).
    """
    start, end, label = history_window(year)
    where = {
        "places": list(place_codes),
        "service_ids": list(service_ids),
        "service_types": sorted(set(service_types)),
        "start": start,
        "end": end,
    }
    weekdays = store.query("flow_weekday_referrals", **where)
    counts = np.zeros(7)
    counts[weekdays["weekday"].to_numpy(int) - 1] = weekdays["referrals"].to_numpy(float)
    spread = store.query("flow_stay_spread", **where).iloc[0]
    return FlowRecords(
        weekday_referrals=tuple(counts),
        completed=int(spread["completed"]),
        mean_los_days=float(spread["mean_los_days"])
        if pd.notna(spread["mean_los_days"])
        else float("nan"),
        sd_los_days=float(spread["sd_los_days"])
        if pd.notna(spread["sd_los_days"])
        else float("nan"),
        window=label,
    )


# -- which services ---------------------------------------------------------------


def flow_services(model: PlanModel, place_codes: list[str]) -> pd.DataFrame:
    """The services at these places, each with whether the flow model can run it and why not.

    Columns: service_id, service, service_type, pathway (the service type's
    discharge pathway from the reference data, '' if none), contract,
    modelled, reason. A service can be modelled when it has a caseload and a
    length of stay (caseload or hours method) for some of the year.
    """
    inputs = model.inputs
    methods = methods_by_service(segments_at(model, place_codes))
    services = inputs.services.set_index("service_id")
    types = inputs.service_types.set_index("service_type")
    order, pathways = types["sort_order"], types["pathway"]
    rows = []
    for service_id, used in methods.items():
        modelled = bool(used & set(MODELLED_METHODS))
        other = sorted(used - set(MODELLED_METHODS))
        rows.append(
            {
                "service_id": service_id,
                "service": services.loc[service_id, "name"],
                "service_type": services.loc[service_id, "service_type"],
                "pathway": _text(pathways.get(services.loc[service_id, "service_type"])),
                "contract": services.loc[service_id, "contract"],
                "modelled": modelled,
                "reason": "" if modelled else not_modelled_reason(other[0]),
                "sort_order": order.get(services.loc[service_id, "service_type"], 999),
            }
        )
    frame = pd.DataFrame(
        rows,
        columns=[
            "service_id",
            "service",
            "service_type",
            "pathway",
            "contract",
            "modelled",
            "reason",
            "sort_order",
        ],
    )
    return (
        frame.sort_values(["sort_order", "service"])
        .drop(columns="sort_order")
        .reset_index(drop=True)
    )


def _text(value: object) -> str:
    return "" if value is None or pd.isna(value) else str(value)


def resolve_service(services: pd.DataFrame, text: str, place: str) -> pd.Series:
    """Find a service of ``services`` by id or name (case does not matter).

    An unknown one, or one the flow model cannot run, raises FlowError listing
    the place's services and which of them can be modelled.
    """
    wanted = " ".join(str(text).lower().split())
    for column in ("service_id", "service"):
        hit = services[services[column].map(lambda v: " ".join(str(v).lower().split())) == wanted]
        if len(hit) == 1:
            row = hit.iloc[0]
            if not row["modelled"]:
                raise FlowError(
                    f"{row['service']} is {row['reason']}; the flow model needs a "
                    f"caseload and a length of stay. {_listing(services, place)}"
                )
            return row
    raise FlowError(f"Unknown service {text!r} at {place}. {_listing(services, place)}")


def _listing(services: pd.DataFrame, place: str) -> str:
    if services.empty:
        return f"{place} has no services."
    lines = [
        f"{r.service} ({r.service_id})" + ("" if r.modelled else f" — not modelled: {r.reason}")
        for r in services.itertuples()
    ]
    return f"Services at {place}: " + "; ".join(lines)


# -- day by day -------------------------------------------------------------------


def year_dates(year: int) -> np.ndarray:
    """Every day of planning year ``year`` (1 April to 31 March) as datetime64[D]."""
    months = planning_year_months(year)
    return np.arange(np.datetime64(months[0].first_day), np.datetime64(months[-1].end_exclusive))


def _spread_to_days(
    starts: np.ndarray, ends: np.ndarray, values: np.ndarray, days: int
) -> np.ndarray:
    """Sum ``values`` over the days [start, end) of each segment (indices into the year)."""
    change = np.zeros(days + 1)
    np.add.at(change, np.clip(starts, 0, days), values)
    np.add.at(change, np.clip(ends, 0, days), -values)
    return np.cumsum(change)[:days]


def daily_places(
    segs: pd.DataFrame,
    names: dict[str, str],
    dates: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Places in force and their mean stay each day, and the days with no caseload at all.

    Places = caseload in use (after any scenario) × place share × contract
    share, summed over places; the stay is the segments' in force that day, weighted by
    places (equally when none has places). A day with no caseload in force takes the
    nearest known stay.
    """
    places = np.nan_to_num(places_in_force(segs, segment_capacity(segs, names)["caseload_used"]))
    starts, ends = segment_days(segs, dates[0])
    days = len(dates)
    caseload = _spread_to_days(starts, ends, places, days)
    day = np.arange(days)
    in_force = (day >= starts[:, None]) & (day < ends[:, None])  # segments × days
    stays = np.where(in_force, segs["mean_los_days"].to_numpy(float)[:, None], np.nan)
    mean_los = group_length_of_stay(stays, np.maximum(places, 0.0)[:, None], weighting="places")
    mean_los = pd.Series(mean_los).ffill().bfill().to_numpy()
    return np.maximum(caseload, 0.0), mean_los, int((~in_force.any(axis=0)).sum())


def monthly_demand(
    frame: pd.DataFrame, service_id: str, place_codes: list[str], months: list[str]
) -> tuple[np.ndarray, float, int]:
    """The service's demand each month (both sources), its hospital share, and months missing."""
    rows = frame[(frame["service_id"] == service_id) & frame["place_code"].isin(place_codes)]
    by_month = rows.groupby("month")["demand"].sum(min_count=1).reindex(months)
    hospital = rows.loc[rows["source"] == "hospital", "demand"].sum()
    total = rows["demand"].sum()
    share = float(hospital / total) if total > 0 else 1.0
    return by_month.fillna(0.0).to_numpy(float), share, int(by_month.isna().sum())


def weekday_of(dates: np.ndarray) -> np.ndarray:
    """Day of the week of each date, 0 = Monday (1 January 1970 was a Thursday)."""
    return (np.asarray(dates, "datetime64[D]").astype(np.int64) + 3) % 7


def spread_over_days(
    demand: np.ndarray, dates: np.ndarray, weekday_weights: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Arrivals each day from monthly demand: by weekday weights if given, else evenly.

    Returns (arrivals each day, the month's mean each day). Each month's days
    add up to its demand either way.
    """
    months = np.asarray(dates, "datetime64[D]").astype("datetime64[M]")
    starts = np.flatnonzero(np.r_[True, months[1:] != months[:-1]])
    lengths = np.diff(np.r_[starts, len(dates)])
    mean = np.repeat(demand / lengths, lengths)
    if weekday_weights is None:
        return mean, mean
    weight = np.asarray(weekday_weights, float)[weekday_of(dates)]
    totals = np.repeat(np.add.reduceat(weight, starts), lengths)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(
            totals > 0, weight / np.where(totals > 0, totals, 1), 1 / np.repeat(lengths, lengths)
        )
    return np.repeat(demand, lengths) * share, mean


def year_span(year: int) -> tuple[date, date]:
    """The first and last days of planning year ``year``: 1 April and 31 March."""
    months = planning_year_months(year)
    return months[0].first_day, months[-1].end_exclusive - timedelta(days=1)


def default_start_day(year: int, today: date) -> date:
    """The day a run of planning year ``year`` starts unless told: ``today`` when it falls in
    that year (the transient from today's starting conditions), else 1 April."""
    first, last = year_span(year)
    return today if first <= today <= last else first


def _los_spread(records: FlowRecords | None, default_cv: float) -> tuple[float, str]:
    if records is not None and records.completed >= MIN_EPISODES and records.mean_los_days > 0:
        cv = records.sd_los_days / records.mean_los_days
        return float(cv), (
            f"coefficient of variation {cv:.2f} from {records.completed:,} "
            f"completed episodes, {records.window}"
        )
    return default_cv, (
        f"assumed {default_cv:g} (exponential stays, as the Erlang formulas "
        f"assume): fewer than {MIN_EPISODES} completed episodes in the records"
    )


def _weekday_weights(records: FlowRecords | None, use: bool) -> tuple[np.ndarray | None, str]:
    if not use:
        return None, "spread evenly over the days of each month"
    counts = np.asarray(records.weekday_referrals if records else np.zeros(7), float)
    if records is None or counts.sum() < MIN_REFERRALS:  # no records: no referrals counted
        return None, (
            f"spread evenly over the days of each month (fewer than {MIN_REFERRALS} "
            "referrals to find a weekday pattern)"
        )
    return counts / counts.mean(), (
        f"spread over the days of each month by the weekday pattern "
        f"of {int(counts.sum()):,} referrals, {records.window}"
    )


def build(
    model: PlanModel,
    frame: pd.DataFrame,
    place_codes: list[str],
    service_id: str,
    records: FlowRecords | None = None,
    *,
    label: str = "",
    place_code: str = "",
    weekday: bool = True,
    default_cv: float = 1.0,
) -> FlowInputs:
    """Flow inputs for one service over ``place_codes`` (one place, or a system's places).

    ``model`` has any scenario applied and ``frame`` is the plan frame
    computed from it (its demand is used). ``place_code`` names the place or
    system the inputs stand for. The inputs cover the whole year from 1 April,
    starting as full as April's demand keeps the service; apply any what-if,
    then :func:`capacity.flow.inputs.starting` for another start day or starting numbers.
    """
    inputs = model.inputs
    segs = segments_at(model, place_codes, service_id)
    if segs.empty:
        raise FlowError(f"Service {service_id!r} has no parameters at these places")
    modelled = segments_by_method(segs, MODELLED_METHODS)
    if modelled.empty:
        raise FlowError(f"Service {service_id!r} has no caseload and length of stay to model")
    names = model.service_names()
    dates = year_dates(inputs.year)
    caseload, los, uncovered = daily_places(modelled, names, dates)
    months = [m.key for m in planning_year_months(inputs.year)]
    demand, hospital_share, missing = monthly_demand(frame, service_id, place_codes, months)
    weights, arrivals_basis = _weekday_weights(records, weekday)
    arrivals, mean_arrivals = spread_over_days(demand, dates, weights)
    cv, cv_basis = _los_spread(records, default_cv)
    notes = [
        f"no caseload in force on {uncovered} days" if uncovered else "",
        f"no demand figure for {missing} months: taken as no arrivals" if missing else "",
        "target occupancy is not applied: in the flow model occupancy is an outcome"
        if modelled["target_occupancy"].notna().any()
        else "",
    ]
    services = inputs.services.set_index("service_id")
    year_inputs = FlowInputs(
        dates=dates,
        arrivals_per_day=arrivals,
        mean_arrivals_per_day=mean_arrivals,
        caseload=caseload,
        mean_los_days=los,
        los_cv=cv,
        waiting_today=0,
        hospital_share=hospital_share,
        label=label or names.get(service_id, service_id),
        place_code=place_code or ",".join(place_codes),
        service_id=service_id,
        service_type=str(services.loc[service_id, "service_type"]),
        contract=str(services.loc[service_id, "contract"]),
        year=inputs.year,
        basis={
            "arrivals": f"the plan's monthly demand ({model.scenario}), {arrivals_basis}",
            "places": "caseload in force each day × place share × contract share, from the "
            "plan's parameters; rounded to whole places",
            "los": "mean length of stay in force each day, from the plan's parameters",
            "los_cv": cv_basis,
            "start": "assumed as full as April's demand keeps it (arrivals a day × mean "
            "stay), at most the places on 1 April",
        },
        notes=tuple(n for n in notes if n),
    )
    return year_inputs.with_changes(in_service_today=default_in_service(year_inputs))
