"""Parameter segments: which figures are in force for each service, place and part of a month.

A segment is one parameter row in force at one place for some days of one
month. Capacity is additive over days, so a month in which a contract changes
(winter flex beds opening on 16 November, say) is the sum of its segments.
This module finds the segments, works out each one's capacity with the
formulas its method declares (:mod:`capacity.methods`), and writes the
calculation out in words.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
import pandas as pd

from capacity import formulas as f
from capacity.methods import METHODS, number
from capacity.periods import Month

_FAR_FUTURE = pd.Timestamp("2999-12-31")


class PlanError(ValueError):
    """The plan cannot be built from these inputs; the message says why and where."""


# How a place's share of a service was found (the ``place_share_basis`` of each plan row).
SINGLE_PLACE = "single place"
OWN_PARAMETERS = "parameters stated for this place"
STATED = "stated"
POPULATION = "population aged 65+"
SHARE_OF_USE = "share of use"
USE_COLUMNS = ["service_id", "place_code", "referrals_a_month", "basis"]


def resolve_place_shares(
    service_places: pd.DataFrame,
    all_places: pd.DataFrame,
    parameters: pd.DataFrame,
    place_codes: list[str],
    use: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Each service–place link of ``place_codes`` with the share of the service's capacity it gets.

    A service serving one place gets all of it. A link whose parameters are
    stated for that place gets 1 (the figures are already the place's own).
    The other places of a service share its service-wide figures (its pool),
    in this order of preference:

    1. shares stated in service_places, as stated;
    2. each place's share of use: its referrals a month to the service over
       the demand window ÷ all the pool's places' (``use``, columns
       :data:`USE_COLUMNS`, from :func:`capacity.plan.service_use`; the
       ``basis`` text names the referrals and months counted), where every
       place of the pool has a row and they are not all zero;
    3. population aged 65+.

    Shares of a pool are within 0–1 and add up to 1 over its places.
    """
    frame = every_place_share(service_places, all_places, parameters, use)
    if frame.empty:
        return frame
    return frame[frame["place_code"].isin(place_codes)].reset_index(drop=True)


