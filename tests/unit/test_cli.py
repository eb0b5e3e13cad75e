"""The command line: commands, output formats, and error paths with exit statuses."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from capacity import config
from capacity.cli import main
from capacity.plan import PLAN_COLUMNS
from capacity.workforce import WORKFORCE_COLUMNS


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_plan_csv_for_havering_has_twelve_months_per_service(demo_db):
    code, out, err = run(
        "plan", "--place", "Havering", "--year", "2025", "--format", "csv", "--db", str(demo_db)
    )
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == [*PLAN_COLUMNS, *WORKFORCE_COLUMNS]
    services = {(r["service"], r["source"]) for r in rows}
    assert len(rows) == 12 * len(services)
    hsss = [r for r in rows if r["service"] == "BHR Home, Settle & Support"]
    assert {float(r["capacity"]) for r in hsss} == {82.0}
    assert all(r["method"] and r["demand"] and r["gap"] for r in rows)


def test_csv_keeps_figures_unrounded(demo_db):
    _, out, _ = run(
        "plan", "--place", "Thurrock", "--year", "2025", "--format", "csv", "--db", str(demo_db)
    )
    interim = next(
        r
        for r in csv.DictReader(io.StringIO(out))
        if r["service"] == "Thurrock interim beds"
        and r["month"] == "2025-10"
        and r["source"] == "hospital"
    )
    assert len(interim["capacity"].split(".")[1]) > 6


def test_table_format_rounds_for_display(demo_db):
    code, out, _ = run("--db", str(demo_db), "plan", "--place", "E09000016", "--year", "2025-26")
    assert code == 0
    assert "Apr 2025" in out and "82.0" in out and "BHR Home, Settle & Support" in out


def test_a_system_prints_its_summed_rows(demo_db):
    code, out, _ = run(
        "plan", "--place", "BHR", "--year", "2025", "--format", "csv", "--db", str(demo_db)
    )
    rows = list(csv.DictReader(io.StringIO(out)))
    hsss = [r for r in rows if r["service"] == "BHR Home, Settle & Support"]
    assert code == 0 and {float(r["capacity"]) for r in hsss} == {34 + 82 + 27}
    assert {r["place_code"] for r in rows} == {"BHR"}


def test_unknown_place_lists_known_places_on_stderr(demo_db):
    code, out, err = run("plan", "--place", "Narnia", "--year", "2025", "--db", str(demo_db))
    assert code == 1 and out == ""
    assert "Unknown place 'Narnia'" in err and "ONS code" in err
    code, out, err = run("plan", "--place", "Haver", "--year", "2025", "--db", str(demo_db))
    assert code == 1 and "Did you mean: Havering (E09000016)" in err


@pytest.mark.parametrize("year", ["25", "2025-27", "next"])
def test_bad_year_is_a_usage_error(demo_db, year, capsys):
    with pytest.raises(SystemExit) as caught:
        main(["plan", "--place", "Havering", "--year", year, "--db", str(demo_db)])
    assert caught.value.code == 2
    assert "Planning year" in capsys.readouterr().err


def test_places_and_services(demo_db):
    code, out, _ = run("places", "--db", str(demo_db))
    # Thurrock's people aged 65+: the ONS mid-2023 estimate in data/reference/population.csv.
    assert code == 0 and "E09000016" in out and "24,315" in out
    code, out, _ = run("places", "--in", "QH8", "--db", str(demo_db))  # Mid and South Essex ICB
    assert code == 0 and {"Thurrock", "Southend-on-Sea", "Essex"} <= set(out.split())
    assert "Havering" not in out
    code, out, _ = run("services", "--place", "Thurrock", "--db", str(demo_db))
    assert code == 0 and "thu_ucrt" in out and "bhr_hsss" not in out


def test_first_use_builds_the_demo_database(tmp_path):
    db = tmp_path / "new" / "cap.duckdb"
    code, out, err = run("places", "--db", str(db))
    assert code == 0 and db.exists()
    assert "Built the demo database" in err


def test_init_refuses_to_overwrite_without_force(tmp_path):
    db = tmp_path / "cap.duckdb"
    assert run("init", "--db", str(db))[0] == 0
    code, _, err = run("init", "--db", str(db))
    assert code == 1 and "--force" in err
    code, out, _ = run("init", "--force", "--db", str(db))
    assert code == 0 and "referrals" in out


def test_environment_variable_chooses_the_database(tmp_path, monkeypatch):
    db = tmp_path / "from-env.duckdb"
    monkeypatch.setenv(config.DB_ENV, str(db))
    assert run("places")[0] == 0
    assert db.exists()


def test_module_entry_point_runs(demo_db):
    env = {**os.environ, config.DB_ENV: str(demo_db)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "capacity",
            "plan",
            "--place",
            "Rutland",
            "--year",
            "2025",
            "--format",
            "csv",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(config.PROJECT_ROOT),
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("place_code,place,")
    failed = subprocess.run(
        [sys.executable, "-m", "capacity", "plan", "--place", "Nowhere", "--year", "2025"],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(config.PROJECT_ROOT),
        timeout=120,
    )
    assert failed.returncode == 1 and failed.stderr.startswith("error: Unknown place")


@pytest.mark.parametrize("year", ["2000", "2021"])
def test_a_year_before_the_data_is_a_clean_error_naming_the_years_with_data(
    demo_db, tmp_path, year
):
    out_file = tmp_path / "havering.csv"
    for argv in (
        ("plan", "--place", "Havering", "--year", year),
        ("export", "--place", "Havering", "--year", year, "--out", str(out_file)),
    ):
        code, out, err = run(*argv, "--db", str(demo_db))
        assert code == 1 and out == "", err
        assert err.startswith("error: ") and "from 2022-23 on" in err
        assert "Traceback" not in err
    assert not out_file.exists()


def test_a_scenario_for_months_before_the_data_is_refused_cleanly(writable_db, tmp_path):
    path = tmp_path / "old.json"
    path.write_text(
        '{"name": "Old winter", "changes": [{"lever": "demand_pct", "value": 10, '
        '"first_month": "2020-11", "last_month": "2021-02"}]}'
    )
    code, out, err = run("scenario", "save", str(path), "--db", str(writable_db))
    assert code == 1 and "from 2022-23 on" in err and "2020-21" in err
    assert "No saved scenarios yet." in run("scenario", "list", "--db", str(writable_db))[1]
