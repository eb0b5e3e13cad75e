"""How far to trust the projection: last complete year projected from the years before it.

For some places (a place, or a system's places) the last planning year that
every place's data cover in full is projected from the history before it,
with the same settings (window and growth per service type) as the plan, and
set against what happened, per service type and month:

- **MAPE**, the mean absolute percentage error |projected − actual| ÷ actual,
  over the months with referrals; a month with none has no percentage and is
  left out (and counted), since any forecast of it would be "infinitely" wrong;
- **bias**, the mean of projected − actual (positive: the projection ran high);
- how many months fell inside the 80% prediction interval (of those with one).

A month in which the service type has no data at all is missing, not zero,
and is not compared.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from capacity.demand import project_demand
from capacity.demand_settings import DemandSetting
from capacity.interval import bounds
from capacity.periods import planning_year_label, planning_year_months

TABLE_COLUMNS = [
    "service_type",
    "months_compared",
    "months_zero_actual",
    "mape",
    "bias",
    "months_in_interval",
    "months_with_interval",
    "projected",
    "actual",
]
MONTH_COLUMNS = ["service_type", "month", "projected", "low", "high", "actual", "inside"]


@dataclass(frozen=True)
class BackTest:
    """The year tested, a row per service type, and the months behind them."""

    year: int | None
    table: pd.DataFrame
    months: pd.DataFrame

    @property
    def year_label(self) -> str:
        """'2024-25', or '' when there was no year to test."""
        return planning_year_label(self.year) if self.year is not None else ""


def last_complete_year(cover: pd.DataFrame) -> int | None:
    """The latest planning year whose twelve months every place's coverage holds."""
    years = []
    for row in cover.itertuples():
        last = row.last_month.year - 1 - (row.last_month.month < 3)
        first = row.first_month.year + (row.first_month.month > 4)
        years.append(last if last >= first else None)
    complete = [y for y in years if y is not None]
    if not years or len(complete) < len(years):
        return None
    return min(complete)


def back_test(
    history: pd.DataFrame,
    cover: pd.DataFrame,
    settings: Mapping[tuple, DemandSetting] | None = None,
    population: pd.DataFrame | None = None,
    source: str = "both",
) -> BackTest:
    """Project the last complete year from the years before it and compare (see module)."""
    empty = BackTest(None, pd.DataFrame(columns=TABLE_COLUMNS), pd.DataFrame(columns=MONTH_COLUMNS))
    year = last_complete_year(cover)
    if year is None:
        return empty
    start = pd.Timestamp(year, 4, 1)
    before_cover = cover.assign(last_month=start - pd.offsets.MonthBegin(1))
    before_cover = before_cover[before_cover["last_month"] >= before_cover["first_month"]]
    if before_cover.empty:
        return empty
    before = history[history["month"] < start]
    projection, _ = project_demand(
        before, before_cover, year, settings=settings, population=population
    )
    if source != "both":
        projection = projection[projection["source"] == source]
    months = _compare(projection, _actual(history, year, source))
    return BackTest(year, _summarise(months), months)


def _actual(history: pd.DataFrame, year: int, source: str) -> pd.DataFrame:
    """Referrals per service type and month of ``year`` from ``source``: zero in a month the
    type has data from the other source only, and no row in a month it has none at all."""
    keys = [m.key for m in planning_year_months(year)]
    frame = history.assign(month=history["month"].dt.strftime("%Y-%m"))
    frame = frame[frame["month"].isin(keys)]
    present = frame[["service_type", "month"]].drop_duplicates()
    if source != "both":
        frame = frame[frame["source"] == source]
    sums = frame.groupby(["service_type", "month"], as_index=False)["referrals"].sum()
    out = present.merge(sums, on=["service_type", "month"], how="left").fillna({"referrals": 0.0})
    return out.rename(columns={"referrals": "actual"})


def _compare(projection: pd.DataFrame, actual: pd.DataFrame) -> pd.DataFrame:
    grouped = projection.groupby(["service_type", "month"])
    projected = grouped.agg(
        projected=("demand", lambda d: d.sum(min_count=1)),
        spread=("demand_spread", lambda d: d.sum(min_count=1)),
        years=("years_in_month", "min"),
    ).reset_index()
    months = projected.merge(actual, on=["service_type", "month"], how="inner")
    months = months[months["projected"].notna()]
    low, high = bounds(
        months["projected"].to_numpy(float),
        months["spread"].to_numpy(float),
        months["years"].to_numpy(int),
    )
    actual_values = months["actual"].to_numpy(float)
    inside = np.where(np.isnan(low), np.nan, (low <= actual_values) & (actual_values <= high))
    return months.assign(low=low, high=high, inside=inside)[MONTH_COLUMNS].reset_index(drop=True)


def _summarise(months: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for stype, group in months.groupby("service_type", sort=False):
        actual = group["actual"].to_numpy(float)
        projected = group["projected"].to_numpy(float)
        some = actual > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            ape = np.abs(projected[some] - actual[some]) / actual[some]
        rows.append(
            {
                "service_type": stype,
                "months_compared": len(group),
                "months_zero_actual": int((~some).sum()),
                "mape": float(ape.mean()) if some.any() else np.nan,
                "bias": float((projected - actual).mean()),
                "months_in_interval": int(np.nansum(group["inside"].to_numpy(float))),
                "months_with_interval": int(group["inside"].notna().sum()),
                "projected": float(projected.sum()),
                "actual": float(actual.sum()),
            }
        )
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def reading(test: BackTest, names: Mapping[str, str]) -> str:
    """A short reading of the back-test for a lead (names: service type → its name)."""
    table = test.table.dropna(subset=["mape"])
    if test.year is None or table.empty:
        return "No back-test: it needs a complete planning year of data and history before it."
    best = table.loc[table["mape"].idxmin()]
    worst = table.loc[table["mape"].idxmax()]
    inside = int(test.table["months_in_interval"].sum())
    within = int(test.table["months_with_interval"].sum())
    share = f"{inside} of {within} months ({inside / within:.0%})" if within else "no months"

    def name(row: pd.Series) -> str:
        return names.get(row["service_type"], row["service_type"])

    spread = (
        f"between {best['mape']:.0%} ({name(best)}) and {worst['mape']:.0%} ({name(worst)})"
        if len(table) > 1
        else f"{best['mape']:.0%} ({name(best)})"
    )
    return (
        f"Projected from the years before it, {planning_year_label(test.year)} was out by "
        f"{spread} a month on average. {share} fell inside the 80% interval; about 80% "
        "should, so many fewer means the band is too narrow to lean on."
    )
