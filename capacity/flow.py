"""Flow: occupancy, queues, waits and the capacity actually needed, day by day.

The monthly formula says how many new people a service can take; this module
says what happens to the people it cannot take at once. For one service at one
place (or a system, its places pooled; or a discharge pathway, its services
pooled by :mod:`capacity.flow_pathway`) over a run of days it gives, per day and
per month, the expected occupancy, the number waiting (for a bed: people
delayed in hospital), the mean wait of an arrival, the chance an arrival
waits and the bed-days of delay, with 5th–95th percentile bands; and the
places that would keep the chance of waiting under a target.

Two methods, side by side:

- **Analytical**, for each day on its own as if that day's arrivals, places
  and stay lasted for ever (steady state): Poisson occupancy with unlimited
  places, Erlang C for the chance of waiting and the Lee–Longton mean wait
  (:mod:`capacity.queueing`). Exact for steady state with exponential stays;
  silent about queues that are already there or that grow when demand exceeds
  capacity.
- **Simulated**, day by day from today's starting conditions, for many
  replications at once (numpy arrays of days × replications): arrivals are
  Poisson each day; each person's stay is drawn from a gamma (or lognormal)
  distribution with the mean and spread given, and rounded to whole nights
  without bias; people are admitted first come, first served as places free.
  A day runs: discharges at its start, then the day's arrivals join the queue,
  then the queue is admitted into free places. Occupancy and the queue are
  counted at the end of the day, so one day in the queue is one bed-day of
  delay. A stay of no nights (a same-day discharge, as the records count a
  stay that ends the day it starts) holds no place overnight and frees its
  place for the next in the queue that day, so the mean stay simulated is the
  mean stay given and mean occupancy is arrivals × stay, as in the formulas.

Each person's stay is drawn once, in arrival order, and kept whatever the
number of places: with the same seed, more places never make anyone wait
longer (for a stay that does not change over time), so a slider that adds beds
moves the answer one way only. Reproducible from ``seed``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from capacity import levers, queueing
from capacity.formulas import (
    InvalidInput,
    check_non_negative,
    check_positive,
    check_share,
)
from capacity.queueing import MAX_SIZE

DEFAULT_REPLICATIONS = 1000
DEFAULT_SEED = 20250401
DEFAULT_TARGET = 0.05
DEFAULT_LOS_CV = 1.0
OCCUPANCY_QUANTILE = 0.95
RUNOUT_DAYS = 365
BAND = (5.0, 95.0)
WINTER_MONTHS = ("11", "12", "01", "02", "03")
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
    (:func:`capacity.flow_inputs.pool`); empty for one service.
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

    def with_changes(self, **changes: object) -> FlowInputs:
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
    if not isinstance(value, int | np.integer) and not (
            np.isfinite(value) and int(value) == value):
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
            raise InvalidInput(name, np.shape(getattr(inputs, name)), f"one value for each of "
                               f"the {days} days")
    check_non_negative("arrivals_per_day", inputs.arrivals_per_day)
    check_non_negative("caseload", inputs.caseload)
    check_positive("mean_los_days", inputs.mean_los_days)
    check_non_negative("mean_arrivals_per_day", inputs.monthly_mean_arrivals)
    check_non_negative("los_cv", inputs.los_cv)
    _at_most_size("caseload", inputs.caseload, "places")
    _at_most_size("offered_load",
                  np.asarray(inputs.arrivals_per_day) * np.asarray(inputs.mean_los_days),
                  "people in the service at once (arrivals a day × mean stay)")
    limit = start_limit(inputs.caseload)
    _whole_count("in_service_today", inputs.in_service_today, limit)
    _whole_count("waiting_today", inputs.waiting_today, limit)
    check_share("hospital_share", inputs.hospital_share)
    if inputs.los_distribution not in LOS_DISTRIBUTIONS:
        raise InvalidInput("los_distribution", inputs.los_distribution,
                           "one of " + ", ".join(LOS_DISTRIBUTIONS))
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


def _day_text(day: np.datetime64) -> str:
    return pd.Timestamp(day).strftime("%-d %b %Y")


def starting(inputs: FlowInputs, *, start=None, in_service: int | None = None,
             waiting: int = 0) -> FlowInputs:
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
        hits = np.flatnonzero(dates == day) if day is not None else []
        if not len(hits):
            raise InvalidInput("start", str(start), f"a day from {_day_text(dates[0])} to "
                               f"{_day_text(dates[-1])}")
        first = int(hits[0])

    def cut(values):
        return None if values is None else np.asarray(values)[first:]

    later = inputs.with_changes(
        dates=dates[first:], arrivals_per_day=cut(inputs.arrivals_per_day),
        caseload=cut(inputs.caseload), mean_los_days=cut(inputs.mean_los_days),
        mean_arrivals_per_day=cut(inputs.mean_arrivals_per_day))
    basis = dict(inputs.basis)
    if in_service is None:
        in_service = default_in_service(later)
        basis["start"] = ("assumed as full as the start day's demand keeps it (arrivals a "
                          "day × mean stay), at most the places in force that day after any "
                          "what-if")
    else:
        basis["start"] = "as given"
    return later.with_changes(in_service_today=in_service, waiting_today=waiting, basis=basis)


def adjust(inputs: FlowInputs, *, extra_places: float = 0.0, los_pct: float = 0.0,
           first_month: str | None = None, last_month: str | None = None) -> FlowInputs:
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
        raise InvalidInput("extra_places", extra_places,
                           f"a number from −{MAX_EXTRA_PLACES:,} to {MAX_EXTRA_PLACES:,}")
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


# -- the simulation ------------------------------------------------------------


@dataclass(frozen=True)
class Simulation:
    """Simulated days (rows) × replications (columns), for the days of the inputs.

    ``wait_days`` is the total days waited by each day's arrivals and
    ``waited`` how many of them waited at least one day; ``first_queue_admitted``
    the day (index) by which everyone waiting on the first day was admitted
    (the last day run, if they were not all admitted); ``still_waiting`` those
    not admitted when the run-out ended, and ``unfinished`` the same people by
    the day they arrived (row 0 for those waiting on the first day, row d + 1
    for arrivals on day d): their waits are counted only up to that end.
    """

    occupancy: np.ndarray
    waiting: np.ndarray
    arrivals: np.ndarray
    admissions: np.ndarray
    wait_days: np.ndarray
    waited: np.ndarray
    first_queue_wait_days: np.ndarray
    first_queue_admitted: np.ndarray
    still_waiting: np.ndarray
    seed: int | None
    unfinished: np.ndarray
    runout_days: int

    @property
    def arrivals_unfinished(self) -> np.ndarray:
        """Each day's arrivals still waiting when the run-out ended (days × replications)."""
        return self.unfinished[1:]

    @property
    def first_queue_unfinished(self) -> np.ndarray:
        """People waiting on the first day who were still waiting when the run-out ended."""
        return self.unfinished[0]


