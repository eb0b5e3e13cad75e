"""Time a widget change to the new page, server side, with Streamlit's AppTest.

Runs the app in this process over a demo database, opens the Place page, and
times each rerun after the sidebar's place or planning year changes: the whole
script, including reading the cache, building the figures and serialising
them. Prints the median and the range over several changes.

    python3 bench/app_rerun.py [--repeats N]
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

from streamlit.testing.v1 import AppTest  # noqa: E402

from capacity import config  # noqa: E402
from capacity.demo import build_demo_database  # noqa: E402
from pages import page_path  # noqa: E402

PLACES = [
    "E09000016",
    "E09000002",
    "E09000026",
    "E06000034",
    "E10000012",
    "E06000017",
    "E09000006",
    "BHR",
]


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "demo.duckdb"
        build_demo_database(db)
        os.environ[config.DB_ENV] = str(db)
        app = AppTest.from_file(str(config.PROJECT_ROOT / "app.py"), default_timeout=120)
        app.query_params["year"] = "2025"
        app.run()
        app.switch_page(page_path("place")).run()
        place_times = []
        for _ in range(args.repeats):
            for code in PLACES:
                place_times.append(
                    timed(lambda c=code: app.sidebar.selectbox(key="place").select(c).run())
                )
        year_times = []
        for year in (2024, 2023, 2026):
            year_times.append(
                timed(lambda y=year: app.sidebar.selectbox(key="year").select(y).run())
            )
        assert not app.exception, app.exception
    report("place changed (plan cached)", place_times)
    report("planning year changed (plan rebuilt for every place)", year_times)


def report(what: str, times: list[float]) -> None:
    print(
        f"{what}: median {statistics.median(times):.0f} ms, "
        f"range {min(times):.0f}–{max(times):.0f} ms over {len(times)} changes"
    )


if __name__ == "__main__":
    main()
