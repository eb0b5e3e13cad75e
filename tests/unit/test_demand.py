"""Demand: monthly history counted in DuckDB, and the calendar-month projection."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from capacity.demand import (
    choose_window,
    complete_months,
    coverage,
    monthly_history,
    months_without_data,
    observed_hospital_share,
    project_demand,
)
from tests.conftest import full_years, make_store, monthly_referrals, parameters

SERVICE = [{"service_id": "reab", "name": "Reablement A", "service_type": "reablement_home"}]
LINKS = [("reab", "A", None)]
PARAMS = parameters(
    {
        "service_id": "reab",
        "method": "caseload",
        "caseload": 10,
        "mean_los_days": 20,
        "valid_from": "2020-04-01",
    }
)


def store_with(*frames: pd.DataFrame, counts: pd.DataFrame | None = None):
    refs = pd.concat(frames, ignore_index=True) if frames else None
    return make_store(SERVICE, LINKS, PARAMS, refs, counts)


def seasonal(first_year: int, last_year: int, winter: int, summer: int) -> dict[str, int]:
    """``winter`` referrals in December to February, ``summer`` otherwise."""
    months = full_years(first_year, last_year, summer)
    for key in months:
        if key[-2:] in ("12", "01", "02"):
            months[key] = winter
    return months


def test_history_counts_records_by_month_in_duckdb():
    store = store_with(
        monthly_referrals("A", "reablement_home", "reab", "hospital", {"2024-04": 3, "2024-05": 5})
    )
    history = monthly_history(store, ["A"])
    assert list(history["referrals"]) == [3.0, 5.0]
    assert list(history["month"].dt.strftime("%Y-%m")) == ["2024-04", "2024-05"]
    assert set(history["origin"]) == {"records"}


def test_published_counts_fill_only_months_without_records():
    counts = pd.DataFrame(
        [
            {
                "place_code": "A",
                "service_type": "reablement_home",
                "service_id": "reab",
                "source": "hospital",
                "month": pd.Timestamp(m),
                "referrals": n,
                "source_note": "test",
            }
            for m, n in (("2024-04-01", 99.0), ("2024-06-01", 7.0))
        ]
    )
    store = store_with(
        monthly_referrals("A", "reablement_home", "reab", "hospital", {"2024-04": 3, "2024-05": 5}),
        counts=counts,
    )
    history = monthly_history(store, ["A"]).set_index("month")["referrals"]
    assert history[pd.Timestamp("2024-04-01")] == 3.0  # records win over the published 99
    assert history[pd.Timestamp("2024-06-01")] == 7.0  # the count fills a month with no records


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        (date(2022, 4, 1), date(2026, 3, 31), ("2022-04", "2026-03")),
        (date(2022, 4, 3), date(2026, 3, 29), ("2022-04", "2026-03")),  # within 3 days: complete
        (date(2022, 4, 15), date(2026, 3, 15), ("2022-05", "2026-02")),  # part months dropped
        (date(2024, 2, 2), date(2024, 2, 26), ("2024-02", "2024-02")),  # leap February, 29 days
    ],
)
def test_complete_months(first, last, expected):
    start, end = complete_months(first, last)
    assert (start.strftime("%Y-%m"), end.strftime("%Y-%m")) == expected


def test_window_takes_the_latest_years_before_the_plan_year():
    window = choose_window(pd.Timestamp("2022-04-01"), pd.Timestamp("2026-03-01"), 2025, 3)
    assert window.years == (2022, 2023, 2024)
    assert window.label == "Apr 2022 – Mar 2025 (3 years)"
    assert not window.short
    later = choose_window(pd.Timestamp("2022-04-01"), pd.Timestamp("2026-03-01"), 2028, 3)
    assert later.years == (2023, 2024, 2025)  # the latest history there is
    short = choose_window(pd.Timestamp("2024-04-01"), pd.Timestamp("2026-03-01"), 2025, 3)
    assert short.years == (2024,) and short.short
    with pytest.raises(ValueError, match="window_years"):
        choose_window(pd.Timestamp("2022-04-01"), pd.Timestamp("2026-03-01"), 2025, 4)


def test_projection_keeps_the_calendar_month_profile():
    store = store_with(
        monthly_referrals(
            "A", "reablement_home", "reab", "hospital", seasonal(2022, 2024, winter=30, summer=10)
        )
    )
    history = monthly_history(store, ["A"])
    projection, windows = project_demand(history, coverage(store, ["A"]), 2025, 3)
    by_month = projection.set_index("month")["demand"]
    assert by_month["2026-01"] == 30 and by_month["2025-07"] == 10
    assert windows["A"].years == (2022, 2023, 2024)


def test_projection_averages_years_and_applies_growth_per_year_of_distance():
    # April counts of 10, 20 and 30 in 2022, 2023, 2024; every other month 2.
    months = full_years(2022, 2024, 2)
    months |= {"2022-04": 10, "2023-04": 20, "2024-04": 30}
    store = store_with(monthly_referrals("A", "reablement_home", "reab", "hospital", months))
    history, cover = monthly_history(store, ["A"]), coverage(store, ["A"])
    flat, _ = project_demand(history, cover, 2025, 3)
    assert flat.set_index("month").loc["2025-04", "demand"] == pytest.approx(20)
    grown, _ = project_demand(history, cover, 2025, 3, growth=0.10)
    # Each year grows to 2025: 10 × 1.1³, 20 × 1.1², 30 × 1.1, then the mean.
    expected = (10 * 1.1**3 + 20 * 1.1**2 + 30 * 1.1) / 3
    assert grown.set_index("month").loc["2025-04", "demand"] == pytest.approx(expected)
    one_year, _ = project_demand(history, cover, 2025, 1)
    assert one_year.set_index("month").loc["2025-04", "demand"] == pytest.approx(30)


def test_a_month_with_no_data_inside_the_history_is_missing_not_zero():
    # Three years of 6 a month, but August 2023 has no referral at all: August's mean is over
    # the two years that have it (6, not 4), and the projection says it rests on two years.
    months = full_years(2022, 2024, 6)
    del months["2023-08"]
    store = store_with(monthly_referrals("A", "reablement_home", "reab", "hospital", months))
    projection, _ = project_demand(monthly_history(store, ["A"]), coverage(store, ["A"]), 2025, 3)
    by_month = projection.set_index("month")
    assert by_month.loc["2025-08", "demand"] == 6
    assert by_month.loc["2025-08", "years_in_month"] == 2
    assert by_month.loc["2025-07", "years_in_month"] == 3


def test_a_quiet_source_in_a_month_the_service_type_has_data_counts_as_zero():
    # Hospital referrals every month; community ones only in 2024's August (3 of them). The
    # other Augusts had hospital referrals, so their community count is a real zero: 3 / 3 = 1.
    hospital = full_years(2022, 2024, 5)
    store = store_with(
        monthly_referrals("A", "reablement_home", "reab", "hospital", hospital),
        monthly_referrals("A", "reablement_home", "reab", "community", {"2024-08": 3}),
    )
    projection, _ = project_demand(monthly_history(store, ["A"]), coverage(store, ["A"]), 2025, 3)
    community = projection[projection["source"] == "community"].set_index("month")
    assert community.loc["2025-08", "demand"] == 1
    assert community.loc["2025-08", "years_in_month"] == 3


def test_months_outside_coverage_have_no_demand_rather_than_zero():
    # Data from October 2024 only: April to September have no history at all.
    months = {k: v for k, v in full_years(2024, 2024, 4).items() if k >= "2024-10"}
    store = store_with(monthly_referrals("A", "reablement_home", "reab", "hospital", months))
    projection, _ = project_demand(monthly_history(store, ["A"]), coverage(store, ["A"]), 2025, 3)
    demand = projection.set_index("month")["demand"]
    assert pd.isna(demand["2025-04"])
    assert demand["2025-10"] == 4


def test_growth_is_validated():
    store = store_with(
        monthly_referrals("A", "reablement_home", "reab", "hospital", full_years(2024, 2024, 4))
    )
    history, cover = monthly_history(store, ["A"]), coverage(store, ["A"])
    for bad in (-1.0, -2, 1.5, float("nan")):
        with pytest.raises(ValueError, match="growth"):
            project_demand(history, cover, 2025, 3, growth=bad)


def test_hospital_share_is_observed_from_the_records():
    store = store_with(
        monthly_referrals("A", "reablement_home", "reab", "hospital", full_years(2024, 2024, 9)),
        monthly_referrals("A", "reablement_home", "reab", "community", full_years(2024, 2024, 3)),
    )
    history, cover = monthly_history(store, ["A"]), coverage(store, ["A"])
    _, windows = project_demand(history, cover, 2025, 3)
    share = observed_hospital_share(history, cover, windows)
    assert share.set_index("place_code").loc["A", "observed_hospital_share"] == pytest.approx(0.75)


# -- months with no data -------------------------------------------------------------------


def gaps_of(store, places=("A",)) -> list[tuple]:
    history, cover = monthly_history(store, list(places)), coverage(store, list(places))
    gaps = months_without_data(history, cover)
    return [
        (p, t, m.strftime("%Y-%m"), n)
        for p, t, m, n in zip(
            gaps["place_code"],
            gaps["service_type"],
            gaps["month"],
            gaps["referrals_a_month"],
            strict=True,
        )
    ]


def count_rows(place: str, stype: str, sid: str | None, months: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "place_code": place,
                "service_type": stype,
                "service_id": sid,
                "source": "hospital",
                "month": pd.Timestamp(f"{m}-01"),
                "referrals": n,
                "source_note": "test",
            }
            for m, n in months.items()
        ]
    )


def test_a_month_with_no_data_inside_a_places_history_is_reported():
    months = full_years(2024, 2024, 6)
    months["2024-08"] = 0  # no records at all that month
    store = store_with(monthly_referrals("A", "reablement_home", "reab", "hospital", months))
    # Reported once, for the whole place, with the usual 6 a month of the other 11 months.
    assert gaps_of(store) == [("A", None, "2024-08", pytest.approx(6.0))]


def test_complete_data_has_no_gaps_and_a_published_count_fills_one():
    months = full_years(2024, 2024, 6)
    assert (
        gaps_of(store_with(monthly_referrals("A", "reablement_home", "reab", "hospital", months)))
        == []
    )
    months["2024-08"] = 0
    filled = store_with(
        monthly_referrals("A", "reablement_home", "reab", "hospital", months),
        counts=count_rows("A", "reablement_home", "reab", {"2024-08": 5.0}),
    )
    assert gaps_of(filled) == []


def test_a_service_type_missing_a_month_the_place_has_is_reported_for_that_type():
    reablement = full_years(2024, 2024, 10)
    ucr = {k: 3 for k in reablement if k >= "2024-10"}  # UCR records start in October
    ucr["2024-12"] = 0
    reablement["2025-02"] = 0
    ucr["2025-02"] = 0  # February: nothing for either type, so a gap of the whole place
    store = store_with(
        monthly_referrals("A", "reablement_home", "reab", "hospital", reablement),
        monthly_referrals("A", "ucr", None, "community", ucr),
    )
    # April to September are before UCR's records begin: not gaps. December is UCR's own gap
    # (usually 3 a month over its 4 other months); February is listed once, for the place,
    # whose 11 other months hold 10 reablement referrals each and 3 UCR in four of them.
    place_mean = (10 * 11 + 3 * 4) / 11
    assert gaps_of(store) == [
        ("A", None, "2025-02", pytest.approx(place_mean)),
        ("A", "ucr", "2024-12", pytest.approx(3.0)),
    ]


def test_gaps_are_per_place():
    full = full_years(2024, 2024, 4)
    holed = dict(full, **{"2024-11": 0})
    store = store_with(
        monthly_referrals("A", "reablement_home", "reab", "hospital", full),
        monthly_referrals("B", "reablement_home", None, "hospital", holed),
    )
    assert [g[:3] for g in gaps_of(store, ("A", "B"))] == [("B", None, "2024-11")]
