"""Many people at once: N headless Chromium sessions on one app server, for a fixed time.

    python3 bench/sessions.py [--sessions 20] [--seconds 180] [--database PATH] [--seed 1]

Starts the app itself (``bench/browser.py``) with the timing log on
(``CAPACITY_TIMING_LOG``, see docs/deploying.md) on a copy of ``--database`` made in a
temporary folder (the demo database, built there, when none is given), so the file named
is never opened for writing. One session opens a place's page first, with nothing cached;
the others then start one every ``--ramp`` seconds, each opening a place's page. Once all
have, the measured window of ``--seconds`` begins. Every session loops, from its first
page to the window's end: it changes the place on the Place page to a random place with
services (picked by its label, and checked to land, as ``bench/run.py``'s browser step
does), then moves to another page (Overview, Flow, Data quality, Services) and back to
Place, each time waiting for the page's charts to be drawn and the app to be idle.

Reports the server's own time per script run (p50, p95, max) from the timing log, over the
runs that began in the measured window; the runs and how they ended; errors (exceptions in
the log, error boxes seen in the pages, actions that failed, sessions that gave up); the
browser's p50/p95 from a change to its charts drawn; the machine's cores and load average;
and the server's resident memory at the end. Prints a Markdown table and writes it, with
a JSON file of the run, under bench/results/.

Bounded whatever happens: at most ``MAX_SESSIONS`` sessions and ``MAX_SECONDS`` seconds,
and a total time limit (``--time-limit``) after which the run stops waiting for its
sessions. Every browser and the server are stopped at the end, on Ctrl-C or a failure too.
A session that fails is counted and reported; the bench goes on with the others.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))

from browser import CHROMIUM, CHROMIUM_ARGS, IDLE, _children, resident_mb, serve_app  # noqa: E402

from capacity import timing_log  # noqa: E402
from capacity.demo import build_demo_database  # noqa: E402
from capacity.store import Store  # noqa: E402


def _load_bench_run():
    """bench/run.py (the checked change of place, the chart checks), loaded from its path:
    it shares its name with the project's own run.py."""
    if "bench_run" not in sys.modules:
        spec = importlib.util.spec_from_file_location("bench_run", HERE / "run.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["bench_run"] = module  # dataclasses look their module up while it loads
        spec.loader.exec_module(module)
    return sys.modules["bench_run"]


bench_run = _load_bench_run()
MAX_SESSIONS = 40
MAX_SECONDS = 1800
RESULTS = HERE / "results"
# The pages a session moves between besides Place: (address, the start of its title).
# (address, its link in the sidebar, the start of its title)
OTHER_PAGES = [
    ("overview", "Overview", "Overview · "),
    ("flow", "Flow", "Flow · "),
    ("data_quality", "Data quality", "Data quality · "),
    ("services", "Services", "Services · "),
]
# Streamlit marks its app root with the state of the session's script run; the running icon
# alone can show late, so a page's title and then this say its run has begun and ended.
RUN_OVER = (
    "() => document.querySelector('[data-testid=\"stApp\"]')"
    "?.getAttribute('data-test-script-state') === 'notRunning'"
)
ALL_CHARTS_DRAWN = "() => [...document.querySelectorAll('.js-plotly-plot')].every(p => p.data)"
TITLE_STARTS = (
    "([text]) => [...document.querySelectorAll('[data-testid=\"stMain\"] h1')]"
    ".some(h => h.innerText.trim().startsWith(text))"
)
ON_PAGE = "([path]) => location.pathname.replace(/\\/+$/, '').endsWith('/' + path)"
EXCEPTION_BOX = '[data-testid="stException"]'
ERROR_BOX = '[data-testid="stAlertContentError"]'
GIVE_UP_AFTER = 3  # failed actions in a row before a session stops
ACTION_SECONDS = 120  # the longest a session waits for one change to be drawn
OPEN_SECONDS = 300  # … and for a page opened by its address (a new browser's first page)


@dataclass
class Action:
    """One timed change in one session."""

    kind: str  # "open", "place" or "page"
    seconds: float | None  # None: it failed
    in_window: bool
    failed: str = ""
    exception_boxes: int = 0
    error_boxes: int = 0


@dataclass
class SessionResult:
    """What one session did: its actions and, if it gave up or never started, why."""

    number: int
    actions: list[Action] = field(default_factory=list)
    failed: str = ""


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class Shared:
    """What the sessions share: the server's address, the places, the clock and the stop."""

    def __init__(self, url: str, places: list, year: int, seconds: float, count: int) -> None:
        self.url, self.places, self.year, self.seconds = url, places, year, seconds
        self.count = count
        self.stop = threading.Event()
        self.first_drawn = threading.Event()  # the cold open is done: the others may start
        self.window_start: float | None = None  # time.monotonic() of the measured window
        self.window_started_at: datetime | None = None
        self.loads: list[float] = []  # the machine's load average, sampled through the run
        self._joined = 0
        self._lock = threading.Lock()

    def joined(self) -> None:
        """A session has opened its first page (or failed to): once all have, the window opens."""
        with self._lock:
            self._joined += 1
            everyone = self._joined >= self.count
        if everyone:
            self.open_window()

    def open_window(self) -> None:
        """Start the measured window now (once)."""
        with self._lock:
            if self.window_start is None:
                self.window_start = time.monotonic()
                self.window_started_at = datetime.now(UTC)

    def in_window(self) -> bool:
        return self.window_start is not None and not self.stop.is_set()

    def over(self) -> bool:
        if self.stop.is_set():
            return True
        return self.window_start is not None and (
            time.monotonic() - self.window_start >= self.seconds
        )


def drawn(page, seconds: float = ACTION_SECONDS) -> None:
    """Wait until the run that began drawing the page is over, every chart has its data
    and the app is idle (call it once the page shows something of the new run)."""
    page.wait_for_function(RUN_OVER, timeout=seconds * 1000)
    page.wait_for_function(IDLE, timeout=seconds * 1000)
    page.wait_for_function(ALL_CHARTS_DRAWN, timeout=seconds * 1000)


def boxes(page) -> tuple[int, int]:
    """Exception boxes and error boxes on the page now."""
    return page.locator(EXCEPTION_BOX).count(), page.locator(ERROR_BOX).count()


def open_place(page, shared: Shared, place) -> float:
    """Open the Place page of ``place`` by its address; seconds to its charts drawn."""
    start = time.perf_counter()
    page.goto(
        f"{shared.url}/place?place={place.code}&year={shared.year}", timeout=OPEN_SECONDS * 1000
    )
    bench_run.landed(page, place, OPEN_SECONDS)
    page.wait_for_function(bench_run.FIRST_CHART, timeout=OPEN_SECONDS * 1000)
    drawn(page, OPEN_SECONDS)
    return time.perf_counter() - start


def change_place(page, place) -> float:
    """Pick ``place`` in the sidebar (on the Place page); seconds from the click to its
    charts redrawn (typing its label in the picker is not counted)."""
    before = page.evaluate(bench_run.CHART_DATA)
    option = bench_run.option_for(page, place)
    start = time.perf_counter()
    option.click()
    bench_run.landed(page, place, ACTION_SECONDS)
    page.wait_for_function(bench_run.REDRAWN, arg=[before], timeout=ACTION_SECONDS * 1000)
    drawn(page)
    return time.perf_counter() - start


def change_page(page, address: str, link: str, title: str) -> float:
    """Follow the sidebar's ``link`` to the page ``address``; seconds from the click to
    ``title`` shown and the page's charts drawn."""
    links = page.locator('[data-testid="stSidebar"] [data-testid="stPageLink"]')
    target = links.filter(has=page.get_by_text(link, exact=True)).first
    target.wait_for()
    start = time.perf_counter()
    target.click()
    page.wait_for_function(ON_PAGE, arg=[address], timeout=ACTION_SECONDS * 1000)
    page.wait_for_function(TITLE_STARTS, arg=[title], timeout=ACTION_SECONDS * 1000)
    drawn(page)
    return time.perf_counter() - start


def timed(result: SessionResult, shared: Shared, page, kind: str, change) -> bool:
    """Do ``change`` and record it (seconds, or why it failed, and any error boxes); ok?"""
    in_window = shared.in_window()
    try:
        seconds = change()
    except Exception as error:  # any failure of one change is that change's, counted
        reason = bench_run.one_line(error)
        result.actions.append(Action(kind, None, in_window, failed=reason))
        return False
    try:
        exceptions, errors = boxes(page)
    except Exception:  # the page went away just now: the change itself was drawn
        exceptions, errors = 0, 0
    result.actions.append(Action(kind, seconds, in_window, "", exceptions, errors))
    return True


def session_loop(page, result: SessionResult, shared: Shared, rng: random.Random) -> None:
    """Change place, then page and back, until the window is over or the session gives up."""
    current = rng.choice(shared.places)
    opened = any(
        timed(result, shared, page, "open", lambda: open_place(page, shared, current))
        for _ in range(2)  # a second try: a browser's first page can time out on a busy machine
    )
    if result.number == 0:
        shared.first_drawn.set()  # the cache is warm: the others may start
    shared.joined()
    if not opened:
        raise RuntimeError(f"could not open the Place page: {result.actions[-1].failed}")
    failures = 0
    while not shared.over():
        place = rng.choice([p for p in shared.places if p != current] or shared.places)
        other = rng.choice(OTHER_PAGES)
        steps = [
            ("place", lambda p=place: change_place(page, p)),
            ("page", lambda o=other: change_page(page, *o)),
            ("page", lambda p=place: change_page(page, "place", "Place", f"{p.name} · ")),
        ]
        for kind, change in steps:
            if shared.over():
                return
            if timed(result, shared, page, kind, change):
                failures = 0
                continue
            failures += 1
            if failures >= GIVE_UP_AFTER:
                last = result.actions[-1].failed
                raise RuntimeError(f"{failures} changes failed in a row; the last: {last}")
            # Start again from the Place page of the place it was going to.
            if not timed(result, shared, page, "open", lambda p=place: open_place(page, shared, p)):
                failures += 1
            break
        current = place


def session(
    number: int, shared: Shared, seed: int, ramp: float, results: list[SessionResult]
) -> None:
    """One browser session: its own Playwright and Chromium, closed whatever happens.

    The first opens a place with nothing cached; the others start once it has drawn, one
    every ``ramp`` seconds, as people arriving at a meeting would.
    """
    from playwright.sync_api import sync_playwright

    result = SessionResult(number)
    results.append(result)
    if number > 0:
        while not shared.first_drawn.wait(1):
            if shared.stop.is_set():
                result.failed = "stopped before it began"
                shared.joined()
                return
        if shared.stop.wait(number * ramp):
            result.failed = "stopped before it began"
            shared.joined()
            return
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.set_default_timeout(ACTION_SECONDS * 1000)
                session_loop(page, result, shared, random.Random(seed * 1000 + number))
            finally:
                browser.close()
    except Exception as error:  # a session that fails is counted, never the bench's end
        result.failed = bench_run.one_line(error)
        say(f"session {number}: failed: {result.failed}")
        if not any(a.kind == "open" for a in result.actions):  # it never reached its page
            shared.joined()
    finally:
        if number == 0:
            shared.first_drawn.set()  # never keep the others waiting on a failed first


# -- the report --------------------------------------------------------------------


def spread(values: list[float]) -> dict:
    """n, p50, p95 and max of some seconds (None where there are none)."""
    if not values:
        return {"n": 0, "p50": None, "p95": None, "max": None}
    return {
        "n": len(values),
        "p50": timing_log.percentile(values, 0.5),
        "p95": timing_log.percentile(values, 0.95),
        "max": max(values),
    }


def browser_figures(results: list[SessionResult]) -> dict:
    """The browser's side: changes timed, failures and error boxes, per kind of change."""
    actions = [a for r in results for a in r.actions]
    window = [a for a in actions if a.in_window]
    failures = Counter(a.failed for a in window if a.failed)
    return {
        "open": spread([a.seconds for a in actions if a.kind == "open" and a.seconds]),
        "first_open": first_open(results),
        "place": spread([a.seconds for a in window if a.kind == "place" and a.seconds]),
        "page": spread([a.seconds for a in window if a.kind == "page" and a.seconds]),
        "failed_changes": sum(failures.values()),
        "failure_reasons": dict(failures.most_common(5)),
        "changes_with_exception_box": sum(1 for a in actions if a.exception_boxes),
        "changes_with_error_box": sum(1 for a in actions if a.error_boxes),
        "sessions_failed": {r.number: r.failed for r in results if r.failed},
    }


def first_open(results: list[SessionResult]) -> float | None:
    """Seconds of the first session's first open, with nothing cached (None if it failed)."""
    first = [a for r in results if r.number == 0 for a in r.actions if a.kind == "open"]
    return first[0].seconds if first else None


def server_figures(log: Path, window: tuple[datetime, datetime] | None) -> dict:
    """The server's side, from the timing log: runs begun in the window, seconds and errors."""
    runs, unreadable = timing_log.read(log) if log.exists() else ([], 0)
    inside = [r for r in runs if window and window[0] <= r.started <= window[1]]
    summary = timing_log.summarise(inside)
    return asdict(summary) | {
        "all_runs": len(runs),
        "runs_outside_window": len(runs) - len(inside),
        "errors_all_runs": sum(1 for r in runs if r.ended == "error"),
        "unreadable_lines": unreadable,
    }


def seconds_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} s"


