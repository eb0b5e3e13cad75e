"""Set the simulated flow beside the closed forms, in steady state, for a few services.

    python3 bench/flow_crosscheck.py [--replications N] [--years N]

Each case has steady arrivals, places and stay; the simulation starts at the
mean occupancy and its first 200 days (and last 200, whose waits run into the
run-out) are left out. Printed per case: the chance of waiting (simulated, and
Erlang C), the mean wait (simulated, and M/M/c scaled by (1 + CV²) ÷ 2), mean
occupancy against the offered load, and Little's law (mean queue against
arrivals × mean wait).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from capacity import queueing  # noqa: E402
from capacity.flow import FlowInputs, simulate  # noqa: E402

# (places, offered load, mean stay in days, coefficient of variation of stay)
CASES = [
    (2, 1.0, 20, 1.0),
    (5, 3.0, 14, 1.0),
    (10, 8.0, 10, 1.0),
    (10, 8.0, 30, 1.0),
    (20, 17.0, 42, 1.0),
    (20, 17.0, 42, 0.56),
    (30, 27.0, 28, 1.0),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=400)
    parser.add_argument("--years", type=int, default=3)
    args = parser.parse_args()
    days = 365 * args.years
    dates = np.arange(np.datetime64("2025-04-01"), np.datetime64("2025-04-01") + days)
    keep = slice(200, days - 200)
    print("places  load  stay  CV   | P(wait) sim  Erlang C | wait sim  formula (days) | "
          "occupancy  load | queue  λ×wait")
    for places, load, stay, cv in CASES:
        inputs = FlowInputs(dates=dates, arrivals_per_day=np.full(days, load / stay),
                            caseload=np.full(days, float(places)),
                            mean_los_days=np.full(days, float(stay)), los_cv=cv,
                            in_service_today=int(load))
        sim = simulate(inputs, args.replications, seed=1)
        arrivals = sim.arrivals[keep].sum()
        chance = sim.waited[keep].sum() / arrivals
        wait = sim.wait_days[keep].sum() / arrivals
        formula = queueing.mgc_mean_wait_days(places, load, stay, cv)
        print(f"{places:>6} {load:>5g} {stay:>5g} {cv:>4g} | {chance:>11.3f} "
              f"{queueing.erlang_c(places, load):>9.3f} | {wait:>8.2f} {formula:>15.2f} | "
              f"{sim.occupancy[keep].mean():>9.2f} {load:>5g} | {sim.waiting[keep].mean():>5.2f} "
              f"{sim.arrivals[keep].mean() * wait:>7.2f}")


if __name__ == "__main__":
    main()
