"""A service shared by several places: split by each place's share of use, population the
fallback, the basis named on every row, shares within 0–1 adding up to 1, a system the whole.

The hand-made case: 60 step-down beds (30-day stay, hospital discharges only) serve three
places A, B and C. Over the demand window for 2025-26 (April 2022 to March 2025) A refers 5
people a month, B 3 and C 2, so their shares of use are 0.5, 0.3 and 0.2, the opposite way
round from their populations aged 65+ (10,000, 30,000 and 60,000: 0.1, 0.3 and 0.6).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capacity.observed import compare_with_stated
from capacity.plan import build_plan, load_plan_inputs, plan_for, plan_for_all
from capacity.scenarios import Change, Scenario
from capacity.segments import USE_COLUMNS, resolve_place_shares
from tests.conftest import full_years, make_store, monthly_referrals, parameters

PLACES = pd.DataFrame(
    [
        {
            "place_code": "SYS",
            "name": "Three Places",
            "kind": "system",
            "parent_system": None,
            "population_65plus": None,
            "source_note": "test",
        },
        *(
            {
                "place_code": code,
                "name": f"Place {code}",
                "kind": "hwb",
                "parent_system": "SYS",
                "population_65plus": people,
                "source_note": "test",
            }
            for code, people in (("A", 10000), ("B", 30000), ("C", 60000))
        ),
    ]
)
BEDS = {"service_id": "beds", "name": "Shared beds", "service_type": "rehab_bed"}
LEVELS = {"A": 5, "B": 3, "C": 2}
USE_BASIS = "share of use (referrals Apr 2022 – Mar 2025)"
NOVEMBER = "2025-11"  # 30 days: 60 beds × 30 ÷ 30 = 60 people a month for the whole service


def three_places(levels=LEVELS, service_id="beds", shares=(None, None, None)):
    """The shared beds, with ``levels`` referrals a month from each place over 2022-25."""
    refs = pd.concat(
        [
            monthly_referrals(
                place, "rehab_bed", service_id, "hospital", full_years(2022, 2024, level)
            )
            for place, level in levels.items()
        ]
    )
    params = parameters(
        {
            "service_id": "beds",
            "method": "caseload",
            "caseload": 60,
            "mean_los_days": 30,
            "hospital_share": 1.0,
            "valid_from": "2020-04-01",
        }
    )
    links = [("beds", p, s) for p, s in zip("ABC", shares, strict=True)]
    return make_store([BEDS], links, params, refs, places=PLACES)


def november(frame: pd.DataFrame) -> pd.DataFrame:
    rows = frame[(frame["service_id"] == "beds") & (frame["month"] == NOVEMBER)]
    return rows.set_index("place_code")


def test_shares_of_use_split_the_beds_and_name_their_basis():
    rows = november(build_plan(load_plan_inputs(three_places(), ["A", "B", "C"], 2025)))
    expected = {"A": 0.5, "B": 0.3, "C": 0.2}
    for place, share in expected.items():
        row = rows.loc[place]
        assert row["place_share"] == pytest.approx(share)
        assert row["capacity"] == pytest.approx(60 * share)
        assert row["caseload"] == pytest.approx(60 * share)  # the place's part, not all 60
        assert row["place_share_basis"] == USE_BASIS
    assert rows.loc["B", "calculation"] == "60 × 30 days ÷ 30 × 30% share of use"


def test_one_place_planned_alone_still_gets_its_share_of_the_whole():
    rows = november(build_plan(load_plan_inputs(three_places(), ["C"], 2025)))
    assert rows.loc["C", "capacity"] == pytest.approx(12)


def test_the_system_row_is_the_whole_service_with_share_one():
    rows = november(plan_for(three_places(), "SYS", 2025))
    assert rows.loc["SYS", "capacity"] == pytest.approx(60)
    assert rows.loc["SYS", "caseload"] == pytest.approx(60)
    assert rows.loc["SYS", "place_share"] == pytest.approx(1)


def test_without_referral_records_the_beds_follow_population():
    store = three_places(levels={"A": 5, "B": 3, "C": 2}, service_id="other")
    # The records name another service and no record is left at type level: use cannot say.
    rows = november(build_plan(load_plan_inputs(store, ["A", "B", "C"], 2025)))
    for place, people in (("A", 10000), ("B", 30000), ("C", 60000)):
        assert rows.loc[place, "capacity"] == pytest.approx(60 * people / 100000)
        assert (
            rows.loc[place, "place_share_basis"]
            == "population aged 65+ (no referrals to it in the demand window)"
        )


def test_records_naming_only_the_service_type_give_the_share():
    store = three_places(service_id=None)
    rows = november(build_plan(load_plan_inputs(store, ["A", "B", "C"], 2025)))
    assert rows["place_share"].to_dict() == pytest.approx({"A": 0.5, "B": 0.3, "C": 0.2})
    assert set(rows["place_share_basis"]) == {
        "share of use (referrals of the service type, Apr 2022 – Mar 2025)"
    }


def test_stated_shares_override_use():
    store = three_places(shares=(0.2, 0.2, 0.6))
    rows = november(build_plan(load_plan_inputs(store, ["A", "B", "C"], 2025)))
    assert rows["capacity"].to_dict() == pytest.approx({"A": 12, "B": 12, "C": 36})
    assert set(rows["place_share_basis"]) == {"stated"}


def test_beds_added_by_a_scenario_are_split_by_the_same_share():
    store = three_places()
    inputs = load_plan_inputs(store, ["A", "B", "C"], 2025)
    scenario = Scenario(
        "Ten more", (Change("caseload_delta", 10, NOVEMBER, NOVEMBER, services=("beds",)),)
    )
    base = november(build_plan(inputs))
    more = november(build_plan(inputs, scenario))
    # 10 beds × 30 days ÷ 30: 10 more people a month, 5, 3 and 2 of them by use.
    added = (more["capacity"] - base["capacity"]).to_dict()
    assert added == pytest.approx({"A": 5, "B": 3, "C": 2})
    assert more["caseload"].to_dict() == pytest.approx({"A": 35, "B": 21, "C": 14})


@settings(max_examples=60, deadline=None)
@given(
    counts=st.lists(st.one_of(st.none(), st.floats(0, 500)), min_size=2, max_size=5),
    people=st.lists(st.integers(1, 10**6), min_size=5, max_size=5),
)
def test_shares_lie_within_0_and_1_and_add_up_to_1(counts, people):
    codes = [f"P{i}" for i in range(len(counts))]
    links = pd.DataFrame({"service_id": "s", "place_code": codes, "place_share": np.nan})
    places = pd.DataFrame({"place_code": codes, "population_65plus": people[: len(codes)]})
    use = pd.DataFrame(
        [
            ("s", p, c, "share of use (test)")
            for p, c in zip(codes, counts, strict=True)
            if c is not None
        ],
        columns=USE_COLUMNS,
    )
    no_parameters = pd.DataFrame({"service_id": [], "place_code": []})
    shares = resolve_place_shares(links, places, no_parameters, codes, use)
    assert ((shares["place_share"] >= 0) & (shares["place_share"] <= 1)).all()
    assert shares["place_share"].sum() == pytest.approx(1)
    if all(c is not None for c in counts) and sum(counts) > 0:
        assert shares["place_share"].tolist() == pytest.approx([c / sum(counts) for c in counts])
    else:
        assert shares["place_share_basis"].str.startswith("population aged 65+").all()


# -- the demo: BHR's community rehabilitation beds ------------------------------------------

BD = "E09000002"
# The demo's referral records to the beds, April 2022 to March 2025 (hospital + community).
RECORDS = {"E09000002": 424 + 20, "E09000016": 908 + 53, "E09000026": 766 + 35}


def test_no_place_share_above_one_on_any_row(demo_store):
    frame = plan_for_all(demo_store, 2025)
    shares = frame["place_share"].dropna()
    assert ((shares >= 0) & (shares <= 1 + 1e-12)).all()
    served = frame[frame["service_id"].notna()]
    assert served["place_share_basis"].notna().all()
    bhr = plan_for(demo_store, "BHR", 2025)
    assert bhr.loc[bhr["service_id"].notna(), "place_share"].to_numpy() == pytest.approx(1)


def test_barking_and_dagenham_rehab_beds_worked_from_the_pooled_totals(demo_store):
    """B&D's capacity is its share of use of the pooled beds: 444 of 2,206 records (20.1%),
    not its 18.2% share of the three places' population aged 65+ (18,900 of 103,600).

    What we find for 2025-26 (both sources together): by population B&D looked short in 9
    months; by use it is short in 4 (Apr, May, Dec, Mar). The pool is short in May and
    December, so those two are real; in April and March the pool has room but B&D's referrals
    that month run above its average share, which no split fixed for the year can absorb.
    """

    def by_month(frame):
        beds = frame[frame["service_id"] == "bhr_rehab_beds"]
        return beds.groupby("month")[["demand", "capacity"]].sum()

    pooled = by_month(plan_for(demo_store, "BHR", 2025))
    bd = by_month(plan_for(demo_store, "Barking & Dagenham", 2025))
    share = RECORDS[BD] / sum(RECORDS.values())
    assert bd["capacity"].to_numpy() == pytest.approx(pooled["capacity"].to_numpy() * share)
    by_population = pooled["capacity"] * 18900 / (18900 + 45900 + 38800)
    short_before = set(bd.index[bd["demand"] > by_population])
    short_now = set(bd.index[bd["demand"] > pooled["capacity"] * share])
    pool_short = set(pooled.index[pooled["demand"] > pooled["capacity"]])
    assert len(short_before) == 9 and short_now < short_before
    assert pool_short <= short_now  # a real shortage of the pool still shows at B&D
    made_by_population = short_before - short_now
    assert made_by_population == {"2025-07", "2025-08", "2025-09", "2025-11", "2026-02"}


def test_data_quality_states_a_pooled_service_split_as_the_plan_splits_it():
    # The stated caseload set against what the records show is the place's share of use of the
    # 60 beds (A 0.5 → 30 beds), not its population share (A 0.1 → 6 beds).
    store = three_places()
    table = compare_with_stated(store, ["A", "B", "C"]).set_index("place_code")
    stated = table[table["service_id"] == "beds"]["stated_caseload"]
    assert stated.to_dict() == pytest.approx({"A": 30, "B": 18, "C": 12})
