"""Straightforward pandas versions of the steps DuckDB does, for the benchmark's ratios.

Each does the same work as the product's step on the same data, the way a
pandas-only tool would: the referral extract read with ``pandas.read_csv`` and
checked with vectorised pandas; referrals held in memory as a DataFrame and
grouped by month; the plan's inputs filtered and grouped from those frames,
then the same ``build_plan``. The benchmark checks that each gives the same
answer as the product before it times anything.

The plan follows the product's rules for a data set of referral records (the
benchmark's has no published counts or SitRep figures): demand projected from
each place and service type's chosen source under the stored demand settings; a
pooled service split by each place's share of use, counted from the referrals of
every place it serves; and the stays and occupancy observed in the referrals,
which the plan sets against the stated figures in its flags. The pure steps the
product runs on frames it has already read (choosing the source, projecting,
``build_plan``) are shared; what the product asks DuckDB for is done here in pandas.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from capacity.demand import (
    choose_window,
    complete_months,
    covered_months,
    observed_hospital_share,
    project_demand,
)
from capacity.demand_settings import DemandSetting, setting_for
from capacity.demand_sources import choose_sources, chosen_rows
from capacity.observed import OBSERVED_COLUMNS, plan_windows
from capacity.periods import planning_year_months
from capacity.plan import PlanInputs, build_plan, with_systems
from capacity.segments import SHARE_OF_USE, USE_COLUMNS

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
    settings: dict[tuple, DemandSetting] = field(default_factory=dict)
    population: pd.DataFrame | None = None


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


def share_of_use(
    history: pd.DataFrame,
    cover: pd.DataFrame,
    links: pd.DataFrame,
    services: pd.DataFrame,
    year: int,
    settings: dict[tuple, DemandSetting],
) -> pd.DataFrame:
    """Referrals a month to each service that serves several places, from each of them.

    Each place counts over the months of its demand window (its setting for all
    service types) that its data cover; referrals naming the service, else, where
    no place's name it, those of its type that name no service.
    """
    pooled = links[links.groupby("service_id")["place_code"].transform("size") > 1]
    spans = cover[cover["place_code"].isin(pooled["place_code"])]
    counted = []
    for span in spans.itertuples():
        window = choose_window(
            span.first_month,
            span.last_month,
            year,
            setting_for(settings, span.place_code, None).window_years,
            span.place_code,
        )
        for py in window.years:
            for month in planning_year_months(py):
                day = pd.Timestamp(month.first_day)
                if span.first_month <= day <= span.last_month:
                    counted.append((span.place_code, day))
    counted = pd.DataFrame(counted, columns=["place_code", "month"])
    if pooled.empty or counted.empty:
        return pd.DataFrame(columns=USE_COLUMNS)
    in_window = history.merge(counted, on=["place_code", "month"])
    months = counted.groupby("place_code")["month"].agg(["size", "min", "max"])
    type_of = services.set_index("service_id")["service_type"]
    rows = []
    for service_id, group in pooled.groupby("service_id", sort=False):
        places = [p for p in group["place_code"] if p in months.index]
        named = in_window[in_window["service_id"] == service_id]
        what = "referrals"
        if named.empty:
            named = in_window[
                in_window["service_id"].isna()
                & (in_window["service_type"] == type_of.get(service_id))
            ]
            what = "referrals of the service type,"
        if not places or named.empty:
            continue
        totals = named.groupby("place_code")["referrals"].sum()
        span = months.loc[places]
        basis = f"{SHARE_OF_USE} ({what} {span['min'].min():%b %Y} – {span['max'].max():%b %Y})"
        rows += [
            (service_id, p, float(totals.get(p, 0.0)) / span.loc[p, "size"], basis) for p in places
        ]
    return pd.DataFrame(rows, columns=USE_COLUMNS)


def observed_episodes(referrals: pd.DataFrame, cover: pd.DataFrame, year: int) -> pd.DataFrame:
    """Arrivals, completed episodes, their mean stay and the mean occupancy per place and
    named service, each place over its window [start, end) before the planning year."""
    windows = plan_windows(cover, year)
    if not windows:
        return pd.DataFrame(columns=OBSERVED_COLUMNS)
    starts = {p: pd.Timestamp(w[0]) for p, w in windows.items()}
    ends = {p: pd.Timestamp(w[1]) for p, w in windows.items()}
    rows = referrals[
        referrals["place_code"].isin(list(windows))
        & referrals["service_id"].notna()
        & referrals["start_date"].notna()
    ]
    w_start = rows["place_code"].map(starts)
    w_end = rows["place_code"].map(ends)
    open_end = rows["end_date"].fillna(w_end)
    inside = (rows["start_date"] < w_end) & (open_end >= w_start)
    rows, w_start, w_end, open_end = rows[inside], w_start[inside], w_end[inside], open_end[inside]
    completed = (rows["end_date"] >= w_start) & (rows["end_date"] < w_end)
    stay = (rows["end_date"] - rows["start_date"]).dt.days.where(completed)
    occupied = (
        open_end.where(open_end < w_end, w_end)
        - rows["start_date"].where(rows["start_date"] > w_start, w_start)
    ).dt.days.clip(lower=0)
    parts = pd.DataFrame(
        {
            "place_code": rows["place_code"],
            "service_id": rows["service_id"],
            "window_start": w_start,
            "window_end": w_end,
            "arrivals": (rows["start_date"] >= w_start) & (rows["start_date"] < w_end),
            "completed": completed,
            "observed_los_days": stay,
            "occupied": occupied,
        }
    )
    out = (
        parts.groupby(["place_code", "service_id", "window_start", "window_end"])
        .agg(
            arrivals=("arrivals", "sum"),
            completed=("completed", "sum"),
            observed_los_days=("observed_los_days", "mean"),
            occupied=("occupied", "sum"),
        )
        .reset_index()
    )
    days = (out["window_end"] - out["window_start"]).dt.days
    out["observed_occupancy"] = out["occupied"] / days
    return out[OBSERVED_COLUMNS]


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
    links = tables.service_places
    serving = links.loc[links["place_code"].isin(place_codes), "service_id"].unique()
    links = links[links["service_id"].isin(serving)].reset_index(drop=True)
    # A pooled service's other places count too: their referrals set each place's share.
    counted = sorted(set(place_codes) | set(links["place_code"]))
    every_history = monthly_history(referrals, counted)
    every_cover = coverage(referrals, counted)
    history = every_history[every_history["place_code"].isin(place_codes)]
    cover = every_cover[every_cover["place_code"].isin(place_codes)].reset_index(drop=True)
    settings = tables.settings
    sources = choose_sources(history, settings, year)
    population = tables.population
    if population is not None:
        population = population[population["code"].isin(place_codes)].reset_index(drop=True)
    projection, windows = project_demand(
        chosen_rows(history, sources), cover, year, settings=settings, population=population
    )
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
        service_places=links,
        parameters=params.sort_values(["service_id", "place_code", "valid_from"]).reset_index(
            drop=True
        ),
        demand=projection,
        observed_hospital_share=observed_hospital_share(history, cover, windows),
        windows=windows,
        covered_months=covered_months(cover, windows, year),
        sitrep_months={},
        demand_sources=sources,
        observed=observed_episodes(referrals, cover, year),
        service_use=share_of_use(
            every_history, every_cover, links, tables.services, year, settings
        ),
    )
    frame = build_plan(inputs)
    return with_systems(frame, places) if systems else frame


PLAN_KEY = ["place_code", "service_type", "service_id", "source", "month"]
PLAN_FIGURES = ("demand", "capacity", "gap")


def plan_difference(ours: pd.DataFrame, theirs: pd.DataFrame) -> str:
    """What differs between two plan frames, in one line: the rows only one has, else the
    figures that differ and the first row where each does; "" when they agree.

    The rows are matched on :data:`PLAN_KEY`; the figures compared are :data:`PLAN_FIGURES`.
    """
    a = _keyed(ours)
    b = _keyed(theirs)
    only_ours = a.index.difference(b.index)
    only_theirs = b.index.difference(a.index)
    if len(only_ours) or len(only_theirs) or a.index.has_duplicates or b.index.has_duplicates:
        return (
            f"{_count(len(a))} against {len(b):,}; only in the first: "
            f"{_rows_text(only_ours)}; only in the second: {_rows_text(only_theirs)}"
        )
    b = b.loc[a.index]
    found = []
    for column in PLAN_FIGURES:
        x, y = a[column].to_numpy(float), b[column].to_numpy(float)
        differs = ~np.isclose(x, y, equal_nan=True)
        if differs.any():
            first = int(np.flatnonzero(differs)[0])
            found.append(
                f"{column} in {_count(int(differs.sum()))}, first {_row_text(a.index[first])}: "
                f"{x[first]:.6g} against {y[first]:.6g}"
            )
    return "; ".join(found)


def same_plan(ours: pd.DataFrame, theirs: pd.DataFrame) -> bool:
    """Whether two plan frames have the same rows and the same demand, capacity and gap
    (:func:`plan_difference` says what differs when they do not)."""
    return not plan_difference(ours, theirs)


def _keyed(frame: pd.DataFrame) -> pd.DataFrame:
    """A plan frame indexed by its key, missing parts of the key as "", sorted."""
    keys = frame[PLAN_KEY].astype(object).where(frame[PLAN_KEY].notna(), "")
    index = pd.MultiIndex.from_frame(keys.astype(str))
    return frame[list(PLAN_FIGURES)].set_axis(index).sort_index()


def _count(rows: int) -> str:
    return f"{rows:,} row{'' if rows == 1 else 's'}"


def _row_text(key: tuple) -> str:
    return "/".join(part or "-" for part in key)


def _rows_text(keys: pd.Index, shown: int = 2) -> str:
    """How many rows, and the first ``shown`` of them."""
    if not len(keys):
        return "none"
    first = ", ".join(_row_text(k) for k in keys[:shown])
    return f"{len(keys):,} ({first}{', …' if len(keys) > shown else ''})"
