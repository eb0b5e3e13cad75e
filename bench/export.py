"""Time the exports: workbooks, the zip of workbooks, CSV and chart images, from a plan in hand.

    python3 bench/export.py [--repeats N]

Builds a demo database in a temporary folder and the plan for every place in
2025-26 once, then times :func:`capacity.export.export_bytes` for each format
and prints the median, fastest and slowest of the repetitions. The first chart
image also starts the browser, so it is timed on its own.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from capacity import __version__  # noqa: E402
from capacity.demo import build_demo_database  # noqa: E402
from capacity.export import ExportInfo, export_bytes, scope_for, stop_renderer  # noqa: E402
from capacity.plan import plan_for_all  # noqa: E402
from capacity.store import Store  # noqa: E402


def timed_ms(action) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "demo.duckdb"
        build_demo_database(db)
        with Store.open(db, read_only=True) as store:
            frame = plan_for_all(store, 2025)
            places = store.query("places")
            info = ExportInfo(
                2025,
                None,
                datetime.now(),
                __version__,
                store.query("service_types"),
                store.query("service_type_labels"),
            )
    havering, bhr = scope_for(places, ["E09000016"]), scope_for(places, ["BHR"])
    first = timed_ms(lambda: export_bytes("png", frame, havering, info))
    print(f"first chart image (starts the browser): {first:,.0f} ms")
    cases = {
        "workbook, one place (Havering)": ("xlsx", havering),
        "workbook, one system (BHR: 3 places and a total)": ("xlsx", bhr),
        "zip, one workbook per BHR place": ("zip", bhr),
        "CSV, one place": ("csv", havering),
        "PNG chart, 2400 × 1200 px": ("png", havering),
        "SVG chart": ("svg", havering),
    }
    for label, (fmt, scope) in cases.items():
        times = [
            timed_ms(lambda f=fmt, s=scope: export_bytes(f, frame, s, info))
            for _ in range(args.repeats)
        ]
        print(
            f"{label:<52} median {statistics.median(times):7,.0f} ms "
            f"({min(times):,.0f}–{max(times):,.0f}, {args.repeats} runs)"
        )
    stop_renderer()


if __name__ == "__main__":
    main()
