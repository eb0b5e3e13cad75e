"""Throughput per weekday counts working days: Monday to Friday less England's bank holidays."""

from __future__ import annotations

import csv
from datetime import date

import pytest

from capacity import config
from capacity.formulas import england_bank_holidays, throughput_periods, working_days_between

REFERENCE = config.PROJECT_ROOT.parent / "shared" / "data" / "england-reference"


def month_working_days(year: int, month: int) -> int:
    end = date(year + month // 12, month % 12 + 1, 1)
    return working_days_between(date(year, month, 1), end)


def test_may_2025_has_20_working_days():
    # 22 weekdays less the Early May bank holiday (Mon 5) and the Spring bank holiday (Mon 26).
    assert month_working_days(2025, 5) == 20


def test_december_2025_has_21_working_days():
    # 23 weekdays (Mon 1 to Wed 31) less Christmas Day (Thu 25) and Boxing Day (Fri 26).
    assert month_working_days(2025, 12) == 21


def test_substitute_days_are_not_working_days():
    # December 2027: Christmas and Boxing Day fall on Saturday and Sunday, so Monday 27 and
    # Tuesday 28 are the bank holidays; 23 weekdays (Wed 1 to Fri 31) less those two = 21.
    assert date(2027, 12, 27) in england_bank_holidays(2027)
    assert date(2027, 12, 28) in england_bank_holidays(2027)
    assert month_working_days(2027, 12) == 21
    # The weekend-dated days themselves are not listed: they were never working days.
    assert date(2027, 12, 25) not in england_bank_holidays(2027)


def test_a_month_with_no_bank_holiday_counts_every_weekday():
    # February 2026: Sun 1 to Sat 28, four whole weeks, 20 weekdays.
    assert month_working_days(2026, 2) == 20


def test_part_months_and_spans_across_a_year_end():
    # Mon 22 to Fri 26 December 2025: Christmas and Boxing Day off, 3 working days.
    assert working_days_between(date(2025, 12, 22), date(2025, 12, 27)) == 3
    # Wed 31 December 2025 to Fri 2 January 2026: New Year's Day off, 31 Dec and 2 Jan remain.
    assert working_days_between(date(2025, 12, 31), date(2026, 1, 3)) == 2
    assert working_days_between(date(2025, 5, 5), date(2025, 5, 5)) == 0


def test_throughput_per_weekday_uses_working_days():
    assert throughput_periods("weekday", date(2025, 5, 1), date(2025, 6, 1)) == 20.0
    # The first half of May 2025 holds one bank holiday: 11 weekdays, 10 working days.
    assert throughput_periods("weekday", date(2025, 5, 1), date(2025, 5, 16)) == 10.0


def reference_holidays() -> list[date]:
    path = REFERENCE / "bank_holidays_england_wales.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        return [date.fromisoformat(row["date"]) for row in csv.DictReader(handle)]


@pytest.mark.skipif(
    not REFERENCE.is_dir(),
    reason=f"{REFERENCE} is absent (only the project's "
    "shared folder has the England reference data; a clone of the app has none)",
)
def test_bank_holidays_match_the_england_reference_2020_to_2030():
    expected = reference_holidays()
    got = [day for year in range(2020, 2031) for day in england_bank_holidays(year)]
    assert got == sorted(expected)
    # The one-off days are there: the Queen's funeral and the coronation.
    assert date(2022, 9, 19) in got and date(2023, 5, 8) in got
