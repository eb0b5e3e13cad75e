"""Straightforward pandas versions of the steps DuckDB does, for the benchmark's ratios.

Each does the same work as the product's step on the same data, the way a
pandas-only tool would: the referral extract read with ``pandas.read_csv`` and
checked with vectorised pandas; referrals held in memory as a DataFrame and
grouped by month; the plan's inputs filtered and grouped from those frames,
then the same ``build_plan``. The benchmark checks that each gives the same
answer as the product before it times anything.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from capacity.demand import (
    complete_months,
    covered_months,
    observed_hospital_share,
    project_demand,
)
from capacity.plan import PlanInputs, build_plan, with_systems

FORMULA = r"^\s*(?:[=+@]|-[^0-9.])"
SOURCE_WORDS = {
    "hospital": "hospital",
    "hospital discharge": "hospital",
    "step-down": "hospital",
    "step down": "hospital",
    "community": "community",
    "step-up": "community",
    "step up": "community",
}
COLUMNS = [
    "referral_id",
    "place_code",
    "service_type",
    "service_id",
    "source",
    "pathway",
    "referral_date",
    "start_date",
    "end_date",
    "referring_trust",
]


@dataclass(frozen=True)
class Tables:
    """The store's small tables, held in memory as a pandas tool would hold them."""

    places: pd.DataFrame
    service_types: pd.DataFrame
    services: pd.DataFrame
    service_places: pd.DataFrame
    parameters: pd.DataFrame


def _date(text: pd.Series) -> pd.Series:
    iso = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    return iso.fillna(pd.to_datetime(text, format="%d/%m/%Y", errors="coerce"))


def _by_code_or_name(
    text: pd.Series, codes: pd.Series, names: pd.Series, lower_codes: bool = False
) -> pd.Series:
    by_code = dict(zip(codes.str.lower() if lower_codes else codes, codes, strict=True))
    by_name = dict(zip(names.str.lower(), codes, strict=True))
    key = text.str.lower() if lower_codes else text
    return key.map(by_code).fillna(text.str.lower().map(by_name))