def _standard_stays(rng: np.random.Generator, shape: tuple[int, ...], cv: float,
                    distribution: str) -> np.ndarray:
    """Stays with mean 1 and the given coefficient of variation (× the mean LoS gives days)."""
    if cv == 0:
        return np.ones(shape)
    if distribution == "gamma":
        k = 1 / cv**2
        return rng.gamma(k, 1 / k, size=shape)
    sigma2 = np.log1p(cv**2)
    return rng.lognormal(-sigma2 / 2, np.sqrt(sigma2), size=shape)


def _remaining_days(rng: np.random.Generator, shape: tuple[int, ...], mean_los: float,
                    cv: float, distribution: str) -> np.ndarray:
    """Whole days left for people already in the service: a uniform share of a length-biased stay.

    Someone found in the service has, on average, a longer stay than an
    arrival (long stays are more likely to be caught); a gamma stay length-biased
    is gamma with shape + 1, a lognormal one is lognormal with μ + σ².
    """
    if cv == 0:
        total = np.full(shape, mean_los)
    elif distribution == "gamma":
        k = 1 / cv**2
        total = rng.gamma(k + 1, mean_los / k, size=shape)
    else:
        sigma2 = np.log1p(cv**2)
        mu = np.log(mean_los) - sigma2 / 2
        total = rng.lognormal(mu + sigma2, np.sqrt(sigma2), size=shape)
    return np.floor(rng.random(shape) * total + rng.random(shape)).astype(np.int64)


def _extend(values: np.ndarray, extra: int) -> np.ndarray:
    return np.concatenate([values, np.repeat(values[-1:], extra)])


