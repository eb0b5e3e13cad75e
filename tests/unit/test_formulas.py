"""The capacity formulas against DOMAIN.md's worked examples, the seed figures, and properties."""

from __future__ import annotations

import math
from datetime import date, timedelta

import holidays
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from capacity import (
    InvalidInput,
    capacity_from_caseload,
    capacity_from_throughput,
    caseload_from_hours,
)
from capacity import formulas as f

# (caseload, days, LoS, expected to 2 dp, where the figure comes from)
CASELOAD_EXAMPLES = [
    (20, 31, 42, 14.76, "DOMAIN.md §5.1: 20 D2A beds, 42-day stay, 31-day month"),
    (4, 30, 28, 4.29, "issue 4: +4 beds from November on a 28-day LoS"),
    (61, 29, 28, 63.18, "61 winter beds in February of a leap year (2024)"),
    (61, 28, 28, 61.00, "61 winter beds in February of a common year (2023)"),
    (57, 31, 28, 63.11, "57 flex beds in October"),
    (7, 30, 14, 15.00, "Redbridge's 7 step-down beds, stays of up to 2 weeks"),
    (0, 31, 42, 0.00, "no beds open"),
]


@pytest.mark.parametrize(("caseload", "days", "los", "expected", "why"), CASELOAD_EXAMPLES)
def test_capacity_from_caseload_worked_examples(caseload, days, los, expected, why):
    assert round(capacity_from_caseload(caseload, days, los), 2) == expected, why


def test_caseload_formula_is_exact_before_rounding():
    # Unrounded inside: 20 × 31 ÷ 42 keeps all its digits.
    assert capacity_from_caseload(20, 31, 42) == pytest.approx(620 / 42, rel=1e-15)


@pytest.mark.parametrize(
    ("hours", "per_package", "expected"),
    [
        (2400, 48, 50.0),  # Thurrock-style bridging contract
        (6000, 40, 150.0),  # Havering reablement after the extra hours
        (13000 * 52 / 12, 100, 563.3333333333334),  # Essex: 13,000 hours a week as a month
    ],
)
def test_caseload_from_hours(hours, per_package, expected):
    assert caseload_from_hours(hours, per_package) == pytest.approx(expected)


def test_hours_method_chains_into_caseload_method():
    caseload = caseload_from_hours(2400, 48)
    assert capacity_from_caseload(caseload, 31, 21) == pytest.approx(50 * 31 / 21)


@pytest.mark.parametrize(
    ("amount", "unit", "year", "month", "expected"),
    [
        (34, "month", 2023, 2, 34.0),  # B&D HSSS: 34 a month, whatever the month's length
        (82, "month", 2024, 2, 82.0),  # Havering HSSS in a leap February
        # B&D Home First, 2 a day Mon-Fri, on working days: May 2025 has 22 weekdays less
        # two bank holidays (Mon 5 and Mon 26 May) = 20
        (2, "weekday", 2025, 5, 40.0),
        (2, "weekday", 2026, 2, 40.0),  # February 2026: 20 weekdays, no bank holiday
        # December 2025: 23 weekdays less Christmas (Thu 25) and Boxing Day (Fri 26) = 21
        (2, "weekday", 2025, 12, 42.0),
        (10, "week", 2024, 2, 10 * 29 / 7),
        (80, "week", 2025, 10, 80 * 31 / 7),  # Essex reablement, 80 a week
    ],
)
def test_capacity_from_throughput(amount, unit, year, month, expected):
    assert capacity_from_throughput(amount, unit, year, month) == pytest.approx(expected)


def test_days_in_month_uses_calendar_days():
    assert [f.days_in_month(2024, m) for m in (1, 2, 4)] == [31, 29, 30]
    assert f.days_in_month(2023, 2) == 28
    assert f.days_in_month(2100, 2) == 28  # not a leap year


@pytest.mark.parametrize(
    ("count", "population", "expected"),
    [
        (162, 23953, 676.3),  # Thurrock, seeds/003_b1a42b2427f96421.txt:256-262
        (245, 57626, 425.2),  # Bromley: the report says 425.0 (DOMAIN.md §10 trap)
    ],
)
def test_rate_per_100k(count, population, expected):
    assert round(f.rate_per_100k(count, population), 1) == expected


def test_gap_and_utilisation():
    assert f.gap(82, 147) == -65  # Havering HSSS 2022/23: a shortfall of 65 a month
    assert f.utilisation(147, 82) == pytest.approx(147 / 82)
    assert math.isnan(f.utilisation(5, 0))  # undefined, never infinite
    np.testing.assert_allclose(f.gap(np.array([10.0, 5.0]), np.array([4.0, 9.0])), [6.0, -4.0])


