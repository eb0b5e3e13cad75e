"""Snapshots: a plan frozen under a name reads the same after later imports and scenario
deletions; names are checked; the command line and the workbook export keep them."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from capacity import scenario_store
from capacity.access import local_user
from capacity.cli import main
from capacity.export.scope import Scope
from capacity.ingest import load, stage_file
from capacity.scenarios.model import Change, Scenario, ScenarioError
from capacity.store import Store
from capacity.views import plans
from capacity.views import snapshots as view
from capacity.views.snapshots import SnapshotError

HAVERING = "E09000016"
LEAD = local_user("A lead")
REDBRIDGE = "E09000026"
BHR_PLACES = {"BHR", "E09000002", HAVERING, REDBRIDGE}
ORDER = ["place_code", "service_type", "service_id", "source", "month"]


@pytest.fixture
def store(writable_db):
    with Store.open(writable_db) as opened:
        yield opened


def take(store, name: str, place: str = HAVERING, scenario=None, **kwargs):
    return view.take_snapshot(
        store,
        name=name,
        place_code=place,
        year=2025,
        scenario=scenario,
        user=LEAD,
        **kwargs,
    )


def in_order(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(ORDER).reset_index(drop=True)


def raise_havering_hours(store, tmp_path: Path) -> None:
    """Havering reablement's hours go from 6,000 to 6,500 a month from October 2025."""
    path = tmp_path / "hours.csv"
    path.write_text(
        "service_id,method,mean_los_days,hours_per_month,hours_per_package_per_month,"
        "valid_from,valid_to,source_note\n"
        "hav_reablement,hours,28,5000,40,2022-04-01,2023-09-30,as before\n"
        "hav_reablement,hours,28,6000,40,2023-10-01,2025-09-30,as before\n"
        "hav_reablement,hours,28,6500,40,2025-10-01,,hours raised from 6000 to 6500\n"
    )
    work = tmp_path / "work"
    work.mkdir()
    assert load(store, stage_file(path, "parameters", workdir=work)).import_id is not None


def reablement_capacity(frame: pd.DataFrame, month: str) -> float:
    rows = frame[(frame["service_id"] == "hav_reablement") & (frame["month"] == month)]
    return float(rows["capacity"].sum())


# -- reading the same after a later import (golden compare) ------------------------


def test_a_snapshot_reads_as_the_plan_before_a_later_import_changed_it(store, tmp_path):
    before = plans.plan_of_places(store, [HAVERING], 2025, None)
    taken = take(store, "BCF submission 2025-26")
    raise_havering_hours(store, tmp_path)
    after = plans.plan_of_places(store, [HAVERING], 2025, None)
    # The import moved the plan: October's capacity is 6,500 hours ÷ 40 hours a package
    # × 31 days ÷ 28 days' stay, where it was 6,000 ÷ 40 × 31 ÷ 28.
    assert reablement_capacity(before, "2025-10") == pytest.approx(6000 / 40 * 31 / 28)
    assert reablement_capacity(after, "2025-10") == pytest.approx(6500 / 40 * 31 / 28)
    kept = view.snapshot_rows(store, taken.snapshot_id)
    pd.testing.assert_frame_equal(in_order(kept), in_order(before))
    with pytest.raises(AssertionError):
        pd.testing.assert_frame_equal(in_order(kept), in_order(after))
    # The imports in force then are the snapshot's; the new one is not among them.
    kept_imports = set(view.snapshot_imports(store, taken.snapshot_id)["import_id"])
    assert taken.last_import_id in kept_imports
    assert max(kept_imports) == taken.last_import_id
    newest = int(store.query("last_import_in_force").iloc[0]["import_id"])
    assert newest not in kept_imports


def test_a_systems_snapshot_keeps_the_system_and_each_place(store):
    taken = take(store, "BHR this month", place="BHR")
    rows = view.snapshot_rows(store, taken.snapshot_id)
    assert set(rows["place_code"]) == BHR_PLACES
    hsss = rows[(rows["service_id"] == "bhr_hsss") & (rows["month"] == "2025-04")]
    # Home, Settle & Support: 34, 82 and 27 referrals a month at the three places, 143 at BHR.
    by_place = hsss.groupby("place_code")["capacity"].sum()
    assert by_place["BHR"] == pytest.approx(34 + 82 + 27)
    assert by_place[HAVERING] == pytest.approx(82)


# -- scenarios ---------------------------------------------------------------------

SURGE = Scenario(
    "Havering surge",
    (Change("demand_pct", 10, "2025-12", "2026-03", places=(HAVERING,)),),
    "Demand 10% higher in winter",
    "A lead",
)


