"""The simulation: day by day from the starting conditions, many replications at once.

Arrays are days × replications. Arrivals are Poisson each day; each person's
stay is drawn from a gamma (or lognormal) distribution with the mean and
spread given, and rounded to whole nights without bias; people are admitted
first come, first served as places free. A day runs: discharges at its
start, then the day's arrivals join the queue, then the queue is admitted
into free places. Occupancy and the queue are counted at the end of the day,
so one day in the queue is one bed-day of delay. A stay of no nights (a
same-day discharge) holds no place overnight and frees its place for the next
in the queue that day, so the mean stay simulated is the mean stay given.

Each person's stay is drawn once, in arrival order, and kept whatever the
number of places: with the same seed, more places never make anyone wait
longer (for a stay that does not change over time). Reproducible from ``seed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from capacity.flow.inputs import FlowInputs, check, check_replications

DEFAULT_REPLICATIONS = 1000
DEFAULT_SEED = 20250401
RUNOUT_DAYS = 365


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


def _standard_stays(
    rng: np.random.Generator, shape: tuple[int, ...], cv: float, distribution: str
) -> np.ndarray:
    """Stays with mean 1 and the given coefficient of variation (× the mean LoS gives days)."""
    if cv == 0:
        return np.ones(shape)
    if distribution == "gamma":
        k = 1 / cv**2
        return rng.gamma(k, 1 / k, size=shape)
    sigma2 = np.log1p(cv**2)
    return rng.lognormal(-sigma2 / 2, np.sqrt(sigma2), size=shape)


def _remaining_days(
    rng: np.random.Generator, shape: tuple[int, ...], mean_los: float, cv: float, distribution: str
) -> np.ndarray:
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


def simulate(
    inputs: FlowInputs,
    replications: int = DEFAULT_REPLICATIONS,
    seed: int | None = DEFAULT_SEED,
    runout_days: int = RUNOUT_DAYS,
) -> Simulation:
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
    history = _run_days(inputs, arrivals, _extend(inputs.beds, runout_days), los, queue, departures)
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
    def draw(
        cls,
        rng: np.random.Generator,
        waiting_today: int,
        arrivals: np.ndarray,
        cv: float,
        distribution: str,
    ) -> _Queue:
        """The queue order for a starting queue and days × replications of arrivals, with
        each person's stay drawn once."""
        days, reps = arrivals.shape
        counts = np.vstack([np.full((1, reps), waiting_today), arrivals]).T  # reps × (days + 1)
        people = counts.sum(axis=1)
        width = max(int(people.max(initial=0)), 1)
        arrival_row = _arrival_rows(counts, people, width)
        # Single precision halves the memory of large services; a stay to 7 digits is plenty.
        stays = _standard_stays(rng, (reps, width), cv, distribution).astype(np.float32)
        rounding = rng.random((reps, width), dtype=np.float32)
        return cls(arrival_row, stays, rounding)


def _arrival_rows(counts: np.ndarray, people: np.ndarray, width: int) -> np.ndarray:
    """Each person's arrival row (0 waiting at the start, d + 1 arrived on day d), queue order.

    A person's row is how many of the rows 1, 2, … begin at or before their place in
    the queue, so a running count of where rows begin gives it without building an
    index per person (which, at 2,000 places, cost as much as drawing the stays).
    Places past a replication's last person hold −1.
    """
    reps = counts.shape[0]
    # Row d begins after the people of rows 0 … d − 1; a row may begin at ``width``
    # itself (no one after it), hence the extra column, dropped after counting.
    begins = np.cumsum(counts[:, :-1], axis=1)
    where = (np.arange(reps)[:, None] * (width + 1) + begins).ravel()
    marks = np.bincount(where, minlength=reps * (width + 1)).astype(np.int32)
    rows = np.cumsum(marks.reshape(reps, width + 1), axis=1, dtype=np.int32)[:, :width]
    rows[np.arange(width)[None, :] >= people[:, None]] = -1
    return rows


class _History(NamedTuple):
    """What the day loop records, in the order :func:`_account` takes it after the arrivals."""

    occupancy: np.ndarray
    waiting: np.ndarray
    admissions: np.ndarray
    waits: np.ndarray
    unfinished: np.ndarray


def _run_days(
    inputs: FlowInputs,
    arrivals: np.ndarray,
    beds: np.ndarray,
    los: np.ndarray,
    queue_order: _Queue,
    departures: np.ndarray,
) -> _History:
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
    # Kept in 32 bits: widening everyone's row at once costs more than widening those admitted.
    arrival_row = queue_order.arrival_row.ravel()
    stays, rounding = queue_order.stays.ravel(), queue_order.rounding.ravel()
    booked = departures.ravel()
    occupied = np.full(reps, inputs.in_service_today, dtype=np.int64)
    queue = np.full(reps, inputs.waiting_today, dtype=np.int64)
    following = columns * width  # each replication's next person in the queue
    waits = np.zeros((days + 1) * reps, dtype=np.int64)
    occupancy, waiting, admissions = (np.zeros((horizon, reps), dtype=np.int32) for _ in range(3))
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
            row = arrival_row[person].astype(np.int64)
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
    unfinished = _count_unfinished_waits(waits, arrival_row, following, queue, used, reps, days)
    return _History(
        occupancy[:used],
        waiting[:used],
        admissions[:used],
        waits.reshape(days + 1, reps),
        unfinished,
    )


def _count_unfinished_waits(
    waits: np.ndarray,
    arrival_row: np.ndarray,
    following: np.ndarray,
    queue: np.ndarray,
    end: int,
    reps: int,
    days: int,
) -> np.ndarray:
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
    row = arrival_row[person].astype(np.int64)
    np.add.at(waits, row * reps + who, end - np.maximum(row - 1, 0))
    np.add.at(unfinished, row * reps + who, 1)
    return unfinished.reshape(days + 1, reps)


def _account(
    inputs: FlowInputs,
    arrivals: np.ndarray,
    occupancy: np.ndarray,
    waiting: np.ndarray,
    admissions: np.ndarray,
    waits: np.ndarray,
    unfinished: np.ndarray,
    seed: int | None,
    runout_days: int,
) -> Simulation:
    """Turn the day-by-day history into each day's arrivals' waits, first come first served."""
    days = inputs.days
    start = inputs.waiting_today
    admitted_by = np.cumsum(admissions, axis=0, dtype=np.int64)
    before = start + np.cumsum(arrivals, axis=0) - arrivals  # people queued ahead of each day
    same_day = np.clip(admitted_by[:days] - before, 0, arrivals)
    cleared = np.argmax(admitted_by >= start, axis=0)
    cleared = np.where(admitted_by[-1] >= start, cleared, len(admitted_by))
    return Simulation(
        occupancy=occupancy[:days],
        waiting=waiting[:days],
        arrivals=arrivals,
        admissions=admissions[:days],
        wait_days=waits[1:],
        waited=arrivals - same_day,
        first_queue_wait_days=waits[0],
        first_queue_admitted=cleared,
        still_waiting=waiting[-1],
        seed=seed,
        unfinished=unfinished,
        runout_days=runout_days,
    )
