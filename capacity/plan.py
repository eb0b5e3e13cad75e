"""The plan frame: one tidy table of demand, capacity and gap by month.

For given places, a planning year and a scenario, :func:`build_plan` returns one
row per place, service, source (hospital discharge or community) and month,
with demand, capacity, gap (capacity − demand) and utilisation (demand ÷
capacity), the method and every parameter used, a readable ``calculation``,
and ``flags`` for anything a lead must know (such as "capacity assumed equal
to demand"). Every page, chart, export and the CLI read this frame; none of
them compute capacity on their own.

How capacity is found for a service at a place in a month:

1. the parameters in force: rows for that place if the service has any, else
   the service-wide rows; a month split by a change of parameters is computed
   part by part (capacity is additive over days);
2. the method's formula (:mod:`capacity.formulas`) over those days;
3. × target occupancy (where set) × contract share (one contract split across
   service types) × place share (a service shared by several places);
4. × hospital share for hospital discharge, × (1 − share) for community. The
   share is stated, or observed from referrals, or 1/0 for a service type that
   takes only one source.

A retired service gives nothing from its ``retired_from`` month: its parameters
stop the day before and it has no rows from then on, so its type's demand goes
to the place's other services of the type or shows as unmet.

Demand comes from :mod:`capacity.demand`. Referrals that name only a service
type are shared among that place's services of the type in proportion to
their capacity (equally if any is unknown); with no such service they appear
on a "no commissioned service" row with no capacity.

The work is split in three so that what-ifs answer at once: :func:`prepare`
does everything that depends only on the data (which parameters are in force
when, which rows exist) in a :class:`capacity.model.PlanModel`; a scenario then
changes its figures (:func:`capacity.scenarios.applying.apply`); :func:`compute` turns
them into the frame.
"""

from __future__ import annotations

from collections import defaultdict, namedtuple
from operator import itemgetter
from typing import Any

import numpy as np
import pandas as pd

from capacity import formulas as f
from capacity.demand import (
    Window,
    coverage,
    covered_months,
    monthly_history,
    observed_hospital_share,
    population_projection,
    project_demand,
    stored_settings,
)
from capacity.demand_settings import DemandSetting
from capacity.demand_sources import (
    NO_DEMAND_DATA,
    SourceChoice,
    choose_sources,
    chosen_rows,
    months_with_data,
    sitrep_coverage,
    sitrep_history,
)
from capacity.interval import INTERVAL_LEVEL, NO_INTERVAL, bounds
from capacity.methods import METHOD_LABELS, following_demand
from capacity.model import PlanInputs, PlanModel, system_members
from capacity.observed import observed_flags, observed_for_plan
from capacity.periods import Month, planning_year_label, planning_year_months, planning_year_of
from capacity.scenarios.applying import apply
from capacity.scenarios.model import Scenario
from capacity.segments import (
    OWN_PARAMETERS,
    PlanError,
    calculation,
    checked,
    every_place_share,
    parameter_segments,
    resolve_place_shares,
    retirement,
    segment_capacity,
    until_retired,
)
from capacity.shares import service_use
from capacity.store import Store

__all__ = [
    "METHOD_LABELS",
    "PlanError",
    "PlanInputs",
    "PlanModel",
    "resolve_place_shares",
    "parameter_segments",
]

SOURCES = ("hospital", "community")
NO_SERVICE = "(no commissioned service)"
FLAG_EQUAL_TO_DEMAND = "capacity assumed equal to demand"
FLAG_NO_SERVICE = "no service: no commissioned service of this type here"
COMMUNITY_NOT_IN_SITREP = "the SitRep counts hospital discharges only, not community referrals"
PARAMETER_COLUMNS = [
    "caseload",
    "mean_los_days",
    "hours_per_month",
    "hours_per_package_per_month",
    "throughput",
    "throughput_unit",
    "target_occupancy",
    "contract_share",
    "place_share",
    "hospital_share",
]
PLAN_COLUMNS = [
    "place_code",
    "place",
    "service_id",
    "service",
    "service_type",
    "service_type_name",
    "pathway",
    "setting",
    "source",
    "month",
    "days_in_month",
    "demand",
    "capacity",
    "gap",
    "utilisation",
    "spot_capacity",
    "demand_low",
    "demand_high",
    "interval_level",
    "demand_years",
    "demand_spread",
    "method",
    "flags",
    *PARAMETER_COLUMNS,
    "hospital_share_basis",
    "place_share_basis",
    "calculation",
    "demand_note",
    "demand_source",
    "param_ids",
    "source_note",
    "data_window",
    "scenario",
]
# Parameters that are a place's part of a shared service (its share of the whole): a system
# row adds them up over its places.
PLACE_PARTS = ["caseload", "hours_per_month", "throughput"]
DEMAND_KEY = ["place_code", "service_type", "service_id", "source", "month"]
ORDER = ["place", "sort_order", "service", "source_rank", "month"]
FLAG_INPUTS = [
    "unserved",
    "any_equal",
    "contract",
    "days_covered",
    "segments",
    "days_in_month",
    "changes",
    "capacity",
    "demand",
    "source",
    "shared_note",
    "hospital_share_basis",
    "place_code",
    "scenario_note",
    "no_demand_data",
    "source_reason",
]


def load_plan_inputs(
    store: Store,
    place_codes: list[str],
    year: int,
    *,
    window_years: int | None = None,
    growth: float | None = None,
) -> PlanInputs:
    """Read what the plan for ``place_codes`` (places, not systems) in ``year`` needs.

    Demand follows the stored demand settings (window and growth per service
    type); ``window_years`` or ``growth``, when given, replace them all with one
    window and a flat rate. Raises PlanError for a year that ends before the
    first day of any data.
    """
    _check_year_has_data(store, year)
    all_places = store.query("places")
    scope = all_places[all_places["place_code"].isin(place_codes)].reset_index(drop=True)
    unknown = sorted(set(place_codes) - set(scope["place_code"]))
    if unknown:
        raise PlanError(f"Unknown place code(s): {', '.join(unknown)}")
    if (scope["kind"] == "system").any():
        raise PlanError("Ask for a system's places, not the system itself (see places_in)")
    codes = list(scope["place_code"])
    history = monthly_history(store, codes)
    cover = coverage(store, codes)
    settings = _demand_settings(store, window_years, growth)
    projection, windows, covered, sources = _projected_demand(
        store, codes, year, settings, history, cover
    )
    local, national = covered
    parameters = store.query("parameters_for_places", places=codes)
    parameters["valid_from"] = pd.to_datetime(parameters["valid_from"])
    parameters["valid_to"] = pd.to_datetime(parameters["valid_to"])
    service_places = store.query("service_places_for_places", places=codes)
    services = store.query("services")
    use = service_use(
        store, service_places, services, year, settings, known=(codes, history, cover)
    )
    return PlanInputs(
        year=year,
        places=scope,
        all_places=all_places,
        service_types=store.query("service_types"),
        services=services,
        service_places=service_places,
        parameters=parameters,
        demand=projection,
        observed_hospital_share=observed_hospital_share(history, cover, windows),
        windows=windows,
        covered_months=local,
        sitrep_months=national,
        demand_sources=sources,
        observed=observed_for_plan(store, cover, year),
        service_use=use,
    )