def simulate(inputs: FlowInputs, replications: int = DEFAULT_REPLICATIONS,
             seed: int | None = DEFAULT_SEED, runout_days: int = RUNOUT_DAYS) -> Simulation:
    """Run the day-by-day model for ``replications`` at once (see the module notes).

    After the last day, the places and stay of that day carry on for up to
    ``runout_days`` (no new arrivals) so that the waits of people still queuing
    at the end are counted to their admission. Anyone still waiting when the
    run-out ends (no places, or a queue the places cannot clear) has their wait
    counted only to then, and is counted in ``unfinished``, so that reports can
    say the wait is longer than shown.
    """
    check(inputs)
    reps = check_replications(replications)
    rng = np.random.default_rng(seed)
    days = inputs.days
    horizon = days + int(runout_days)
    arrivals = rng.poisson(np.asarray(inputs.arrivals_per_day, float)[:, None], (days, reps))
    cv, dist = float(inputs.los_cv), inputs.los_distribution
    los = _extend(np.asarray(inputs.mean_los_days, float), runout_days)
    departures = np.zeros((horizon + 1, reps), dtype=np.int64)
    if inputs.in_service_today:
        left = _remaining_days(rng, (reps, inputs.in_service_today), los[0], cv, dist)
        np.add.at(departures, (np.minimum(left, horizon), np.arange(reps)[:, None]), 1)
    queue = _Queue.draw(rng, inputs.waiting_today, arrivals, cv, dist)
    history = _run_days(inputs, arrivals, _extend(inputs.beds, runout_days), los, queue,
                        departures)
    return _account(inputs, arrivals, *history, seed=seed, runout_days=int(runout_days))


@dataclass(frozen=True)
class _Queue:
    """Everyone who will join the queue, in order, for every replication at once.

    Row ``r`` of ``arrival_row`` lists replication r's people first come first
    served: 0 for those already waiting on the first day, d + 1 for an arrival on
    day d (padded with −1 at the end). Each person's stay (mean 1) and rounding
    draw sit at the same place in ``stays`` and ``rounding``.
    """

    arrival_row: np.ndarray
    stays: np.ndarray
    rounding: np.ndarray

    @classmethod
    def draw(cls, rng: np.random.Generator, waiting_today: int, arrivals: np.ndarray,
             cv: float, distribution: str) -> _Queue:
        """The queue order for a starting queue and days × replications of arrivals, with
        each person's stay drawn once."""
        days, reps = arrivals.shape
        counts = np.vstack([np.full((1, reps), waiting_today), arrivals]).T  # reps × (days + 1)
        people = counts.sum(axis=1)
        width = max(int(people.max(initial=0)), 1)
        rows = np.repeat(np.tile(np.arange(days + 1), reps), counts.ravel())
        first = np.cumsum(people) - people
        where = np.repeat(np.arange(reps) * width - first, people) + np.arange(people.sum())
        arrival_row = np.full(reps * width, -1, dtype=np.int32)
        arrival_row[where] = rows
        # Single precision halves the memory of large services; a stay to 7 digits is plenty.
        stays = _standard_stays(rng, (reps, width), cv, distribution).astype(np.float32)
        rounding = rng.random((reps, width), dtype=np.float32)
        return cls(arrival_row.reshape(reps, width), stays, rounding)


