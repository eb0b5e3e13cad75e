"""Closed-form queueing results for a service with a fixed number of places.

People arrive at random (a Poisson stream of ``arrivals_per_day``), each stays
``mean_los_days`` on average, and the service has ``servers`` places (beds,
packages, slots). The *offered load* is ``arrivals_per_day × mean_los_days``,
in places: by Little's law it is the mean occupancy the service would have if
nobody ever had to wait.

- With unlimited places, occupancy is Poisson with mean = offered load, for
  any distribution of the length of stay (the M/G/∞ queue), so
  :func:`poisson_quantile` gives the occupancy that 95% of days stay under.
- With ``servers`` places and exponential stays (M/M/c), Erlang's C formula
  gives the chance that an arrival finds every place taken and waits
  (:func:`erlang_c`), and the mean wait follows (:func:`mmc_mean_wait_days`).
  For other stay distributions the chance of waiting stays close to Erlang C
  and the mean wait scales by (1 + CV²) ÷ 2 (:func:`mgc_mean_wait_days`, the
  Lee–Longton approximation).

Every function takes numbers or numpy arrays. Erlang C is computed through the
Erlang B recursion, which stays between 0 and 1 at every step, so it neither
overflows nor loses precision however large the service. Inputs must be
finite: an infinite or missing (NaN) load, stay or number of places raises
:class:`InvalidInput` rather than looping for ever or overflowing. With no
arrivals nobody waits, whatever the number of places (none included).
"""

from __future__ import annotations

import numpy as np

from capacity.formulas import InvalidInput, check_non_negative, check_positive

# Far beyond any one service or pathway; the Erlang recursions take a step per place, so a
# slip of the keyboard (a billion places) would otherwise run for hours.
MAX_SIZE = 20_000


def _finite(field: str, value) -> np.ndarray:
    """The value as a float array if every element is finite; else raise naming ``field``."""
    values = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(values)):
        bad = values.ravel()[np.flatnonzero(~np.isfinite(values.ravel()))[0]]
        raise InvalidInput(field, float(bad), "a finite number")
    return values


def _non_negative(field: str, value) -> np.ndarray:
    """A finite number (or array) ≥ 0 and at most ``MAX_SIZE``, as floats; else raise naming
    ``field``."""
    values = _finite(field, check_non_negative(field, value))
    if (values > MAX_SIZE).any():
        raise InvalidInput(
            field,
            float(values.max()),
            f"at most {MAX_SIZE:,} (the formulas step through every place one by one)",
        )
    return values


def _whole_servers(servers) -> np.ndarray:
    values = _non_negative("servers", servers)
    if not np.all(values == np.floor(values)):
        raise InvalidInput("servers", float(values.ravel()[0]), "a whole number")
    return values.astype(np.int64)


def _result(value: np.ndarray, *inputs) -> float | np.ndarray:
    return float(value) if all(np.ndim(i) == 0 for i in inputs) else value


def erlang_b(servers, offered_load) -> float | np.ndarray:
    """Erlang's B formula: the chance that all ``servers`` are busy, with no queue (M/M/c/c).

    Computed by the recursion B(0) = 1, B(k) = a·B(k−1) ÷ (k + a·B(k−1)).
    ``offered_load`` a = arrivals per day × mean length of stay (≥ 0).
    """
    c = _whole_servers(servers)
    a = _non_negative("offered_load", offered_load)
    c, a = np.broadcast_arrays(c, a)
    b = np.ones(a.shape)
    out = np.ones(a.shape)
    for k in range(1, int(c.max(initial=0)) + 1):
        b = a * b / (k + a * b)
        out = np.where(c == k, b, out)
    return _result(out, servers, offered_load)


def erlang_c(servers, offered_load) -> float | np.ndarray:
    """Erlang's C formula: the chance an arrival has to wait in an M/M/c queue.

    C = c·B ÷ (c − a·(1 − B)), with B from :func:`erlang_b`. With no spare
    capacity (a ≥ c) every arrival eventually waits, so C = 1; with no
    arrivals (a = 0) nobody waits, so C = 0, even with no places. Example: two
    places and an offered load of 1 give C = 1/3.
    """
    c = _whole_servers(servers)
    a = _non_negative("offered_load", offered_load)
    c, a = np.broadcast_arrays(c, a)
    b = np.asarray(erlang_b(c, a), dtype=float)
    stable = a < c
    with np.errstate(divide="ignore", invalid="ignore"):
        value = c * b / (c - a * (1 - b))
    out = np.where(stable, value, 1.0)
    out = np.where(a == 0, 0.0, out)
    return _result(out, servers, offered_load)