def test_a_snapshot_of_a_scenario_version_later_deleted_still_reads(store):
    scenario_store.save(store, SURGE)
    second = scenario_store.save(
        store, SURGE.with_changes(description="second version"), replacing="Havering surge"
    )
    taken = take(store, "Winter look", scenario=second)
    scenario_store.delete(store, "Havering surge")
    again = view.snapshot_by_id(store, taken.snapshot_id)
    assert again.scenario_label == "Havering surge (version 2)"
    assert again.scenario is not None
    assert again.scenario.changes == SURGE.changes
    assert again.scenario.description == "second version"
    rows = view.snapshot_rows(store, taken.snapshot_id)
    baseline = plans.plan_of_places(store, [HAVERING], 2025, None)

    def demand(frame, month):
        return float(frame[frame["month"] == month]["demand"].sum())

    # Demand 10% higher from December; November as the baseline has it.
    assert demand(rows, "2025-12") == pytest.approx(1.1 * demand(baseline, "2025-12"))
    assert demand(rows, "2025-11") == pytest.approx(demand(baseline, "2025-11"))
    assert set(rows["scenario"]) == {"Havering surge"}


def test_the_app_freezes_a_saved_scenario_at_its_current_version(store):
    scenario_store.save(store, SURGE)
    scenario_store.save(store, SURGE.with_changes(description="v2"), replacing="Havering surge")
    taken = view.snapshot_of_choice(
        store,
        name="Now",
        place_code=HAVERING,
        year=2025,
        scenario_key="Havering surge",
        user=LEAD,
    )
    assert (taken.scenario_version, taken.origin) == (2, "app")
    baseline = view.snapshot_of_choice(
        store,
        name="Base",
        place_code=HAVERING,
        year=2025,
        scenario_key="",
        user=LEAD,
    )
    assert baseline.scenario is None and baseline.scenario_label == "Baseline"


def test_a_scenario_no_longer_saved_is_refused_and_nothing_is_stored(store):
    with pytest.raises(ScenarioError, match="no scenario called 'Gone'"):
        view.snapshot_of_choice(
            store,
            name="X",
            place_code=HAVERING,
            year=2025,
            scenario_key="Gone",
            user=local_user("A"),
        )
    assert view.snapshot_list(store).empty


# -- names -------------------------------------------------------------------------


def stored(store) -> tuple[int, int]:
    """Snapshots listed, and rows kept by any snapshot."""
    return (
        len(view.snapshot_list(store)),
        store._con.execute("SELECT count(*) FROM snapshot_rows").fetchone()[0],
    )


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "A snapshot needs a name"),
        ("   ", "A snapshot needs a name"),
        ("x" * 201, "at most 200 characters; this one has 201"),
    ],
)
def test_an_empty_or_long_name_is_refused_with_the_reason(store, name, reason):
    with pytest.raises(SnapshotError, match=reason):
        take(store, name)
    assert stored(store) == (0, 0)


def test_two_hundred_characters_are_enough(store):
    assert len(take(store, "y" * 200).name) == 200


def test_a_name_is_unique_per_place_in_any_case(store):
    first = take(store, "DIWG 12 November")
    rows = stored(store)
    with pytest.raises(SnapshotError, match="Havering already has a snapshot called"):
        take(store, "  diwg 12 NOVEMBER ")
    assert stored(store) == rows
    other = take(store, "DIWG 12 November", place=REDBRIDGE)
    assert other.place == "Redbridge" and other.snapshot_id != first.snapshot_id
    with pytest.raises(SnapshotError, match="already has a snapshot"):
        view.rename_snapshot(
            store, take(store, "Another").snapshot_id, "dIWG 12 november", user=LEAD
        )
    renamed = view.rename_snapshot(store, first.snapshot_id, "DIWG 12 Nov (final)", user=LEAD)
    assert renamed.name == "DIWG 12 Nov (final)"


def test_delete_hides_from_the_list_but_the_snapshot_still_reads(store):
    first = take(store, "First")
    take(store, "Second")
    view.delete_snapshot(store, first.snapshot_id, user=LEAD)
    assert list(view.snapshot_list(store, HAVERING)["name"]) == ["Second"]
    kept = view.snapshot_by_id(store, first.snapshot_id)
    assert kept.name == "First" and not view.snapshot_rows(store, first.snapshot_id).empty
    take(store, "first")  # the name is free again


# -- what the app offers and shows ---------------------------------------------------


