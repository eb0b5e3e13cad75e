"""Flow inputs built from the plan: places by day, shares, scenarios, records and defaults."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from capacity.flow.from_plan import (
    FlowError,
    default_start_day,
    spread_over_days,
    weekday_of,
    year_dates,
    year_span,
)
from capacity.plan import plan_for
from capacity.scenarios.model import Change, Scenario
from capacity.views.flow import command_inputs
from tests.conftest import full_years, make_store, monthly_referrals, parameters

BEDS = {"service_id": "beds", "name": "Step-down beds", "service_type": "rehab_bed"}
SPOT = {
    "service_id": "spot",
    "name": "Spot beds",
    "service_type": "reablement_bed",
    "contract": "spot",
}
SETTLE = {"service_id": "settle", "name": "Settle service", "service_type": "social_support"}


def flow_inputs_for(store, place, service, year, scenario=None, *, weekday=True):
    """A service's flow inputs by the route the command line and the Flow page share."""
    return command_inputs(store, place, service, None, year, scenario, weekday=weekday)


def beds_store(rows, links=(("beds", "A", None),), hospital=6):
    refs = pd.concat(
        [
            monthly_referrals(
                place, "rehab_bed", "beds", "hospital", full_years(2024, 2024, hospital)
            )
            for place in sorted({p for _, p, _ in links})
        ]
    )
    return make_store(
        [BEDS, SETTLE],
        list(links) + [("settle", "A", None)],
        parameters(
            *rows,
            {
                "service_id": "settle",
                "method": "throughput",
                "throughput": 30,
                "throughput_unit": "month",
                "valid_from": "2020-04-01",
            },
        ),
        refs,
    )


def caseload(value, start="2020-04-01", end=None, los=20, **more):
    return {
        "service_id": "beds",
        "method": "caseload",
        "caseload": value,
        "mean_los_days": los,
        "hospital_share": 1.0,
        "valid_from": start,
        "valid_to": end,
        **more,
    }


def on(inputs, day: str) -> int:
    return int(np.flatnonzero(inputs.dates == np.datetime64(day))[0])


def test_winter_flex_beds_open_on_their_date():
    store = beds_store([caseload(10, end="2025-11-15"), caseload(14, start="2025-11-16")])
    inputs = flow_inputs_for(store, "A", "beds", 2025)
    assert inputs.caseload[on(inputs, "2025-11-15")] == 10
    assert inputs.caseload[on(inputs, "2025-11-16")] == 14
    assert (inputs.caseload[: on(inputs, "2025-11-16")] == 10).all()
    assert (inputs.caseload[on(inputs, "2025-11-16") :] == 14).all()
    assert len(inputs.dates) == 365 and inputs.dates[0] == np.datetime64("2025-04-01")


def test_a_shared_service_gives_each_place_its_share_and_a_system_the_pool():
    # A refers 2 a month and B 6 over 2024-25, so by use A gets 0.25 of 20 beds and B 0.75
    # (by population, 30,000 and 10,000 people aged 65+, it would be the other way round).
    refs = pd.concat(
        [
            monthly_referrals(place, "rehab_bed", "beds", "hospital", full_years(2024, 2024, level))
            for place, level in (("A", 2), ("B", 6))
        ]
    )
    store = make_store(
        [BEDS], [("beds", "A", None), ("beds", "B", None)], parameters(caseload(20)), refs
    )
    assert flow_inputs_for(store, "A", "beds", 2025).caseload == pytest.approx(5)
    assert flow_inputs_for(store, "B", "beds", 2025).caseload == pytest.approx(15)
    assert flow_inputs_for(store, "SYS", "beds", 2025).caseload == pytest.approx(20)


def test_a_scenario_changes_places_stay_and_arrivals():
    store = beds_store([caseload(10)])
    scenario = Scenario(
        "Winter",
        (
            Change("caseload_delta", 4, "2025-11", "2026-03", services=("beds",)),
            Change("los_pct", -10, "2025-11", "2026-03"),
            Change("demand_pct", 10, "2025-12", "2025-12"),
        ),
    )
    inputs = flow_inputs_for(store, "A", "beds", 2025, scenario)
    assert inputs.caseload[on(inputs, "2025-10-31")] == 10
    assert inputs.caseload[on(inputs, "2025-11-01")] == pytest.approx(14)
    assert inputs.mean_los_days[on(inputs, "2025-11-01")] == pytest.approx(18)
    months = inputs.months
    assert inputs.arrivals_per_day[months == "2025-12"].sum() == pytest.approx(6 * 1.1)
    assert inputs.arrivals_per_day[months == "2025-11"].sum() == pytest.approx(6)


def test_arrivals_follow_the_plans_monthly_demand(demo_store):
    inputs = flow_inputs_for(demo_store, "BHR", "bhr_d2a_nursing", 2025)
    plan = plan_for(demo_store, "BHR", 2025)
    d2a = plan[plan["service_id"] == "bhr_d2a_nursing"].set_index("month")["demand"]
    by_month = pd.Series(inputs.arrivals_per_day).groupby(inputs.months).sum()
    assert by_month.to_numpy() == pytest.approx(d2a.loc[by_month.index].to_numpy())
    assert inputs.caseload == pytest.approx(20)
    assert (inputs.mean_los_days == 42).all()
    assert inputs.hospital_share == 1.0
    assert inputs.place_code == "BHR" and inputs.service_type == "p3_short_term_care_home"


