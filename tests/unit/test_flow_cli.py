"""``python -m capacity flow``: the table, the CSV, and the error paths with exit statuses."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from capacity import config
from capacity.flow.report import DAY_COLUMNS, MONTH_COLUMNS
from capacity.plan import plan_for
from capacity.store import Store
from tests.unit.test_cli import run

D2A = (
    "flow",
    "--place",
    "BHR",
    "--service",
    "bhr_d2a_nursing",
    "--year",
    "2025",
    "--replications",
    "200",
)


@pytest.fixture(autouse=True)
def today_after_the_year(monkeypatch):
    """Today is after 2025-26, so runs of that year start on 1 April unless told."""
    monkeypatch.setattr(config, "today", lambda: date(2026, 11, 24))


def test_the_bhr_d2a_beds_table_says_who_waits_and_the_places_needed(demo_db):
    code, out, err = run(*D2A, "--db", str(demo_db))
    assert code == 0, err
    assert out.startswith(
        "BHR discharge-to-assess nursing beds · Barking & Dagenham, "
        "Havering and Redbridge, 2025-26 — baseline"
    )
    assert "Nov 2025" in out and "Mar 2026" in out
    assert "In winter (November to March), with 20 places: on an average day" in out
    assert "Keeping the chance of waiting under 5% needs" in out
    assert "Costs over the year" in out and "bed-days" in out


def test_csv_has_a_row_per_month_unrounded(demo_db):
    code, out, err = run(*D2A, "--format", "csv", "--db", str(demo_db))
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["place_code", "service_id", "scenario", *MONTH_COLUMNS]
    assert rows[0]["place_code"] == "BHR" and rows[0]["scenario"] == "Baseline"
    assert len(rows) == 12 and rows[0]["month"] == "2025-04"
    assert {r["beds_min"] for r in rows} == {"20"}
    assert len(rows[0]["arrivals"].split(".")[1]) > 6  # 43 ÷ 3 referrals, not rounded


def test_csv_can_have_a_row_per_day(demo_db):
    code, out, _ = run(*D2A, "--format", "csv", "--daily", "--db", str(demo_db))
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == 365
    assert list(rows[0])[3:] == DAY_COLUMNS and rows[0]["date"] == "2025-04-01"


def test_a_service_by_name_in_any_case(demo_db):
    code, out, err = run(
        "flow",
        "--place",
        "Havering",
        "--service",
        "bhr community REHABILITATION beds",
        "--year",
        "2025",
        "--replications",
        "100",
        "--db",
        str(demo_db),
    )
    assert code == 0, err
    assert out.startswith("BHR community rehabilitation beds · Havering")


def test_more_places_and_a_scenario_are_costed_against_the_baseline(demo_db):
    code, out, err = run(*D2A, "--extra-places", "10", "--db", str(demo_db))
    assert code == 0, err
    assert "with 30 places" in out and "less than the baseline" in out


def test_starting_conditions_can_be_given(demo_db):
    code, out, err = run(*D2A, "--in-service", "20", "--waiting", "15", "--db", str(demo_db))
    assert code == 0, err
    assert "Starting on 1 Apr 2025 with 20 in the service and 15 waiting." in out
    assert "Those waiting on the first day are all admitted by" in out


def test_an_unknown_service_lists_the_places_services(demo_db):
    code, out, err = run(
        "flow", "--place", "Havering", "--service", "nope", "--year", "2025", "--db", str(demo_db)
    )
    assert code == 1 and out == ""
    assert err.startswith("error: Unknown service 'nope' at Havering")
    assert "Havering reablement (hav_reablement)" in err
    assert "BHR Home, Settle & Support (bhr_hsss) — not modelled" in err


def test_a_service_that_cannot_be_modelled_says_why(demo_db):
    code, _, err = run(
        "flow",
        "--place",
        "Havering",
        "--service",
        "bhr_hsss",
        "--year",
        "2025",
        "--db",
        str(demo_db),
    )
    assert code == 1 and "planned by a stated throughput" in err


@pytest.mark.parametrize(
    ("flag", "value", "said"),
    [
        ("--replications", "0", "--replications must be a whole number from 1 to 10,000"),
        ("--replications", "1000000", "--replications must be a whole number from 1 to 10,000"),
        ("--target", "1.5", "--target must be a probability above 0 and below 1"),
        ("--target", "nan", "--target must be a probability above 0 and below 1"),
        ("--seed", "-1", "--seed must be a whole number of 0 or more"),
        ("--extra-places", "inf", "--extra-places must be a number from −5,000 to 5,000"),
        ("--extra-places", "nan", "--extra-places must be a number from −5,000 to 5,000"),
        ("--extra-places", "-21", "--extra-places -21 would leave fewer than no places"),
        ("--bed-cost", "inf", "--bed-cost must be an amount from £0 to £100,000 a day"),
        ("--place-cost", "-5", "--place-cost must be an amount from £0 to £100,000 a day"),
        ("--in-service", "-1", "--in-service must be a whole number from 0 to 5,000"),
        ("--waiting", "100000", "--waiting must be a whole number from 0 to 5,000"),
    ],
)
def test_bad_settings_are_refused_naming_the_flag(demo_db, flag, value, said):
    code, out, err = run(*D2A[:-2], flag, value, "--db", str(demo_db))
    assert (code, out) == (1, ""), err
    assert err.startswith(f"error: {said}"), err
    assert "Traceback" not in err and "£inf" not in err


def test_a_malformed_number_is_still_a_command_line_error(demo_db):
    with pytest.raises(SystemExit) as caught:
        run(*D2A, "--seed", "abc", "--db", str(demo_db))
    assert caught.value.code == 2


def test_an_unknown_place_is_an_error(demo_db):
    code, _, err = run(
        "flow", "--place", "Atlantis", "--service", "x", "--year", "2025", "--db", str(demo_db)
    )
    assert code == 1 and "Unknown place 'Atlantis'" in err


def test_waits_cut_off_when_the_run_stops_are_said_to_be_longer(demo_db):
    # All 20 beds taken away, 15 waiting on 1 April: nobody is ever admitted.
    code, out, err = run(*D2A, "--extra-places", "-20", "--waiting", "15", "--db", str(demo_db))
    assert code == 0, err
    assert "an arrival waits more than" in out
    assert "still waiting at the end" in out and "over " in out
    assert "are all admitted" not in out
    assert "Those waiting on the first day are not all admitted by the time the run stops" in out
    code, out, err = run(*D2A, "--extra-places", "-20", "--format", "csv", "--db", str(demo_db))
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and all(float(r["still_waiting_at_end"]) > 0 for r in rows)


def test_places_taken_away_lower_the_default_number_in_the_service(demo_db):
    # 15 of the 20 beds taken away: the service starts with at most the 5 left, not 20.
    code, out, err = run(*D2A, "--extra-places", "-15", "--db", str(demo_db))
    assert code == 0, err
    assert (
        "Start: 1 Apr 2025 (days before it are not simulated): 5 in the service, 0 waiting" in out
    )
    code, out, err = run(
        *D2A, "--extra-places", "-15", "--format", "csv", "--daily", "--db", str(demo_db)
    )
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and err == ""
    assert max(float(r["occupancy_p95"]) for r in rows) <= 5


def test_more_in_the_service_than_its_places_is_run_with_a_warning(demo_db):
    code, out, err = run(*D2A, "--in-service", "200", "--db", str(demo_db))
    assert code == 0, err
    assert (
        "Warning: 200 people are in the service on 1 Apr 2025, 180 more than its 20 places." in out
    )
    code, out, err = run(*D2A, "--in-service", "200", "--format", "csv", "--db", str(demo_db))
    assert code == 0
    assert err.startswith("warning: 200 people are in the service on 1 Apr 2025")
    rows = list(csv.DictReader(io.StringIO(out)))
    # They leave as their stays end: April is far over the places, later months are not.
    assert float(rows[0]["occupancy_mean"]) > 100
    assert max(float(r["occupancy_p95"]) for r in rows[6:]) <= 20


def test_a_run_can_start_later_in_the_year(demo_db):
    code, out, err = run(*D2A, "--start", "2025-11-24", "--format", "csv", "--db", str(demo_db))
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["month"] for r in rows] == ["2025-11", "2025-12", "2026-01", "2026-02", "2026-03"]
    assert (rows[0]["first_day"], rows[0]["days"]) == ("2025-11-24", "7")
    code, out, err = run(*D2A, "--start", "2025-11-24", "--waiting", "10", "--db", str(demo_db))
    assert code == 0, err
    assert "Start: 24 Nov 2025 (days before it are not simulated)" in out
    assert "24–30 Nov 2025" in out and "Apr 2025" not in out
    assert "In the rest of winter, from 24 Nov 2025, with 20 places" in out
    assert "Starting on 24 Nov 2025 with 20 in the service and 10 waiting." in out
    assert "Costs over the rest of the year, from 24 Nov 2025" in out


def test_the_run_starts_today_when_today_is_in_the_year(demo_db, monkeypatch):
    monkeypatch.setattr(config, "today", lambda: date(2026, 1, 10))
    code, out, err = run(*D2A, "--format", "csv", "--db", str(demo_db))
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0, err
    assert [(r["first_day"], r["days"]) for r in rows] == [
        ("2026-01-10", "22"),
        ("2026-02-01", "28"),
        ("2026-03-01", "31"),
    ]


@pytest.mark.parametrize("start", ["2025-03-31", "2026-04-01"])
def test_a_start_outside_the_planning_year_is_refused(demo_db, start):
    code, out, err = run(*D2A, "--start", start, "--db", str(demo_db))
    assert (code, out) == (1, "")
    assert err == (
        f"error: --start must be a day of the planning year 2025-26, from 2025-04-01 "
        f"to 2026-03-31 (got {start})\n"
    )


def test_a_start_that_is_not_a_date_is_a_command_line_error(demo_db, capsys):
    with pytest.raises(SystemExit) as caught:
        run(*D2A, "--start", "2025-02-30", "--db", str(demo_db))
    assert caught.value.code == 2
    assert "'2025-02-30' is not a date: use the form YYYY-MM-DD" in capsys.readouterr().err


# -- a pathway's services pooled ---------------------------------------------------

P2 = ("flow", "--place", "BHR", "--pathway", "P2", "--year", "2025", "--replications", "200")


def test_a_pathway_pools_its_services_and_says_which(demo_db):
    code, out, err = run(*P2, "--db", str(demo_db))
    assert code == 0, err
    assert out.startswith(
        "Pathway 2 – all 2 modelled services (pooled) · Barking & Dagenham, "
        "Havering and Redbridge, 2025-26 — baseline"
    )
    assert (
        "Pool: P2: BHR community rehabilitation beds, Redbridge step-down beds; a person "
        "takes the first free place of any service on the pathway" in out
    )
    # 61 rehab beds from November (57 before) and 7 step-down beds.
    assert "In winter (November to March), with 68 places" in out


def test_a_pathways_csv_names_the_pathway_and_its_services(demo_db):
    code, out, err = run(*P2, "--format", "csv", "--db", str(demo_db))
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["place_code", "pathway", "service_ids", "scenario", *MONTH_COLUMNS]
    assert {(r["pathway"], r["service_ids"]) for r in rows} == {
        ("P2", "bhr_rehab_beds;red_step_down")
    }
    # Rehab beds 61 to 30 April 2025, then 57 to October, then 61; and 7 step-down beds.
    assert [int(r["beds_max"]) for r in rows] == [68] + [64] * 6 + [68] * 5
    with Store.open(demo_db, read_only=True) as store:
        plan = plan_for(store, "BHR", 2025)
    pooled = plan[plan["service_id"].isin(["bhr_rehab_beds", "red_step_down"])]
    demand = pooled.groupby("month")["demand"].sum()
    assert [float(r["arrivals"]) for r in rows] == pytest.approx(list(demand))


@pytest.mark.parametrize("extra", [(), ("--service", "bhr_d2a_nursing")])
def test_exactly_one_of_service_and_pathway_is_needed(demo_db, extra, capsys):
    with pytest.raises(SystemExit) as caught:
        run(
            "flow",
            "--place",
            "BHR",
            "--year",
            "2025",
            *(("--pathway", "P2") if extra else ()),
            *extra,
            "--db",
            str(demo_db),
        )
    assert caught.value.code == 2
    said = capsys.readouterr().err
    assert (
        "one of the arguments --service --pathway is required" in said
        or "not allowed with argument" in said
    )


@pytest.mark.parametrize(
    ("pathway", "first"),
    [
        ("P7", "error: Unknown pathway 'P7'"),
        ("P2", "error: P2 has no service with a caseload and a length of stay at Rutland"),
        ("P0", "error: P0 (home with little or no new support) has no places to queue for"),
    ],
)
def test_a_pathway_that_cannot_be_run_lists_the_ones_that_can(demo_db, pathway, first):
    code, out, err = run(
        "flow", "--place", "Rutland", "--pathway", pathway, "--year", "2025", "--db", str(demo_db)
    )
    assert (code, out) == (1, "")
    assert err.startswith(first)
    assert "Pathways with modelled services at Rutland: P1 (Rutland Micare reablement)" in err