def _projected_demand(
    store: Store,
    codes: list[str],
    year: int,
    settings: dict[tuple, DemandSetting],
    history: pd.DataFrame,
    cover: pd.DataFrame,
) -> tuple[pd.DataFrame, dict[str, Window], tuple[dict, dict], dict]:
    """Demand projected from each place and service type's chosen source
    (:mod:`capacity.demand_sources`), all by the same method.

    Local records and counts are projected over the place's data coverage; SitRep
    figures over the months of SitRep loaded. Returns the projection, each place's
    window (its local one where it has local data), the years behind each place's
    months by its local data and by the SitRep (kept apart: a month one covers is
    not covered by the other), and the source chosen for each place and service type.
    """
    population = population_projection(store, codes)
    counts = store.query("monthly_counts", places=codes)
    counts["month"] = pd.to_datetime(counts["month"])
    sitrep = sitrep_history(store, codes)
    every = pd.concat([history[history["origin"] == "records"], counts, sitrep], ignore_index=True)
    sources = choose_sources(every, settings, year)
    local = chosen_rows(every[every["origin"] != "sitrep"], sources)
    projection, windows = project_demand(
        local, cover, year, settings=settings, population=population
    )
    covered = covered_months(cover, windows, year)
    national = chosen_rows(sitrep, sources)
    sitrep_covered: dict[tuple[str, str], int] = {}
    if len(national):
        span = sitrep_coverage(national)
        more, sitrep_windows = project_demand(
            national, span, year, settings=settings, population=population
        )
        projection = pd.concat([projection, more], ignore_index=True)
        sitrep_covered = months_with_data(national, sitrep_windows, year)
        windows = sitrep_windows | windows
    return projection, windows, (covered, sitrep_covered), sources


def _demand_settings(
    store: Store, window_years: int | None, growth: float | None
) -> dict[tuple, DemandSetting]:
    """The stored demand settings, or one setting for all when the caller names one."""
    if window_years is not None or growth is not None:
        setting = DemandSetting(
            3 if window_years is None else window_years, "flat", 0.0 if growth is None else growth
        )
        return {(None, None): setting}
    return stored_settings(store)


def _check_year_has_data(store: Store, year: int) -> None:
    """Refuse a planning year before the data: it has no parameters and no history to project."""
    first = store.query("first_data_day").iloc[0]["first_day"]
    if pd.isna(first):
        return
    first_day = pd.Timestamp(first)
    first_year = planning_year_of(first_day.date())
    if year < first_year:
        raise PlanError(
            f"There is nothing to plan for {planning_year_label(year)}: the data (service "
            f"parameters, referrals and counts) start on {first_day:%-d %B %Y}, so the years "
            f"that have data are from {planning_year_label(first_year)} on."
        )


# -- places and systems -------------------------------------------------------


def places_in(all_places: pd.DataFrame, code: str) -> list[str]:
    """The place codes a code stands for: itself, or a system's member places."""
    row = all_places.loc[all_places["place_code"] == code]
    if row.empty:
        raise PlanError(f"Unknown place code {code!r}")
    if row.iloc[0]["kind"] != "system":
        return [code]
    pairs = system_members(all_places)
    return sorted(pairs.loc[pairs["system_code"] == code, "place_code"])


def resolve_place(all_places: pd.DataFrame, text: str) -> pd.Series:
    """Find a place or system by code, ICB ODS code or name (case, spacing and '&'/'and' do not
    matter)."""
    wanted = place_key(text)
    columns = [c for c in ("place_code", "name", "ods_code") if c in all_places.columns]
    for column in columns:
        hit = all_places[all_places[column].map(place_key) == wanted]
        if len(hit) == 1:
            return hit.iloc[0]
    close = all_places[all_places["name"].map(place_key).str.contains(wanted, regex=False)]
    if 0 < len(close) <= 10:
        known = ", ".join(f"{r.name} ({r.place_code})" for r in close.itertuples())
        raise PlanError(f"Unknown place {text!r}. Did you mean: {known}?")
    if len(all_places) <= 20:
        known = ", ".join(f"{r.name} ({r.place_code})" for r in all_places.itertuples())
        raise PlanError(f"Unknown place {text!r}. Known places: {known}")
    raise PlanError(
        f"Unknown place {text!r}: give an authority's or ICB's ONS code (E09000016, E54000029), "
        "an ICB's ODS code (QMF) or a name (python3 -m capacity places lists them)."
    )


def place_key(text: str) -> str:
    """A place's code or name as the product compares them: case, spacing and '&'/'and' aside."""
    return " ".join(str(text).lower().replace("&", " and ").split())


# -- prepare ------------------------------------------------------------------


def _hospital_shares(segs: pd.DataFrame, inputs: PlanInputs) -> pd.DataFrame:
    """The hospital share each segment uses, and where it came from."""
    types = inputs.service_types.set_index("service_type")
    observed = inputs.observed_hospital_share.set_index(["place_code", "service_type"])[
        "observed_hospital_share"
    ].to_dict()
    seen = pd.Series(
        [
            observed.get((p, t), np.nan)
            for p, t in zip(segs["place_code"].tolist(), segs["service_type"].tolist(), strict=True)
        ],
        index=segs.index,
        dtype=float,
    )
    takes_hospital = segs["service_type"].map(types["hospital"]).astype(bool)
    takes_community = segs["service_type"].map(types["community"]).astype(bool)
    stated = segs["hospital_share"]
    share = stated.where(stated.notna(), seen)
    basis = np.where(stated.notna(), "stated", "observed from referrals")
    basis = np.where(share.isna(), "not known: split evenly", basis)
    share = share.fillna(0.5)
    both = (takes_hospital & takes_community).to_numpy()
    share = share.where(both, takes_hospital.astype(float))
    basis = np.where(both, basis, "service type takes one source")
    return segs.assign(hospital_share_used=share.to_numpy(float), hospital_share_basis=basis)


