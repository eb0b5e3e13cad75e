"""Time the flow model for one service over a year, and a slider move on the Flow page.

    python3 bench/flow_speed.py [--repeats N] [--replications N] [--no-app]
                                [--places 100,500,2000] [--scale-only]

Builds a demo database in a temporary folder and sets up the BHR D2A nursing
beds (20 beds, 42-day stay, the BHR system) for 2025-26. Then times, each as
the median of the repetitions:

- the simulation alone (days × replications, first come first served);
- the steady-state formulas alone (Erlang C, places needed, Poisson 95th);
- a whole run: both, plus the day and month frames and the winter headline;
- the same from a later start day (24 November, 15 waiting), as the page
  runs it when today falls in the planning year;
- a what-if as the page does it: places added, a whole run, and the three
  figures built;
- a whole run of each BHR discharge pathway's modelled services pooled (P1:
  the two reablement services, 240 places; P2: the rehab and step-down
  beds, 64–68 places), and a P2 what-if as the page does it;
- the cost as the places grow: the D2A nursing beds and the pathway 1 pool
  scaled to 100, 500 and 2,000 places (``--places``), arrivals, places and
  people in the service at the start all multiplied alike, so the occupancy,
  stay and spread stay those of the demo (the people simulated grow with the
  places); ``--scale-only`` times only these;
- with AppTest (unless ``--no-app``): the Flow page's rerun, server side,
  after the extra-places slider moves to a value not seen before.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from capacity import config  # noqa: E402
from capacity.charts import (  # noqa: E402
    flow_occupancy_chart,
    flow_queue_chart,
    flow_wait_chart,
)
from capacity.demo import build_demo_database  # noqa: E402
from capacity.flow.inputs import FlowInputs, adjust, starting  # noqa: E402
from capacity.flow.results import run  # noqa: E402
from capacity.flow.simulation import simulate  # noqa: E402
from capacity.flow.steady_state import analytical  # noqa: E402
from capacity.store import Store  # noqa: E402
from capacity.views.flow import command_inputs  # noqa: E402


def timings(action, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        out.append((time.perf_counter() - start) * 1000)
    return out


def report(what: str, times: list[float]) -> None:
    print(
        f"{what}: median {statistics.median(times):.0f} ms "
        f"(range {min(times):.0f}–{max(times):.0f} ms over {len(times)} runs)"
    )


def what_if(inputs, extra: int, replications: int) -> None:
    result = run(adjust(inputs, extra_places=extra), replications=replications)
    flow_occupancy_chart(result.daily, "Occupancy")
    flow_queue_chart(result.daily, "Waiting", baseline=result.daily)
    flow_wait_chart(result.monthly, "Waits")


def slider_moves(db: Path, moves: list[int]) -> list[float]:
    from streamlit.testing.v1 import AppTest

    from pages import page_path

    os.environ[config.DB_ENV] = str(db)
    app = AppTest.from_file(str(config.PROJECT_ROOT / "app.py"), default_timeout=120)
    app.query_params["place"] = "BHR"
    app.query_params["year"] = "2025"
    app.run()
    app.switch_page(page_path("flow")).run()
    app.selectbox(key="flow_service").select("bhr_d2a_nursing").run()
    times = []
    for value in moves:
        start = time.perf_counter()
        app.slider(key="flow_extra").set_value(value).run()
        times.append((time.perf_counter() - start) * 1000)
    assert not app.exception, app.exception
    return times


def pathway_runs(db: Path, reps: int, repeats: int) -> None:
    """Time whole runs of BHR's pathways pooled, and a what-if on pathway 2."""
    with Store.open(db, read_only=True) as store:
        pools = {p: command_inputs(store, "BHR", None, p, 2025, None) for p in ("P1", "P2")}
    for pathway, pooled in pools.items():
        run(pooled, replications=reps)  # warm up
        report(
            f"pathway {pathway} pooled ({len(pooled.members)} services, "
            f"{int(pooled.beds.max())} places), whole run",
            timings(lambda p=pooled: run(p, replications=reps), repeats),
        )
    extras = iter(range(1, 10_000))
    report(
        "pathway P2 what-if: places added, whole run and three figures",
        timings(lambda: what_if(pools["P2"], next(extras) % 21, reps), repeats),
    )


