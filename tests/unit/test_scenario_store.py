"""Saved scenarios: checks before saving, versions, round trips, and the command line."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from capacity import scenario_store
from capacity.cli import main
from capacity.plan import plan_for
from capacity.scenarios.model import Change, Scenario, ScenarioError
from capacity.store import Store

WINTER = Scenario(
    "Winter BHR",
    (
        Change("demand_pct", 10, "2025-12", "2026-03", places=("BHR",)),
        Change("caseload_delta", 4, "2025-11", "2026-03", services=("bhr_rehab_beds",)),
    ),
    "Demand +10% from December; four flex beds from November",
    "A lead",
)


@pytest.fixture
def store(writable_db):
    with Store.open(writable_db) as opened:
        yield opened


def count(store: Store) -> dict[str, int]:
    return {
        t: store._con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608
        for t in ("scenarios", "scenario_versions", "scenario_changes")
    }


def test_save_load_apply_round_trip(store):
    saved = scenario_store.save(store, WINTER)
    assert saved.version == 1 and saved.changes == WINTER.changes
    loaded = scenario_store.load(store, "winter bhr")
    assert loaded.changes == WINTER.changes and loaded.description == WINTER.description
    applied = plan_for(store, "BHR", 2025, scenario=loaded)
    direct = plan_for(store, "BHR", 2025, scenario=WINTER)
    assert applied["capacity"].sum() == pytest.approx(direct["capacity"].sum())
    baseline = plan_for(store, "BHR", 2025)
    beds = lambda f: f[(f["service_id"] == "bhr_rehab_beds") & (f["month"] == "2025-11")][  # noqa: E731
        "capacity"
    ].sum()
    assert beds(applied) - beds(baseline) == pytest.approx(4 * 30 / 28)
    assert set(applied["scenario"]) == {"Winter BHR"}


def test_every_save_keeps_the_earlier_version(store):
    scenario_store.save(store, WINTER)
    edited = WINTER.with_changes(changes=WINTER.changes[:1], description="surge only")
    second = scenario_store.save(store, edited, replacing="Winter BHR")
    assert second.version == 2 and len(second.changes) == 1
    first = scenario_store.load(store, "Winter BHR", version=1)
    assert first.changes == WINTER.changes and first.description == WINTER.description
    assert list(scenario_store.history(store, "Winter BHR")["version"]) == [2, 1]


def test_delete_hides_but_keeps_the_versions(store):
    scenario_store.save(store, WINTER)
    scenario_store.delete(store, "Winter BHR")
    assert scenario_store.list_saved(store).empty
    with pytest.raises(ScenarioError, match="no scenario called"):
        scenario_store.load(store, "Winter BHR")
    assert count(store)["scenario_versions"] == 1
    scenario_store.save(store, WINTER)  # the name is free again
    assert len(scenario_store.list_saved(store)) == 1


def test_duplicate_copies_the_latest_version(store):
    scenario_store.save(store, WINTER)
    copy = scenario_store.duplicate(store, "Winter BHR", "Winter BHR (Havering)", "B")
    assert copy.changes == WINTER.changes and copy.version == 1 and copy.author == "B"


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        (
            WINTER.with_changes(
                changes=(Change("demand_pct", 10, "2025-12", "2026-03", places=("NOWHERE",)),)
            ),
            "unknown place 'NOWHERE'",
        ),
        (
            WINTER.with_changes(
                changes=(Change("demand_pct", 10, "2025-12", "2026-03", services=("ghost",)),)
            ),
            "unknown service 'ghost'",
        ),
        (
            WINTER.with_changes(changes=(Change("demand_pct", -150, "2025-12", "2026-03"),)),
            "a demand change must be from −100% to",
        ),
        (
            WINTER.with_changes(
                changes=(
                    Change("los_days", -30, "2025-12", "2026-03", services=("bhr_rehab_beds",)),
                )
            ),
            "BHR community rehabilitation beds: mean_los_days must be a number greater than 0",
        ),
        (
            WINTER.with_changes(
                changes=(
                    Change(
                        "caseload_delta", -80, "2025-12", "2026-03", services=("bhr_rehab_beds",)
                    ),
                )
            ),
            "caseload must be a number of at least 0",
        ),
        (
            WINTER.with_changes(changes=(Change("demand_pct", 10, "2026-03", "2025-12"),)),
            "is empty",
        ),
        # 61 winter beds less 60 leaves one to share, but 57 in the summer of 2024-25 (a year
        # neither the first nor the last month falls in) less 60 leaves fewer than none.
        (
            WINTER.with_changes(
                changes=(
                    Change(
                        "caseload_delta", -60, "2023-11", "2025-04", services=("bhr_rehab_beds",)
                    ),
                )
            ),
            "applied to 2024-25: BHR community rehabilitation beds: caseload must be a number "
            "of at least 0",
        ),
        (WINTER.with_changes(changes=()), "add at least one change"),
    ],
)
def test_refused_scenarios_save_nothing(store, scenario, message):
    before = count(store)
    with pytest.raises(ScenarioError) as caught:
        scenario_store.save(store, scenario)
    assert any(message in p for p in caught.value.problems), caught.value.problems
    assert count(store) == before


def test_a_duplicate_name_is_refused_whatever_its_case(store):
    scenario_store.save(store, WINTER)
    before = count(store)
    with pytest.raises(ScenarioError, match="already exists"):
        scenario_store.save(store, WINTER.with_changes(name="WINTER bhr"))
    assert count(store) == before


def test_presets_resolve_for_the_planning_year(store):
    surge = scenario_store.resolve(store, "preset:winter_surge", 2025)
    assert surge.changes[0].months() == ("2025-12", "2026-03")
    assert scenario_store.resolve(store, "baseline", 2025) is None
    with pytest.raises(ScenarioError, match="no preset called 'nope'"):
        scenario_store.resolve(store, "preset:nope", 2025)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out=out, err=err), out.getvalue(), err.getvalue()


def test_cli_save_list_show_plan_delete(writable_db, tmp_path):
    db = str(writable_db)
    path = tmp_path / "winter.json"
    path.write_text(json.dumps(WINTER.to_dict()))
    code, out, err = run("scenario", "save", str(path), "--db", db)
    assert code == 0 and "version 1" in out, err
    code, _, err = run("scenario", "save", str(path), "--db", db)
    assert code == 1 and "already exists" in err
    assert run("scenario", "save", str(path), "--update", "--db", db)[1].count("version 2")
    code, out, _ = run("scenario", "list", "--db", db)
    assert code == 0 and "Winter BHR" in out and "preset:winter_surge" in out
    code, out, _ = run("scenario", "show", "Winter BHR", "--version", "1", "--db", db)
    # BHR is the system of Barking & Dagenham, Havering and Redbridge, and is called so.
    assert (
        "1. 10% more demand in Barking & Dagenham, Havering and Redbridge, Dec 2025–Mar 2026"
    ) in out and "Versions: 2, 1" in out
    assert "2. 4 more beds at BHR community rehabilitation beds, Nov 2025–Mar 2026" in out
    code, out, _ = run(
        "plan",
        "--place",
        "BHR",
        "--year",
        "2025",
        "--format",
        "csv",
        "--scenario",
        "Winter BHR",
        "--db",
        db,
    )
    # The scenario column is the plan's last; the workforce columns follow it.
    assert code == 0 and set(pd.read_csv(io.StringIO(out))["scenario"]) == {"Winter BHR"}
    assert "scenario: 4 more beds at BHR community rehabilitation beds, Nov 2025–Mar 2026" in out
    code, _, err = run("plan", "--place", "BHR", "--year", "2025", "--scenario", "Nope", "--db", db)
    assert code == 1 and "no scenario called 'Nope'" in err
    assert run("scenario", "delete", "Winter BHR", "--db", db)[0] == 0
    assert "Winter BHR" not in run("scenario", "list", "--db", db)[1]


def test_cli_reports_a_malformed_file(writable_db, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"name": "x", "changes": [{"lever": "demand_pct"}]}')
    code, _, err = run("scenario", "save", str(path), "--db", str(writable_db))
    assert code == 1 and "missing value, first_month, last_month" in err


PARAMETERS_HEADER = (
    "service_id,place_code,method,caseload,mean_los_days,hours_per_month,"
    "hours_per_package_per_month,throughput,throughput_unit,hospital_share,"
    "contract_share,target_occupancy,spot_ceiling_per_month,valid_from,"
    "valid_to,source_note\n"
)


def save_then_cut_the_beds(db: str, tmp_path) -> None:
    """Save 'Fewer beds' (55 of BHR's 61 winter rehab beds closed, fine when saved), then
    import parameters that cut the beds to 50 all year, so the scenario no longer applies."""
    path = tmp_path / "fewer.json"
    path.write_text(
        json.dumps(
            Scenario(
                "Fewer beds",
                (
                    Change(
                        "caseload_delta", -55, "2024-11", "2025-03", services=("bhr_rehab_beds",)
                    ),
                ),
            ).to_dict()
        )
    )
    assert run("scenario", "save", str(path), "--db", db)[0] == 0
    cut = tmp_path / "beds.csv"
    cut.write_text(
        PARAMETERS_HEADER + "bhr_rehab_beds,,caseload,50,28,,,,,0.95,,,,2022-04-01,,"
        "Cut to 50 beds\n"
    )
    code, _, err = run("import", "parameters", str(cut), "--db", db)
    assert code == 0, err


def test_cli_names_a_saved_scenario_that_no_longer_applies(writable_db, tmp_path):
    db = str(writable_db)
    save_then_cut_the_beds(db, tmp_path)
    out_file = tmp_path / "bhr.xlsx"
    for argv in (
        ("plan", "--place", "BHR", "--year", "2024"),
        ("export", "--place", "BHR", "--year", "2024", "--out", str(out_file)),
    ):
        code, out, err = run(*argv, "--scenario", "Fewer beds", "--db", db)
        assert code == 1 and out == ""
        assert (
            "The scenario 'Fewer beds' cannot be applied to 2024-25: BHR community "
            "rehabilitation beds: caseload must be a number of at least 0 (got -5"
        ) in err, err
    assert not out_file.exists()
    assert run("plan", "--place", "BHR", "--year", "2024", "--db", db)[0] == 0  # the baseline


@pytest.mark.parametrize("version", ["0", "-1", "3"])
def test_cli_refuses_a_version_that_does_not_exist(writable_db, tmp_path, version):
    db = str(writable_db)
    path = tmp_path / "winter.json"
    path.write_text(json.dumps(WINTER.to_dict()))
    run("scenario", "save", str(path), "--db", db)
    run("scenario", "save", str(path), "--update", "--db", db)
    code, out, err = run("scenario", "show", "Winter BHR", "--version", version, "--db", db)
    assert code == 1 and out == ""
    assert f"'Winter BHR' has no version {version} (its versions are 1 to 2)" in err


def test_a_scenario_file_may_name_places_as_the_command_line_does(writable_db, tmp_path):
    db = str(writable_db)
    path = tmp_path / "havering.json"
    path.write_text(
        json.dumps(
            {
                "name": "Havering surge",
                "changes": [
                    {
                        "lever": "demand_pct",
                        "value": 10,
                        "first_month": "2025-12",
                        "last_month": "2026-03",
                        "places": ["Havering", "barking and dagenham"],
                    }
                ],
            }
        )
    )
    code, out, err = run("scenario", "save", str(path), "--db", db)
    assert code == 0, err
    with Store.open(writable_db, read_only=True) as store:
        saved = scenario_store.load(store, "Havering surge")
        assert saved.changes[0].places == ("E09000016", "E09000002")
        base, surged = (plan_for(store, "BHR", 2025, scenario=s) for s in (None, saved))
    january = [f[f["month"] == "2026-01"]["demand"].sum() for f in (base, surged)]
    assert january[1] > january[0]
    path.write_text(
        json.dumps(
            {
                "name": "Nowhere",
                "changes": [
                    {
                        "lever": "demand_pct",
                        "value": 10,
                        "first_month": "2025-12",
                        "last_month": "2026-03",
                        "places": ["Narnia"],
                    }
                ],
            }
        )
    )
    code, _, err = run("scenario", "save", str(path), "--db", db)
    assert code == 1 and "unknown place 'Narnia'" in err


def test_a_save_built_on_an_older_version_is_refused_and_says_who_saved_since(store):
    scenario_store.save(store, WINTER)
    # Two people open version 1; the first saves version 2 ...
    theirs = WINTER.with_changes(description="surge only", author="Ann Lee")
    assert scenario_store.save(store, theirs, replacing="Winter BHR", based_on=1).version == 2
    # ... and the second, still editing version 1, is told rather than silently replacing it.
    with pytest.raises(ScenarioError) as refused:
        scenario_store.save(
            store, WINTER.with_changes(description="mine"), replacing="Winter BHR", based_on=1
        )
    assert "since you opened version 1: version 2 by Ann Lee at" in refused.value.problems[0]
    assert count(store)["scenario_versions"] == 2
    # Built on the latest version, the save goes through.
    mine = WINTER.with_changes(description="mine")
    assert scenario_store.save(store, mine, replacing="Winter BHR", based_on=2).version == 3
