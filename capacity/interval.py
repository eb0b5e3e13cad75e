"""How sure the demand projection is: a prediction interval and the chance of a shortfall.

Each month's projection is the mean of that calendar month over ``n`` window
years (after growth). Treating those ``n`` yearly figures as draws from one
normal distribution, next year's figure differs from their mean ``m`` by a
Student's t variable with ``n − 1`` degrees of freedom scaled by

    spread = s × √(1 + 1/n)           (s: the sample standard deviation of the n figures)

so the 80% prediction interval is ``m ± t(0.9, n − 1) × spread`` and the chance
that demand exceeds a capacity ``c`` is ``P(T > (c − m) / spread)``. With one
year there is no spread to measure: no interval, no chance (never a band of
width zero). Demand cannot be negative, so the lower bound is clipped at 0.

Where figures are added (two sources of a service, the places of a system) the
spreads are added too, as if the parts rose and fell together (a hard winter
reaches every place), with the fewest years among the parts: the band of a sum
is then never narrower than the truth.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

INTERVAL_LEVEL = 0.8
NO_INTERVAL = "no interval: one year of data"


def prediction_spread(sd: np.ndarray, years: np.ndarray) -> np.ndarray:
    """s × √(1 + 1/n): the spread of next year's figure around the mean of ``years`` figures.

    NaN where ``years`` < 2 (one figure has no spread).
    """
    sd = np.asarray(sd, float)
    n = np.asarray(years, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n >= 2, sd * np.sqrt(1 + 1 / n), np.nan)


def t_multiplier(years: np.ndarray, level: float = INTERVAL_LEVEL) -> np.ndarray:
    """t((1 + level) / 2, n − 1): 3.08 for two years at 80%, 1.89 for three; NaN below two."""
    if not 0 < level < 1:
        raise ValueError(f"an interval's level must be between 0 and 1 (got {level})")
    n = np.asarray(years, float)
    df = np.where(n >= 2, n - 1, np.nan)
    return stats.t.ppf((1 + level) / 2, df)


def bounds(
    mean: np.ndarray, spread: np.ndarray, years: np.ndarray, level: float = INTERVAL_LEVEL
) -> tuple[np.ndarray, np.ndarray]:
    """The prediction interval (low clipped at 0, high); NaN where there is no interval."""
    half = t_multiplier(years, level) * np.asarray(spread, float)
    mean = np.asarray(mean, float)
    return np.maximum(mean - half, 0.0), mean + half


def chance_above(
    mean: np.ndarray, spread: np.ndarray, years: np.ndarray, threshold: np.ndarray
) -> np.ndarray:
    """The chance that next year's demand exceeds ``threshold`` (capacity), under the t model.

    With no spread at all (every year the same) the answer is 1 or 0; with
    fewer than two years it is NaN.
    """
    mean = np.asarray(mean, float)
    spread = np.asarray(spread, float)
    n = np.asarray(years, float)
    threshold = np.asarray(threshold, float)
    df = np.where(n >= 2, n - 1, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (threshold - mean) / spread
        chance = stats.t.sf(z, df)
    flat = (spread == 0) & (n >= 2)
    return np.where(flat, (mean > threshold).astype(float), chance)
