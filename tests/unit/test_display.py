"""Words and figures for the screen: labels that map back to columns, whole people, no -0."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from capacity import display
from capacity.reference import PARAMETERS


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (129.7, "130"),
        (129.5, "130"),
        (129.4, "129"),
        (0.4, "0"),
        (-0.3, "0"),
        (-0.5, "-1"),
        (1234.6, "1,235"),
        (None, ""),
        (float("nan"), ""),
    ],
)
def test_people_are_whole(value, shown):
    assert display.people(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (-56.4, "−56"),
        (4, "+4"),
        (3.5, "+4"),
        (-0.4, "0"),
        (0.0, "0"),
        (-0.0, "0"),
        (-1234.5, "−1,235"),
        (None, ""),
    ],
)
def test_a_gap_or_change_has_its_sign_and_never_minus_zero(value, shown):
    assert display.signed_people(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (80.0, "80.0 on average"),
        (23.76, "23.8 on average"),
        (-0.01, "0.0 on average"),
        (1234.56, "1,234.6 on average"),
    ],
)
def test_an_average_keeps_one_decimal_and_says_so(value, shown):
    assert display.average_people(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (61.0, "61"),
        (41.66, "41.7"),
        (150.0, "150"),
        (6000.0, "6,000"),
        (0.25, "0.3"),
        (None, ""),
        (float("nan"), ""),
    ],
)
def test_a_stated_figure_shows_as_typed(value, shown):
    assert display.figure(value) == shown


def test_rounding_a_table_turns_minus_zero_into_zero_and_keeps_gaps_missing():
    table = pd.DataFrame({"gap": [-0.04, -0.6, 2.5, np.nan], "name": list("abcd")})
    shown = display.rounded(table, {"gap": 0})
    values = shown["gap"].tolist()
    assert values[:3] == [0.0, -1.0, 3.0] and math.isnan(values[3])
    assert not math.copysign(1, values[0]) < 0  # +0.0, so no "-0" when formatted
    assert f"{values[0]:.1f}" == "0.0"
    assert table["gap"].iloc[0] == -0.04  # the caller's figures stay unrounded


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
def test_no_figure_is_ever_shown_as_minus_zero(value):
    minus_zero = re.compile(r"^[-−]0(\.0+)?( |$)")
    for text in (
        display.people(value),
        display.signed_people(value),
        display.average_people(value),
        display.figure(value),
    ):
        assert not minus_zero.match(text), text
    rounded = display.rounded(pd.DataFrame({"x": [value]}), {"x": 1})["x"].iloc[0]
    assert not minus_zero.match(f"{rounded:.1f}")


def test_every_column_the_editors_show_has_a_label_and_labels_map_back():
    columns = [c.name for c in PARAMETERS] + ["trust_code", "place_code", "share", "source_note"]
    labels = display.column_labels(columns)
    assert labels["mean_los_days"] == "Mean length of stay (days)"
    for column, label in labels.items():
        assert display.column_of(label) == column
    assert len(set(display.COLUMN_LABELS.values())) == len(display.COLUMN_LABELS)


def test_a_column_with_no_label_fails_loudly_rather_than_show_its_code():
    with pytest.raises(KeyError, match="no label for the column.*brand_new_column"):
        display.column_labels(["caseload", "brand_new_column"])


@pytest.mark.parametrize(
    ("count", "shown"), [(1, "1 month"), (2, "2 months"), (0, "0 months"), (12, "12 months")]
)
def test_months_are_counted_in_good_english(count, shown):
    assert display.plural(count, "month") == shown


def test_methods_and_import_kinds_read_as_words():
    assert display.method_label("equal_to_demand") == "Capacity assumed equal to demand"
    assert display.method_label(None) == ""
    assert display.import_kind("parameters") == "Service parameters"


def test_shares_become_percentages_and_gaps_people_short_without_touching_the_input():
    table = pd.DataFrame({"utilisation": [0.5, 1.25], "gap": [-3.5, 2.0], "name": ["a", "b"]})
    shown = display.as_people_short(display.as_percentages(table, ["utilisation"]), ["gap"])
    assert shown["utilisation"].tolist() == [50.0, 125.0]
    assert shown["gap"].tolist() == [3.5, -2.0]
    assert table["utilisation"].tolist() == [0.5, 1.25]  # the cached frame is not changed
