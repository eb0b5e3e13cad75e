"""The plan frame: hand-computed cases on small stores, then the demo's documented figures."""

from __future__ import annotations

import pandas as pd
import pytest

from capacity.formulas import InvalidInput
from capacity.plan import (
    FLAG_EQUAL_TO_DEMAND,
    NO_SERVICE,
    PLAN_COLUMNS,
    PlanError,
    build_plan,
    load_plan_inputs,
    plan_for,
    resolve_place,
)
from tests.conftest import full_years, make_store, monthly_referrals, parameters


def row(frame: pd.DataFrame, service: str, source: str, month: str) -> pd.Series:
    hit = frame[
        (frame["service"] == service) & (frame["source"] == source) & (frame["month"] == month)
    ]
    assert len(hit) == 1, f"expected one row for {service}/{source}/{month}, got {len(hit)}"
    return hit.iloc[0]


BEDS = {"service_id": "beds", "name": "Step-down beds", "service_type": "rehab_bed"}


def beds_store(param_rows, hospital=6, community=2, links=(("beds", "A", None),)):
    refs = pd.concat(
        [
            monthly_referrals(
                "A", "rehab_bed", "beds", "hospital", full_years(2024, 2024, hospital)
            ),
            monthly_referrals(
                "A", "rehab_bed", "beds", "community", full_years(2024, 2024, community)
            ),
        ]
    )
    return make_store([BEDS], list(links), parameters(*param_rows), refs)


def plan(store, codes=("A",), year=2025) -> pd.DataFrame:
    return build_plan(load_plan_inputs(store, list(codes), year))


def test_caseload_method_split_by_stated_hospital_share():
    store = beds_store(
        [
            {
                "service_id": "beds",
                "method": "caseload",
                "caseload": 10,
                "mean_los_days": 20,
                "hospital_share": 0.8,
                "valid_from": "2020-04-01",
            }
        ]
    )
    frame = plan(store)
    november = row(frame, "Step-down beds", "hospital", "2025-11")
    assert november["capacity"] == pytest.approx(10 * 30 / 20 * 0.8)  # 12
    assert row(frame, "Step-down beds", "community", "2025-11")["capacity"] == pytest.approx(3)
    assert november["demand"] == 6 and november["gap"] == pytest.approx(6)
    assert november["utilisation"] == pytest.approx(0.5)
    assert november["method"] == "caseload" and november["caseload"] == 10
    assert "10 × 30 days ÷ 20" in november["calculation"]
    assert len(frame) == 24 and list(frame.columns) == PLAN_COLUMNS


def test_throughput_per_weekday_counts_and_names_working_days():
    store = beds_store(
        [
            {
                "service_id": "beds",
                "method": "throughput",
                "throughput": 2,
                "throughput_unit": "weekday",
                "hospital_share": 1.0,
                "valid_from": "2020-04-01",
            }
        ]
    )
    may = row(plan(store), "Step-down beds", "hospital", "2025-05")
    # 22 weekdays in May 2025 less the bank holidays on Monday 5 and Monday 26: 20.
    assert may["capacity"] == pytest.approx(2 * 20)
    assert (
        "2 a weekday × 20 working days (Monday to Friday less England's bank holidays)"
        in may["calculation"]
    )


def test_observed_hospital_share_is_used_when_none_is_stated():
    store = beds_store(
        [
            {
                "service_id": "beds",
                "method": "caseload",
                "caseload": 10,
                "mean_los_days": 20,
                "valid_from": "2020-04-01",
            }
        ]
    )
    november = row(plan(store), "Step-down beds", "hospital", "2025-11")
    assert november["hospital_share"] == pytest.approx(6 / 8)
    assert november["hospital_share_basis"] == "observed from referrals"
    assert november["capacity"] == pytest.approx(15 * 0.75)


def test_parameters_changing_mid_month_are_counted_day_by_day():
    rows = [
        {
            "service_id": "beds",
            "method": "caseload",
            "caseload": 10,
            "mean_los_days": 20,
            "hospital_share": 1,
            "valid_from": "2020-04-01",
            "valid_to": "2025-11-15",
        },
        {
            "service_id": "beds",
            "method": "caseload",
            "caseload": 20,
            "mean_los_days": 20,
            "hospital_share": 1,
            "valid_from": "2025-11-16",
        },
    ]
    frame = plan(beds_store(rows, community=0))
    november = row(frame, "Step-down beds", "hospital", "2025-11")
    assert november["capacity"] == pytest.approx(10 * 15 / 20 + 20 * 15 / 20)  # 22.5
    assert "parameters change on 16 Nov" in november["flags"]
    assert row(frame, "Step-down beds", "hospital", "2025-12")["capacity"] == pytest.approx(31)
    assert row(frame, "Step-down beds", "hospital", "2025-10")["capacity"] == pytest.approx(15.5)


