"""A discharge pathway's services pooled as one: sums, weighted stays, costs, and the best case."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from capacity.flow.costs import costs_for, pooled_costs
from capacity.flow.from_plan import FlowError, read_pool_records, year_dates
from capacity.flow.inputs import FlowInputs, PoolMember
from capacity.flow.pathway import (
    mixed_los_cv,
    pathway_label,
    pathway_pools,
    pool,
)
from capacity.flow.results import run
from capacity.views.flow import command_inputs
from tests.conftest import full_years, make_store, monthly_referrals, parameters, referrals

BEDS = {"service_id": "beds", "name": "Rehab beds", "service_type": "rehab_bed"}
STEPS = {"service_id": "steps", "name": "Step-down beds", "service_type": "other_short_term_bedded"}
HOME = {"service_id": "home", "name": "Reablement", "service_type": "reablement_home"}


def flow_inputs_for(store, place, service, year, scenario=None, *, weekday=True):
    """A service's flow inputs by the route the command line and the Flow page share."""
    return command_inputs(store, place, service, None, year, scenario, weekday=weekday)


def pathway_inputs_for(store, place, pathway, year, scenario=None, *, weekday=True):
    """A pathway pool's flow inputs by the route the command line and the Flow page share."""
    return command_inputs(store, place, None, pathway, year, scenario, weekday=weekday)


def on(inputs, day: str) -> int:
    return int(np.flatnonzero(inputs.dates == np.datetime64(day))[0])


def caseload(service_id, value, los, start="2020-04-01", end=None):
    return {
        "service_id": service_id,
        "method": "caseload",
        "caseload": value,
        "mean_los_days": los,
        "hospital_share": 1.0,
        "valid_from": start,
        "valid_to": end,
    }


def p2_store():
    """Place A: rehab beds (10, 14 from 16 Nov 2025; 20-day stays; 6 referrals a month) and
    step-down beds (7; 14-day stays; 3 referrals a month), both pathway 2, and a P1 service."""
    refs = pd.concat(
        [
            monthly_referrals("A", "rehab_bed", "beds", "hospital", full_years(2024, 2024, 6)),
            monthly_referrals(
                "A", "other_short_term_bedded", "steps", "hospital", full_years(2024, 2024, 3)
            ),
            monthly_referrals(
                "A", "reablement_home", "home", "hospital", full_years(2024, 2024, 9)
            ),
        ]
    )
    params = parameters(
        caseload("beds", 10, 20, end="2025-11-15"),
        caseload("beds", 14, 20, start="2025-11-16"),
        caseload("steps", 7, 14),
        caseload("home", 30, 28),
    )
    return make_store(
        [BEDS, STEPS, HOME],
        [("beds", "A", None), ("steps", "A", None), ("home", "A", None)],
        params,
        refs,
    )


def test_the_pool_sums_arrivals_and_places_and_weights_the_stay_by_arrivals():
    inputs = pathway_inputs_for(p2_store(), "A", "P2", 2025)
    assert [m.service_id for m in inputs.members] == ["beds", "steps"]
    assert inputs.service_id == "pathway:P2" and inputs.pathway == "P2"
    # Winter flex of one service opens on its own date in the pool: 10 + 7, then 14 + 7.
    assert inputs.caseload[on(inputs, "2025-11-15")] == pytest.approx(17)
    assert inputs.caseload[on(inputs, "2025-11-16")] == pytest.approx(21)
    # 6 + 3 referrals a month, projected from 2024-25.
    december = inputs.months == "2025-12"
    assert inputs.arrivals_per_day[december].sum() == pytest.approx(9)
    # Arrival-weighted stay: (6 × 20 + 3 × 14) ÷ 9 = 18 days.
    assert inputs.mean_los_days == pytest.approx(18)
    assert "arrival-weighted" in inputs.basis["los"]
    assert "first free place of any service" in inputs.basis["pool"]


def test_without_episodes_the_spread_mixes_each_services_stays_by_arrivals():
    inputs = pathway_inputs_for(p2_store(), "A", "P2", 2025)
    # Shares 2/3 and 1/3, stays 20 and 14 around a mean of 18, each exponential (cv 1):
    # cv² = Σ w (μᵢ/μ)² + Σ w (μᵢ/μ − 1)².
    w, r = np.array([2 / 3, 1 / 3]), np.array([20 / 18, 14 / 18])
    expected = np.sqrt((w * r**2).sum() + (w * (r - 1) ** 2).sum())
    assert inputs.los_cv == pytest.approx(expected)
    assert inputs.los_cv > 1  # two different mean stays spread the pool's stays wider


def test_a_pathway_with_one_modelled_service_is_that_service(demo_store):
    # BHR's only modelled pathway 3 service is the D2A nursing beds.
    pooled = pathway_inputs_for(demo_store, "BHR", "P3", 2025)
    alone = flow_inputs_for(demo_store, "BHR", "bhr_d2a_nursing", 2025)
    for name in ("arrivals_per_day", "mean_arrivals_per_day", "caseload", "mean_los_days"):
        assert np.array_equal(getattr(pooled, name), getattr(alone, name)), name
    assert (pooled.los_cv, pooled.hospital_share, pooled.in_service_today, pooled.contract) == (
        alone.los_cv,
        alone.hospital_share,
        alone.in_service_today,
        alone.contract,
    )
    a, b = run(pooled, replications=200), run(alone, replications=200)
    pd.testing.assert_frame_equal(a.monthly, b.monthly)
    assert a.winter == b.winter
    assert costs_for(pooled).place_per_day == costs_for(alone).place_per_day