def _grid(links: pd.DataFrame, months: list[Month], inputs: PlanInputs) -> pd.DataFrame:
    """One row per link, source its service type takes, and month."""
    services = inputs.services.set_index("service_id")
    types = inputs.service_types.set_index("service_type")
    base = links[["service_id", "place_code", "place_share", "place_share_basis"]].assign(
        service_type=lambda d: d["service_id"].map(services["service_type"])
    )
    parts = []
    for source in SOURCES:
        takes = base["service_type"].map(types[source]).astype(bool)
        parts.append(base[takes.to_numpy()].assign(source=source))
    grid = pd.concat(parts, ignore_index=True)
    month_frame = pd.DataFrame(
        {
            "month": [m.key for m in months],
            "days_in_month": [m.days for m in months],
            "_first_day": pd.to_datetime([m.first_day for m in months]),
        }
    )
    grid = grid.merge(month_frame, how="cross")
    # A retired service has no row from the month it was retired from: its type's demand
    # there goes to the other services of the type, or shows as unmet.
    stop = pd.to_datetime(grid["service_id"].map(retirement(inputs.services)))
    grid = grid[stop.isna() | (grid["_first_day"] < stop)]
    return grid.drop(columns="_first_day").reset_index(drop=True)


def _segment_rows(segs: pd.DataFrame, index: dict[tuple, int]) -> tuple[np.ndarray, np.ndarray]:
    def lookup(source: str) -> np.ndarray:
        return np.array(
            [
                index.get((s, p, source, m), -1)
                for s, p, m in zip(
                    segs["service_id"].tolist(),
                    segs["place_code"].tolist(),
                    segs["month"].tolist(),
                    strict=True,
                )
            ],
            dtype=int,
        )

    return lookup("hospital"), lookup("community")


def _row_statics(rows: pd.DataFrame, segs: pd.DataFrame) -> pd.DataFrame:
    """For each row: its dominant segment, days covered, segment count, ids and change dates.

    The dominant segment is the one covering most days of the row's month (the
    later one on a tie).
    """
    n = len(rows)
    seg_index = np.arange(len(segs))
    pairs = pd.DataFrame(
        {
            "row": np.concatenate([segs["row_h"].to_numpy(int), segs["row_c"].to_numpy(int)]),
            "seg": np.concatenate([seg_index, seg_index]),
        }
    )
    pairs = pairs[pairs["row"] >= 0]
    pairs = pairs.assign(
        days=segs["seg_days"].to_numpy(int)[pairs["seg"]],
        param_id=segs["param_id"].to_numpy(int)[pairs["seg"]],
        start=segs["seg_start"].to_numpy()[pairs["seg"]],
        equal=segs["method"].isin(following_demand()).to_numpy()[pairs["seg"]],
    )
    by_row = pairs.groupby("row")
    dominant = np.full(n, -1)
    last = pairs.sort_values(["row", "days", "seg"]).drop_duplicates("row", keep="last")
    dominant[last["row"].to_numpy()] = last["seg"].to_numpy()
    days = np.zeros(n, dtype=int)
    count = np.zeros(n, dtype=int)
    any_equal = np.zeros(n, dtype=bool)
    sums = by_row.agg(days=("days", "sum"), count=("seg", "size"), equal=("equal", "any"))
    days[sums.index] = sums["days"]
    count[sums.index] = sums["count"]
    any_equal[sums.index] = sums["equal"]
    by_id = pairs.sort_values(["row", "param_id"])
    ids = _join_per_row(n, by_id["row"].to_numpy(), by_id["param_id"].astype(str).to_numpy(), ",")
    later = pairs.sort_values(["row", "start"])
    later = later[later.duplicated("row")]  # every start but the first of its row
    changes = _join_per_row(
        n, later["row"].to_numpy(), later["start"].dt.strftime("%-d %b").to_numpy(), ", "
    )
    return rows.assign(
        dominant_seg=dominant,
        days_covered=days,
        segments=count,
        any_equal=any_equal,
        param_ids=ids,
        changes=changes,
    )


def _join_per_row(n: int, rows: np.ndarray, texts: np.ndarray, sep: str) -> np.ndarray:
    """For rows 0..n-1, the ``texts`` of each (``rows`` sorted) joined by ``sep``; else ""."""
    out = np.full(n, "", dtype=object)
    if len(rows):
        starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        for row, part in zip(rows[starts], np.split(texts, starts[1:]), strict=True):
            out[row] = sep.join(part)
    return out


def _describe(rows: pd.DataFrame, inputs: PlanInputs) -> pd.DataFrame:
    """Columns that name and order each row; they do not change with a scenario."""
    services = inputs.services.set_index("service_id")
    types = inputs.service_types.set_index("service_type")
    places = inputs.places.set_index("place_code")
    windows = {p: w.label for p, w in inputs.windows.items()}
    return rows.assign(
        service=rows["service_id"].map(services["name"]).fillna(NO_SERVICE),
        contract=rows["service_id"].map(services["contract"]),
        service_type_name=rows["service_type"].map(types["name"]),
        pathway=np.where(
            rows["source"] == "hospital", rows["service_type"].map(types["pathway"]), None
        ),
        setting=rows["service_type"].map(types["setting"]),
        sort_order=rows["service_type"].map(types["sort_order"]),
        source_rank=rows["source"].map({"hospital": 0, "community": 1}),
        place=rows["place_code"].map(places["name"]),
        data_window=_type_windows(rows, inputs.demand, windows),
        covered=_covered(rows, inputs),
        no_demand_data=demand_sources(rows, inputs)[2],
        group_id=rows.groupby(["service_id", "place_code", "source"], sort=False).ngroup(),
    )


