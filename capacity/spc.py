"""Statistical process control as NHS analysts read it: Making Data Count XmR charts.

An XmR (individuals) chart puts a monthly series beside its mean and its
*natural process limits*, mean ± 2.66 × the mean moving range (2.66 = 3 ÷ 1.128,
so the limits are three sigma, sigma estimated from the moving ranges). A point
is a *special cause* when any of the Making Data Count rules marks it:

- **outside**: beyond a process limit;
- **shift**: part of a run of 7 or more points on one side of the mean (a point
  on the mean breaks the run);
- **trend**: part of 6 or more points each higher (or each lower) than the one
  before (a repeated value breaks the trend);
- **two of three**: 2 of 3 consecutive points beyond two sigma (two thirds of
  the way from the mean to a limit) on the same side; those beyond are marked.

Every rule marks every point that takes part, so a run of nine marks nine
points. Each special cause is *improvement* or *concern* when a direction is
better (``improvement="increase"`` for, say, discharges on time), or *neither*
when no direction is (referrals: more is not good or bad in itself).

The limits may be fixed on a *baseline* (the first N points of each segment, or
the points up to a chosen month) and extended beyond it, and the series may be
*rebased*: a new segment from a chosen month, with its own mean and limits, for
a change in the process such as a new service model. Rules never look across a
rebase.

The *variation icon* reads the latest point; the *assurance icon* compares the
latest segment's limits with a target where one is given.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

Direction = Literal["increase", "decrease", "neutral"]

LIMIT_FACTOR = 2.66  # 3 ÷ d2, d2 = 1.128 for moving ranges of two points
SHIFT_POINTS = 7
TREND_POINTS = 6
MIN_BASELINE = 2  # the fewest points that give a moving range
ADVISED_BASELINE = 15  # Making Data Count: limits on fewer points are provisional

COMMON = "common"
IMPROVEMENT = "improvement"
CONCERN = "concern"
NEITHER = "neither"

VARIATION_ICONS = {
    (COMMON, ""): "Common cause variation",
    (IMPROVEMENT, "high"): "Special cause variation: improving (high)",
    (IMPROVEMENT, "low"): "Special cause variation: improving (low)",
    (CONCERN, "high"): "Special cause variation: concerning (high)",
    (CONCERN, "low"): "Special cause variation: concerning (low)",
    (NEITHER, "high"): "Special cause variation: neither improving nor concerning (high)",
    (NEITHER, "low"): "Special cause variation: neither improving nor concerning (low)",
}
PASSES = "Assurance: consistently passes the target"
FAILS = "Assurance: consistently fails the target"
HIT_AND_MISS = "Assurance: hit and miss, passes and fails the target by chance"

RULES = ("outside", "shift", "trend", "two_of_three")


@dataclass(frozen=True)
class XmR:
    """An XmR chart's figures.

    ``frame`` has one row per point, indexed as the series was: ``value``,
    ``segment`` (0, 1, … from each rebase), ``baseline`` (whether the point
    set its segment's limits), ``moving_range``, ``mean``, ``upper``/``lower``
    (the process limits), ``upper_two_sigma``/``lower_two_sigma``, one boolean
    column per rule in :data:`RULES`, ``special``, ``side`` ('high', 'low' or '')
    and ``variation`` (common, improvement, concern or neither).
    """

    frame: pd.DataFrame
    improvement: Direction
    target: float | None
    variation_icon: str
    assurance_icon: str | None
    notes: tuple[str, ...] = field(default_factory=tuple)


def moving_ranges(values: Sequence[float] | np.ndarray) -> np.ndarray:
    """|x[i] − x[i−1]| for each point after the first (so one fewer than the points)."""
    return np.abs(np.diff(np.asarray(values, dtype=float)))


def process_limits(values: Sequence[float] | np.ndarray) -> tuple[float, float, float]:
    """(mean, lower limit, upper limit) of ``values``: mean ∓ 2.66 × mean moving range."""
    points = np.asarray(values, dtype=float)
    if len(points) < MIN_BASELINE:
        raise ValueError(f"process limits need at least {MIN_BASELINE} points (got {len(points)})")
    centre = float(points.mean())
    spread = LIMIT_FACTOR * float(moving_ranges(points).mean())
    return centre, centre - spread, centre + spread


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of each run of consecutive true values."""
    runs, start = [], None
    for i, flag in enumerate([*flags, False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            runs.append((start, i))
            start = None
    return runs


def _mark_long_runs(flags: np.ndarray, length: int) -> np.ndarray:
    """True for every point in a run of at least ``length`` true values."""
    marked = np.zeros(len(flags), dtype=bool)
    for start, stop in _runs(flags):
        if stop - start >= length:
            marked[start:stop] = True
    return marked


def shift_points(values: np.ndarray, mean: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(high, low): points in a run of 7 or more strictly above / below the mean."""
    return (
        _mark_long_runs(values > mean, SHIFT_POINTS),
        _mark_long_runs(values < mean, SHIFT_POINTS),
    )


def trend_points(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rising, falling): points in 6 or more each strictly above / below the one before."""
    steps = np.diff(values)
    rising, falling = np.zeros(len(values), bool), np.zeros(len(values), bool)
    # A run of k rising steps joins k + 1 points, so 5 steps make a trend of 6.
    for flags, out in ((steps > 0, rising), (steps < 0, falling)):
        for start, stop in _runs(flags):
            if stop - start >= TREND_POINTS - 1:
                out[start : stop + 1] = True
    return rising, falling


def two_of_three_points(beyond: np.ndarray) -> np.ndarray:
    """Points beyond two sigma (``beyond``, one side) with another such among 3 in a row."""
    marked = np.zeros(len(beyond), dtype=bool)
    for i in range(len(beyond) - 2):
        window = beyond[i : i + 3]
        if window.sum() >= 2:
            marked[i : i + 3] |= window
    return marked


def _segment_starts(index: pd.Index, rebase: Sequence[Hashable]) -> list[int]:
    """Positions where segments start: 0 and each rebase point (which must be in the index)."""
    starts = {0}
    for point in rebase:
        if point not in index:
            raise ValueError(f"rebase point {point!r} is not in the series")
        starts.add(int(index.get_loc(point)))
    return sorted(starts)


def _baseline_size(index: pd.Index, start: int, stop: int, baseline: int | Hashable | None) -> int:
    """How many points from ``start`` set the segment's limits."""
    if baseline is None:
        return stop - start
    if isinstance(baseline, int | np.integer) and not isinstance(baseline, bool):
        return min(int(baseline), stop - start)
    if baseline not in index:
        raise ValueError(f"baseline end {baseline!r} is not in the series")
    end = int(index.get_loc(baseline))
    return end - start + 1 if start <= end < stop else stop - start


def _classify(side: np.ndarray, special: np.ndarray, improvement: Direction) -> np.ndarray:
    """common / improvement / concern / neither for each point."""
    if improvement == "neutral":
        kinds = np.where(special, NEITHER, COMMON)
    else:
        good = "high" if improvement == "increase" else "low"
        kinds = np.where(special, np.where(side == good, IMPROVEMENT, CONCERN), COMMON)
    return kinds.astype(object)


def _segment_frame(values: np.ndarray, size: int) -> dict[str, np.ndarray]:
    """Limits, two-sigma lines and rule flags of a segment; its first ``size`` points set them."""
    centre, lower, upper = process_limits(values[:size])
    n = len(values)
    mean = np.full(n, centre)
    two = (upper - centre) * 2 / 3
    columns = {
        "mean": mean,
        "lower": np.full(n, lower),
        "upper": np.full(n, upper),
        "lower_two_sigma": np.full(n, centre - two),
        "upper_two_sigma": np.full(n, centre + two),
    }
    high_shift, low_shift = shift_points(values, mean)
    rising, falling = trend_points(values)
    high_two = two_of_three_points(values > centre + two)
    low_two = two_of_three_points(values < centre - two)
    columns.update(
        outside=(values > upper) | (values < lower),
        shift=high_shift | low_shift,
        trend=rising | falling,
        two_of_three=high_two | low_two,
    )
    # The side each rule points to; a rising trend is 'high' even below the mean.
    votes = (
        (values > upper).astype(int)
        - (values < lower)
        + high_shift
        - low_shift
        + rising
        - falling
        + high_two
        - low_two
    )
    position = np.sign(values - centre)
    columns["_vote"] = np.where(votes != 0, np.sign(votes), position)
    return columns


def xmr(
    series: pd.Series,
    *,
    improvement: Direction = "neutral",
    target: float | None = None,
    baseline: int | Hashable | None = None,
    rebase: Sequence[Hashable] = (),
) -> XmR:
    """The XmR chart of ``series`` (one value per month, in order; missing months dropped).

    ``improvement`` says which way is better ('increase', 'decrease' or
    'neutral'); ``target`` gives the assurance icon; ``baseline`` fixes each
    segment's limits on its first N points (an int) or on the points up to and
    including a label of the series (that label's segment only); ``rebase``
    lists the labels where a new segment with its own limits starts.
    """
    if improvement not in ("increase", "decrease", "neutral"):
        raise ValueError(f"improvement must be increase, decrease or neutral (got {improvement!r})")
    clean = series.dropna().astype(float)
    if not clean.index.is_monotonic_increasing:
        raise ValueError("the series must be in time order")
    starts = _segment_starts(clean.index, rebase)
    stops = [*starts[1:], len(clean)]
    parts, notes = [], []
    for number, (start, stop) in enumerate(zip(starts, stops, strict=True)):
        size = _baseline_size(clean.index, start, stop, baseline)
        if size < MIN_BASELINE:
            raise ValueError(
                f"segment {number + 1} has {size} baseline point(s); "
                f"limits need at least {MIN_BASELINE}"
            )
        if size < ADVISED_BASELINE:
            notes.append(
                f"Segment {number + 1}: limits rest on {size} points; Making Data Count "
                f"advises at least {ADVISED_BASELINE}, so treat them as provisional."
            )
        values = clean.to_numpy()[start:stop]
        columns = _segment_frame(values, size)
        columns["value"] = values
        columns["segment"] = np.full(len(values), number)
        columns["baseline"] = np.arange(len(values)) < size
        columns["moving_range"] = np.concatenate([[np.nan], moving_ranges(values)])
        parts.append(pd.DataFrame(columns, index=clean.index[start:stop]))
    frame = pd.concat(parts) if parts else pd.DataFrame()
    frame["special"] = frame[list(RULES)].any(axis=1)
    vote = frame.pop("_vote").to_numpy()
    frame["side"] = np.where(frame["special"], np.where(vote > 0, "high", "low"), "")
    frame["variation"] = _classify(
        frame["side"].to_numpy(), frame["special"].to_numpy(), improvement
    )
    order = [
        "value",
        "segment",
        "baseline",
        "moving_range",
        "mean",
        "lower",
        "upper",
        "lower_two_sigma",
        "upper_two_sigma",
        *RULES,
        "special",
        "side",
        "variation",
    ]
    frame = frame[order]
    return XmR(
        frame=frame,
        improvement=improvement,
        target=target,
        variation_icon=variation_icon(frame),
        assurance_icon=assurance_icon(frame, improvement, target),
        notes=tuple(notes),
    )


def variation_icon(frame: pd.DataFrame) -> str:
    """The variation icon's label, read from the latest point of an :func:`xmr` frame."""
    last = frame.iloc[-1]
    return VARIATION_ICONS[(last["variation"], last["side"])]


def assurance_icon(frame: pd.DataFrame, improvement: Direction, target: float | None) -> str | None:
    """Whether the latest segment's limits say the target is met consistently, or by chance.

    None where there is no target or no better direction (a target needs a side
    to pass on). A target exactly on a limit counts as inside it: hit and miss.
    """
    if target is None or improvement == "neutral":
        return None
    last = frame.iloc[-1]
    lower, upper = float(last["lower"]), float(last["upper"])
    if lower <= target <= upper:
        return HIT_AND_MISS
    passes = lower > target if improvement == "increase" else upper < target
    return PASSES if passes else FAILS