def _run_days(inputs: FlowInputs, arrivals: np.ndarray, beds: np.ndarray, los: np.ndarray,
              queue_order: _Queue, departures: np.ndarray) -> tuple[np.ndarray, ...]:
    """The day loop: discharge, arrive, admit first come first served; returns the history.

    Each admitted person's wait (admission day − arrival day) is added to the
    row of their arrival day, so waits are counted exactly, person by person.
    A stay that rounds to no nights is a same-day discharge: the person holds
    no place overnight and their place takes the next in the queue that day.
    """
    days, reps = arrivals.shape
    horizon = len(beds)
    columns = np.arange(reps)
    width = queue_order.arrival_row.shape[1]
    arrival_row = queue_order.arrival_row.ravel().astype(np.int64)
    stays, rounding = queue_order.stays.ravel(), queue_order.rounding.ravel()
    booked = departures.ravel()
    occupied = np.full(reps, inputs.in_service_today, dtype=np.int64)
    queue = np.full(reps, inputs.waiting_today, dtype=np.int64)
    following = columns * width  # each replication's next person in the queue
    waits = np.zeros((days + 1) * reps, dtype=np.int64)
    occupancy, waiting, admissions = (np.zeros((horizon, reps), dtype=np.int32)
                                      for _ in range(3))
    used = horizon
    for day in range(horizon):
        occupied -= departures[day]
        if day < days:
            queue += arrivals[day]
        admitted = np.zeros(reps, dtype=np.int64)
        while True:  # again while same-day discharges free places for the queue
            admit = np.minimum(queue, np.maximum(beds[day] - occupied, 0))
            count = int(admit.sum())
            if not count:
                break
            who = np.repeat(columns, admit)
            person = np.repeat(following - (np.cumsum(admit) - admit), admit) + np.arange(count)
            stay = np.floor(los[day] * stays[person] + rounding[person]).astype(np.int64)
            overnight = stay > 0
            leave = np.minimum(day + stay[overnight], horizon)
            np.add.at(booked, leave * reps + who[overnight], 1)
            row = arrival_row[person]
            np.add.at(waits, row * reps + who, day - np.maximum(row - 1, 0))
            queue -= admit
            occupied += admit - np.bincount(who[~overnight], minlength=reps)
            following += admit
            admitted += admit
            if overnight.all():
                break
        occupancy[day], waiting[day], admissions[day] = occupied, queue, admitted
        if day >= days - 1 and not queue.any():
            used = day + 1
            break
    unfinished = _count_unfinished_waits(waits, arrival_row, following, queue, used, reps,
                                         days)
    return (occupancy[:used], waiting[:used], admissions[:used], waits.reshape(days + 1, reps),
            unfinished)


def _count_unfinished_waits(waits: np.ndarray, arrival_row: np.ndarray, following: np.ndarray,
                            queue: np.ndarray, end: int, reps: int, days: int) -> np.ndarray:
    """People still waiting when the run-out ends: count their wait up to that day.

    Returns how many of them arrived on each day (rows as in ``waits``) in each
    replication: their waits are cut off, not counted in full.
    """
    unfinished = np.zeros((days + 1) * reps, dtype=np.int64)
    count = int(queue.sum())
    if not count:
        return unfinished.reshape(days + 1, reps)
    who = np.repeat(np.arange(reps), queue)
    person = np.repeat(following - (np.cumsum(queue) - queue), queue) + np.arange(count)
    row = arrival_row[person]
    np.add.at(waits, row * reps + who, end - np.maximum(row - 1, 0))
    np.add.at(unfinished, row * reps + who, 1)
    return unfinished.reshape(days + 1, reps)


def _account(inputs: FlowInputs, arrivals: np.ndarray, occupancy: np.ndarray,
             waiting: np.ndarray, admissions: np.ndarray, waits: np.ndarray,
             unfinished: np.ndarray, seed: int | None, runout_days: int) -> Simulation:
    """Turn the day-by-day history into each day's arrivals' waits, first come first served."""
    days = inputs.days
    start = inputs.waiting_today
    admitted_by = np.cumsum(admissions, axis=0, dtype=np.int64)
    before = start + np.cumsum(arrivals, axis=0) - arrivals  # people queued ahead of each day
    same_day = np.clip(admitted_by[:days] - before, 0, arrivals)
    cleared = np.argmax(admitted_by >= start, axis=0)
    cleared = np.where(admitted_by[-1] >= start, cleared, len(admitted_by))
    return Simulation(
        occupancy=occupancy[:days], waiting=waiting[:days], arrivals=arrivals,
        admissions=admissions[:days], wait_days=waits[1:], waited=arrivals - same_day,
        first_queue_wait_days=waits[0], first_queue_admitted=cleared,
        still_waiting=waiting[-1], seed=seed, unfinished=unfinished, runout_days=runout_days)


# -- the analytical method -----------------------------------------------------