def table(info: dict) -> str:
    """The run as a Markdown table, with the sentence that says what it ran on."""
    server, browser, machine = info["server"], info["browser"], info["machine"]
    endings = ", ".join(f"{k} {v}" for k, v in server["endings"].items()) or "none"
    errors = ", ".join(f"{k} {v}" for k, v in server["error_classes"].items())
    failed = Counter(browser["sessions_failed"].values())
    reasons = "; ".join(f"{n}× {why}" for why, n in browser["failure_reasons"].items())
    rows = [
        (
            "sessions (asked; failed)",
            f"{info['sessions']}; {sum(failed.values())}",
            "; ".join(f"{n}× {why}" for why, n in failed.most_common(3)),
        ),
        (
            "server: script runs in the window",
            f"{server['runs']:,}",
            f"ended: {endings}; {server['runs_outside_window']} runs outside it not counted",
        ),
        ("server: time per script run, p50", seconds_text(server["p50"]), "from the timing log"),
        ("server: time per script run, p95", seconds_text(server["p95"]), ""),
        ("server: time per script run, max", seconds_text(server["max"]), ""),
        ("server: exceptions in the log", f"{server['errors']}", errors),
        (
            "browser: change of place to its charts redrawn, p50",
            seconds_text(browser["place"]["p50"]),
            f"{browser['place']['n']} changes",
        ),
        ("browser: change of place, p95", seconds_text(browser["place"]["p95"]), ""),
        (
            "browser: change of page to its charts drawn, p50",
            seconds_text(browser["page"]["p50"]),
            f"{browser['page']['n']} changes",
        ),
        ("browser: change of page, p95", seconds_text(browser["page"]["p95"]), ""),
        (
            "browser: first open, nothing cached",
            seconds_text(browser["first_open"]),
            f"then {browser['open']['n']} opens in all, p50 {seconds_text(browser['open']['p50'])}",
        ),
        ("browser: changes that failed", f"{browser['failed_changes']}", reasons),
        (
            "browser: changes with an exception box / an error box",
            f"{browser['changes_with_exception_box']} / {browser['changes_with_error_box']}",
            "",
        ),
        (
            "server memory at the end",
            f"{info['server_mb']:,.0f} MB",
            "resident, the app's process and its children",
        ),
    ]
    lines = [
        f"Run on {info['when']}: {info['sessions']} sessions (one starting every "
        f"{info['ramp']:g} s) for {info['seconds']:.0f} s from when all had opened a page, on "
        f"{info['database']}; {machine['cores']} cores, load average (1 min) "
        f"{info['load_at_start'][0]:.1f} at the start, {info['load_max']:.1f} at most, "
        f"{info['load_at_end'][0]:.1f} at the end; browsers and server on the same machine.",
        "",
        "| measure | figure | note |",
        "|---|---:|---|",
        *(f"| {a} | {b} | {c.replace('|', '/')} |" for a, b, c in rows),
    ]
    return "\n".join(lines) + "\n"