def test_share_and_target_occupancy():
    assert f.share_of(100, 0.95) == pytest.approx(95)
    assert f.apply_target_occupancy(63.11, 0.92) == pytest.approx(63.11 * 0.92)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: capacity_from_caseload(20, 31, 0), "mean_los_days"),
        (lambda: capacity_from_caseload(20, 31, -5), "mean_los_days"),
        (lambda: capacity_from_caseload(-1, 31, 42), "caseload"),
        (lambda: capacity_from_caseload(float("nan"), 31, 42), "caseload"),
        (lambda: caseload_from_hours(-10, 40), "hours_per_month"),
        (lambda: caseload_from_hours(100, 0), "hours_per_package_per_month"),
        (lambda: capacity_from_throughput(2, "fortnight", 2025, 5), "throughput_unit"),
        (lambda: capacity_from_throughput(-2, "week", 2025, 5), "throughput"),
        (lambda: f.share_of(10, 1.5), "share"),
        (lambda: f.share_of(10, -0.1, "hospital_share"), "hospital_share"),
        (lambda: f.apply_target_occupancy(10, 0), "target_occupancy"),
        (lambda: f.apply_target_occupancy(10, 1.2), "target_occupancy"),
    ],
)
def test_invalid_inputs_raise_value_error_naming_the_field(call, field):
    with pytest.raises(ValueError, match=field) as caught:
        call()
    assert isinstance(caught.value, InvalidInput)
    assert caught.value.field == field


def test_array_errors_point_at_the_first_bad_row():
    with pytest.raises(InvalidInput) as caught:
        capacity_from_caseload(np.array([1.0, 2.0, 3.0]), 30, np.array([10.0, 0.0, -1.0]))
    assert caught.value.index == 1
    named = caught.value.for_service("BHR D2A beds")
    assert "BHR D2A beds" in str(named) and "mean_los_days" in str(named)


def test_arrays_give_the_same_answers_as_scalars():
    caseloads = np.array([20.0, 57.0, 61.0])
    los = np.array([42.0, 28.0, 28.0])
    vector = capacity_from_caseload(caseloads, 31, los)
    scalars = [capacity_from_caseload(c, 31, d) for c, d in zip(caseloads, los, strict=True)]
    np.testing.assert_allclose(vector, scalars, rtol=0, atol=0)


def test_every_public_formula_takes_arrays_as_the_readme_says():
    # May 2025 has 20 working days (22 weekdays less two bank holidays) and 31 days:
    # worked out on a calendar, not by the code.
    np.testing.assert_allclose(
        capacity_from_throughput(np.array([2.0, 3.0]), "weekday", 2025, 5), [40.0, 60.0]
    )
    np.testing.assert_allclose(
        capacity_from_throughput(np.array([70.0, 0.0]), "week", 2025, 5), [310.0, 0.0]
    )
    np.testing.assert_allclose(
        caseload_from_hours(np.array([2400.0, 6000.0]), np.array([48.0, 40.0])), [50.0, 150.0]
    )
    np.testing.assert_allclose(
        capacity_from_caseload(np.array([20.0, 7.0]), np.array([31, 30]), 42), [620 / 42, 5.0]
    )


@pytest.mark.parametrize("amount", [np.array([2.0, -1.0, 3.0]), np.array([2.0, np.nan, 3.0])])
def test_an_array_of_throughputs_is_checked_element_by_element(amount):
    with pytest.raises(InvalidInput, match="throughput") as caught:
        capacity_from_throughput(amount, "week", 2025, 5)
    assert caught.value.index == 1


# -- properties ---------------------------------------------------------------

caseloads = st.floats(min_value=0, max_value=1e5, allow_nan=False)
positive = st.floats(min_value=0.01, max_value=1e4, allow_nan=False)
days = st.integers(min_value=28, max_value=31)
factors = st.floats(min_value=0, max_value=100, allow_nan=False)


@given(caseloads, days, positive, factors)
def test_capacity_is_linear_in_caseload(caseload, n_days, los, k):
    assert capacity_from_caseload(k * caseload, n_days, los) == pytest.approx(
        k * capacity_from_caseload(caseload, n_days, los), rel=1e-9, abs=1e-9
    )


