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

Demand comes from :mod:`capacity.demand`. Referrals that name only a service
type are shared among that place's services of the type in proportion to
their capacity (equally if any is unknown); with no such service they appear
on a "no commissioned service" row with no capacity.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from capacity import formulas as f
from capacity.demand import (
    Window,
    coverage,
    monthly_history,
    observed_hospital_share,
    project_demand,
)
from capacity.periods import Month, planning_year_months
from capacity.store import Store

SOURCES = ("hospital", "community")
NO_SERVICE = "(no commissioned service)"
BASELINE = "baseline"
METHOD_LABELS = {
    "caseload": "Caseload × days ÷ length of stay",
    "hours": "Hours ÷ hours per package, then caseload × days ÷ length of stay",
    "throughput": "Stated throughput",
    "equal_to_demand": "Capacity assumed equal to demand",
}
FLAG_EQUAL_TO_DEMAND = "capacity assumed equal to demand"
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
    "method",
    "flags",
    *PARAMETER_COLUMNS,
    "hospital_share_basis",
    "place_share_basis",
    "calculation",
    "param_ids",
    "source_note",
    "data_window",
    "scenario",
]
_FAR_FUTURE = pd.Timestamp("2999-12-31")
# Parameter columns that are not copied from the month's dominant segment as they stand.
_NOT_FROM_SEGMENT = ("caseload", "place_share", "hospital_share")


class PlanError(ValueError):
    """The plan cannot be built from these inputs; the message says why and where."""


@dataclass(frozen=True)
class PlanInputs:
    """Everything :func:`build_plan` needs, read from the store once.

    Scenarios change these inputs (never the store), so a what-if rebuilds the
    plan without reading a referral again.
    """

    year: int
    places: pd.DataFrame
    all_places: pd.DataFrame
    service_types: pd.DataFrame
    services: pd.DataFrame
    service_places: pd.DataFrame
    parameters: pd.DataFrame
    demand: pd.DataFrame
    observed_hospital_share: pd.DataFrame
    windows: dict[str, Window] = field(default_factory=dict)
    scenario: str = BASELINE

    def with_changes(self, **changes: object) -> PlanInputs:
        """A copy with some fields replaced (inputs are never changed in place)."""
        return replace(self, **changes)


def load_plan_inputs(
    store: Store, place_codes: list[str], year: int, *, window_years: int = 3, growth: float = 0.0
) -> PlanInputs:
    """Read what the plan for ``place_codes`` (places, not systems) in ``year`` needs."""
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
    projection, windows = project_demand(history, cover, year, window_years, growth)
    return PlanInputs(
        year=year,
        places=scope,
        all_places=all_places,
        service_types=store.query("service_types"),
        services=store.query("services"),
        service_places=store.query("service_places_for_places", places=codes),
        parameters=_with_dates(store.query("parameters_for_places", places=codes)),
        demand=projection,
        observed_hospital_share=observed_hospital_share(history, cover, windows),
        windows=windows,
    )


def _with_dates(parameters: pd.DataFrame) -> pd.DataFrame:
    out = parameters.copy()
    out["valid_from"] = pd.to_datetime(out["valid_from"])
    out["valid_to"] = pd.to_datetime(out["valid_to"])
    return out


# -- places and systems -------------------------------------------------------


def places_in(all_places: pd.DataFrame, code: str) -> list[str]:
    """The place codes a code stands for: itself, or a system's member places."""
    row = all_places.loc[all_places["place_code"] == code]
    if row.empty:
        raise PlanError(f"Unknown place code {code!r}")
    if row.iloc[0]["kind"] != "system":
        return [code]
    members = all_places.loc[all_places["parent_system"] == code, "place_code"]
    return sorted(members)


def resolve_place(all_places: pd.DataFrame, text: str) -> pd.Series:
    """Find a place or system by code or name (case, spacing and '&'/'and' do not matter)."""
    wanted = _normalise(text)
    for column in ("place_code", "name"):
        hit = all_places[all_places[column].map(_normalise) == wanted]
        if len(hit) == 1:
            return hit.iloc[0]
    known = ", ".join(f"{r.name} ({r.place_code})" for r in all_places.itertuples())
    raise PlanError(f"Unknown place {text!r}. Known places: {known}")