def scaled(inputs: FlowInputs, places: int) -> FlowInputs:
    """The same service with ``places`` most places: arrivals, places and starting people
    multiplied alike, so occupancy, stay and its spread are unchanged."""
    factor = places / int(inputs.beds.max())
    mean = inputs.mean_arrivals_per_day
    return inputs.with_changes(
        arrivals_per_day=np.asarray(inputs.arrivals_per_day, float) * factor,
        mean_arrivals_per_day=None if mean is None else np.asarray(mean, float) * factor,
        caseload=np.asarray(inputs.caseload, float) * factor,
        in_service_today=round(inputs.in_service_today * factor),
        waiting_today=round(inputs.waiting_today * factor),
    )


def scale_bases(db: Path, one_service: FlowInputs) -> dict[str, FlowInputs]:
    """What the scaled rows start from: one service (the D2A nursing beds, 42-day stay) and
    BHR's pathway 1 pool (reablement, 28-day stay: more people for the same places)."""
    with Store.open(db, read_only=True) as store:
        pooled = command_inputs(store, "BHR", None, "P1", 2025, None)
    return {"D2A nursing": one_service, "pathway P1 pool": pooled}


def scale_runs(bases: dict[str, FlowInputs], places: list[int], reps: int, repeats: int) -> None:
    """Time the simulation and a whole run as the places grow, for each base service."""
    for name, base in bases.items():
        for count in places:
            inputs = scaled(base, count)
            people = float(np.sum(inputs.arrivals_per_day))
            run(inputs, replications=reps)  # warm up
            what = f"{name} at {count:,} places ({people:,.0f} arrivals a year)"
            report(f"{what}, simulation", timings(lambda i=inputs: simulate(i, reps), repeats))
            report(
                f"{what}, whole run",
                timings(lambda i=inputs: run(i, replications=reps), repeats),
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--replications", type=int, default=1000)
    parser.add_argument("--no-app", action="store_true", help="skip the AppTest slider timing")
    parser.add_argument(
        "--places", default="100,500,2000", help="places to scale to, comma-separated"
    )
    parser.add_argument(
        "--scale-only", action="store_true", help="time only the runs scaled to --places"
    )
    args = parser.parse_args()
    places = [int(value) for value in args.places.split(",") if value.strip()]
    reps = args.replications
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "demo.duckdb"
        build_demo_database(db)
        with Store.open(db, read_only=True) as store:
            inputs = command_inputs(store, "BHR", "bhr_d2a_nursing", None, 2025, None)
        print(
            f"{inputs.label}, 2025-26: {inputs.days} days, {reps:,} replications, "
            f"{int(inputs.beds.max())} places, {inputs.mean_los_days[0]:g}-day stay"
        )
        if args.scale_only:
            scale_runs(scale_bases(db, inputs), places, reps, args.repeats)
            return
        run(inputs, replications=reps)  # warm up
        report("simulation", timings(lambda: simulate(inputs, reps), args.repeats))
        report("steady-state formulas", timings(lambda: analytical(inputs), args.repeats))
        report(
            "whole run (simulation, formulas, frames, headlines)",
            timings(lambda: run(inputs, replications=reps), args.repeats),
        )
        later = starting(inputs, start="2025-11-24", in_service=20, waiting=15)
        report(
            "whole run from 24 November, 15 waiting",
            timings(lambda: run(later, replications=reps), args.repeats),
        )
        extras = iter(range(1, 10_000))
        report(
            "what-if: places added, whole run and three figures",
            timings(lambda: what_if(inputs, next(extras) % 21, reps), args.repeats),
        )
        pathway_runs(db, reps, args.repeats)
        scale_runs(scale_bases(db, inputs), places, reps, args.repeats)
        if not args.no_app:
            report(
                "Flow page rerun after the extra-places slider moves (AppTest, server side)",
                slider_moves(db, list(range(1, 21))),
            )


if __name__ == "__main__":
    main()