@given(caseloads, days, positive)
def test_doubling_los_halves_capacity(caseload, n_days, los):
    assert capacity_from_caseload(caseload, n_days, 2 * los) == pytest.approx(
        capacity_from_caseload(caseload, n_days, los) / 2, rel=1e-12, abs=1e-12
    )


@given(caseloads, days, positive)
def test_capacity_is_never_negative(caseload, n_days, los):
    assert capacity_from_caseload(caseload, n_days, los) >= 0


@given(caseloads, days, st.floats(max_value=0, allow_nan=False, allow_infinity=False))
def test_non_positive_los_always_raises(caseload, n_days, los):
    with pytest.raises(InvalidInput, match="mean_los_days"):
        capacity_from_caseload(caseload, n_days, los)


@given(st.floats(min_value=-1e6, max_value=-1e-9), days, positive)
def test_negative_caseload_always_raises(caseload, n_days, los):
    with pytest.raises(InvalidInput, match="caseload"):
        capacity_from_caseload(caseload, n_days, los)


@given(st.floats(min_value=0, max_value=1e6, allow_nan=False), positive, positive)
def test_hours_caseload_scales_with_hours_and_inversely_with_package(hours, per_package, k):
    base = caseload_from_hours(hours, per_package)
    assert caseload_from_hours(hours * k, per_package) == pytest.approx(
        base * k, rel=1e-9, abs=1e-9
    )
    assert caseload_from_hours(hours, per_package * k) == pytest.approx(
        base / k, rel=1e-9, abs=1e-9
    )


@given(
    st.floats(min_value=0, max_value=1e4, allow_nan=False),
    st.integers(min_value=2000, max_value=2100),
    st.integers(min_value=1, max_value=12),
)
def test_throughput_units_convert_by_calendar(amount, year, month):
    n_days = f.days_in_month(year, month)
    assert capacity_from_throughput(amount, "month", year, month) == pytest.approx(amount)
    assert capacity_from_throughput(amount, "week", year, month) == pytest.approx(
        amount * n_days / 7
    )
    working_days = capacity_from_throughput(1, "weekday", year, month)
    first = date(year, month, 1)
    days = [first + timedelta(days=i) for i in range(n_days)]
    weekdays = sum(day.weekday() < 5 for day in days)
    bank_holidays = holidays.UnitedKingdom(subdiv="ENG", years=year)
    off = sum(day.weekday() < 5 and day in bank_holidays for day in days)
    # Monday to Friday less England's bank holidays: at most 3 in a month (April 2011:
    # Good Friday, Easter Monday and the royal wedding), so 18 to 23 working days.
    assert working_days == weekdays - off
    assert 18 <= working_days <= 23
    assert capacity_from_throughput(amount, "weekday", year, month) == pytest.approx(
        amount * working_days
    )


hours = st.floats(min_value=0, max_value=1e6, allow_nan=False)
amounts = st.floats(min_value=0, max_value=1e4, allow_nan=False)
negatives = st.floats(min_value=-1e6, max_value=-1e-9)
years = st.integers(min_value=2000, max_value=2100)
months = st.integers(min_value=1, max_value=12)
units = st.sampled_from(f.THROUGHPUT_UNITS)


@given(hours, positive)
def test_caseload_from_hours_is_never_negative(hours_per_month, per_package):
    assert caseload_from_hours(hours_per_month, per_package) >= 0


@given(negatives, positive)
def test_negative_hours_always_raise(hours_per_month, per_package):
    with pytest.raises(InvalidInput, match="hours_per_month"):
        caseload_from_hours(hours_per_month, per_package)


@given(hours, st.floats(max_value=0, allow_nan=False, allow_infinity=False))
def test_non_positive_hours_per_package_always_raise(hours_per_month, per_package):
    with pytest.raises(InvalidInput, match="hours_per_package_per_month"):
        caseload_from_hours(hours_per_month, per_package)


@given(amounts, units, years, months)
def test_throughput_capacity_is_never_negative(amount, unit, year, month):
    assert capacity_from_throughput(amount, unit, year, month) >= 0


@given(negatives, units, years, months)
def test_negative_throughput_always_raises(amount, unit, year, month):
    with pytest.raises(InvalidInput, match="throughput"):
        capacity_from_throughput(amount, unit, year, month)


@given(amounts, st.text().filter(lambda u: u not in f.THROUGHPUT_UNITS), years, months)
def test_an_unknown_throughput_unit_always_raises(amount, unit, year, month):
    with pytest.raises(InvalidInput, match="throughput_unit"):
        capacity_from_throughput(amount, unit, year, month)
