"""Demand assumptions per service type: the window of history and how demand grows.

A lead sets, for every service type or one of them, and for every place or
one of them, how many planning years of history to average (1–3) and one of
four growth methods:

- ``flat``: a rate a year, each window year's count grown by (1 + rate)^(Y − y);
- ``ons_65`` / ``ons_85``: the place's ONS 2018-based principal projection of
  people aged 65+ (or 85+), each window year's count scaled by P(Y) ÷ P(y),
  P(y) being the projection for mid-year y (30 June of year y falls inside
  planning year y, April y to March y + 1). Only ratios are taken from the
  projections, never levels;
- ``trend``: a least-squares line through the window years' mean monthly
  referrals (that place and service type, both sources), each year scaled by
  line(Y) ÷ line(y); it needs three years and a line above zero, else no
  growth is applied and the plan says why.

A setting may also name the demand source (:data:`DEMAND_SOURCES`): local
referral records, published monthly counts or NHS England's discharge SitRep;
blank lets the product choose (:mod:`capacity.demand_sources`).

The most specific setting wins: place and type, then type, then place, then
the one for everything; with none stored, 3 years, no growth and the source
chosen by the product (as before these settings existed).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from capacity.config import DEFAULT_WINDOW_YEARS, WINDOW_YEARS_ALLOWED

GROWTH_METHODS: Mapping[str, str] = {
    "flat": "Flat rate a year",
    "ons_65": "ONS 2018-based projection, people aged 65+",
    "ons_85": "ONS 2018-based projection, people aged 85+",
    "trend": "Fitted trend over the window",
}
ONS_BANDS = {"ons_65": "65+", "ons_85": "85+"}
DEMAND_SOURCES: Mapping[str, str] = {
    "records": "local referral records",
    "counts": "published monthly counts",
    "sitrep": "NHS England discharge SitRep",
}
PROJECTION_MEASURE = "projection_2018based_principal"
TREND_MIN_YEARS = 3
SETTING_COLUMNS = [
    "place_code",
    "service_type",
    "window_years",
    "growth_method",
    "growth_rate",
    "demand_source",
]


class SettingError(ValueError):
    """A demand setting with a value the product cannot use."""


@dataclass(frozen=True)
class DemandSetting:
    """The window and growth for one place and service type."""

    window_years: int = DEFAULT_WINDOW_YEARS
    growth_method: str = "flat"
    growth_rate: float = 0.0
    # None: the product chooses (capacity.demand_sources.choose_source)
    demand_source: str | None = None

    def __post_init__(self) -> None:
        check_setting(self.window_years, self.growth_method, self.growth_rate)
        check_source(self.demand_source)

    @property
    def label(self) -> str:
        """'flat +2.0% a year', or the method's name."""
        if self.growth_method == "flat":
            return f"flat {self.growth_rate:+.1%} a year" if self.growth_rate else "no growth"
        return GROWTH_METHODS[self.growth_method]


def check_growth(growth: object) -> float:
    """Growth per year must be a number above −100% and at most +100%.

    Takes any value, as typed or read from a file, and refuses what is not such a number.
    """
    if (
        isinstance(growth, int | float)
        and not isinstance(growth, bool)
        and np.isfinite(growth)
        and -1 < growth <= 1
    ):
        return float(growth)
    raise SettingError(f"growth must be a yearly rate above -1 and at most 1 (got {growth!r})")


def check_setting(window_years: object, growth_method: object, growth_rate: object) -> None:
    """Refuse a window outside 1–3, a method not in the list, a bad rate, or a rate on a
    method that takes none."""
    if isinstance(window_years, bool) or window_years not in WINDOW_YEARS_ALLOWED:
        raise SettingError(
            f"window_years must be one of {WINDOW_YEARS_ALLOWED} (got {window_years!r})"
        )
    if growth_method not in GROWTH_METHODS:
        raise SettingError(
            f"growth_method must be one of {', '.join(GROWTH_METHODS)} (got {growth_method!r})"
        )
    check_growth(growth_rate)
    if growth_method != "flat" and growth_rate:
        raise SettingError(f"a growth rate applies only to the flat method, not {growth_method}")


def check_source(source: object) -> None:
    """A demand source must be blank (the product chooses) or one of :data:`DEMAND_SOURCES`."""
    if source is not None and source not in DEMAND_SOURCES:
        raise SettingError(
            f"demand_source must be blank (chosen for you) or one of "
            f"{', '.join(DEMAND_SOURCES)} (got {source!r})"
        )


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


