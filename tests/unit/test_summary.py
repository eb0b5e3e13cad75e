"""Summaries of the plan frame: sums by service type, across places, and the worst shortfalls."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from capacity.summary import (
    assumptions,
    by_service_type,
    filter_source,
    flips,
    gap_matrix,
    headline,
    largest_shortfalls,
    scenario_effect,
    service_type_across_places,
    shortfall_matrix,
)

MONTHS = ["2025-11", "2025-12", "2026-01"]


def rows(place, service, stype, source, demand, capacity, **extra) -> list[dict]:
    out = []
    for month, d, c in zip(MONTHS, demand, capacity, strict=True):
        out.append(
            {
                "place_code": place[:3].upper(),
                "place": place,
                "service": service,
                "service_type": stype,
                "service_type_name": stype.replace("_", " ").capitalize(),
                "source": source,
                "month": month,
                "demand": d,
                "capacity": c,
                "gap": c - d,
                "method": extra.get("method", "caseload"),
                "flags": extra.get("flags", ""),
                "calculation": extra.get("calculation", "10 × 30 days ÷ 20"),
                "caseload": extra.get("caseload", 10.0),
                "mean_los_days": 20.0,
                "hours_per_month": None,
                "hours_per_package_per_month": None,
                "throughput": None,
                "throughput_unit": None,
                "target_occupancy": None,
                "contract_share": 1.0,
                "place_share": 1.0,
                "place_share_basis": "single place",
                "hospital_share": 0.8,
                "hospital_share_basis": "stated",
                "source_note": "test",
            }
        )
    return out


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        rows(
            "Havering",
            "Reablement",
            "reablement_at_home",
            "hospital",
            [100, 120, 130],
            [110, 110, 107],
        )
        + rows("Havering", "Reablement", "reablement_at_home", "community", [5, 6, 7], [5, 5, 5])
        + rows("Havering", "Beds", "rehab_bed", "hospital", [20, 20, 20], [25, 25, 25])
        + rows(
            "Redbridge",
            "Reablement R",
            "reablement_at_home",
            "hospital",
            [50, 60, 55],
            [40, 40, 40],
            flags="capacity assumed equal to demand",
        )
    )


def test_by_service_type_sums_services_and_sources(frame):
    havering = frame[frame["place"] == "Havering"]
    monthly = by_service_type(havering).set_index(["service_type", "month"])
    january = monthly.loc[("reablement_at_home", "2026-01")]
    assert january["demand"] == 137 and january["capacity"] == 112 and january["gap"] == -25
    assert january["utilisation"] == pytest.approx(137 / 112)
    hospital = by_service_type(havering, "hospital").set_index(["service_type", "month"])
    assert hospital.loc[("reablement_at_home", "2026-01"), "gap"] == -23
    assert "Reablement (hospital): 10 × 30 days ÷ 20" in january["calculation"]


def test_unknown_source_is_refused(frame):
    with pytest.raises(ValueError, match="source must be one of"):
        filter_source(frame, "hospitals")


def test_headline_names_the_worst_month_ahead(frame):
    havering = frame[(frame["place"] == "Havering") & (frame["source"] == "hospital")]
    assert headline(havering, "Havering") == "Havering: reablement at home is 23 short in January"
    assert headline(havering, "Havering", from_month="2026-02") == (
        "Havering: no shortfall expected in the months ahead"
    )


def test_headline_ignores_less_than_half_a_person():
    small = pd.DataFrame(
        rows("Rutland", "R", "reablement_at_home", "hospital", [10, 10, 10.4], [10, 10, 10])
    )
    assert "no shortfall" in headline(by_service_type(small), "Rutland")


def test_gap_matrix_per_place_and_month(frame):
    matrix = gap_matrix(frame, ["reablement_at_home"], "both")
    assert matrix.loc["Havering", "2025-11"] == 10
    assert matrix.loc["Redbridge", "2026-01"] == -15
    per_100k = gap_matrix(frame, None, "hospital", {"HAV": 50_000, "RED": None})
    assert list(per_100k.index) == ["Havering"]  # no population, no rate
    assert per_100k.loc["Havering", "2026-01"] == pytest.approx((107 - 130 + 5) / 50_000 * 1e5)


def test_people_short_adds_up_each_types_shortfall_without_netting(frame):
    short = shortfall_matrix(frame, None, "both")
    net = gap_matrix(frame, None, "both")
    # Havering, Dec 2025: reablement (hospital + community) 120 + 6 = 126 against
    # 110 + 5 = 115, 11 short; rehab beds 20 against 25, 5 spare. Netted, the month
    # reads −6; the people short are 11.
    assert net.loc["Havering", "2025-12"] == -6
    assert short.loc["Havering", "2025-12"] == 11
    # Nov 2025: reablement 105 against 115 and rehab 20 against 25: nobody short.
    assert short.loc["Havering", "2025-11"] == 0
    # Jan 2026: reablement 137 against 112, 25 short; Redbridge 55 against 40, 15 short.
    assert short.loc["Havering", "2026-01"] == 25
    assert short.loc["Redbridge", "2026-01"] == 15
    # Hospital discharge only, Jan 2026: reablement 130 against 107, 23 short.
    assert shortfall_matrix(frame, None, "hospital").loc["Havering", "2026-01"] == 23
    # A chosen type alone: the rehab beds are never short.
    assert list(shortfall_matrix(frame, ["rehab_bed"], "both").loc["Havering"]) == [0, 0, 0]


def test_people_short_per_100k_and_no_rate_without_a_population(frame):
    per_100k = shortfall_matrix(frame, None, "both", {"HAV": 50_000, "RED": None})
    assert list(per_100k.index) == ["Havering"]
    assert per_100k.loc["Havering", "2026-01"] == pytest.approx(25 / 50_000 * 100_000)


def test_largest_shortfalls_worst_first_with_start_month(frame):
    table = largest_shortfalls(frame, source="hospital")
    first = table.iloc[0]
    assert (first["place"], first["starts"], first["months_short"]) == ("Redbridge", "2025-11", 3)
    assert first["total_shortfall"] == -(10 + 20 + 15)
    assert first["worst_month"] == "2025-12" and first["worst_gap"] == -20
    havering = table[table["place"] == "Havering"].iloc[0]
    assert havering["starts"] == "2025-12" and havering["total_shortfall"] == -(10 + 23)
    assert "rehab_bed" not in set(table["service_type"])  # a surplus every month


def test_service_type_across_places_rates_per_100k(frame):
    table = service_type_across_places(
        frame, "reablement_at_home", "both", {"HAV": 40_000, "RED": 20_000}
    )
    havering = table.set_index("place").loc["Havering"]
    assert havering["capacity"] == 110 + 110 + 107 + 15
    assert havering["capacity_per_100k"] == pytest.approx(342 / 40_000 * 100_000)
    assert havering["months_short"] == 2
    redbridge = table.set_index("place").loc["Redbridge"]
    assert "capacity assumed equal to demand" in redbridge["flags"]


def test_assumptions_list_each_set_of_values_with_its_months():
    data = pd.DataFrame(rows("H", "Beds", "rehab_bed", "hospital", [1, 1, 1], [2, 2, 2]))
    data.loc[data["month"] == "2025-11", "caseload"] = 57.0
    table = assumptions(data)
    assert list(table["months"]) == ["Nov 2025", "Dec 2025 – Jan 2026"]
    assert list(table["caseload"]) == [57.0, 10.0]
    assert math.isnan(float(table["throughput"].iloc[0] or math.nan))


def test_flips_are_counted_per_service_and_month_not_on_the_netted_gap():
    """In November reablement goes short and the beds come out of shortfall: netted over both
    the month stays in surplus, but two service-months flip."""
    base = pd.DataFrame(
        rows("Havering", "Reablement", "reablement_home", "hospital", [20, 20, 20], [25, 25, 25])
        + rows("Havering", "Beds", "rehab_bed", "hospital", [13, 13, 13], [10, 10, 10])
    )
    changed = base.copy()
    november = changed["month"] == "2025-11"
    changed.loc[november, "demand"] = [26, 6]  # reablement +6, beds −7
    changed["gap"] = changed["capacity"] - changed["demand"]
    found = flips(base, changed).set_index("service")
    assert set(found.index) == {"Reablement", "Beds"}
    assert found.loc["Reablement", "flip"] == "into shortfall"
    assert found.loc["Beds", "flip"] == "out of shortfall"
    assert set(found["month"]) == {"2025-11"} and set(found["place"]) == {"Havering"}
    effect = scenario_effect(base, changed).set_index("month")
    assert effect.loc["2025-11", "gap_baseline"] > 0 and effect.loc["2025-11", "gap_scenario"] > 0
    assert effect.loc["2025-11", "into_shortfall"] == 1
    assert effect.loc["2025-11", "out_of_shortfall"] == 1
    assert effect.loc["2025-12", ["into_shortfall", "out_of_shortfall"]].sum() == 0


def test_flips_follow_the_chosen_source_and_ignore_rows_that_stay_short():
    base = pd.DataFrame(
        rows("Havering", "Beds", "rehab_bed", "hospital", [9, 9, 9], [10, 10, 10])
        + rows("Havering", "Beds", "rehab_bed", "community", [5, 5, 5], [1, 1, 1])
    )
    changed = base.assign(demand=base["demand"] * 2)
    changed["gap"] = changed["capacity"] - changed["demand"]
    assert len(flips(base, changed)) == 3  # hospital, every month; community was short already
    assert flips(base, changed, "community").empty
