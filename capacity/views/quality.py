"""Data-quality summaries: stated against observed flow, coverage, gaps, missing inputs, volumes."""

from __future__ import annotations

import pandas as pd

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
from capacity.summary import SOURCE_LABELS
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
    return pd.DataFrame({
        "service_type": table["service_type"].map(names).fillna(table["service_type"]),
        "months_compared": table["months_compared"],
        "mape": table["mape"] * 100,
        "bias": table["bias"],
        "in_interval": [f"{a} of {b}" if b else "no interval (one year of data)"
                        for a, b in zip(table["months_in_interval"],
                                        table["months_with_interval"], strict=True)],
        "months_zero_actual": table["months_zero_actual"],
        "projected": table["projected"],
        "actual": table["actual"],
    })


def back_test_reading(test: BackTest, names: dict[str, str]) -> str:
    """A short reading of the back-test for a lead."""
    return back_test_text(test, names)
