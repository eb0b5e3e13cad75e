"""Data-quality summaries: stated against observed flow, coverage, gaps, missing inputs, volumes,
and the history as statistical process control (XmR) charts."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go

from capacity import spc
from capacity.backtest import BackTest, back_test
from capacity.backtest import reading as back_test_text
from capacity.demand import (
    coverage,
    monthly_history,
    months_without_data,
    population_projection,
    stored_settings,
)
from capacity.observed import compare_with_stated
from capacity.spc_charts import icon_text, xmr_chart
from capacity.summary import SOURCE_LABELS, filter_source
from capacity.views._db import Database, reading


def stated_vs_observed(db: Database, codes: tuple[str, ...]) -> pd.DataFrame:
    """Observed flow beside stated parameters for some places."""
    with reading(db) as store:
        return compare_with_stated(store, list(codes))


def referral_history(db: Database, codes: tuple[str, ...]) -> pd.DataFrame:
    """Monthly referrals for some places, with each place's data coverage."""
    with reading(db) as store:
        history = monthly_history(store, list(codes))
        return history.merge(coverage(store, list(codes)), on="place_code", how="left")


def coverage_of(history: pd.DataFrame) -> pd.DataFrame:
    """Each place's first and last complete month of data (from :func:`referral_history`)."""
    return history.drop_duplicates("place_code")[["place_code", "first_month", "last_month"]]


def data_gaps(history: pd.DataFrame) -> pd.DataFrame:
    """Months inside some places' data with no referrals and no counts (see months_without_data)."""
    return months_without_data(history, coverage_of(history).dropna())


def flagged(frame: pd.DataFrame, flag: str) -> pd.DataFrame:
    """The plan frame's rows whose flags mention ``flag``."""
    return frame[frame["flags"].str.contains(flag, na=False)]


def months_missing_parameters(frame: pd.DataFrame) -> pd.DataFrame:
    """Per place, service and source, the months (as 'Jan 2026, …') with no parameters in force."""
    rows = flagged(frame, "no parameters in force")
    grouped = rows.groupby(["place", "service", "source"])["month"].apply(
        lambda m: ", ".join(pd.Series(sorted(m)).map(lambda k: pd.Timestamp(k).strftime("%b %Y")))
    )
    return grouped.reset_index()


