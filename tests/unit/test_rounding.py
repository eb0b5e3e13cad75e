"""Rounding for exports: parts that add up to their rounded totals, in lists and in sheets."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from capacity.rounding import (
    Difference,
    largest_remainder,
    round_half_up,
    round_sheets,
)

signed = st.floats(min_value=-5_000, max_value=5_000, allow_nan=False, allow_infinity=False)


def exact_sum(values) -> Fraction:
    return sum((Fraction(v) for v in values), Fraction(0))


def nearest(value: Fraction) -> int:
    """The nearest whole number to an exact value, halves away from zero."""
    whole = math.floor(abs(value) + Fraction(1, 2))
    return whole if value >= 0 else -whole


def adjacent(rounded: int, value) -> bool:
    """On the floor or the ceiling of the value (so a whole number is kept as it is)."""
    return math.floor(value) <= rounded <= math.ceil(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2.5, 3),
        (-2.5, -3),
        (2.4999, 2),
        (0.5, 1),
        (-0.4, 0),
        (7.0, 7),
        (0.0, 0),
        (0.49999999999999994, 0),
        (-0.49999999999999994, 0),
    ],
)
def test_round_half_up_goes_away_from_zero_at_a_half(value, expected):
    assert round_half_up(value) == expected


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([0.4, 0.4, 0.4], [1, 0, 0]),  # 1.2 rounds to 1; the tie goes to the first
        ([1.2, 2.7, 3.1], [1, 3, 3]),  # 7.0: only the largest fraction goes up
        ([82.0] * 12, [82] * 12),  # whole numbers stay as they are
        ([0.5, 0.5], [1, 0]),  # 1.0
        ([33.3333, 33.3333, 33.3334], [33, 33, 34]),
        ([], []),
    ],
)
def test_largest_remainder_worked_examples(values, expected):
    assert largest_remainder(values) == expected


def test_largest_remainder_to_a_given_total():
    assert largest_remainder([0.2, 0.3, 0.5], total=1) == [0, 0, 1]
    assert largest_remainder([0.2, 0.3, 0.5], total=0) == [0, 0, 0]


@pytest.mark.parametrize("total", [-1, 4])
def test_largest_remainder_refuses_a_total_out_of_reach(total):
    with pytest.raises(ValueError, match="cannot add up"):
        largest_remainder([0.2, 0.3, 0.5], total=total)


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_figures_that_are_not_numbers_are_refused(bad):
    with pytest.raises(ValueError, match="finite"):
        largest_remainder([1.0, bad])


@example([4.6320585556647597e-209, -0.5])  # a hair above −0.5 in total: rounds to 0
@given(st.lists(signed, max_size=30))
def test_largest_remainder_parts_add_up_to_the_rounded_total(values):
    rounded = largest_remainder(values)
    assert sum(rounded) == nearest(exact_sum(values))
    for part, value in zip(rounded, values, strict=True):
        assert abs(part - value) < 1
        assert adjacent(part, value)


# -- place sheets and their total rounded together --------------------------------------


def sheet_layout(types: int) -> tuple[list[list[int]], list[Difference]]:
    """Rows as on the capacity & demand sheet: demand rows, capacity rows, then gap rows
    (capacity less demand), each group a section with month totals."""
    sections = [
        list(range(types)),
        list(range(types, 2 * types)),
        list(range(2 * types, 3 * types)),
    ]
    gaps = [Difference(row=2 * types + i, plus=types + i, minus=i) for i in range(types)]
    return sections, gaps


def with_gaps(demand: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    return np.concatenate([demand, capacity, capacity - demand], axis=1)


def assert_sheets_add_up(result, values: np.ndarray, sections, gaps, exact: bool = True):
    """Every figure within one of the truth (if ``exact``), every sum, the total sheet = the
    sum of the places, and every gap row = its capacity less its demand."""
    sheets = [*result.places, result.total]
    truths = [*values, values.sum(axis=0)]
    for sheet, truth in zip(sheets, truths, strict=True):
        assert (sheet.row_totals == sheet.cells.sum(axis=1)).all()
        for s, rows in enumerate(sections):
            assert (sheet.column_totals[s] == sheet.cells[rows].sum(axis=0)).all()
            assert sheet.grand_totals[s] == sheet.column_totals[s].sum()
        for gap in gaps:
            assert (sheet.cells[gap.row] == sheet.cells[gap.plus] - sheet.cells[gap.minus]).all()
        if exact:
            figures = [
                (sheet.cells, truth),
                (sheet.row_totals, truth.sum(axis=1)),
                (sheet.column_totals, np.array([truth[r].sum(axis=0) for r in sections])),
                (sheet.grand_totals, np.array([truth[r].sum() for r in sections])),
            ]
            for shown, true in figures:
                assert (np.floor(true - 1e-9) <= shown).all()
                assert (shown <= np.ceil(true + 1e-9)).all()
    for part in ("cells", "row_totals", "column_totals", "grand_totals"):
        added = sum(getattr(place, part) for place in result.places)
        assert (added == getattr(result.total, part)).all()


def figures_in_thirds(shape) -> st.SearchStrategy:
    """Monthly figures as plans make them: whole numbers of people over three years, some zero."""
    return st.lists(
        st.integers(min_value=0, max_value=300),
        min_size=int(np.prod(shape)),
        max_size=int(np.prod(shape)),
    ).map(lambda v: (np.array(v, dtype=float) / 3.0).reshape(shape))


@st.composite
def sheet_sets(
    draw,
    places: tuple[int, int] = (1, 4),
    types: tuple[int, int] = (1, 2),
    months: tuple[int, int] = (1, 12),
):
    """Demand and capacity (place, service type, month); up to 2 types make 6 rows a source."""
    places, types, months = (draw(st.integers(*bounds)) for bounds in (places, types, months))
    shape = (places, types, months)
    demand = draw(
        st.one_of(
            figures_in_thirds(shape),
            st.builds(
                lambda v: np.array(v).reshape(shape),
                st.lists(
                    st.floats(0, 100, allow_nan=False),
                    min_size=int(np.prod(shape)),
                    max_size=int(np.prod(shape)),
                ),
            ),
        )
    )
    # Some service types have their capacity assumed equal to demand, the rest their own.
    equal = draw(st.lists(st.booleans(), min_size=types, max_size=types))
    own = draw(figures_in_thirds(shape))
    capacity = np.where(np.array(equal)[None, :, None], demand, own)
    return demand, capacity, equal


@settings(max_examples=60, deadline=None)
@given(sheet_sets())
def test_sheets_rounded_together_stay_within_one_and_add_up(case):
    demand, capacity, equal = case
    types = demand.shape[1]
    sections, gaps = sheet_layout(types)
    values = with_gaps(demand, capacity)
    result = round_sheets(values, sections, gaps)
    assert_sheets_add_up(result, values, sections, gaps, exact=not result.departures)
    for sheet in [*result.places, result.total]:
        for t in range(types):
            if equal[t]:  # capacity assumed equal to demand: no gap, in any month or the year
                assert (sheet.cells[2 * types + t] == 0).all()
                assert sheet.row_totals[2 * types + t] == 0


@settings(max_examples=8, deadline=None)
@given(sheet_sets(places=(8, 10), types=(2, 4), months=(12, 12)))
def test_a_system_of_eight_to_ten_places_keeps_every_rule(case):
    # Several places are rounded in two stages (demand, then capacity and the gaps); the
    # rules are the same as for one.
    demand, capacity, equal = case
    types = demand.shape[1]
    sections, gaps = sheet_layout(types)
    values = with_gaps(demand, capacity)
    result = round_sheets(values, sections, gaps)
    assert_sheets_add_up(result, values, sections, gaps, exact=not result.departures)
    for sheet in [*result.places, result.total]:
        for t in np.flatnonzero(equal):
            assert (sheet.cells[2 * types + t] == 0).all()


def test_the_same_figures_always_round_the_same_way():
    # Ten places, figures in thirds and in hundredths: a signed-off figure must not depend
    # on how busy the machine was, so the rounding may not stop on the clock.
    rng = np.random.default_rng(7)
    demand = rng.integers(0, 900, (10, 3, 12)) / 3.0
    capacity = np.round(rng.uniform(0, 300, (10, 3, 12)), 2)
    sections, gaps = sheet_layout(3)
    values = with_gaps(demand, capacity)
    first, second = (round_sheets(values, sections, gaps) for _ in range(2))
    for a, b in zip([*first.places, first.total], [*second.places, second.total], strict=True):
        assert (a.cells == b.cells).all() and (a.grand_totals == b.grand_totals).all()
    assert first.departures == second.departures == ()
    assert_sheets_add_up(first, values, sections, gaps)


def test_a_rounding_is_found_where_demand_rounded_first_leaves_capacity_no_room():
    # Two places in quarters. Rounding demand first, as close as it goes, leaves no
    # capacity within one of its value that keeps every gap within one of its own; a
    # rounding of both together that keeps every rule exists, and is the one shown.
    demand = np.array([[[0.0, 0.5, 1.25], [1.0, 0.5, 0.5]], [[0.5, 0.75, 0.25], [1.0, 0.0, 0.5]]])
    capacity = np.array(
        [[[0.25, 1.0, 1.0], [1.0, 1.25, 1.25]], [[0.25, 0.0, 0.0], [1.0, 1.25, 1.25]]]
    )
    sections, gaps = sheet_layout(2)
    values = with_gaps(demand, capacity)
    result = round_sheets(values, sections, gaps)
    assert result.departures == ()
    assert_sheets_add_up(result, values, sections, gaps)


def test_a_system_total_is_the_rounded_truth_not_the_sum_of_rounded_places():
    # BHR's D2A capacity: 4.92 a month in each of three places, 14.76 for the system, with
    # capacity assumed equal to demand. Adding up the places' rounded sheets showed 16.
    demand = np.full((3, 1, 12), 4.92)
    capacity = demand.copy()
    sections, gaps = sheet_layout(1)
    values = with_gaps(demand, capacity)
    result = round_sheets(values, sections, gaps)
    assert result.departures == ()
    assert_sheets_add_up(result, values, sections, gaps)
    for row in (0, 1):  # demand and capacity: 14.76, never 16
        assert set(result.total.cells[row]) <= {14, 15}
    assert result.total.row_totals[1] in (177, 178)  # 177.12 for the year
    for sheet in [*result.places, result.total]:  # capacity equals demand: gap 0 everywhere
        assert (sheet.cells[2] == 0).all() and sheet.row_totals[2] == 0


def test_rehab_capacity_near_three_is_shown_as_three_on_the_total():
    # Capacity of 3.05 to 3.38 a month, shared by three places: 2 to 5 when added up rounded.
    capacity = (
        np.array([3.05, 3.2, 3.38, 3.1])[None, None, :] * np.array([0.3, 0.35, 0.35])[:, None, None]
    )
    demand = np.zeros_like(capacity)
    sections, gaps = sheet_layout(1)
    values = with_gaps(demand, capacity)
    result = round_sheets(values, sections, gaps)
    assert list(result.total.cells[1]) == [3, 3, 3, 3]


def test_when_no_rounding_adds_up_the_figures_that_moved_are_named():
    # One place, two service types, two months. The gap's year total of type 2 (0.0), the
    # gap's month-2 total (0.0) and the year's demand total (1.0) are whole, so fixed; they
    # force capacity of type 2 in month 2 to equal both demand of type 1 in month 2 and demand
    # of type 2 in month 1, while those two demands must add up to 1: no whole numbers do.
    demand = np.array([[[0.0, 0.5], [0.5, 0.0]]])
    capacity = np.array([[[0.75, 0.0], [0.0, 0.5]]])
    sections, gaps = sheet_layout(2)
    values = with_gaps(demand, capacity)
    result = round_sheets(values, sections, gaps)
    assert result.departures  # said, not hidden
    assert_sheets_add_up(result, values, sections, gaps, exact=False)
    for departure in result.departures:
        assert 1 <= departure.distance < 2  # moved one unit beyond the floor or ceiling
    on_place = [d for d in result.departures if d.place == 0]
    assert len(on_place) == 1  # the fewest moves that make it add up


def test_whole_numbers_stay_as_they_are_on_every_sheet():
    values = np.array([[[82.0] * 12, [34.0] * 12], [[1.0] * 12, [2.0] * 12]])
    result = round_sheets(values)
    assert (result.places[0].cells == values[0]).all()
    assert (result.total.cells == values.sum(axis=0)).all()
    assert list(result.total.grand_totals) == [(82 + 34 + 1 + 2) * 12]


def test_a_gap_row_must_be_its_capacity_less_its_demand():
    values = np.zeros((1, 3, 2))
    values[0, 1] = 1.5
    with pytest.raises(ValueError, match="not row 1 less row 0"):
        round_sheets(values, differences=[Difference(row=2, plus=1, minus=0)])
    with pytest.raises(ValueError, match="finite"):
        round_sheets(np.full((1, 1, 1), math.nan))
    with pytest.raises(ValueError, match="does not exist"):
        round_sheets(np.zeros((1, 2, 2)), sections=[[0, 5]])