def analytical(inputs: FlowInputs, target: float = DEFAULT_TARGET) -> pd.DataFrame:
    """Each day in steady state: offered load, Erlang C, mean wait, places needed, Poisson 95th.

    Columns: offered_load (arrivals a day × mean stay), p_wait_erlang_c,
    wait_days_steady (Lee–Longton, infinite when demand exceeds places),
    queue_growth_per_day (arrivals beyond what the places can discharge),
    beds_needed (fewest whole places with Erlang C ≤ ``target``) and
    unrestricted_p95 (the occupancy 95% of days stay under with no limit).
    """
    check(inputs)
    check_target(target)
    arrivals = inputs.monthly_mean_arrivals
    los = np.asarray(inputs.mean_los_days, float)
    beds = inputs.beds
    load = arrivals * los
    # Days share a handful of distinct (places, load, stay) triples: compute each once.
    keys, index = np.unique(np.column_stack([beds, load, los]), axis=0, return_inverse=True)
    index = index.ravel()
    k_beds, k_load, k_los = keys[:, 0], keys[:, 1], keys[:, 2]
    chance = queueing.erlang_c(k_beds, k_load)
    wait = queueing.mgc_mean_wait_days(k_beds, k_load, k_los, inputs.los_cv)
    needed = queueing.servers_for_wait_probability(k_load, target)
    unrestricted = queueing.poisson_quantile(k_load, OCCUPANCY_QUANTILE)
    return pd.DataFrame({
        "offered_load": load,
        "p_wait_erlang_c": np.asarray(chance)[index],
        "wait_days_steady": np.asarray(wait)[index],
        "queue_growth_per_day": np.maximum(arrivals - beds / los, 0.0),
        "beds_needed": np.asarray(needed)[index],
        "unrestricted_p95": np.asarray(unrestricted)[index],
    })


# -- results -------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodSummary:
    """Headline figures for a run of months (the winter, or the whole year)."""

    label: str
    days: int
    arrivals: float
    beds_min: int
    beds_max: int
    occupancy_mean: float
    waiting_mean: float
    waiting_p05: float
    waiting_p95: float
    wait_days_mean: float
    wait_days_p05: float
    wait_days_p95: float
    p_wait: float
    p_wait_erlang_c: float
    delay_bed_days: float
    delay_bed_days_p05: float
    delay_bed_days_p95: float
    hospital_delay_bed_days: float
    beds_needed: int
    unrestricted_p95: int
    place_days: float
    occupied_place_days: float
    still_waiting_at_end: float

    @property
    def waits_cut_off(self) -> bool:
        """Whether some of the period's arrivals were still waiting when the run stopped.

        If so their waits are counted only to then, and the mean wait is a
        lower bound: the true wait is longer.
        """
        return self.still_waiting_at_end > 0


@dataclass(frozen=True)
class FlowResult:
    """A flow run: the inputs, day and month frames, and headline figures.

    ``first_queue_admitted_p50``/``_p95``: the day (index) by which everyone
    waiting on the first day was admitted, in half and in 95% of runs
    (infinite when, in more runs than that, some were still waiting when the
    run stopped ``runout_days`` after the last day). ``first_queue_still_waiting_mean``:
    how many of them were still waiting then, on average; ``first_queue_unfinished_share``
    the share of runs in which any were.
    """

    inputs: FlowInputs
    daily: pd.DataFrame
    monthly: pd.DataFrame
    winter: PeriodSummary
    year: PeriodSummary
    target: float
    replications: int
    seed: int | None
    first_queue_admitted_p50: float
    first_queue_admitted_p95: float
    still_waiting_mean: float
    runout_days: int
    first_queue_still_waiting_mean: float
    first_queue_unfinished_share: float


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1),
                        np.nan)


def _band(values: np.ndarray, axis: int = 1) -> tuple[np.ndarray, np.ndarray]:
    if np.isnan(values).any():
        # A period with no arrivals in any run has no wait: its band is missing, not zero.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            low, high = np.nanpercentile(values, BAND, axis=axis)
    else:
        low, high = np.percentile(values, BAND, axis=axis)
    return low, high