def write_results(info: dict, text: str, log: Path) -> Path:
    """bench/results/sessions-<when>.json, the server's timing log beside it (.runs.jsonl)
    and sessions-latest.md."""
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = RESULTS / f"sessions-{stamp}.json"
    if log.exists():
        shutil.copyfile(log, RESULTS / f"sessions-{stamp}.runs.jsonl")
    path.write_text(json.dumps(info, indent=2, default=str), "utf-8")
    (RESULTS / "sessions-latest.md").write_text(text, "utf-8")
    return path


# -- the run -----------------------------------------------------------------------


def prepare_database(given: Path | None, work: Path) -> Path:
    """A copy of ``given`` in ``work`` (the app opens it for writing), or a new demo database."""
    target = work / "bench.duckdb"
    if given is None:
        say("building the demo database …")
        build_demo_database(target)
        return target
    if not given.is_file():
        raise SystemExit(f"--database {given}: no such file")
    shutil.copyfile(given, target)
    wal = given.with_name(given.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, target.with_name(target.name + ".wal"))
    return target


def places_and_year(database: Path) -> tuple[list, int]:
    """Every place with services, as the picker labels it, and the planning year to show."""
    with Store.open(database, read_only=True) as store:
        places = store.query("places")
    everywhere = bench_run.destinations(places, len(places))
    if not everywhere:
        raise SystemExit("the database has no place with services to visit")
    return everywhere, bench_run.YEAR


