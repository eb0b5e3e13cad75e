"""A flow run and its results: day and month frames, and headline figures for a period.

:func:`run` simulates the inputs (:mod:`.simulation`), solves each day in
steady state (:mod:`.steady_state`) and sums both into a :class:`FlowResult`:
one row a day, one a month (means and 5th–95th percentile bands across
replications) and a :class:`PeriodSummary` for the winter and the whole run.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from capacity.flow.inputs import FlowInputs, check_settings, day_text
from capacity.flow.simulation import (
    DEFAULT_REPLICATIONS,
    DEFAULT_SEED,
    RUNOUT_DAYS,
    Simulation,
    simulate,
)
from capacity.flow.steady_state import DEFAULT_TARGET, analytical

BAND = (5.0, 95.0)
WINTER_MONTHS = ("11", "12", "01", "02", "03")


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
        return np.where(
            denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan
        )


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
    frame = pd.DataFrame(
        {
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
        }
    )
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
        "month": months[starts],
        "first_day": first_days,
        "days": days,
        "arrivals": _month_sums(np.asarray(inputs.arrivals_per_day, float), starts),
        "beds_min": np.minimum.reduceat(inputs.beds, starts),
        "beds_max": np.maximum.reduceat(inputs.beds, starts),
        "beds_mean": _month_sums(inputs.beds.astype(float), starts) / days,
        "mean_los_days": _month_sums(np.asarray(inputs.mean_los_days, float), starts) / days,
    }
    for name, values in (
        ("occupancy", occupancy),
        ("waiting", waiting / days[:, None]),
        ("delay_bed_days", waiting),
    ):
        low, high = _band(values.astype(float))
        columns |= {f"{name}_mean": values.mean(axis=1), f"{name}_p05": low, f"{name}_p95": high}
    low, high = _band(per_rep_wait)
    columns |= {
        "wait_days_mean": _ratio(waits.sum(axis=1), arrivals.sum(axis=1)),
        "wait_days_p05": low,
        "wait_days_p95": high,
        "still_waiting_at_end": _month_sums(sim.arrivals_unfinished, starts).mean(axis=1),
        "p_wait": _ratio(waited.sum(axis=1), arrivals.sum(axis=1)),
    }
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


def summarise(
    inputs: FlowInputs, sim: Simulation, daily: pd.DataFrame, mask: np.ndarray, label: str
) -> PeriodSummary:
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
        label=label,
        days=days,
        arrivals=float(rows["arrivals_expected"].sum()),
        beds_min=int(rows["beds"].min()),
        beds_max=int(rows["beds"].max()),
        occupancy_mean=float(rows["occupancy_mean"].mean()),
        waiting_mean=float(waiting.mean() / days),
        waiting_p05=float(delay_low[0] / days),
        waiting_p95=float(delay_high[0] / days),
        wait_days_mean=float(_ratio(sim.wait_days[mask].sum(), arrivals.sum())),
        wait_days_p05=float(wait_low[0]),
        wait_days_p95=float(wait_high[0]),
        p_wait=float(_ratio(sim.waited[mask].sum(), arrivals.sum())),
        p_wait_erlang_c=float(rows["p_wait_erlang_c"].mean()),
        delay_bed_days=float(waiting.mean()),
        delay_bed_days_p05=float(delay_low[0]),
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
        winter = f"the rest of winter, from {day_text(first)}"
    year = "the year" if whole_year else f"the rest of the year, from {day_text(first)}"
    return winter, year


def run(
    inputs: FlowInputs,
    *,
    replications: int = DEFAULT_REPLICATIONS,
    seed: int | None = DEFAULT_SEED,
    target: float = DEFAULT_TARGET,
    runout_days: int = RUNOUT_DAYS,
) -> FlowResult:
    """Simulate and solve one flow: day and month frames, winter and year headlines."""
    check_settings(replications, target)
    sim = simulate(inputs, replications, seed, runout_days)
    daily = daily_frame(inputs, sim, analytical(inputs, target))
    monthly = monthly_frame(inputs, sim, daily)
    # A run in which some of the first day's queue was never admitted has no day it cleared.
    cleared = np.where(
        sim.first_queue_unfinished > 0, np.inf, sim.first_queue_admitted.astype(float)
    )
    winter_label, year_label = period_labels(inputs)
    return FlowResult(
        inputs=inputs,
        daily=daily,
        monthly=monthly,
        winter=summarise(inputs, sim, daily, winter_mask(inputs), winter_label),
        year=summarise(inputs, sim, daily, np.ones(inputs.days, dtype=bool), year_label),
        target=target,
        replications=int(replications),
        seed=seed,
        first_queue_admitted_p50=float(np.percentile(cleared, 50, method="inverted_cdf")),
        first_queue_admitted_p95=float(np.percentile(cleared, 95, method="inverted_cdf")),
        still_waiting_mean=float(sim.still_waiting.mean()),
        runout_days=sim.runout_days,
        first_queue_still_waiting_mean=float(sim.first_queue_unfinished.mean()),
        first_queue_unfinished_share=float((sim.first_queue_unfinished > 0).mean()),
    )
