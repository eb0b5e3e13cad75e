"""Parameter segments: which figures are in force for each service, place and part of a month.

A segment is one parameter row in force at one place for some days of one
month. Capacity is additive over days, so a month in which a contract changes
(winter flex beds opening on 16 November, say) is the sum of its segments.
This module finds the segments, works out each one's capacity with the
formulas of :mod:`capacity.formulas`, and writes the calculation out in words.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from capacity import formulas as f
from capacity.periods import Month

_FAR_FUTURE = pd.Timestamp("2999-12-31")


class PlanError(ValueError):
    """The plan cannot be built from these inputs; the message says why and where."""


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
    frame = service_places.copy()
    if frame.empty:
        return frame.assign(place_share_basis=pd.Series(dtype=object))
    population = frame["place_code"].map(
        dict(zip(all_places["place_code"], all_places["population_65plus"], strict=True)))
    by_service = frame.groupby("service_id", sort=False)
    links = by_service["place_code"].transform("size")
    all_stated = frame["place_share"].notna().groupby(frame["service_id"], sort=False).transform(
        "all")
    pops = population.astype(float)
    total = pops.groupby(frame["service_id"], sort=False).transform("sum")
    no_population = pops.isna().groupby(frame["service_id"], sort=False).transform("any")
    shared = (links > 1) & ~all_stated
    _refuse_unshareable(frame[shared & (no_population | (total <= 0))], population)
    frame["place_share"] = np.where(links == 1, 1.0,
                                    np.where(all_stated, frame["place_share"], pops / total))
    frame["place_share_basis"] = np.where(
        links == 1, "single place", np.where(all_stated, "stated", "population aged 65+"))
    frame = frame.sort_values("service_id", kind="stable").reset_index(drop=True)
    specific = parameters.dropna(subset=["place_code"])
    own = set(zip(specific["service_id"], specific["place_code"], strict=True))
    is_own = [(s, p) in own for s, p in zip(frame["service_id"], frame["place_code"], strict=True)]
    frame.loc[is_own, "place_share"] = 1.0
    frame.loc[is_own, "place_share_basis"] = "parameters stated for this place"
    return frame[frame["place_code"].isin(place_codes)].reset_index(drop=True)


def _refuse_unshareable(links: pd.DataFrame, population: pd.Series) -> None:
    """Raise for the first service shared by population whose places have none to share by."""
    if links.empty:
        return
    service = sorted(links["service_id"])[0]
    mine = links[links["service_id"] == service]
    missing = ", ".join(mine.loc[population[mine.index].isna(), "place_code"])
    raise PlanError(
        f"Service {service} serves several places with no stated shares, and "
        f"{missing or 'its places'} has no population aged 65+ to share by"
    )


def month_table(months: list[Month]) -> pd.DataFrame:
    """The months as rows: key, first day, first day of the next month, days."""
    return pd.DataFrame({
        "month": [m.key for m in months],
        "month_start": pd.to_datetime([m.first_day for m in months]),
        "month_end": pd.to_datetime([m.end_exclusive for m in months]),
        "days_in_month": [m.days for m in months],
    })


def parameter_segments(
    parameters: pd.DataFrame, links: pd.DataFrame, months: list[Month]
) -> pd.DataFrame:
    """One row per link, month and parameter row in force for part of that month.

    Also counts the throughput periods (months, weeks or weekdays) in each
    segment, since they depend only on its dates.
    """
    pairs = links[["service_id", "place_code", "place_share", "place_share_basis"]]
    specific = parameters.dropna(subset=["place_code"])
    general = parameters[parameters["place_code"].isna()].drop(columns="place_code")
    own = pairs.merge(specific, on=["service_id", "place_code"])
    has_own = set(zip(own["service_id"], own["place_code"], strict=True))
    rest = pairs[[(s, p) not in has_own for s, p in
                  zip(pairs["service_id"], pairs["place_code"], strict=True)]]
    applicable = pd.concat([own, rest.merge(general, on="service_id")], ignore_index=True)
    segs = applicable.merge(month_table(months), how="cross")
    valid_end = segs["valid_to"].fillna(_FAR_FUTURE) + pd.Timedelta(days=1)
    segs["seg_start"] = np.maximum(segs["valid_from"].to_numpy(), segs["month_start"].to_numpy())
    segs["seg_end"] = np.minimum(valid_end.to_numpy(), segs["month_end"].to_numpy())
    segs = segs[segs["seg_end"] > segs["seg_start"]].reset_index(drop=True)
    segs["seg_days"] = (segs["seg_end"] - segs["seg_start"]).dt.days.astype(int)
    segs["periods"] = [
        f.throughput_periods(unit, start.date(), end.date()) if method == "throughput" else np.nan
        for method, unit, start, end in zip(segs["method"], segs["throughput_unit"],
                                            segs["seg_start"], segs["seg_end"], strict=True)
    ]
    return segs


def checked(call, service_ids, names: dict[str, str]):
    """Run a formula over segments; if an input is invalid, name the service it belongs to."""
    try:
        return call()
    except f.InvalidInput as exc:
        ids = list(service_ids)
        position = exc.index if exc.index is not None and exc.index < len(ids) else 0
        service = ids[position] if ids else "?"
        raise exc.for_service(names.get(service, service)) from None


def _masked(formula, segs: pd.DataFrame, mask: np.ndarray, names: dict[str, str], *columns):
    """Apply ``formula`` to the masked rows' columns (arrays), naming the service on error."""
    arrays = [c[mask] if isinstance(c, np.ndarray) else segs[c].to_numpy(float)[mask]
              for c in columns]
    return checked(lambda: formula(*arrays), segs["service_id"].to_numpy()[mask], names)


