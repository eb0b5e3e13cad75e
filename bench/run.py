"""The England-scale benchmark: one command, a table of medians with pandas ratios.

    python3 bench/run.py [--rows 10000000] [--reps 3] [--no-browser] [--update-docs]

It takes about six minutes on a 2-core machine.

Generates the synthetic England data set of ``bench/england.py`` (152 places
in 42 systems, every service type, three years, 10 million referrals,
effective-dated parameters with winter flex) in a temporary folder, then
times, as the median of ``--reps`` repetitions in this one run:

- importing the referral extract (screening, checking every row, loading in one
  transaction) into a fresh database;
- the monthly aggregation of all referrals; the plan frame for one place and
  for every place (with the systems' totals);
- applying a winter scenario to the prepared plan of every place;
- one BCF workbook, and one workbook for every place (a zip);
- in headless Chromium against the app on this data: opening a place's page
  with nothing cached, changing the place until its charts are redrawn, and
  the server's memory at the end of the session.

Beside each step that DuckDB does, a straightforward pandas version
(``bench/pandas_baseline.py``) does the same work on the same data, after a
check that it gives the same answer, and the table shows pandas ÷ DuckDB, a
ratio that survives a busy machine better than the seconds do. Writes
``bench/results/latest.md`` and a JSON file beside it with the machine it ran
on; ``--update-docs`` (or its old name ``--update-readme``) also puts the table in
``docs/benchmark.md``, between its bench markers.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from importlib.metadata import version
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import duckdb  # noqa: E402 - the benchmark reads the referrals back for pandas directly
import england  # noqa: E402
import pandas as pd  # noqa: E402
import pandas_baseline as pb  # noqa: E402
from browser import CHROMIUM, CHROMIUM_ARGS, IDLE, resident_mb, serve_app  # noqa: E402

from capacity import __version__, ingest  # noqa: E402
from capacity.demand import monthly_history  # noqa: E402
from capacity.export import ExportInfo, export_bytes, scope_for  # noqa: E402
from capacity.plan import compute, load_plan_inputs, plan_for, plan_for_all, prepare  # noqa: E402
from capacity.scenarios.applying import apply  # noqa: E402
from capacity.scenarios.model import Change, Scenario  # noqa: E402
from capacity.store import Store  # noqa: E402

RESULTS = HERE / "results"
BENCHMARK_PAGE = HERE.parent / "docs" / "benchmark.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
YEAR = england.PLAN_YEAR
FIRST_CHART = (
    "() => [...document.querySelectorAll('.js-plotly-plot')].some(p => p.data && p.data.length)"
)
CHART_DATA = (
    "() => { const p = document.querySelector('.js-plotly-plot');"
    " return p && p.data ? JSON.stringify(p.data.map(t => t.y)) : null; }"
)
REDRAWN = "([before]) => { const now = (" + CHART_DATA + ")(); return now && now !== before; }"


@dataclass
class Row:
    """One line of the table: a step, its times, and the pandas baseline's if there is one."""

    step: str
    seconds: list[float]
    pandas_seconds: list[float] = field(default_factory=list)
    unit: str = "s"
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def ratio(self) -> float | None:
        if not self.pandas_seconds:
            return None
        return statistics.median(self.pandas_seconds) / self.median


def repeat(action: Callable[[], object], reps: int) -> list[float]:
    """Seconds taken by each of ``reps`` runs of ``action``."""
    times = []
    for _ in range(reps):
        gc.collect()
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return times


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# -- the steps ---------------------------------------------------------------------


def bench_import(data: england.Dataset, base: Path, work: Path, reps: int) -> tuple[Row, Path]:
    """Import the extract into fresh copies of the base database; the last copy is kept."""
    target = work / "england.duckdb"
    loaded = []

    def once() -> None:
        for leftover in (target, target.with_name(target.name + ".wal")):
            leftover.unlink(missing_ok=True)
        shutil.copyfile(base, target)
        staged = ingest.stage_file(data.referrals_csv, "referrals", workdir=work)
        with Store.open(target) as store:
            loaded.append(ingest.load(store, staged).rows_loaded)

    seconds = repeat(once, reps)
    if loaded[-1] != data.referrals:
        raise SystemExit(f"import loaded {loaded[-1]:,} of {data.referrals:,} rows")
    return Row(f"import {data.referrals:,} referral rows (screen, check, load)", seconds), target


