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

Student's t is worked here from its closed form for whole degrees of freedom (the only
kind a count of years gives) rather than through SciPy: the plan needs two numbers from
it, and SciPy's statistics package alone takes about half a second and 60 MB to load in
every app server. A fractional degree of freedom, which no plan makes, still goes to SciPy.
"""

from __future__ import annotations

import math

import numpy as np

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
    return t_quantile((1 + level) / 2, df)


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
        chance = t_above(z, df)
    flat = (spread == 0) & (n >= 2)
    return np.where(flat, (mean > threshold).astype(float), chance)


# -- Student's t for whole degrees of freedom ----------------------------------------------


def _whole(df: np.ndarray) -> bool:
    """True when every degree of freedom given is a whole number of at least one (or NaN)."""
    known = df[~np.isnan(df)]
    return bool(np.all((known >= 1) & (known == np.floor(known)) & np.isfinite(known)))


def _within(x: np.ndarray, k: int) -> np.ndarray:
    """P(|T| ≤ x) for x ≥ 0 and ``k`` degrees of freedom: the finite sums of the t
    distribution's closed form in θ = atan(x / √k), one for odd ``k`` and one for even."""
    theta = np.arctan(x / math.sqrt(k))
    cos2 = np.cos(theta) ** 2
    if k % 2:
        term = np.cos(theta)
        total = np.zeros_like(x) if k == 1 else term.copy()
        for j in range(1, (k - 1) // 2):
            term = term * (2 * j) / (2 * j + 1) * cos2
            total = total + term
        return 2 / math.pi * (theta + np.sin(theta) * total)
    term = np.ones_like(x)
    total = term.copy()
    for j in range(1, k // 2):
        term = term * (2 * j - 1) / (2 * j) * cos2
        total = total + term
    return np.sin(theta) * total


def t_above(z: np.ndarray, df: np.ndarray) -> np.ndarray:
    """P(T > z) for Student's t with ``df`` degrees of freedom (NaN where either is NaN)."""
    z, df = np.broadcast_arrays(np.asarray(z, float), np.asarray(df, float))
    if not _whole(df):
        from scipy import stats  # only a fractional degree of freedom needs SciPy

        return np.asarray(stats.t.sf(z, df), float)
    out = np.full(z.shape, np.nan)
    for k in np.unique(df[~np.isnan(df)]).astype(int):
        at = (df == k) & ~np.isnan(z)
        inside = _within(np.abs(z[at]), int(k))
        out[at] = np.where(z[at] >= 0, (1 - inside) / 2, (1 + inside) / 2)
    return out


def t_quantile(p: float, df: np.ndarray) -> np.ndarray:
    """The value Student's t with ``df`` degrees of freedom falls below with chance ``p``
    (0.5 < p < 1), found by halving an interval of θ = atan(t / √df) until it stops
    shrinking (a few dozen steps; there are at most a handful of distinct ``df``)."""
    if not 0.5 < p < 1:
        raise ValueError(f"a quantile above the middle needs 0.5 < p < 1 (got {p})")
    df = np.asarray(df, float)
    if not _whole(df):
        from scipy import stats  # only a fractional degree of freedom needs SciPy

        return np.asarray(stats.t.ppf(p, df), float)
    out = np.full(df.shape, np.nan)
    for k in np.unique(df[~np.isnan(df)]).astype(int):
        out[df == k] = _quantile_one(p, int(k))
    return out


def _quantile_one(p: float, k: int) -> float:
    """t with P(T ≤ t) = p for ``k`` degrees of freedom (closed forms for 1 and 2)."""
    if k == 1:
        return math.tan(math.pi * (p - 0.5))
    if k == 2:
        return (2 * p - 1) / math.sqrt(2 * p * (1 - p))
    target = 2 * p - 1  # P(|T| ≤ t)
    low, high = 0.0, math.pi / 2
    while True:
        middle = (low + high) / 2
        if middle in (low, high):
            return math.sqrt(k) * math.tan(middle)
        inside = float(_within(np.array([math.sqrt(k) * math.tan(middle)]), k)[0])
        if inside < target:
            low = middle
        else:
            high = middle
