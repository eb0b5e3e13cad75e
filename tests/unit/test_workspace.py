"""A workspace that is not the demo: ``init --empty`` with its own places, refusals, and a
first plan for Leeds from a services file, parameters and one SitRep, worked by hand."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import pandas as pd
import pytest

from capacity import config
from capacity.cli import main
from capacity.ingest import load, stage_file
from capacity.plan import plan_for
from capacity.store import Store
from capacity.views.places import default_place
from capacity.views.workspace import is_empty, own_places, place_choices, setup_steps
from capacity.workspace import WorkspaceError, build_empty_database, resolve_places
from tests.sitrep_books import write_sitrep

LEEDS = "E08000035"
WEST_YORKSHIRE = "E54000054"  # ODS QWO
# West Yorkshire ICB's authorities, as data/reference/hwb_places.csv lists them.
WEST_YORKSHIRE_PLACES = {"E08000032", "E08000033", "E08000034", "E08000035", "E08000036"}


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def england_place_count() -> int:
    """Every authority in the reference file, and every ICB named in it."""
    with open(config.REFERENCE_DIR / "hwb_places.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    return len(rows) + len({row["icb_code"] for row in rows})


def workspace_rows(path: Path) -> pd.DataFrame:
    with Store.open(path, read_only=True) as store:
        return store.query("workspace_places")


@pytest.fixture(scope="module")
def empty_db(tmp_path_factory) -> Path:
    """One empty workspace with no places of its own (read it only)."""
    path = tmp_path_factory.mktemp("empty") / "empty.duckdb"
    code, out, err = run("init", "--empty", "--db", str(path))
    assert code == 0, err
    assert "Built an empty workspace" in out
    return path


def test_an_empty_workspace_holds_england_and_nothing_of_its_own(empty_db):
    with Store.open(empty_db, read_only=True) as store:
        counts = store.table_counts()
        places = store.query("places")
        kinds = store.query("import_log")["kind"]
    assert counts["places"] == england_place_count()
    assert counts["service_types"] > 0
    for table in ("services", "service_parameters", "referrals", "monthly_demand"):
        assert counts[table] == 0, table
    assert set(kinds) == {"reference"}  # nothing of the demo's
    assert is_empty(places) and own_places(places).empty
    leeds = places.set_index("place_code").loc[LEEDS]
    assert leeds["icb_code"] == WEST_YORKSHIRE and leeds["population_65plus"] > 0
    assert workspace_rows(empty_db).empty


@pytest.mark.parametrize("given", [LEEDS, "Leeds", "  leeds "])
def test_places_by_code_or_name(tmp_path, given):
    path = tmp_path / "leeds.duckdb"
    code, out, err = run("init", "--empty", "--places", given, "--db", str(path))
    assert code == 0, err
    rows = workspace_rows(path)
    assert list(rows["place_code"]) == [LEEDS] and rows["chosen"].all()
    assert "Leeds (E08000035)" in out and "Data page" in out
    with Store.open(path, read_only=True) as store:
        places = store.query("places")
    assert default_place(places) == LEEDS


@pytest.mark.parametrize("given", ["QWO", WEST_YORKSHIRE, "West Yorkshire ICB"])
def test_an_icb_brings_its_places_and_becomes_the_default(tmp_path, given):
    path = tmp_path / "wy.duckdb"
    code, _, err = run("init", "--empty", "--places", given, "--db", str(path))
    assert code == 0, err
    rows = workspace_rows(path).set_index("place_code")["chosen"]
    assert set(rows.index) == WEST_YORKSHIRE_PLACES | {WEST_YORKSHIRE}
    assert rows[WEST_YORKSHIRE] and not rows[list(WEST_YORKSHIRE_PLACES)].any()
    with Store.open(path, read_only=True) as store:
        assert default_place(store.query("places")) == WEST_YORKSHIRE


def test_several_places_and_a_name_with_a_comma(tmp_path):
    path = tmp_path / "two.duckdb"
    code, _, err = run(
        "init", "--empty", "--places", "Kingston upon Hull, City of,E08000035", "--db", str(path)
    )
    assert code == 0, err
    assert set(workspace_rows(path)["place_code"]) == {"E06000010", LEEDS}


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ("Leds", "Did you mean: Leeds (E08000035)?"),
        ("Leeds,Nowhere", "Unknown place 'Nowhere'"),
        ("E99999999", "Unknown place 'E99999999'"),
        (",", "Name at least one place"),
    ],
)
def test_bad_places_are_refused_with_nothing_written(tmp_path, given, said):
    path = tmp_path / "refused.duckdb"
    code, out, err = run("init", "--empty", "--places", given, "--db", str(path))
    assert code == 1 and said in err
    assert out == ""
    assert not path.exists()
    assert not list(tmp_path.iterdir())  # no half-built file left either


def test_a_refused_rebuild_leaves_the_existing_file_as_it_was(empty_db, tmp_path):
    path = tmp_path / "kept.duckdb"
    path.write_bytes(empty_db.read_bytes())
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    code, _, err = run("init", "--empty", "--force", "--places", "Leds", "--db", str(path))
    assert code == 1 and "Leeds" in err
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_places_without_empty_and_an_existing_file_are_refused(empty_db):
    code, _, err = run("init", "--places", "Leeds", "--db", str(empty_db))
    assert code == 1 and "add --empty" in err
    code, _, err = run("init", "--empty", "--db", str(empty_db))
    assert code == 1 and "already exists" in err and "empty workspace" in err


def test_resolving_keeps_every_name_not_known_in_one_message(empty_db):
    with Store.open(empty_db, read_only=True) as store:
        places = store.query("places")
    with pytest.raises(WorkspaceError) as refused:
        resolve_places(places, ["Leds", "Cornwal"])
    assert "Leeds (E08000035)" in str(refused.value) and "Cornwall" in str(refused.value)


def test_the_first_screen_lists_authorities_with_their_icb_then_icbs(empty_db):
    with Store.open(empty_db, read_only=True) as store:
        choices = place_choices(store.query("places"))
    assert choices[LEEDS] == "Leeds · West Yorkshire ICB · Yorkshire and The Humber"
    assert choices[WEST_YORKSHIRE].startswith("West Yorkshire ICB (all 5 of its places) · QWO")
    codes = list(choices)
    assert codes.index(LEEDS) < codes.index(WEST_YORKSHIRE)
    assert len(choices) == england_place_count()


# -- a first plan for Leeds from national data -----------------------------------------

# One SitRep month in the published layout: Leeds Teaching Hospitals (RR8) and Bradford
# Teaching Hospitals (RAE), whose OHID catchments both reach Leeds.
SITREP = {
    "RR8": {"p0": 2000, "p1": 400, "p1_other": 20, "p1_hotel": 5, "p2_rehab": 60, "p2_home": 30},
    "RAE": {"p0": 900, "p1": 150, "p2_rehab": 40},
}
# OHID's pooled shares living in Leeds, from trust_catchment_pooled_2022release.csv.
RR8_LEEDS, RAE_LEEDS = 0.776965, 0.031775
SERVICES = """service_id,name,provider,service_type,contract,place_code,source_note
LDS-REAB,Leeds reablement,Leeds City Council,reablement_home,block,Leeds,test
LDS-REHAB,Leeds rehab beds,Leeds Community Healthcare,rehab_bed,block,E08000035,test
"""
PARAMETERS = (
    (
        "service_id,method,throughput,throughput_unit,caseload,mean_los_days,hospital_share,"
        "valid_from,source_note\n"
    )
    + """LDS-REAB,throughput,300,month,,,1,2024-04-01,test