def test_months_without_parameters_have_no_capacity_and_say_so():
    rows = [
        {
            "service_id": "beds",
            "method": "caseload",
            "caseload": 10,
            "mean_los_days": 20,
            "hospital_share": 1,
            "valid_from": "2020-04-01",
            "valid_to": "2025-12-31",
        }
    ]
    frame = plan(beds_store(rows, community=0))
    january = row(frame, "Step-down beds", "hospital", "2026-01")
    assert january["capacity"] == 0 and january["gap"] == -6
    assert "no parameters in force this month" in january["flags"]


def test_target_occupancy_and_contract_share_multiply_capacity():
    rows = [
        {
            "service_id": "beds",
            "method": "caseload",
            "caseload": 10,
            "mean_los_days": 20,
            "hospital_share": 1,
            "target_occupancy": 0.9,
            "contract_share": 0.5,
            "valid_from": "2020-04-01",
        }
    ]
    november = row(plan(beds_store(rows, community=0)), "Step-down beds", "hospital", "2025-11")
    assert november["capacity"] == pytest.approx(15 * 0.9 * 0.5)


def test_capacity_assumed_equal_to_demand_is_flagged():
    rows = [{"service_id": "beds", "method": "equal_to_demand", "valid_from": "2020-04-01"}]
    frame = plan(beds_store(rows))
    for source, demand in (("hospital", 6), ("community", 2)):
        november = row(frame, "Step-down beds", source, "2025-11")
        assert november["capacity"] == demand and november["gap"] == 0
        assert FLAG_EQUAL_TO_DEMAND in november["flags"]


def test_shared_service_is_split_between_places_by_population():
    rows = [
        {
            "service_id": "beds",
            "method": "caseload",
            "caseload": 40,
            "mean_los_days": 30,
            "hospital_share": 1,
            "valid_from": "2020-04-01",
        }
    ]
    store = beds_store(rows, community=0, links=(("beds", "A", None), ("beds", "B", None)))
    frame = plan(store, codes=("A", "B"))
    a = frame[(frame["place_code"] == "A") & (frame["month"] == "2025-11")].iloc[0]
    b = frame[(frame["place_code"] == "B") & (frame["month"] == "2025-11")].iloc[0]
    assert a["capacity"] == pytest.approx(40 * 0.75) and b["capacity"] == pytest.approx(40 * 0.25)
    # B has no referral data at all, so its use of the beds cannot be told
    assert (
        a["place_share_basis"] == "population aged 65+ (no referral data from B in the "
        "demand window)"
    )


def test_a_system_sums_its_places():
    rows = [
        {
            "service_id": "beds",
            "method": "caseload",
            "caseload": 40,
            "mean_los_days": 30,
            "hospital_share": 1,
            "valid_from": "2020-04-01",
        }
    ]
    store = beds_store(rows, community=0, links=(("beds", "A", None), ("beds", "B", None)))
    system = plan_for(store, "Test System", 2025)
    november = system[system["month"] == "2025-11"].iloc[0]
    assert november["place_code"] == "SYS"
    assert november["capacity"] == pytest.approx(40)  # the whole service again
    assert november["demand"] == 6  # only A has referrals
    assert november["caseload"] == 40 and november["place_share"] == pytest.approx(1)
    assert len(system) == 12