def segment_capacity(segs: pd.DataFrame, names: dict[str, str]) -> dict[str, np.ndarray]:
    """Each segment's caseload in use, capacity (new people) and spot ceiling, as arrays.

    Capacity here is before the hospital/community split: formula × target
    occupancy × contract share × place share. Scenario adjustments travel in
    the columns ``caseload_extra`` (beds added) and ``hours_factor``.
    """
    method = segs["method"].to_numpy()
    n = len(segs)
    extra = segs["caseload_extra"].to_numpy(float) if "caseload_extra" in segs else np.zeros(n)
    factor = segs["hours_factor"].to_numpy(float) if "hours_factor" in segs else np.ones(n)
    scale = segs["caseload_factor"].to_numpy(float) if "caseload_factor" in segs else np.ones(n)
    caseload = segs["caseload"].to_numpy(float).copy()
    is_hours = method == "hours"
    if is_hours.any():
        hours = segs["hours_per_month"].to_numpy(float) * factor
        caseload[is_hours] = _masked(f.caseload_from_hours, segs, is_hours, names, hours,
                                     "hours_per_package_per_month")
    caseload = caseload * scale + np.where(np.isnan(caseload), 0.0, extra)
    base = np.full(n, np.nan)
    by_caseload = (method == "caseload") | is_hours
    if by_caseload.any():
        base[by_caseload] = _masked(f.capacity_from_caseload, segs, by_caseload, names,
                                    caseload, "seg_days", "mean_los_days")
    is_throughput = method == "throughput"
    if is_throughput.any():
        base[is_throughput] = _masked(f.capacity_from_throughput_periods, segs, is_throughput,
                                      names, "throughput", "periods")
    occupancy = segs["target_occupancy"].to_numpy(float)
    has_occupancy = ~np.isnan(occupancy) & ~np.isnan(base)
    if has_occupancy.any():
        base[has_occupancy] = _masked(f.apply_target_occupancy, segs, has_occupancy, names,
                                      base, occupancy)
    every = np.ones(n, dtype=bool)
    contract = segs["contract_share"].fillna(1.0).to_numpy(float)
    shared = _masked(lambda b, c: f.share_of(b, c, "contract_share"), segs, every, names,
                     base, contract)
    shared = _masked(lambda b, p: f.share_of(b, p, "place_share"), segs, every, names,
                     shared, "place_share")
    fraction = segs["seg_days"].to_numpy(float) / segs["days_in_month"].to_numpy(float)
    spot = segs["spot_ceiling_per_month"].to_numpy(float) * fraction * \
        segs["place_share"].to_numpy(float)
    return {"caseload_used": caseload, "capacity": np.asarray(shared, float), "spot": spot}


def with_capacity(segs: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """``segs`` with the columns caseload_used, capacity_seg and spot_seg added."""
    result = segment_capacity(segs, names)
    return segs.assign(caseload_used=result["caseload_used"], capacity_seg=result["capacity"],
                       spot_seg=result["spot"])


def number(value: float) -> str:
    """A parameter for the calculation text: up to six significant figures."""
    return f"{value:,.6g}"


def calculation(row: dict) -> str:
    """How one segment's capacity was worked out, in words and figures."""
    method, days = row["method"], row["seg_days"]
    extra = row.get("caseload_extra") or 0.0
    scale = row.get("caseload_factor", 1.0)
    scaled = f" × {number(scale)}" if scale == scale and scale != 1 else ""
    added = f" + {number(extra)}" if extra else ""
    if method == "caseload":
        stated = number(row["caseload"])
        caseload = f"({stated}{scaled}{added})" if scaled or added else stated
        text = f"{caseload} × {days} days ÷ {number(row['mean_los_days'])}"
    elif method == "hours":
        factor = row.get("hours_factor", 1.0)
        hours = number(row["hours_per_month"] * factor)
        text = (f"({hours} h ÷ {number(row['hours_per_package_per_month'])} h per package"
                f"{scaled}{added}) × {days} days ÷ {number(row['mean_los_days'])}")
    elif method == "throughput":
        unit, amount = row["throughput_unit"], number(row["throughput"])
        if unit == "month":
            whole = days == row["days_in_month"]
            text = f"{amount} a month" + ("" if whole else f" × {days}/{row['days_in_month']} days")
        elif unit == "week":
            text = f"{amount} a week × {days} days ÷ 7"
        else:
            text = f"{amount} a weekday × {number(row['periods'])} weekdays"
    else:
        return "equal to demand"
    for column, label in (("target_occupancy", "target occupancy"),
                          ("contract_share", "contract share")):
        value = row[column]
        if value is not None and value == value and value != 1:
            text += f" × {number(value)} {label}"
    if row["place_share"] != 1:
        text += f" × {row['place_share']:.4f} place share"
    return text
