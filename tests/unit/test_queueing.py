"""Closed-form queueing results against hand-worked values, scipy, and their defining properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import poisson

from capacity.flow.queueing import (
    erlang_b,
    erlang_c,
    mgc_mean_wait_days,
    mmc_mean_wait_days,
    poisson_quantile,
    servers_for_wait_probability,
)
from capacity.formulas import InvalidInput


def erlang_c_by_definition(c: int, a: float) -> float:
    """Erlang C from the textbook sum, for small cases: (a^c/c!)(c/(c−a)) ÷ (Σ a^k/k! + that)."""
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


# (places, offered load, chance of waiting, how it was worked out by hand)
HAND_WORKED = [
    (2, 1.0, 1 / 3, "two places, load 1: P0 = 1/3, C = (1/2)(2/1)(1/3) = 1/3"),
    (3, 2.0, 4 / 9, "three places, load 2: P0 = 1/9, C = (8/6)(3)(1/9) = 4/9"),
    (1, 0.5, 0.5, "one place: an arrival waits when it is busy, with chance ρ = 0.5"),
]


@pytest.mark.parametrize(("c", "a", "expected", "why"), HAND_WORKED)
def test_erlang_c_hand_worked_values(c, a, expected, why):
    assert erlang_c(c, a) == pytest.approx(expected, rel=1e-12), why


def test_erlang_b_two_places_load_one():
    # (a²/2!) ÷ (1 + a + a²/2!) = 0.5 ÷ 2.5
    assert erlang_b(2, 1.0) == pytest.approx(0.2, rel=1e-12)


@given(st.integers(1, 12), st.floats(0.01, 0.99))
def test_erlang_c_matches_the_textbook_sum(c, utilisation):
    a = c * utilisation
    assert erlang_c(c, a) == pytest.approx(erlang_c_by_definition(c, a), rel=1e-9)


@given(st.floats(0.01, 0.99))
def test_one_place_waits_with_chance_rho(rho):
    assert erlang_c(1, rho) == pytest.approx(rho, rel=1e-12)


def test_no_spare_capacity_means_everyone_waits():
    assert erlang_c(20, 20.0) == 1.0
    assert erlang_c(20, 25.0) == 1.0
    assert mmc_mean_wait_days(20, 20.0, 42) == math.inf


def test_no_arrivals_means_no_waiting():
    assert erlang_c(5, 0.0) == 0.0
    assert mmc_mean_wait_days(5, 0.0, 42) == 0.0


def test_no_arrivals_and_no_places_means_nobody_waits():
    # A month with the service closed and nobody referred: no one arrives, so no one waits.
    assert erlang_c(0, 0.0) == 0.0
    assert mmc_mean_wait_days(0, 0.0, 42) == 0.0
    assert mgc_mean_wait_days(0, 0.0, 42, 0.5) == 0.0
    assert list(erlang_c(np.array([0, 0, 3]), np.array([0.0, 1.0, 0.0]))) == [0.0, 1.0, 0.0]


def test_large_services_stay_numerically_sound():
    chance = erlang_c(2000, 1950.0)
    assert 0 < chance < 1 and math.isfinite(chance)
    assert erlang_c(np.array([1000, 1100]), np.array([900.0, 900.0])).shape == (2,)


@given(st.floats(0.1, 60.0))
def test_more_places_never_raise_the_chance_or_the_wait(a):
    places = np.arange(int(a) + 1, int(a) + 30)
    chances = erlang_c(places, a)
    waits = mmc_mean_wait_days(places, a, 30.0)
    assert np.all(np.diff(chances) <= 1e-15)
    assert np.all(np.diff(waits) <= 1e-12)


def test_mm1_mean_wait_is_rho_over_one_minus_rho_stays():
    # M/M/1 with ρ = 0.8 and a 10-day stay: Wq = ρ/(1 − ρ) × 10 = 40 days.
    assert mmc_mean_wait_days(1, 0.8, 10) == pytest.approx(40.0, rel=1e-12)


def test_mm3_mean_wait_from_the_hand_worked_chance():
    # C = 4/9, Wq = C × LoS ÷ (c − a) = 4/9 × 42 ÷ 1.
    assert mmc_mean_wait_days(3, 2.0, 42) == pytest.approx(4 / 9 * 42, rel=1e-12)


def test_lee_longton_scales_the_wait_by_spread():
    exponential = mmc_mean_wait_days(3, 2.0, 42)
    assert mgc_mean_wait_days(3, 2.0, 42, 1.0) == pytest.approx(exponential)
    assert mgc_mean_wait_days(3, 2.0, 42, 0.0) == pytest.approx(exponential / 2)


@given(st.floats(0.0, 200.0), st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_places_needed_is_the_first_that_meets_the_target(a, target_waiting):
    target = 1 - target_waiting
    needed = int(servers_for_wait_probability(a, target))
    if a == 0:
        assert needed == 0
        return
    assert erlang_c(needed, a) <= target
    assert erlang_c(needed - 1, a) > target


def test_places_needed_hand_worked():
    # Load 1: one place gives C = 1, two give 1/3, three give 1/11.
    assert servers_for_wait_probability(1.0, 0.34) == 2
    assert servers_for_wait_probability(1.0, 0.3) == 3


@pytest.mark.parametrize("q", [0.5, 0.9, 0.95, 0.99])
def test_poisson_quantile_matches_scipy(q):
    means = np.array([0.0, 0.2, 1.0, 3.7, 20.07, 42.0, 150.0, 999.5, 4000.0])
    assert np.array_equal(poisson_quantile(means, q), poisson.ppf(q, means))


def test_poisson_quantile_of_the_bhr_d2a_beds():
    # 20 beds' worth of offered load (0.4762 a day × 42 days) → the 95th percentile.
    assert poisson_quantile(20.0, 0.95) == poisson.ppf(0.95, 20.0) == 28


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: erlang_c(-1, 1.0), "servers"),
        (lambda: erlang_c(2.5, 1.0), "servers"),
        (lambda: erlang_c(2, -1.0), "offered_load"),
        (lambda: mmc_mean_wait_days(2, 1.0, 0), "mean_los_days"),
        (lambda: mgc_mean_wait_days(2, 1.0, 10, -0.1), "los_cv"),
        (lambda: servers_for_wait_probability(1.0, 0.0), "target"),
        (lambda: servers_for_wait_probability(1.0, 1.0), "target"),
        (lambda: poisson_quantile(-1.0, 0.95), "mean"),
        (lambda: poisson_quantile(1.0, 1.2), "q"),
        (lambda: servers_for_wait_probability(math.inf, 0.05), "offered_load"),
        (lambda: servers_for_wait_probability(np.array([1.0, math.nan]), 0.05), "offered_load"),
        (lambda: poisson_quantile(math.inf, 0.95), "mean"),
        (lambda: poisson_quantile(math.nan, 0.95), "mean"),
        (lambda: erlang_b(2, math.inf), "offered_load"),
        (lambda: erlang_c(math.inf, 1.0), "servers"),
        (lambda: mmc_mean_wait_days(2, 1.0, math.inf), "mean_los_days"),
        (lambda: mgc_mean_wait_days(2, 1.0, 10, math.inf), "los_cv"),
        # A billion places would take a step each: refused, not left running for hours.
        (lambda: servers_for_wait_probability(1e9, 0.05), "offered_load"),
        (lambda: erlang_b(10**12, 5.0), "servers"),
    ],
)
def test_bad_inputs_raise_naming_the_field(call, field):
    with pytest.raises(InvalidInput) as raised:
        call()
    assert raised.value.field == field
    assert isinstance(raised.value, ValueError)
