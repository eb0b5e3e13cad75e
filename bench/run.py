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
  the server's memory at the end of the session;
- and, beside the import, its floor: DuckDB reading the same file straight into a
  table with no checks, with the import's ratio to it.

Each step is measured on its own: one that fails (an error, a wrong answer, a
browser step that cannot do what it drives, or past ``--step-limit``) is a row
marked failed with its reason, and every other row is still measured and written;
the run then exits with status 1.

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
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from importlib.metadata import version
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import duckdb  # noqa: E402 - the benchmark reads the referrals back for pandas directly
import england  # noqa: E402
import import_referrals  # noqa: E402
import pandas as pd  # noqa: E402
import pandas_baseline as pb  # noqa: E402
from browser import CHROMIUM, CHROMIUM_ARGS, IDLE, resident_mb, serve_app  # noqa: E402

from capacity import __version__, ingest  # noqa: E402
from capacity.demand import (  # noqa: E402
    monthly_history,
    population_projection,
    stored_settings,
)
from capacity.export import ExportInfo, export_bytes, scope_for  # noqa: E402
from capacity.plan import compute, load_plan_inputs, plan_for, plan_for_all, prepare  # noqa: E402
from capacity.scenarios.applying import apply  # noqa: E402
from capacity.scenarios.model import Change, Scenario  # noqa: E402
from capacity.store import Store  # noqa: E402
from capacity.views.places import picker_options  # noqa: E402

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
    """One line of the table: a step, its times, and the pandas baseline's if there is one.

    A step that failed has no times and says why in ``failed`` (one line); ``key`` names
    the rows the table relates to each other (the import and its DuckDB floor).
    """

    step: str
    seconds: list[float] = field(default_factory=list)
    pandas_seconds: list[float] = field(default_factory=list)
    unit: str = "s"
    note: str = ""
    failed: str = ""
    key: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(self.seconds) if self.seconds else None

    @property
    def ratio(self) -> float | None:
        if not self.pandas_seconds or not self.median:
            return None
        return statistics.median(self.pandas_seconds) / self.median


class StepFailed(RuntimeError):
    """A step could not measure what it set out to (a wrong answer, a page that did not move)."""


class StepTimeout(RuntimeError):
    """A step ran past the run's time limit for one step."""


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


def one_line(error: BaseException) -> str:
    """The reason a step failed, on one line short enough for a table cell."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    text = lines[0] if lines else "no message"
    if not isinstance(error, StepFailed | StepTimeout | SystemExit):
        text = f"{type(error).__name__}: {text}"
    text = text.replace("|", "/")
    return text if len(text) <= 200 else text[:199] + "…"


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Stop the step inside with :class:`StepTimeout` after ``seconds`` (where the system allows).

    The alarm reaches Python code between calls; a single call into DuckDB or the browser
    that never returns is cut at its own end (the browser's waits have their own limits).
    """
    if not seconds or not hasattr(signal, "SIGALRM"):
        yield
        return

    def stop(signum: int, frame: object) -> None:
        raise StepTimeout(f"stopped after {seconds:.0f} s, the limit for one step")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def measure(
    label: str, action: Callable[[], Row | Iterable[Row]], limit: float | None = None
) -> list[Row]:
    """The rows a step measures; if it fails, those it finished and a failed row with the reason.

    ``action`` returns a row or rows (a generator keeps the rows measured before a failure).
    Any exception, a ``SystemExit`` from a helper and the time limit count as a failure of
    this step only; an interrupt from the keyboard still stops the run.
    """
    rows: list[Row] = []
    try:
        with time_limit(limit):
            result = action()
            for row in [result] if isinstance(result, Row) else result:
                rows.append(row)
    except (Exception, SystemExit) as error:
        say(f"{label}: failed: {one_line(error)}")
        rows.append(Row(label, failed=one_line(error)))
    return rows


def not_run(labels: Iterable[str], why: str) -> list[Row]:
    """Failed rows for steps that could not start, each saying why."""
    return [Row(label, failed=f"not run: {why}") for label in labels]


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
        raise StepFailed(f"import loaded {loaded[-1]:,} of {data.referrals:,} rows")
    return Row(import_label(data), seconds, key="import"), target


