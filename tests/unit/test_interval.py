"""The projection's uncertainty: a known trend and spread recovered, and the 80% interval
covering about 80% of next years drawn from a known distribution."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from capacity.demand import project_demand
from capacity.demand_settings import DemandSetting, fitted_line
from capacity.interval import (
    NO_INTERVAL,
    bounds,
    chance_above,
    prediction_spread,
    t_above,
    t_multiplier,
    t_quantile,
)

FIRST = pd.Timestamp("2022-04-01")


def history_frame(values: np.ndarray, first_year: int = 2022) -> tuple[pd.DataFrame, pd.DataFrame]:
    """History of one service type at many places: ``values[place, year, month]`` referrals,
    months from April of ``first_year``; and each place's coverage."""
    places, years, _ = values.shape
    months = pd.date_range(pd.Timestamp(first_year, 4, 1), periods=12 * years, freq="MS")
    rows = [
        {
            "place_code": f"P{p:03d}",
            "service_type": "reablement_home",
            "service_id": None,
            "source": "hospital",
            "month": month,
            "referrals": float(values[p, i // 12, i % 12]),
        }
        for p in range(places)
        for i, month in enumerate(months)
    ]
    cover = pd.DataFrame(
        {
            "place_code": [f"P{p:03d}" for p in range(places)],
            "first_month": months[0],
            "last_month": months[-1],
        }
    )
    return pd.DataFrame(rows), cover


def test_t_multipliers_are_the_tabled_values():
    # Student's t, 90th percentile: 3.078 with 1 degree of freedom, 1.886 with 2.
    assert t_multiplier(np.array([2, 3])) == pytest.approx([3.0777, 1.8856], abs=1e-4)
    assert np.isnan(t_multiplier(np.array([1]))[0])


def test_interval_worked_by_hand():
    # Three Decembers of 90, 100 and 110: mean 100, s = 10, spread 10 × √(4/3) = 11.547,
    # 80% interval 100 ± 1.8856 × 11.547 = 78.23 to 121.77.
    spread = prediction_spread(np.array([10.0]), np.array([3]))
    assert spread[0] == pytest.approx(11.5470, abs=1e-4)
    low, high = bounds(np.array([100.0]), spread, np.array([3]))
    assert (low[0], high[0]) == pytest.approx((78.227, 121.773), abs=1e-3)


def test_low_end_is_clipped_at_zero():
    low, high = bounds(np.array([2.0]), np.array([5.0]), np.array([3]))
    assert low[0] == 0 and high[0] == pytest.approx(2 + 1.8856 * 5, abs=1e-3)


def test_chance_of_a_shortfall():
    mean, spread, n = np.array([100.0] * 3), np.array([10.0] * 3), np.array([3] * 3)
    capacity = np.array([100.0, 100 + 1.8856 * 10, 100 - 1.8856 * 10])
    assert chance_above(mean, spread, n, capacity) == pytest.approx([0.5, 0.1, 0.9], abs=1e-3)
    # One year: no chance can be stated; every year the same: certain either way.
    assert np.isnan(
        chance_above(np.array([100.0]), np.array([np.nan]), np.array([1]), np.array([90.0]))[0]
    )
    assert list(
        chance_above(
            np.array([100.0, 100.0]),
            np.array([0.0, 0.0]),
            np.array([3, 3]),
            np.array([90.0, 110.0]),
        )
    ) == [1.0, 0.0]


def test_one_year_gives_no_interval_rather_than_a_band_of_width_zero():
    values = np.full((1, 1, 12), 40.0)
    history, cover = history_frame(values, 2024)
    projection, _ = project_demand(history, cover, 2025, 1)
    assert projection["demand"].eq(40).all()
    assert projection["demand_spread"].isna().all()
    assert (projection["years_in_month"] == 1).all()
    assert "no interval" in NO_INTERVAL


def test_fitted_line_recovers_a_known_slope_through_noise():
    rng = np.random.default_rng(7)
    years = list(range(2000, 2040))
    values = [50 + 4 * (y - 2000) + rng.normal(0, 3) for y in years]
    _, slope = fitted_line(years, values)
    # The slope's standard error is 3 / √(Σ(y − ȳ)²) ≈ 0.026: well inside 0.1.
    assert slope == pytest.approx(4, abs=0.1)


def test_trend_and_spread_recovered_from_a_known_series():
    # 300 places, each month 100 + 10 a year from April 2022 (100, 110, 120) plus noise of
    # standard deviation 3. The fitted trend carries each year to 2025 (130) by the ratios
    # 130/100, 130/110 and 130/120; what is left is the noise, scaled by those ratios, so
    # spread² ÷ (1 + 1/3) averages to 3² × (1.3² + 1.1818² + 1.0833²) / 3 = 9 × 1.4201 = 12.78.
    rng = np.random.default_rng(11)
    level = 100 + 10 * np.arange(3)[None, :, None]
    values = level + rng.normal(0, 3, size=(300, 3, 12))
    history, cover = history_frame(values)
    trend = {(None, None): DemandSetting(3, "trend", 0.0)}
    projection, _ = project_demand(history, cover, 2025, settings=trend)
    assert projection["demand"].mean() == pytest.approx(130, abs=0.5)
    variance = (projection["demand_spread"] ** 2 / (1 + 1 / 3)).mean()
    assert variance == pytest.approx(12.78, rel=0.1)
    # Without growth the trend itself spreads the years apart (variance 100 more).
    flat, _ = project_demand(history, cover, 2025, 3)
    assert flat["demand"].mean() == pytest.approx(110, abs=0.5)
    assert (flat["demand_spread"] ** 2 / (1 + 1 / 3)).mean() > 100


def test_trend_with_a_noise_free_line_projects_the_line():
    values = (100 + 10 * np.arange(3))[None, :, None] * np.ones((1, 3, 12))
    history, cover = history_frame(values)
    projection, _ = project_demand(
        history, cover, 2025, settings={(None, None): DemandSetting(3, "trend", 0.0)}
    )
    assert projection["demand"].to_numpy() == pytest.approx(np.full(12, 130.0))


def test_trend_with_fewer_than_three_years_applies_no_growth_and_says_so():
    values = (100 + 10 * np.arange(2))[None, :, None] * np.ones((1, 2, 12))
    history, cover = history_frame(values, 2023)
    projection, _ = project_demand(
        history, cover, 2025, settings={(None, None): DemandSetting(3, "trend", 0.0)}
    )
    assert projection["demand"].to_numpy() == pytest.approx(np.full(12, 105.0))
    assert "needs 3 years" in projection["demand_basis"].iloc[0]


@pytest.mark.parametrize("years", [2, 3])
def test_the_80_percent_interval_covers_about_80_percent_of_next_years(years):
    # 400 places × 12 months, each month's years and the year after drawn from N(200, 15²):
    # 4,800 intervals, so the share covering next year has a standard error of 0.6 points.
    rng = np.random.default_rng(2025 + years)
    draws = rng.normal(200, 15, size=(400, years + 1, 12))
    history, cover = history_frame(draws[:, :years, :], 2025 - years)
    projection, _ = project_demand(history, cover, 2025, years)
    low, high = bounds(
        projection["demand"].to_numpy(float),
        projection["demand_spread"].to_numpy(float),
        projection["years_in_month"].to_numpy(int),
    )
    # The projection's rows run place by place, April to March: the same order as the draws.
    actual = draws[:, years, :].reshape(-1)
    inside = (low <= actual) & (actual <= high)
    assert 0.77 <= inside.mean() <= 0.83


# -- Student's t worked in closed form (no SciPy at plan time) --------------------------


def test_chance_above_matches_the_t_distribution_worked_by_hand():
    # df 1 (Cauchy): P(T > 1) = 1/2 − atan(1)/π = 1/4.
    # df 2: P(T > 1) = 1/2 − 1 / (2√3).
    # df 3, z = √3: θ = π/4, P(|T| ≤ z) = (2/π)(θ + sin θ cos θ) = 1/2 + 1/π.
    # df 4, z = 2: θ = π/4, P(|T| ≤ z) = sin θ (1 + cos² θ / 2) = (√2/2)(5/4).
    z = np.array([1.0, 1.0, math.sqrt(3), 2.0])
    df = np.array([1.0, 2.0, 3.0, 4.0])
    expected = [
        0.25,
        0.5 - 1 / (2 * math.sqrt(3)),
        (1 - (0.5 + 1 / math.pi)) / 2,
        (1 - math.sqrt(2) / 2 * 1.25) / 2,
    ]
    assert t_above(z, df) == pytest.approx(expected, abs=1e-15)
    assert t_above(-z, df) == pytest.approx([1 - e for e in expected], abs=1e-15)


def test_t_multipliers_are_exact_for_one_and_two_degrees_of_freedom():
    # 80%: t(0.9, 1) = tan(0.4π); t(0.9, 2) = 0.8 / √(2 × 0.9 × 0.1).
    got = t_quantile(0.9, np.array([1.0, 2.0, np.nan]))
    assert got[:2] == pytest.approx([math.tan(0.4 * math.pi), 0.8 / math.sqrt(0.18)], rel=1e-15)
    assert np.isnan(got[2])


@pytest.mark.parametrize("df", [3, 4, 5, 9, 10, 29, 30])
@pytest.mark.parametrize("p", [0.6, 0.9, 0.95, 0.975, 0.999])
def test_a_quantile_is_where_the_chance_above_it_is_one_minus_p(df, p):
    t = t_quantile(p, np.array([float(df)]))
    assert t_above(t, np.array([float(df)]))[0] == pytest.approx(1 - p, rel=1e-12)


def test_the_closed_form_agrees_with_scipy_for_whole_degrees_of_freedom():
    from scipy import stats

    z = np.concatenate([np.linspace(-40, 40, 801), [np.inf, -np.inf, np.nan]])
    for df in range(1, 31):
        dfs = np.full(z.shape, float(df))
        np.testing.assert_allclose(t_above(z, dfs), stats.t.sf(z, df), rtol=0, atol=1e-12)
        for p in (0.55, 0.9, 0.975):
            assert t_quantile(p, np.array([float(df)]))[0] == pytest.approx(
                stats.t.ppf(p, df), rel=1e-12
            )


def test_a_fractional_degree_of_freedom_is_still_answered():
    from scipy import stats

    assert t_above(np.array([1.0]), np.array([2.5]))[0] == pytest.approx(stats.t.sf(1.0, 2.5))
    assert t_quantile(0.9, np.array([2.5]))[0] == pytest.approx(stats.t.ppf(0.9, 2.5))


def test_a_quantile_below_the_middle_is_refused():
    with pytest.raises(ValueError, match="0.5 < p < 1"):
        t_quantile(0.4, np.array([2.0]))
