"""Rounding for exports: parts that add up to their rounded totals, in lists and in tables."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from capacity.rounding import largest_remainder, round_half_up, round_table

figures = st.floats(min_value=0, max_value=5_000, allow_nan=False, allow_infinity=False)
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
    [(2.5, 3), (-2.5, -3), (2.4999, 2), (0.5, 1), (-0.4, 0), (7.0, 7), (0.0, 0),
     (0.49999999999999994, 0), (-0.49999999999999994, 0)],
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
    with pytest.raises(ValueError, match="finite"):
        round_table([[1.0, bad]])


@example([4.6320585556647597e-209, -0.5])  # a hair above −0.5 in total: rounds to 0
@given(st.lists(signed, max_size=30))
def test_largest_remainder_parts_add_up_to_the_rounded_total(values):
    rounded = largest_remainder(values)
    assert sum(rounded) == nearest(exact_sum(values))
    for part, value in zip(rounded, values, strict=True):
        assert abs(part - value) < 1
        assert adjacent(part, value)


def test_a_table_whose_naive_rounding_does_not_add_up():
    # Rounded one by one, every cell is 0 while the row totals are 1 and the grand total 2.
    table = round_table([[0.4, 0.4, 0.4], [0.4, 0.4, 0.4]])
    assert table.grand_total == 2
    assert [sum(row) for row in table.cells] == table.row_totals == [1, 1]
    assert sum(table.column_totals) == 2
    assert [sum(col) for col in zip(*table.cells, strict=True)] == table.column_totals


def test_a_table_of_whole_numbers_is_left_alone():
    table = round_table([[82.0] * 12, [34.0] * 12])
    assert table.cells == [[82] * 12, [34] * 12]
    assert table.row_totals == [984, 408]
    assert table.column_totals == [116] * 12
    assert table.grand_total == 1392


def test_a_table_where_the_rounded_cells_are_already_consistent_is_kept():
    table = round_table([[1.2, 2.7, 3.1], [0.1, 0.1, 5.8]])
    assert table.cells == [[1, 3, 3], [0, 0, 6]]


def test_an_empty_table_keeps_its_width():
    table = round_table([], columns=3)
    assert table.cells == [] and table.row_totals == []
    assert table.column_totals == [0, 0, 0] and table.grand_total == 0


def test_ragged_rows_are_refused():
    with pytest.raises(ValueError, match="same number of columns"):
        round_table([[1.0, 2.0], [3.0]])


tables = st.integers(min_value=1, max_value=12).flatmap(
    lambda width: st.lists(st.lists(figures, min_size=width, max_size=width), min_size=1,
                           max_size=9)
)


@settings(max_examples=150, deadline=None)
@given(tables)
def test_every_row_column_and_total_of_a_rounded_table_adds_up(rows):
    table = round_table(rows)
    assert [sum(row) for row in table.cells] == table.row_totals
    assert [sum(col) for col in zip(*table.cells, strict=True)] == table.column_totals
    assert sum(table.row_totals) == sum(table.column_totals) == table.grand_total
    assert table.grand_total == nearest(exact_sum(v for row in rows for v in row))
    for rounded_row, row in zip(table.cells, rows, strict=True):
        for cell, value in zip(rounded_row, row, strict=True):
            assert abs(cell - value) < 1 and adjacent(cell, value)
    for total, row in zip(table.row_totals, rows, strict=True):
        assert adjacent(total, exact_sum(row))
    for total, column in zip(table.column_totals, zip(*rows, strict=True), strict=True):
        assert adjacent(total, exact_sum(column))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(signed, min_size=4, max_size=4), min_size=1, max_size=5))
def test_negative_figures_round_and_add_up_too(rows):
    table = round_table(rows)
    assert [sum(row) for row in table.cells] == table.row_totals
    assert [sum(col) for col in zip(*table.cells, strict=True)] == table.column_totals
    for rounded_row, row in zip(table.cells, rows, strict=True):
        for cell, value in zip(rounded_row, row, strict=True):
            assert adjacent(cell, value)


def test_the_rounding_is_no_further_from_the_truth_than_it_must_be():
    # Two cells of 0.6 and two of 0.4 in a 2 × 2 table: rounding each to its nearest
    # whole number already adds up, so nothing should move further than that.
    table = round_table([[0.6, 0.4], [0.4, 0.6]])
    assert table.cells == [[1, 0], [0, 1]]
    assert table.row_totals == [1, 1] and table.column_totals == [1, 1]