def import_label(data: england.Dataset) -> str:
    return f"import {data.referrals:,} referral rows (screen, check, load)"


def floor_label(data: england.Dataset) -> str:
    return f"DuckDB floor: the same {data.referrals:,} rows straight into a table"


def bench_floor(data: england.Dataset, work: Path, reps: int) -> Row:
    """DuckDB reading the same extract into a table of a fresh file, with no checks at all.

    No import can be quicker than this on the same machine, so the import's ratio to it
    says how much the screening, checking and loading cost, whatever the machine.
    """
    target = work / "floor.duckdb"
    read = []
    seconds = repeat(
        lambda: read.append(import_referrals.duckdb_floor(data.referrals_csv, target)), reps
    )
    for leftover in (target, target.with_name(target.name + ".wal")):
        leftover.unlink(missing_ok=True)
    if read[-1] != data.referrals:
        raise StepFailed(f"DuckDB read {read[-1]:,} of {data.referrals:,} rows")
    return Row(
        floor_label(data),
        seconds,
        key="floor",
        note="CREATE TABLE … AS SELECT * FROM read_csv(…) in a fresh database file; no checks",
    )


def bench_pandas_import(row: Row, data: england.Dataset, tables: pb.Tables, reps: int) -> None:
    """The pandas import, ``reps`` times (it is the slowest step of the run)."""

    def once() -> None:
        good, refused = pb.check_referrals(data.referrals_csv, tables, pd.Timestamp.now())
        if len(good) != data.referrals or refused:
            raise StepFailed(f"pandas import kept {len(good):,} rows, refused {refused:,}")

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
        settings=stored_settings(store),
        population=population_projection(store, codes),
    )


def read_referrals(path: Path) -> pd.DataFrame:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.sql(
            "SELECT place_code, service_type, service_id, source, referral_date, start_date,"
            " end_date FROM referrals"
        ).df()
    finally:
        con.close()


def bench_monthly(store: Store, referrals: pd.DataFrame, codes: list[str], reps: int) -> Row:
    ours, theirs = monthly_history(store, codes), pb.monthly_history(referrals, codes)
    if len(ours) != len(theirs) or ours["referrals"].sum() != theirs["referrals"].sum():
        raise StepFailed("the pandas monthly aggregation differs from DuckDB's")
    return Row(
        "monthly aggregation of every referral",
        repeat(lambda: monthly_history(store, codes), reps),
        repeat(lambda: pb.monthly_history(referrals, codes), reps),
        note=f"{len(ours):,} place × service × source × month rows",
    )


def bench_plan_one(
    store: Store, referrals: pd.DataFrame, tables: pb.Tables, one: str, reps: int
) -> Row:
    differs = pb.plan_difference(
        plan_for(store, one, YEAR), pb.plan(referrals, tables, [one], YEAR)
    )
    if differs:
        raise StepFailed(f"the pandas plan for one place differs from the product's: {differs}")
    return Row(
        "plan frame, one place",
        repeat(lambda: plan_for(store, one, YEAR), reps),
        repeat(lambda: pb.plan(referrals, tables, [one], YEAR), reps),
        note="reads and projects its referrals, then the same build_plan",
    )


def bench_plan_all(
    store: Store, referrals: pd.DataFrame, tables: pb.Tables, codes: list[str], reps: int
) -> Row:
    everywhere = plan_for_all(store, YEAR)
    differs = pb.plan_difference(everywhere, pb.plan(referrals, tables, codes, YEAR, systems=True))
    if differs:
        raise StepFailed(f"the pandas plan for every place differs from the product's: {differs}")
    return Row(
        f"plan frame, all {len(codes)} places and their systems",
        repeat(lambda: plan_for_all(store, YEAR), reps),
        repeat(lambda: pb.plan(referrals, tables, codes, YEAR, systems=True), reps),
        note=f"{len(everywhere):,} rows",
    )


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