def bench_pandas_import(row: Row, data: england.Dataset, tables: pb.Tables, reps: int) -> None:
    """The pandas import, ``reps`` times (it is the slowest step of the run)."""

    def once() -> None:
        good, refused = pb.check_referrals(data.referrals_csv, tables, pd.Timestamp.now())
        if len(good) != data.referrals or refused:
            raise SystemExit(f"pandas import kept {len(good):,} rows, refused {refused:,}")

    row.pandas_seconds = repeat(once, reps)
    row.note = (
        f"pandas ({reps} run{'s' if reps > 1 else ''}): read_csv and the same checks; "
        "good rows kept in memory, not stored"
    )


def read_tables(store: Store, codes: list[str]) -> pb.Tables:
    parameters = store.query("parameters_for_places", places=codes)
    parameters["valid_from"] = pd.to_datetime(parameters["valid_from"])
    parameters["valid_to"] = pd.to_datetime(parameters["valid_to"])
    return pb.Tables(
        places=store.query("places"),
        service_types=store.query("service_types"),
        services=store.query("services"),
        service_places=store.query("service_places_for_places", places=codes),
        parameters=parameters,
    )


def read_referrals(path: Path) -> pd.DataFrame:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.sql(
            "SELECT place_code, service_type, service_id, source, referral_date FROM referrals"
        ).df()
    finally:
        con.close()


def bench_queries(
    store: Store, referrals: pd.DataFrame, tables: pb.Tables, codes: list[str], one: str, reps: int
) -> list[Row]:
    rows = []
    ours, theirs = monthly_history(store, codes), pb.monthly_history(referrals, codes)
    if len(ours) != len(theirs) or ours["referrals"].sum() != theirs["referrals"].sum():
        raise SystemExit("the pandas monthly aggregation differs from DuckDB's")
    rows.append(
        Row(
            "monthly aggregation of every referral",
            repeat(lambda: monthly_history(store, codes), reps),
            repeat(lambda: pb.monthly_history(referrals, codes), reps),
            note=f"{len(ours):,} place × service × source × month rows",
        )
    )
    if not pb.same_plan(plan_for(store, one, YEAR), pb.plan(referrals, tables, [one], YEAR)):
        raise SystemExit("the pandas plan for one place differs from the product's")
    rows.append(
        Row(
            "plan frame, one place",
            repeat(lambda: plan_for(store, one, YEAR), reps),
            repeat(lambda: pb.plan(referrals, tables, [one], YEAR), reps),
            note="reads and projects its referrals, then the same build_plan",
        )
    )
    everywhere = plan_for_all(store, YEAR)
    if not pb.same_plan(everywhere, pb.plan(referrals, tables, codes, YEAR, systems=True)):
        raise SystemExit("the pandas plan for every place differs from the product's")
    rows.append(
        Row(
            f"plan frame, all {len(codes)} places and their systems",
            repeat(lambda: plan_for_all(store, YEAR), reps),
            repeat(lambda: pb.plan(referrals, tables, codes, YEAR, systems=True), reps),
            note=f"{len(everywhere):,} rows",
        )
    )
    return rows


def winter(store: Store, codes: list[str]) -> Scenario:
    services = store.query("services")
    beds = tuple(services.loc[services["service_type"] == "rehab_bed", "service_id"][:10])
    return Scenario(
        "Winter",
        (
            Change("demand_pct", 10, f"{YEAR}-12", f"{YEAR + 1}-03"),
            Change("caseload_delta", 4, f"{YEAR}-11", f"{YEAR + 1}-03", services=beds),
            Change("absence_pct", 15, f"{YEAR + 1}-01", f"{YEAR + 1}-01"),
        ),
    )