def test_the_suggested_name_is_the_meeting_and_the_date_and_is_free():
    day = date(2026, 12, 5)
    assert view.suggested_name([], day) == "DIWG 5 December 2026"
    assert view.suggested_name(["diwg 5 december 2026"], day) == "DIWG 5 December 2026 (2)"
    taken = ["DIWG 5 December 2026", "DIWG 5 December 2026 (2)"]
    assert view.suggested_name(taken, day) == "DIWG 5 December 2026 (3)"


def test_the_list_shows_labels_newest_first(store):
    scenario_store.save(store, SURGE)
    take(store, "Older", note="for the BCF")
    take(store, "Newer", scenario=scenario_store.load(store, "Havering surge"), origin="command")
    shown = view.snapshot_table(view.snapshot_list(store, HAVERING))
    assert list(shown["name"]) == ["Newer", "Older"]
    assert list(shown["scenario"]) == ["Havering surge (version 1)", "Baseline"]
    assert list(shown["origin"]) == ["Command line", "App"]
    assert list(shown["year"]) == ["2025-26", "2025-26"]
    assert list(shown["note"]) == ["", "for the BCF"]


def test_the_saved_sentence_names_place_year_scenario_and_data(store):
    sentence = view.saved_sentence(take(store, "DIWG"))
    assert sentence.startswith("Saved snapshot 'DIWG' of Havering, 2025-26, scenario Baseline, ")
    assert "data as loaded by import" in sentence


def test_an_export_keeps_a_snapshot_of_the_system_or_each_place_chosen():
    system = Scope(((HAVERING, "Havering"), (REDBRIDGE, "Redbridge")), ("BHR", "BHR"))
    assert view.export_snapshot_places(system) == ["BHR"]
    assert view.export_snapshot_places(Scope(((HAVERING, "Havering"),))) == [HAVERING]
    chosen = Scope(((HAVERING, "Havering"), (REDBRIDGE, "Redbridge")), ("", "Total of …"))
    assert view.export_snapshot_places(chosen) == [HAVERING, REDBRIDGE]
    when = datetime(2026, 12, 5, 11, 40, 7)
    assert view.export_snapshot_name("BCF workbook", when) == "BCF workbook 2026-12-05 11:40:07"


def test_a_snapshot_an_export_cannot_keep_is_reported_not_raised(writable_db):
    when = datetime(2026, 12, 5, 11, 40, 7)
    kept = view.keep_export_snapshots(
        writable_db,
        codes=[HAVERING],
        year=2025,
        scenario=None,
        user=LEAD,
        file_name="h.xlsx",
        made_at=when,
    )
    assert kept.problem is None and kept.taken[0].origin == "export"
    assert kept.sentence == (
        "Kept a snapshot of what was exported: 'BCF workbook 2026-12-05 11:40:07' of Havering."
    )
    again = view.keep_export_snapshots(
        writable_db,
        codes=[HAVERING],
        year=2025,
        scenario=None,
        user=LEAD,
        file_name="h.xlsx",
        made_at=when,
    )
    assert again.taken == ()
    assert again.sentence.startswith("No snapshot was kept of this export: Havering already has")


# -- the command line --------------------------------------------------------------


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_snapshot_save_list_rename_delete(writable_db):
    db = ("--db", str(writable_db))
    code, out, err = run(
        "snapshot", "save", "DIWG 5 December", "--place", "Havering", "--year", "2025", *db
    )
    assert code == 0, err
    assert out.startswith("Saved snapshot 'DIWG 5 December' of Havering, 2025-26, scenario ")
    code, out, err = run(
        "snapshot", "save", "Surge", "--place", "E09000016", "--year", "2025",
        "--scenario", "preset:winter_surge", "--note", "for the chair", *db,
    )  # fmt: skip
    assert code == 0 and "scenario Winter surge (preset)" in out, err
    code, out, _ = run("snapshot", "list", "--place", "Havering", *db)
    lines = out.splitlines()
    assert code == 0 and "Surge" in lines[1] and "DIWG 5 December" in lines[2]
    assert "Command line" in lines[1] and "2025-26" in lines[1]
    code, out, err = run("snapshot", "rename", "surge", "Winter surge look", *db)
    assert code == 0 and "Renamed 'Surge' to 'Winter surge look'" in out, err
    code, out, err = run("snapshot", "delete", "Winter surge look", "--place", "Havering", *db)
    assert code == 0 and "Deleted 'Winter surge look'" in out, err
    code, out, _ = run("snapshot", "list", *db)
    assert "Winter surge look" not in out and "DIWG 5 December" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("save", "", "--place", "Havering", "--year", "2025"), "A snapshot needs a name"),
        (("save", "x" * 201, "--place", "Havering", "--year", "2025"), "at most 200"),
        (("save", "taken", "--place", "Havering", "--year", "2025"), "already has a snapshot"),
        (("save", "x", "--place", "Narnia", "--year", "2025"), "Unknown place 'Narnia'"),
        (("save", "x", "--place", "Havering", "--year", "2025", "--scenario", "Gone"), "Gone"),
        (("rename", "nothing", "new"), "There is no snapshot called 'nothing'"),
        (("rename", "taken", ""), "A snapshot needs a name"),
        (("delete", "nothing"), "There is no snapshot called 'nothing'"),
    ],
)
def test_snapshot_errors_go_to_stderr_with_status_1(writable_db, argv, message):
    db = ("--db", str(writable_db))
    assert run("snapshot", "save", "Taken", "--place", "Havering", "--year", "2025", *db)[0] == 0
    before = run("snapshot", "list", *db)[1]
    code, out, err = run("snapshot", *argv, *db)
    assert code == 1 and out == ""
    assert err.startswith("error") and message in err, err
    assert run("snapshot", "list", *db)[1] == before


