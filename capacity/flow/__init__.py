"""Flow: occupancy, queues, waits and the capacity actually needed, day by day.

The monthly formula says how many new people a service can take; this package
says what happens to the people it cannot take at once. For one service at one
place (or a system, its places pooled; or a discharge pathway, its services
pooled by :mod:`capacity.flow.pathway`) over a run of days it gives, per day and
per month, the expected occupancy, the number waiting (for a bed: people
delayed in hospital), the mean wait of an arrival, the chance an arrival
waits and the bed-days of delay, with 5th–95th percentile bands; and the
places that would keep the chance of waiting under a target.

Two methods, side by side:

- **Analytical**, for each day on its own as if that day's arrivals, places
  and stay lasted for ever (steady state): Poisson occupancy with unlimited
  places, Erlang C for the chance of waiting and the Lee–Longton mean wait
  (:mod:`capacity.flow.queueing`). Exact for steady state with exponential stays;
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

The rooms:

- :mod:`.inputs`: :class:`FlowInputs`, their checks, the what-if (:func:`adjust`)
  and the start day (:func:`starting`);
- :mod:`.from_plan`: the inputs built from the plan model and the referral records;
- :mod:`.pathway`: a discharge pathway's services pooled as one;
- :mod:`.simulation`: the day-by-day simulation;
- :mod:`.queueing` and :mod:`.steady_state`: the closed forms and each day in steady state;
- :mod:`.results`: :func:`run`, the day and month frames and the headline figures;
- :mod:`.costs` and :mod:`.report`: what waiting and places cost, and the words and
  tables of a run.

The names callers use are re-exported here, so ``from capacity import flow;
flow.run(inputs)`` keeps working.
"""

from capacity.flow.inputs import (
    DEFAULT_LOS_CV,
    LOS_DISTRIBUTIONS,
    MAX_EXTRA_PLACES,
    MAX_REPLICATIONS,
    MAX_START_PEOPLE,
    FlowInputs,
    PoolMember,
    adjust,
    check,
    check_replications,
    check_settings,
    check_target,
    default_in_service,
    over_places_at_start,
    start_limit,
    starting,
    whole_places,
)
from capacity.flow.queueing import MAX_SIZE
from capacity.flow.results import (
    BAND,
    WINTER_MONTHS,
    FlowResult,
    PeriodSummary,
    daily_frame,
    monthly_frame,
    period_labels,
    run,
    summarise,
    winter_mask,
)
from capacity.flow.simulation import (
    DEFAULT_REPLICATIONS,
    DEFAULT_SEED,
    RUNOUT_DAYS,
    Simulation,
    simulate,
)
from capacity.flow.steady_state import DEFAULT_TARGET, OCCUPANCY_QUANTILE, analytical

__all__ = [
    "BAND",
    "DEFAULT_LOS_CV",
    "DEFAULT_REPLICATIONS",
    "DEFAULT_SEED",
    "DEFAULT_TARGET",
    "LOS_DISTRIBUTIONS",
    "MAX_EXTRA_PLACES",
    "MAX_REPLICATIONS",
    "MAX_SIZE",
    "MAX_START_PEOPLE",
    "OCCUPANCY_QUANTILE",
    "RUNOUT_DAYS",
    "WINTER_MONTHS",
    "FlowInputs",
    "FlowResult",
    "PeriodSummary",
    "PoolMember",
    "Simulation",
    "adjust",
    "analytical",
    "check",
    "check_replications",
    "check_settings",
    "check_target",
    "daily_frame",
    "default_in_service",
    "monthly_frame",
    "over_places_at_start",
    "period_labels",
    "run",
    "simulate",
    "start_limit",
    "starting",
    "summarise",
    "whole_places",
    "winter_mask",
]