def _covered(rows: pd.DataFrame, inputs: PlanInputs) -> list[bool]:
    """Whether each row's month is covered by its demand source's data, so that no figure
    for it means none: the SitRep's loaded months for a type planned from the SitRep, the
    place's local data (records, counts) for any other."""
    choices = inputs.demand_sources or {}
    by_sitrep = {key for key, choice in choices.items() if choice.source == "sitrep"}
    local, national = inputs.covered_months, inputs.sitrep_months
    return [
        (national if (p, t) in by_sitrep else local).get((p, m), 0) > 0
        for p, t, m in zip(
            rows["place_code"].tolist(),
            rows["service_type"].tolist(),
            rows["month"].tolist(),
            strict=True,
        )
    ]


def demand_sources(frame: pd.DataFrame, inputs: PlanInputs) -> tuple[list, list, np.ndarray]:
    """For each row (place_code, service_type, source): the demand source's label, why it
    was chosen, and whether the row has no demand data at all.

    A place and service type with no source has none; so has a community row whose type
    is planned from the SitRep (it counts hospital discharges only). Inputs made without
    a choice of source (by hand, in a test) leave every label blank.
    """
    n = len(frame)
    if inputs.demand_sources is None:
        return [""] * n, [""] * n, np.zeros(n, dtype=bool)
    none = SourceChoice(None, "no referral records, monthly counts or SitRep figures")
    labels, reasons, missing = [], [], np.zeros(n, dtype=bool)
    for i, (p, t, src) in enumerate(
        zip(
            frame["place_code"].tolist(),
            frame["service_type"].tolist(),
            frame["source"].tolist(),
            strict=True,
        )
    ):
        choice = inputs.demand_sources.get((p, t), none)
        if choice.source == "sitrep" and src == "community":
            choice = SourceChoice(None, COMMUNITY_NOT_IN_SITREP)
        labels.append(choice.label)
        reasons.append(choice.reason)
        missing[i] = choice.source is None
    return labels, reasons, missing


def _type_windows(rows: pd.DataFrame, demand: pd.DataFrame, windows: dict[str, str]) -> list:
    """Each row's window of history: its service type's at the place, else the place's."""
    by_type = (
        {}
        if "data_window" not in demand
        else {
            (p, t): w
            for p, t, w in zip(
                demand["place_code"].tolist(),
                demand["service_type"].tolist(),
                demand["data_window"].tolist(),
                strict=True,
            )
            if isinstance(w, str)
        }
    )
    return [
        by_type.get((p, t), windows.get(p, "no referral data"))
        for p, t in zip(rows["place_code"].tolist(), rows["service_type"].tolist(), strict=True)
    ]


def prepare(inputs: PlanInputs) -> PlanModel:
    """Lay the inputs out for computing (independent of any scenario)."""
    months = planning_year_months(inputs.year)
    services = inputs.services.set_index("service_id")
    types = inputs.service_types.set_index("service_type")
    # Every served place's share (the model keeps them for the flow model's pools); the plan's
    # own links are the rows of the places planned.
    shares = every_place_share(
        inputs.service_places, inputs.all_places, inputs.parameters, inputs.service_use
    )
    links = (
        shares
        if shares.empty
        else shares[shares["place_code"].isin(inputs.places["place_code"])].reset_index(drop=True)
    )
    segs = parameter_segments(until_retired(inputs.parameters, inputs.services), links, months)
    segs["service_type"] = segs["service_id"].map(services["service_type"])
    segs["setting"] = segs["service_type"].map(types["setting"])
    segs = _hospital_shares(segs, inputs)
    segs = segs.assign(caseload_factor=1.0, caseload_extra=0.0, hours_factor=1.0, scenario_note="")
    rows = _grid(links, months, inputs)
    rows = _describe(rows, inputs).sort_values(ORDER).reset_index(drop=True)
    index = {
        key: i
        for i, key in enumerate(
            zip(
                rows["service_id"].tolist(),
                rows["place_code"].tolist(),
                rows["source"].tolist(),
                rows["month"].tolist(),
                strict=True,
            )
        )
    }
    segs["row_h"], segs["row_c"] = _segment_rows(segs, index)
    rows = _row_statics(rows, segs)
    candidates: dict[tuple, list[int]] = {}
    for i, key in enumerate(
        zip(
            rows["place_code"].tolist(),
            rows["service_type"].tolist(),
            rows["source"].tolist(),
            rows["month"].tolist(),
            strict=True,
        )
    ):
        candidates.setdefault(key, []).append(i)
    demand = inputs.demand[inputs.demand["place_code"].isin(inputs.places["place_code"])]
    demand = demand.assign(scenario_note="").reset_index(drop=True)
    return PlanModel(inputs, segs, demand, rows, index, candidates, shares)


# -- compute ------------------------------------------------------------------


