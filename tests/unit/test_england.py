"""England as reference data: every authority and ICB in every database, catchment shares in
force unless a lead's own replace them, and a newer release reaching an existing database."""

from __future__ import annotations

import csv
import shutil
from datetime import date

import duckdb
import pandas as pd
import pytest

from capacity import config, england
from capacity.demo import build_demo_database, ensure_database
from capacity.formulas import england_bank_holidays
from capacity.model import system_members
from capacity.plan import PlanError, places_in, resolve_place
from capacity.store import Store
from capacity.validation import ValidationError

REFERENCE = config.REFERENCE_DIR


def _rows(name: str) -> list[dict]:
    with (REFERENCE / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_authority_and_icb_of_england_is_a_place(demo_store):
    places = demo_store.query("places")
    authorities = places[places["kind"] != "system"]
    icbs = places[places["system_type"] == "icb"]
    assert len(icbs) == 42
    england_codes = {row["code"] for row in _rows("hwb_places")}
    assert len(england_codes) == 153 and england_codes <= set(authorities["place_code"])
    # The demo's places keep their codes and are ordinary places of England now.
    havering = places.set_index("place_code").loc["E09000016"]
    assert havering["icb_code"] == "E54000029" and havering["parent_system"] == "BHR"
    assert havering["region_name"] == "London"
    # City of London and the Isles of Scilly share a board with Hackney and Cornwall.
    grouped = places.set_index("place_code").loc[["E09000001", "E06000053"]]
    assert list(grouped["hwb_group_code"]) == ["E09000012", "E06000052"]
    assert list(grouped["kind"]) == ["sub_area", "sub_area"]


def test_populations_are_the_ons_mid_2023_estimates_and_add_up_to_england(demo_store):
    places = demo_store.query("places")
    authorities = places[places["kind"] != "system"].set_index("place_code")
    aged_65 = {
        row["code"]: int(row["population"])
        for row in _rows("population")
        if row["measure"] == "estimate" and row["year"] == "2023" and row["age_band"] == "65+"
    }
    # ONS's figure for England as a whole, set against the sum of its authorities.
    assert aged_65["E92000001"] == 10_783_087
    assert authorities.loc[list(aged_65.keys() - {"E92000001"}), "population_65plus"].sum() == (
        10_783_087
    )
    assert authorities.loc["E06000034", "population_65plus"] == 24_315  # Thurrock
    assert "ONS mid-2023" in authorities.loc["E06000034", "source_note"]


def test_an_authority_split_across_icbs_belongs_to_the_one_holding_most_people(demo_store):
    places = demo_store.query("places").set_index("place_code")
    splits = demo_store.query("icb_splits")
    essex = splits[splits["place_code"] == "E10000012"]
    assert len(essex) == 3 and essex["pop_share"].sum() == pytest.approx(1, abs=1e-6)
    main = essex.loc[essex["pop_share"].idxmax(), "icb_code"]
    assert places.loc["E10000012", "icb_code"] == main == "E54000026"  # Mid and South Essex
    assert "of its people live in its main ICB" in places.loc["E10000012", "source_note"]


def test_a_system_is_an_icb_or_a_local_partnership_and_a_place_can_be_in_both(demo_store):
    places = demo_store.query("places")
    assert places_in(places, "BHR") == ["E09000002", "E09000016", "E09000026"]
    north_east_london = places_in(places, "E54000029")
    assert {"E09000002", "E09000016", "E09000026", "E09000012"} <= set(north_east_london)
    assert len(north_east_london) == 8  # seven boroughs and the City of London
    pairs = system_members(places)
    assert set(pairs.loc[pairs["place_code"] == "E09000016", "system_code"]) == {
        "BHR",
        "E54000029",
    }


def test_an_icb_is_found_by_its_ods_code_and_a_near_miss_is_suggested(demo_store):
    places = demo_store.query("places")
    assert resolve_place(places, "QMF")["place_code"] == "E54000029"
    assert resolve_place(places, "leeds")["place_code"] == "E08000035"
    with pytest.raises(PlanError, match=r"Did you mean: Leeds \(E08000035\)"):
        resolve_place(places, "Leed")
    with pytest.raises(PlanError, match="ONS code"):
        resolve_place(places, "Atlantis")


def test_catchment_shares_are_in_force_until_a_lead_loads_their_own(writable_db):
    catchment = {
        row["la_code"]: float(row["share"])
        for row in _rows("trust_catchment_pooled_2022release")
        if row["trust_code"] == "RF4"
    }
    with Store.open(writable_db) as store:
        in_force = store.query("trust_shares_in_force", places=None)
        rf4 = in_force[in_force["trust_code"] == "RF4"].set_index("place_code")
        assert rf4["share"].to_dict() == pytest.approx(catchment)
        assert set(rf4["basis"]) == {"catchment"}
        store.insert_frame(
            "trust_place_shares",
            pd.DataFrame(
                [
                    {
                        "trust_code": "RF4",
                        "place_code": "E09000016",
                        "share": 0.4,
                        "source_note": "x",
                    },
                    {
                        "trust_code": "RF4",
                        "place_code": "E09000026",
                        "share": 0.3,
                        "source_note": "x",
                    },
                ]
            ),
        )
        in_force = store.query("trust_shares_in_force", places=["E09000016", "E09000002"])
    rf4 = in_force[in_force["trust_code"] == "RF4"]
    # The lead's shares replace the trust's catchment whole: Barking and Dagenham's
    # catchment share does not mix in with them.
    assert rf4[["place_code", "share", "basis"]].values.tolist() == [["E09000016", 0.4, "local"]]
    other = in_force[in_force["trust_code"] == "R1H"]
    assert set(other["basis"]) == {"catchment"}


def test_every_trusts_catchment_shares_add_up_to_one(demo_store):
    totals = demo_store.query("trust_shares_in_force", places=None).groupby("trust_code")["share"]
    assert len(totals) == 138
    assert totals.sum().between(1 - 1e-5, 1 + 1e-5).all()


def test_trusts_carry_their_successor_codes(demo_store):
    trusts = demo_store.query("trusts").set_index("trust_code")
    assert len(trusts) == 142
    assert trusts.loc["RW6", "successor_codes"] == "R0A;RM3"
    assert trusts.loc["RF4", "name"].startswith("Barking, Havering And Redbridge")


def test_bank_holidays_from_the_package_match_the_published_list():
    listed = {date.fromisoformat(row["date"]) for row in _rows("bank_holidays_england_wales")}
    from_package = {day for year in range(2020, 2031) for day in england_bank_holidays(year)}
    assert from_package == listed


def test_an_older_database_gets_england_when_it_is_opened(tmp_path):
    path = tmp_path / "old.duckdb"
    build_demo_database(path)
    with duckdb.connect(str(path)) as con:  # as a database from before this release
        con.execute("DELETE FROM reference_loads")
        con.execute("DELETE FROM places WHERE system_type = 'icb' OR place_code = 'E08000035'")
        con.execute("UPDATE places SET name = 'Barking & Dagenham' WHERE place_code = 'E09000002'")
    assert ensure_database(path) is False
    with Store.open(path, read_only=True) as store:
        places = store.query("places").set_index("place_code")
        assert england.is_loaded(store)
    assert places.loc["E08000035", "name"] == "Leeds"
    assert places.loc["E09000002", "name"] == "Barking and Dagenham"
    assert places.loc["E09000002", "parent_system"] == "BHR"  # the partnership is kept
    assert (places["system_type"] == "icb").sum() == 42


def test_a_damaged_reference_file_changes_nothing(tmp_path):
    path = tmp_path / "db.duckdb"
    build_demo_database(path)
    folder = tmp_path / "reference"
    shutil.copytree(REFERENCE, folder)
    text = (folder / "trust_catchment_pooled_2022release.csv").read_text()
    (folder / "trust_catchment_pooled_2022release.csv").write_text(
        text.replace(
            "R0A,Manchester University NHS Foundation Trust,E08000003", "R0A,M,E99999999", 1
        )
    )
    with Store.open(path) as store:
        before = store.query("places_all_columns")
        with pytest.raises(ValidationError, match="E99999999"):
            england.refresh(store, folder)
        pd.testing.assert_frame_equal(store.query("places_all_columns"), before)
        assert england.refresh(store) is False  # this release is already there