def read_settings(
    frame: pd.DataFrame, places: set[str] | None = None, service_types: set[str] | None = None
) -> dict[tuple, DemandSetting]:
    """Settings from a table (columns :data:`SETTING_COLUMNS`), each row checked.

    Keys are (place_code or None, service_type or None). Raises SettingError
    naming the row for a bad value, an unknown place or type, or a repeated key.
    """
    out: dict[tuple, DemandSetting] = {}
    for number, row in enumerate(frame.to_dict("records"), start=1):
        place = None if _blank(row.get("place_code")) else str(row["place_code"])
        stype = None if _blank(row.get("service_type")) else str(row["service_type"])
        rate = 0.0 if _blank(row.get("growth_rate")) else row["growth_rate"]
        window = row.get("window_years")
        try:
            if not _blank(window) and not isinstance(window, bool) and float(window).is_integer():
                window = int(window)
            source = row.get("demand_source")
            source = None if _blank(source) else source
            setting = DemandSetting(window, row.get("growth_method"), rate, source)
        except (SettingError, TypeError, ValueError) as exc:
            raise SettingError(f"Demand setting row {number}: {exc}") from None
        if places is not None and place is not None and place not in places:
            raise SettingError(f"Demand setting row {number}: unknown place {place!r}")
        if service_types is not None and stype is not None and stype not in service_types:
            raise SettingError(f"Demand setting row {number}: unknown service type {stype!r}")
        if (place, stype) in out:
            raise SettingError(
                f"Demand setting row {number}: a second setting for "
                f"{place or 'every place'} and {stype or 'every service type'}"
            )
        out[(place, stype)] = setting
    return out


def setting_for(
    settings: Mapping[tuple, DemandSetting], place: str | None, service_type: str | None
) -> DemandSetting:
    """The most specific setting for a place and service type (the default if none)."""
    for key in ((place, service_type), (None, service_type), (place, None), (None, None)):
        if key in settings:
            return settings[key]
    return DemandSetting()


def flat_ratio(rate: float, year: int, from_year: int) -> float:
    """(1 + rate)^(year − from_year)."""
    return (1 + rate) ** (year - from_year)


def population_ratio(
    population: pd.DataFrame, area: str, band: str, year: int, from_year: int
) -> float:
    """P(year) ÷ P(from_year) from the 2018-based principal projection of ``band`` at ``area``.

    ``population`` has columns code, year, age_band, population, measure.
    Raises SettingError when either year is missing for the area.
    """
    rows = population[
        (population["code"] == area)
        & (population["age_band"] == band)
        & (population["measure"] == PROJECTION_MEASURE)
    ]
    by_year = dict(zip(rows["year"].astype(int), rows["population"].astype(float), strict=True))
    missing = [y for y in (year, from_year) if y not in by_year]
    if missing:
        raise SettingError(
            f"No ONS 2018-based projection of people aged {band} for {area} in "
            f"{', '.join(map(str, missing))}: choose another growth method or "
            "load data/reference/population.csv"
        )
    return by_year[year] / by_year[from_year]


def fitted_line(years: list[int], values: list[float]) -> tuple[float, float]:
    """Least-squares intercept and slope of ``values`` against ``years`` (needs two years)."""
    slope, intercept = np.polyfit(np.asarray(years, float), np.asarray(values, float), 1)
    return float(intercept), float(slope)


def trend_ratios(
    years: list[int], values: list[float], target: int
) -> tuple[dict[int, float], str]:
    """line(target) ÷ line(y) for each window year, and a note; no growth when it cannot fit.

    ``values`` are each year's mean monthly referrals. With fewer than
    :data:`TREND_MIN_YEARS` years, or a line at or below zero, every ratio is 1
    and the note says why.
    """
    if len(years) < TREND_MIN_YEARS:
        return (
            {y: 1.0 for y in years},
            f"fitted trend needs {TREND_MIN_YEARS} years of history, has {len(years)}: "
            "no growth applied",
        )
    intercept, slope = fitted_line(years, values)
    ends = [intercept + slope * y for y in (*years, target)]
    if min(ends) <= 0:
        return {y: 1.0 for y in years}, "fitted trend falls to zero: no growth applied"
    at_target = intercept + slope * target
    return (
        {y: at_target / (intercept + slope * y) for y in years},
        f"fitted trend {slope:+.2f} referrals a month per year",
    )


def settings_table(settings: Mapping[tuple, DemandSetting]) -> pd.DataFrame:
    """Settings as rows to store (columns :data:`SETTING_COLUMNS`; None for "every")."""
    rows = [
        {
            "place_code": place,
            "service_type": stype,
            "window_years": s.window_years,
            "growth_method": s.growth_method,
            "growth_rate": s.growth_rate if s.growth_method == "flat" else None,
            "demand_source": s.demand_source,
        }
        for (place, stype), s in settings.items()
    ]
    frame = pd.DataFrame(rows, columns=SETTING_COLUMNS)
    return frame.astype(
        {
            "place_code": object,
            "service_type": object,
            "growth_method": object,
            "growth_rate": float,
            "demand_source": object,
        }
    )