def test_type_level_demand_is_shared_by_capacity_and_unserved_demand_is_shown():
    services = [
        {"service_id": "big", "name": "Big reablement", "service_type": "reablement_home"},
        {"service_id": "small", "name": "Small reablement", "service_type": "reablement_home"},
    ]
    params = parameters(
        {
            "service_id": "big",
            "method": "throughput",
            "throughput": 30,
            "throughput_unit": "month",
            "hospital_share": 1,
            "valid_from": "2020-04-01",
        },
        {
            "service_id": "small",
            "method": "throughput",
            "throughput": 10,
            "throughput_unit": "month",
            "hospital_share": 1,
            "valid_from": "2020-04-01",
        },
    )
    refs = pd.concat(
        [
            monthly_referrals("A", "reablement_home", None, "hospital", full_years(2024, 2024, 20)),
            monthly_referrals("A", "rehab_home", None, "hospital", full_years(2024, 2024, 5)),
        ]
    )
    store = make_store(services, [("big", "A", None), ("small", "A", None)], params, refs)
    frame = plan(store)
    assert row(frame, "Big reablement", "hospital", "2025-06")["demand"] == pytest.approx(15)
    small = row(frame, "Small reablement", "hospital", "2025-06")
    assert small["demand"] == pytest.approx(5)
    assert "shared across 2 services by capacity" in small["flags"]
    unserved = row(frame, NO_SERVICE, "hospital", "2025-06")
    assert unserved["capacity"] == 0 and unserved["demand"] == 5 and unserved["gap"] == -5
    assert "no commissioned service" in unserved["flags"]


def test_invalid_parameters_name_the_service():
    store = beds_store(
        [
            {
                "service_id": "beds",
                "method": "caseload",
                "caseload": 10,
                "mean_los_days": 20,
                "valid_from": "2020-04-01",
            }
        ]
    )
    inputs = load_plan_inputs(store, ["A"], 2025)
    broken = inputs.parameters.assign(mean_los_days=0.0)
    with pytest.raises(InvalidInput, match="Step-down beds: mean_los_days"):
        build_plan(inputs.with_changes(parameters=broken))


def test_unknown_place_lists_the_known_ones():
    store = beds_store(
        [
            {
                "service_id": "beds",
                "method": "caseload",
                "caseload": 10,
                "mean_los_days": 20,
                "valid_from": "2020-04-01",
            }
        ]
    )
    with pytest.raises(PlanError, match=r"Unknown place 'Nowhere'.*Place A \(A\)"):
        plan_for(store, "Nowhere", 2025)


@pytest.mark.parametrize("text", ["E09000016", "havering", "  HAVERING ", "Havering"])
def test_places_resolve_by_code_or_name(demo_store, text):
    assert resolve_place(demo_store.query("places"), text)["place_code"] == "E09000016"


def test_and_and_ampersand_are_the_same(demo_store):
    places = demo_store.query("places")
    assert resolve_place(places, "Barking and Dagenham")["place_code"] == "E09000002"


# -- the demo: figures from the source documents ------------------------------


@pytest.fixture(scope="module")
def havering(demo_store) -> pd.DataFrame:
    return plan_for(demo_store, "Havering", 2025)


def test_havering_has_twelve_months_for_every_service(havering):
    months = havering.groupby(["service", "source"])["month"].apply(list)
    expected = [f"2025-{m:02d}" for m in range(4, 13)] + [f"2026-{m:02d}" for m in (1, 2, 3)]
    assert all(m == expected for m in months)
    assert set(havering["service"]) == {
        "BHR Home, Settle & Support",
        "Havering reablement",
        "BHR community rehabilitation beds",
        "BHR discharge-to-assess nursing beds",
    }
    assert havering[["demand", "capacity", "gap", "method"]].notna().all().all()


def test_home_settle_and_support_reproduces_82_a_month(havering):
    hsss = havering[havering["service"] == "BHR Home, Settle & Support"]
    assert set(hsss["source"]) == {"hospital"}
    assert (hsss["capacity"] == 82).all()
    # 147 referrals a month in 2022/23 against 82: a shortfall every month.
    assert (hsss["gap"] < 0).all()
    # The figures are on line 867 of the BHR plan (868 is the blank line after it).
    assert hsss["source_note"].str.contains("seeds/000_4517444129b49b72.txt:867").all()


def test_winter_flex_beds_add_capacity_from_november(demo_store):
    system = plan_for(demo_store, "BHR", 2025)
    beds = system[(system["service"] == "BHR community rehabilitation beds")]
    total = beds.groupby("month")[["capacity", "days_in_month"]].sum()
    per_day = total["capacity"] / beds.groupby("month")["days_in_month"].first()
    october = per_day["2025-10"]
    for month in ("2025-11", "2025-12", "2026-01", "2026-02", "2026-03"):
        assert per_day[month] > october  # 61 beds against 57
        assert per_day[month] == pytest.approx(61 / 28) and october == pytest.approx(57 / 28)
    for month in ("2025-11", "2025-12", "2026-01", "2026-03"):
        assert total.loc[month, "capacity"] > total.loc["2025-10", "capacity"]