def stop_leftovers(keep: int) -> None:
    """End the browsers and drivers this run started that still run, by process id.

    ``keep`` is the app server's process id: it and its children are left to
    ``serve_app``, which stops them after the server's memory has been read.
    """
    spared = {keep, *_children(keep)}
    for pid in reversed(_children(os.getpid())):
        if pid in spared:
            continue
        with contextlib.suppress(OSError):  # it ended by itself meanwhile
            os.kill(pid, signal.SIGTERM)


def drive(shared: Shared, seed: int, ramp: float, hard_stop: float, server: int) -> list:
    """Run the sessions until the window is over, Ctrl-C or the hard stop; their results."""
    results: list[SessionResult] = []
    threads = [
        threading.Thread(target=session, args=(n, shared, seed, ramp, results), daemon=True)
        for n in range(shared.count)
    ]
    try:
        for thread in threads:
            thread.start()
        while any(t.is_alive() for t in threads) and time.monotonic() < hard_stop:
            shared.loads.append(os.getloadavg()[0])
            if time.monotonic() > hard_stop - shared.seconds:
                shared.open_window()  # the sessions took too long to join: measure what runs
            if shared.over():
                shared.stop.set()
            time.sleep(2)
    except KeyboardInterrupt:
        say("interrupted: stopping the sessions and reporting what they did")
    finally:
        shared.stop.set()
        # A session ends its change in hand, then stops; none waits past the hard stop.
        deadline = min(time.monotonic() + ACTION_SECONDS + 30, max(hard_stop, time.monotonic()))
        for thread in threads:
            thread.join(timeout=max(0.1, deadline - time.monotonic()))
        stuck = [t for t in threads if t.is_alive()]
        if stuck:
            say(f"{len(stuck)} session(s) still running at the limit: stopping their browsers")
            stop_leftovers(server)
    return sorted(results, key=lambda r: r.number)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20, help="browser sessions (default 20)")
    parser.add_argument(
        "--seconds", type=float, default=180, help="the measured window (default 180)"
    )
    parser.add_argument(
        "--database", type=Path, help="the database to copy and serve (default: the demo's)"
    )
    parser.add_argument("--seed", type=int, default=1, help="the places and pages picked")
    parser.add_argument(
        "--ramp",
        type=float,
        default=3,
        help="seconds between one session's start and the next's (default 3)",
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        help="the most the whole run may take, in seconds (default: the window + 10 minutes)",
    )
    args = parser.parse_args()
    if not 1 <= args.sessions <= MAX_SESSIONS:
        parser.error(f"--sessions must be 1 to {MAX_SESSIONS}")
    if not 1 <= args.seconds <= MAX_SECONDS:
        parser.error(f"--seconds must be 1 to {MAX_SECONDS}")
    if not 0 <= args.ramp <= 60:
        parser.error("--ramp must be 0 to 60 seconds")
    limit = args.time_limit or args.seconds + args.sessions * args.ramp + 2 * OPEN_SECONDS + 300
    if limit < args.seconds:
        parser.error("--time-limit must be at least --seconds")
    started = time.monotonic()
    load_at_start = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="capacity-sessions-") as folder:
        work = Path(folder)
        database = prepare_database(args.database, work)
        places, year = places_and_year(database)
        log = work / "runs.jsonl"
        os.environ[timing_log.ENV] = str(log)  # the server started below inherits it
        say(f"serving {database.name} to {args.sessions} sessions for {args.seconds:.0f} s …")
        with serve_app(database, log=work / "server.log") as (url, pid):
            shared = Shared(url, places, year, args.seconds, args.sessions)
            results = drive(shared, args.seed, args.ramp, started + limit, pid)
            server_mb = resident_mb(pid)
            window = (
                (shared.window_started_at, datetime.now(UTC)) if shared.window_started_at else None
            )
        info = {
            "when": datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
            "command": " ".join([Path(sys.executable).name, *sys.argv]),
            "database": str(args.database) if args.database else "the demo database",
            "sessions": args.sessions,
            "seconds": args.seconds,
            "ramp": args.ramp,
            "window_started": shared.window_started_at,
            "machine": {"cores": os.cpu_count(), "cpu": bench_run.machine()["cpu"]},
            "load_at_start": load_at_start,
            "load_max": max([*shared.loads, load_at_start[0]]),
            "load_at_end": os.getloadavg(),
            "server_mb": server_mb,
            "server": server_figures(log, window),
            "browser": browser_figures(results),
            "sessions_detail": [asdict(r) for r in results],
            "total_seconds": time.monotonic() - started,
        }
        text = table(info)
        path = write_results(info, text, log)
    print(text)
    say(f"written {path.relative_to(HERE.parent)}; whole run {info['total_seconds']:.0f} s")


if __name__ == "__main__":
    main()
