"""Where each place's demand comes from: local records, published counts or the SitRep.

For every place and service type the plan projects demand from one source:

- ``records``: the place's own referral records;
- ``counts``: published monthly counts (the ``counts`` import);
- ``sitrep``: NHS England's discharge SitRep, each acute trust's discharges by
  destination × the place's share of that trust (:func:`capacity.sitrep.place_demand`),
  mapped to service types by the place's destination mapping. It counts
  hospital discharges only, so a type planned from it has no community demand data.

The default (:func:`choose_source`) is local records where there are **enough** —
records in every one of the 12 calendar months within the planning years of the
demand window (so every month of the plan rests on at least one year of the
place's own records) — else counts, else the SitRep, else whatever records there
are; with none of them, the plan says *no demand data* rather than zero. A lead
can name the source per place and service type (``demand_source`` in the demand
settings); a named source with no data gives no demand data, never another
source's figures.

Whatever the source, the figures go through the same projection
(:func:`capacity.demand.project_demand`: window, growth, prediction interval).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from capacity.demand import KEY, Window
from capacity.demand_settings import DEMAND_SOURCES, DemandSetting, setting_for
from capacity.periods import planning_year_months
from capacity.sitrep import place_demand
from capacity.store import Store

# A plan row whose place and service type has no source with data says this, never zero.
NO_DEMAND_DATA = "no demand data"
# Months of records (distinct calendar months within the window's years) that are enough.
ENOUGH_CALENDAR_MONTHS = 12
# The default's order of preference after "enough" local records.
FALLBACK_ORDER = ("counts", "sitrep", "records")
HISTORY_COLUMNS = [*KEY, "month", "referrals", "origin"]


@dataclass(frozen=True)
class SourceChoice:
    """The demand source of one place and service type, and why it was chosen."""

    source: str | None
    reason: str

    @property
    def label(self) -> str:
        """'local referral records', … or 'no demand data'."""
        return DEMAND_SOURCES[self.source] if self.source else NO_DEMAND_DATA


def sitrep_history(store: Store, place_codes: list[str]) -> pd.DataFrame:
    """SitRep hospital-discharge demand as history rows (no service named, source hospital).

    A place and month whose cells are all suppressed has no figure and is left out
    (missing, not zero).
    """
    frame = place_demand(store, place_codes)
    frame = frame[frame["discharges"].notna()]
    out = pd.DataFrame(
        {
            "place_code": frame["place_code"].astype(object),
            "service_type": frame["service_type"].astype(object),
            "service_id": None,
            "source": "hospital",
            "month": pd.to_datetime(frame["month"]),
            "referrals": frame["discharges"].astype(float),
            "origin": "sitrep",
        }
    )
    return out[HISTORY_COLUMNS].reset_index(drop=True)


def sitrep_coverage(history: pd.DataFrame) -> pd.DataFrame:
    """The first and last SitRep month of each place (whole months, so complete)."""
    spans = history.groupby("place_code", as_index=False)["month"].agg(
        first_month="min", last_month="max"
    )
    return spans[["place_code", "first_month", "last_month"]]


def months_with_data(
    history: pd.DataFrame, windows: Mapping[str, Window], year: int
) -> dict[tuple[str, str], int]:
    """For each place and month of planning year ``year``: how many of the place's window
    years have data that calendar month (SitReps are loaded month by month, so a month
    between two loaded ones may be missing: it is unknown, not zero)."""
    have = set(zip(history["place_code"], history["month"], strict=True))
    out = {}
    for place, window in windows.items():
        for month in planning_year_months(year):
            out[(place, month.key)] = sum(
                (place, pd.Timestamp(y + (month.month < 4), month.month, 1)) in have
                for y in window.years
            )
    return out


def enough_records(months: pd.Series | np.ndarray, year: int, window_years: int) -> bool:
    """True when ``months`` (month starts with records) cover all 12 calendar months within
    the ``window_years`` planning years before planning year ``year``."""
    values = np.asarray(months, dtype="datetime64[D]")
    first = np.datetime64(f"{year - window_years:04d}-04-01")
    last = np.datetime64(f"{year:04d}-03-01")
    inside = values[(values >= first) & (values <= last)]
    calendar = inside.astype("datetime64[M]").astype(np.int64) % 12
    return len(np.unique(calendar)) >= ENOUGH_CALENDAR_MONTHS


def choose_source(
    months_by_origin: Mapping[str, pd.Series],
    setting: DemandSetting,
    year: int,
) -> SourceChoice:
    """The source of one place and service type from the months each origin has data for.

    ``months_by_origin`` maps "records", "counts" and "sitrep" to the months with data
    (any may be missing). A source named in ``setting`` wins, data or not.
    """
    have = {o: m for o, m in months_by_origin.items() if len(m)}
    if setting.demand_source is not None:
        named = setting.demand_source
        if named in have:
            return SourceChoice(named, "chosen in the demand settings")
        return SourceChoice(
            None, f"{DEMAND_SOURCES[named]} chosen in the demand settings, but it has none here"
        )
    records = have.get("records")
    if records is not None and enough_records(records, year, setting.window_years):
        return SourceChoice("records", "records in all 12 calendar months of the demand window")
    for origin in FALLBACK_ORDER:
        if origin in have:
            why = (
                "local records cover only some calendar months of the window"
                if records is not None and origin != "records"
                else "no local records"
                if origin != "records"
                else "the only data, though they miss some calendar months of the window"
            )
            return SourceChoice(origin, why)
    return SourceChoice(None, "no referral records, monthly counts or SitRep figures")


def choose_sources(
    histories: pd.DataFrame, settings: Mapping[tuple, DemandSetting], year: int
) -> dict[tuple[str, str], SourceChoice]:
    """Each place and service type's source, from every origin's history rows.

    ``histories`` has :data:`HISTORY_COLUMNS` (``origin``: records, counts or sitrep).
    Keys with a named source but no data are included (as no demand data).
    """
    distinct = histories[["place_code", "service_type", "origin", "month"]].drop_duplicates()
    values = distinct["month"].to_numpy()
    # One grouping of the distinct months, not a grouping per place and type: England has
    # thousands of them.
    months: dict[tuple[str, str], dict[str, np.ndarray]] = {}
    groups = distinct.groupby(["place_code", "service_type", "origin"]).indices
    for (place, stype, origin), rows in sorted(groups.items()):
        months.setdefault((place, stype), {})[origin] = values[np.sort(rows)]
    out = {
        key: choose_source(by_origin, setting_for(settings, *key), year)
        for key, by_origin in months.items()
    }
    for (place, stype), setting in settings.items():
        if place is not None and stype is not None and (place, stype) not in out:
            out[(place, stype)] = choose_source({}, setting, year)
    return out


def chosen_rows(histories: pd.DataFrame, choices: Mapping[tuple[str, str], SourceChoice]):
    """The history rows of each place and service type's chosen source only."""
    chosen = [
        choices.get((p, t), SourceChoice(None, "")).source
        for p, t in zip(histories["place_code"], histories["service_type"], strict=True)
    ]
    keep = (histories["origin"] == pd.Series(chosen, index=histories.index, dtype=object)).to_numpy(
        bool
    )
    return histories[keep]
