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
    mine.drop(columns="flags", inplace=True)
    theirs = _common.plan_everywhere(key)
    pd.testing.assert_frame_equal(theirs, kept)
    assert (theirs["gap"] != 0).any()
