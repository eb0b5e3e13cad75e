"""Scenarios: each lever against hand-computed values, combination order, scope, and checks."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from capacity.plan import compute, load_plan_inputs, prepare
from capacity.scenarios.applying import apply
from capacity.scenarios.checks import Context, problems
from capacity.scenarios.model import Change, Scenario, ScenarioError
from capacity.scenarios.parsing import scenario_from_dict, scenario_from_json
from capacity.scenarios.presets import load_presets
from capacity.scenarios.sensitivity_analysis import sensitivity
from capacity.summary import shortfall
from tests.conftest import full_years, make_store, monthly_referrals, parameters

BEDS = {"service_id": "beds", "name": "Rehab beds", "service_type": "rehab_bed"}
REAB = {"service_id": "reab", "name": "Reablement", "service_type": "reablement_home"}
HOURS = {"service_id": "hours", "name": "Bridging", "service_type": "short_term_domcare"}
UCR = {"service_id": "ucr", "name": "UCR", "service_type": "ucr"}


@pytest.fixture(scope="module")
def store():
    params = parameters(
        {
            "service_id": "beds",
            "method": "caseload",
            "caseload": 10,
            "mean_los_days": 28,
            "hospital_share": 1,
            "valid_from": "2020-04-01",
        },
        {
            "service_id": "reab",
            "method": "caseload",
            "caseload": 30,
            "mean_los_days": 30,
            "hospital_share": 1,
            "valid_from": "2020-04-01",
        },
        {
            "service_id": "hours",
            "method": "hours",
            "hours_per_month": 2400,
            "hours_per_package_per_month": 48,
            "mean_los_days": 20,
            "valid_from": "2020-04-01",
        },
        {"service_id": "ucr", "method": "equal_to_demand", "valid_from": "2020-04-01"},
    )
    refs = pd.concat(
        [
            monthly_referrals(p, "rehab_bed", "beds", "hospital", full_years(2024, 2024, n))
            for p, n in (("A", 9), ("B", 3))
        ]
        + [
            monthly_referrals(
                "A", "reablement_home", "reab", "hospital", full_years(2024, 2024, 20)
            ),
            monthly_referrals(
                "A", "short_term_domcare", "hours", "hospital", full_years(2024, 2024, 60)
            ),
            monthly_referrals("A", "ucr", "ucr", "community", full_years(2024, 2024, 40)),
        ]
    )
    links = [
        ("beds", "A", None),
        ("beds", "B", None),
        ("reab", "A", None),
        ("hours", "A", None),
        ("ucr", "A", None),
    ]
    return make_store([BEDS, REAB, HOURS, UCR], links, params, refs)


@pytest.fixture(scope="module")
def prepared(store):
    return prepare(load_plan_inputs(store, ["A", "B"], 2025))


def value(frame, service, month, column="capacity", place="A", source="hospital"):
    hit = frame[
        (frame["service_id"] == service)
        & (frame["month"] == month)
        & (frame["place_code"] == place)
        & (frame["source"] == source)
    ]
    assert len(hit) == 1
    return float(hit.iloc[0][column])


def run(prepared, *changes: Change) -> pd.DataFrame:
    return compute(apply(prepared, Scenario("test", tuple(changes))))


WINTER = ("2025-11", "2026-03")


def test_the_baseline_changes_nothing(prepared):
    base = compute(prepared)
    for scenario in (None, Scenario("baseline"), Scenario("empty", ())):
        pd.testing.assert_frame_equal(
            compute(apply(prepared, scenario)).drop(columns="scenario"),
            base.drop(columns="scenario"),
        )


def test_apply_leaves_the_prepared_plan_unchanged(prepared):
    before = compute(prepared)
    run(prepared, Change("caseload_delta", 4, *WINTER), Change("demand_pct", 50, *WINTER))
    pd.testing.assert_frame_equal(compute(prepared), before)


def test_four_extra_beds_from_november_on_a_28_day_stay(prepared):
    base = compute(prepared)
    frame = run(
        prepared,
        Change("caseload_delta", 4, "2025-11", "2026-03", places=("A", "B"), services=("beds",)),
    )
    added = sum(
        value(frame, "beds", "2025-11", place=p) - value(base, "beds", "2025-11", place=p)
        for p in ("A", "B")
    )
    assert added == pytest.approx(4 * 30 / 28)  # 4.29
    assert value(frame, "beds", "2025-10") == value(base, "beds", "2025-10")
    november = frame[(frame["service_id"] == "beds") & (frame["month"] == "2025-11")]
    # Rehab beds are a bedded service type, so the note speaks of beds, and names it.
    assert (
        november["flags"]
        .str.contains(
            "scenario: 4 more beds at Rehab beds in Place A and Place B, Nov 2025–Mar 2026",
            regex=False,
        )
        .all()
    )


def test_extra_beds_for_one_place_of_a_shared_service_go_to_that_place(prepared):
    base = compute(prepared)
    frame = run(prepared, Change("caseload_delta", 4, *WINTER, places=("A",), services=("beds",)))
    assert value(frame, "beds", "2025-11", place="A") - value(
        base, "beds", "2025-11", place="A"
    ) == pytest.approx(4 * 30 / 28)
    assert value(frame, "beds", "2025-11", place="B") == value(base, "beds", "2025-11", place="B")


def test_demand_percentages_multiply_and_keep_to_their_months(prepared):
    base = compute(prepared)
    frame = run(
        prepared,
        Change("demand_pct", 10, "2025-12", "2026-03"),
        Change("demand_pct", 10, "2026-01", "2026-01"),
    )
    assert value(frame, "reab", "2025-12", "demand") == pytest.approx(20 * 1.1)
    assert value(frame, "reab", "2026-01", "demand") == pytest.approx(20 * 1.1 * 1.1)
    assert value(frame, "reab", "2025-11", "demand") == value(base, "reab", "2025-11", "demand")


def test_a_change_to_one_place_leaves_another_unchanged(prepared):
    base = compute(prepared)
    frame = run(prepared, Change("demand_pct", 50, *WINTER, places=("A",)))
    assert value(frame, "beds", "2025-12", "demand", place="A") == pytest.approx(9 * 1.5)
    assert value(frame, "beds", "2025-12", "demand", place="B") == value(
        base, "beds", "2025-12", "demand", place="B"
    )


def test_a_system_in_scope_stands_for_its_places(prepared):
    frame = run(prepared, Change("demand_pct", 50, *WINTER, places=("SYS",)))
    assert value(frame, "beds", "2025-12", "demand", place="B") == pytest.approx(3 * 1.5)


def test_pathway_shift_moves_demand_between_service_types(prepared):
    frame = run(
        prepared,
        Change(
            "pathway_shift_pct",
            20,
            *WINTER,
            places=("A",),
            service_types=("rehab_bed",),
            to_service_type="reablement_home",
        ),
    )
    assert value(frame, "beds", "2025-12", "demand") == pytest.approx(9 * 0.8)
    assert value(frame, "reab", "2025-12", "demand") == pytest.approx(20 + 9 * 0.2)
    assert value(frame, "reab", "2025-10", "demand") == pytest.approx(20)


def test_demand_changes_before_shifts(prepared):
    # Listed shift-first, the percentage still applies first: 9 × 1.5 = 13.5, of which 20% moves.
    frame = run(
        prepared,
        Change(
            "pathway_shift_pct",
            20,
            *WINTER,
            places=("A",),
            service_types=("rehab_bed",),
            to_service_type="reablement_home",
        ),
        Change("demand_pct", 50, *WINTER, places=("A",), service_types=("rehab_bed",)),
    )
    assert value(frame, "beds", "2025-12", "demand") == pytest.approx(13.5 * 0.8)
    assert value(frame, "reab", "2025-12", "demand") == pytest.approx(20 + 13.5 * 0.2)


def test_hours_and_absence_multiply(prepared):
    base = value(compute(prepared), "hours", "2026-01")
    assert base == pytest.approx(2400 / 48 * 31 / 20)
    frame = run(prepared, Change("hours_pct", 10, *WINTER), Change("absence_pct", 15, *WINTER))
    assert value(frame, "hours", "2026-01") == pytest.approx(base * 1.1 * 0.85)
    assert value(frame, "beds", "2026-01") == value(compute(prepared), "beds", "2026-01")


def test_length_of_stay_days_then_percent(prepared):
    # Listed percent-first, days still apply first: (30 − 2) × 1.1 = 30.8 days.
    frame = run(
        prepared,
        Change("los_pct", 10, *WINTER, services=("reab",)),
        Change("los_days", -2, *WINTER, services=("reab",)),
    )
    assert value(frame, "reab", "2025-12") == pytest.approx(30 * 31 / ((30 - 2) * 1.1))
    assert value(frame, "reab", "2025-12", "mean_los_days") == pytest.approx(30.8)


def test_caseload_percent_then_beds(prepared):
    frame = run(
        prepared,
        Change("caseload_delta", 2, *WINTER, services=("reab",)),
        Change("caseload_pct", 50, *WINTER, services=("reab",)),
    )
    assert value(frame, "reab", "2025-12") == pytest.approx((30 * 1.5 + 2) * 31 / 30)


def test_target_occupancy_replaces(prepared):
    frame = run(
        prepared,
        Change("target_occupancy", 0.8, *WINTER, services=("reab",)),
        Change("target_occupancy", 0.9, *WINTER, services=("reab",)),
    )
    assert value(frame, "reab", "2025-12") == pytest.approx(30 * 31 / 30 * 0.9)


def test_capacity_levers_never_touch_capacity_assumed_equal_to_demand(prepared):
    frame = run(prepared, Change("caseload_pct", -50, *WINTER), Change("demand_pct", 10, *WINTER))
    assert value(frame, "ucr", "2025-12", source="community") == pytest.approx(40 * 1.1)
    assert value(frame, "ucr", "2025-12", "demand", source="community") == pytest.approx(44)


def test_a_change_that_leaves_los_at_zero_names_the_service(prepared):
    from capacity.formulas import InvalidInput

    with pytest.raises(InvalidInput, match="Reablement: mean_los_days"):
        run(prepared, Change("los_days", -30, *WINTER, services=("reab",)))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (Change("demand_pct", -101, *WINTER), "must be from −100% to"),
        (Change("demand_pct", 10, "2026-03", "2025-11"), "is empty"),
        (Change("demand_pct", 10, "2025-13", "2026-01"), "first month must look like"),
        (Change("warp", 10, *WINTER), "unknown lever"),
        (Change("absence_pct", 100, *WINTER), "below 100%"),
        (Change("target_occupancy", 1.2, *WINTER), "at most 1"),
        (Change("pathway_shift_pct", 20, *WINTER, service_types=("rehab_bed",)), "moves to"),
        (Change("pathway_shift_pct", 20, *WINTER, to_service_type="reablement_home"), "moves from"),
        (Change("caseload_delta", 4, *WINTER, source="hospital"), "only narrow a demand change"),
        (Change("demand_pct", float("nan"), *WINTER), "finite"),
        (Change("demand_pct", 10, "2025-04", "2035-04"), "span 11 planning years"),
        # Slips of the keyboard that would leave the flow model stepping through a billion places.
        (Change("caseload_delta", 1e12, *WINTER), "at most 10,000 places either way"),
        (Change("caseload_delta", -20_000, *WINTER), "at most 10,000 places either way"),
        (Change("los_days", 1e9, *WINTER), "at most 365 days either way"),
        (Change("demand_pct", 5_000, *WINTER), "from −100% to +1,000%"),
        (Change("los_pct", 1e6, *WINTER), "at most +1,000%"),
    ],
)
def test_bad_changes_are_refused_with_a_reason(change, message):
    found = problems(Scenario("Winter", (change,)))
    assert any(message in p for p in found), found


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "needs a name"), ("baseline", "reserved"), ("x" * 101, "at most 100")],
)
def test_bad_names_are_refused(name, message):
    assert any(message in p for p in problems(Scenario(name, (Change("demand_pct", 1, *WINTER),))))


def test_json_round_trip_and_malformed_files(tmp_path):
    scenario = Scenario("Winter", (Change("demand_pct", 10, *WINTER, places=("A",)),), "d", "me")
    path = tmp_path / "s.json"
    path.write_text(json.dumps(scenario.to_dict()))
    assert scenario_from_json(path) == scenario
    path.write_text("{not json")
    with pytest.raises(ScenarioError, match="not valid JSON"):
        scenario_from_json(path)
    with pytest.raises(ScenarioError, match="unknown field"):
        scenario_from_dict({"name": "x", "changes": [], "colour": "red"})
    with pytest.raises(ScenarioError, match="value must be a number"):
        scenario_from_dict(
            {
                "name": "x",
                "changes": [
                    {
                        "lever": "demand_pct",
                        "value": "lots",
                        "first_month": "2025-11",
                        "last_month": "2025-12",
                    }
                ],
            }
        )


def test_presets_exist_with_descriptions_and_months_for_any_year():
    presets = load_presets()
    names = {p.name for p in presets.values()}
    assert {
        "Winter surge",
        "Open winter flex beds",
        "Home First shift",
        "January staff absence 15%",
    } <= names
    assert all(p.description for p in presets.values())
    surge = presets["preset:winter_surge"].for_year(2026)
    assert surge.changes[0].months() == ("2026-12", "2027-03")
    flex = presets["preset:winter_flex_beds"].for_year(2025)
    # November to April: this year's April ends last winter's flex, and this winter's runs on
    # into next April.
    assert [c.months() for c in flex.changes] == [("2025-04", "2025-04"), ("2025-11", "2026-04")]
    absence = presets["preset:january_absence"].for_year(2025)
    assert absence.changes[0].months() == ("2026-01", "2026-01")
    for preset in presets.values():
        assert problems(preset.for_year(2025).with_changes(name="check")) == []


def test_shortfall_counts_only_months_short():
    frame = pd.DataFrame(
        {"month": ["2025-11", "2025-12", "2026-04"], "demand": [10, 5, 20], "capacity": [6, 9, 10]}
    )
    assert shortfall(frame) == 14
    assert shortfall(frame, ("11", "12")) == 4


def test_sensitivity_ranks_the_assumptions(prepared):
    # Make the beds at A short: 9 × 1.6 = 14.4 a month against A's three quarters (its share
    # of people aged 65+) of 10 beds × days ÷ 28.
    busy = apply(
        prepared,
        Scenario(
            "busy",
            (Change("demand_pct", 60, "2025-04", "2026-03", places=("A",), services=("beds",)),),
        ),
    )
    table = sensitivity(busy, compute, ["A"], "rehab_bed").set_index("assumption")
    capacity = {
        m: 7.5 * d / 28
        for m, d in (
            ("2025-11", 30),
            ("2025-12", 31),
            ("2026-01", 31),
            ("2026-02", 28),
            ("2026-03", 31),
        )
    }
    short = sum(14.4 - c for c in capacity.values())
    assert table.loc["Demand", "baseline"] == pytest.approx(short)
    assert table.loc["Demand", "change_higher"] == pytest.approx(5 * 1.44)
    assert table.loc["Demand", "change_lower"] == pytest.approx(-5 * 1.44)
    assert table.loc["Caseload", "change_higher"] == pytest.approx(
        -sum(c * 0.1 for c in capacity.values())
    )
    assert table.loc["Commissioned hours", "swing"] == 0  # beds are not planned by hours
    assert list(table["swing"]) == sorted(table["swing"], reverse=True)


def test_the_winter_flex_preset_adds_to_the_baselines_own_flex_and_says_so(demo_store):
    """The demo baseline already opens BHR's winter flex beds in November; the preset must not
    describe that opening as its own, and the figure it quotes must be the one it gives."""
    from capacity.plan import plan_for

    preset = load_presets()["preset:winter_flex_beds"]
    # The description speaks of the whole service (BHR's beds), so read the system's rows.
    base = plan_for(demo_store, "BHR", 2025)
    flexed = plan_for(demo_store, "BHR", 2025, scenario=preset.for_year(2025))

    def beds(frame, month):
        hit = frame[
            (frame["service_id"] == "bhr_rehab_beds")
            & (frame["month"] == month)
            & (frame["source"] == "hospital")
        ]
        return float(hit["caseload"].iloc[0])

    summer, winter = beds(base, "2025-10"), beds(base, "2025-11")
    assert winter > summer  # the baseline's own flex
    assert beds(flexed, "2025-10") == summer
    assert beds(flexed, "2025-04") == pytest.approx(beds(base, "2025-04") * 1.1)  # to April
    assert f"{summer:g} to {winter:g}" in preset.description and "baseline" in preset.description
    assert f"{winter:g} becomes {beds(flexed, '2025-11'):g}" in preset.description


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            Change(
                "pathway_shift_pct",
                50,
                *WINTER,
                service_types=("rehab_bed",),
                to_service_type="ucr",
                source="hospital",
            ),
            "Urgent community response takes no hospital discharge referrals, so no hospital "
            "discharge demand can move to it",
        ),
        (
            Change(
                "pathway_shift_pct",
                50,
                *WINTER,
                service_types=("rehab_bed",),
                to_service_type="ucr",
            ),
            "choose them as the source",
        ),
        (
            Change(
                "pathway_shift_pct",
                50,
                *WINTER,
                service_types=("other_short_term_bedded",),
                to_service_type="reablement_home",
                source="community",
            ),
            "takes no community referrals, so there is no demand to move",
        ),
    ],
)
def test_a_shift_that_would_move_nothing_is_refused(store, change, message):
    """Demand only moves to a type that takes its source: refused, not saved to do nothing."""
    context = Context(store.query("places"), store.query("service_types"), store.query("services"))
    found = problems(Scenario("Shift", (change,)), context)
    assert any(message in p for p in found), found


def test_a_shift_to_a_type_that_takes_the_source_is_accepted(store):
    context = Context(store.query("places"), store.query("service_types"), store.query("services"))
    change = Change(
        "pathway_shift_pct",
        20,
        *WINTER,
        service_types=("rehab_bed",),
        to_service_type="reablement_home",
        source="hospital",
    )
    assert problems(Scenario("Home First", (change,)), context) == []
