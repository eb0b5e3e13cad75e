"""What a flow run takes: one service's (or pool's) arrivals, places and stay, day by day.

:class:`FlowInputs` holds one value per day for arrivals, places in force and
mean stay, with the spread of stays and the starting conditions; :func:`check`
refuses unusable inputs naming the field. :func:`adjust` is the Flow page's
what-if (the scenario levers ``caseload_delta`` and ``los_pct`` applied to the
days) and :func:`starting` cuts the run to its start day with the people in
the service and waiting then.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from capacity import levers
from capacity.flow.queueing import MAX_SIZE
from capacity.formulas import (
    InvalidInput,
    check_non_negative,
    check_positive,
    check_share,
)

DEFAULT_LOS_CV = 1.0
LOS_DISTRIBUTIONS = ("gamma", "lognormal")
# The most people in the service or waiting on the first day (unless the service has more
# places), and the most places a what-if may add or take away. Each person is a column of the
# simulation's arrays in every replication, so memory and time grow with them: 100,000 waiting
# took 7.7 GB and 20 s. 5,000 is over 40 times the largest service in the demo data (120 places).
MAX_START_PEOPLE = 5_000
MAX_EXTRA_PLACES = 5_000
# Ten times the default: memory grows with the replications as with the people.
MAX_REPLICATIONS = 10_000


@dataclass(frozen=True)
class PoolMember:
    """One service of a pathway's pool, and its weight in the pool over the planning year.

    ``place_days`` are its places in force summed over the year's days
    (unrounded, before any what-if); ``arrivals`` its expected arrivals over
    the year. They weight the pool's place cost and spread of stays.
    """

    service_id: str
    name: str
    service_type: str
    contract: str
    place_days: float
    arrivals: float
    mean_los_days: float


@dataclass(frozen=True)
class FlowInputs:
    """What the flow model needs for one service at one place, one value per day of ``dates``.

    ``arrivals_per_day`` are expected arrivals (following a weekday pattern if
    one is used); ``mean_arrivals_per_day`` the month's mean per day, which the
    analytical method uses (None: the same as ``arrivals_per_day``).
    ``caseload`` is the places in force (beds, packages), unrounded; the model
    uses whole places. ``los_cv`` is the length of stay's standard deviation ÷
    mean. ``in_service_today`` and ``waiting_today`` are the starting
    conditions on the first day. ``hospital_share`` is the share of arrivals
    that come from hospital (their waits are hospital bed-days). ``basis``
    says where each assumption came from; ``year`` is the planning year.
    ``pathway`` and ``members`` are set for a pathway's services pooled as one
    (:func:`capacity.flow.pathway.pool`); empty for one service.
    """

    dates: np.ndarray
    arrivals_per_day: np.ndarray
    caseload: np.ndarray
    mean_los_days: np.ndarray
    los_cv: float = DEFAULT_LOS_CV
    in_service_today: int = 0
    waiting_today: int = 0
    mean_arrivals_per_day: np.ndarray | None = None
    los_distribution: str = "gamma"
    hospital_share: float = 1.0
    label: str = ""
    place_code: str = ""
    service_id: str = ""
    service_type: str = ""
    contract: str = "block"
    year: int | None = None
    basis: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    pathway: str = ""
    members: tuple[PoolMember, ...] = ()

    @property
    def days(self) -> int:
        """How many days the inputs cover."""
        return len(self.dates)

    @property
    def months(self) -> np.ndarray:
        """Each day's month as 'YYYY-MM'."""
        return np.asarray(self.dates, dtype="datetime64[D]").astype("datetime64[M]").astype(str)

    @property
    def beds(self) -> np.ndarray:
        """Whole places in force each day (the caseload rounded half up)."""
        return whole_places(self.caseload)

    @property
    def monthly_mean_arrivals(self) -> np.ndarray:
        """The arrivals per day the analytical method uses."""
        if self.mean_arrivals_per_day is None:
            return np.asarray(self.arrivals_per_day, dtype=float)
        return np.asarray(self.mean_arrivals_per_day, dtype=float)

    def with_changes(self, **changes: Any) -> FlowInputs:
        """A copy with some fields replaced (inputs are never changed in place)."""
        return replace(self, **changes)


