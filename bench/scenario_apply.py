"""Time applying a scenario and rebuilding a plan from the prepared inputs (no store reads).

    python3 bench/scenario_apply.py [--repeats N]

Builds a demo database in a temporary folder, prepares the plan once (that
step reads referrals), then times :func:`capacity.scenarios.applying.apply` followed by
:func:`capacity.plan.compute` for one place, one system and every place, and
prints the median of the repetitions.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from capacity.demo import build_demo_database  # noqa: E402
from capacity.plan import compute, load_plan_inputs, prepare  # noqa: E402
from capacity.scenarios.applying import apply  # noqa: E402
from capacity.scenarios.model import Change, Scenario  # noqa: E402
from capacity.store import Store  # noqa: E402

WINTER = Scenario(
    "Winter",
    (
        Change("demand_pct", 10, "2025-12", "2026-03"),
        Change("caseload_delta", 4, "2025-11", "2026-03", services=("bhr_rehab_beds",)),
        Change("absence_pct", 15, "2026-01", "2026-01"),
    ),
)


def median_ms(action, repeats: int) -> tuple[float, float, float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), min(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "demo.duckdb"
        build_demo_database(db)
        with Store.open(db, read_only=True) as store:
            places = store.query("places")
            everywhere = list(places.loc[places["kind"] != "system", "place_code"])
            scopes = {
                "one place (Havering)": ["E09000016"],
                "one system (BHR, 3 places)": ["E09000002", "E09000016", "E09000026"],
                f"every place ({len(everywhere)})": everywhere,
            }
            for label, codes in scopes.items():
                prepared = prepare(load_plan_inputs(store, codes, 2025))
                compute(apply(prepared, WINTER))
                med, low, high = median_ms(
                    lambda p=prepared: compute(apply(p, WINTER)), args.repeats
                )
                print(
                    f"apply scenario + rebuild plan, {label}: median {med:.1f} ms "
                    f"(range {low:.1f}–{high:.1f}) over {args.repeats} runs"
                )


if __name__ == "__main__":
    main()
