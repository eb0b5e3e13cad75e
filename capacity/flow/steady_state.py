"""The analytical method: each day in steady state, by the closed forms of :mod:`.queueing`.

Each day is taken on its own as if its arrivals, places and stay lasted for
ever: Poisson occupancy with unlimited places, Erlang C for the chance of
waiting and the Lee–Longton mean wait. Exact for steady state with
exponential stays; silent about queues that are already there or that grow
when demand exceeds capacity.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from capacity.flow.inputs import FlowInputs, check, check_target
from capacity.flow.queueing import (
    erlang_c,
    mgc_mean_wait_days,
    poisson_quantile,
    servers_for_wait_probability,
)

DEFAULT_TARGET = 0.05
OCCUPANCY_QUANTILE = 0.95


def analytical(inputs: FlowInputs, target: float = DEFAULT_TARGET) -> pd.DataFrame:
    """Each day in steady state: offered load, Erlang C, mean wait, places needed, Poisson 95th.

    Columns: offered_load (arrivals a day × mean stay), p_wait_erlang_c,
    wait_days_steady (Lee–Longton, infinite when demand exceeds places),
    queue_growth_per_day (arrivals beyond what the places can discharge),
    beds_needed (fewest whole places with Erlang C ≤ ``target``) and
    unrestricted_p95 (the occupancy 95% of days stay under with no limit).
    """
    check(inputs)
    check_target(target)
    arrivals = inputs.monthly_mean_arrivals
    los = np.asarray(inputs.mean_los_days, float)
    beds = inputs.beds
    load = arrivals * los
    # Days share a handful of distinct (places, load, stay) triples: compute each once.
    keys, index = np.unique(np.column_stack([beds, load, los]), axis=0, return_inverse=True)
    index = index.ravel()
    k_beds, k_load, k_los = keys[:, 0], keys[:, 1], keys[:, 2]
    chance = erlang_c(k_beds, k_load)
    wait = mgc_mean_wait_days(k_beds, k_load, k_los, inputs.los_cv)
    needed = servers_for_wait_probability(k_load, target)
    unrestricted = poisson_quantile(k_load, OCCUPANCY_QUANTILE)
    return pd.DataFrame(
        {
            "offered_load": load,
            "p_wait_erlang_c": np.asarray(chance)[index],
            "wait_days_steady": np.asarray(wait)[index],
            "queue_growth_per_day": np.maximum(arrivals - beds / los, 0.0),
            "beds_needed": np.asarray(needed)[index],
            "unrestricted_p95": np.asarray(unrestricted)[index],
        }
    )