def daily_frame(inputs: FlowInputs, sim: Simulation, steady: pd.DataFrame) -> pd.DataFrame:
    """One row per day: expected occupancy and queue with bands, waits, and the steady state."""
    occupancy_low, occupancy_high = _band(sim.occupancy)
    waiting_low, waiting_high = _band(sim.waiting)
    frame = pd.DataFrame({
        "date": np.asarray(inputs.dates, dtype="datetime64[D]"),
        "month": inputs.months,
        "arrivals_expected": np.asarray(inputs.arrivals_per_day, float),
        "caseload": np.asarray(inputs.caseload, float),
        "beds": inputs.beds,
        "mean_los_days": np.asarray(inputs.mean_los_days, float),
        "occupancy_mean": sim.occupancy.mean(axis=1),
        "occupancy_p05": occupancy_low,
        "occupancy_p95": occupancy_high,
        "waiting_mean": sim.waiting.mean(axis=1),
        "waiting_p05": waiting_low,
        "waiting_p95": waiting_high,
        "wait_days_mean": _ratio(sim.wait_days.sum(axis=1), sim.arrivals.sum(axis=1)),
        "still_waiting_at_end": sim.arrivals_unfinished.mean(axis=1),
        "p_wait": _ratio(sim.waited.sum(axis=1), sim.arrivals.sum(axis=1)),
    })
    return pd.concat([frame, steady], axis=1)


