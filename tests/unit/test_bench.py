"""The England benchmark keeps its figures when a step fails, shows the import's DuckDB floor,
and its pandas plan gives the product's plan.

These drive bench/run.py's table-building functions with made-up steps, and its pandas plan on
a small generated data set: no benchmark runs and nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from capacity import ingest
from capacity.plan import plan_for, plan_for_all
from capacity.store import Store

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load_bench_run():
    # bench/run.py is a script beside its helpers (england, browser, …) and shares its
    # name with the project's own run.py, so it is loaded from its path under another name.
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location("bench_run", BENCH / "run.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


bench = _load_bench_run()
import england  # noqa: E402 - found on the path the loader above adds
import import_referrals  # noqa: E402
import pandas_baseline as pb  # noqa: E402

INFO = {
    "when": "2026-12-05 12:00 UTC",
    "machine": {
        "cpu": "Test CPU",
        "cores": 2,
        "memory_gib": 8.0,
        "duckdb": "x",
        "pandas": "y",
        "python": "3.11",
    },
    "load_at_start": (1.0, 1.0, 1.0),
    "load_at_end": (1.0, 1.0, 1.0),
    "reps": 3,
    "data": {"places": 152, "systems": 42, "services": 10, "parameter_rows": 20, "referrals": 100},
}


def _table_line(text: str, step: str) -> str:
    lines = [line for line in text.splitlines() if line.startswith(f"| {step} |")]
    assert len(lines) == 1, text
    return lines[0]


def _raises(message: str):
    def step(*_args):
        raise RuntimeError(message)

    return step


def test_a_failing_step_is_a_failed_row_with_its_reason_and_the_others_are_written():
    rows = [
        *bench.measure("first", lambda: bench.Row("first", [1.0, 3.0, 2.0])),
        *bench.measure("second", _raises("the disk is full\nand a long trace after it")),
        *bench.measure("third", lambda: bench.Row("third", [12.0], unit="MB")),
    ]
    text = bench.table(rows, INFO)
    # The median of 1, 3 and 2 seconds is 2.
    assert _table_line(text, "first").startswith("| first | 2.00 s |")
    assert _table_line(text, "second") == (
        "| second | failed | — | — | 0 | failed: RuntimeError: the disk is full |"
    )
    assert _table_line(text, "third").startswith("| third | 12 MB |")


def test_the_rows_measured_before_a_failure_are_kept():
    def browser_like():
        yield bench.Row("opened", [4.0])
        raise bench.StepFailed("the page did not move to Place 005 (E99000005)")

    rows = bench.measure("browser", browser_like)
    assert [(row.step, row.failed) for row in rows] == [
        ("opened", ""),
        ("browser", "the page did not move to Place 005 (E99000005)"),
    ]


def test_a_helper_that_exits_fails_only_its_step_but_an_interrupt_still_stops_the_run():
    def exits():
        raise SystemExit("the app did not start at http://127.0.0.1:1 within 120 s")

    (row,) = bench.measure("browser", exits)
    assert row.failed == "the app did not start at http://127.0.0.1:1 within 120 s"

    def interrupted():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        bench.measure("anything", interrupted)


def test_a_reason_stays_on_one_line_and_out_of_the_table_markup():
    (row,) = bench.measure("step", _raises("a | b\n  call log:\n  - waiting"))
    assert row.failed == "RuntimeError: a / b"
    (long,) = bench.measure("step", _raises("x" * 500))
    assert "\n" not in long.failed and len(long.failed) == 200


@pytest.mark.skipif(not hasattr(bench.signal, "SIGALRM"), reason="no alarms on this system")
def test_a_step_past_the_time_limit_is_failed_and_the_run_goes_on():
    def forever():
        while True:
            time.sleep(0.05)

    (row,) = bench.measure("slow", forever, limit=0.2)
    assert row.failed.startswith("stopped after 0 s, the limit for one step")
    assert bench.measure("next", lambda: bench.Row("next", [1.0]))[0].failed == ""


def test_the_floor_row_shows_the_imports_ratio_to_it():
    rows = [
        bench.Row("floor", [5.6, 5.0, 6.0], key="floor", note="no checks"),
        bench.Row("import", [11.2, 11.0, 12.0], key="import"),
    ]
    text = bench.table(rows, INFO)
    # Medians 5.6 s and 11.2 s: the import took 11.2 / 5.6 = 2.0 times the floor.
    assert _table_line(text, "floor") == (
        "| floor | 5.60 s | — | — | 3 | import 11.2 s = 2.0× the floor; no checks |"
    )


def test_no_ratio_is_shown_when_the_import_failed():
    rows = [
        bench.Row("floor", [5.6], key="floor", note="no checks"),
        bench.Row("import", failed="RuntimeError: disk full", key="import"),
    ]
    text = bench.table(rows, INFO)
    assert "the floor" not in text
    assert _table_line(text, "floor").endswith("| 1 | no checks |")


def test_a_failed_import_leaves_the_floor_and_names_every_step_it_stopped(monkeypatch, tmp_path):
    data = SimpleNamespace(referrals=100)
    monkeypatch.setattr(bench, "bench_floor", lambda *a: bench.Row("floor", [0.5], key="floor"))
    monkeypatch.setattr(bench, "bench_import", _raises("disk full"))
    args = argparse.Namespace(step_limit=None, reps=1, no_browser=False)
    rows = bench.run_steps(data, tmp_path / "base.duckdb", tmp_path, args)
    assert rows[0].step == "floor" and rows[0].failed == ""
    assert rows[1].failed == "RuntimeError: disk full"
    stopped = [row.step for row in rows[2:]]
    assert "plan frame, one place" in stopped and bench.BROWSER_ROWS[1] in stopped
    assert all(row.failed.startswith("not run: the import failed") for row in rows[2:])


def test_the_docs_get_the_table_with_its_failed_rows(monkeypatch, tmp_path):
    page = tmp_path / "benchmark.md"
    page.write_text(f"Prose.\n\n{bench.START}\nold table\n{bench.END}\n\nMore prose.\n", "utf-8")
    monkeypatch.setattr(bench, "BENCHMARK_PAGE", page)
    rows = [
        bench.Row("kept", [2.0]),
        *bench.measure("lost", _raises("no browser")),
    ]
    bench.update_docs(bench.table(rows, INFO))
    written = page.read_text("utf-8")
    assert "old table" not in written and written.startswith("Prose.")
    assert written.rstrip().endswith("More prose.")
    assert "| kept | 2.00 s |" in written
    assert "| lost | failed | — | — | 0 | failed: RuntimeError: no browser |" in written


def test_the_floor_reads_the_whole_file_into_a_table(tmp_path):
    csv = tmp_path / "referrals.csv"
    csv.write_text("referral_id,referral_date\nA,2024-01-02\nB,2024-02-03\nC,2024-03-04\n", "utf-8")
    assert import_referrals.duckdb_floor(csv, tmp_path / "floor.duckdb") == 3
    # Run again on the same database file: it starts afresh, not on top of the last read.
    assert import_referrals.duckdb_floor(csv, tmp_path / "floor.duckdb") == 3


def test_the_floor_stops_at_a_bad_row_unless_told_to_skip_it(tmp_path):
    # More good rows than DuckDB samples to guess the types (20,480), then a bad date.
    lines = ["referral_id,referral_date"] + [f"R{i},2024-01-02" for i in range(25_000)]
    csv = tmp_path / "referrals.csv"
    csv.write_text("\n".join([*lines, "BAD,2025-02-30"]) + "\n", "utf-8")
    with pytest.raises(Exception, match="2025-02-30"):
        import_referrals.duckdb_floor(csv, tmp_path / "floor.duckdb")
    assert import_referrals.duckdb_floor(csv, tmp_path / "floor.duckdb", skip_bad=True) == 25_000


# -- the pandas plan against the product's -------------------------------------------------


@pytest.fixture(scope="module")
def small_england(tmp_path_factory):
    """A small synthetic England (every place and system, few referrals) imported into a store:
    few enough that some places send none to a pooled service, so its share of use is zero."""
    folder = tmp_path_factory.mktemp("england")
    data = england.generate(folder, rows=20_000)
    database = folder / "england.duckdb"
    england.build_base(data, database)
    staged = ingest.stage_file(data.referrals_csv, "referrals", workdir=folder)
    with Store.open(database) as store:
        ingest.load(store, staged)
    with Store.open(database, read_only=True) as store:
        codes = bench.served_places(store.query("places"))
        tables = bench.read_tables(store, codes)
    return database, codes, tables, bench.read_referrals(database)


def test_the_pandas_plan_for_one_place_is_the_products(small_england):
    database, codes, tables, referrals = small_england
    with Store.open(database, read_only=True) as store:
        for code in (codes[0], codes[-1]):
            ours = plan_for(store, code, bench.YEAR)
            assert len(ours) > 0
            assert pb.plan_difference(ours, pb.plan(referrals, tables, [code], bench.YEAR)) == ""


def test_the_pandas_plan_for_every_place_and_system_is_the_products(small_england):
    database, codes, tables, referrals = small_england
    with Store.open(database, read_only=True) as store:
        ours = plan_for_all(store, bench.YEAR)
    theirs = pb.plan(referrals, tables, codes, bench.YEAR, systems=True)
    assert set(ours["place_code"]) > set(codes)  # the systems' rows are there too
    assert pb.plan_difference(ours, theirs) == ""


def _two_rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "place_code": ["P1", "P1"],
            "service_type": ["beds", "beds"],
            "service_id": ["S1", None],
            "source": ["hospital", "hospital"],
            "month": ["2025-04", "2025-05"],
            "demand": [8.0, 5.0],
            "capacity": [10.0, 0.0],
            "gap": [2.0, -5.0],
        }
    )


def test_a_plan_that_differs_is_said_in_one_line_with_the_first_differing_rows():
    ours = _two_rows()
    assert pb.plan_difference(ours, ours.iloc[::-1]) == ""  # the order of rows does not matter
    assert pb.same_plan(ours, ours.iloc[::-1])
    # The first row's capacity 10 becomes 12, so its gap 2 becomes 4.
    theirs = ours.assign(capacity=[12.0, 0.0], gap=[4.0, -5.0])
    assert not pb.same_plan(ours, theirs)
    assert pb.plan_difference(ours, theirs) == (
        "capacity in 1 row, first P1/beds/S1/hospital/2025-04: 10 against 12; "
        "gap in 1 row, first P1/beds/S1/hospital/2025-04: 2 against 4"
    )
    # A missing row is named, the one with no service by "-".
    assert pb.plan_difference(ours, ours.iloc[:1]) == (
        "2 rows against 1; only in the first: 1 (P1/beds/-/hospital/2025-05); "
        "only in the second: none"
    )


def test_a_plan_row_that_differs_fails_its_step_saying_what_differs(monkeypatch):
    ours = _two_rows()
    monkeypatch.setattr(bench, "plan_for", lambda *_args, **_kw: ours)
    monkeypatch.setattr(bench.pb, "plan", lambda *_args, **_kw: ours.assign(demand=[8.0, 6.0]))
    with pytest.raises(bench.StepFailed) as failed:
        bench.bench_plan_one(None, None, None, "P1", 1)
    assert str(failed.value) == (
        "the pandas plan for one place differs from the product's: "
        "demand in 1 row, first P1/beds/-/hospital/2025-05: 5 against 6"
    )