def volumes_by_type(history: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """Referrals by service type and month ('YYYY-MM'), with each type's name from the plan."""
    types = history.groupby(["service_type", "month"], as_index=False)["referrals"].sum()
    names = frame.drop_duplicates("service_type").set_index("service_type")["service_type_name"]
    types["service_type_name"] = types["service_type"].map(names).fillna(types["service_type"])
    types["month"] = types["month"].dt.strftime("%Y-%m")
    return types


def volumes_table(types: pd.DataFrame) -> pd.DataFrame:
    """:func:`volumes_by_type` as months down ('Jan 2026') and service types across."""
    table = types.pivot_table(
        index="month", columns="service_type_name", values="referrals", aggfunc="sum"
    ).sort_index()
    table.index = table.index.map(lambda k: pd.Timestamp(k).strftime("%b %Y"))
    return table


def source_shares(history: pd.DataFrame) -> list[tuple[str, float, float]]:
    """Each source's label, referrals and share of all referrals (empty when there are none)."""
    share = history.groupby("source")["referrals"].sum()
    total = share.sum()
    if not total:
        return []
    return [(SOURCE_LABELS.get(s, s), float(v), float(v / total)) for s, v in share.items()]


# -- SPC: the history as XmR charts ------------------------------------------------

REFERRALS = "referrals"
LOS = "los"
SPC_MEASURES = {
    REFERRALS: "Referrals a month",
    LOS: "Mean length of stay of episodes ended in the month",
}
SPC_UNITS = {REFERRALS: "referrals", LOS: "days"}
# Referrals: more is neither good nor bad. Length of stay: read against the plan, whose
# capacity assumes the stated LoS, so a shorter stay is the side that keeps the plan whole.
SPC_IMPROVEMENT: dict[str, spc.Direction] = {REFERRALS: "neutral", LOS: "decrease"}


@dataclass(frozen=True)
class SpcHistory:
    """A measure's monthly series per service type at a place or system, for one source.

    ``series`` has columns service_type, month (month-start timestamp), value and
    episodes (completed episodes behind a length of stay; NaN for referrals).
    Months with no data are absent, never zero. ``targets`` holds the stated
    length of stay per service type where one figure is in force (length of stay
    only); ``target_notes`` says why a type has none.
    """

    measure: str
    series: pd.DataFrame
    targets: dict[str, float] = field(default_factory=dict)
    target_notes: dict[str, str] = field(default_factory=dict)

    @property
    def basis(self) -> str:
        """What the series counts, in a sentence, for the note under the chart."""
        if self.measure == REFERRALS:
            return (
                "Only months inside each place's complete data count; for a system, only "
                "months in which every place with this service type has data."
            )
        return (
            "Episodes are counted in the month they ended; each place's first months are "
            "left out until its long stays (95th percentile) could have ended, since "
            "earlier only short stays can have."
        )


SERIES_COLUMNS = ["service_type", "month", "value", "episodes"]


def _within_coverage(frame: pd.DataFrame, cover: pd.DataFrame) -> pd.DataFrame:
    """Rows whose month lies between their place's first and last complete month."""
    merged = frame.merge(cover, on="place_code", how="inner")
    inside = (merged["month"] >= merged["first_month"]) & (merged["month"] <= merged["last_month"])
    return merged[inside].drop(columns=["first_month", "last_month"])


def _months_every_place_has(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows of (place, service type, month) kept only in months when every place that has that
    service type has data, so a system's sum never drops a place's month silently."""
    places = frame.groupby("service_type")["place_code"].transform("nunique")
    present = frame.groupby(["service_type", "month"])["place_code"].transform("nunique")
    return frame[present == places]


def referral_series(db: Database, codes: tuple[str, ...], source: str) -> pd.DataFrame:
    """Monthly referrals per service type at some places (summed), for one source or both.

    Records and published counts as the monthly history gives them, only inside
    each place's complete months; a month with no referral for a type is left out
    (it cannot be told from a month not loaded), and for several places a month is
    kept only when every place with that type has data in it.
    """
    with reading(db) as store:
        history = monthly_history(store, list(codes))
        cover = coverage(store, list(codes))
    rows = _within_coverage(filter_source(history, source), cover)
    keys = ["place_code", "service_type", "month"]
    per_place = rows.groupby(keys, as_index=False)["referrals"].sum()
    kept = _months_every_place_has(per_place)
    series = kept.groupby(["service_type", "month"], as_index=False)["referrals"].sum()
    series = series.rename(columns={"referrals": "value"}).assign(episodes=float("nan"))
    return series[SERIES_COLUMNS].sort_values(["service_type", "month"], ignore_index=True)


def los_series(db: Database, codes: tuple[str, ...], source: str) -> pd.DataFrame:
    """Mean length of stay (days) of episodes that ended in each month, per service type.

    By month of the end date, so every episode counted is complete and the latest
    months are not biased short by stays still open. The records begin on a day,
    so in their first months only short stays can have ended: a place's months
    start once its type's long stay (95th percentile) has passed since its first
    complete month. Over several places or sources every episode weighs the same.
    """
    with reading(db) as store:
        episodes = store.query("monthly_los", places=list(codes))
        cover = coverage(store, list(codes))
    episodes["month"] = pd.to_datetime(episodes["month"])
    rows = _within_coverage(filter_source(episodes, source), cover)
    rows = rows.merge(cover[["place_code", "first_month"]], on="place_code")
    settled = rows["first_month"] + pd.to_timedelta(rows["long_stay_days"], unit="D")
    rows = rows[rows["month"] >= settled]
    sums = rows.groupby(["service_type", "month"], as_index=False)[["episodes", "stay_days"]].sum()
    sums["value"] = sums["stay_days"] / sums["episodes"]
    return sums[SERIES_COLUMNS].sort_values(["service_type", "month"], ignore_index=True)


def stated_los(
    db: Database, codes: tuple[str, ...], on: pd.Timestamp
) -> tuple[dict[str, float], dict[str, str]]:
    """The stated mean length of stay per service type in force on a day at some places.

    A type whose services state different figures has none (its note lists them),
    since one line cannot stand for several.
    """
    with reading(db) as store:
        params = store.query("parameters_for_places", places=list(codes))
        types = store.query("services").set_index("service_id")["service_type"]
    params = params.assign(
        service_type=params["service_id"].map(types),
        valid_from=pd.to_datetime(params["valid_from"]),
        valid_to=pd.to_datetime(params["valid_to"]),
    )
    in_force = params[
        (params["valid_from"] <= on)
        & (params["valid_to"].isna() | (params["valid_to"] >= on))
        & params["mean_los_days"].notna()
    ]
    targets, notes = {}, {}
    for service_type, rows in in_force.groupby("service_type"):
        figures = sorted(set(rows["mean_los_days"].astype(float)))
        if len(figures) == 1:
            targets[service_type] = figures[0]
        else:
            notes[service_type] = (
                "its services state different lengths of stay ("
                + ", ".join(f"{x:g}" for x in figures)
                + " days)"
            )
    return targets, notes


def spc_history(db: Database, codes: tuple[str, ...], source: str, measure: str) -> SpcHistory:
    """A measure's monthly series per service type, with stated LoS targets for length of stay."""
    if measure == REFERRALS:
        return SpcHistory(measure, referral_series(db, codes, source))
    if measure != LOS:
        raise ValueError(f"measure must be one of {', '.join(SPC_MEASURES)} (got {measure!r})")
    series = los_series(db, codes, source)
    if series.empty:
        return SpcHistory(measure, series)
    targets, notes = stated_los(db, codes, series["month"].max())
    return SpcHistory(measure, series, targets, notes)


def spc_types(history: SpcHistory, order: list[str]) -> list[str]:
    """Service types with enough months for process limits, in ``order`` (the plan's)."""
    counts = history.series.groupby("service_type")["month"].count()
    enough = set(counts[counts >= spc.MIN_BASELINE * 2].index)
    return [t for t in order if t in enough] + sorted(enough - set(order))


def month_key(month: pd.Timestamp) -> str:
    """A month as the URL writes it: 'YYYY-MM'."""
    return pd.Timestamp(month).strftime("%Y-%m")


def series_of(history: SpcHistory, service_type: str) -> pd.Series:
    """One service type's values indexed by month start, in time order."""
    rows = history.series[history.series["service_type"] == service_type]
    return pd.Series(rows["value"].to_numpy(), index=pd.DatetimeIndex(rows["month"]), dtype=float)


@dataclass(frozen=True)
class SpcChoices:
    """What the baseline and rebase controls may offer for one series."""

    months: list[str]  # every month of the series, 'YYYY-MM'
    first_most: int  # the largest 'first N months'
    default_first: int
    default_until: str
    rebase_months: list[str]  # months a new segment may start at (two points each side)


def spc_choices(series: pd.Series) -> SpcChoices:
    """The controls' ranges and defaults for a series (at least four points)."""
    months = [month_key(m) for m in series.index]
    least = spc.MIN_BASELINE
    default = min(spc.ADVISED_BASELINE, len(months))
    return SpcChoices(
        months=months,
        first_most=len(months),
        default_first=default,
        default_until=months[default - 1],
        rebase_months=months[least : -least + 1] if len(months) > 2 * least - 1 else [],
    )


def check_first(text: str, choices: SpcChoices) -> int:
    """A 'first N months' from the URL: a whole number from 2 to the series' length."""
    try:
        count = int(text)
    except ValueError:
        raise ValueError("not a whole number") from None
    if not spc.MIN_BASELINE <= count <= choices.first_most:
        raise ValueError(f"use a whole number from {spc.MIN_BASELINE} to {choices.first_most}")
    return count


def check_month(text: str, allowed: list[str], what: str) -> str:
    """A month ('YYYY-MM') from the URL that must be among ``allowed``."""
    if text not in allowed:
        span = f"{month_name(allowed[0])} to {month_name(allowed[-1])}" if allowed else "none"
        raise ValueError(f"not a month this series can {what} ({span})")
    return text


def month_name(key: str) -> str:
    """'2025-04' as 'Apr 2025'."""
    return pd.Timestamp(key + "-01").strftime("%b %Y")


@dataclass(frozen=True)
class SpcChart:
    """One service type's XmR chart: the figures, the drawing, and the words beside it."""

    result: spc.XmR
    figure: go.Figure
    icons: str
    points: int
    first_month: str
    last_month: str
    missing_months: list[str]  # months between the first and last with no point ('Apr 2025')
    target_note: str | None

    @property
    def badges(self) -> list[tuple[str, str, str]]:
        """(words, kind, side) of the variation icon and, where there is one, the assurance
        icon; kind is common, improvement, concern or neither, or passes, fails or
        hit_and_miss; side is 'high' or 'low' for a special cause, else ''."""
        last = self.result.frame.iloc[-1]
        found = [(self.result.variation_icon, str(last["variation"]), str(last["side"]))]
        assurance = {spc.PASSES: "passes", spc.FAILS: "fails", spc.HIT_AND_MISS: "hit_and_miss"}
        if self.result.assurance_icon:
            found.append((self.result.assurance_icon, assurance[self.result.assurance_icon], ""))
        return found


def spc_chart(
    history: SpcHistory,
    service_type: str,
    title: str,
    *,
    first: int | None = None,
    until: str | None = None,
    rebase: str | None = None,
) -> SpcChart:
    """The XmR chart of one service type: limits fixed on the first N months or the months up
    to ``until`` (else all), and a new segment from ``rebase`` (else none)."""
    series = series_of(history, service_type)
    baseline = first if first is not None else _month(until) if until else None
    target = history.targets.get(service_type)
    result = spc.xmr(
        series,
        improvement=SPC_IMPROVEMENT[history.measure],
        target=target,
        baseline=baseline,
        rebase=(_month(rebase),) if rebase else (),
    )
    figure = xmr_chart(result, title, unit=SPC_UNITS[history.measure])
    note = history.target_notes.get(service_type)
    if history.measure == LOS and target is None and note is None:
        note = "no service of this type states a length of stay"
    every = pd.date_range(series.index[0], series.index[-1], freq="MS")
    missing = [month_name(month_key(m)) for m in every.difference(series.index)]
    return SpcChart(
        result,
        figure,
        icon_text(result),
        len(series),
        month_name(month_key(series.index[0])),
        month_name(month_key(series.index[-1])),
        missing,
        note,
    )


def _month(key: str) -> pd.Timestamp:
    return pd.Timestamp(key + "-01")


def projection_back_test(db: Database, codes: tuple[str, ...], source: str) -> BackTest:
    """The last complete year projected from the years before it, with the plan's demand
    settings, against what happened (see :mod:`capacity.backtest`)."""
    with reading(db) as store:
        history = monthly_history(store, list(codes))
        cover = coverage(store, list(codes))
        settings = stored_settings(store)
        population = population_projection(store, list(codes))
    return back_test(history, cover, settings, population, source)


def back_test_table(test: BackTest, names: dict[str, str]) -> pd.DataFrame:
    """The back-test per service type as the page shows it: MAPE as a percentage, the bias,
    and the months inside the 80% interval as 'n of m'."""
    table = test.table
    return pd.DataFrame(
        {
            "service_type": table["service_type"].map(names).fillna(table["service_type"]),
            "months_compared": table["months_compared"],
            "mape": table["mape"] * 100,
            "bias": table["bias"],
            "in_interval": [
                f"{a} of {b}" if b else "no interval (one year of data)"
                for a, b in zip(
                    table["months_in_interval"], table["months_with_interval"], strict=True
                )
            ],
            "months_zero_actual": table["months_zero_actual"],
            "projected": table["projected"],
            "actual": table["actual"],
        }
    )


def back_test_reading(test: BackTest, names: dict[str, str]) -> str:
    """A short reading of the back-test for a lead."""
    return back_test_text(test, names)
