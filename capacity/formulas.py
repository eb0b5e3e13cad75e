"""Capacity arithmetic (DOMAIN.md §5): small pure functions, units in their names.

Capacity for a service in a month is the number of **new people it can take
on** in that month. Gap = capacity − demand, so a negative gap is a shortfall.

Every function accepts plain numbers and returns a float, and also accepts
numpy arrays and returns an array, so the plan applies the very same
definitions to whole columns at once. Invalid inputs raise
:class:`InvalidInput` (a ``ValueError``) naming the field; when the input was
an array it also gives the position of the first bad value, which the plan
turns into the name of the service.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from functools import lru_cache
from typing import TypeVar

import holidays
import numpy as np

Num = TypeVar("Num", float, np.ndarray)

THROUGHPUT_UNITS = ("month", "week", "weekday")


class InvalidInput(ValueError):
    """A formula input outside its allowed range.

    ``field`` names the input, ``value`` is the offending value, ``index`` the
    position of the first bad element when an array was given, and ``service``
    the service it belongs to when the plan knows it.
    """

    def __init__(
        self,
        field: str,
        value: object,
        rule: str,
        index: int | None = None,
        service: str | None = None,
    ):
        self.field = field
        self.value = value
        self.rule = rule
        self.index = index
        self.service = service
        where = f"{service}: " if service else ""
        super().__init__(f"{where}{field} must be {rule} (got {value!r})")

    def for_service(self, service: str) -> InvalidInput:
        """The same error, naming the service it came from."""
        return InvalidInput(self.field, self.value, self.rule, self.index, service)


def _require(field: str, value: float | np.ndarray, ok: np.ndarray | bool, rule: str) -> None:
    """Raise InvalidInput for the first element where ``ok`` is false (NaN is never ok)."""
    ok_array = np.asarray(ok, dtype=bool)
    if ok_array.all():
        return
    values = np.asarray(value, dtype=float)
    if values.ndim == 0:
        raise InvalidInput(field, float(values), rule)
    index = int(np.flatnonzero(~ok_array.ravel())[0])
    raise InvalidInput(field, float(values.ravel()[index]), rule, index=index)


def _out(result: np.ndarray) -> float | np.ndarray:
    return float(result) if np.ndim(result) == 0 else result


def check_non_negative(field: str, value: Num) -> Num:
    """Return ``value`` if it is a number ≥ 0, else raise naming ``field``."""
    arr = np.asarray(value, dtype=float)
    _require(field, arr, arr >= 0, "a number of at least 0")
    return value


def check_positive(field: str, value: Num) -> Num:
    """Return ``value`` if it is a number > 0, else raise naming ``field``."""
    arr = np.asarray(value, dtype=float)
    _require(field, arr, arr > 0, "a number greater than 0")
    return value


def check_share(field: str, value: Num) -> Num:
    """Return ``value`` if it is a share between 0 and 1 inclusive, else raise."""
    arr = np.asarray(value, dtype=float)
    _require(field, arr, (arr >= 0) & (arr <= 1), "a share between 0 and 1")
    return value


def days_in_month(year: int, month: int) -> int:
    """Calendar days in the month: 28, 29 (February of a leap year), 30 or 31."""
    return calendar.monthrange(year, month)[1]


def capacity_from_caseload(
    caseload: Num, days_in_month: Num, mean_los_days: Num
) -> float | np.ndarray:
    """New people a month from a caseload: ``caseload × days_in_month ÷ mean_los_days``.

    ``caseload`` is how many people the service supports at once (beds, places,
    packages); ``days_in_month`` the calendar days counted (a whole month, or
    the part of it a parameter is in force); ``mean_los_days`` the mean length
    of stay in days. Example: 20 D2A beds, a 42-day stay, a 31-day month gives
    20 × 31 ÷ 42 = 14.76 new admissions.
    """
    check_non_negative("caseload", caseload)
    check_non_negative("days_in_month", days_in_month)
    check_positive("mean_los_days", mean_los_days)
    return _out(
        np.asarray(caseload, dtype=float)
        * np.asarray(days_in_month, dtype=float)
        / np.asarray(mean_los_days, dtype=float)
    )


def caseload_from_hours(
    hours_per_month: Num, hours_per_package_per_month: Num
) -> float | np.ndarray:
    """Caseload from commissioned hours: ``hours_per_month ÷ hours_per_package_per_month``.

    The result is the number of packages the service can run at once; feed it
    to :func:`capacity_from_caseload`. Example: 2,400 hours a month at 48 hours
    per package gives a caseload of 50.
    """
    check_non_negative("hours_per_month", hours_per_month)
    check_positive("hours_per_package_per_month", hours_per_package_per_month)
    return _out(
        np.asarray(hours_per_month, dtype=float)
        / np.asarray(hours_per_package_per_month, dtype=float)
    )


@lru_cache(maxsize=64)
def england_bank_holidays(year: int) -> tuple[date, ...]:
    """England's bank holidays in ``year`` that fall Monday to Friday, in date order.

    From the maintained ``holidays`` package (``UnitedKingdom``, subdivision
    ``ENG``), so substitute days (Christmas on a Saturday is observed on the
    Monday) and one-off days such as a coronation are included; a holiday dated
    on a weekend is left out, since the weekend is not a working day anyway.
    """
    calendar_days = holidays.UnitedKingdom(subdiv="ENG", years=year)
    return tuple(sorted(day for day in calendar_days if day.weekday() < 5))


def working_days_between(start: date, end_exclusive: date) -> int:
    """Working days in ``[start, end_exclusive)``: Monday to Friday less England's bank holidays.

    May 2025 has 22 weekdays and two bank holidays (5 and 26 May), so 20
    working days.
    """
    if end_exclusive <= start:
        return 0
    years = range(start.year, end_exclusive.year + 1)
    off = [day for year in years for day in england_bank_holidays(year)]
    return int(np.busday_count(start, end_exclusive, holidays=off))


def throughput_periods(unit: str, start: date, end_exclusive: date) -> float:
    """How many throughput units fall in ``[start, end_exclusive)`` within one month.

    ``month``: the fraction of the month covered (1 for a whole month);
    ``week``: days ÷ 7; ``weekday``: the number of working days (Monday to
    Friday less England's bank holidays).
    """
    if unit not in THROUGHPUT_UNITS:
        raise InvalidInput("throughput_unit", unit, "one of " + ", ".join(THROUGHPUT_UNITS))
    days = (end_exclusive - start).days
    if days < 0:
        raise InvalidInput("end date", end_exclusive, f"on or after {start}")
    if unit == "month":
        return days / days_in_month(start.year, start.month)
    if unit == "week":
        return days / 7
    return float(working_days_between(start, end_exclusive))


def capacity_from_throughput(amount: Num, unit: str, year: int, month: int) -> float | np.ndarray:
    """New people in a month from a stated throughput.

    ``amount`` is what the service says it can take per ``unit``: ``month``
    (taken as is), ``week`` (× days_in_month ÷ 7) or ``weekday`` (× the
    working days of that month: Monday to Friday less England's bank holidays).
    Example: 2 a day Monday to Friday in May 2025 (20 working days: 22 weekdays
    less two bank holidays) gives 40. ``amount`` may be an array (several
    services, or several what-ifs, in the same month); ``unit``, ``year`` and
    ``month`` are single values.
    """
    check_non_negative("throughput", amount)
    first = date(year, month, 1)
    after = first + timedelta(days=days_in_month(year, month))
    return _out(np.asarray(amount, dtype=float) * throughput_periods(unit, first, after))


def capacity_from_throughput_periods(amount: Num, periods: Num) -> float | np.ndarray:
    """New people from a throughput ``amount`` per unit over ``periods`` units."""
    check_non_negative("throughput", amount)
    check_non_negative("periods", periods)
    return _out(np.asarray(amount, dtype=float) * np.asarray(periods, dtype=float))


def apply_target_occupancy(capacity: Num, target_occupancy: Num) -> float | np.ndarray:
    """Capacity × target occupancy (0 < target ≤ 1): beds are never 100% full."""
    arr = np.asarray(target_occupancy, dtype=float)
    _require("target_occupancy", arr, (arr > 0) & (arr <= 1), "a share above 0 and at most 1")
    return _out(np.asarray(capacity, dtype=float) * arr)


def share_of(capacity: Num, share: Num, field: str = "share") -> float | np.ndarray:
    """The part of ``capacity`` given by ``share`` (0–1), e.g. the hospital-discharge part."""
    check_share(field, share)
    return _out(np.asarray(capacity, dtype=float) * np.asarray(share, dtype=float))


def gap(capacity: Num, demand: Num) -> float | np.ndarray:
    """Capacity − demand: negative means a shortfall of that many people."""
    return _out(np.asarray(capacity, dtype=float) - np.asarray(demand, dtype=float))


def utilisation(demand: Num, capacity: Num) -> float | np.ndarray:
    """Demand ÷ capacity; NaN where capacity is 0 (undefined, not infinite)."""
    cap = np.asarray(capacity, dtype=float)
    dem = np.asarray(demand, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        result = np.where(cap > 0, dem / np.where(cap > 0, cap, 1.0), np.nan)
    return _out(result)


def rate_per_100k(count: Num, population: Num) -> float | np.ndarray:
    """``count`` per 100,000 people: Thurrock's 162 admissions over 23,953 people → 676.3."""
    check_non_negative("count", count)
    check_positive("population", population)
    return _out(np.asarray(count, dtype=float) / np.asarray(population, dtype=float) * 100_000)


def implied_occupancy(arrivals_per_day: Num, mean_los_days: Num) -> float | np.ndarray:
    """Little's law: mean occupancy = arrivals per day × mean length of stay."""
    check_non_negative("arrivals_per_day", arrivals_per_day)
    check_non_negative("mean_los_days", mean_los_days)
    return _out(np.asarray(arrivals_per_day, dtype=float) * np.asarray(mean_los_days, dtype=float))


def scale_by_percentage(value: Num, pct: Num) -> float | np.ndarray:
    """``value × (1 + pct ÷ 100)``: +10 raises by a tenth, −10 lowers by a tenth, 0 keeps it."""
    return _out(np.asarray(value, dtype=float) * (1 + np.asarray(pct, dtype=float) / 100))