def _normalise(text: str) -> str:
    return " ".join(str(text).lower().replace("&", " and ").split())


# -- place shares -------------------------------------------------------------


def resolve_place_shares(
    service_places: pd.DataFrame,
    all_places: pd.DataFrame,
    parameters: pd.DataFrame,
    place_codes: list[str],
) -> pd.DataFrame:
    """Each service–place link of ``place_codes`` with the share of the service's capacity it gets.

    A share stated in service_places is used as is; a service serving one
    place gets all of it; otherwise shares follow population aged 65+. Links
    whose parameters are stated for that place get 1 (the figures are already
    the place's own).
    """
    population = dict(zip(all_places["place_code"], all_places["population_65plus"], strict=True))
    out = [
        _shares_for_service(group, population)
        for _, group in service_places.groupby("service_id", sort=True)
    ]
    if not out:
        return service_places.assign(place_share_basis=pd.Series(dtype=object))
    frame = pd.concat(out, ignore_index=True)
    specific = parameters.dropna(subset=["place_code"])
    own = set(zip(specific["service_id"], specific["place_code"], strict=True))
    is_own = [(s, p) in own for s, p in zip(frame["service_id"], frame["place_code"], strict=True)]
    frame.loc[is_own, "place_share"] = 1.0
    frame.loc[is_own, "place_share_basis"] = "parameters stated for this place"
    return frame[frame["place_code"].isin(place_codes)].reset_index(drop=True)


def _shares_for_service(group: pd.DataFrame, population: dict) -> pd.DataFrame:
    group = group.copy()
    if len(group) == 1:
        group["place_share"] = 1.0
        group["place_share_basis"] = "single place"
    elif group["place_share"].notna().all():
        group["place_share_basis"] = "stated"
    else:
        pops = group["place_code"].map(population)
        if pops.isna().any() or pops.sum() <= 0:
            missing = ", ".join(group.loc[pops.isna(), "place_code"])
            raise PlanError(
                f"Service {group['service_id'].iloc[0]} serves several places with "
                f"no stated shares, and {missing or 'its places'} has no population "
                "aged 65+ to share by"
            )
        group["place_share"] = pops.astype(float) / float(pops.sum())
        group["place_share_basis"] = "population aged 65+"
    return group


# -- parameter segments and capacity -----------------------------------------


def month_table(months: list[Month]) -> pd.DataFrame:
    """The months as rows: key, first day, first day of the next month, days."""
    return pd.DataFrame(
        {
            "month": [m.key for m in months],
            "month_start": pd.to_datetime([m.first_day for m in months]),
            "month_end": pd.to_datetime([m.end_exclusive for m in months]),
            "days_in_month": [m.days for m in months],
        }
    )


def parameter_segments(
    parameters: pd.DataFrame, links: pd.DataFrame, months: list[Month]
) -> pd.DataFrame:
    """One row per link, month and parameter row in force for part of that month."""
    pairs = links[["service_id", "place_code", "place_share"]]
    specific = parameters.dropna(subset=["place_code"])
    general = parameters[parameters["place_code"].isna()].drop(columns="place_code")
    own = pairs.merge(specific, on=["service_id", "place_code"])
    has_own = set(zip(own["service_id"], own["place_code"], strict=True))
    rest = pairs[
        [
            (s, p) not in has_own
            for s, p in zip(pairs["service_id"], pairs["place_code"], strict=True)
        ]
    ]
    applicable = pd.concat([own, rest.merge(general, on="service_id")], ignore_index=True)
    segs = applicable.merge(month_table(months), how="cross")
    valid_end = segs["valid_to"].fillna(_FAR_FUTURE) + pd.Timedelta(days=1)
    segs["seg_start"] = segs[["valid_from", "month_start"]].max(axis=1)
    segs["seg_end"] = pd.concat([valid_end, segs["month_end"]], axis=1).min(axis=1)
    segs = segs[segs["seg_end"] > segs["seg_start"]].reset_index(drop=True)
    segs["seg_days"] = (segs["seg_end"] - segs["seg_start"]).dt.days.astype(int)
    return segs


