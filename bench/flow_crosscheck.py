"""Set the simulated flow beside the closed forms, in steady state, for a few services.

    python3 bench/flow_crosscheck.py [--replications N] [--years N] [--seeds N]

Each case has steady arrivals, places and stay; the simulation starts at the
mean occupancy and its first 200 days (and last 200, whose waits run into the
run-out) are left out. Printed per case: the chance of waiting (simulated, and
Erlang C) and the gap between them in percentage points, the mean wait
(simulated, and M/M/c scaled by (1 + CV²) ÷ 2), mean occupancy against the
offered load, and Little's law (mean queue against arrivals × mean wait).

With ``--seeds N`` (N > 1) each case is run again with seeds 1 to N and the
gap's mean, smallest and largest are printed too: with long stays a few years
hold few independent busy spells, so one run's gap moves with the seed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from capacity.flow import queueing  # noqa: E402
from capacity.flow.inputs import FlowInputs  # noqa: E402
from capacity.flow.simulation import simulate  # noqa: E402

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
SKIP_DAYS = 200


def case_figures(
    places: int, load: float, stay: float, cv: float, days: int, replications: int, seed: int
) -> dict[str, float]:
    """One steady case simulated with one seed: chance of waiting, mean wait, occupancy, queue."""
    dates = np.arange(np.datetime64("2025-04-01"), np.datetime64("2025-04-01") + days)
    inputs = FlowInputs(
        dates=dates,
        arrivals_per_day=np.full(days, load / stay),
        caseload=np.full(days, float(places)),
        mean_los_days=np.full(days, float(stay)),
        los_cv=cv,
        in_service_today=int(load),
    )
    sim = simulate(inputs, replications, seed=seed)
    keep = slice(SKIP_DAYS, days - SKIP_DAYS)
    arrivals = sim.arrivals[keep].sum()
    wait = sim.wait_days[keep].sum() / arrivals
    return {
        "chance": sim.waited[keep].sum() / arrivals,
        "wait": wait,
        "occupancy": sim.occupancy[keep].mean(),
        "queue": sim.waiting[keep].mean(),
        "little": sim.arrivals[keep].mean() * wait,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=400)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument(
        "--seeds",
        type=int,
        default=1,
        help="run each case with seeds 1 to N and show the gap's spread",
    )
    args = parser.parse_args()
    days = 365 * args.years
    print(
        "places  load  stay   CV | P(wait) sim  Erlang C  gap (points) | wait sim  formula "
        "(days) | occupancy  load | queue  λ×wait"
    )
    gaps = {}
    for places, load, stay, cv in CASES:
        got = case_figures(places, load, stay, cv, days, args.replications, seed=1)
        erlang = queueing.erlang_c(places, load)
        formula = queueing.mgc_mean_wait_days(places, load, stay, cv)
        print(
            f"{places:>6} {load:>5g} {stay:>5g} {cv:>4g} | {got['chance']:>11.3f} "
            f"{erlang:>9.3f} {100 * (erlang - got['chance']):>13.1f} | {got['wait']:>8.2f} "
            f"{formula:>15.2f} | {got['occupancy']:>9.2f} {load:>5g} | {got['queue']:>5.2f} "
            f"{got['little']:>7.2f}"
        )
        gaps[places, load, stay, cv] = [
            100
            * (
                erlang
                - case_figures(places, load, stay, cv, days, args.replications, seed=seed)["chance"]
            )
            for seed in range(2, args.seeds + 1)
        ] + [100 * (erlang - got["chance"])]
    if args.seeds > 1:
        print(f"\nGap (Erlang C − simulated, points) over seeds 1 to {args.seeds}:")
        print("places  load  stay   CV |  mean  smallest  largest")
        for (places, load, stay, cv), values in gaps.items():
            print(
                f"{places:>6} {load:>5g} {stay:>5g} {cv:>4g} | {np.mean(values):>5.1f} "
                f"{min(values):>9.1f} {max(values):>8.1f}"
            )


if __name__ == "__main__":
    main()
