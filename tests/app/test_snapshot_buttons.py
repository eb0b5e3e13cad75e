"""Snapshots from the app: the save button on Place and Scenarios, a place's list with rename and
delete, and the snapshot the workbook download keeps."""

from __future__ import annotations

from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from capacity import config
from capacity.views.snapshots import snapshot_by_id, snapshot_list, snapshot_rows
from pages import page_path
from tests.app.conftest import APP, no_errors

HAVERING = "E09000016"


@pytest.fixture
def app(writable_db, monkeypatch):
    """The app over a private database, which snapshots may be written to."""
    monkeypatch.setenv(config.DB_ENV, str(writable_db))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"place": HAVERING, "year": "2025"})
    return at.run()


def open_page(app, page: str):
    app.switch_page(page_path(page)).run()
    no_errors(app)
    return app


def save(app, name: str | None = None, note: str = ""):
    if name is not None:
        app.text_input(key="snap_name").set_value(name)
    app.text_area(key="snap_note").set_value(note)
    app.button(key="snap_save").click().run()
    return app


def test_the_place_pages_button_saves_what_the_page_shows(app, writable_db):
    open_page(app, "place")
    today = date.today()
    # The name offered is the meeting and today's date, written out.
    suggested = f"DIWG {today.day} {today:%B %Y}"
    assert app.text_input(key="snap_name").value == suggested
    save(app, note="Before the winter beds decision")
    no_errors(app)
    listed = snapshot_list(writable_db, HAVERING)
    assert list(listed["name"]) == [suggested]
    taken = snapshot_by_id(writable_db, int(listed.iloc[0]["snapshot_id"]))
    assert (taken.place_code, taken.planning_year, taken.origin) == (HAVERING, 2025, "app")
    assert taken.scenario_label == "Baseline" and taken.note == "Before the winter beds decision"
    assert taken.made_by  # who() names someone: the signed-in user, else the system's
    confirmed = " ".join(s.value for s in app.success)
    assert f"Saved snapshot '{suggested}' of Havering, 2025-26, scenario Baseline" in confirmed
    assert "data as loaded by import" in confirmed
    # Its rows are Havering's plan as the page showed it: 12 months per service and source.
    rows = snapshot_rows(writable_db, taken.snapshot_id)
    assert set(rows["place_code"]) == {HAVERING}
    assert len(rows) % 12 == 0 and len(rows) > 0
    # The next name offered is free: the same day's name is taken.
    assert app.text_input(key="snap_name").value == f"{suggested} (2)"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("   ", "A snapshot needs a name"),
        ("x" * 201, "at most 200 characters; this one has 201"),
    ],
)
def test_a_bad_name_is_refused_with_the_reason_and_nothing_is_saved(app, writable_db, name, reason):
    open_page(app, "place")
    save(app, name)
    no_errors_but = [e.value for e in app.error]
    assert len(no_errors_but) == 1 and "Nothing was saved" in no_errors_but[0]
    assert reason in no_errors_but[0]
    assert snapshot_list(writable_db, HAVERING).empty


def test_a_name_taken_for_the_place_is_refused(app, writable_db):
    open_page(app, "place")
    save(app, "DIWG November")
    save(app, "diwg NOVEMBER")
    assert "Havering already has a snapshot called 'DIWG November'" in app.error[0].value
    assert list(snapshot_list(writable_db, HAVERING)["name"]) == ["DIWG November"]


def test_the_scenarios_page_saves_the_sidebars_preset(app, writable_db):
    app.query_params["scenario"] = "preset:winter_surge"
    app.run()
    open_page(app, "scenarios")
    save(app, "Winter surge look")
    no_errors(app)
    taken = snapshot_list(writable_db, HAVERING).iloc[0]
    snapshot = snapshot_by_id(writable_db, int(taken["snapshot_id"]))
    assert snapshot.scenario is not None and snapshot.scenario.name == "Winter surge (preset)"
    assert "scenario Winter surge (preset)," in app.success[0].value


def test_the_list_renames_and_deletes_one_snapshot(app, writable_db):
    open_page(app, "place")
    save(app, "First look")
    save(app, "Second look")
    expander = next(e for e in app.expander if e.label == "Snapshots of Havering")
    shown = expander.dataframe[0].value
    assert list(shown["name"]) == ["Second look", "First look"]  # newest first
    assert list(shown["origin"]) == ["App", "App"] and list(shown["year"]) == ["2025-26"] * 2
    first = int(snapshot_list(writable_db, HAVERING).iloc[1]["snapshot_id"])
    app.selectbox(key="snap_chosen").select(first).run()
    app.text_input(key="snap_new_name").set_value("second LOOK")
    app.button(key="snap_rename").click().run()
    assert "Not renamed" in app.error[0].value and "'Second look'" in app.error[0].value
    app.text_input(key="snap_new_name").set_value("DIWG 12 November")
    app.button(key="snap_rename").click().run()
    no_errors(app)
    assert snapshot_by_id(writable_db, first).name == "DIWG 12 November"
    app.selectbox(key="snap_chosen").select(first).run()
    app.button(key="snap_delete").click().run()
    no_errors(app)
    assert list(snapshot_list(writable_db, HAVERING)["name"]) == ["Second look"]
    assert snapshot_by_id(writable_db, first).name == "DIWG 12 November"  # hidden, kept
    expander = next(e for e in app.expander if e.label == "Snapshots of Havering")
    assert list(expander.dataframe[0].value["name"]) == ["Second look"]


def test_downloading_the_workbook_keeps_a_snapshot(app, writable_db):
    open_page(app, "export")
    assert snapshot_list(writable_db, HAVERING).empty  # drawing the page keeps nothing
    app.get("download_button")[0].click().run()
    no_errors(app)
    listed = snapshot_list(writable_db, HAVERING)
    assert len(listed) == 1 and listed.iloc[0]["origin"] == "export"
    assert listed.iloc[0]["name"].startswith("BCF workbook ")
    assert (
        listed.iloc[0]["note"] == "Taken when havering-2025-26-capacity-demand.xlsx was exported."
    )
    assert "Kept a snapshot of what was exported" in app.success[0].value


def test_downloading_the_csv_keeps_none(app, writable_db):
    open_page(app, "export")
    app.radio(key="export_format").set_value("csv").run()
    app.get("download_button")[0].click().run()
    no_errors(app)
    assert snapshot_list(writable_db).empty