def test_february_flex_beds_take_more_than_57_beds_would_but_fewer_than_october(demo_store):
    # Capacity counts the calendar days of the month (DOMAIN.md §5.1), so February's 28 days
    # at 61 beds give 61 × 28 ÷ 28 = 61 new people: more than 57 beds would give in
    # February (57 × 28 ÷ 28 = 57), but fewer than October's 57 × 31 ÷ 28 = 63.1, whose
    # three extra days outweigh the four extra beds. The README and methodology say so.
    system = plan_for(demo_store, "BHR", 2025)
    beds = system[(system["service"] == "BHR community rehabilitation beds")]
    total = beds.groupby("month")["capacity"].sum()
    assert total["2026-02"] == pytest.approx(61 * 28 / 28)
    assert total["2026-02"] > 57 * 28 / 28
    assert total["2025-10"] == pytest.approx(57 * 31 / 28)
    assert total["2026-02"] < total["2025-10"]
    assert total["2026-02"] / 28 > total["2025-10"] / 31


def test_capacity_assumed_equal_to_demand_carries_its_flag(demo_store):
    thurrock = plan_for(demo_store, "Thurrock", 2025)
    ucr = thurrock[thurrock["service"] == "Thurrock urgent community response team"]
    assert len(ucr) == 12
    assert (ucr["capacity"] == ucr["demand"]).all()
    assert ucr["flags"].str.contains(FLAG_EQUAL_TO_DEMAND).all()
    others = thurrock[thurrock["method"] != "equal_to_demand"]
    assert not others["flags"].str.contains(FLAG_EQUAL_TO_DEMAND).any()


def test_d2a_beds_show_the_figure_used_and_the_disagreement(havering):
    d2a = havering[havering["service"] == "BHR discharge-to-assess nursing beds"].iloc[0]
    # 20 beds shared by use: the demo's referral records to them from Apr 2022 to Mar 2025 are
    # 141 from Barking & Dagenham, 278 from Havering and 202 from Redbridge.
    assert d2a["caseload"] == pytest.approx(20 * 278 / (141 + 278 + 202))
    assert d2a["place_share_basis"] == "share of use (referrals Apr 2022 – Mar 2025)"
    assert "28 beds" in d2a["source_note"] and ":786" in d2a["source_note"]


def test_system_total_equals_the_sum_of_its_places(demo_store):
    system = plan_for(demo_store, "BHR", 2025)
    places = pd.concat(
        [plan_for(demo_store, p, 2025) for p in ("Barking & Dagenham", "Havering", "Redbridge")]
    )
    for column in ("demand", "capacity"):
        assert system[column].sum() == pytest.approx(places[column].sum())


def test_a_place_with_services_but_no_referral_history_still_gets_its_capacity():
    """A new place (or one whose extract has not arrived) shows what it can take on, with
    demand missing rather than zero, instead of failing."""
    rows = [
        {
            "service_id": "beds",
            "method": "caseload",
            "caseload": 10,
            "mean_los_days": 20,
            "hospital_share": 1,
            "valid_from": "2020-04-01",
        }
    ]
    store = make_store([BEDS], [("beds", "A", None)], parameters(*rows))
    frame = plan(store)
    april = row(frame, "Step-down beds", "hospital", "2025-04")
    assert april["capacity"] == pytest.approx(10 * 30 / 20)
    assert pd.isna(april["demand"])


@pytest.mark.parametrize("year", [2000, 2015, 2021])
def test_a_year_before_the_data_is_refused_naming_the_years_that_have_data(demo_store, year):
    """The demo data start in April 2022: an earlier year has nothing to plan from."""
    with pytest.raises(PlanError, match=r"from 2022-23 on") as caught:
        plan_for(demo_store, "Havering", year)
    assert f"{year}-{(year + 1) % 100:02d}" in str(caught.value)


def test_a_year_with_referrals_but_no_parameters_in_force_shows_demand_and_no_capacity():
    rows = [
        {
            "service_id": "beds",
            "method": "caseload",
            "caseload": 10,
            "mean_los_days": 20,
            "hospital_share": 1,
            "valid_from": "2026-04-01",
        }
    ]
    frame = plan(beds_store(rows, community=0), year=2025)
    october = row(frame, "Step-down beds", "hospital", "2025-10")
    assert october["capacity"] == 0 and october["demand"] == pytest.approx(6)
    assert "no parameters in force this month" in october["flags"]