def bench_exports(store: Store, codes: list[str], one: str, reps: int) -> Iterator[Row]:
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
    yield Row(
        "BCF workbook, one place", repeat(lambda: export_bytes("xlsx", frame, single, info), reps)
    )
    yield Row(
        f"BCF workbooks, all {len(codes)} places (zip)",
        repeat(lambda: export_bytes("zip", frame, every, info), reps),
        note="one workbook per place",
    )


BROWSER_ROWS = (
    "browser: open a place's page, nothing cached",
    "browser: change the place, to its charts redrawn",
    "server memory after the session",
)
PICKER = '[data-testid="stSidebar"] [data-testid="stSelectbox"]'
TITLE_SHOWS = (
    "([name]) => [...document.querySelectorAll('[data-testid=\"stMain\"] h1')]"
    ".some(h => h.innerText.trim().startsWith(name + ' · '))"
)


@dataclass(frozen=True)
class Destination:
    """A place the browser step moves to: its code, its name and its label in the picker."""

    code: str
    name: str
    label: str
    same_label_before: int  # options with this same label ahead of it in the picker


def destinations(places: pd.DataFrame, count: int) -> list[Destination]:
    """The first ``count`` places with services, in the picker's order, as the app labels them.

    Everything is read from the data (the names and the picker's own labels), so the step
    moves to the right place whatever the places are called.
    """
    picker = picker_options(places)
    kinds = dict(zip(places["place_code"], places["kind"], strict=True))
    names = dict(zip(places["place_code"], places["name"], strict=True))
    chosen, seen = [], {}
    for code, label, in_use in zip(
        picker["place_code"], picker["label"], picker["in_use"], strict=True
    ):
        before = seen.get(label, 0)
        seen[label] = before + 1
        if in_use and kinds[code] != "system" and len(chosen) < count:
            chosen.append(Destination(code, names[code], label, before))
    return chosen


def option_for(page, place: Destination):
    """The picker opened and ``place``'s own option in view (its whole label typed), to click."""
    page.locator(PICKER).filter(has_text="Place or system").first.click()
    page.keyboard.type(place.label)
    option = page.get_by_role("option", name=place.label, exact=True).nth(place.same_label_before)
    option.wait_for(timeout=30_000)
    return option


def landed(page, place: Destination, seconds: float) -> None:
    """Wait until the page shows ``place``: its code in the address and its name in the title."""
    try:
        page.wait_for_function(
            "([code]) => new URLSearchParams(location.search).get('place') === code",
            arg=[place.code],
            timeout=seconds * 1000,
        )
        page.wait_for_function(TITLE_SHOWS, arg=[place.name], timeout=seconds * 1000)
    except Exception as error:  # the browser's own timeout, said in the product's words
        shown = page.evaluate("() => location.search")
        raise StepFailed(
            f"the page did not move to {place.name} ({place.code}); the address shows {shown}"
        ) from error


def bench_browser(database: Path, places: pd.DataFrame, changes: int) -> Iterator[Row]:
    """Open a place cold, change the place ``changes`` times, then read the server's memory.

    A generator: each row is handed on as soon as it is measured, and a change of place that
    fails is a failed row of its own, so the cold open and the memory are still written.
    """
    from playwright.sync_api import sync_playwright

    first, *others = destinations(places, changes + 1)
    cold_open, change, memory = BROWSER_ROWS
    with serve_app(database) as (url, pid), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.set_default_timeout(300_000)

            def open_cold() -> Row:
                start = time.perf_counter()
                page.goto(f"{url}/place?place={first.code}&year={YEAR}")
                page.wait_for_function(FIRST_CHART)
                page.wait_for_function(IDLE)
                seconds = time.perf_counter() - start
                landed(page, first, 30)
                return Row(
                    cold_open,
                    [seconds],
                    note="reads every place's plan for the year into the cache; once per run",
                )

            def change_places() -> Row:
                times = []
                for place in others:
                    before = page.evaluate(CHART_DATA)
                    option = option_for(page, place)
                    start = time.perf_counter()
                    option.click()
                    landed(page, place, 120)
                    page.wait_for_function(REDRAWN, arg=[before])
                    page.wait_for_function(IDLE)
                    times.append(time.perf_counter() - start)
                return Row(
                    change,
                    times,
                    note=f"{len(times)} changes, each to a place not shown before, picked by "
                    "its label from the data; its code in the address and its name in the "
                    "title checked",
                )

            yield from measure(cold_open, open_cold)
            yield from measure(change, change_places)
            yield Row(
                memory,
                [resident_mb(pid)],
                unit="MB",
                note="resident, the app's process and its children",
            )
        finally:
            browser.close()


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