def check_referrals(path, tables: Tables, today: pd.Timestamp) -> tuple[pd.DataFrame, int]:
    """Read a referral extract and apply the import's row checks; the good rows and the
    number of rows refused."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    cell = {c: raw[c].str.strip() if c in raw else pd.Series("", index=raw.index) for c in COLUMNS}
    places = tables.places[tables.places["kind"] != "system"]
    place = _by_code_or_name(cell["place_code"], places["place_code"], places["name"])
    types = tables.service_types
    service_type = _by_code_or_name(
        cell["service_type"], types["service_type"], types["name"], lower_codes=True
    )
    service = _by_code_or_name(
        cell["service_id"], tables.services["service_id"], tables.services["name"]
    )
    source = cell["source"].str.lower().map(SOURCE_WORDS)
    pathway = cell["pathway"].str.upper()
    dates = {c: _date(cell[c]) for c in ("referral_date", "start_date", "end_date")}
    ids = cell["referral_id"]
    served = pd.MultiIndex.from_frame(tables.service_places[["service_id", "place_code"]])
    type_of = tables.services.set_index("service_id")["service_type"]
    takes = types.set_index("service_type")
    bad = (
        (ids == "")
        | ids.str.match(FORMULA)
        | (ids.duplicated() & (ids != ""))
        | place.isna()
        | service_type.isna()
        | ((cell["service_id"] != "") & service.isna())
        | (service.notna() & service_type.notna() & (service.map(type_of) != service_type))
        | (
            service.notna()
            & place.notna()
            & ~pd.MultiIndex.from_arrays([service, place]).isin(served)
        )
        | source.isna()
        | ((source == "hospital") & ~service_type.map(takes["hospital"]).fillna(True).astype(bool))
        | (
            (source == "community")
            & ~service_type.map(takes["community"]).fillna(True).astype(bool)
        )
        | ((pathway != "") & ~pathway.isin(["P0", "P1", "P2", "P3"]))
        | dates["referral_date"].isna()
        | (dates["referral_date"] > today)
        | (dates["referral_date"] < pd.Timestamp("2000-01-01"))
        | ((cell["start_date"] != "") & dates["start_date"].isna())
        | ((cell["end_date"] != "") & dates["end_date"].isna())
        | (dates["end_date"] < dates["start_date"])
        | cell["referring_trust"].str.match(FORMULA)
    )
    good = pd.DataFrame(
        {
            "referral_id": ids,
            "place_code": place,
            "service_type": service_type,
            "service_id": service,
            "source": source,
            "pathway": pathway.where(pathway != "", None),
            **dates,
            "referring_trust": cell["referring_trust"]
            .str.upper()
            .where(cell["referring_trust"] != "", None),
        }
    )[~bad.to_numpy()]
    return good, int(bad.sum())


def monthly_history(referrals: pd.DataFrame, place_codes: list[str]) -> pd.DataFrame:
    """Referrals per place, service type, service, source and month."""
    rows = referrals[referrals["place_code"].isin(place_codes)]
    month = rows["referral_date"].to_numpy().astype("datetime64[M]").astype("datetime64[ns]")
    counts = (
        rows.assign(month=month)
        .groupby(["place_code", "service_type", "service_id", "source", "month"], dropna=False)
        .size()
        .rename("referrals")
        .reset_index()
    )
    counts["referrals"] = counts["referrals"].astype(float)
    counts["service_id"] = (
        counts["service_id"].astype(object).where(counts["service_id"].notna(), None)
    )
    return counts.assign(origin="records")


def coverage(referrals: pd.DataFrame, place_codes: list[str]) -> pd.DataFrame:
    """First and last complete month of referrals per place."""
    rows = referrals[referrals["place_code"].isin(place_codes)]
    spans = rows.groupby("place_code")["referral_date"].agg(["min", "max"])
    out = []
    for code, span in spans.iterrows():
        first, last = complete_months(span["min"].date(), span["max"].date())
        if first is not None:
            out.append({"place_code": code, "first_month": first, "last_month": last})
    return pd.DataFrame(out, columns=["place_code", "first_month", "last_month"])


def plan(
    referrals: pd.DataFrame,
    tables: Tables,
    place_codes: list[str],
    year: int,
    *,
    systems: bool = False,
) -> pd.DataFrame:
    """The plan frame for some places, its inputs computed with pandas."""
    places = tables.places
    scope = places[places["place_code"].isin(place_codes)].reset_index(drop=True)
    history = monthly_history(referrals, place_codes)
    cover = coverage(referrals, place_codes)
    projection, windows = project_demand(history, cover, year)
    links = tables.service_places
    serving = links.loc[links["place_code"].isin(place_codes), "service_id"].unique()
    params = tables.parameters
    params = params[
        params["service_id"].isin(serving)
        & (params["place_code"].isna() | params["place_code"].isin(place_codes))
    ]
    inputs = PlanInputs(
        year=year,
        places=scope,
        all_places=places,
        service_types=tables.service_types,
        services=tables.services,
        service_places=links[links["service_id"].isin(serving)].reset_index(drop=True),
        parameters=params.sort_values(["service_id", "place_code", "valid_from"]).reset_index(
            drop=True
        ),
        demand=projection,
        observed_hospital_share=observed_hospital_share(history, cover, windows),
        windows=windows,
        covered_months=covered_months(cover, windows, year),
    )
    frame = build_plan(inputs)
    return with_systems(frame, places) if systems else frame


def same_plan(ours: pd.DataFrame, theirs: pd.DataFrame) -> bool:
    """Whether two plan frames have the same rows and the same demand and capacity."""
    key = ["place_code", "service_type", "service_id", "source", "month"]
    a = ours.sort_values(key).reset_index(drop=True)
    b = theirs.sort_values(key).reset_index(drop=True)
    if len(a) != len(b) or not a[key].fillna("").equals(b[key].fillna("")):
        return False
    return all(
        np.allclose(a[c].to_numpy(float), b[c].to_numpy(float), equal_nan=True)
        for c in ("demand", "capacity", "gap")
    )
