"""What the records say reaches the plan: flags on stated figures they contradict, and the
one-click scenario that plans with the observed figure.

Every case is a hand-made place A with step-down beds that admit people at a steady rate
and keep each for exactly ``stay`` days, from October 2023 to March 2025. For the planning
year 2025-26 the plan looks at the twelve months before it, April 2024 to March 2025
(365 days): one admission a day then completes 365 episodes in the window, each of ``stay``
days, and keeps ``stay`` people in the beds on every day (Little's law: 1 a day × stay).
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from capacity.access import local_user
from capacity.demand import coverage
from capacity.observed import (
    MIN_COMPLETED_EPISODES,
    PLAN_FLAG_DIFFERENCE,
    compare_with_stated,
    observed_for_plan,
    plan_windows,
)
from capacity.plan import build_plan, load_plan_inputs
from capacity.views import plans
from capacity.views.observed_figures import observed_offers, plan_with_observed
from capacity.views.scenario_choices import scenario_for
from tests.conftest import make_store, parameters, referrals

YEAR = 2025
SERVICES = [
    {"service_id": "beds", "name": "Step-down beds", "service_type": "rehab_bed"},
    {"service_id": "home", "name": "Home reablement", "service_type": "reablement_home"},
]
FIRST, LAST = date(2023, 10, 1), date(2025, 3, 31)


def stays(stay: int, every: int = 1) -> pd.DataFrame:
    """One admission every ``every`` days from FIRST to LAST, each staying ``stay`` days;
    stays still open on LAST have no end date yet."""
    rows, day, n = [], FIRST, 0
    while day <= LAST:
        end = day + timedelta(days=stay)
        rows.append(
            (f"E{n}", "A", "rehab_bed", "beds", "hospital", day, day, end if end <= LAST else None)
        )
        n += 1
        day += timedelta(days=every)
    return referrals(rows)


def store_for(
    stated_los: float, caseload: float, stay: int, every: int = 1, later_los: float | None = None
):
    """Place A's beds stated at ``caseload`` beds and ``stated_los`` days (``later_los`` from
    October 2025 when given), and a home service with no records to compare."""
    rows = [
        {
            "service_id": "beds",
            "method": "caseload",
            "caseload": caseload,
            "mean_los_days": stated_los,
            "hospital_share": 1,
            "valid_from": "2020-01-01",
            "valid_to": "2025-09-30" if later_los else None,
        }
    ]
    if later_los:
        rows.append(
            {
                "service_id": "beds",
                "method": "caseload",
                "caseload": caseload,
                "mean_los_days": later_los,
                "hospital_share": 1,
                "valid_from": "2025-10-01",
            }
        )
    rows.append(
        {
            "service_id": "home",
            "method": "caseload",
            "caseload": 10,
            "mean_los_days": 20,
            "hospital_share": 1,
            "valid_from": "2020-01-01",
        }
    )
    return make_store(
        SERVICES, [("beds", "A", None), ("home", "A", None)], parameters(*rows), stays(stay, every)
    )


def plan(store, scenario=None) -> pd.DataFrame:
    return build_plan(load_plan_inputs(store, ["A"], YEAR), scenario)


def beds(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[(frame["service_id"] == "beds") & (frame["source"] == "hospital")]


def test_the_threshold_and_the_minimum_are_named():
    assert PLAN_FLAG_DIFFERENCE == 0.25
    assert MIN_COMPLETED_EPISODES == 20


def test_the_window_is_the_twelve_complete_months_before_the_year():
    store = store_for(50, 63, 63)
    assert plan_windows(coverage(store, ["A"]), YEAR) == {"A": (date(2024, 4, 1), date(2025, 4, 1))}
    observed = observed_for_plan(store, coverage(store, ["A"]), YEAR).iloc[0]
    assert observed["completed"] == 365
    assert observed["observed_los_days"] == pytest.approx(63)
    assert observed["observed_occupancy"] == pytest.approx(63)


def test_a_window_is_shorter_where_the_data_start_later_and_absent_before_any_data():
    cover = pd.DataFrame(
        {
            "place_code": ["A", "B"],
            "first_month": pd.to_datetime(["2024-10-01", "2025-06-01"]),
            "last_month": pd.to_datetime(["2025-12-01", "2025-12-01"]),
        }
    )
    assert plan_windows(cover, YEAR) == {"A": (date(2024, 10, 1), date(2025, 4, 1))}


def test_a_length_of_stay_26_percent_longer_than_stated_is_flagged_with_its_figures():
    frame = beds(plan(store_for(50, 63, 63)))
    assert len(frame) == 12
    # 63 ÷ 50 = 1.26: 26% longer; the caseload (63 beds, 63 people at once) agrees.
    expected = (
        "observed length of stay 63 days against 50 stated (+26%, Place A, "
        "Apr 2024 – Mar 2025, 365 completed episodes)"
    )
    assert all(expected in flags for flags in frame["flags"])
    assert not frame["flags"].str.contains("observed occupancy").any()


def test_a_length_of_stay_26_percent_shorter_is_flagged_too():
    frame = beds(plan(store_for(50, 37, 37)))
    # 37 ÷ 50 = 0.74: 26% shorter.
    assert (
        frame["flags"]
        .str.contains("observed length of stay 37 days against 50 stated (−26%, ", regex=False)
        .all()
    )


def test_a_length_of_stay_24_percent_longer_is_not_flagged():
    frame = beds(plan(store_for(50, 62, 62)))  # 62 ÷ 50 = 1.24
    assert not frame["flags"].str.contains("observed").any()


def test_an_occupancy_26_percent_above_the_stated_caseload_is_flagged():
    frame = beds(plan(store_for(63, 50, 63)))
    # 63 people at once in 50 stated beds: 63 ÷ 50 = 1.26; the stay (63 days) agrees.
    expected = (
        "observed occupancy 63 at once against a stated caseload of 50 (+26%, "
        "Place A, Apr 2024 – Mar 2025, 365 completed episodes)"
    )
    assert all(expected in flags for flags in frame["flags"])
    assert not frame["flags"].str.contains("observed length of stay").any()


def test_too_few_episodes_raise_no_flag_in_the_plan_but_say_so_on_data_quality():
    # One admission every 20 days completes 18 or 19 episodes in the 365-day window.
    store = store_for(50, 63, 63, every=20)
    frame = beds(plan(store))
    assert not frame["flags"].str.contains("observed").any()
    assert not frame["flags"].str.contains("too few episodes").any()
    quality = compare_with_stated(store, ["A"]).set_index("service_id").loc["beds"]
    assert quality["completed"] < MIN_COMPLETED_EPISODES
    assert "too few episodes to compare" in quality["flags"]
    assert "observed length of stay is" not in quality["flags"]


def test_no_records_no_flag():
    frame = plan(store_for(50, 63, 63))
    home = frame[frame["service_id"] == "home"]
    assert not home.empty and not home["flags"].str.contains("observed").any()


# -- the one-click scenario ------------------------------------------------------------


def offers_for(store):
    prepared = plans.prepared_plan(store, YEAR, ("A",))
    frame = plans.plan_everywhere(prepared, None, YEAR)
    return prepared, frame, observed_offers(prepared, frame, ("A",))


def test_planning_with_the_observed_stay_scales_that_service_by_stated_over_observed():
    store = store_for(50, 63, 63)
    prepared, before, offers = offers_for(store)
    assert [o.service_id for o in offers] == ["beds"]
    offer = offers[0]
    assert offer.name == "Observed length of stay: Step-down beds at Place A"
    (change,) = offer.changes
    assert (change.lever, change.first_month, change.last_month) == (
        "los_pct",
        "2025-04",
        "2026-03",
    )
    assert change.value == pytest.approx(26)  # (63 ÷ 50 − 1) × 100
    assert change.places == ("A",) and change.services == ("beds",)
    saved, notice = plan_with_observed(store, offer, "Tester", user=local_user())
    assert (saved.version, saved.author) == (1, "Tester")
    assert "length of stay +26.0% (50 → 63 days) at Place A, Apr 2025 – Mar 2026" in notice
    after = plans.plan_everywhere(prepared, scenario_for(store, saved.name, YEAR), YEAR)
    old, new = beds(before), beds(after)
    # April: 63 beds × 30 days ÷ 50 = 37.8 new people; with 63-day stays 63 × 30 ÷ 63 = 30.
    assert old["capacity"].iloc[0] == pytest.approx(37.8)
    assert new["capacity"].iloc[0] == pytest.approx(30)
    assert (new["capacity"].to_numpy() / old["capacity"].to_numpy()) == pytest.approx(50 / 63)
    home = [f[f["service_id"] == "home"]["capacity"].to_numpy() for f in (before, after)]
    assert home[1] == pytest.approx(home[0])  # the other service is untouched
    # The stated stay is now the observed one: the flag is answered, and nothing is offered.
    assert not new["flags"].str.contains("observed length of stay").any()
    assert observed_offers(prepared, after, ("A",)) == ()


def test_planning_with_the_observed_caseload_moves_the_beds():
    store = store_for(63, 50, 63)
    prepared, before, (offer,) = offers_for(store)
    assert offer.name == "Observed caseload: Step-down beds at Place A"
    (change,) = offer.changes
    assert (change.lever, change.value) == ("caseload_pct", pytest.approx(26))
    saved, _ = plan_with_observed(store, offer, "", user=local_user())
    after = plans.plan_everywhere(prepared, scenario_for(store, saved.name, YEAR), YEAR)
    # April: 50 beds × 30 ÷ 63 = 23.81; with 63 beds 63 × 30 ÷ 63 = 30.
    assert beds(after)["capacity"].iloc[0] == pytest.approx(30)
    assert beds(before)["capacity"].iloc[0] == pytest.approx(50 * 30 / 63)


def test_a_stated_stay_that_changes_in_the_year_gets_one_change_per_stretch():
    # Stated 50 days to September 2025 and 40 from October; the records show 63.
    _, _, (offer,) = offers_for(store_for(50, 63, 63, later_los=40))
    assert [(c.first_month, c.last_month) for c in offer.changes] == [
        ("2025-04", "2025-09"),
        ("2025-10", "2026-03"),
    ]
    assert [c.value for c in offer.changes] == [pytest.approx(26), pytest.approx(57.5)]


def test_saving_again_makes_a_new_version_rather_than_failing():
    store = store_for(50, 63, 63)
    _, _, (offer,) = offers_for(store)
    plan_with_observed(store, offer, "Tester", user=local_user())
    saved, notice = plan_with_observed(store, offer, "Tester", user=local_user())
    assert saved.version == 2
    assert "as version 2 (a scenario of that name existed)" in notice
