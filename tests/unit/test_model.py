"""The plan model: its columns are declared and checked when it is built."""

from __future__ import annotations

import pandas as pd
import pytest

from capacity.model import SEGMENT_COLUMNS, ModelError, PlanModel, check_columns, segments_at
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