def bench_scenario(store: Store, codes: list[str], reps: int) -> Row:
    prepared = prepare(load_plan_inputs(store, codes, YEAR))
    scenario = winter(store, codes)
    return Row(
        f"apply a winter scenario, all {len(codes)} places",
        repeat(lambda: compute(apply(prepared, scenario)), reps),
        note="three levers on the prepared plan; no store reads",
    )


def bench_exports(store: Store, codes: list[str], one: str, reps: int) -> list[Row]:
    places = store.query("places")
    frame = plan_for_all(store, YEAR)
    info = ExportInfo(
        YEAR,
        None,
        datetime.now(),
        __version__,
        store.query("service_types"),
        store.query("service_type_labels"),
    )
    single, every = scope_for(places, [one]), scope_for(places, codes)
    return [
        Row(
            "BCF workbook, one place",
            repeat(lambda: export_bytes("xlsx", frame, single, info), reps),
        ),
        Row(
            f"BCF workbooks, all {len(codes)} places (zip)",
            repeat(lambda: export_bytes("zip", frame, every, info), reps),
            note="one workbook per place",
        ),
    ]


def bench_browser(database: Path, places: pd.DataFrame, changes: int) -> list[Row]:
    from playwright.sync_api import sync_playwright

    hwbs = places[places["kind"] != "system"].sort_values("name")
    first, *others = list(hwbs.itertuples())[: changes + 1]
    with serve_app(database) as (url, pid), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.set_default_timeout(300_000)
        start = time.perf_counter()
        page.goto(f"{url}/place?place={first.place_code}&year={YEAR}")
        page.wait_for_function(FIRST_CHART)
        page.wait_for_function(IDLE)
        cold = time.perf_counter() - start
        times = []
        for place in others:
            before = page.evaluate(CHART_DATA)
            box = (
                page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]')
                .filter(has_text="Place or system")
                .first
            )
            box.click()
            page.keyboard.type(place.name)
            start = time.perf_counter()
            page.keyboard.press("Enter")
            page.wait_for_function(REDRAWN, arg=[before])
            page.wait_for_function(IDLE)
            times.append(time.perf_counter() - start)
            if f"place={place.place_code}" not in page.evaluate("() => location.search"):
                raise SystemExit(f"the page did not move to {place.name}")
        memory = resident_mb(pid)
        browser.close()
    return [
        Row(
            "browser: open a place's page, nothing cached",
            [cold],
            note="reads every place's plan for the year into the cache; once per run",
        ),
        Row(
            "browser: change the place, to its charts redrawn",
            times,
            note=f"{len(times)} changes, each to a place not shown before",
        ),
        Row(
            "server memory after the session",
            [memory],
            unit="MB",
            note="resident, the app's process and its children",
        ),
    ]


# -- the report --------------------------------------------------------------------


def machine() -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kb / 2**20, 1),
        "system": platform.platform(),
        "python": platform.python_version(),
        "duckdb": version("duckdb"),
        "pandas": version("pandas"),
        "streamlit": version("streamlit"),
        "load_average": os.getloadavg(),
    }


def figure(value: float, unit: str) -> str:
    if unit == "MB":
        return f"{value:,.0f} MB"
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def table(rows: list[Row], info: dict) -> str:
    lines = [
        f"Run on {info['when']}: {info['machine']['cpu']}, {info['machine']['cores']} cores, "
        f"{info['machine']['memory_gib']} GiB; DuckDB {info['machine']['duckdb']}, pandas "
        f"{info['machine']['pandas']}, Python {info['machine']['python']}; load average "
        f"{info['load_at_start'][0]:.1f} at the start, {info['load_at_end'][0]:.1f} at the end. "
        f"Data: {info['data']['places']} places in {info['data']['systems']} systems, "
        f"{info['data']['services']:,} services, {info['data']['parameter_rows']:,} parameter "
        f"rows, {info['data']['referrals']:,} referrals (April 2022 to March 2025); plan year "
        f"{YEAR}-{(YEAR + 1) % 100:02d}; medians of {info['reps']} repetitions unless the "
        "note says otherwise.",
        "",
        "| step | product (DuckDB) | pandas | pandas ÷ DuckDB | runs | note |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        theirs = (
            figure(statistics.median(row.pandas_seconds), row.unit) if row.pandas_seconds else "—"
        )
        ratio = f"{row.ratio:.1f}×" if row.ratio is not None else "—"
        lines.append(
            f"| {row.step} | {figure(row.median, row.unit)} | {theirs} | {ratio} | "
            f"{len(row.seconds)} | {row.note} |"
        )
    return "\n".join(lines) + "\n"


