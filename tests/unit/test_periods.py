"""Planning years run April to March and are written 2025-26."""

from datetime import date

import pytest

from capacity.periods import (
    month_label,
    parse_planning_year,
    planning_year_label,
    planning_year_months,
    planning_year_of,
    same_month_in_year,
)


def test_planning_year_runs_april_to_march():
    months = planning_year_months(2025)
    assert [m.key for m in months][:2] == ["2025-04", "2025-05"]
    assert [m.key for m in months][-3:] == ["2026-01", "2026-02", "2026-03"]
    assert len(months) == 12
    assert sum(m.days for m in months) == 365
    assert sum(m.days for m in planning_year_months(2023)) == 366  # includes Feb 2024


@pytest.mark.parametrize(
    ("day", "year"),
    [
        (date(2025, 4, 1), 2025),
        (date(2026, 3, 31), 2025),
        (date(2026, 1, 15), 2025),
        (date(2025, 3, 31), 2024),
    ],
)
def test_planning_year_of(day, year):
    assert planning_year_of(day) == year


@pytest.mark.parametrize("text", ["2025", "2025-26", "2025/26", "2025/2026", " 2025 - 26 ", 2025])
def test_parse_planning_year_accepts_common_spellings(text):
    assert parse_planning_year(text) == 2025


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("25", "look like 2025"),
        ("2025-27", "must be 26"),
        ("twenty", "look like"),
        ("1999", "between 2000 and 2100"),
        ("", "look like"),
        ("2025;DROP", "look like"),
    ],
)
def test_parse_planning_year_refuses_nonsense(text, message):
    with pytest.raises(ValueError, match=message):
        parse_planning_year(text)


def test_labels():
    assert planning_year_label(2025) == "2025-26"
    assert planning_year_label(2099) == "2099-00"
    assert month_label("2025-04") == "Apr 2025"


@pytest.mark.parametrize(
    ("key", "year", "expected"),
    [
        ("2025-11", 2026, "2026-11"),
        ("2025-04", 2026, "2026-04"),
        ("2026-03", 2026, "2027-03"),
        ("2027-01", 2025, "2026-01"),
        ("2025-12", 2025, "2025-12"),
    ],
)
def test_the_same_month_in_another_planning_year(key, year, expected):
    assert same_month_in_year(key, year) == expected
