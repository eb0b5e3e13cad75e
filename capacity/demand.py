"""Demand: monthly history from the store, and a projection for a planning year.

Demand for a service in a month is the number of **new people referred**,
whether or not the service could take them. History is counted in DuckDB
from referral records (published monthly counts fill keys and months that
have no records). The projection for planning year Y averages each calendar
month over a window of the 1–3 planning years of history before Y, so winter
stays busier than summer, each year's count first grown to Y by the growth
method set for that place and service type (:mod:`capacity.demand_settings`):

    demand(Y, month) = mean over window years y with data of count(y, month) × ratio(Y, y)

A calendar month counts in a year only where that place and service type has
data for it (inside the place's data coverage; the months the Data quality
page lists as missing are exactly the ones left out): a month with none
is missing, not zero, and ``years_in_month`` says how many years each month
rests on. Their year-to-year spread gives the prediction interval
(:mod:`capacity.interval`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from capacity.config import WINDOW_YEARS_ALLOWED
from capacity.demand_settings import (
    ONS_BANDS,
    DemandSetting,
    check_growth,
    flat_ratio,
    population_ratio,
    read_settings,
    setting_for,
    trend_ratios,
)
from capacity.interval import prediction_spread
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


def stored_settings(store: Store) -> dict[tuple, DemandSetting]:
    """The demand settings saved in the store, checked (see :mod:`capacity.demand_settings`)."""
    return read_settings(store.query("demand_settings"))


def population_projection(store: Store, place_codes: list[str]) -> pd.DataFrame:
    """The ONS 2018-based projections of people aged 65+ and 85+ for some places."""
    return store.query("population_projection", places=list(place_codes))


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
    from a month that is surely missing (usually 40). The projection leaves
    such a month out of that calendar month's mean (it is missing, not zero).
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
        rows += [
            dict(zip(keys, key, strict=True)) | {"month": month, "referrals_a_month": mean}
            for month in wanted.difference(have.index)
        ]
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


def project_demand(
    history: pd.DataFrame,
    cover: pd.DataFrame,
    year: int,
    window_years: int = 3,
    growth: float = 0.0,
    *,
    settings: Mapping[tuple, DemandSetting] | None = None,
    population: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, dict[str, Window]]:
    """Monthly demand for planning year ``year`` per place, service type, service and source.

    ``settings`` (from :func:`capacity.demand_settings.read_settings`) choose
    each place and service type's window and growth; without them every type
    uses ``window_years`` and a flat ``growth``. A calendar month's mean uses
    only the window years in which that place and service type has data for
    that month (a month with none is missing, not zero). Returns the
    projection and each place's window (its setting for every service type).
    The projection's columns: the key, ``month``, ``demand`` (NaN with no
    year behind it), ``years_in_month`` (the years it rests on),
    ``demand_spread`` (see :mod:`capacity.interval`; NaN for one year),
    ``data_window`` and ``demand_basis`` (the window and growth, as text).
    """
    if settings is None:
        settings = {(None, None): DemandSetting(window_years, "flat", check_growth(growth))}
    windows = {
        row.place_code: choose_window(
            row.first_month,
            row.last_month,
            year,
            setting_for(settings, row.place_code, None).window_years,
            row.place_code,
        )
        for row in cover.itertuples()
    }
    frame = _in_coverage(history, cover)
    plans = _type_plans(frame, cover, year, settings, population)
    values = _yearly_values(frame, plans)
    return _projection(values, plans, year), windows


@dataclass(frozen=True)
class TypePlan:
    """How one place's service type is projected: its window, growth ratios and their text."""

    window: Window
    ratios: dict[int, float]
    basis: str


def _in_coverage(history: pd.DataFrame, cover: pd.DataFrame) -> pd.DataFrame:
    frame = history.merge(cover, on="place_code", how="inner")
    frame = frame[
        (frame["month"] >= frame["first_month"]) & (frame["month"] <= frame["last_month"])
    ]
    return frame.assign(
        py=np.where(
            frame["month"].dt.month >= 4, frame["month"].dt.year, frame["month"].dt.year - 1
        ),
        cal_month=frame["month"].dt.month,
    )


def _type_plans(
    frame: pd.DataFrame,
    cover: pd.DataFrame,
    year: int,
    settings: Mapping[tuple, DemandSetting],
    population: pd.DataFrame | None,
) -> dict[tuple[str, str], TypePlan]:
    # Plain dictionaries: a lookup per key in a pandas index costs more than the window itself.
    firsts = dict(zip(cover["place_code"].tolist(), cover["first_month"].tolist(), strict=True))
    lasts = dict(zip(cover["place_code"].tolist(), cover["last_month"].tolist(), strict=True))
    plans = {}
    for (place, stype), rows in frame.groupby(["place_code", "service_type"]):
        setting = setting_for(settings, place, stype)
        window = choose_window(firsts[place], lasts[place], year, setting.window_years, place)
        ratios, note = _ratios(setting, rows, window, year, population, place)
        basis = f"mean of {window.label}; growth: {setting.label}" + (f" ({note})" if note else "")
        plans[(place, stype)] = TypePlan(window, ratios, basis)
    return plans


