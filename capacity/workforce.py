"""Workforce: a capacity gap in care hours a month and in full-time-equivalent staff.

For a service planned by hours (method ``hours``: caseload = commissioned hours a
month ÷ hours per package a month, capacity = caseload × days ÷ length of stay, then
× target occupancy × contract, place and source shares), "23 short" also reads in the
care hours those 23 people would need and in the staff who would give them.

**Care hours a month per new person a month.** One more new person a month, staying
``mean_los_days``, means ``mean_los_days ÷ days_in_month`` more packages running at once
(Little's law), each using ``hours_per_package_per_month`` hours; with a target
occupancy below 1 the service must hold ``1 ÷ occupancy`` packages for each one filled.
So::

    care_hours_per_person = hours_per_package_per_month × mean_los_days
                            ÷ (days_in_month × target_occupancy)

This is the hours ÷ capacity of the method (d hours ÷ d capacity, since capacity is
linear in hours): 6,000 hours at 12 hours a package, a 42-day stay and a 30-day month
give capacity 357.14… and 6,000 ÷ 357.14… = 16.8 = 12 × 42 ÷ 30. It is worked from the
package and stay rather than as the row's ``hours_per_month ÷ capacity`` because the
plan frame's ``hours_per_month`` is the place's hours before the contract and
hospital/community shares: that ratio would count a row's people 1 ÷ (contract share ×
source share) times over, would mix months whose parameters change part-way, and
would be 0 ÷ 0 where capacity is zero. Scenario levers on hours (``hours_pct``,
``absence_pct``) move hours and capacity together, so the hours a person needs do not
change; levers on the stay or occupancy change it, through the row's figures.

**Care-hours gap** = gap × care hours per person (negative: hours short, as the gap).

**FTE gap** = care-hours gap ÷ (hours per FTE a month × productive share), with
hours per FTE a month = contracted hours a week × 52.143 weeks a year ÷ 12 months.

Every figure here is unrounded; :func:`fte_words` rounds for reading only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import pandas as pd

Num = TypeVar("Num", float, np.ndarray)

WEEKS_PER_YEAR = 52.143  # 365 ÷ 7, to three decimals
MONTHS_PER_YEAR = 12
MAX_HOURS_PER_WEEK = 60.0
MAX_SOURCE_LENGTH = 500
HOURS_METHOD = "hours"

DEFAULT_HOURS_PER_WEEK = 37.5
DEFAULT_HOURS_SOURCE = (
    "37.5 hours a week: the NHS Agenda for Change full-time standard. Many councils' and "
    "providers' home-care contracts differ; set your own."
)
DEFAULT_PRODUCTIVE_SHARE = 0.75
DEFAULT_SHARE_SOURCE = (
    "75% of paid hours spent with people (the rest travel, training, supervision, leave "
    "and sickness): a planning assumption of this product, not a published figure. "
    "Replace it with your provider's rostered contact-time share."
)

WORKFORCE_COLUMNS = [
    "care_hours_per_person",
    "care_hours_gap",
    "fte_gap",
    "hours_per_week",
    "productive_share",
    "hours_per_fte_month",
    "workforce_source",
    "workforce_note",
]
NO_DEMAND = "no workforce figure: no demand figure this month"
MIXED_PARAMETERS = (
    "no workforce figure: the places summed here use different hours per package, "
    "stays or occupancy"
)


class WorkforceError(ValueError):
    """A workforce assumption the product cannot use, with the reason."""


def hours_per_fte_month(hours_per_week: Num) -> Num:
    """Paid hours of one full-time equivalent a month: ``hours_per_week × 52.143 ÷ 12``.

    37.5 hours a week gives 37.5 × 52.143 ÷ 12 = 162.946875 hours a month.
    """
    return hours_per_week * WEEKS_PER_YEAR / MONTHS_PER_YEAR


def care_hours_per_person(
    hours_per_package_per_month: Num,
    mean_los_days: Num,
    days_in_month: Num,
    target_occupancy: Num | None = None,
) -> Num:
    """Care hours a month that one more new person a month needs (see the module's text).

    ``hours_per_package_per_month × mean_los_days ÷ (days_in_month × target_occupancy)``;
    a missing occupancy counts as 1. 12 hours a package, a 42-day stay, a 30-day
    month: 16.8 hours.
    """
    stated = np.asarray(1.0 if target_occupancy is None else target_occupancy, float)
    occupancy = np.where(np.isnan(stated), 1.0, stated)
    result = (
        np.asarray(hours_per_package_per_month, float)
        * np.asarray(mean_los_days, float)
        / (np.asarray(days_in_month, float) * occupancy)
    )
    return float(result) if np.ndim(result) == 0 else result  # type: ignore[return-value]


def care_hours_gap(gap: Num, hours_per_person: Num) -> Num:
    """The gap in care hours a month: ``gap × care hours per person`` (negative: short)."""
    return gap * hours_per_person


def fte_gap(care_hours: Num, hours_per_week: Num, productive_share: Num) -> Num:
    """The gap in full-time-equivalent staff: care hours ÷ (hours per FTE a month × share).

    386.4 hours short at 37.5 hours a week and a 0.75 share: 386.4 ÷ (162.946875 × 0.75)
    = 3.16 FTE short.
    """
    return care_hours / (hours_per_fte_month(hours_per_week) * productive_share)


def check(hours_per_week: object, productive_share: object, source_note: object) -> None:
    """Refuse hours a week ≤ 0 or over 60, a share ≤ 0 or over 1, or an empty source note."""
    if not _number(hours_per_week) or not 0 < float(hours_per_week) <= MAX_HOURS_PER_WEEK:  # type: ignore[arg-type]
        raise WorkforceError(
            f"hours a week must be more than 0 and at most {MAX_HOURS_PER_WEEK:g} "
            f"(got {hours_per_week!r})"
        )
    if not _number(productive_share) or not 0 < float(productive_share) <= 1:  # type: ignore[arg-type]
        raise WorkforceError(
            "the productive share must be more than 0 and at most 1, such as 0.75 "
            f"(got {productive_share!r})"
        )
    if not isinstance(source_note, str) or not source_note.strip():
        raise WorkforceError("say where the figures come from: the source note is empty")
    if len(source_note) > MAX_SOURCE_LENGTH:
        raise WorkforceError(
            f"the source note is {len(source_note)} characters; keep it to {MAX_SOURCE_LENGTH}"
        )


def _number(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


@dataclass(frozen=True)
class Assumption:
    """Hours a week of a full-time post and the share of paid hours spent with people.

    ``place_code`` None is England-wide; ``saved_by``/``saved_at`` say who set it
    (blank for the product's own defaults).
    """

    hours_per_week: float
    productive_share: float
    source_note: str
    place_code: str | None = None
    saved_by: str = ""
    saved_at: str = ""

    def __post_init__(self) -> None:
        check(self.hours_per_week, self.productive_share, self.source_note)

    @property
    def hours_per_fte_month(self) -> float:
        """Paid hours of one FTE a month."""
        return hours_per_fte_month(self.hours_per_week)

    @property
    def label(self) -> str:
        """'37.5 h a week (162.9 h a month) × 75% with people'."""
        return (
            f"{self.hours_per_week:g} h a week ({self.hours_per_fte_month:,.1f} h a month) "
            f"× {self.productive_share:.0%} with people"
        )


DEFAULT = Assumption(
    DEFAULT_HOURS_PER_WEEK,
    DEFAULT_PRODUCTIVE_SHARE,
    f"{DEFAULT_HOURS_SOURCE} {DEFAULT_SHARE_SOURCE}",
)


@dataclass(frozen=True)
class Assumptions:
    """The England-wide assumption and each place's own, where a place has set one."""

    england: Assumption = DEFAULT
    by_place: Mapping[str, Assumption] = field(default_factory=dict)

    def for_place(self, place_code: str | None) -> Assumption:
        """A place's own assumption, else the England-wide one."""
        if place_code is None:
            return self.england
        return self.by_place.get(place_code, self.england)


def workforce_frame(plan: pd.DataFrame, assumptions: Assumptions | None = None) -> pd.DataFrame:
    """For each plan row (same index), the workforce figures of :data:`WORKFORCE_COLUMNS`.

    Rows planned by hours get care hours per person, the care-hours and FTE gaps, the
    assumption used and its source; a row with no figure says why in
    ``workforce_note``. Rows planned otherwise are left empty. A row of a system uses
    the system's own assumption if it has one, else England's.
    """
    assumptions = assumptions or Assumptions()
    hours = (plan["method"] == HOURS_METHOD).to_numpy(bool)
    per_person = np.where(
        hours,
        care_hours_per_person(
            plan["hours_per_package_per_month"].to_numpy(float),
            plan["mean_los_days"].to_numpy(float),
            plan["days_in_month"].to_numpy(float),
            plan["target_occupancy"].to_numpy(float),
        ),
        np.nan,
    )
    used = [
        assumptions.for_place(code) if h else None
        for code, h in zip(plan["place_code"], hours, strict=True)
    ]
    per_week = np.array([a.hours_per_week if a else np.nan for a in used], float)
    share = np.array([a.productive_share if a else np.nan for a in used], float)
    hours_gap = care_hours_gap(plan["gap"].to_numpy(float), per_person)
    notes = np.where(
        ~hours,
        "",
        np.where(
            np.isnan(per_person), MIXED_PARAMETERS, np.where(np.isnan(hours_gap), NO_DEMAND, "")
        ),
    )
    return pd.DataFrame(
        {
            "care_hours_per_person": per_person,
            "care_hours_gap": hours_gap,
            "fte_gap": fte_gap(hours_gap, per_week, share),
            "hours_per_week": per_week,
            "productive_share": share,
            "hours_per_fte_month": hours_per_fte_month(per_week),
            "workforce_source": [a.source_note if a else "" for a in used],
            "workforce_note": notes,
        },
        index=plan.index,
    )


def fte_words(fte: float) -> str:
    """An FTE gap for reading: "about 3.2 care workers' FTE" (short or spare alike).

    One decimal under 10, whole numbers from 10 (a tenth of a post still matters on a
    small team; on a large one it is noise); under 0.05, "less than 0.1". Empty for
    a missing figure.
    """
    if fte != fte:
        return ""
    size = abs(fte)
    if size < 0.05:
        return "less than 0.1 care workers' FTE"
    shown = f"{size:.1f}" if size < 9.95 else f"{size:,.0f}"
    return f"about {shown} care workers' FTE"


def hours_words(hours: float) -> str:
    """A care-hours gap for reading: "about 386 care hours a month" (whole hours)."""
    if hours != hours:
        return ""
    return f"about {abs(hours):,.0f} care hours a month"