def floor_ratio(rows: list[Row]) -> str:
    """ "import 11.2 s = 1.9× the floor" when both the import and its floor were measured."""
    found = {row.key: row for row in rows if row.key and row.median}
    if "import" not in found or "floor" not in found:
        return ""
    ours, floor = found["import"].median, found["floor"].median
    return f"import {figure(ours, 's')} = {ours / floor:.1f}× the floor"


def line(row: Row, floor: str) -> str:
    """One row of the table; a failed step says so, with its reason, in place of figures."""
    if row.failed:
        return f"| {row.step} | failed | — | — | 0 | failed: {row.failed} |"
    theirs = figure(statistics.median(row.pandas_seconds), row.unit) if row.pandas_seconds else "—"
    ratio = f"{row.ratio:.1f}×" if row.ratio is not None else "—"
    note = "; ".join(part for part in (floor if row.key == "floor" else "", row.note) if part)
    return (
        f"| {row.step} | {figure(row.median, row.unit)} | {theirs} | {ratio} | "
        f"{len(row.seconds)} | {note} |"
    )


def heading(info: dict) -> str:
    """The sentence above the table: when, on what machine, on what data."""
    run = (
        f"Run on {info['when']}: {info['machine']['cpu']}, {info['machine']['cores']} cores, "
        f"{info['machine']['memory_gib']} GiB; DuckDB {info['machine']['duckdb']}, pandas "
        f"{info['machine']['pandas']}, Python {info['machine']['python']}; load average "
        f"{info['load_at_start'][0]:.1f} at the start, {info['load_at_end'][0]:.1f} at the end. "
    )
    data = info.get("data")
    if not data:
        return run + "No data: the data set could not be made."
    return run + (
        f"Data: {data['places']} places in {data['systems']} systems, "
        f"{data['services']:,} services, {data['parameter_rows']:,} parameter "
        f"rows, {data['referrals']:,} referrals (April 2022 to March 2025); plan year "
        f"{YEAR}-{(YEAR + 1) % 100:02d}; medians of {info['reps']} repetitions unless the "
        "note says otherwise."
    )


def table(rows: list[Row], info: dict) -> str:
    """The benchmark's table in Markdown: every row, the failed ones with their reasons."""
    floor = floor_ratio(rows)
    lines = [
        heading(info),
        "",
        "| step | product (DuckDB) | pandas | pandas ÷ DuckDB | runs | note |",
        "|---|---:|---:|---:|---:|---|",
        *(line(row, floor) for row in rows),
    ]
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
    parser.add_argument(
        "--step-limit",
        type=float,
        default=1800,
        help="seconds one step may take before it is recorded as failed (default 1800)",
    )
    args = parser.parse_args()
    load_at_start = os.getloadavg()
    started = time.perf_counter()
    made: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="capacity-bench-") as folder:
        work = Path(folder)

        def make_data() -> list[Row]:
            say(f"generating {args.rows:,} referrals …")
            made["data"] = england.generate(work / "data", rows=args.rows)
            england.build_base(made["data"], work / "base.duckdb")
            return []

        rows = measure("make the England data set", make_data, args.step_limit)
        if not rows:
            rows = run_steps(made["data"], work / "base.duckdb", work, args)
    data = made.get("data")
    info = {
        "when": datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "machine": machine(),
        "load_at_start": load_at_start,
        "load_at_end": os.getloadavg(),
        "reps": args.reps,
        "data": (
            asdict(data) | {"referrals_csv": None, "reference_dir": None, "demo_dir": None}
            if data
            else None
        ),
        "total_seconds": time.perf_counter() - started,
    }
    text = table(rows, info)
    write_results(rows, info, text)
    if args.update_docs:
        update_docs(text)
    print(text)
    say(f"whole run: {info['total_seconds'] / 60:.1f} minutes")
    failed = [row.step for row in rows if row.failed]
    if failed:
        raise SystemExit(f"{len(failed)} step(s) failed: {'; '.join(failed)}")