def whole_places(caseload) -> np.ndarray:
    """Caseload rounded half up to whole places (a share of 7.5 beds is 8)."""
    # The small allowance keeps a sum of shares such as 19.999999999 at 20.
    return np.floor(np.asarray(caseload, dtype=float) + 0.5 + 1e-9).astype(np.int64)


def start_limit(caseload) -> int:
    """The most people a run may start with in the service, or waiting: 5,000, or the
    service's most whole places if it has more (so a full service can always start full)."""
    places = whole_places(caseload)
    return max(MAX_START_PEOPLE, int(places.max(initial=0)))


def _whole_count(field_name: str, value: int, limit: int, low: int = 0) -> int:
    rule = f"a whole number from {low:,} to {limit:,}"
    if not isinstance(value, int | np.integer) and not (np.isfinite(value) and int(value) == value):
        raise InvalidInput(field_name, value, rule)
    if not low <= value <= limit:
        raise InvalidInput(field_name, value, rule)
    return int(value)


def check(inputs: FlowInputs) -> FlowInputs:
    """Return the inputs if usable; else raise InvalidInput (a ValueError) naming the field."""
    days = inputs.days
    if days < 1:
        raise InvalidInput("dates", days, "at least one day")
    for name in ("arrivals_per_day", "caseload", "mean_los_days"):
        if np.shape(getattr(inputs, name)) != (days,):
            raise InvalidInput(
                name, np.shape(getattr(inputs, name)), f"one value for each of the {days} days"
            )
    check_non_negative("arrivals_per_day", inputs.arrivals_per_day)
    check_non_negative("caseload", inputs.caseload)
    check_positive("mean_los_days", inputs.mean_los_days)
    check_non_negative("mean_arrivals_per_day", inputs.monthly_mean_arrivals)
    check_non_negative("los_cv", inputs.los_cv)
    _at_most_size("caseload", inputs.caseload, "places")
    _at_most_size(
        "offered_load",
        np.asarray(inputs.arrivals_per_day) * np.asarray(inputs.mean_los_days),
        "people in the service at once (arrivals a day × mean stay)",
    )
    limit = start_limit(inputs.caseload)
    _whole_count("in_service_today", inputs.in_service_today, limit)
    _whole_count("waiting_today", inputs.waiting_today, limit)
    check_share("hospital_share", inputs.hospital_share)
    if inputs.los_distribution not in LOS_DISTRIBUTIONS:
        raise InvalidInput(
            "los_distribution", inputs.los_distribution, "one of " + ", ".join(LOS_DISTRIBUTIONS)
        )
    return inputs


def _at_most_size(field: str, values, what: str) -> None:
    """Refuse a service bigger than the model steps through in reasonable time (a slip of the
    keyboard in a scenario, say), naming the field."""
    largest = float(np.max(values, initial=0.0))
    if largest > MAX_SIZE:
        raise InvalidInput(field, largest, f"at most {MAX_SIZE:,} {what}")


def check_replications(replications: int) -> int:
    """Return ``replications`` if it is a whole number from 1 to ``MAX_REPLICATIONS``, else
    raise naming it."""
    return _whole_count("replications", replications, MAX_REPLICATIONS, low=1)


def check_target(target: float) -> float:
    """Return ``target`` if it is a probability strictly between 0 and 1, else raise naming it."""
    if not 0 < target < 1:  # NaN fails this too
        raise InvalidInput("target", target, "a probability above 0 and below 1")
    return float(target)


def check_settings(replications: int, target: float) -> None:
    """Raise InvalidInput naming ``replications`` (a whole number ≥ 1) or ``target`` (0–1)."""
    check_replications(replications)
    check_target(target)


def default_in_service(inputs: FlowInputs) -> int:
    """People in the service on the first day when not given: as full as that day's demand
    keeps it (the month's arrivals a day × the mean stay, Little's law, to the nearest whole
    person), at most the whole places in force that day."""
    load = float(inputs.monthly_mean_arrivals[0] * inputs.mean_los_days[0])
    return int(min(inputs.beds[0], np.floor(load + 0.5)))