def update_docs(text: str) -> None:
    """Replace the table between the bench markers of docs/benchmark.md with ``text``."""
    page = BENCHMARK_PAGE.read_text("utf-8")
    if START not in page or END not in page:
        raise SystemExit(f"{BENCHMARK_PAGE} has no {START} … {END} block to replace")
    head, rest = page.split(START, 1)
    _, tail = rest.split(END, 1)
    BENCHMARK_PAGE.write_text(f"{head}{START}\n{text}{END}{tail}", "utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows",
        type=int,
        default=10_000_000,
        help="referral records to generate and import (default 10,000,000)",
    )
    parser.add_argument("--reps", type=int, default=3, help="repetitions of each step")
    parser.add_argument(
        "--pandas-import-reps",
        type=int,
        default=1,
        help="runs of the pandas import, the slowest step (default 1)",
    )
    parser.add_argument("--changes", type=int, default=8, help="place changes in the browser")
    parser.add_argument("--no-browser", action="store_true", help="skip the browser steps")
    parser.add_argument(
        "--update-docs",
        "--update-readme",
        dest="update_docs",
        action="store_true",
        help="put the table in docs/benchmark.md between its bench markers "
        "(--update-readme is the old name)",
    )
    args = parser.parse_args()
    load_at_start = os.getloadavg()
    started = time.perf_counter()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="capacity-bench-") as folder:
        work = Path(folder)
        say(f"generating {args.rows:,} referrals …")
        data = england.generate(work / "data", rows=args.rows)
        base = work / "base.duckdb"
        england.build_base(data, base)
        say("importing …")
        imported, database = bench_import(data, base, work, args.reps)
        rows.append(imported)
        with Store.open(database, read_only=True) as store:
            places = store.query("places")
            codes = sorted(places.loc[places["kind"] != "system", "place_code"])
            tables = read_tables(store, codes)
        say("importing with pandas …")
        bench_pandas_import(imported, data, tables, args.pandas_import_reps)
        referrals = read_referrals(database)
        say("aggregating and planning …")
        with Store.open(database, read_only=True) as store:
            rows += bench_queries(store, referrals, tables, codes, codes[0], args.reps)
            del referrals
            gc.collect()
            rows.append(bench_scenario(store, codes, args.reps))
            say("exporting …")
            rows += bench_exports(store, codes, codes[0], args.reps)
        if not args.no_browser:
            say("in the browser …")
            rows += bench_browser(database, places, args.changes)
    info = {
        "when": datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "machine": machine(),
        "load_at_start": load_at_start,
        "load_at_end": os.getloadavg(),
        "reps": args.reps,
        "data": asdict(data) | {"referrals_csv": None, "reference_dir": None, "demo_dir": None},
        "total_seconds": time.perf_counter() - started,
    }
    text = table(rows, info)
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    (RESULTS / f"{stamp}.json").write_text(
        json.dumps(
            info | {"rows": [asdict(r) | {"median": r.median, "ratio": r.ratio} for r in rows]},
            indent=2,
            default=str,
        ),
        "utf-8",
    )
    (RESULTS / "latest.md").write_text(text, "utf-8")
    if args.update_docs:
        update_docs(text)
    print(text)
    say(f"whole run: {info['total_seconds'] / 60:.1f} minutes")


if __name__ == "__main__":
    main()
