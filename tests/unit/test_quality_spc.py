"""The SPC history of the Data quality page: monthly referrals and length of stay per service
type, worked out independently here, and the checks on the baseline and rebase settings."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from capacity.views import quality
from tests.conftest import make_store, monthly_referrals, parameters, referrals

HAVERING = "E09000016"
BHR = ("E09000002", "E09000016", "E09000026")


def counted_in_sql(
    path, codes: tuple[str, ...], service_type: str, sources: tuple[str, ...]
) -> pd.Series:
    """Referral records counted by month straight from the table (the demo has no published
    counts, and its records run from 1 April 2022 to 31 March 2026: every month complete)."""
    with duckdb.connect(str(path), read_only=True) as con:
        frame = con.execute(
            "SELECT date_trunc('month', referral_date) AS month, count(*) AS n FROM referrals "
            "WHERE list_contains($codes, place_code) AND service_type = $type "
            "AND list_contains($sources, source) GROUP BY 1 ORDER BY 1",
            {"codes": list(codes), "type": service_type, "sources": list(sources)},
        ).df()
    return pd.Series(frame["n"].to_numpy(float), index=pd.DatetimeIndex(frame["month"]))


@pytest.mark.parametrize(
    ("codes", "source", "sources"),
    [
        ((HAVERING,), "hospital", ("hospital",)),
        ((HAVERING,), "both", ("hospital", "community")),
        (BHR, "both", ("hospital", "community")),
    ],
)
def test_the_referral_series_is_the_monthly_count_of_records(demo_db, codes, source, sources):
    history = quality.spc_history(demo_db, codes, source, quality.REFERRALS)
    series = quality.series_of(history, "reablement_home")
    expected = counted_in_sql(demo_db, codes, "reablement_home", sources)
    assert len(series) == 48 and series.index[0] == pd.Timestamp("2022-04-01")
    pd.testing.assert_series_equal(series, expected, check_names=False, check_freq=False)


def test_hospital_and_community_add_up_to_both(demo_db):
    both, hospital, community = (
        quality.series_of(
            quality.spc_history(demo_db, (HAVERING,), s, quality.REFERRALS), "reablement_home"
        )
        for s in ("both", "hospital", "community")
    )
    pd.testing.assert_series_equal(both, hospital.add(community, fill_value=0))


def two_place_store():
    """Places A and B (system SYS) with rehab-bed referrals: A every month January to March
    2025, B in January and March only (its February not loaded)."""
    refs = pd.concat(
        [
            monthly_referrals(
                "A", R, "beds", "hospital", {"2025-01": 5, "2025-02": 7, "2025-03": 4}
            ),
            monthly_referrals("B", R, "beds", "hospital", {"2025-01": 3, "2025-03": 2}),
        ]
    )
    return make_store(
        [{"service_id": "beds", "name": "Beds", "service_type": "rehab_bed"}],
        [("beds", "A", None), ("beds", "B", None)],
        parameters(
            {
                "service_id": "beds",
                "method": "caseload",
                "caseload": 5,
                "mean_los_days": 12,
                "valid_from": "2024-04-01",
            }
        ),
        refs,
    )


def test_a_month_with_no_data_is_missing_not_zero():
    with two_place_store() as store:
        place_b = quality.series_of(
            quality.spc_history(store, ("B",), "both", "referrals"), "rehab_bed"
        )
        system = quality.series_of(
            quality.spc_history(store, ("A", "B"), "both", "referrals"), "rehab_bed"
        )
    assert place_b.to_dict() == {pd.Timestamp("2025-01-01"): 3, pd.Timestamp("2025-03-01"): 2}
    # February is left out of the system too: A's 7 alone would read as a fall in referrals.
    assert system.to_dict() == {pd.Timestamp("2025-01-01"): 8, pd.Timestamp("2025-03-01"): 6}


R = "rehab_bed"


def episode_store(second_service_los: float | None = None):
    """Rehab-bed episodes with known stays at places A and B, records from 1 January to 30 April
    2025 at each (so January to April are complete months)."""
    rows = [
        # id, place, R (rehab beds), service, source, referral, start, end   (stay in days)
        ("A1", "A", R, "beds", "hospital", "2025-01-01", "2025-01-01", "2025-01-05"),  # 4
        ("A2", "A", R, "beds", "hospital", "2025-01-20", "2025-01-20", "2025-02-03"),  # 14
        ("A3", "A", R, "beds", "hospital", "2025-02-01", "2025-02-01", "2025-02-09"),  # 8
        ("A4", "A", R, "beds", "hospital", "2025-03-10", "2025-03-10", "2025-03-16"),  # 6
        ("A5", "A", R, "beds", "community", "2025-03-15", "2025-03-15", "2025-03-25"),  # 10
        ("A6", "A", R, "beds", "hospital", "2025-04-30", "2025-04-30"),  # still open
        ("B1", "B", R, "beds", "hospital", "2025-01-01"),  # no episode dates
        ("B2", "B", R, "beds", "hospital", "2025-02-20", "2025-02-20", "2025-03-12"),  # 20
        ("B3", "B", R, "beds", "hospital", "2025-02-25", "2025-02-25", "2025-03-27"),  # 30
        ("B4", "B", R, "beds", "hospital", "2025-04-30"),
    ]
    services = [{"service_id": "beds", "name": "Beds", "service_type": "rehab_bed"}]
    params = [
        {
            "service_id": "beds",
            "method": "caseload",
            "caseload": 5,
            "mean_los_days": 12,
            "valid_from": "2024-04-01",
        }
    ]
    links = [("beds", "A", None), ("beds", "B", None)]
    if second_service_los is not None:
        services.append({"service_id": "more", "name": "More beds", "service_type": "rehab_bed"})
        params.append(
            {
                "service_id": "more",
                "method": "caseload",
                "caseload": 2,
                "mean_los_days": second_service_los,
                "valid_from": "2024-04-01",
            }
        )
        links.append(("more", "B", None))
    return make_store(services, links, parameters(*params), referrals(rows))


def test_length_of_stay_is_the_mean_of_episodes_ended_in_the_month():
    with episode_store() as store:
        hospital = quality.series_of(
            quality.spc_history(store, ("A",), "hospital", "los"), "rehab_bed"
        )
        both = quality.series_of(quality.spc_history(store, ("A",), "both", "los"), "rehab_bed")
        system = quality.spc_history(store, ("A", "B"), "hospital", "los")
    # A's stays are 4, 14, 8, 6 and 10 days; their 95th percentile is 10 + 0.8 × (14 − 10)
    # = 13.2 days, so January (only stays begun on or after 1 January can have ended) is left
    # out. February: (14 + 8) / 2 = 11; March: 6 (hospital), (6 + 10) / 2 = 8 (both). April:
    # no episode ended, so no point (not zero).
    assert hospital.to_dict() == {pd.Timestamp("2025-02-01"): 11.0, pd.Timestamp("2025-03-01"): 6.0}
    assert both.to_dict() == {pd.Timestamp("2025-02-01"): 11.0, pd.Timestamp("2025-03-01"): 8.0}
    # The system weighs every episode once: March is (6 + 20 + 30) / 3, not the mean of A's 6
    # and B's 25. B's 95th percentile stay is 29.5 days, so B counts from 1 February.
    march = system.series.set_index("month").loc[pd.Timestamp("2025-03-01")]
    assert march["value"] == pytest.approx(56 / 3) and march["episodes"] == 3
    assert system.targets == {"rehab_bed": 12.0}


def test_services_stating_different_stays_give_no_target_and_say_why():
    with episode_store(second_service_los=20) as store:
        history = quality.spc_history(store, ("A", "B"), "hospital", "los")
    assert history.targets == {}
    assert "12, 20 days" in history.target_notes["rehab_bed"]


def test_a_chart_marks_the_months_left_out():
    series = pd.Series(
        [3.0, 2.0, 4.0, 3.0],
        index=pd.to_datetime(["2025-01-01", "2025-03-01", "2025-04-01", "2025-06-01"]),
    )
    history = quality.SpcHistory(
        "referrals",
        series.rename("value").rename_axis("month").reset_index().assign(service_type="rehab_bed"),
    )
    chart = quality.spc_chart(history, "rehab_bed", "Test")
    assert chart.missing_months == ["Feb 2025", "May 2025"]
    assert chart.points == 4 and chart.badges == [("Common cause variation", "common", "")]
    assert chart.result.assurance_icon is None  # referrals have no better direction


def series_of_months(count: int) -> pd.Series:
    return pd.Series(
        range(count), index=pd.date_range("2023-04-01", periods=count, freq="MS"), dtype=float
    )


def test_the_controls_offer_months_that_leave_two_points_each_side():
    choices = quality.spc_choices(series_of_months(20))
    assert choices.default_first == 15 and choices.first_most == 20
    assert choices.default_until == "2024-06"  # the 15th month
    assert choices.rebase_months[0] == "2023-06" and choices.rebase_months[-1] == "2024-10"
    short = quality.spc_choices(series_of_months(6))
    assert short.default_first == 6 and short.default_until == "2023-09"


@pytest.mark.parametrize("text", ["-3", "0", "1", "21", "twelve", "2.5"])
def test_a_first_months_value_outside_2_to_the_series_length_is_refused(text):
    with pytest.raises(ValueError, match="whole number"):
        quality.check_first(text, quality.spc_choices(series_of_months(20)))


@pytest.mark.parametrize("text", ["2030-01", "2023-04", "2023-4", "", "April"])
def test_a_rebase_month_outside_the_offered_months_is_refused(text):
    choices = quality.spc_choices(series_of_months(20))
    with pytest.raises(ValueError, match="Jun 2023 to Oct 2024"):
        quality.check_month(text, choices.rebase_months, "be rebased at")
    assert quality.check_month("2024-01", choices.rebase_months, "be rebased at") == "2024-01"


def test_a_rebase_gives_each_part_its_own_mean():
    values = [10.0] * 6 + [20.0, 22.0, 18.0, 20.0, 21.0, 19.0]
    series = pd.Series(values, index=pd.date_range("2024-01-01", periods=12, freq="MS"))
    history = quality.SpcHistory(
        "referrals",
        series.rename("value").rename_axis("month").reset_index().assign(service_type="t"),
    )
    frame = quality.spc_chart(history, "t", "T", rebase="2024-07").result.frame
    assert set(frame["mean"].iloc[:6]) == {10.0} and set(frame["mean"].iloc[6:]) == {20.0}
    fixed = quality.spc_chart(history, "t", "T", until="2024-06").result.frame
    # Limits fixed on six flat months: the later months are all far outside them.
    assert fixed["mean"].iloc[-1] == 10.0 and fixed["outside"].iloc[6:].all()