@pytest.mark.parametrize(
    "argv",
    [
        ("snapshot",),
        ("snapshot", "save", "x", "--year", "2025"),  # no --place
        ("snapshot", "save", "x", "--place", "Havering", "--year", "next"),
        ("snapshot", "frobnicate"),
    ],
)
def test_a_malformed_snapshot_command_exits_2(writable_db, argv, capsys):
    with pytest.raises(SystemExit) as caught:
        main([*argv, "--db", str(writable_db)])
    assert caught.value.code == 2


# -- the export keeps what was submitted ----------------------------------------------


def test_exporting_the_workbook_keeps_a_snapshot_and_csv_does_not(writable_db, tmp_path):
    db = ("--db", str(writable_db))
    code, out, err = run(
        "export", "--place", "Havering", "--year", "2025", "--out", str(tmp_path / "h.csv"), *db
    )
    assert code == 0 and err == "" and run("snapshot", "list", *db)[1] == "No snapshots yet.\n"
    target = tmp_path / "havering.xlsx"
    code, out, err = run(
        "export", "--place", "Havering", "--year", "2025", "--out", str(target), *db
    )
    assert code == 0 and err == "", err
    assert "Kept a snapshot of what was exported: 'BCF workbook " in out
    with Store.open(writable_db, read_only=True) as store:
        listed = view.snapshot_list(store, HAVERING)
        assert list(listed["origin"]) == ["export"]
        assert listed.iloc[0]["note"] == "Taken when havering.xlsx was exported."
        assert listed.iloc[0]["name"].startswith("BCF workbook 20")
        rows = view.snapshot_rows(store, int(listed.iloc[0]["snapshot_id"]))
        exported = plans.plan_of_places(store, [HAVERING], 2025, None)
    pd.testing.assert_frame_equal(in_order(rows), in_order(exported))


def test_a_zip_of_a_systems_workbooks_keeps_one_snapshot_of_the_system(writable_db, tmp_path):
    target = tmp_path / "bhr.zip"
    code, _, err = run(
        "export", "--place", "BHR", "--year", "2025", "--out", str(target), "--db", str(writable_db)
    )
    assert code == 0, err
    with zipfile.ZipFile(target) as archive:
        assert len(archive.namelist()) == 3
    with Store.open(writable_db, read_only=True) as store:
        listed = view.snapshot_list(store)
        assert list(listed["place_code"]) == ["BHR"] and list(listed["origin"]) == ["export"]
        assert set(view.snapshot_rows(store, int(listed.iloc[0]["snapshot_id"]))["place_code"]) == (
            BHR_PLACES
        )


def test_an_export_whose_snapshot_cannot_be_kept_still_succeeds_and_says_why(writable_db, tmp_path):
    target = tmp_path / "havering.xlsx"
    # Another reader holds the file in this process, so it cannot be opened for writing.
    with Store.open(writable_db, read_only=True):
        code, out, err = run(
            "export", "--place", "Havering", "--year", "2025", "--out", str(target),
            "--db", str(writable_db),
        )  # fmt: skip
    assert code == 0 and target.exists() and "Wrote" in out
    assert err.startswith("No snapshot was kept of this export: "), err
    with Store.open(writable_db, read_only=True) as store:
        assert view.snapshot_list(store).empty
