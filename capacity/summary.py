"""Summaries of the plan frame for the pages: by service type, across places, worst shortfalls.

Everything here reads the plan frame and only adds up or ranks what is in
it; no capacity is computed anew. Figures stay unrounded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from capacity import formulas as f
from capacity.demand_settings import DEMAND_SOURCES
from capacity.demand_sources import NO_DEMAND_DATA
from capacity.interval import bounds, chance_above
from capacity.periods import month_label

SOURCE_LABELS = {
    "both": "Hospital discharge and community",
    "hospital": "Hospital discharge",
    "community": "Community",
}
# The plan frame's service name of demand with no service here (capacity.plan.NO_SERVICE).
NO_SERVICE_ROW = "(no commissioned service)"
# How a chart names where its demand comes from, by the plan frame's demand_source.
DEMAND_FROM_WORDS = {
    DEMAND_SOURCES["records"]: "local referral records",
    DEMAND_SOURCES["counts"]: "published counts",
    DEMAND_SOURCES["sitrep"]: "SitRep discharges (trusts × catchment shares)",
}


def filter_source(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """Rows for one source, or all of them for 'both'."""
    if source not in SOURCE_LABELS:
        raise ValueError(f"source must be one of {', '.join(SOURCE_LABELS)} (got {source!r})")
    return frame if source == "both" else frame[frame["source"] == source]


def _union(values: pd.Series) -> str:
    seen: list[str] = []
    for text in values.dropna():
        for part in str(text).split("; "):
            if part and part not in seen:
                seen.append(part)
    return "; ".join(seen)


def _text_by_group(codes: np.ndarray, rows: pd.DataFrame) -> pd.DataFrame:
    """Per group code: the distinct methods, the union of flags, and one line per service."""
    n = int(codes.max()) + 1 if len(codes) else 0
    methods: list[list[str]] = [[] for _ in range(n)]
    flags: list[list[str]] = [[] for _ in range(n)]
    lines: list[list[str]] = [[] for _ in range(n)]
    for code, method, flag, service, source, calculation in zip(
        codes,
        rows["method"],
        rows["flags"],
        rows["service"],
        rows["source"],
        rows["calculation"],
        strict=True,
    ):
        if isinstance(method, str) and method not in methods[code]:
            methods[code].append(method)
        for part in str(flag).split("; ") if isinstance(flag, str) else ():
            if part and part not in flags[code]:
                flags[code].append(part)
        lines[code].append(f"{service} ({source}): {calculation}")
    return pd.DataFrame(
        {
            "methods": [", ".join(sorted(m)) for m in methods],
            "flags": ["; ".join(f) for f in flags],
            "calculation": ["<br>".join(line) for line in lines],
        }
    )


def by_service_type(frame: pd.DataFrame, source: str = "both") -> pd.DataFrame:
    """Monthly demand, capacity and gap per service type, summed over services and sources.

    Also carries the methods, flags and calculations behind each month, for
    hover text and notes on the charts.
    """
    rows = filter_source(frame, source)
    columns = [
        "service_type",
        "service_type_name",
        "month",
        "demand",
        "capacity",
        "gap",
        "utilisation",
        "methods",
        "flags",
        "calculation",
        "sort_order",
        *BAND_COLUMNS,
        *STATE_COLUMNS,
    ]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    key = ["service_type", "service_type_name", "month"]
    grouped = rows.groupby(key, sort=False)
    out = grouped[["demand", "capacity"]].sum(min_count=1).reset_index()
    text = _text_by_group(grouped.ngroup().to_numpy(), rows)
    out = pd.concat([out, text], axis=1)
    out["gap"] = f.gap(out["capacity"].to_numpy(float), out["demand"].to_numpy(float))
    out["utilisation"] = f.utilisation(
        out["demand"].to_numpy(float), out["capacity"].to_numpy(float)
    )
    out = with_band(out, grouped)
    states = type_states(rows)
    for column in STATE_COLUMNS:
        out[column] = out["service_type"].map(states[column])
    order = {t: i for i, t in enumerate(rows["service_type"].drop_duplicates())}
    out["sort_order"] = out["service_type"].map(order)
    return out.sort_values(["sort_order", "month"]).reset_index(drop=True)[columns]


BAND_COLUMNS = ["demand_low", "demand_high", "demand_years", "chance_short"]
# What a chart of one service type says in words: where its demand comes from, whether it
# has a service here ("all" rows without one, "some", or ""), and why it has no demand data.
STATE_COLUMNS = ["demand_from", "no_service", "no_demand_reason"]


def _labels(values) -> list[str]:
    """The distinct parts of '; '-joined labels (a system's rows join its places')."""
    seen: list[str] = []
    for text in values:
        for part in str(text).split("; ") if isinstance(text, str) else ():
            if part and part not in seen:
                seen.append(part)
    return seen


def _from_phrase(labels: list[str]) -> str:
    """'Demand from local referral records', 'No demand data', or '' (no labels)."""
    known = [DEMAND_FROM_WORDS[label] for label in labels if label in DEMAND_FROM_WORDS]
    missing = NO_DEMAND_DATA in labels
    if not known:
        return "No demand data" if missing else ""
    text = "Demand from " + " and ".join(known)
    return text + " (no demand data for some)" if missing else text


def demand_from(rows: pd.DataFrame) -> str:
    """Where the demand of some plan rows comes from, in words a lead reads on a chart:
    'Demand from SitRep discharges (trusts × catchment shares)'. Where hospital discharge
    and community referrals differ, each is named ('Hospital discharge: demand from …;
    community: no demand data')."""
    phrases = {
        source: _from_phrase(_labels(group))
        for source, group in rows.groupby("source", sort=False)["demand_source"]
    }
    distinct = list(dict.fromkeys(p for p in phrases.values() if p))
    if len(distinct) <= 1:
        return distinct[0] if distinct else ""
    return "; ".join(
        f"{SOURCE_LABELS[source]}: {phrase[0].lower()}{phrase[1:]}"
        for source in ("hospital", "community")
        if (phrase := phrases.get(source))
    )


def _in_a_column(words: str) -> str:
    """The words of :func:`demand_from` under a "Demand from" header: 'Local referral records'."""
    rest = words.removeprefix("Demand from ")
    return rest[:1].upper() + rest[1:]


def _no_demand_reason(notes: pd.Series) -> str:
    """Why rows have no demand data, from their demand notes ('no demand data: why')."""
    prefix = f"{NO_DEMAND_DATA}: "
    reasons = [n[len(prefix) :] for n in notes.dropna() if str(n).startswith(prefix)]
    return "; ".join(dict.fromkeys(reasons))


def type_states(rows: pd.DataFrame) -> pd.DataFrame:
    """Per service type of plan rows: :data:`STATE_COLUMNS` (see :func:`demand_from`)."""
    out = {}
    for service_type, group in rows.groupby("service_type", sort=False):
        unserved = group["service"] == NO_SERVICE_ROW
        has_source = "demand_source" in group
        out[service_type] = {
            "demand_from": demand_from(group) if has_source else "",
            "no_service": "all" if unserved.all() else "some" if unserved.any() else "",
            "no_demand_reason": _no_demand_reason(group["demand_note"])
            if "demand_note" in group
            else "",
        }
    return pd.DataFrame.from_dict(out, orient="index", columns=STATE_COLUMNS)


def with_band(out: pd.DataFrame, grouped) -> pd.DataFrame:
    """The 80% band around summed demand, and the chance demand exceeds capacity.

    Spreads add and the fewest years count (see :mod:`capacity.interval`);
    without the plan's spread columns (an old frame) there is no band.
    """
    if "demand_spread" not in grouped.obj:
        return out.assign(
            demand_low=np.nan, demand_high=np.nan, demand_years=0, chance_short=np.nan
        )
    spread = grouped["demand_spread"].sum(min_count=1).to_numpy(float)
    years = grouped["demand_years"].min().fillna(0).to_numpy(int)
    demand = out["demand"].to_numpy(float)
    low, high = bounds(demand, spread, years)
    chance = chance_above(demand, spread, years, out["capacity"].to_numpy(float))
    return out.assign(demand_low=low, demand_high=high, demand_years=years, chance_short=chance)


def gap_matrix(
    frame: pd.DataFrame,
    service_types: list[str] | None,
    source: str,
    population: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Places × months of the gap for the chosen service types and source.

    With ``population`` (place code → people of the chosen age, 65+ say), the gap
    is per 100,000 of those people; places without a population are left out.
    """
    rows = filter_source(frame, source)
    if service_types:
        rows = rows[rows["service_type"].isin(service_types)]
    totals = (
        rows.groupby(["place_code", "place", "month"], sort=False)[["demand", "capacity"]]
        .sum(min_count=1)
        .reset_index()
    )
    totals["gap"] = f.gap(totals["capacity"].to_numpy(float), totals["demand"].to_numpy(float))
    if population is not None:
        pops = totals["place_code"].map(population)
        totals = totals[pops.notna() & (pops > 0)]
        totals["gap"] = totals["gap"] / totals["place_code"].map(population) * 100_000
    matrix = totals.pivot(index="place", columns="month", values="gap")
    return matrix.reindex(columns=sorted(matrix.columns))


def shortfall_matrix(
    frame: pd.DataFrame,
    service_types: list[str] | None,
    source: str,
    population: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Places × months of the people short: each service type's shortfall, added up.

    A service type's month is short by demand − capacity where demand is the
    larger (services and sources of the type taken together, as the Place
    page's charts draw them); a type with spare capacity adds nothing, so one
    type's surplus never hides another's shortfall. Zero where no type is
    short, NaN where there are no figures. With ``population``, per 100,000 of
    those people (places without a population left out), as in
    :func:`gap_matrix`.
    """
    rows = filter_source(frame, source)
    if service_types:
        rows = rows[rows["service_type"].isin(service_types)]
    by_type = (
        rows.groupby(["place_code", "place", "service_type", "month"], sort=False)[
            ["demand", "capacity"]
        ]
        .sum(min_count=1)
        .reset_index()
    )
    gap = f.gap(by_type["capacity"].to_numpy(float), by_type["demand"].to_numpy(float))
    by_type["short"] = np.where(np.isfinite(gap), np.clip(-gap, 0.0, None), np.nan)
    totals = (
        by_type.groupby(["place_code", "place", "month"], sort=False)["short"]
        .sum(min_count=1)
        .reset_index()
    )
    if population is not None:
        pops = totals["place_code"].map(population)
        totals = totals[pops.notna() & (pops > 0)]
        totals["short"] = totals["short"] / totals["place_code"].map(population) * 100_000
    matrix = totals.pivot(index="place", columns="month", values="short")
    return matrix.reindex(columns=sorted(matrix.columns))


def missing_demand(
    frame: pd.DataFrame, service_types: list[str] | None, source: str
) -> pd.DataFrame:
    """Places × months: which service types have no demand figure there, in words
    ('No demand data for social support (…)'; '' where every type has one).

    The heat maps add up the types that have figures, so this says what a cell leaves
    out, and why a cell with no figure at all is blank rather than 0.
    """
    rows = filter_source(frame, source)
    if service_types:
        rows = rows[rows["service_type"].isin(service_types)]
    by_type = (
        rows.groupby(["place", "service_type_name", "month"], sort=False)["demand"]
        .sum(min_count=1)
        .reset_index()
    )
    missing = by_type[by_type["demand"].isna()]
    names = missing.groupby(["place", "month"], sort=False)["service_type_name"].agg(
        lambda n: ", ".join(t[0].lower() + t[1:] for t in dict.fromkeys(n))
    )
    text = ("No demand data for " + names).rename("text").reset_index()
    matrix = text.pivot(index="place", columns="month", values="text")
    places = list(dict.fromkeys(rows["place"]))
    months = sorted(set(rows["month"]))
    return matrix.reindex(index=places, columns=months).astype(object).fillna("")


def largest_shortfalls(
    frame: pd.DataFrame, service_types: list[str] | None = None, source: str = "both"
) -> pd.DataFrame:
    """Each place and service type with a shortfall, worst first.

    Columns: place, service type, the month the shortfall starts, the worst
    month and its gap, the number of months short, and the year's total
    shortfall (the sum of the negative gaps).
    """
    rows = filter_source(frame, source)
    if service_types:
        rows = rows[rows["service_type"].isin(service_types)]
    key = ["place_code", "place", "service_type", "service_type_name", "month"]
    monthly = rows.groupby(key, sort=False)[["demand", "capacity"]].sum(min_count=1).reset_index()
    monthly["gap"] = f.gap(monthly["capacity"].to_numpy(float), monthly["demand"].to_numpy(float))
    short = monthly[monthly["gap"] < 0].sort_values("month")
    if short.empty:
        return pd.DataFrame(
            columns=[
                "place_code",
                "place",
                "service_type",
                "service_type_name",
                "starts",
                "worst_month",
                "worst_gap",
                "months_short",
                "total_shortfall",
            ]
        )
    grouped = short.groupby(key[:-1], sort=False)
    worst = short.loc[grouped["gap"].idxmin()].set_index(key[:-1])
    out = pd.DataFrame(
        {
            "starts": grouped["month"].min(),
            "worst_month": worst["month"],
            "worst_gap": worst["gap"],
            "months_short": grouped["month"].size(),
            "total_shortfall": grouped["gap"].sum(),
        }
    ).reset_index()
    return out.sort_values(["total_shortfall", "worst_gap"]).reset_index(drop=True)


def service_type_across_places(
    frame: pd.DataFrame, service_type: str, source: str, population: dict[str, float]
) -> pd.DataFrame:
    """One service type at every place over the year: totals, gap, and capacity per 100,000
    of ``population`` (place code → people of the chosen age, 65+ say; column population)."""
    rows = filter_source(frame, source)
    rows = rows[rows["service_type"] == service_type]
    totals = (
        rows.groupby(["place_code", "place"], sort=False)[["demand", "capacity"]]
        .sum(min_count=1)
        .reset_index()
    )
    totals["gap"] = f.gap(totals["capacity"].to_numpy(float), totals["demand"].to_numpy(float))
    totals["utilisation"] = f.utilisation(
        totals["demand"].to_numpy(float), totals["capacity"].to_numpy(float)
    )
    totals["population"] = totals["place_code"].map(population)
    has_pop = totals["population"].notna() & (totals["population"] > 0)
    totals["capacity_per_100k"] = np.nan
    totals.loc[has_pop, "capacity_per_100k"] = f.rate_per_100k(
        totals.loc[has_pop, "capacity"].fillna(0).to_numpy(float),
        totals.loc[has_pop, "population"].to_numpy(float),
    )
    months_short = rows.groupby(["place_code", "month"])[["demand", "capacity"]].sum()
    months_short = (months_short["capacity"] < months_short["demand"]).groupby("place_code").sum()
    totals["months_short"] = totals["place_code"].map(months_short).fillna(0).astype(int)
    totals["flags"] = totals["place_code"].map(rows.groupby("place_code")["flags"].agg(_union))
    if "demand_source" in rows:
        words = {
            code: _in_a_column(demand_from(group)) for code, group in rows.groupby("place_code")
        }
        totals["demand_from"] = totals["place_code"].map(words)
    return totals.sort_values("capacity_per_100k", ascending=False).reset_index(drop=True)


@dataclass(frozen=True)
class Shortfall:
    """The worst monthly shortfall of one service type at a place."""

    place: str
    service_type_name: str
    month: str
    gap: float
    chance: float = float("nan")

    @property
    def sentence(self) -> str:
        """'Havering: reablement at home is 23 short in January (about a 70% chance of being
        short)'; the chance is left out where there is no interval (one year of data)."""
        name = self.service_type_name[0].lower() + self.service_type_name[1:]
        month = pd.Timestamp(f"{self.month}-01").strftime("%B")
        text = f"{self.place}: {name} is {abs(self.gap):,.0f} short in {month}"
        if self.chance == self.chance:
            percent = f"{self.chance:.0%}"
            # "an 82%", "an 8%", "an 11%": the article follows the number as it is spoken.
            article = (
                "an"
                if percent[:-1] in ("8", "11", "18") or (len(percent) == 3 and percent[0] == "8")
                else "a"
            )
            text += f" (about {article} {percent} chance of being short)"
        return text


def worst_shortfall(
    monthly: pd.DataFrame, place: str, from_month: str | None = None
) -> Shortfall | None:
    """The worst single month of shortfall, from ``from_month`` ('YYYY-MM') on.

    ``monthly`` is the place's :func:`by_service_type` table.
    """
    if from_month is not None:
        monthly = monthly[monthly["month"] >= from_month]
    short = monthly[monthly["gap"] < -0.5]  # less than half a person rounds to no shortfall
    if short.empty:
        return None
    worst = short.loc[short["gap"].idxmin()]
    chance = float(worst["chance_short"]) if "chance_short" in worst else float("nan")
    return Shortfall(place, worst["service_type_name"], worst["month"], float(worst["gap"]), chance)


def headline(monthly: pd.DataFrame, place: str, from_month: str | None = None) -> str:
    """One sentence for the top of a screen: the worst shortfall of the coming months.

    ``monthly`` is the place's :func:`by_service_type` table.
    """
    worst = worst_shortfall(monthly, place, from_month)
    if worst is None:
        return f"{place}: no shortfall expected in the months ahead"
    return worst.sentence


ASSUMPTION_COLUMNS = [
    "method",
    "caseload",
    "mean_los_days",
    "hours_per_month",
    "hours_per_package_per_month",
    "throughput",
    "throughput_unit",
    "target_occupancy",
    "contract_share",
    "place_share",
    "place_share_basis",
    "hospital_share",
    "hospital_share_basis",
    "source_note",
]


def assumptions(
    frame: pd.DataFrame, source: str = "both", by: Sequence[str] = ("service", "source")
) -> pd.DataFrame:
    """The parameters behind each service and source, one row per set of values and its months.

    A service whose parameters change during the year (winter flex beds) has
    one row per period, with the months each applied to. ``by`` names the
    columns that tell rows apart (add "place" for several places).
    """
    by = list(by)
    rows = filter_source(frame, source)
    if rows.empty:
        return pd.DataFrame(columns=[*by, "months", *ASSUMPTION_COLUMNS, "flags"])
    key = [*by, *ASSUMPTION_COLUMNS]
    filled = rows.assign(
        **{c: rows[c].astype(object).where(rows[c].notna(), "–") for c in ASSUMPTION_COLUMNS}
    )
    grouped = filled.groupby(key, sort=False)
    out = grouped["month"].agg(_month_span).rename("months").reset_index()
    out["flags"] = grouped["flags"].agg(_union).to_numpy()
    out = out.replace("–", None)
    return out[[*by, "months", *ASSUMPTION_COLUMNS, "flags"]]


def _month_span(months: pd.Series) -> str:
    """'Apr 2025; Nov 2025 – Mar 2026': the months as runs of consecutive months."""
    index = sorted(int(m[:4]) * 12 + int(m[5:7]) - 1 for m in months)
    runs: list[list[int]] = []
    for value in index:
        if runs and value == runs[-1][-1] + 1:
            runs[-1].append(value)
        else:
            runs.append([value])

    def label(value: int) -> str:
        return month_label(f"{value // 12:04d}-{value % 12 + 1:02d}")

    return "; ".join(
        label(r[0]) if len(r) == 1 else f"{label(r[0])} – {label(r[-1])}" for r in runs
    )


def shortfall(frame: pd.DataFrame, months: tuple[str, ...] | None = None) -> float:
    """People short: the sum over rows (service, source, month) of demand above capacity.

    ``months`` ('MM') limits it to those calendar months.
    """
    rows = frame if months is None else frame[frame["month"].str[5:].isin(months)]
    gap = f.gap(rows["capacity"].to_numpy(float), rows["demand"].to_numpy(float))
    return float(np.nansum(np.where(gap < 0, -gap, 0.0)))


def monthly_totals(
    frame: pd.DataFrame, source: str = "both", service_types: list[str] | None = None
) -> pd.DataFrame:
    """Demand, capacity, gap and shortfall by month, summed over services (and places)."""
    rows = filter_source(frame, source)
    if service_types:
        rows = rows[rows["service_type"].isin(service_types)]
    grouped = rows.groupby("month", sort=True)
    out = grouped[["demand", "capacity"]].sum(min_count=1)
    out["gap"] = out["capacity"] - out["demand"]
    out["shortfall"] = grouped[["demand", "capacity"]].apply(shortfall)
    return out.reset_index()


FLIP_KEY = [
    "place_code",
    "place",
    "service",
    "service_type",
    "service_type_name",
    "source",
    "month",
]
FLIP_COLUMNS = [*FLIP_KEY, "gap_baseline", "gap_scenario", "flip"]


def flips(
    baseline: pd.DataFrame,
    scenario: pd.DataFrame,
    source: str = "both",
    service_types: list[str] | None = None,
) -> pd.DataFrame:
    """The service-months that move between surplus and shortfall under a scenario.

    Each row of the plan (a service at a place, for one source, in one month)
    is compared on its own, short being capacity below demand as everywhere in
    the product, so one service's surplus never hides another's shortfall. A
    row only one frame has (demand moved to a type with no service here) counts
    as neither short nor in surplus in the other. ``flip`` is 'into shortfall'
    or 'out of shortfall'.
    """

    def gaps(frame: pd.DataFrame) -> pd.Series:
        rows = filter_source(frame, source)
        if service_types:
            rows = rows[rows["service_type"].isin(service_types)]
        rows = rows.assign(
            short=rows["capacity"] < rows["demand"], gap=rows["capacity"] - rows["demand"]
        )
        return rows.set_index(FLIP_KEY)[["short", "gap"]]

    table = (
        gaps(baseline)
        .add_suffix("_baseline")
        .join(gaps(scenario).add_suffix("_scenario"), how="outer")
    )
    was_short = table["short_baseline"].fillna(False).astype(bool)
    now_short = table["short_scenario"].fillna(False).astype(bool)
    table["flip"] = np.select(
        [~was_short & now_short, was_short & ~now_short], ["into shortfall", "out of shortfall"], ""
    )
    table = table[table["flip"] != ""].reset_index()
    return table.sort_values(["month", "place", "service", "source"])[FLIP_COLUMNS].reset_index(
        drop=True
    )


def scenario_effect(
    baseline: pd.DataFrame,
    scenario: pd.DataFrame,
    source: str = "both",
    service_types: list[str] | None = None,
) -> pd.DataFrame:
    """Baseline and scenario side by side per month, with how many service-months flip.

    ``shortfall`` counts, for each month, the people short summed over every
    service and source (a surplus in one service does not cover a shortfall
    in another). ``into_shortfall`` and ``out_of_shortfall`` count that
    month's services that flip (see :func:`flips`); the netted ``gap`` of a
    month can stay in surplus while some of its services go short.
    """
    base = monthly_totals(baseline, source, service_types).set_index("month")
    other = monthly_totals(scenario, source, service_types).set_index("month")
    table = base.add_suffix("_baseline").join(other.add_suffix("_scenario"), how="outer")
    flipped = flips(baseline, scenario, source, service_types)
    for label in ("into shortfall", "out of shortfall"):
        counts = flipped.loc[flipped["flip"] == label, "month"].value_counts()
        table[label.replace(" ", "_")] = counts.reindex(table.index, fill_value=0).astype(int)
    table["shortfall_change"] = table["shortfall_scenario"] - table["shortfall_baseline"]
    return table.reset_index()


def shortfall_by_place(
    baseline: pd.DataFrame,
    scenario: pd.DataFrame,
    source: str = "both",
    service_types: list[str] | None = None,
) -> pd.DataFrame:
    """Each place's yearly shortfall under the baseline and the scenario."""
    rows = []
    for place, group in filter_source(baseline, source).groupby("place", sort=True):
        other = filter_source(scenario, source)
        other = other[other["place"] == place]
        if service_types:
            group = group[group["service_type"].isin(service_types)]
            other = other[other["service_type"].isin(service_types)]
        before, after = shortfall(group), shortfall(other)
        rows.append(
            {"place": place, "baseline": before, "scenario": after, "change": after - before}
        )
    return pd.DataFrame(rows, columns=["place", "baseline", "scenario", "change"])


def demand_sources_by_place(frame: pd.DataFrame) -> pd.DataFrame:
    """Per place and service type: where demand comes from, and the states a lead must read
    in words — *no demand data* (a service with no source of demand) and *no service*
    (demand with no commissioned service, so all of it unmet). Places first, types in
    the plan's order; columns place, service_type_name, demand_source, state."""
    columns = ["place", "service_type_name", "demand_source", "state"]
    if frame.empty or "demand_source" not in frame:
        return pd.DataFrame(columns=columns)
    grouped = frame.groupby(["place", "service_type_name"], sort=False)
    out = grouped["demand_source"].agg(_union).reset_index()
    unserved = grouped["service"].agg(lambda s: bool((s == NO_SERVICE_ROW).all()))
    no_data = grouped["flags"].agg(
        lambda f: f.fillna("").str.contains("no demand data (", regex=False).any()
    )
    states = []
    for served_none, missing in zip(unserved.to_numpy(), no_data.to_numpy(), strict=True):
        parts = ["no service: all demand unmet"] if served_none else []
        if missing:
            parts.append("no demand data for some rows")
        states.append("; ".join(parts))
    return out.assign(state=states)[columns]
