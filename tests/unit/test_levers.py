"""The lever arithmetic: scenarios and the Flow page's what-if move figures by the same code."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capacity import levers
from capacity.flow.inputs import adjust
from capacity.formulas import scale_by_percentage
from capacity.periods import planning_year_months
from capacity.scenarios.model import Change, Scenario
from capacity.views.flow import command_inputs
from tests.conftest import full_years, make_store, monthly_referrals, parameters

MONTHS = [m.key for m in planning_year_months(2025)]


def flow_inputs_for(store, place, service, year, scenario=None, *, weekday=True):
    """A service's flow inputs by the route the command line and the Flow page share."""
    return command_inputs(store, place, service, None, year, scenario, weekday=weekday)


@cache
def _beds_store():
    """One place's 10 step-down beds (all its own, one contract) with six referrals a month."""
    beds = {"service_id": "beds", "name": "Step-down beds", "service_type": "rehab_bed"}
    refs = monthly_referrals("A", "rehab_bed", "beds", "hospital", full_years(2024, 2024, 6))
    params = parameters(
        {
            "service_id": "beds",
            "method": "caseload",
            "caseload": 10,
            "mean_los_days": 20,
            "hospital_share": 1.0,
            "valid_from": "2020-04-01",
        }
    )
    return make_store([beds], [("beds", "A", None)], params, refs)


@settings(max_examples=25, deadline=None)
@given(
    extra=st.integers(-10, 30),
    los_pct=st.floats(-50, 200),
    first=st.sampled_from(MONTHS),
    length=st.integers(0, 11),
)
def test_the_flow_what_if_and_the_same_scenario_give_the_same_places_and_stay(
    extra, los_pct, first, length
):
    store = _beds_store()
    last = MONTHS[min(MONTHS.index(first) + length, len(MONTHS) - 1)]
    what_if = adjust(
        flow_inputs_for(store, "A", "beds", 2025),
        extra_places=extra,
        los_pct=los_pct,
        first_month=first,
        last_month=last,
    )
    scenario = Scenario(
        "What-if",
        (
            Change("caseload_delta", extra, first, last, services=("beds",)),
            Change("los_pct", los_pct, first, last, services=("beds",)),
        ),
    )
    planned = flow_inputs_for(store, "A", "beds", 2025, scenario)
    assert planned.caseload == pytest.approx(what_if.caseload, rel=1e-12, abs=1e-9)
    assert planned.mean_los_days == pytest.approx(what_if.mean_los_days, rel=1e-12)


@pytest.mark.parametrize(
    ("lever", "value", "expected"),
    [
        ("caseload_delta", 4, [14, 10]),
        ("los_days", -2, [8, 10]),
        ("caseload_pct", 50, [15, 10]),
        ("hours_pct", -10, [9, 10]),
        ("absence_pct", 10, [9, 10]),
        ("los_pct", 10, [11, 10]),
        ("target_occupancy", 0.9, [0.9, 10]),
    ],
)
def test_each_lever_moves_only_the_rows_in_scope(lever, value, expected):
    moved = levers.move(lever, value, np.array([10.0, 10.0]), np.array([True, False]))
    assert moved == pytest.approx(expected)


def test_a_demand_lever_is_not_a_capacity_lever():
    with pytest.raises(ValueError, match="not a capacity lever"):
        levers.move("demand_pct", 10, np.array([1.0]), np.array([True]))


@given(value=st.floats(0, 1e6), pct=st.floats(-100, 1000))
def test_scaling_by_a_percentage_and_back_by_zero(value, pct):
    assert scale_by_percentage(value, 0) == value
    assert scale_by_percentage(value, pct) == pytest.approx(value * (1 + pct / 100))
    assert scale_by_percentage(pd.Series([value]).to_numpy(), pct)[0] == pytest.approx(
        value + value * pct / 100, rel=1e-9, abs=1e-9
    )
