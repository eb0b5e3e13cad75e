"""The plan of every place is held once for every session: what one page does with its copy
never reaches another session's plan."""

from __future__ import annotations

import pandas as pd

from capacity.views import scenario_choices as choices
from pages import _common


def test_a_change_to_one_readers_plan_leaves_every_other_readers_plan_as_it_was(demo_db):
    version, _ = _common.store_versions(demo_db, _common.file_stamp(demo_db))
    key = _common.PlanKey(demo_db, version, 2025, choices.BASELINE, "")
    mine = _common.plan_everywhere(key)
    kept = mine.copy(deep=True)
    # What a careless page might do to the frame it was given.
    mine["gap"] = 0.0
    mine.loc[mine.index[0], "demand"] = -1.0
    del mine["flags"]
    theirs = _common.plan_everywhere(key)
    pd.testing.assert_frame_equal(theirs, kept)
    assert (theirs["gap"] != 0).any()


def test_a_places_rows_taken_by_position_are_exactly_its_rows_in_the_plan(demo_db):
    version, _ = _common.store_versions(demo_db, _common.file_stamp(demo_db))
    key = _common.PlanKey(demo_db, version, 2025, choices.BASELINE, "")
    plan = _common.plan_everywhere(key)
    codes = list(dict.fromkeys(plan["place_code"]))
    assert len(codes) > 5  # the demo's places and their systems
    for code in codes:
        expected = plan[plan["place_code"] == code]
        pd.testing.assert_frame_equal(_common.place_rows(key, code), expected)
    nowhere = _common.place_rows(key, "E99999999")
    assert nowhere.empty
    assert list(nowhere.columns) == list(plan.columns)


def test_changing_a_places_rows_leaves_the_held_plan_as_it_was(demo_db):
    version, _ = _common.store_versions(demo_db, _common.file_stamp(demo_db))
    key = _common.PlanKey(demo_db, version, 2025, choices.BASELINE, "")
    code = _common.plan_everywhere(key)["place_code"].iloc[0]
    kept = _common.place_rows(key, code).copy(deep=True)
    rows = _common.place_rows(key, code)
    rows.loc[rows.index[0], "capacity"] = -5.0
    rows["gap"] = 0.0
    pd.testing.assert_frame_equal(_common.place_rows(key, code), kept)
