"""The plan model: its columns are declared and checked when it is built."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from capacity.model import (
    SEGMENT_COLUMNS,
    ModelError,
    PlanModel,
    check_columns,
    group_length_of_stay,
    segments_at,
)
from capacity.plan import load_plan_inputs, prepare
from capacity.scenarios.applying import apply
from capacity.scenarios.model import Change, Scenario


@pytest.fixture(scope="module")
def model(demo_store) -> PlanModel:
    return prepare(load_plan_inputs(demo_store, ["E09000016"], 2025))


def test_the_segments_have_every_declared_column_of_its_kind(model):
    assert set(SEGMENT_COLUMNS) <= set(model.segments.columns)


def test_a_model_missing_a_column_is_refused(model):
    with pytest.raises(ModelError, match="lack the column"):
        model.with_changes(segments=model.segments.drop(columns="mean_los_days"))


def test_a_model_with_text_for_a_number_is_refused(model):
    wrong = model.segments.assign(caseload="ten")
    with pytest.raises(ModelError, match="caseload"):
        model.with_changes(segments=wrong)


def test_an_empty_frame_is_checked_for_its_columns_only():
    empty = pd.DataFrame(columns=["a", "b"])
    assert check_columns(empty, {"a": "number", "b": "text"}, "test") is empty


def test_a_scenario_gives_a_new_model_and_leaves_the_old_one(model):
    scenario = Scenario("More beds", (Change("caseload_delta", 5, "2025-04", "2026-03"),))
    changed = apply(model, scenario)
    assert isinstance(changed, PlanModel) and changed is not model
    assert changed.scenario == "More beds" and model.scenario == "Baseline"
    assert (model.segments["caseload_extra"] == 0).all()
    assert len(segments_at(changed, ["E09000016"])) == len(model.segments)


# -- a group's length of stay ------------------------------------------------------


@pytest.mark.parametrize(
    ("stays", "weights", "fallback", "expected", "why"),
    [
        ([20, 14], [2, 1], None, 18.0, "(20 × 2 + 14 × 1) ÷ 3 = 54 ÷ 3"),
        (
            [20, 14],
            [0, 0],
            [1, 3],
            15.5,
            "no arrivals: by the fallback, (20 + 14 × 3) ÷ 4 = 62 ÷ 4",
        ),
        ([20, 14], [0, 0], None, 17.0, "no weight at all: equal, (20 + 14) ÷ 2"),
        ([20, np.nan], [1, 5], None, 20.0, "a member with no stay is left out"),
        ([np.nan, np.nan], [1, 1], None, np.nan, "no stay known: none"),
    ],
)
def test_a_groups_stay_is_the_weighted_mean_of_its_members(stays, weights, fallback, expected, why):
    got = group_length_of_stay(stays, weights, weighting="arrivals", fallback=fallback)
    assert got == pytest.approx(expected, nan_ok=True), why


def test_each_day_is_a_group_of_its_own():
    # Two segments over three days: the second is in force only on the last two.
    stays = np.array([[10.0, 10.0, 10.0], [np.nan, 40.0, 40.0]])
    places = np.array([[3.0], [1.0]])  # 3 places at 10 days, 1 place at 40 days
    got = group_length_of_stay(stays, places, weighting="places")
    assert got == pytest.approx([10.0, (30 + 40) / 4, 17.5])


@pytest.mark.parametrize("weights", [[0.01, 0.01, 0.18], [1 / 3, 1 / 3, 1 / 3], [7.3, 1e-9, 2.9]])
def test_members_with_the_same_stay_give_exactly_that_stay(weights):
    # A shared service's stay is the same at each of its places: the group's is that, to the
    # last digit. Worked naively in numpy, Σ w × 42 ÷ Σ w with weights 0.01, 0.01 and 0.18 is
    # 42.00000000000001.
    assert group_length_of_stay([42.0, 42.0, 42.0], weights, weighting="places") == 42.0
    assert group_length_of_stay([27.3], [0.37], weighting="days") == 27.3


def test_an_unknown_weighting_is_refused():
    with pytest.raises(ValueError, match="weighting must be one of places, arrivals, days"):
        group_length_of_stay([20, 14], [1, 1], weighting="beds")