def _ratios(
    setting: DemandSetting,
    rows: pd.DataFrame,
    window: Window,
    year: int,
    population: pd.DataFrame | None,
    place: str,
) -> tuple[dict[int, float], str]:
    """Each window year's growth ratio to ``year``, and a note on them."""
    years = list(window.years)
    method = setting.growth_method
    if method == "flat":
        return {y: flat_ratio(setting.growth_rate, year, y) for y in years}, ""
    if method in ONS_BANDS:
        if population is None:
            population = pd.DataFrame(columns=["code", "year", "age_band", "population", "measure"])
        ratios = {y: population_ratio(population, place, ONS_BANDS[method], year, y) for y in years}
        text = ", ".join(f"×{r:.3f} from {y}" for y, r in ratios.items())
        return ratios, f"mid-year {year} ÷ mid-year of each window year: {text}"
    inside = rows[rows["py"].isin(years)]
    monthly = inside.groupby(["py", "month"])["referrals"].sum().groupby("py").mean()
    return trend_ratios(list(monthly.index.astype(int)), list(monthly.to_numpy(float)), year)


def _yearly_values(frame: pd.DataFrame, plans: dict[tuple[str, str], TypePlan]) -> pd.DataFrame:
    """Each key's grown count per window year and calendar month, for the years in which its
    place and service type has data that month (from either source, any service: a service's
    extract carries both sources, so hospital referrals without community ones is a quiet
    month, not a missing one); zero where only this service or source had none."""
    in_window = np.array(
        [
            py in plans[(p, t)].window.years
            for p, t, py in zip(
                frame["place_code"].tolist(),
                frame["service_type"].tolist(),
                frame["py"].tolist(),
                strict=True,
            )
        ],
        dtype=bool,
    )
    # A boolean array, not a list: an empty list would select no columns at all.
    frame = frame[in_window].copy()
    # Group on "" rather than a missing service id: pandas keys do not survive None.
    frame["service_id"] = frame["service_id"].fillna("").astype(object)
    counts = frame.groupby([*KEY, "py", "cal_month"], as_index=False)["referrals"].sum()
    present = counts[["place_code", "service_type", "py", "cal_month"]].drop_duplicates()
    keys = counts[KEY].drop_duplicates()
    grid = keys.merge(present, on=["place_code", "service_type"])
    grid = grid.merge(counts, on=[*KEY, "py", "cal_month"], how="left")
    grid["referrals"] = grid["referrals"].fillna(0.0)
    ratio = [
        plans[(p, t)].ratios[py]
        for p, t, py in zip(
            grid["place_code"].tolist(),
            grid["service_type"].tolist(),
            grid["py"].tolist(),
            strict=True,
        )
    ]
    return grid.assign(grown=grid["referrals"] * np.asarray(ratio, float))


def _projection(
    values: pd.DataFrame, plans: dict[tuple[str, str], TypePlan], year: int
) -> pd.DataFrame:
    months = planning_year_months(year)
    stats = values.groupby([*KEY, "cal_month"], as_index=False)["grown"].agg(
        demand="mean", sd="std", years_in_month="count"
    )
    grid = (
        values[KEY]
        .drop_duplicates()
        .merge(
            pd.DataFrame(
                {"cal_month": [m.month for m in months], "month": [m.key for m in months]}
            ),
            how="cross",
        )
    )
    grid = grid.merge(stats, on=[*KEY, "cal_month"], how="left")
    grid["years_in_month"] = grid["years_in_month"].fillna(0).astype(int)
    grid["demand_spread"] = prediction_spread(
        grid["sd"].to_numpy(float), grid["years_in_month"].to_numpy(int)
    )
    pairs = list(zip(grid["place_code"].tolist(), grid["service_type"].tolist(), strict=True))
    labels = {key: plan.window.label for key, plan in plans.items()}
    grid["data_window"] = [labels[k] for k in pairs]
    grid["demand_basis"] = [plans[k].basis for k in pairs]
    grid["service_id"] = grid["service_id"].replace("", None)
    return grid[
        [*KEY, "month", "demand", "years_in_month", "demand_spread", "data_window", "demand_basis"]
    ]


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


def covered_months(
    cover: pd.DataFrame, windows: dict[str, Window], year: int
) -> dict[tuple[str, str], int]:
    """For each place and month of planning year ``year``: how many window years cover it.

    Zero means no history stands behind that month, so its demand is unknown
    rather than zero.
    """
    per_calendar = _covered_years(cover, windows)
    lookup = {(r.place_code, r.cal_month): r.years_in_month for r in per_calendar.itertuples()}
    return {
        (place, m.key): lookup.get((place, m.month), 0)
        for place in windows
        for m in planning_year_months(year)
    }


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