def _sum_to_rows(n: int, targets: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sum ``values`` into ``n`` rows (skipping target −1 and NaN); also count what was added."""
    keep = (targets >= 0) & ~np.isnan(values)
    total = np.bincount(targets[keep], weights=values[keep], minlength=n)
    count = np.bincount(targets[keep], minlength=n)
    return total, count


def _capacity_by_row(model: PlanModel, names: dict[str, str]) -> dict[str, np.ndarray]:
    segs = model.segments
    result = segment_capacity(segs, names)
    share = segs["hospital_share_used"].to_numpy(float)
    checked(lambda: f.check_share("hospital_share", share), segs["service_id"], names)
    n = len(model.rows)
    row_h, row_c = segs["row_h"].to_numpy(int), segs["row_c"].to_numpy(int)
    capacity = np.zeros(n)
    spot = np.zeros(n)
    spot_count = np.zeros(n)
    for rows_of, part in ((row_h, share), (row_c, 1 - share)):
        total, _ = _sum_to_rows(n, rows_of, result["capacity"] * part)
        capacity += total
        spot_total, counted = _sum_to_rows(n, rows_of, result["spot"] * part)
        spot += spot_total
        spot_count += counted
    return {
        "capacity": capacity,
        "spot": np.where(spot_count > 0, spot, np.nan),
        "caseload_used": result["caseload_used"],
    }


def _calculations(model: PlanModel, caseload_used: np.ndarray) -> list[str]:
    segs = model.segments
    texts: list[list[tuple]] = [[] for _ in range(len(model.rows))]
    needed = [
        "method",
        "seg_days",
        "caseload",
        "caseload_factor",
        "caseload_extra",
        "hours_per_month",
        "hours_factor",
        "hours_per_package_per_month",
        "mean_los_days",
        "throughput_unit",
        "throughput",
        "days_in_month",
        "periods",
        "target_occupancy",
        "contract_share",
        "place_share",
        "place_share_basis",
        "hospital_share_used",
        "row_h",
        "row_c",
        "seg_start",
    ]
    columns = [segs[c].tolist() for c in needed]
    for values in zip(*columns, strict=True):
        record = dict(zip(needed, values, strict=True))
        base = calculation(record)
        share = record["hospital_share_used"]
        for row, part, label in (
            (record["row_h"], share, "hospital share"),
            (record["row_c"], 1 - share, "community share"),
        ):
            if row < 0:
                continue
            text = (
                base if part == 1 or base == "equal to demand" else f"{base} × {part:.4g} {label}"
            )
            texts[row].append((record["seg_start"], text))
    return [
        parts[0][1]
        if len(parts) == 1
        else " + ".join(t for _, t in sorted(parts, key=itemgetter(0)))
        for parts in texts
    ]


def _named_demand(model: PlanModel, column: str = "demand") -> tuple[np.ndarray, pd.DataFrame]:
    """Demand naming a service here, summed into rows; and the rest, by service type.

    ``column`` may name another figure that adds up as demand does (its spread).
    """
    n = len(model.rows)
    demand = model.demand
    rows = np.array(
        [
            model.row_index.get((s, p, src, m), -1) if s is not None else -1
            for s, p, src, m in zip(
                demand["service_id"].tolist(),
                demand["place_code"].tolist(),
                demand["source"].tolist(),
                demand["month"].tolist(),
                strict=True,
            )
        ],
        dtype=int,
    )
    values = demand[column].to_numpy(float)
    named = rows >= 0
    total = np.bincount(rows[named], weights=np.nan_to_num(values[named]), minlength=n)
    has_value = (
        np.bincount(rows[named], weights=(~np.isnan(values[named])).astype(float), minlength=n) > 0
    )
    seen = np.bincount(rows[named], minlength=n) > 0
    out = np.where(has_value, total, np.where(seen, np.nan, np.nan))
    # A month the place's data cover with nothing for this service is a month of none, unless
    # no source has data for the place and type at all: that is unknown, never zero.
    fill = model.rows["covered"].to_numpy(bool) & ~model.rows["no_demand_data"].to_numpy(bool)
    out = np.where(~seen & fill, 0.0, out)
    rest = demand[~named]
    by_type = rest.groupby(
        ["place_code", "service_type", "source", "month"], as_index=False, sort=False
    )[column].sum(min_count=1)
    return out, by_type.rename(columns={column: "demand"})


def _allocate(
    model: PlanModel, demand: np.ndarray, capacity: np.ndarray, by_type: pd.DataFrame
) -> tuple[np.ndarray, list[str], pd.DataFrame]:
    """Share type-level demand among candidate rows; return what no service here takes."""
    rows = model.rows
    notes = [""] * len(rows)
    demand = demand.copy()
    equal = rows["any_equal"].to_numpy(bool)
    orphans = []
    keys = zip(
        by_type["place_code"].tolist(),
        by_type["service_type"].tolist(),
        by_type["source"].tolist(),
        by_type["month"].tolist(),
        strict=True,
    )
    for key, amount in zip(keys, by_type["demand"].tolist(), strict=True):
        targets = model.candidates.get(key)
        if not targets:
            orphans.append((*key, amount))
            continue
        weights = capacity[targets]
        by_capacity = not equal[targets].any() and (weights > 0).all()
        weights = (
            weights / weights.sum() if by_capacity else np.full(len(targets), 1 / len(targets))
        )
        services = rows["service_id"].to_numpy()[targets]
        count = len(set(services))
        for target, weight in zip(targets, weights, strict=True):
            current = demand[target]
            share = amount * weight if amount == amount else np.nan
            demand[target] = share if np.isnan(current) else current + np.nan_to_num(share)
            if count > 1:
                notes[target] = f"demand for the service type shared across {count} services " + (
                    "by capacity" if by_capacity else "equally"
                )
    unserved = pd.DataFrame(
        orphans, columns=["place_code", "service_type", "source", "month", "demand"]
    )
    return demand, notes, unserved


# A row's flag inputs as a plain tuple: iterating lists is many times quicker than itertuples
# over pandas' text columns.
_FlagInputs = namedtuple("_FlagInputs", FLAG_INPUTS)  # type: ignore[misc]  # noqa: PYI024


def _flags(rows: pd.DataFrame, windows: dict[str, Window]) -> list[str]:
    out = []
    row: Any  # fields named by FLAG_INPUTS, which mypy cannot see
    for row in map(_FlagInputs._make, zip(*(rows[c].tolist() for c in FLAG_INPUTS), strict=True)):
        flags = []
        if row.unserved:
            flags.append(FLAG_NO_SERVICE)
        if row.any_equal:
            flags.append(FLAG_EQUAL_TO_DEMAND)
        if row.contract == "spot":
            flags.append("spot purchased")
        if not row.unserved and row.days_covered == 0:
            flags.append("no parameters in force this month")
        elif row.segments and row.days_covered < row.days_in_month:
            flags.append(f"parameters in force for {row.days_covered} of {row.days_in_month} days")
        if row.changes:
            flags.append(f"parameters change on {row.changes}")
        if row.days_covered and not row.any_equal and row.capacity == 0 and row.demand > 0:
            flags.append(f"no block capacity for {row.source} referrals")
        if row.no_demand_data:
            flags.append(f"{NO_DEMAND_DATA} ({row.source_reason})")
        elif row.demand != row.demand:
            flags.append("no demand data for this month")
        if row.shared_note:
            flags.append(row.shared_note)
        if row.hospital_share_basis == "not known: split evenly":
            flags.append("hospital share not known: capacity split evenly")
        window = windows.get(row.place_code)
        if window is not None and window.short:
            flags.append(
                f"demand window shorter than asked: {len(window.years)} of {window.requested} years"
            )
        if row.scenario_note:
            flags.append(row.scenario_note)
        out.append("; ".join(flags))
    return out


def _with_observed(frame: pd.DataFrame, model: PlanModel) -> list[str]:
    """The rows' flags and any stated LoS or caseload the records contradict (observed.py)."""
    extra = observed_flags(model, frame)
    return [
        f"{flags}; {more}" if flags and more else flags or more
        for flags, more in zip(frame["flags"], extra, strict=True)
    ]


def _parameters(model: PlanModel, caseload_used: np.ndarray) -> pd.DataFrame:
    """The parameter columns of each row, from its dominant segment (after any scenario).

    This chooses which parameter set a month's row shows (every column from the one segment
    covering most of the month, so the row's method, stay and caseload belong together); it
    averages nothing. A group's length of stay, a weighted mean of its members' stays, is
    :func:`capacity.model.group_length_of_stay`. The row's capacity is worked per segment
    and summed, whatever this shows.
    """
    segs = model.segments
    dominant = model.rows["dominant_seg"].to_numpy(int)
    has = dominant >= 0
    wanted = [
        "method",
        "mean_los_days",
        "hours_per_month",
        "hours_factor",
        "hours_per_package_per_month",
        "throughput",
        "throughput_unit",
        "target_occupancy",
        "contract_share",
        "hospital_share_used",
        "hospital_share_basis",
        "source_note",
    ]
    if len(segs):
        picked = segs[wanted].iloc[np.where(has, dominant, 0)].reset_index(drop=True)
        caseload = caseload_used[np.where(has, dominant, 0)]
    else:  # no parameter in force all year: there is no segment to take even a placeholder from
        picked = pd.DataFrame(np.nan, index=range(len(dominant)), columns=wanted, dtype=object)
        caseload = np.full(len(dominant), np.nan)
    # The place's part of a shared service: its share of the caseload, hours and throughput.
    share = model.rows["place_share"].to_numpy(float)
    hours = picked["hours_per_month"].astype(float) * picked["hours_factor"].astype(float)
    numbers = {
        "caseload": caseload * share,
        "mean_los_days": picked["mean_los_days"],
        "hours_per_month": hours.to_numpy(float) * share,
        "hours_per_package_per_month": picked["hours_per_package_per_month"],
        "throughput": picked["throughput"].astype(float).to_numpy() * share,
        "target_occupancy": picked["target_occupancy"],
        "contract_share": picked["contract_share"],
        "hospital_share": picked["hospital_share_used"],
    }
    texts = {
        column: picked[column]
        for column in ("method", "throughput_unit", "hospital_share_basis", "source_note")
    }
    if has.all():
        return pd.DataFrame(
            {k: np.asarray(v, float) for k, v in numbers.items()}
            | {k: v.to_numpy() for k, v in texts.items()}
        )
    out = {k: np.where(has, np.asarray(v, float), np.nan) for k, v in numbers.items()}
    out |= {k: v.astype(object).where(has, None).to_numpy() for k, v in texts.items()}
    return pd.DataFrame(out)


def _scenario_notes(model: PlanModel) -> list[str]:
    # Few rows carry a note: keep lists for those alone.
    notes: dict[int, list[str]] = defaultdict(list)
    segs = model.segments
    for note, row_h, row_c in zip(
        segs["scenario_note"].tolist(), segs["row_h"].tolist(), segs["row_c"].tolist(), strict=True
    ):
        if note:
            for row in (row_h, row_c):
                if row >= 0 and note not in notes[row]:
                    notes[row].append(note)
    demand = model.demand
    for note, s, p, t, src, m in zip(
        demand["scenario_note"].tolist(),
        demand["service_id"].tolist(),
        demand["place_code"].tolist(),
        demand["service_type"].tolist(),
        demand["source"].tolist(),
        demand["month"].tolist(),
        strict=True,
    ):
        if not note:
            continue
        targets = (
            [model.row_index[(s, p, src, m)]]
            if (s, p, src, m) in model.row_index
            else model.candidates.get((p, t, src, m), [])
        )
        for row in targets:
            if note not in notes[row]:
                notes[row].append(note)
    out = [""] * len(model.rows)
    for row, texts in notes.items():
        out[row] = "; ".join(texts)
    return out


def compute(model: PlanModel) -> pd.DataFrame:
    """The plan frame from a plan model (after any scenario)."""
    inputs = model.inputs
    names = dict(zip(inputs.services["service_id"], inputs.services["name"], strict=True))
    rows = model.rows
    capacity = _capacity_by_row(model, names)
    demand, by_type = _named_demand(model)
    demand, shared_notes, unserved = _allocate(model, demand, capacity["capacity"], by_type)
    # The spread is shared out as demand is (spreads of parts add: see capacity.interval).
    spread, spread_by_type = _named_demand(model, "demand_spread")
    spread, _, unserved_spread = _allocate(model, spread, capacity["capacity"], spread_by_type)
    unserved = unserved.assign(demand_spread=unserved_spread["demand"].to_numpy(float))
    frame = rows.drop(columns=["dominant_seg"]).assign(
        demand_spread=spread,
        capacity=np.where(rows["days_covered"] > 0, capacity["capacity"], 0.0),
        spot_capacity=capacity["spot"],
        demand=demand,
        shared_note=shared_notes,
        calculation=_calculations(model, capacity["caseload_used"]),
        scenario_note=_scenario_notes(model),
        unserved=False,
    )
    frame = pd.concat([frame, _parameters(model, capacity["caseload_used"])], axis=1)
    first_group = int(rows["group_id"].max()) + 1 if len(rows) else 0
    frame = pd.concat([frame, _unserved(unserved, model, first_group)], ignore_index=True)
    return _finish(frame, model)


def _unserved(unserved: pd.DataFrame, model: PlanModel, first_group: int) -> pd.DataFrame:
    """Rows for demand that no service of its type at the place takes."""
    if unserved.empty:
        return pd.DataFrame()
    inputs = model.inputs
    types = inputs.service_types.set_index("service_type")
    places = inputs.places.set_index("place_code")
    windows = {p: w.label for p, w in inputs.windows.items()}
    groups = unserved.groupby(["place_code", "service_type", "source"], sort=False).ngroup()
    return unserved.assign(
        service_id=None,
        service=NO_SERVICE,
        contract=None,
        capacity=0.0,
        spot_capacity=np.nan,
        method=None,
        days_covered=0,
        segments=0,
        any_equal=False,
        shared_note="",
        unserved=True,
        changes="",
        param_ids="",
        calculation="",
        scenario_note="",
        place_share=np.nan,
        place_share_basis=None,
        hospital_share_basis=None,
        days_in_month=[f.days_in_month(int(m[:4]), int(m[5:])) for m in unserved["month"]],
        service_type_name=unserved["service_type"].map(types["name"]),
        pathway=np.where(
            unserved["source"] == "hospital", unserved["service_type"].map(types["pathway"]), None
        ),
        setting=unserved["service_type"].map(types["setting"]),
        sort_order=unserved["service_type"].map(types["sort_order"]),
        source_rank=unserved["source"].map({"hospital": 0, "community": 1}),
        place=unserved["place_code"].map(places["name"]),
        data_window=_type_windows(unserved, inputs.demand, windows),
        no_demand_data=False,
        group_id=groups.to_numpy() + first_group,
    )


def _keep(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop sources with no capacity and no demand in any month of the year (a service whose
    capacity follows demand stays when there is no demand data, to say so)."""
    activity = (
        (np.nan_to_num(frame["capacity"].to_numpy(float)) > 0)
        | (np.nan_to_num(frame["demand"].to_numpy(float)) > 0)
        | (frame["no_demand_data"].to_numpy(bool) & frame["any_equal"].to_numpy(bool))
    )
    groups = frame["group_id"].to_numpy(int)
    active = (
        np.bincount(groups, weights=activity.astype(float), minlength=int(groups.max()) + 1) > 0
    )
    return frame[active[groups]]


def _finish(frame: pd.DataFrame, model: PlanModel) -> pd.DataFrame:
    frame = frame.reset_index(drop=True)
    equal = frame["any_equal"].to_numpy(bool)
    frame.loc[equal, "capacity"] = frame.loc[equal, "demand"]
    frame.loc[equal, "calculation"] = "equal to demand"
    frame = _keep(frame)
    if frame["unserved"].any():
        frame = frame.sort_values(ORDER)
    frame = frame.reset_index(drop=True)
    labels, reasons, missing = demand_sources(frame, model.inputs)
    frame["demand_source"], frame["source_reason"] = labels, reasons
    frame["no_demand_data"] = missing
    frame.loc[missing, "demand"] = np.nan
    frame.loc[missing & frame["any_equal"].to_numpy(bool), "capacity"] = np.nan
    frame["flags"] = _flags(frame, model.inputs.windows)
    frame["flags"] = _with_observed(frame, model)
    capacity = frame["capacity"].to_numpy(float)
    demand = frame["demand"].to_numpy(float)
    frame["gap"] = f.gap(capacity, demand)
    frame["utilisation"] = f.utilisation(demand, capacity)
    frame["scenario"] = model.scenario
    return _with_interval(_with_demand_basis(frame, model.demand))[PLAN_COLUMNS]


def _with_demand_basis(frame: pd.DataFrame, demand: pd.DataFrame) -> pd.DataFrame:
    """How many years each row's demand rests on, and a sentence on how it was projected."""
    key = ["place_code", "service_type", "source", "month"]
    years = demand.groupby(key)["years_in_month"].max() if len(demand) else pd.Series()
    basis = (
        {
            (p, t): b
            for p, t, b in zip(
                demand["place_code"].tolist(),
                demand["service_type"].tolist(),
                demand["demand_basis"].tolist(),
                strict=True,
            )
            if isinstance(b, str)
        }
        if "demand_basis" in demand
        else {}
    )
    # Plain dictionaries: a lookup per row in a pandas index costs more than the rest of it.
    known = dict(zip(years.index, years.to_numpy(), strict=True))
    n = np.array([known.get(k, 0) for k in zip(*(frame[c].tolist() for c in key), strict=True)])
    n = np.nan_to_num(n.astype(float)).astype(int)
    # Rows repeat a few thousand combinations of basis and years: word each once.
    worded: dict[tuple, str] = {}
    notes = []
    for count, pair in zip(
        n.tolist(),
        zip(frame["place_code"].tolist(), frame["service_type"].tolist(), strict=True),
        strict=True,
    ):
        text = basis.get(pair, "")
        note = worded.get((text, count))
        if note is None:
            note = worded[(text, count)] = _demand_basis_note(text, count)
        notes.append(note)
    notes = [
        f"{NO_DEMAND_DATA}: {reason}"
        if missing
        else f"from {label} ({reason}); {note}"
        if label
        else note
        for label, reason, missing, note in zip(
            frame["demand_source"].tolist(),
            frame["source_reason"].tolist(),
            frame["no_demand_data"].tolist(),
            notes,
            strict=True,
        )
    ]
    return frame.assign(demand_years=n, demand_note=notes)


def _demand_basis_note(basis: str, count: int) -> str:
    """How a row's demand was projected and how many years its calendar month rests on."""
    rests = (
        "no history for this calendar month"
        if count == 0
        else f"this month rests on {count} year{'s' if count != 1 else ''}"
    )
    spread = (
        ""
        if count == 0
        else f"; {NO_INTERVAL}"
        if count == 1
        else f"; {INTERVAL_LEVEL:.0%} prediction interval from their spread"
    )
    return "; ".join(t for t in (basis, rests) if t) + spread


def _with_interval(frame: pd.DataFrame) -> pd.DataFrame:
    """The prediction interval of each row from its demand, spread and years."""
    years = frame["demand_years"].to_numpy(int)
    spread = frame["demand_spread"].to_numpy(float)
    low, high = bounds(frame["demand"].to_numpy(float), spread, years)
    has = (years >= 2) & ~np.isnan(spread)
    return frame.assign(
        demand_low=np.where(has, low, np.nan),
        demand_high=np.where(has, high, np.nan),
        interval_level=np.where(has, INTERVAL_LEVEL, np.nan),
    )


def build_plan(inputs: PlanInputs, scenario: Scenario | None = None) -> pd.DataFrame:
    """The plan frame for ``inputs``, with a scenario's changes if one is given."""
    model = prepare(inputs)
    if scenario is not None:
        model = apply(model, scenario)
    return compute(model)


# -- systems ------------------------------------------------------------------


def roll_up(frame: pd.DataFrame, code: str, name: str) -> pd.DataFrame:
    """Sum a plan frame over its places into one system's rows.

    Demand, capacity and spot capacity add up; gap and utilisation are
    recomputed; a parameter is kept where every place used the same value.
    """
    if frame.empty:
        return frame.assign(place_code=code, place=name)
    return _roll_up_by(frame.assign(system=code), {code: name})


def _roll_up_by(frame: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """Sum the rows of each value of the ``system`` column into that system's rows."""
    key = [
        "system",
        "service_id",
        "service",
        "service_type",
        "service_type_name",
        "pathway",
        "setting",
        "source",
        "month",
        "days_in_month",
        "scenario",
    ]
    frame = frame.assign(
        service_id=frame["service_id"].fillna(""), pathway=frame["pathway"].fillna("")
    )
    grouped = frame.groupby(key, sort=False, dropna=False)
    sums = grouped[["demand", "capacity", "spot_capacity", "demand_spread", *PLACE_PARTS]].sum(
        min_count=1
    )
    sums["demand_years"] = grouped["demand_years"].min()
    kept = [c for c in PARAMETER_COLUMNS if c not in (*PLACE_PARTS, "place_share")]
    same = _same_or_none(
        grouped,
        [
            *kept,
            "method",
            "hospital_share_basis",
            "place_share_basis",
            "source_note",
            "calculation",
            "demand_note",
        ],
    )
    codes = grouped.ngroup().to_numpy()
    text = pd.DataFrame(
        {
            "flags": _union_by(codes, frame["flags"], "; "),
            "param_ids": _union_by(codes, frame["param_ids"], ",", numeric=True),
            "data_window": _union_by(codes, frame["data_window"], "; "),
            "demand_source": _union_by(codes, frame["demand_source"], "; "),
            "places": _union_by(codes, frame["place"], ", ", ordered=True),
        },
        index=sums.index,
    )
    out = pd.concat([sums, same, text], axis=1).reset_index()
    out["place_share"] = _rolled_share(frame, grouped)
    out["calculation"] = out["calculation"].fillna("sum over " + out["places"])
    out["demand_note"] = out["demand_note"].fillna(
        "sum over " + out["places"] + "; their spreads added (see the methodology)"
    )
    out = _with_interval(out)
    out["place_code"] = out["system"]
    out["place"] = out["system"].map(names)
    out["gap"] = f.gap(out["capacity"].to_numpy(float), out["demand"].to_numpy(float))
    out["utilisation"] = f.utilisation(
        out["demand"].to_numpy(float), out["capacity"].to_numpy(float)
    )
    out["service_id"] = out["service_id"].replace("", None)
    out["pathway"] = out["pathway"].replace("", None)
    return out[PLAN_COLUMNS]


def _rolled_share(frame: pd.DataFrame, grouped) -> np.ndarray:
    """A system row's share of the service: the share of the whole its places hold.

    Places that split one pool add their shares (1 when the system holds every
    place of the pool); places planned on their own parameters each hold all of
    their own, so the system holds all of theirs (1). A mix of the two has no
    single share (missing).
    """
    own = (frame["place_share_basis"] == OWN_PARAMETERS).groupby(
        [frame[c] for c in grouped.keys], sort=False, dropna=False
    )
    all_own = own.all().to_numpy(bool)
    any_own = own.any().to_numpy(bool)
    pooled = np.minimum(grouped["place_share"].sum(min_count=1).to_numpy(float), 1.0)
    return np.where(all_own, 1.0, np.where(any_own, np.nan, pooled))


def _same_or_none(grouped, columns: list[str]) -> pd.DataFrame:
    """Per group, each column's value where every row has the same one, else missing.

    A display roll-up for a system's rows: a parameter (a stay among them) is shown only where
    every place used the same one, since no single figure would be true of all of them. It is
    not a group's length of stay (:func:`capacity.model.group_length_of_stay`), which the flow
    model needs and the plan frame does not.
    """
    first = grouped[columns].first()
    distinct = grouped[columns].nunique(dropna=False)
    return first.where(distinct == 1)


def _union_by(
    codes: np.ndarray, values: pd.Series, sep: str, *, numeric: bool = False, ordered: bool = False
) -> list[str]:
    """Per group code, the distinct parts of ``values`` (split on ``sep``) joined again."""
    parts: list[list[str]] = [[] for _ in range(int(codes.max()) + 1 if len(codes) else 0)]
    for code, text in zip(codes.tolist(), values.tolist(), strict=True):
        if text is None or (isinstance(text, float) and text != text):
            continue
        seen = parts[code]
        for part in str(text).split(sep):
            if part and part not in seen:
                seen.append(part)
    if numeric:
        return [sep.join(str(v) for v in sorted(int(p) for p in group)) for group in parts]
    return [sep.join(sorted(group) if ordered else group) for group in parts]


def with_systems(frame: pd.DataFrame, all_places: pd.DataFrame) -> pd.DataFrame:
    """``frame`` followed by each system's rolled-up rows (for systems whose places it holds).

    A place in both a local partnership and an ICB counts in each.
    """
    systems = all_places[all_places["kind"] == "system"]
    pairs = system_members(all_places).rename(columns={"system_code": "system"})
    members = frame.merge(pairs, on="place_code", how="inner")
    if members.empty:
        return frame.reset_index(drop=True)
    rolled = _roll_up_by(members, dict(zip(systems["place_code"], systems["name"], strict=True)))
    order = {code: i for i, code in enumerate(systems["place_code"])}
    rolled = rolled.sort_values("place_code", key=lambda c: c.map(order), kind="stable")
    return pd.concat([frame, rolled], ignore_index=True)


# -- convenience ----------------------------------------------------------------


def plan_for(
    store: Store,
    place: str,
    year: int,
    *,
    window_years: int | None = None,
    growth: float | None = None,
    scenario: Scenario | None = None,
) -> pd.DataFrame:
    """The plan frame for one place or system, named by code or name."""
    all_places = store.query("places")
    target = resolve_place(all_places, place)
    codes = places_in(all_places, target["place_code"])
    if not codes:
        raise PlanError(f"{target['name']} has no member places")
    inputs = load_plan_inputs(store, codes, year, window_years=window_years, growth=growth)
    frame = build_plan(inputs, scenario)
    if target["kind"] == "system":
        return roll_up(frame, target["place_code"], target["name"])
    return frame


def plan_for_all(
    store: Store,
    year: int,
    *,
    window_years: int | None = None,
    growth: float | None = None,
    scenario: Scenario | None = None,
) -> pd.DataFrame:
    """The plan frame for every place, followed by the rows of every system (summed)."""
    all_places = store.query("places")
    codes = list(all_places.loc[all_places["kind"] != "system", "place_code"])
    inputs = load_plan_inputs(store, codes, year, window_years=window_years, growth=growth)
    return with_systems(build_plan(inputs, scenario), all_places)