def over_places_at_start(inputs: FlowInputs) -> int:
    """How many of the people in the service on the first day are beyond its places then (0 if
    none). The model keeps them until their stays end and admits nobody until occupancy is
    below the places, as it does when places close during a run."""
    return max(int(inputs.in_service_today) - int(inputs.beds[0]), 0)


def day_text(day: np.datetime64) -> str:
    """A day as people write it: '1 Apr 2025'."""
    return pd.Timestamp(day).strftime("%-d %b %Y")


def starting(
    inputs: FlowInputs, *, start=None, in_service: int | None = None, waiting: int = 0
) -> FlowInputs:
    """The run from ``start`` with its starting conditions: days before it are not simulated.

    ``start`` is a day among the inputs' dates (a date, 'YYYY-MM-DD' or
    datetime64; None: their first day); a day outside them raises InvalidInput
    naming ``start``. ``in_service`` None takes :func:`default_in_service` of
    the inputs from that day, so call this after any what-if (:func:`adjust`):
    the default then respects the places the what-if leaves on the start day.
    """
    dates = np.asarray(inputs.dates, dtype="datetime64[D]")
    first = 0
    if start is not None:
        try:
            day = np.datetime64(start, "D")
        except ValueError:
            day = None
        hits: np.ndarray | list[int] = np.flatnonzero(dates == day) if day is not None else []
        if not len(hits):
            raise InvalidInput(
                "start", str(start), f"a day from {day_text(dates[0])} to {day_text(dates[-1])}"
            )
        first = int(hits[0])

    def cut(values):
        return None if values is None else np.asarray(values)[first:]

    later = inputs.with_changes(
        dates=dates[first:],
        arrivals_per_day=cut(inputs.arrivals_per_day),
        caseload=cut(inputs.caseload),
        mean_los_days=cut(inputs.mean_los_days),
        mean_arrivals_per_day=cut(inputs.mean_arrivals_per_day),
    )
    basis = dict(inputs.basis)
    if in_service is None:
        in_service = default_in_service(later)
        basis["start"] = (
            "assumed as full as the start day's demand keeps it (arrivals a "
            "day × mean stay), at most the places in force that day after any "
            "what-if"
        )
    else:
        basis["start"] = "as given"
    return later.with_changes(in_service_today=in_service, waiting_today=waiting, basis=basis)


def adjust(
    inputs: FlowInputs,
    *,
    extra_places: float = 0.0,
    los_pct: float = 0.0,
    first_month: str | None = None,
    last_month: str | None = None,
) -> FlowInputs:
    """What-if: places added (or removed) and the stay changed by a percentage, for some months.

    These are the scenario levers ``caseload_delta`` and ``los_pct`` applied to
    the service's days by :func:`capacity.levers.move`, as a scenario applies
    them to its segments (a property test checks the two agree).

    ``first_month``/``last_month`` ('YYYY-MM', inclusive) limit the change;
    None means from the first or to the last day. ``extra_places`` must be
    finite and at most ``MAX_EXTRA_PLACES`` either way, ``los_pct`` finite. A
    change that would leave negative places or a stay of zero raises
    InvalidInput naming the field.
    """
    if not (np.isfinite(extra_places) and abs(extra_places) <= MAX_EXTRA_PLACES):
        raise InvalidInput(
            "extra_places",
            extra_places,
            f"a number from −{MAX_EXTRA_PLACES:,} to {MAX_EXTRA_PLACES:,}",
        )
    if not np.isfinite(los_pct):
        raise InvalidInput("los_pct", los_pct, "a finite number")
    months = inputs.months
    inside = np.ones(inputs.days, dtype=bool)
    if first_month:
        inside &= months >= first_month
    if last_month:
        inside &= months <= last_month
    # The same levers as a scenario's "caseload +n" and "length of stay ±%", by the same code.
    caseload = levers.move("caseload_delta", extra_places, inputs.caseload, inside)
    los = levers.move("los_pct", los_pct, inputs.mean_los_days, inside)
    check_non_negative("caseload", caseload)
    check_positive("mean_los_days", los)
    return inputs.with_changes(caseload=caseload, mean_los_days=los)
