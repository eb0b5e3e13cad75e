"""The flow model against closed forms, Little's law and its defining properties.

Stochastic tests use fixed seeds, a few hundred replications and tolerances
several standard errors wide, so they test behaviour without being fragile.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import poisson

from capacity.flow import queueing
from capacity.flow.inputs import (
    FlowInputs,
    adjust,
    over_places_at_start,
    start_limit,
    starting,
    whole_places,
)
from capacity.flow.results import run
from capacity.flow.simulation import simulate
from capacity.flow.steady_state import analytical
from capacity.formulas import InvalidInput

START = np.datetime64("2025-04-01")


def flow(
    days: int = 365,
    arrivals: float = 0.5,
    places: float = 20,
    los: float = 42,
    cv: float = 1.0,
    **more,
) -> FlowInputs:
    """Steady inputs: the same arrivals a day, places and stay every day."""
    return FlowInputs(
        dates=np.arange(START, START + days),
        arrivals_per_day=np.full(days, float(arrivals)),
        caseload=np.full(days, float(places)),
        mean_los_days=np.full(days, float(los)),
        los_cv=cv,
        **more,
    )


def settled(sim, first: int = 150):
    """Days from ``first`` on, when a service started at its mean has long forgotten the start."""
    return slice(first, None)


# -- closed forms ----------------------------------------------------------------


def test_with_places_to_spare_occupancy_is_arrivals_times_stay_and_nobody_waits():
    inputs = flow(days=730, arrivals=0.5, places=200, los=20, in_service_today=10)
    sim = simulate(inputs, replications=300, seed=1)
    days = settled(sim)
    assert sim.occupancy[days].mean() == pytest.approx(0.5 * 20, rel=0.03)
    assert sim.waiting.max() == 0
    assert sim.waited.sum() == 0 and sim.wait_days.sum() == 0


def test_with_places_to_spare_occupancy_is_poisson():
    # M/G/∞: occupancy is Poisson with mean arrivals × stay, whatever the spread of stays.
    inputs = flow(days=730, arrivals=0.5, places=200, los=20, cv=0.6, in_service_today=10)
    sim = simulate(inputs, replications=400, seed=2)
    occupancy = sim.occupancy[settled(sim)].ravel()
    assert np.percentile(occupancy, 95) == pytest.approx(poisson.ppf(0.95, 10.0), abs=1)
    assert occupancy.var() == pytest.approx(occupancy.mean(), rel=0.1)
    steady = analytical(inputs)
    assert (steady["unrestricted_p95"] == poisson.ppf(0.95, 10.0)).all()


def test_simulated_waiting_agrees_with_erlang_c_in_steady_state():
    # Five places, load 3, exponential 14-day stays: Erlang C ≈ 0.236, M/M/5 wait ≈ 1.65 days.
    inputs = flow(days=1095, arrivals=3 / 14, places=5, los=14, in_service_today=3)
    sim = simulate(inputs, replications=300, seed=3)
    days = settled(sim, 100)
    chance = sim.waited[days].sum() / sim.arrivals[days].sum()
    wait = sim.wait_days[days].sum() / sim.arrivals[days].sum()
    # The daily model counts overnight waits only, so it sits a little under Erlang C.
    assert chance == pytest.approx(queueing.erlang_c(5, 3.0), abs=0.05)
    assert wait == pytest.approx(queueing.mmc_mean_wait_days(5, 3.0, 14), rel=0.25)


@pytest.mark.parametrize(("los", "cv"), [(1.0, 1.0), (1.0, 0.5), (2.0, 1.0), (3.0, 0.3)])
def test_short_stays_keep_occupancy_at_arrivals_times_stay(los, cv):
    # Little's law with the stay as given, as the steady-state formulas and the plan use it:
    # a stay that rounds to no nights (a same-day discharge) holds no place overnight.
    inputs = flow(days=400, arrivals=6.0, places=200, los=los, cv=cv, in_service_today=int(6 * los))
    sim = simulate(inputs, replications=200, seed=14)
    occupancy = sim.occupancy[settled(sim, 50)].mean()
    assert occupancy == pytest.approx(6.0 * los, rel=0.02)
    assert analytical(inputs)["offered_load"].iloc[0] == pytest.approx(6.0 * los)


def test_same_day_discharges_free_their_place_for_the_next_in_the_queue():
    # One place, everyone leaves the day they arrive (stays of a quarter of a day, no spread,
    # so each rounds to none or one night): the queue empties faster than one a night.
    inputs = flow(days=60, arrivals=0, places=1, los=0.25, cv=0, waiting_today=40)
    sim = simulate(inputs, replications=50, seed=15)
    # Stays of 0.25 days round to 0 nights three times in four, so about 4 go in a day.
    assert sim.waiting[0].mean() == pytest.approx(40 - 4, abs=1)
    assert sim.admissions.sum(axis=0).tolist() == [40] * 50


def test_littles_law_holds_on_the_simulated_output():
    inputs = flow(days=1095, arrivals=0.8, places=10, los=10, in_service_today=8)
    sim = simulate(inputs, replications=300, seed=4)
    days = settled(sim, 100)
    arrivals_per_day = sim.arrivals[days].mean()
    mean_wait = sim.wait_days[days].sum() / sim.arrivals[days].sum()
    mean_stay_occupancy = sim.admissions[days].mean() * 10
    assert sim.waiting[days].mean() == pytest.approx(arrivals_per_day * mean_wait, rel=0.05)
    assert sim.occupancy[days].mean() == pytest.approx(mean_stay_occupancy, rel=0.03)


# -- properties --------------------------------------------------------------------


def test_more_places_never_increase_the_expected_wait():
    waits, chances, queues = [], [], []
    for extra in range(0, 8):
        result = run(
            flow(arrivals=17.5 / 30.4, places=18 + extra, los=42, cv=0.56, in_service_today=18),
            replications=200,
            seed=5,
        )
        waits.append(result.monthly["wait_days_mean"].to_numpy())
        chances.append(result.monthly["p_wait"].to_numpy())
        queues.append(result.daily["waiting_mean"].to_numpy())
    for series in (waits, chances, queues):
        steps = np.diff(np.vstack(series), axis=0)
        assert (steps <= 1e-12).all()
    assert waits[-1].mean() < waits[0].mean() / 5


def test_the_steady_state_wait_falls_with_more_places_too():
    steady = [
        analytical(flow(arrivals=0.55, places=p, los=42))["wait_days_steady"].iloc[0]
        for p in range(24, 40)
    ]
    assert all(b <= a for a, b in zip(steady, steady[1:], strict=False))


def test_a_starting_queue_drains_in_steps_of_the_places_freed():
    # No arrivals, 3 places, exactly 5-day stays, 10 waiting: 3 go in on day 0, 3 on day 5,
    # 3 on day 10 and the last on day 15.
    inputs = flow(days=30, arrivals=0, places=3, los=5, cv=0, waiting_today=10)
    sim = simulate(inputs, replications=20, seed=6)
    expected = [7] * 5 + [4] * 5 + [1] * 5 + [0] * 15
    assert (sim.waiting == np.array(expected)[:, None]).all()
    assert (sim.first_queue_admitted == 15).all()
    assert (sim.first_queue_wait_days == 0 * 3 + 5 * 3 + 10 * 3 + 15).all()


def test_a_starting_queue_drains_at_the_rate_the_spare_capacity_allows():
    # 20 full places with 10-day stays free 2 a day; 1 arrives a day; so 40 waiting drain by
    # about 1 a day.
    inputs = flow(days=120, arrivals=1.0, places=20, los=10, in_service_today=20, waiting_today=40)
    sim = simulate(inputs, replications=300, seed=7)
    mean = sim.waiting.mean(axis=1)
    assert mean[10] == pytest.approx(30, abs=3)
    assert mean[20] == pytest.approx(20, abs=3)
    assert mean[60] < 5


def test_the_same_seed_gives_the_same_answer_and_another_seed_does_not():
    inputs = flow(arrivals=0.55, places=20, los=42, cv=0.56, in_service_today=20)
    first, again = run(inputs, replications=100, seed=8), run(inputs, replications=100, seed=8)
    other = run(inputs, replications=100, seed=9)
    assert first.daily.equals(again.daily) and first.monthly.equals(again.monthly)
    assert not first.daily["waiting_mean"].equals(other.daily["waiting_mean"])


def test_bands_are_ordered_and_occupancy_never_exceeds_the_places():
    # (A mean need not lie inside the band: when most runs sit at the cap of 20, the mean is
    # below the 5th percentile.)
    result = run(
        flow(arrivals=0.55, places=20, los=42, cv=0.56, in_service_today=20),
        replications=200,
        seed=10,
    )
    daily = result.daily
    assert (daily["occupancy_p05"] <= daily["occupancy_p95"]).all()
    assert (daily["waiting_p05"] <= daily["waiting_p95"]).all()
    assert (daily["occupancy_p95"] <= daily["beds"]).all()
    assert (daily["occupancy_mean"] <= daily["beds"]).all()
    assert (daily["waiting_p05"] >= 0).all()
    assert result.winter.waiting_p05 <= result.winter.waiting_p95


def test_months_add_up_to_the_days():
    inputs = flow(arrivals=0.55, places=20, los=42, in_service_today=20)
    result = run(inputs, replications=100, seed=11)
    monthly = result.monthly
    assert list(monthly["month"]) == [f"2025-{m:02d}" for m in range(4, 13)] + [
        f"2026-{m:02d}" for m in range(1, 4)
    ]
    assert monthly["days"].sum() == 365
    assert monthly["arrivals"].sum() == pytest.approx(0.55 * 365)
    waiting_by_month = result.daily.groupby("month", sort=False)["waiting_mean"].sum()
    assert monthly["delay_bed_days_mean"].to_numpy() == pytest.approx(waiting_by_month.to_numpy())


def test_an_overloaded_service_has_a_growing_queue_and_no_steady_state():
    inputs = flow(arrivals=0.6, places=20, los=42, in_service_today=20)
    result = run(inputs, replications=200, seed=12)
    waiting = result.daily["waiting_mean"].to_numpy()
    assert waiting[-30:].mean() > waiting[:30].mean() + 10
    steady = result.daily.iloc[0]
    assert steady["p_wait_erlang_c"] == 1.0 and steady["wait_days_steady"] == np.inf
    assert steady["queue_growth_per_day"] == pytest.approx(0.6 - 20 / 42)
    assert steady["beds_needed"] == queueing.servers_for_wait_probability(0.6 * 42, 0.05)


def test_waits_cut_off_when_the_run_stops_are_counted_as_such():
    # No places at all: nobody is ever admitted, so every wait is cut off when the run stops
    # 30 days after the year ends.
    inputs = flow(arrivals=0.5, places=0, los=42, waiting_today=10)
    result = run(inputs, replications=50, seed=16, runout_days=30)
    assert result.year.waits_cut_off and result.winter.waits_cut_off
    simulated = result.monthly["still_waiting_at_end"].sum()
    assert simulated == pytest.approx(0.5 * 365, rel=0.05)
    assert result.year.still_waiting_at_end == pytest.approx(simulated)
    assert result.monthly["still_waiting_at_end"].iloc[0] == pytest.approx(0.5 * 30, rel=0.2)
    assert result.daily["still_waiting_at_end"].sum() == pytest.approx(simulated)
    # Those waiting on 1 April wait the whole year and the run-out, and are still waiting.
    assert result.first_queue_still_waiting_mean == 10
    assert result.first_queue_unfinished_share == 1
    assert result.first_queue_admitted_p50 == np.inf


def test_waits_that_end_within_the_run_are_not_flagged():
    result = run(
        flow(arrivals=0.4, places=24, los=42, in_service_today=17, waiting_today=5),
        replications=100,
        seed=17,
    )
    assert not result.year.waits_cut_off and result.year.still_waiting_at_end == 0
    assert (result.monthly["still_waiting_at_end"] == 0).all()
    assert result.first_queue_still_waiting_mean == 0
    assert result.first_queue_admitted_p95 < 365


def test_places_are_whole_rounded_half_up():
    assert list(whole_places([0.2, 7.5, 8.49, 19.999999999, 20.5])) == [0, 8, 8, 20, 21]


# -- what-ifs ------------------------------------------------------------------------


def test_adjust_changes_only_the_months_given():
    inputs = flow(places=20, los=42)
    changed = adjust(
        inputs, extra_places=4, los_pct=-10, first_month="2025-11", last_month="2026-01"
    )
    months = inputs.months
    inside = (months >= "2025-11") & (months <= "2026-01")
    assert (changed.caseload[inside] == 24).all() and (changed.caseload[~inside] == 20).all()
    assert changed.mean_los_days[inside] == pytest.approx(37.8)
    assert (changed.mean_los_days[~inside] == 42).all()
    assert (inputs.caseload == 20).all()  # the inputs are left as they were


# -- the start day and the starting numbers ---------------------------------------------


def day(text: str) -> int:
    """The index of a day in a run of ``flow()`` that starts on 1 April 2025."""
    return int((np.datetime64(text) - START).astype(int))


def test_the_default_start_respects_places_taken_away_by_the_what_if():
    # 0.5 arrivals a day × 42 days = 21 people; with 15 of the 20 places taken away, 5 fit.
    inputs = flow(arrivals=0.5, places=20, los=42)
    assert starting(inputs).in_service_today == 20
    assert starting(adjust(inputs, extra_places=-15)).in_service_today == 5
    # Taken away from December only: on 24 November the 20 places are still there.
    december = adjust(inputs, extra_places=-15, first_month="2025-12")
    assert starting(december, start="2025-11-24").in_service_today == 20
    assert starting(december, start="2025-12-05").in_service_today == 5


def test_the_default_start_uses_the_start_days_demand_and_stay():
    inputs = flow(arrivals=0.2, places=50, los=20)
    busier = inputs.with_changes(
        arrivals_per_day=np.where(inputs.months >= "2025-11", 0.6, 0.2),
        mean_los_days=np.where(inputs.months >= "2025-11", 30.0, 20.0),
    )
    assert starting(busier).in_service_today == 4  # 0.2 × 20
    assert starting(busier, start="2025-11-24").in_service_today == 18  # 0.6 × 30


def test_a_run_from_a_later_day_simulates_only_the_days_from_it():
    inputs = starting(
        flow(arrivals=0.5, places=20, los=42), start="2025-11-24", in_service=20, waiting=3
    )
    assert inputs.dates[0] == np.datetime64("2025-11-24") and inputs.days == 365 - day("2025-11-24")
    assert (inputs.in_service_today, inputs.waiting_today) == (20, 3)
    result = run(inputs, replications=50, seed=18)
    assert len(result.daily) == 128  # 7 days of November, then December to March
    first = result.monthly.iloc[0]
    assert (first["month"], first["first_day"], first["days"]) == ("2025-11", "2025-11-24", 7)
    assert first["arrivals"] == pytest.approx(0.5 * 7)
    assert list(result.monthly["month"]) == ["2025-11", "2025-12", "2026-01", "2026-02", "2026-03"]
    assert result.winter.label == "the rest of winter, from 24 Nov 2025"
    assert result.year.label == "the rest of the year, from 24 Nov 2025"
    assert result.winter.days == result.year.days == 128


def test_a_run_from_the_summer_still_covers_the_whole_winter():
    result = run(starting(flow(), start="2025-08-01"), replications=20, seed=19)
    assert result.winter.label == "winter (November to March)" and result.winter.days == 151
    assert result.year.label == "the rest of the year, from 1 Aug 2025"
    assert run(flow(), replications=20, seed=19).year.label == "the year"


def test_a_queue_from_a_mid_year_start_drains_as_spare_places_allow():
    # From 24 November: 20 full places with 10-day stays free 2 a day and 1 arrives a day, so
    # 40 waiting drain by about 1 a day.
    inputs = starting(
        flow(arrivals=1.0, places=20, los=10), start="2025-11-24", in_service=20, waiting=40
    )
    sim = simulate(inputs, replications=300, seed=20)
    mean = sim.waiting.mean(axis=1)
    assert mean[10] == pytest.approx(30, abs=3)
    assert mean[20] == pytest.approx(20, abs=3)
    assert mean[60] < 5


def test_winter_flex_places_open_on_their_date_after_a_later_start():
    # 20 places, 30 from 1 December; more arrivals than 20 places can take (0.8 × 42 = 33.6).
    flex = np.where(np.arange(365) >= day("2025-12-01"), 30.0, 20.0)
    inputs = flow(arrivals=0.8, places=20, los=42, cv=0.56).with_changes(caseload=flex)
    result = run(starting(inputs, start="2025-11-24", in_service=20), replications=100, seed=21)
    daily = result.daily.set_index("date")
    assert (daily.loc[:"2025-11-30", "beds"] == 20).all()
    assert (daily.loc["2025-12-01":, "beds"] == 30).all()
    assert daily.loc[:"2025-11-30", "occupancy_p95"].max() <= 20
    assert daily.loc["2025-12-01":"2025-12-31", "occupancy_mean"].max() > 25


def test_people_over_the_places_stay_until_their_stays_end_and_nobody_new_starts():
    # 30 in a 20-place service, 5 waiting, no arrivals, 10-day stays: occupancy only falls
    # until it is under 20, and only then are the 5 admitted.
    inputs = flow(
        days=60, arrivals=0, places=20, los=10, cv=0, in_service_today=30, waiting_today=5
    )
    assert over_places_at_start(inputs) == 10
    sim = simulate(inputs, replications=200, seed=22)
    before = np.vstack([np.full((1, 200), 30), sim.occupancy[:-1]])
    over = before > 20
    assert (sim.occupancy[over] <= before[over]).all()
    assert (sim.occupancy[sim.admissions > 0] <= 20).all()
    assert (sim.occupancy[0] < 30).any() and (sim.admissions[0] == 0).all()
    # Everyone already there has left within a stay, so the 5 are in by day 10.
    assert (sim.first_queue_admitted <= 10).all() and (sim.waiting[10:] == 0).all()
    assert over_places_at_start(flow(in_service_today=20)) == 0


@pytest.mark.parametrize("start", ["2025-03-31", "2026-04-01", "2025-02-30", "soon"])
def test_a_start_outside_the_days_modelled_raises_naming_it(start):
    with pytest.raises(InvalidInput, match="start must be a day from 1 Apr 2025 to 31 Mar 2026"):
        starting(flow(), start=start)


# -- bad inputs --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: simulate(flow(places=-1)), "caseload"),
        (lambda: simulate(flow(los=0)), "mean_los_days"),
        (lambda: simulate(flow(los=-3)), "mean_los_days"),
        (lambda: simulate(flow(arrivals=-0.1)), "arrivals_per_day"),
        (lambda: simulate(flow(cv=-1)), "los_cv"),
        (lambda: simulate(flow(), replications=0), "replications"),
        (lambda: simulate(flow(), replications=2.5), "replications"),
        (lambda: run(flow(), target=0), "target"),
        (lambda: run(flow(), target=1.5), "target"),
        (lambda: analytical(flow(), target=-0.1), "target"),
        (lambda: simulate(flow(in_service_today=-2)), "in_service_today"),
        (lambda: simulate(flow(waiting_today=1.5)), "waiting_today"),
        (lambda: simulate(flow(los_distribution="weibull")), "los_distribution"),
        (lambda: adjust(flow(places=20), extra_places=-21), "caseload"),
        (lambda: adjust(flow(), los_pct=-100), "mean_los_days"),
        (lambda: simulate(flow(places=20, waiting_today=5_001)), "waiting_today"),
        (lambda: simulate(flow(places=20, in_service_today=100_000)), "in_service_today"),
        (lambda: simulate(flow(waiting_today=math.inf)), "waiting_today"),
        (lambda: simulate(flow(), replications=10_001), "replications"),
        (lambda: adjust(flow(), extra_places=math.inf), "extra_places"),
        (lambda: adjust(flow(), extra_places=5_001), "extra_places"),
        (lambda: adjust(flow(), los_pct=math.nan), "los_pct"),
        # A scenario's slip (a billion places, a stay of a million days) is refused up front.
        (lambda: simulate(flow(places=1e9)), "caseload"),
        (lambda: run(flow(arrivals=2.0, los=1e6)), "offered_load"),
    ],
)
def test_bad_inputs_raise_a_value_error_naming_the_field(call, field):
    with pytest.raises(ValueError, match=field) as raised:
        call()
    assert isinstance(raised.value, InvalidInput) and raised.value.field == field


def test_the_start_limit_is_5000_people_or_the_places_if_more():
    assert start_limit(np.full(10, 20.0)) == 5_000
    assert start_limit(np.r_[np.full(5, 6_000.0), np.full(5, 6_200.4)]) == 6_200
    at_the_limit = simulate(flow(places=20, waiting_today=5_000), replications=2, seed=1)
    assert (at_the_limit.waiting[0] > 4_900).all()  # 20 places take only a few a day
    big = flow(places=6_000, in_service_today=6_000, waiting_today=6_000)
    assert simulate(big, replications=2, seed=1).occupancy.max() <= 6_000


def test_lognormal_stays_have_the_mean_asked_for():
    inputs = flow(
        days=730,
        arrivals=0.5,
        places=200,
        los=20,
        cv=0.8,
        los_distribution="lognormal",
        in_service_today=10,
    )
    sim = simulate(inputs, replications=300, seed=13)
    assert sim.occupancy[settled(sim)].mean() == pytest.approx(10, rel=0.04)
