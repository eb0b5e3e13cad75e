"""Observed flow from records, and Little's law against what a lead stated."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from capacity.observed import compare_with_stated, observed_measures
from tests.conftest import make_store, parameters, referrals

BEDS = [{"service_id": "beds", "name": "Step-down beds", "service_type": "rehab_bed"}]


def steady_state(per_day: int, stay_days: int, first: date, last: date) -> pd.DataFrame:
    """``per_day`` admissions every day, each staying exactly ``stay_days``."""
    rows, day, n = [], first, 0
    while day <= last:
        for _ in range(per_day):
            end = day + timedelta(days=stay_days)
            rows.append(
                (
                    f"E{n}",
                    "A",
                    "rehab_bed",
                    "beds",
                    "hospital",
                    day,
                    day,
                    end if end <= last else None,
                )
            )
            n += 1
        day += timedelta(days=1)
    return referrals(rows)


def store_for(caseload: float, los: float):
    params = parameters(
        {
            "service_id": "beds",
            "method": "caseload",
            "caseload": caseload,
            "mean_los_days": los,
            "hospital_share": 1,
            "valid_from": "2020-01-01",
        }
    )
    refs = steady_state(2, 10, date(2024, 1, 1), date(2025, 3, 31))
    return make_store(BEDS, [("beds", "A", None)], params, refs)


def test_steady_state_obeys_littles_law():
    store = store_for(20, 10)
    measures = observed_measures(store, ["A"], date(2024, 4, 1), date(2025, 3, 1)).iloc[0]
    assert measures["arrivals_per_day"] == pytest.approx(2)
    assert measures["observed_los_days"] == pytest.approx(10)
    assert measures["observed_occupancy"] == pytest.approx(20)  # 2 a day × 10 days
    assert measures["littles_law_occupancy"] == pytest.approx(measures["observed_occupancy"])


def test_stated_figures_that_match_the_records_raise_no_flag():
    comparison = compare_with_stated(store_for(20, 10), ["A"]).iloc[0]
    assert comparison["stated_caseload"] == pytest.approx(20)
    assert comparison["caseload_ratio"] == pytest.approx(1)
    assert comparison["capacity_ratio"] == pytest.approx(1, rel=0.01)
    assert comparison["flags"] == ""


def test_a_stated_caseload_that_the_records_contradict_is_flagged():
    comparison = compare_with_stated(store_for(28, 14), ["A"]).iloc[0]
    assert "observed occupancy is 29% below stated caseload" in comparison["flags"]
    assert "observed length of stay is 29% below stated length of stay" in comparison["flags"]


def test_default_window_is_the_last_twelve_complete_months():
    comparison = compare_with_stated(store_for(20, 10), ["A"]).iloc[0]
    assert comparison["arrivals"] == 2 * (365)  # April 2024 to March 2025
