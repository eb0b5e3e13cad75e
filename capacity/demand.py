"""Demand: monthly history from the store, and a projection for a planning year.

Demand for a service in a month is the number of **new people referred**,
whether or not the service could take them. History is counted in DuckDB
from referral records (published monthly counts fill keys and months that
have no records). The projection for planning year Y averages each calendar
month over a window of the 1–3 planning years of history before Y, so winter
stays busier than summer, and can grow each year's figure by a rate to Y:

    demand(Y, month) = mean over window years y of count(y, month) × (1 + growth) ** (Y − y)

Only months inside a place's data coverage count; a calendar month missing
from some window years averages over the years it has.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from capacity.config import WINDOW_YEARS_ALLOWED
from capacity.periods import Month, planning_year_label, planning_year_months, planning_year_of
from capacity.store import Store

KEY = ["place_code", "service_type", "service_id", "source"]
# A month counts as complete when the data reach within this many days of its end.
COMPLETE_MONTH_SLACK_DAYS = 3


def monthly_history(store: Store, place_codes: list[str]) -> pd.DataFrame:
    """Referrals per place, service type, service, source and month, aggregated in DuckDB."""
    frame = store.query("monthly_history", places=list(place_codes))
    frame["month"] = pd.to_datetime(frame["month"])
    frame["service_id"] = (
        frame["service_id"].astype(object).where(frame["service_id"].notna(), None)
    )
    return frame


def coverage(store: Store, place_codes: list[str]) -> pd.DataFrame:
    """First and last complete month of data for each place (as month-start timestamps)."""
    spans = store.query("coverage", places=list(place_codes))
    rows = []
    for span in spans.to_dict("records"):
        first, last = complete_months(
            pd.Timestamp(span["first_day"]).date(), pd.Timestamp(span["last_day"]).date()
        )
        if first is not None:
            rows.append(
                {"place_code": span["place_code"], "first_month": first, "last_month": last}
            )
    return pd.DataFrame(rows, columns=["place_code", "first_month", "last_month"])


def complete_months(
    first_day: date, last_day: date
) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """The first and last months that the span ``first_day``..``last_day`` covers (near) fully."""
    first = pd.Timestamp(first_day.year, first_day.month, 1)
    if first_day.day > 1 + COMPLETE_MONTH_SLACK_DAYS:
        first = first + pd.offsets.MonthBegin(1)
    last = pd.Timestamp(last_day.year, last_day.month, 1)
    month_end = Month(last_day.year, last_day.month).end_exclusive - timedelta(days=1)
    if (month_end - last_day).days > COMPLETE_MONTH_SLACK_DAYS:
        last = last - pd.offsets.MonthBegin(1)
    if last < first:
        return None, None
    return first, last


GAP_COLUMNS = ["place_code", "service_type", "month", "referrals_a_month"]


def months_without_data(history: pd.DataFrame, cover: pd.DataFrame) -> pd.DataFrame:
    """Months inside the data's span that have no referral records and no published counts.

    ``history`` is :func:`monthly_history`'s frame, ``cover`` :func:`coverage`'s.
    Two kinds of gap, each reported once:

    - a place's: a month between its first and last complete month with no
      data for any service type (``service_type`` is None);
    - a service type's: a month between that type's own first and last month
      of data (within the place's span) with none for that type, in a month
      when the place has data for other types.

    ``referrals_a_month`` is the mean over the span's months that have data,
    so a reader can tell a quiet month of a small service (usually 1 or 2)
    from a month that is surely missing (usually 40). The projection counts
    such a month as zero referrals, so a real gap pulls demand down.
    """
    places = _missing_within(history, cover, ["place_code"])
    places["service_type"] = None
    types = _missing_within(history, _type_spans(history, cover), ["place_code", "service_type"])
    whole_place = pd.MultiIndex.from_frame(places[["place_code", "month"]])
    types = types[~pd.MultiIndex.from_frame(types[["place_code", "month"]]).isin(whole_place)]
    frame = pd.concat([places[GAP_COLUMNS], types[GAP_COLUMNS]], ignore_index=True)
    frame = frame.astype({"service_type": object, "referrals_a_month": float})
    frame["month"] = pd.to_datetime(frame["month"])
    return frame.sort_values(
        ["place_code", "service_type", "month"], na_position="first", ignore_index=True
    )


def _type_spans(history: pd.DataFrame, cover: pd.DataFrame) -> pd.DataFrame:
    """Each place's service types with their first and last month of data, within the place's
    complete months."""
    spans = history.groupby(["place_code", "service_type"], as_index=False)["month"].agg(
        type_first="min", type_last="max"
    )
    spans = spans.merge(cover, on="place_code", how="inner")
    spans["first_month"] = spans[["type_first", "first_month"]].max(axis=1)
    spans["last_month"] = spans[["type_last", "last_month"]].min(axis=1)
    return spans[spans["first_month"] <= spans["last_month"]]


def _missing_within(history: pd.DataFrame, spans: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """For each row of ``spans`` (``keys``, first_month, last_month): the months of the span
    with no row in ``history``, and the mean referrals over the months that have one."""
    monthly = history.groupby([*keys, "month"], as_index=False)["referrals"].sum()
    by_key = {key: group.set_index("month")["referrals"] for key, group in monthly.groupby(keys)}
    rows = []
    for span in spans.to_dict("records"):
        key = tuple(span[k] for k in keys)
        wanted = pd.date_range(span["first_month"], span["last_month"], freq="MS")
        have = by_key.get(key, pd.Series(dtype=float))
        have = have[have.index.isin(wanted)]
        mean = float(have.mean()) if len(have) else 0.0
        rows += [dict(zip(keys, key, strict=True)) | {"month": month, "referrals_a_month": mean}
                 for month in wanted.difference(have.index)]
    return pd.DataFrame(rows, columns=[*keys, "month", "referrals_a_month"])


@dataclass(frozen=True)
class Window:
    """The planning years of history a place's projection averages."""

    place_code: str
    years: tuple[int, ...]
    requested: int

    @property
    def label(self) -> str:
        """'Apr 2022 – Mar 2025 (3 years)', or a note that there is no history."""
        if not self.years:
            return "no history before this planning year"
        first = planning_year_months(min(self.years))[0].label
        last = planning_year_months(max(self.years))[-1].label
        n = len(self.years)
        return f"{first} – {last} ({n} year{'s' if n != 1 else ''})"

    @property
    def short(self) -> bool:
        """True when fewer years were available than asked for."""
        return len(self.years) < self.requested


def choose_window(
    first_month: pd.Timestamp,
    last_month: pd.Timestamp,
    year: int,
    window_years: int,
    place_code: str = "",
) -> Window:
    """The latest ``window_years`` planning years before ``year`` that the coverage touches."""
    if window_years not in WINDOW_YEARS_ALLOWED:
        raise ValueError(f"window_years must be one of {WINDOW_YEARS_ALLOWED} (got {window_years})")
    first_year = planning_year_of(first_month.date())
    last_year = min(planning_year_of(last_month.date()), year - 1)
    years = tuple(range(max(first_year, last_year - window_years + 1), last_year + 1))
    return Window(place_code, years, window_years)


def check_growth(growth: float) -> float:
    """Growth per year must be a number above −100% and at most +100%."""
    if not (isinstance(growth, int | float) and np.isfinite(growth) and -1 < growth <= 1):
        raise ValueError(f"growth must be a yearly rate above -1 and at most 1 (got {growth!r})")
    return float(growth)


def project_demand(
    history: pd.DataFrame,
    cover: pd.DataFrame,
    year: int,
    window_years: int = 3,
    growth: float = 0.0,
) -> tuple[pd.DataFrame, dict[str, Window]]:
    """Monthly demand for planning year ``year`` per place, service type, service and source.

    Returns the projection (``demand`` is NaN for a calendar month with no
    covered history) and the window used for each place.
    """
    check_growth(growth)
    months = planning_year_months(year)
    windows = {
        row.place_code: choose_window(
            row.first_month, row.last_month, year, window_years, row.place_code
        )
        for row in cover.itertuples()
    }
    years_per_month = _covered_years(cover, windows)
    in_window = _window_history(history, cover, windows)
    # Group on "" rather than a missing service id: pandas keys do not survive None.
    in_window["service_id"] = in_window["service_id"].fillna("").astype(object)
    in_window["weighted"] = in_window["referrals"] * (1 + growth) ** (year - in_window["py"])
    sums = (
        in_window.groupby([*KEY, "cal_month"], dropna=False)["weighted"]
        .sum()
        .rename("total")
        .reset_index()
    )
    keys = in_window[KEY].drop_duplicates()
    grid = keys.merge(
        pd.DataFrame({"cal_month": [m.month for m in months], "month": [m.key for m in months]}),
        how="cross",
    )
    grid = grid.merge(sums, on=[*KEY, "cal_month"], how="left")
    grid = grid.merge(years_per_month, on=["place_code", "cal_month"], how="left")
    grid["years_in_month"] = grid["years_in_month"].fillna(0).astype(int)
    grid["demand"] = np.where(
        grid["years_in_month"] > 0,
        grid["total"].fillna(0) / grid["years_in_month"].clip(lower=1),
        np.nan,
    )
    grid["service_id"] = grid["service_id"].replace("", None)
    return grid[[*KEY, "month", "demand", "years_in_month"]], windows


def _window_history(
    history: pd.DataFrame, cover: pd.DataFrame, windows: dict[str, Window]
) -> pd.DataFrame:
    frame = history.merge(cover, on="place_code", how="inner")
    frame = frame[
        (frame["month"] >= frame["first_month"]) & (frame["month"] <= frame["last_month"])
    ]
    frame = frame.assign(
        py=np.where(
            frame["month"].dt.month >= 4, frame["month"].dt.year, frame["month"].dt.year - 1
        ),
        cal_month=frame["month"].dt.month,
    )
    keep = np.array(
        [
            py in windows[place].years
            for place, py in zip(frame["place_code"], frame["py"], strict=True)
        ],
        dtype=bool,
    )
    # A boolean array, not a list: an empty list would select no columns at all.
    return frame[keep].copy()


def _covered_years(cover: pd.DataFrame, windows: dict[str, Window]) -> pd.DataFrame:
    rows = []
    for row in cover.itertuples():
        for cal_month in range(1, 13):
            count = 0
            for py in windows[row.place_code].years:
                when = pd.Timestamp(py + (cal_month < 4), cal_month, 1)
                count += row.first_month <= when <= row.last_month
            rows.append(
                {"place_code": row.place_code, "cal_month": cal_month, "years_in_month": count}
            )
    return pd.DataFrame(rows, columns=["place_code", "cal_month", "years_in_month"])


def covered_months(cover: pd.DataFrame, windows: dict[str, Window],
                   year: int) -> dict[tuple[str, str], int]:
    """For each place and month of planning year ``year``: how many window years cover it.

    Zero means no history stands behind that month, so its demand is unknown
    rather than zero.
    """
    per_calendar = _covered_years(cover, windows)
    lookup = {(r.place_code, r.cal_month): r.years_in_month for r in per_calendar.itertuples()}
    return {(place, m.key): lookup.get((place, m.month), 0)
            for place in windows for m in planning_year_months(year)}


def observed_hospital_share(
    history: pd.DataFrame, cover: pd.DataFrame, windows: dict[str, Window]
) -> pd.DataFrame:
    """Share of referrals from hospital discharge per place and service type, over each window."""
    in_window = _window_history(history, cover, windows)
    totals = in_window.pivot_table(
        index=["place_code", "service_type"],
        columns="source",
        values="referrals",
        aggfunc="sum",
        fill_value=0.0,
    )
    for source in ("hospital", "community"):
        if source not in totals.columns:
            totals[source] = 0.0
    total = totals["hospital"] + totals["community"]
    share = (totals["hospital"] / total.where(total > 0)).rename("observed_hospital_share")
    return share.reset_index().dropna(subset=["observed_hospital_share"])


def window_labels(windows: dict[str, Window]) -> dict[str, str]:
    """Each place's window as text, for the plan's provenance columns."""
    return {place: window.label for place, window in windows.items()}


def describe_projection(year: int, window_years: int, growth: float) -> str:
    """One line saying how demand was projected."""
    growth_text = f", growing {growth:+.1%} a year" if growth else ""
    return (
        f"Mean of each calendar month over the {window_years} planning year(s) of history "
        f"before {planning_year_label(year)}{growth_text}"
    )
