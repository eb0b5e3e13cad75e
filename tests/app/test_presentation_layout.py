"""Presentation mode's layout for the 1920×1080 wall: the charts share the height under the
heading, so every one is in view without scrolling."""

from __future__ import annotations

import pytest

from pages._style import Grid, overview_height, place_grid, title_size

# The Place screen's heading in rem of the 21 px presentation type: top padding 1, two lines
# of headline 2 × 2.1 × 1.2 = 5.04, two of subhead 2 × 1.2 × 1.35 = 3.24, the button row 2.6,
# two gaps 2 and 1 spare: 14.88 rem = 312.48 px, leaving 1080 − 312.48 = 767.52 px.
ROOM = 1080 - 14.88 * 21


@pytest.mark.parametrize(
    ("charts", "grid"),
    [
        (1, Grid(1, 1, 640)),  # 767.52 − 21 = 746.52, held to the tallest a chart reads well at
        (2, Grid(2, 1, 640)),
        (4, Grid(2, 2, 362)),  # (767.52 − 2 × 21) ÷ 2 = 362.76
        (5, Grid(3, 2, 362)),
        (7, Grid(3, 3, 234)),  # (767.52 − 3 × 21) ÷ 3 = 234.84
    ],
)
def test_the_place_screen_shares_the_height_under_its_heading(charts, grid):
    assert place_grid(charts) == grid
    assert grid.rows * (grid.chart_height + 21) <= ROOM


def test_a_smaller_screen_gets_shorter_charts():
    assert place_grid(4, screen=900).chart_height < place_grid(4).chart_height


def test_the_overview_heat_map_fills_the_room_left_but_no_more_than_its_rows_need():
    # Heading: padding 1 + title 3.6 + controls 4.4 + caption 1.4 + gaps 3 + spare 1
    # = 14.4 rem = 302.4 px; one row of room is 1080 − 302.4 − 21 = 756.6.
    assert overview_height(11) == 640  # 140 + 64 × 11 = 844 is more than 640 allows
    assert overview_height(3) == 140 + 64 * 3


def test_a_long_chart_title_gets_smaller_type_in_a_third_of_the_wall():
    # A column: (1920 − 2 × 105 − 2 × 21) ÷ 3 = 556 px; 56 letters × 0.55 em fit at 18 px.
    long = "Short-term residential or nursing care (likely long-term)"
    assert title_size(long, 3) == int(556 / (0.55 * len(long)))
    assert title_size("Reablement at home", 3) == 24