def _month_sums(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    return np.add.reduceat(values, starts, axis=0)


def monthly_frame(inputs: FlowInputs, sim: Simulation, daily: pd.DataFrame) -> pd.DataFrame:
    """One row per month: means and 5th–95th bands across replications, and the steady state."""
    months = inputs.months
    starts = np.flatnonzero(np.r_[True, months[1:] != months[:-1]])
    days = np.diff(np.r_[starts, inputs.days])
    occupancy = _month_sums(sim.occupancy, starts) / days[:, None]
    waiting = _month_sums(sim.waiting, starts)
    arrivals = _month_sums(sim.arrivals, starts)
    waits = _month_sums(sim.wait_days, starts)
    waited = _month_sums(sim.waited, starts)
    per_rep_wait = _ratio(waits, arrivals)
    first_days = np.asarray(inputs.dates, dtype="datetime64[D]")[starts].astype(str)
    columns = {
        "month": months[starts], "first_day": first_days, "days": days,
        "arrivals": _month_sums(np.asarray(inputs.arrivals_per_day, float), starts),
        "beds_min": np.minimum.reduceat(inputs.beds, starts),
        "beds_max": np.maximum.reduceat(inputs.beds, starts),
        "beds_mean": _month_sums(inputs.beds.astype(float), starts) / days,
        "mean_los_days": _month_sums(np.asarray(inputs.mean_los_days, float), starts) / days,
    }
    for name, values in (("occupancy", occupancy), ("waiting", waiting / days[:, None]),
                         ("delay_bed_days", waiting)):
        low, high = _band(values.astype(float))
        columns |= {f"{name}_mean": values.mean(axis=1), f"{name}_p05": low,
                    f"{name}_p95": high}
    low, high = _band(per_rep_wait)
    columns |= {"wait_days_mean": _ratio(waits.sum(axis=1), arrivals.sum(axis=1)),
                "wait_days_p05": low, "wait_days_p95": high,
                "still_waiting_at_end": _month_sums(sim.arrivals_unfinished, starts)
                .mean(axis=1),
                "p_wait": _ratio(waited.sum(axis=1), arrivals.sum(axis=1))}
    columns["hospital_delay_bed_days"] = columns["delay_bed_days_mean"] * inputs.hospital_share
    steady = daily.groupby("month", sort=False)
    columns |= {
        "offered_load": steady["offered_load"].mean().to_numpy(),
        "p_wait_erlang_c": steady["p_wait_erlang_c"].mean().to_numpy(),
        "wait_days_steady": steady["wait_days_steady"].mean().to_numpy(),
        "queue_growth_per_day": steady["queue_growth_per_day"].mean().to_numpy(),
        "beds_needed": steady["beds_needed"].max().to_numpy(),
        "unrestricted_p95": steady["unrestricted_p95"].max().to_numpy(),
    }
    return pd.DataFrame(columns)


def summarise(inputs: FlowInputs, sim: Simulation, daily: pd.DataFrame, mask: np.ndarray,
              label: str) -> PeriodSummary:
    """Headline figures over the days in ``mask`` (waits are those of arrivals on those days)."""
    if not mask.any():
        mask = np.ones(inputs.days, dtype=bool)
    arrivals = sim.arrivals[mask].sum(axis=0)
    waiting = sim.waiting[mask].sum(axis=0).astype(float)
    wait_per_rep = _ratio(sim.wait_days[mask].sum(axis=0), arrivals)
    days = int(mask.sum())
    wait_low, wait_high = _band(wait_per_rep[None, :])
    delay_low, delay_high = _band(waiting[None, :])
    rows = daily[mask]
    return PeriodSummary(
        label=label, days=days, arrivals=float(rows["arrivals_expected"].sum()),
        beds_min=int(rows["beds"].min()), beds_max=int(rows["beds"].max()),
        occupancy_mean=float(rows["occupancy_mean"].mean()),
        waiting_mean=float(waiting.mean() / days), waiting_p05=float(delay_low[0] / days),
        waiting_p95=float(delay_high[0] / days),
        wait_days_mean=float(_ratio(sim.wait_days[mask].sum(), arrivals.sum())),
        wait_days_p05=float(wait_low[0]), wait_days_p95=float(wait_high[0]),
        p_wait=float(_ratio(sim.waited[mask].sum(), arrivals.sum())),
        p_wait_erlang_c=float(rows["p_wait_erlang_c"].mean()),
        delay_bed_days=float(waiting.mean()), delay_bed_days_p05=float(delay_low[0]),
        delay_bed_days_p95=float(delay_high[0]),
        hospital_delay_bed_days=float(waiting.mean() * inputs.hospital_share),
        beds_needed=int(rows["beds_needed"].max()),
        unrestricted_p95=int(rows["unrestricted_p95"].max()),
        place_days=float(rows["beds"].sum()),
        occupied_place_days=float(rows["occupancy_mean"].sum()),
        still_waiting_at_end=float(sim.arrivals_unfinished[mask].sum(axis=0).mean()),
    )


def winter_mask(inputs: FlowInputs) -> np.ndarray:
    """Days from November to March."""
    return np.isin([month[5:] for month in inputs.months], WINTER_MONTHS)


def period_labels(inputs: FlowInputs) -> tuple[str, str]:
    """Names of the winter and the whole run, saying where a run that starts late begins.

    From 1 April: 'winter (November to March)' and 'the year'; from 24 November
    2026: 'the rest of winter, from 24 Nov 2026' and 'the rest of the year,
    from 24 Nov 2026'.
    """
    dates = np.asarray(inputs.dates, dtype="datetime64[D]")
    first = dates[0]
    winter = "winter (November to March)"
    whole_year = str(first)[5:] == "04-01"
    if not whole_year and winter_mask(inputs)[0] and str(first)[5:] != "11-01":
        winter = f"the rest of winter, from {_day_text(first)}"
    year = "the year" if whole_year else f"the rest of the year, from {_day_text(first)}"
    return winter, year


def run(inputs: FlowInputs, *, replications: int = DEFAULT_REPLICATIONS,
        seed: int | None = DEFAULT_SEED, target: float = DEFAULT_TARGET,
        runout_days: int = RUNOUT_DAYS) -> FlowResult:
    """Simulate and solve one flow: day and month frames, winter and year headlines."""
    check_settings(replications, target)
    sim = simulate(inputs, replications, seed, runout_days)
    daily = daily_frame(inputs, sim, analytical(inputs, target))
    monthly = monthly_frame(inputs, sim, daily)
    # A run in which some of the first day's queue was never admitted has no day it cleared.
    cleared = np.where(sim.first_queue_unfinished > 0, np.inf,
                       sim.first_queue_admitted.astype(float))
    winter_label, year_label = period_labels(inputs)
    return FlowResult(
        inputs=inputs, daily=daily, monthly=monthly,
        winter=summarise(inputs, sim, daily, winter_mask(inputs), winter_label),
        year=summarise(inputs, sim, daily, np.ones(inputs.days, dtype=bool), year_label),
        target=target, replications=int(replications), seed=seed,
        first_queue_admitted_p50=float(np.percentile(cleared, 50, method="inverted_cdf")),
        first_queue_admitted_p95=float(np.percentile(cleared, 95, method="inverted_cdf")),
        still_waiting_mean=float(sim.still_waiting.mean()),
        runout_days=sim.runout_days,
        first_queue_still_waiting_mean=float(sim.first_queue_unfinished.mean()),
        first_queue_unfinished_share=float((sim.first_queue_unfinished > 0).mean()),
    )
