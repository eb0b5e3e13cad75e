"""Making Data Count XmR charts: limits worked by hand, and each rule on a series built for it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from capacity import spc


def monthly(values, start="2023-04") -> pd.Series:
    """Values one a month from ``start``."""
    return pd.Series(
        values, index=pd.date_range(start, periods=len(values), freq="MS"), dtype=float
    )


def flagged(chart: spc.XmR, rule: str) -> list[int]:
    """Positions the rule marks."""
    return list(np.flatnonzero(chart.frame[rule].to_numpy()))


# A steady baseline: mean 10, every moving range 2, so the limits are 10 ± 2.66 × 2 = 10 ± 5.32
# (4.68 to 15.32) and two sigma is two thirds of the way: 10 ± 3.5467 (6.4533 to 13.5467).
STEADY = [11, 9, 11, 9, 11, 9]


def test_limits_on_a_small_worked_example():
    chart = spc.xmr(monthly([10, 12, 11, 13, 14]))
    # mean = (10 + 12 + 11 + 13 + 14) / 5 = 60 / 5 = 12
    # moving ranges |12-10|, |11-12|, |13-11|, |14-13| = 2, 1, 2, 1; their mean = 6 / 4 = 1.5
    # limits = 12 ± 2.66 × 1.5 = 12 ± 3.99 → 8.01 and 15.99
    # two sigma = 12 ± (2/3) × 3.99 = 12 ± 2.66 → 9.34 and 14.66
    row = chart.frame.iloc[0]
    assert row["mean"] == pytest.approx(12)
    assert row["lower"] == pytest.approx(8.01)
    assert row["upper"] == pytest.approx(15.99)
    assert row["lower_two_sigma"] == pytest.approx(9.34)
    assert row["upper_two_sigma"] == pytest.approx(14.66)
    assert chart.frame["moving_range"].tolist()[1:] == [2, 1, 2, 1]
    assert np.isnan(chart.frame["moving_range"].iloc[0])
    assert spc.process_limits([10, 12, 11, 13, 14]) == pytest.approx((12, 8.01, 15.99))


def test_a_series_of_common_cause_variation_triggers_no_rule():
    values = [10, 12, 9, 11, 13, 10, 12, 11, 9, 12, 10, 13, 11, 10, 12]
    # mean 165 / 15 = 11; moving ranges sum to 30 over 14, 2.1429; limits 11 ± 5.70, two sigma
    # 11 ± 3.80: every point lies within 9 and 13; no run beyond one point on a side of 11
    # (three points equal it); the longest rise is 9, 11, 13.
    chart = spc.xmr(monthly(values), improvement="increase")
    assert not chart.frame["special"].any()
    assert set(chart.frame["variation"]) == {"common"}
    assert chart.variation_icon == "Common cause variation"


def test_a_point_outside_the_limits():
    # Baseline of the first ten points: 10, 11 alternating, mean 10.5, moving ranges 1, so the
    # limits are 10.5 ± 2.66 = 7.84 to 13.16. The eleventh point, 20, is above the upper limit.
    chart = spc.xmr(monthly([10, 11] * 5 + [20]), baseline=10, improvement="decrease")
    assert chart.frame["upper"].iloc[-1] == pytest.approx(13.16)
    assert flagged(chart, "outside") == [10]
    for rule in ("shift", "trend", "two_of_three"):
        assert flagged(chart, rule) == []
    # Lower is better here, so a high point is a concern, and it is the latest point.
    assert chart.frame["variation"].iloc[-1] == "concern"
    assert chart.variation_icon == "Special cause variation: concerning (high)"


def test_a_run_of_seven_on_one_side_of_the_mean_marks_all_seven():
    values = STEADY + [11, 10.5, 11, 10.5, 11, 10.5, 11]  # seven points above the mean of 10
    chart = spc.xmr(monthly(values), baseline=6, improvement="increase")
    assert flagged(chart, "shift") == [6, 7, 8, 9, 10, 11, 12]
    assert chart.frame["side"].iloc[-1] == "high"
    assert chart.variation_icon == "Special cause variation: improving (high)"


def test_six_on_one_side_is_not_a_shift_and_a_point_on_the_mean_breaks_a_run():
    six = spc.xmr(monthly(STEADY + [11, 10.5] * 3 + [9]), baseline=6)
    assert flagged(six, "shift") == []
    broken = spc.xmr(monthly(STEADY + [11, 10.5, 11, 10, 11, 10.5, 11, 10.5]), baseline=6)
    assert flagged(broken, "shift") == []


def test_six_rising_points_make_a_trend_even_below_the_mean():
    # The sixth point, 9, starts a rise of six: 9, 9.5, 10, 10.5, 11, 11.5 (all within the limits).
    chart = spc.xmr(monthly(STEADY + [9.5, 10, 10.5, 11, 11.5]), baseline=6, improvement="increase")
    assert flagged(chart, "trend") == [5, 6, 7, 8, 9, 10]
    assert flagged(chart, "outside") == flagged(chart, "shift") == []
    # A rising trend points up: 'high' even for 9.5, below the mean; more is better here.
    assert chart.frame["side"].iloc[6] == "high"
    assert chart.frame["variation"].iloc[6] == "improvement"


def test_five_rising_or_a_repeated_value_is_no_trend():
    five = spc.xmr(monthly(STEADY + [10, 10.5, 11, 11.5]), baseline=6)
    assert flagged(five, "trend") == []
    tied = spc.xmr(monthly(STEADY + [9.5, 10, 10, 10.5, 11]), baseline=6)
    assert flagged(tied, "trend") == []


def test_falling_trend_is_low():
    chart = spc.xmr(
        monthly([9, 11, 9, 11, 9, 11, 10.5, 10, 9.5, 9, 8.5]), baseline=6, improvement="decrease"
    )
    assert flagged(chart, "trend") == [5, 6, 7, 8, 9, 10]
    assert chart.variation_icon == "Special cause variation: improving (low)"


def test_two_of_three_beyond_two_sigma_on_one_side():
    # 14 is beyond two sigma (13.5467) but inside the limit (15.32): twice in three points.
    chart = spc.xmr(monthly(STEADY + [14, 10, 14, 10]), baseline=6)
    assert flagged(chart, "two_of_three") == [6, 8]
    assert flagged(chart, "outside") == []
    # Referrals: more is neither better nor worse.
    assert chart.frame["variation"].iloc[6] == "neither"
    assert chart.variation_icon == "Common cause variation"


def test_two_beyond_two_sigma_on_opposite_sides_or_too_far_apart_is_nothing():
    sides = spc.xmr(monthly(STEADY + [14, 10, 6, 10]), baseline=6)
    assert flagged(sides, "two_of_three") == []
    apart = spc.xmr(monthly(STEADY + [14, 10, 10, 14, 10]), baseline=6)
    assert flagged(apart, "two_of_three") == []


def test_neutral_special_cause_icon_on_the_latest_point():
    chart = spc.xmr(monthly(STEADY + [20]), baseline=6)
    assert chart.variation_icon == spc.VARIATION_ICONS[("neither", "high")]
    assert "neither improving nor concerning (high)" in chart.variation_icon
    assert chart.assurance_icon is None


def test_rebasing_gives_each_segment_its_own_limits():
    values = [10, 12] * 5 + [20, 22] * 5
    series = monthly(values, start="2023-01")
    whole = spc.xmr(series)
    # Unsplit, the later half is a shift above the mean of 16.
    assert whole.frame["special"].any()
    split = spc.xmr(series, rebase=[pd.Timestamp("2023-11-01")])
    first, second = split.frame.iloc[0], split.frame.iloc[-1]
    # Each half: mean 11 or 21, moving ranges within it all 2 → limits ± 5.32. The jump from 12
    # to 20 straddles the rebase, so it is no moving range of either.
    assert (first["mean"], first["lower"], first["upper"]) == pytest.approx((11, 5.68, 16.32))
    assert (second["mean"], second["lower"], second["upper"]) == pytest.approx((21, 15.68, 26.32))
    assert split.frame["segment"].tolist() == [0] * 10 + [1] * 10
    assert not split.frame["special"].any()


def test_a_run_does_not_reach_across_a_rebase():
    values = [12, 10] * 4 + [11.5] * 8
    series = monthly(values)
    # Eight points of 11.5 above the mean of 11 of the baseline [12, 10] * 4:
    assert flagged(spc.xmr(series, baseline=8), "shift") == list(range(8, 16))
    # As a segment of their own they are the mean: nothing special.
    rebased = spc.xmr(series, baseline=8, rebase=[series.index[8]])
    assert not rebased.frame["special"].any()


def test_baseline_up_to_a_chosen_month_is_extended():
    series = monthly([10, 12, 10, 12, 10, 12, 30, 40, 50])
    chart = spc.xmr(series, baseline=series.index[5])
    assert chart.frame["baseline"].tolist() == [True] * 6 + [False] * 3
    # Limits from the first six only: mean 11, moving ranges 2 → 5.68 to 16.32, on every row.
    assert chart.frame["upper"].tolist() == pytest.approx([16.32] * 9)
    assert flagged(chart, "outside") == [6, 7, 8]


def test_assurance_against_a_target():
    series = monthly([10, 12] * 8)  # mean 11, limits 5.68 to 16.32
    assert spc.xmr(series, improvement="increase", target=5).assurance_icon == spc.PASSES
    assert spc.xmr(series, improvement="increase", target=20).assurance_icon == spc.FAILS
    assert spc.xmr(series, improvement="increase", target=11).assurance_icon == spc.HIT_AND_MISS
    assert spc.xmr(series, improvement="decrease", target=20).assurance_icon == spc.PASSES
    assert spc.xmr(series, improvement="decrease", target=5).assurance_icon == spc.FAILS
    assert spc.xmr(series, improvement="neutral", target=5).assurance_icon is None
    assert spc.xmr(series, improvement="increase").assurance_icon is None


def test_missing_months_are_left_out_and_short_baselines_noted():
    chart = spc.xmr(monthly([10, np.nan, 12, 11, 13, 14]))
    assert len(chart.frame) == 5
    assert chart.frame["mean"].iloc[0] == pytest.approx(12)
    assert chart.notes and "5 points" in chart.notes[0]
    assert spc.xmr(monthly([10, 12] * 8)).notes == ()


def test_bad_inputs_are_refused_with_reasons():
    series = monthly([10, 12, 11])
    with pytest.raises(ValueError, match="rebase point"):
        spc.xmr(series, rebase=[pd.Timestamp("2030-01-01")])
    with pytest.raises(ValueError, match="at least 2"):
        spc.xmr(series, baseline=1)
    with pytest.raises(ValueError, match="improvement"):
        spc.xmr(series, improvement="up")
    with pytest.raises(ValueError, match="time order"):
        spc.xmr(series.iloc[::-1])