def mmc_mean_wait_days(servers, offered_load, mean_los_days) -> float | np.ndarray:
    """Mean wait in days of all arrivals in an M/M/c queue: C × LoS ÷ (c − a).

    Infinite when a ≥ c > 0 or a > c = 0: with no spare capacity the queue
    grows without end. Zero with no arrivals (a = 0), even with no places.
    """
    c = _whole_servers(servers)
    a = _non_negative("offered_load", offered_load)
    los = _finite("mean_los_days", check_positive("mean_los_days", mean_los_days))
    c, a, los = np.broadcast_arrays(c, a, los)
    chance = np.asarray(erlang_c(c, a), dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        wait = np.where(a < c, chance * los / (c - a), np.inf)
    wait = np.where(a == 0, 0.0, wait)
    return _result(wait, servers, offered_load, mean_los_days)


def mgc_mean_wait_days(servers, offered_load, mean_los_days, los_cv) -> float | np.ndarray:
    """Approximate mean wait for stays of any spread: the M/M/c wait × (1 + CV²) ÷ 2.

    ``los_cv`` is the coefficient of variation of the length of stay (standard
    deviation ÷ mean); CV = 1 (exponential stays) gives the M/M/c wait itself.
    """
    cv = _non_negative("los_cv", los_cv)
    wait = np.asarray(mmc_mean_wait_days(servers, offered_load, mean_los_days), dtype=float)
    return _result(wait * (1 + cv**2) / 2, servers, offered_load, mean_los_days, los_cv)


def servers_for_wait_probability(offered_load, target: float) -> float | np.ndarray:
    """The fewest places that keep the Erlang C chance of waiting at or below ``target``.

    ``target`` is a probability strictly between 0 and 1 (0.05 for 5%). With
    no arrivals no places are needed. Searched upwards from the offered load
    with the Erlang B recursion, for every load at once.
    """
    if not 0 < float(target) < 1:
        raise InvalidInput("target", target, "a probability above 0 and below 1")
    a = _non_negative("offered_load", offered_load)
    flat = a.ravel()
    found = np.where(flat == 0, 0, -1).astype(np.int64)
    b = np.ones(flat.shape)
    k = 0
    while (found < 0).any():
        k += 1
        b = flat * b / (k + flat * b)
        with np.errstate(divide="ignore", invalid="ignore"):
            chance = np.where(flat < k, k * b / (k - flat * (1 - b)), 1.0)
        found = np.where((found < 0) & (chance <= target), k, found)
    return _result(found.reshape(a.shape).astype(float), offered_load)


def poisson_quantile(mean, q: float) -> float | np.ndarray:
    """The smallest whole k with P(X ≤ k) ≥ q for X ~ Poisson(mean).

    For a service with unlimited places this is the occupancy that a share
    ``q`` of days stay at or under ("unrestricted capacity"). Probabilities are
    summed in log space, so large means do not underflow.
    """
    if not 0 < float(q) < 1:
        raise InvalidInput("q", q, "a probability above 0 and below 1")
    m = _non_negative("mean", mean)
    flat = m.ravel()
    top = int(np.ceil(flat.max(initial=0) + 12 * np.sqrt(flat.max(initial=0)) + 30))
    k = np.arange(top + 1, dtype=float)
    log_factorial = np.concatenate([[0.0], np.cumsum(np.log(k[1:]))])
    with np.errstate(divide="ignore", invalid="ignore"):
        log_pmf = k[None, :] * np.log(flat)[:, None] - flat[:, None] - log_factorial[None, :]
    log_pmf = np.where(flat[:, None] == 0, np.where(k[None, :] == 0, 0.0, -np.inf), log_pmf)
    cdf = np.cumsum(np.exp(log_pmf), axis=1)
    # A relative slack of 1e-12 stops rounding in the sum from moving a quantile that
    # sits exactly on a step of the distribution.
    index = np.argmax(cdf >= q * (1 - 1e-12), axis=1)
    return _result(index.reshape(m.shape).astype(float), mean)