def write_results(rows: list[Row], info: dict, text: str) -> None:
    """bench/results/latest.md and a JSON file of the run beside it."""
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


def run_steps(data: england.Dataset, base: Path, work: Path, args: argparse.Namespace) -> list[Row]:
    """Every step on the data set, each measured on its own: a failure costs only its rows."""
    limit = args.step_limit
    say("reading the file straight into DuckDB (the floor) …")
    rows = measure(floor_label(data), lambda: bench_floor(data, work, args.reps), limit)
    say("importing …")
    made: dict[str, Path] = {}

    def import_once() -> Row:
        row, made["database"] = bench_import(data, base, work, args.reps)
        return row

    imported = measure(import_label(data), import_once, limit)
    rows += imported
    if "database" not in made:
        return rows + not_run(later_steps(args), "the import failed, so there is no database")
    return rows + measure(
        "read the imported database",
        lambda: after_import(made["database"], data, imported[0], args),
    )


def served_places(places: pd.DataFrame) -> list[str]:
    """The codes of the places with services (the data set's), not England's others, sorted.

    Every database holds all of England's authorities; the steps time the places the data
    set gives services and referrals to, as the picker marks them.
    """
    picker = picker_options(places)
    kinds = dict(zip(places["place_code"], places["kind"], strict=True))
    return sorted(
        code
        for code, in_use in zip(picker["place_code"], picker["in_use"], strict=True)
        if in_use and kinds[code] != "system"
    )


def later_steps(args: argparse.Namespace) -> list[str]:
    """The names of the steps that need the imported database, for a run that has none."""
    steps = [
        "monthly aggregation of every referral",
        "plan frame, one place",
        "plan frame, all places and their systems",
        "apply a winter scenario, all places",
        "BCF workbooks",
    ]
    return steps if args.no_browser else [*steps, *BROWSER_ROWS]


def after_import(
    database: Path, data: england.Dataset, imported: Row, args: argparse.Namespace
) -> list[Row]:
    """The steps that read the imported database; the pandas import joins the import's row."""
    limit, reps = args.step_limit, args.reps
    with Store.open(database, read_only=True) as store:
        places = store.query("places")
        codes = served_places(places)
        tables = read_tables(store, codes)
    say("importing with pandas …")
    failed = measure(
        "pandas import",
        lambda: bench_pandas_import(imported, data, tables, args.pandas_import_reps) or [],
        limit,
    )
    if failed:
        imported.note = f"pandas failed: {failed[0].failed}"
    say("aggregating and planning …")
    # The referrals in memory, for the pandas baselines; let go before the later steps.
    frames = {"referrals": read_referrals(database)}
    rows: list[Row] = []
    with Store.open(database, read_only=True) as store:
        one = codes[0]
        rows += measure(
            "monthly aggregation of every referral",
            lambda: bench_monthly(store, frames["referrals"], codes, reps),
            limit,
        )
        rows += measure(
            "plan frame, one place",
            lambda: bench_plan_one(store, frames["referrals"], tables, one, reps),
            limit,
        )
        rows += measure(
            f"plan frame, all {len(codes)} places and their systems",
            lambda: bench_plan_all(store, frames["referrals"], tables, codes, reps),
            limit,
        )
        frames.clear()
        gc.collect()
        rows += measure(
            f"apply a winter scenario, all {len(codes)} places",
            lambda: bench_scenario(store, codes, reps),
            limit,
        )
        say("exporting …")
        rows += measure("BCF workbooks", lambda: bench_exports(store, codes, one, reps), limit)
    if not args.no_browser:
        say("in the browser …")
        rows += measure("browser", lambda: bench_browser(database, places, args.changes), limit)
    return rows


if __name__ == "__main__":
    main()