def flat(beds: int, arrivals: float, los: float, service_id: str) -> FlowInputs:
    dates = year_dates(2025)
    days = len(dates)
    return FlowInputs(
        dates=dates,
        arrivals_per_day=np.full(days, arrivals),
        caseload=np.full(days, float(beds)),
        mean_los_days=np.full(days, los),
        in_service_today=0,
        service_id=service_id,
        service_type="rehab_bed",
        year=2025,
    )


def test_pooling_is_a_best_case_against_separate_queues():
    # Two services each busy on their own: 10 places with 9 occupied by demand, and 6 places
    # with 4. One queue for all 16 places cannot wait longer than the two queues apart.
    a, b = flat(10, 0.9, 10, "a"), flat(6, 0.4, 10, "b")
    pooled = pool([a, b], ["A", "B"], "P2")
    assert pooled.caseload == pytest.approx(16) and pooled.arrivals_per_day == pytest.approx(1.3)
    runs = [run(x, replications=300, seed=7).year for x in (a, b, pooled)]
    apart = (
        runs[0].arrivals * runs[0].wait_days_mean + runs[1].arrivals * runs[1].wait_days_mean
    ) / (runs[0].arrivals + runs[1].arrivals)
    assert runs[2].wait_days_mean <= apart
    assert runs[2].wait_days_mean < 0.5 * apart  # and here by a wide margin


def test_a_pools_place_cost_is_the_place_weighted_mean_of_its_services():
    table = pd.DataFrame(
        {"cost_per_day": [400.0, 100.0, 50.0], "source_note": ["h", "x", "y"]},
        index=["delayed_hospital_bed", "rehab_bed", "reablement_bed"],
    )
    members = (
        PoolMember("a", "A", "rehab_bed", "block", 10 * 365, 100, 20),
        PoolMember("b", "B", "reablement_bed", "block", 30 * 365, 50, 30),
    )
    costs = pooled_costs(members, table)
    # (10 × £100 + 30 × £50) ÷ 40 places = £62.50 a place-day.
    assert costs.place_per_day == pytest.approx(62.5)
    assert costs.hospital_bed_per_day == 400
    assert "place-weighted mean" in costs.place_note


def test_mixed_stays_of_one_length_keep_the_spread():
    same = (
        PoolMember("a", "A", "x", "block", 1, 5, 20),
        PoolMember("b", "B", "x", "block", 1, 5, 20),
    )
    assert mixed_los_cv(same, 0.5) == pytest.approx(0.5)


def test_only_discharge_pathways_with_a_modelled_service_are_offered(demo_store):
    from capacity.flow.from_plan import flow_services
    from capacity.plan import load_plan_inputs, places_in, prepare

    codes = places_in(demo_store.query("places"), "BHR")
    services = flow_services(prepare(load_plan_inputs(demo_store, codes, 2025)), codes)
    pools = pathway_pools(services)
    assert list(pools) == ["P1", "P2", "P3"]  # BHR's P0 service is planned by throughput
    assert list(pools["P2"]["service_id"]) == ["bhr_rehab_beds", "red_step_down"]
    assert pathway_label("P2", 2) == "Pathway 2 – all 2 modelled services (pooled)"


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("P0", "P0 (home with little or no new support) has no places to queue for"),
        ("P9", "Unknown pathway 'P9'"),
        ("P3", "P3 has no service with a caseload and a length of stay at Rutland"),
    ],
)
def test_a_pathway_that_cannot_be_pooled_lists_the_ones_that_can(demo_store, text, start):
    with pytest.raises(FlowError) as caught:
        pathway_inputs_for(demo_store, "Rutland", text, 2025)
    assert str(caught.value).startswith(start)
    assert str(caught.value).endswith(
        "Pathways with modelled services at Rutland: P1 (Rutland Micare reablement)"
    )


def test_a_pathway_can_be_named_by_its_number(demo_store):
    assert pathway_inputs_for(demo_store, "Rutland", "1", 2025).pathway == "P1"


def test_a_record_naming_only_its_service_type_counts_once_in_the_pool():
    # Two P1 services of the same type; 40 completed episodes name only the type.
    rows = [
        (
            f"R{n}",
            "A",
            "reablement_home",
            None,
            "hospital",
            "2024-05-01",
            "2024-05-01",
            f"2024-05-{11 + n % 10}",
        )
        for n in range(40)
    ]
    store = make_store(
        [HOME, HOME | {"service_id": "home2", "name": "Reablement 2"}],
        [("home", "A", None), ("home2", "A", None)],
        parameters(caseload("home", 30, 28), caseload("home2", 10, 28)),
        referrals(rows),
    )
    records = read_pool_records(
        store, ["A"], ["home", "home2"], ["reablement_home", "reablement_home"], 2025
    )
    assert records.completed == 40 and sum(records.weekday_referrals) == 40