def every_place_share(
    service_places: pd.DataFrame,
    all_places: pd.DataFrame,
    parameters: pd.DataFrame,
    use: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every link of ``service_places`` with its share, as :func:`resolve_place_shares` finds it.

    The shares of a pool do not depend on which places are asked for, so a caller wanting
    several selections can work them out once and take its rows.
    """
    frame = service_places.copy()
    if frame.empty:
        return frame.assign(place_share_basis=pd.Series(dtype=object))
    frame = frame.sort_values("service_id", kind="stable").reset_index(drop=True)
    specific = parameters.dropna(subset=["place_code"])
    own_links = set(zip(specific["service_id"], specific["place_code"], strict=True))
    services, codes = frame["service_id"].tolist(), frame["place_code"].to_numpy(object)
    own = np.array([(s, p) in own_links for s, p in zip(services, codes, strict=True)], bool)
    shares = np.where(own, 1.0, frame["place_share"].astype(float).to_numpy())
    bases = np.where(own, OWN_PARAMETERS, None)  # type: ignore[call-overload]
    links = frame["service_id"].value_counts()
    populations = dict(zip(all_places["place_code"], all_places["population_65plus"], strict=True))
    uses = _use_by_service(use)
    # One pass over the pools on plain arrays: selecting each pool's rows of a DataFrame
    # costs more than the arithmetic once England's thousand-odd services are planned together.
    pooled = np.flatnonzero(~own)
    for service_id, found in frame.iloc[pooled].groupby("service_id", sort=False).indices.items():
        rows = pooled[found]
        share, basis = _pool_shares(
            service_id,
            codes[rows],
            shares[rows],
            populations,
            use is not None,
            uses.get(service_id),
            links[service_id],
        )
        shares[rows] = share
        bases[rows] = basis
    frame["place_share"] = shares
    # The column keeps the type pandas gives the own-parameters marks (text where there are
    # any), as it always has: a snapshot reads it back the same.
    marks = pd.Series(np.where(own, OWN_PARAMETERS, None), index=frame.index)  # type: ignore[call-overload]
    frame["place_share_basis"] = pd.Series(bases, index=frame.index, dtype=marks.dtype)
    return frame


def _use_by_service(use: pd.DataFrame | None) -> dict[str, tuple[dict[str, float], object]]:
    """Each service's referrals a month by place, and the basis, from ``use`` (looked up once)."""
    if use is None or use.empty:
        return {}
    out: dict[str, tuple[dict[str, float], object]] = {}
    for service, place, count, basis in zip(
        use["service_id"].tolist(),
        use["place_code"].tolist(),
        use["referrals_a_month"].tolist(),
        use["basis"].tolist(),
        strict=True,
    ):
        counts, first_basis = out.setdefault(service, ({}, basis))
        counts[place] = count
    return out


def _pool_shares(
    service_id: str,
    places: np.ndarray,
    stated: np.ndarray,
    populations: dict[str, float],
    use_given: bool,
    mine: tuple[dict[str, float], object] | None,
    links: int,
) -> tuple[np.ndarray, object]:
    """The shares of one service's pool (the places on its service-wide figures), and the basis.

    ``places`` and ``stated`` are the pool's place codes and stated shares (NaN where none);
    ``populations`` maps every place to its population aged 65+; ``mine`` is the service's
    referrals a month by place with their basis (None where it has none).
    """
    if len(places) == 1:
        return np.ones(1), SINGLE_PLACE if links == 1 else "only place on the service-wide figures"
    if not np.isnan(stated).any():
        return stated, STATED
    by_use, missing = _shares_of_use(places, mine)
    if by_use is not None:
        return by_use
    pops = np.array([populations.get(p, np.nan) for p in places], float)
    if np.isnan(pops).any() or pops.sum() <= 0:
        _refuse_unshareable(service_id, places, pops)
    basis = POPULATION if not use_given else f"{POPULATION} ({missing})"
    return pops / pops.sum(), basis


def _shares_of_use(
    places: np.ndarray, mine: tuple[dict[str, float], object] | None
) -> tuple[tuple[np.ndarray, object] | None, str]:
    """Each place's share of the pool's referrals a month and the basis; or None and why not."""
    why = "no referrals to it in the demand window"
    if mine is None:
        return None, why
    by_place, basis = mine
    counts = np.array([by_place.get(p, np.nan) for p in places], float)
    absent = np.isnan(counts)
    if absent.any() and not absent.all():
        return None, f"no referral data from {', '.join(places[absent])} in the demand window"
    if absent.any() or not counts.sum() > 0:
        return None, why
    return (counts / counts.sum(), basis), ""


def _refuse_unshareable(service_id: str, places: np.ndarray, population: np.ndarray) -> None:
    """Raise for a service shared by population whose places have none to share by."""
    missing = ", ".join(places[np.isnan(population)])
    raise PlanError(
        f"Service {service_id} serves several places with no stated shares or referrals, and "
        f"{missing or 'its places'} has no population aged 65+ to share by"
    )


def share_label(share: float, basis: object) -> str:
    """A place share for the calculation text: '20.13% share of use', '44.3% population share'."""
    text = str(basis or "")
    kind = (
        "share of use"
        if text.startswith(SHARE_OF_USE)
        else "population share"
        if text.startswith(POPULATION)
        else "stated share"
        if text == STATED
        else "place share"
    )
    return f"{share * 100:.4g}% {kind}"


def retirement(services: pd.DataFrame) -> dict[str, pd.Timestamp]:
    """The retired services and the first day each gives no capacity (``retired_from``)."""
    if "retired_from" not in services:
        return {}
    retired = services.dropna(subset=["retired_from"])
    return dict(zip(retired["service_id"], pd.to_datetime(retired["retired_from"]), strict=True))


def until_retired(parameters: pd.DataFrame, services: pd.DataFrame) -> pd.DataFrame:
    """The parameter rows as they are in force: a retired service's end the day before its
    retirement, and those starting on or after it are left out.

    The stored rows are untouched (they are the service's history); the plan reads
    them through this so a retired service gives no capacity from its date.
    """
    retired = retirement(services)
    if not retired:
        return parameters
    stop = pd.to_datetime(parameters["service_id"].map(retired))
    last_day = stop - pd.Timedelta(days=1)
    valid_to = parameters["valid_to"]
    cut = stop.notna() & (valid_to.isna() | (valid_to > last_day))
    kept = parameters.assign(valid_to=valid_to.mask(cut, last_day))
    return kept[~(stop.notna() & (kept["valid_from"] >= stop))].reset_index(drop=True)


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
    """One row per link, month and parameter row in force for part of that month.

    Also counts the throughput periods (months, weeks or working days) in each
    segment, since they depend only on its dates.
    """
    pairs = links[["service_id", "place_code", "place_share", "place_share_basis"]]
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
    segs["seg_start"] = np.maximum(segs["valid_from"].to_numpy(), segs["month_start"].to_numpy())
    segs["seg_end"] = np.minimum(valid_end.to_numpy(), segs["month_end"].to_numpy())
    segs = segs[segs["seg_end"] > segs["seg_start"]].reset_index(drop=True)
    segs["seg_days"] = (segs["seg_end"] - segs["seg_start"]).dt.days.astype(int)
    segs["periods"] = [
        f.throughput_periods(unit, start.date(), end.date()) if method == "throughput" else np.nan
        for method, unit, start, end in zip(
            segs["method"], segs["throughput_unit"], segs["seg_start"], segs["seg_end"], strict=True
        )
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
    arrays = [
        c[mask] if isinstance(c, np.ndarray) else segs[c].to_numpy(float)[mask] for c in columns
    ]
    return checked(lambda: formula(*arrays), segs["service_id"].to_numpy()[mask], names)


def _column_reader(
    segs: pd.DataFrame, mask: np.ndarray, own: dict[str, np.ndarray]
) -> Callable[[str], np.ndarray]:
    """A method's view of the masked segments: a column by name, as floats."""

    def column(name: str) -> np.ndarray:
        values = own[name] if name in own else segs[name].to_numpy(float)
        return values[mask]

    return column


def _by_method(
    segs: pd.DataFrame,
    names: dict[str, str],
    target: np.ndarray,
    part: str,
    own: dict[str, np.ndarray],
    method: np.ndarray,
) -> None:
    """Fill ``target`` with each method's ``part`` (caseload or capacity), where it has one."""
    for key, declared in METHODS.items():
        formula = getattr(declared, part)
        mask = method == key
        if formula is None or not mask.any():
            continue
        arguments = [_column_reader(segs, mask, own)]
        if part == "capacity":
            arguments.append(own["caseload_used"][mask])
        target[mask] = checked(
            partial(formula, *arguments), segs["service_id"].to_numpy()[mask], names
        )


def segment_capacity(segs: pd.DataFrame, names: dict[str, str]) -> dict[str, np.ndarray]:
    """Each segment's caseload in use, capacity (new people) and spot ceiling, as arrays.

    Capacity here is before the hospital/community split: the method's formula
    (:mod:`capacity.methods`) × target occupancy × contract share × place
    share. Scenario adjustments travel in the columns ``caseload_factor``,
    ``caseload_extra`` (beds added) and ``hours_factor``.
    """
    method = segs["method"].to_numpy()
    n = len(segs)
    own = {
        column: segs[column].to_numpy(float) if column in segs else np.full(n, default)
        for column, default in (
            ("caseload_extra", 0.0),
            ("hours_factor", 1.0),
            ("caseload_factor", 1.0),
        )
    }
    caseload = segs["caseload"].to_numpy(float).copy()
    _by_method(segs, names, caseload, "caseload", own, method)
    caseload = caseload * own["caseload_factor"] + np.where(
        np.isnan(caseload), 0.0, own["caseload_extra"]
    )
    own["caseload_used"] = caseload
    base = np.full(n, np.nan)
    _by_method(segs, names, base, "capacity", own, method)
    occupancy = segs["target_occupancy"].to_numpy(float)
    has_occupancy = ~np.isnan(occupancy) & ~np.isnan(base)
    if has_occupancy.any():
        base[has_occupancy] = _masked(
            f.apply_target_occupancy, segs, has_occupancy, names, base, occupancy
        )
    every = np.ones(n, dtype=bool)
    contract = segs["contract_share"].fillna(1.0).to_numpy(float)
    shared = _masked(
        lambda b, c: f.share_of(b, c, "contract_share"), segs, every, names, base, contract
    )
    shared = _masked(
        lambda b, p: f.share_of(b, p, "place_share"), segs, every, names, shared, "place_share"
    )
    fraction = segs["seg_days"].to_numpy(float) / segs["days_in_month"].to_numpy(float)
    spot = (
        segs["spot_ceiling_per_month"].to_numpy(float)
        * fraction
        * segs["place_share"].to_numpy(float)
    )
    return {"caseload_used": caseload, "capacity": np.asarray(shared, float), "spot": spot}


def with_capacity(segs: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """``segs`` with the columns caseload_used, capacity_seg and spot_seg added."""
    result = segment_capacity(segs, names)
    return segs.assign(
        caseload_used=result["caseload_used"],
        capacity_seg=result["capacity"],
        spot_seg=result["spot"],
    )


def calculation(row: dict) -> str:
    """How one segment's capacity was worked out, in words and figures."""
    declared = METHODS[row["method"]]
    extra = row.get("caseload_extra") or 0.0
    scale = row.get("caseload_factor", 1.0)
    scaled = f" × {number(scale)}" if scale == scale and scale != 1 else ""
    added = f" + {number(extra)}" if extra else ""
    text = declared.calculation(row, scaled, added)
    if declared.follows_demand:
        return text
    for column, label in (
        ("target_occupancy", "target occupancy"),
        ("contract_share", "contract share"),
    ):
        value = row[column]
        if value is not None and value == value and value != 1:
            text += f" × {number(value)} {label}"
    if row["place_share"] != 1:
        text += f" × {share_label(row['place_share'], row.get('place_share_basis'))}"
    return text