def _checked(call, segs: pd.DataFrame, mask: np.ndarray, names: dict[str, str]):
    """Run a formula on the masked rows; name the service if an input is invalid."""
    try:
        return call(segs.loc[mask])
    except f.InvalidInput as exc:
        rows = segs.loc[mask]
        position = exc.index if exc.index is not None else 0
        service = rows.iloc[position]["service_id"] if len(rows) else "?"
        raise exc.for_service(names.get(service, service)) from None


def segment_capacity(segs: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """Capacity (new people) of each segment before the hospital/community split."""
    segs = segs.copy()
    method = segs["method"].to_numpy()
    base = np.full(len(segs), np.nan)
    caseload = segs["caseload"].to_numpy(dtype=float, copy=True)
    is_hours = method == "hours"
    if is_hours.any():
        caseload[is_hours] = _checked(
            lambda r: f.caseload_from_hours(
                r["hours_per_month"].to_numpy(float),
                r["hours_per_package_per_month"].to_numpy(float),
            ),
            segs,
            is_hours,
            names,
        )
    segs["caseload_used"] = caseload
    bedded = (method == "caseload") | is_hours
    if bedded.any():
        base[bedded] = _checked(
            lambda r: f.capacity_from_caseload(
                r["caseload_used"].to_numpy(float),
                r["seg_days"].to_numpy(float),
                r["mean_los_days"].to_numpy(float),
            ),
            segs,
            bedded,
            names,
        )
    is_throughput = method == "throughput"
    if is_throughput.any():
        segs["periods"] = np.nan
        segs.loc[is_throughput, "periods"] = _checked(
            lambda r: np.array(
                [
                    f.throughput_periods(u, s.date(), e.date())
                    for u, s, e in zip(
                        r["throughput_unit"], r["seg_start"], r["seg_end"], strict=True
                    )
                ]
            ),
            segs,
            is_throughput,
            names,
        )
        base[is_throughput] = _checked(
            lambda r: f.capacity_from_throughput_periods(
                r["throughput"].to_numpy(float), r["periods"].to_numpy(float)
            ),
            segs,
            is_throughput,
            names,
        )
    has_occupancy = segs["target_occupancy"].notna().to_numpy() & ~np.isnan(base)
    if has_occupancy.any():
        base[has_occupancy] = _checked(
            lambda r: f.apply_target_occupancy(
                base[has_occupancy], r["target_occupancy"].to_numpy(float)
            ),
            segs,
            has_occupancy,
            names,
        )
    segs["capacity_seg"] = _shared(segs, base, names)
    segs["spot_seg"] = _spot(segs, names)
    segs["calculation_seg"] = _calculations(segs)
    return segs


def _shared(segs: pd.DataFrame, base: np.ndarray, names: dict[str, str]) -> np.ndarray:
    everything = np.ones(len(segs), dtype=bool)
    contract = segs["contract_share"].fillna(1.0).to_numpy(float)
    out = _checked(lambda r: f.share_of(base, contract, "contract_share"), segs, everything, names)
    return _checked(
        lambda r: f.share_of(out, r["place_share"].to_numpy(float), "place_share"),
        segs,
        everything,
        names,
    )


def _spot(segs: pd.DataFrame, names: dict[str, str]) -> np.ndarray:
    ceiling = segs["spot_ceiling_per_month"].to_numpy(float)
    fraction = segs["seg_days"].to_numpy(float) / segs["days_in_month"].to_numpy(float)
    return ceiling * fraction * segs["place_share"].to_numpy(float)


def _num(value: float) -> str:
    return f"{value:,.6g}"


def _calculation(row: dict) -> str:
    method, days = row["method"], row["seg_days"]
    if method == "caseload":
        text = f"{_num(row['caseload'])} × {days} days ÷ {_num(row['mean_los_days'])}"
    elif method == "hours":
        text = (
            f"({_num(row['hours_per_month'])} h ÷ {_num(row['hours_per_package_per_month'])} h "
            f"per package) × {days} days ÷ {_num(row['mean_los_days'])}"
        )
    elif method == "throughput":
        unit = row["throughput_unit"]
        amount = _num(row["throughput"])
        if unit == "month":
            whole = days == row["days_in_month"]
            text = f"{amount} a month" + ("" if whole else f" × {days}/{row['days_in_month']} days")
        elif unit == "week":
            text = f"{amount} a week × {days} days ÷ 7"
        else:
            text = f"{amount} a weekday × {_num(row['periods'])} weekdays"
    else:
        return "equal to demand"
    for column, label in (
        ("target_occupancy", "target occupancy"),
        ("contract_share", "contract share"),
    ):
        if pd.notna(row[column]) and row[column] != 1:
            text += f" × {_num(row[column])} {label}"
    if row["place_share"] != 1:
        text += f" × {row['place_share']:.4f} place share"
    return text


def _calculations(segs: pd.DataFrame) -> list[str]:
    if "periods" not in segs:
        segs = segs.assign(periods=np.nan)
    return [_calculation(r) for r in segs.to_dict("records")]


# -- hospital share and source split -----------------------------------------


def attach_hospital_share(segs: pd.DataFrame, inputs: PlanInputs) -> pd.DataFrame:
    """The hospital share each segment uses, and where it came from."""
    types = inputs.service_types.set_index("service_type")
    service_type = segs["service_id"].map(inputs.services.set_index("service_id")["service_type"])
    observed = inputs.observed_hospital_share.set_index(["place_code", "service_type"])[
        "observed_hospital_share"
    ]
    seen = [
        observed.get((p, t), np.nan) for p, t in zip(segs["place_code"], service_type, strict=True)
    ]
    takes_hospital = service_type.map(types["hospital"]).astype(bool)
    takes_community = service_type.map(types["community"]).astype(bool)
    stated = segs["hospital_share"]
    share = stated.where(stated.notna(), pd.Series(seen, index=segs.index))
    basis = np.where(stated.notna(), "stated", "observed from referrals")
    unknown = share.isna()
    share = share.fillna(0.5)
    basis = np.where(unknown, "not known: split evenly", basis)
    share = share.where(takes_hospital & takes_community, takes_hospital.astype(float))
    basis = np.where(takes_hospital & takes_community, basis, "service type takes one source")
    return segs.assign(
        hospital_share_used=share.to_numpy(float),
        hospital_share_basis=basis,
        service_type=service_type,
    )


# -- monthly rows --------------------------------------------------------------


def _share_text(share: pd.Series, source: str) -> pd.Series:
    label = "hospital share" if source == "hospital" else "community share"
    text = share.map(lambda v: f" × {v:.4g} {label}")
    return text.where(share != 1, "")


def _by_source(segs: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """Each segment twice, once per source, with that source's part of its capacity."""
    parts = []
    for source in SOURCES:
        used = segs["hospital_share_used"]
        share = used if source == "hospital" else 1 - used
        capacity = _checked(
            lambda r, s=share: f.share_of(
                r["capacity_seg"].to_numpy(float), s.to_numpy(float), "hospital_share"
            ),
            segs,
            np.ones(len(segs), dtype=bool),
            names,
        )
        parts.append(
            segs.assign(
                source=source,
                capacity_src=capacity,
                spot_src=segs["spot_seg"] * share,
                calculation_src=segs["calculation_seg"] + _share_text(share, source),
                is_equal=segs["method"] == "equal_to_demand",
            )
        )
    return pd.concat(parts, ignore_index=True)


def _joined(both: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """Text that lists every segment of a month: ids, calculations, change dates."""
    counts = both.groupby(key, sort=False)["seg_days"].transform("size")
    single = both[counts == 1]
    out = single[key].assign(
        param_ids=single["param_id"].astype("int64").astype(str),
        calculation=single["calculation_src"],
        changes="",
    )
    multi = both[counts > 1]
    rows = []
    for values, group in multi.groupby(key, sort=False):
        ordered = group.sort_values("seg_start")
        rows.append(
            dict(zip(key, values, strict=True))
            | {
                "param_ids": ",".join(str(int(v)) for v in sorted(ordered["param_id"])),
                "calculation": " + ".join(ordered["calculation_src"]),
                "changes": ", ".join(d.strftime("%-d %b") for d in ordered["seg_start"][1:]),
            }
        )
    return pd.concat([out, pd.DataFrame(rows, columns=out.columns)], ignore_index=True)


def monthly_capacity(
    segs: pd.DataFrame, links: pd.DataFrame, months: list[Month], names: dict[str, str]
) -> pd.DataFrame:
    """Per link, month and source: capacity summed over segments, with the dominant parameters.

    The parameter columns show the values in force for most of the month; the
    ``calculation`` and ``param_ids`` columns list every part.
    """
    key = ["service_id", "place_code", "source", "month"]
    both = _by_source(segs, names).sort_values([*key, "seg_days", "seg_start"])
    grouped = both.groupby(key, sort=False)
    summary = pd.DataFrame(
        {
            "capacity": grouped["capacity_src"].sum(min_count=1),
            "spot_capacity": grouped["spot_src"].sum(min_count=1),
            "days_covered": grouped["seg_days"].sum(),
            "segments": grouped["seg_days"].size(),
            "any_equal": grouped["is_equal"].any(),
        }
    ).reset_index()
    summary = summary.merge(_joined(both, key), on=key, how="left")
    dominant = grouped.tail(1)[
        [
            *key,
            "method",
            "caseload_used",
            *[c for c in PARAMETER_COLUMNS if c not in _NOT_FROM_SEGMENT],
            "hospital_share_used",
            "hospital_share_basis",
            "source_note",
        ]
    ].rename(columns={"caseload_used": "caseload", "hospital_share_used": "hospital_share"})
    summary = summary.merge(dominant, on=key, how="left")
    return _fill_missing_months(summary, links, months)


def _fill_missing_months(
    summary: pd.DataFrame, links: pd.DataFrame, months: list[Month]
) -> pd.DataFrame:
    grid = (
        links[["service_id", "place_code", "place_share", "place_share_basis"]]
        .merge(pd.DataFrame({"source": SOURCES}), how="cross")
        .merge(month_table(months), how="cross")
    )
    out = grid.merge(
        summary,
        how="left",
        on=["service_id", "place_code", "source", "month"],
    )
    out["days_covered"] = out["days_covered"].fillna(0).astype(int)
    out["segments"] = out["segments"].fillna(0).astype(int)
    out["any_equal"] = out["any_equal"].astype("boolean").fillna(False).astype(bool)
    no_params = out["days_covered"] == 0
    out.loc[no_params, "capacity"] = 0.0
    return out.drop(columns=["month_start", "month_end"])


# -- demand -------------------------------------------------------------------


def attach_demand(rows: pd.DataFrame, inputs: PlanInputs) -> pd.DataFrame:
    """Add demand to each link row; add rows for demand no service here takes."""
    services = inputs.services.set_index("service_id")
    rows = rows.assign(service_type=rows["service_id"].map(services["service_type"]))
    demand = inputs.demand[inputs.demand["place_code"].isin(inputs.places["place_code"])]
    linked = set(zip(rows["service_id"], rows["place_code"], strict=True))
    is_named = [
        s is not None and (s, p) in linked
        for s, p in zip(demand["service_id"], demand["place_code"], strict=True)
    ]
    named = demand[is_named][["service_id", "place_code", "source", "month", "demand"]]
    rows = rows.merge(
        named.groupby(["service_id", "place_code", "source", "month"], as_index=False)[
            "demand"
        ].sum(),
        on=["service_id", "place_code", "source", "month"],
        how="left",
    )
    by_type = demand[[not n for n in is_named]]
    by_type = by_type.groupby(["place_code", "service_type", "source", "month"], as_index=False)[
        "demand"
    ].sum(min_count=1)
    rows, unserved = _allocate(rows, by_type)
    return pd.concat([rows, unserved], ignore_index=True)


def _allocate(rows: pd.DataFrame, by_type: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Share type-level demand among the place's services of that type."""
    rows = rows.copy()
    rows["shared_note"] = ""
    key = ["place_code", "service_type", "source", "month"]
    candidates = rows.merge(by_type.rename(columns={"demand": "type_demand"}), on=key)
    if not candidates.empty:
        count = candidates.groupby(key)["service_id"].transform("nunique")
        capacity = candidates["capacity"].where(~candidates["any_equal"])
        total_capacity = capacity.groupby([candidates[k] for k in key]).transform(
            lambda s: s.sum() if s.notna().all() and (s > 0).all() else np.nan
        )
        by_capacity = total_capacity.notna()
        weight = np.where(by_capacity, capacity / total_capacity, 1 / count)
        candidates["allocated"] = candidates["type_demand"] * weight
        candidates["shared_note"] = np.where(
            count > 1,
            "demand for the service type shared across "
            + count.astype(str)
            + " services "
            + np.where(by_capacity, "by capacity", "equally"),
            "",
        )
        merge_key = ["service_id", "place_code", "source", "month"]
        rows = rows.drop(columns="shared_note").merge(
            candidates[[*merge_key, "allocated", "shared_note"]], on=merge_key, how="left"
        )
        rows["shared_note"] = rows["shared_note"].fillna("")
        has_type = rows["allocated"].notna()
        rows["demand"] = np.where(
            has_type, rows["demand"].fillna(0) + rows["allocated"], rows["demand"]
        )
        rows = rows.drop(columns="allocated")
    served = set(zip(rows["place_code"], rows["service_type"], strict=True))
    orphan = by_type[
        [
            (p, t) not in served
            for p, t in zip(by_type["place_code"], by_type["service_type"], strict=True)
        ]
    ]
    return rows, _unserved_rows(orphan)


def _unserved_rows(orphan: pd.DataFrame) -> pd.DataFrame:
    if orphan.empty:
        return pd.DataFrame()
    out = orphan.copy()
    out["service_id"] = None
    out["capacity"] = 0.0
    out["method"] = None
    out["days_covered"] = 0
    out["segments"] = 0
    out["any_equal"] = False
    out["shared_note"] = ""
    out["unserved"] = True
    return out


# -- finishing ----------------------------------------------------------------


def _keep_rows(rows: pd.DataFrame, types: pd.DataFrame) -> pd.DataFrame:
    """Drop sources a service type never takes, and sources with no capacity and no demand."""
    takes = types.set_index("service_type")
    allowed = [
        bool(takes.loc[t, s]) for t, s in zip(rows["service_type"], rows["source"], strict=True)
    ]
    rows = rows[allowed]
    key = ["service_id", "place_code", "source"]
    activity = (rows["capacity"].fillna(0) > 0) | (rows["demand"].fillna(0) > 0)
    keep = activity.groupby([rows[k].fillna("") for k in key]).transform("any")
    return rows[keep.to_numpy()]


def _flags(row: dict, windows: dict[str, Window]) -> str:
    flags = []
    if row.get("unserved"):
        flags.append("no commissioned service of this type here")
    if row["method"] == "equal_to_demand" or row["any_equal"]:
        flags.append(FLAG_EQUAL_TO_DEMAND)
    if row.get("contract") == "spot":
        flags.append("spot purchased")
    if not row.get("unserved") and row["days_covered"] == 0:
        flags.append("no parameters in force this month")
    elif row["segments"] and row["days_covered"] < row["days_in_month"]:
        flags.append(
            f"parameters in force for {row['days_covered']} of {row['days_in_month']} days"
        )
    if row.get("changes"):
        flags.append(f"parameters change on {row['changes']}")
    if row["days_covered"] and row["capacity"] == 0 and (row["demand"] or 0) > 0:
        flags.append(f"no block capacity for {row['source']} referrals")
    if pd.isna(row["demand"]):
        flags.append("no demand data for this month")
    if row.get("shared_note"):
        flags.append(row["shared_note"])
    if row.get("hospital_share_basis") == "not known: split evenly":
        flags.append("hospital share not known: capacity split evenly")
    window = windows.get(row["place_code"])
    if window is not None and window.short:
        flags.append(
            f"demand window shorter than asked: {len(window.years)} of {window.requested} years"
        )
    return "; ".join(flags)


def build_plan(inputs: PlanInputs) -> pd.DataFrame:
    """The plan frame for ``inputs`` (see the module docstring for the method)."""
    months = planning_year_months(inputs.year)
    names = dict(zip(inputs.services["service_id"], inputs.services["name"], strict=True))
    links = resolve_place_shares(
        inputs.service_places,
        inputs.all_places,
        inputs.parameters,
        list(inputs.places["place_code"]),
    )
    segs = parameter_segments(inputs.parameters, links, months)
    segs = segment_capacity(segs, names)
    segs = attach_hospital_share(segs, inputs)
    rows = monthly_capacity(segs, links, months, names)
    rows = attach_demand(rows, inputs)
    rows = _keep_rows(rows, inputs.service_types)
    return _finish(rows, inputs)


def _finish(rows: pd.DataFrame, inputs: PlanInputs) -> pd.DataFrame:
    services = inputs.services.set_index("service_id")
    types = inputs.service_types.set_index("service_type")
    places = inputs.places.set_index("place_code")
    rows = rows.copy()
    rows["days_in_month"] = rows["month"].map(
        {m.key: m.days for m in planning_year_months(inputs.year)}
    )
    rows["contract"] = rows["service_id"].map(services["contract"])
    equal = (rows["method"] == "equal_to_demand") | rows["any_equal"].astype(bool)
    rows.loc[equal, "capacity"] = rows.loc[equal, "demand"]
    rows["flags"] = [_flags(r, inputs.windows) for r in rows.to_dict("records")]
    rows["service"] = rows["service_id"].map(services["name"]).fillna(NO_SERVICE)
    rows["service_type_name"] = rows["service_type"].map(types["name"])
    rows["pathway"] = np.where(
        rows["source"] == "hospital", rows["service_type"].map(types["pathway"]), None
    )
    rows["setting"] = rows["service_type"].map(types["setting"])
    rows["sort_order"] = rows["service_type"].map(types["sort_order"])
    rows["place"] = rows["place_code"].map(places["name"])
    rows["gap"] = f.gap(rows["capacity"].to_numpy(float), rows["demand"].to_numpy(float))
    rows["utilisation"] = f.utilisation(
        rows["demand"].to_numpy(float), rows["capacity"].to_numpy(float)
    )
    rows["data_window"] = (
        rows["place_code"]
        .map({p: w.label for p, w in inputs.windows.items()})
        .fillna("no referral data")
    )
    rows["scenario"] = inputs.scenario
    rows["calculation"] = rows["calculation"].where(~equal, "equal to demand")
    for column in PLAN_COLUMNS:
        if column not in rows:
            rows[column] = None
    rows["source_rank"] = rows["source"].map({"hospital": 0, "community": 1})
    rows = rows.sort_values(["place", "sort_order", "service", "source_rank", "month"])
    return rows[PLAN_COLUMNS].reset_index(drop=True)


# -- systems ------------------------------------------------------------------


def roll_up(frame: pd.DataFrame, code: str, name: str) -> pd.DataFrame:
    """Sum a plan frame over its places into one system's rows.

    Demand, capacity and spot capacity add up; gap and utilisation are
    recomputed; a parameter is kept where every place used the same value.
    """
    if frame.empty:
        return frame.assign(place_code=code, place=name)
    key = [
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
    sums = grouped[["demand", "capacity", "spot_capacity"]].sum(min_count=1)
    same = _same_or_none(
        grouped,
        [
            *PARAMETER_COLUMNS,
            "method",
            "hospital_share_basis",
            "place_share_basis",
            "source_note",
            "calculation",
        ],
    )
    codes = grouped.ngroup().to_numpy()
    text = pd.DataFrame(
        {
            "flags": _union_by(codes, frame["flags"], "; "),
            "param_ids": _union_by(codes, frame["param_ids"], ",", numeric=True),
            "data_window": _union_by(codes, frame["data_window"], "; "),
            "places": _union_by(codes, frame["place"], ", ", ordered=True),
        },
        index=sums.index,
    )
    out = pd.concat([sums, same, text], axis=1).reset_index()
    out["place_share"] = grouped["place_share"].sum(min_count=1).to_numpy()
    out["calculation"] = out["calculation"].fillna("sum over " + out["places"])
    out["place_code"], out["place"] = code, name
    out["gap"] = f.gap(out["capacity"].to_numpy(float), out["demand"].to_numpy(float))
    out["utilisation"] = f.utilisation(
        out["demand"].to_numpy(float), out["capacity"].to_numpy(float)
    )
    out["service_id"] = out["service_id"].replace("", None)
    out["pathway"] = out["pathway"].replace("", None)
    return out[PLAN_COLUMNS]


def _same_or_none(grouped, columns: list[str]) -> pd.DataFrame:
    """Per group, each column's value where every row has the same one, else missing."""
    first = grouped[columns].first()
    distinct = grouped[columns].nunique(dropna=False)
    return first.where(distinct == 1)


def _union_by(
    codes: np.ndarray, values: pd.Series, sep: str, *, numeric: bool = False, ordered: bool = False
) -> list[str]:
    """Per group code, the distinct parts of ``values`` (split on ``sep``) joined again."""
    parts: list[list[str]] = [[] for _ in range(int(codes.max()) + 1 if len(codes) else 0)]
    for code, text in zip(codes, values, strict=True):
        if text is None or (isinstance(text, float) and text != text):
            continue
        seen = parts[code]
        for part in str(text).split(sep):
            if part and part not in seen:
                seen.append(part)
    if numeric:
        return [sep.join(str(v) for v in sorted(int(p) for p in group)) for group in parts]
    return [sep.join(sorted(group) if ordered else group) for group in parts]


# -- convenience ----------------------------------------------------------------


def plan_for(
    store: Store, place: str, year: int, *, window_years: int = 3, growth: float = 0.0
) -> pd.DataFrame:
    """The plan frame for one place or system, named by code or name."""
    all_places = store.query("places")
    target = resolve_place(all_places, place)
    codes = places_in(all_places, target["place_code"])
    if not codes:
        raise PlanError(f"{target['name']} has no member places")
    inputs = load_plan_inputs(store, codes, year, window_years=window_years, growth=growth)
    frame = build_plan(inputs)
    if target["kind"] == "system":
        return roll_up(frame, target["place_code"], target["name"])
    return frame


def plan_for_all(
    store: Store, year: int, *, window_years: int = 3, growth: float = 0.0
) -> pd.DataFrame:
    """The plan frame for every place, followed by the rows of every system (summed)."""
    all_places = store.query("places")
    codes = list(all_places.loc[all_places["kind"] != "system", "place_code"])
    inputs = load_plan_inputs(store, codes, year, window_years=window_years, growth=growth)
    return with_systems(build_plan(inputs), all_places)


def with_systems(frame: pd.DataFrame, all_places: pd.DataFrame) -> pd.DataFrame:
    """``frame`` followed by each system's rolled-up rows (for systems whose places it holds)."""
    parts = [frame]
    for system in all_places[all_places["kind"] == "system"].itertuples():
        members = set(places_in(all_places, system.place_code))
        rows = frame[frame["place_code"].isin(members)]
        if not rows.empty:
            parts.append(roll_up(rows, system.place_code, system.name))
    return pd.concat(parts, ignore_index=True)
