"""Planning years and months.

A planning year YYYY runs from April YYYY to March YYYY+1 and is written
"YYYY-YY" (2025 → "2025-26"). Months travel as "YYYY-MM" strings in the plan
frame and are shown as "Apr 2025".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from capacity.formulas import days_in_month

FIRST_MONTH = 4  # April
_YEAR_TEXT = re.compile(r"^\s*(\d{4})(?:\s*[-/]\s*(\d{2}|\d{4}))?\s*$")


@dataclass(frozen=True)
class Month:
    """One calendar month."""

    year: int
    month: int

    @property
    def key(self) -> str:
        """'YYYY-MM'."""
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        """The 1st of the month."""
        return date(self.year, self.month, 1)

    @property
    def days(self) -> int:
        """Calendar days in the month."""
        return days_in_month(self.year, self.month)

    @property
    def end_exclusive(self) -> date:
        """The 1st of the next month."""
        return self.first_day + timedelta(days=self.days)

    @property
    def label(self) -> str:
        """'Apr 2025'."""
        return self.first_day.strftime("%b %Y")


def planning_year_months(year: int) -> list[Month]:
    """The twelve months of planning year ``year``: April ``year`` to March ``year + 1``."""
    return [
        Month(year + (m < FIRST_MONTH), m)
        for m in [*range(FIRST_MONTH, 13), *range(1, FIRST_MONTH)]
    ]


def planning_year_label(year: int) -> str:
    """2025 → '2025-26'."""
    return f"{year}-{(year + 1) % 100:02d}"


def planning_year_of(day: date) -> int:
    """The planning year a date falls in (1 March 2026 → 2025)."""
    return day.year if day.month >= FIRST_MONTH else day.year - 1


def parse_planning_year(text: str | int) -> int:
    """Read a planning year from '2025', '2025-26', '2025/26' or '2025/2026'.

    Raises ValueError with a readable message for anything else, including a
    second year that does not follow the first.
    """
    match = _YEAR_TEXT.match(str(text))
    if not match:
        raise ValueError(f"Planning year must look like 2025 or 2025-26 (got {text!r})")
    year = int(match.group(1))
    second = match.group(2)
    if second is not None:
        expected = year + 1
        if int(second) not in (expected, expected % 100):
            raise ValueError(
                f"Planning year {text!r}: the second year must be {expected % 100:02d}"
            )
    if not 2000 <= year <= 2100:
        raise ValueError(f"Planning year must be between 2000 and 2100 (got {year})")
    return year


def month_label(key: str) -> str:
    """'2025-04' → 'Apr 2025'."""
    year, month = (int(part) for part in key.split("-"))
    return Month(year, month).label


def same_month_in_year(key: str, year: int) -> str:
    """The same calendar month in planning year ``year``: ('2025-11', 2026) → '2026-11',
    ('2026-02', 2026) → '2027-02' (January to March fall in the year after ``year``)."""
    month = int(key.split("-")[1])
    if not 1 <= month <= 12:
        raise ValueError(f"{key!r} is not a month (use YYYY-MM)")
    return Month(year + (month < FIRST_MONTH), month).key
