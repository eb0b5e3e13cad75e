"""An import killed part-way leaves the store as it was before or as it is after, never between.

A subprocess loads 200,000 referral records into a copy of the demo database and is killed
(SIGKILL: no clean-up of any kind) at points along the way. Most points are deterministic:
the subprocess loads through the Data page's own call (``capacity.views.data.load_file``)
and, at each step the load reports (the file opened, read, checked, the write begun, done),
waits for the test to let it go on, so the test kills it exactly there; a few kills land a
moment after letting it go (inside the write or the commit), and two kill the command line
(``python3 -m capacity import``) at fixed times. Whatever the point, the store then opens
cleanly, read-only (as the app's readers open it) and for writing, and holds either every
row of the import with its log entry or none of them. Each process is bounded in time.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from capacity import access, config
from capacity.store import Store
from capacity.views import data

ROWS = 200_000
LIMIT_SECONDS = 90  # no process of this test may run longer

# Loads through the Data page's call and waits at every step it reports, until told to go on.
DRIVER = """
import sys
from pathlib import Path
from capacity import access
from capacity.views import data

def step(text):
    print(text, flush=True)
    sys.stdin.readline()

db, source, work = (Path(a) for a in sys.argv[1:4])
step("started")
staged = data.stage_file(source, "referrals", workdir=work)
data.load_file(db, staged, user=access.local_user(), progress=lambda fraction, text: step(text))
step("closed")
"""


@dataclass(frozen=True)
class State:
    """What an import of referrals changes: the referrals (count and content) and the log."""

    referrals: int
    content: int
    archived: int
    log: tuple[tuple, ...]


def state(store: Store) -> State:
    con = store._con
    referrals, content = con.execute("SELECT count(*), sum(hash(r)) FROM referrals r").fetchone()
    log = con.execute(
        "SELECT import_id, kind, file_name, rows_read, rows_loaded, rows_rejected, "
        "undone_at IS NULL FROM import_log ORDER BY import_id"
    ).fetchall()
    archived = con.execute("SELECT count(*) FROM referrals_archive").fetchone()[0]
    return State(int(referrals), int(content), int(archived), tuple(log))


def opened_state(db: Path) -> State:
    """The store's state read as the app's readers open it, then as a writer opens it; both
    must open without error and agree."""
    with Store.open(db, read_only=True) as store:
        read = state(store)
    with Store.open(db) as store:
        written = state(store)
    assert read == written
    return written


@pytest.fixture(scope="module")
def extract(tmp_path_factory) -> Path:
    """200,000 new referrals for Havering, all good."""
    path = tmp_path_factory.mktemp("kills") / "extract.csv"
    lines = ["referral_id,place_code,service_type,source,pathway,referral_date"]
    lines += [
        f"K-{i},E09000016,reablement_home,hospital,P1,2024-{1 + i % 12:02d}-{1 + i % 28:02d}"
        for i in range(ROWS)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def before_and_after(demo_db, extract, tmp_path_factory) -> tuple[State, State]:
    """The store before the import, and after it run to the end undisturbed."""
    folder = tmp_path_factory.mktemp("whole")
    db = folder / "store.duckdb"
    shutil.copyfile(demo_db, db)
    before = opened_state(db)
    result = data.load_file(
        db, data.stage_file(extract, "referrals", workdir=folder), user=access.local_user()
    )
    assert result.rows_loaded == ROWS
    after = opened_state(db)
    assert after.referrals == before.referrals + ROWS
    assert len(after.log) == len(before.log) + 1 and after.log[-1][1:6] == (
        "referrals",
        "extract.csv",
        ROWS,
        ROWS,
        0,
    )
    return before, after


def _copy(demo_db: Path, folder: Path) -> Path:
    folder.mkdir()
    db = folder / "store.duckdb"
    shutil.copyfile(demo_db, db)
    return db


def _kill_at(demo_db: Path, extract: Path, folder: Path, step: str, delay: float) -> Path:
    """Run the driver on a fresh copy, letting it past each step until ``step``; there kill
    it at once (delay 0: it is waiting) or ``delay`` seconds after letting it go on."""
    db = _copy(demo_db, folder)
    process = subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(db), str(extract), str(folder)],
        cwd=config.PROJECT_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + LIMIT_SECONDS
    try:
        for line in process.stdout:
            assert time.monotonic() < deadline, "the import took too long"
            if line.strip() == step and not delay:
                break
            process.stdin.write("go\n")
            process.stdin.flush()
            if line.strip() == step:
                time.sleep(delay)
                break
        else:
            pytest.fail(f"the import ended before {step!r}")
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=LIMIT_SECONDS)
    assert process.returncode == -signal.SIGKILL
    return db


# (step, seconds after letting it go on, the state the store must then be in). Let go at
# "Writing", it writes and commits, then waits at "Done": killed in between, either is right.
POINTS = [
    ("started", 0, "before"),
    ("Reading the file", 0.4, "before"),  # it waits again once it has checked
    ("Checking every row", 0, "before"),
    ("Writing", 0, "before"),  # the log entry is written, not committed
    ("Writing", 0.08, "before or after"),
    ("Writing", 0.2, "before or after"),
    ("Done", 0, "after"),  # committed, the store not yet closed
    ("Done", 0.05, "after"),
]


def test_an_import_killed_at_any_step_leaves_all_or_nothing(
    demo_db, extract, before_and_after, tmp_path
):
    before, after = before_and_after
    allowed = {"before": [before], "after": [after], "before or after": [before, after]}

    def one(index: int) -> tuple[int, Path]:
        step, delay, _ = POINTS[index]
        return index, _kill_at(demo_db, extract, tmp_path / str(index), step, delay)

    with ThreadPoolExecutor(max_workers=4) as pool:
        killed = list(pool.map(one, range(len(POINTS))))
    for index, db in killed:
        step, delay, must = POINTS[index]
        found = opened_state(db)
        assert found in allowed[must], f"killed at {step!r} + {delay}s: not {must}"

    # A store killed mid-write takes the same import again, in full.
    db = killed[POINTS.index(("Writing", 0.08, "before or after"))][1]
    data.load_file(
        db, data.stage_file(extract, "referrals", workdir=db.parent), user=access.local_user()
    )
    assert opened_state(db) == after


def test_the_command_line_killed_at_fixed_times_leaves_all_or_nothing(
    demo_db, extract, before_and_after, tmp_path
):
    before, after = before_and_after
    running = []
    for index, seconds in enumerate((2.5, 4.0)):
        db = _copy(demo_db, tmp_path / str(index))
        command = [sys.executable, "-m", "capacity", "import", "referrals", str(extract)]
        process = subprocess.Popen(
            [*command, "--db", str(db)],
            cwd=config.PROJECT_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        running.append((db, process, time.monotonic() + seconds))
    for db, process, at in running:
        time.sleep(max(0.0, at - time.monotonic()))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=LIMIT_SECONDS)
        assert opened_state(db) in (before, after)