LDS-REHAB,caseload,,,40,28,1,2024-04-01,test
"""
)


@pytest.fixture(scope="module")
def leeds(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("leeds")
    path = folder / "leeds.duckdb"
    build_empty_database(path, "Leeds")
    files = {
        "services": folder / "services.csv",
        "parameters": folder / "parameters.csv",
    }
    files["services"].write_text(SERVICES)
    files["parameters"].write_text(PARAMETERS)
    files["sitrep"] = write_sitrep(folder / "sitrep.xlsx", "April 2024", SITREP)
    with Store.open(path) as store:
        for kind in ("services", "parameters", "sitrep"):
            result = load(store, stage_file(files[kind], kind, workdir=folder))
            assert result.import_id is not None, result.message
    return path


def test_a_first_plan_for_leeds_is_the_sitrep_times_the_catchment_shares(leeds):
    with Store.open(leeds, read_only=True) as store:
        plan = plan_for(store, LEEDS, 2025)
    hospital = plan[plan["source"] == "hospital"].set_index(["service_id", "month"])
    # Reablement at home is P1 (domestic home, other, hotel); rehab beds are P2 community
    # rehab. The projection averages each calendar month over the three planning years
    # before 2025-26 that have data (here only April 2024) and, with no growth set, keeps it.
    reablement = (400 + 20 + 5) * RR8_LEEDS + 150 * RAE_LEEDS
    rehab = 60 * RR8_LEEDS + 40 * RAE_LEEDS
    assert hospital.loc[("LDS-REAB", "2025-04"), "demand"] == pytest.approx(reablement, abs=1e-9)
    assert hospital.loc[("LDS-REHAB", "2025-04"), "demand"] == pytest.approx(rehab, abs=1e-9)
    assert hospital.loc[("LDS-REAB", "2025-04"), "demand_source"] == "NHS England discharge SitRep"
    # No SitRep for May: no demand data, never zero.
    assert pd.isna(hospital.loc[("LDS-REAB", "2025-05"), "demand"])
    # Capacity from the parameters: 300 a month, and 40 beds × 30 days / 28 days in April.
    assert hospital.loc[("LDS-REAB", "2025-04"), "capacity"] == pytest.approx(300)
    assert hospital.loc[("LDS-REHAB", "2025-04"), "capacity"] == pytest.approx(40 * 30 / 28)


def test_the_setup_steps_are_done_once_services_parameters_and_demand_are_in(leeds, empty_db):
    assert [s.done for s in setup_steps(empty_db, [LEEDS])] == [False, False, False]
    assert [s.done for s in setup_steps(leeds, [LEEDS])] == [True, True, True]