def test_the_demos_weekend_discharges_are_fewer(demo_store):
    inputs = flow_inputs_for(demo_store, "BHR", "bhr_d2a_nursing", 2025)
    weekend = weekday_of(inputs.dates) >= 5
    assert inputs.arrivals_per_day[weekend].mean() < 0.6 * inputs.arrivals_per_day[~weekend].mean()
    assert "weekday pattern" in inputs.basis["arrivals"]
    even = flow_inputs_for(demo_store, "BHR", "bhr_d2a_nursing", 2025, weekday=False)
    assert np.allclose(even.arrivals_per_day, even.mean_arrivals_per_day)


def test_the_spread_of_stays_comes_from_completed_episodes(demo_store):
    # The demo draws stays from a gamma with shape 3: coefficient of variation 1/√3 ≈ 0.58.
    inputs = flow_inputs_for(demo_store, "BHR", "bhr_d2a_nursing", 2025)
    assert inputs.los_cv == pytest.approx(1 / np.sqrt(3), abs=0.08)
    assert "completed episodes" in inputs.basis["los_cv"]


def test_without_completed_episodes_stays_are_assumed_exponential():
    inputs = flow_inputs_for(beds_store([caseload(10)]), "A", "beds", 2025)
    assert inputs.los_cv == 1.0
    assert inputs.basis["los_cv"].startswith("assumed")


@pytest.mark.parametrize(("beds", "expected"), [(10, 4), (3, 3)])
def test_the_default_start_is_arrivals_times_stay_at_most_the_places(beds, expected):
    # 6 referrals in April 2024 → 6 projected for April 2025: 0.2 a day × 20 days = 4.
    inputs = flow_inputs_for(beds_store([caseload(beds)]), "A", "beds", 2025)
    assert inputs.in_service_today == expected and inputs.waiting_today == 0


def test_services_are_found_by_id_or_name_whatever_the_case(demo_store):
    by_name = flow_inputs_for(demo_store, "havering", "bhr DISCHARGE-to-assess nursing beds", 2025)
    assert by_name.service_id == "bhr_d2a_nursing"
    # Havering's share of use: 278 of the 621 referral records to the beds, Apr 2022 – Mar 2025.
    assert by_name.caseload == pytest.approx(20 * 278 / 621)


def test_an_unknown_service_lists_the_places_services(demo_store):
    with pytest.raises(FlowError) as raised:
        flow_inputs_for(demo_store, "Havering", "teleportation", 2025)
    message = str(raised.value)
    assert "Unknown service 'teleportation' at Havering" in message
    assert "BHR discharge-to-assess nursing beds (bhr_d2a_nursing)" in message
    assert "Havering reablement (hav_reablement)" in message


def test_a_service_with_no_caseload_says_why_it_cannot_be_modelled(demo_store):
    with pytest.raises(FlowError, match="stated throughput"):
        flow_inputs_for(demo_store, "Havering", "bhr_hsss", 2025)
    with pytest.raises(FlowError, match="assumed equal to demand"):
        flow_inputs_for(demo_store, "Thurrock", "thu_ucrt", 2025)


def test_target_occupancy_is_noted_not_applied():
    inputs = flow_inputs_for(beds_store([caseload(10, target_occupancy=0.9)]), "A", "beds", 2025)
    assert inputs.caseload == pytest.approx(10)
    assert any("target occupancy is not applied" in note for note in inputs.notes)


def test_spreading_by_weekday_keeps_each_months_total():
    dates = year_dates(2025)
    demand = np.arange(1, 13, dtype=float) * 10
    weights = np.array([1.2, 1.2, 1.2, 1.2, 1.2, 0.5, 0.5])
    daily, mean = spread_over_days(demand, dates, weights)
    months = dates.astype("datetime64[M]")
    totals = pd.Series(daily).groupby(months).sum().to_numpy()
    assert totals == pytest.approx(demand)
    assert pd.Series(mean).groupby(months).sum().to_numpy() == pytest.approx(demand)


def test_weekday_of_counts_from_monday():
    assert list(weekday_of(np.array(["2025-04-07", "2025-04-13"], dtype="datetime64[D]"))) == [
        0,
        6,
    ]  # a Monday and a Sunday


@pytest.mark.parametrize(
    ("year", "today", "start"),
    [
        (2026, date(2026, 11, 24), date(2026, 11, 24)),  # today is in 2026-27: start today
        (2025, date(2026, 11, 24), date(2025, 4, 1)),  # a past year: from 1 April
        (2027, date(2026, 11, 24), date(2027, 4, 1)),  # a year ahead: from 1 April
        (2026, date(2027, 3, 31), date(2027, 3, 31)),  # the year's last day is still in it
        (2026, date(2027, 4, 1), date(2026, 4, 1)),
        (2026, date(2026, 4, 1), date(2026, 4, 1)),
    ],
)
def test_a_run_starts_today_when_today_is_in_the_year_else_on_1_april(year, today, start):
    assert default_start_day(year, today) == start


def test_a_planning_year_runs_from_1_april_to_31_march():
    assert year_span(2027) == (date(2027, 4, 1), date(2028, 3, 31))
    assert len(year_dates(2027)) == 366  # February 2028 has 29 days
