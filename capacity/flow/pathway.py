"""Flow inputs for a discharge pathway: its modelled services at a place pooled as one.

A lead asks "will pathway 2 cope this winter?" as often as "will the rehab
beds cope?". Pooling every modelled service (caseload or hours method) of a
hospital-discharge pathway (P1, P2 or P3; the pathway is the service type's,
from the reference data) at a place or system gives one service:

- **arrivals**: the sum of the services' demand each day (each month's demand
  from the plan frame, spread over its days by the pooled records' weekday
  pattern when there are enough of them);
- **places**: the sum of their places in force day by day, each
  effective-dated, so one service's winter flex still opens on its own date;
- **stay**: the arrival-weighted mean of their mean stays each day (Σ arrivals
  × stay ÷ Σ arrivals), so arrivals × stay, the occupancy the demand brings,
  is the services' sum; on a day with no arrivals, the place-weighted mean;
- **spread of stays**: that of the pooled completed episodes in the records;
  with fewer than 30, each service's assumed spread around its own mean stay,
  mixed by arrivals (so stays that differ between services widen it);
- **hospital share**: the arrival-weighted mean of the services' shares.

Pooling assumes a person takes the first free place of any service on the
pathway: one queue, first come first served. Separate services each have
their own queue, and a person can wait for one while another has a free
place, so the pooled queue is a best case against the services run apart.
A pathway with one modelled service there pools to that service exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn

import numpy as np
import pandas as pd

from capacity.flow.from_plan import MIN_EPISODES, FlowError, FlowRecords, build
from capacity.flow.inputs import DEFAULT_LOS_CV, FlowInputs, PoolMember, default_in_service
from capacity.model import PlanModel, group_length_of_stay

# Only hospital-discharge pathways have a queue of people waiting to leave hospital; P0
# services (home with little or no support) are planned by throughput, not places.
POOLED_PATHWAYS = ("P1", "P2", "P3")
KEY_PREFIX = "pathway:"
ASSUMPTION = (
    "a person takes the first free place of any service on the pathway (one queue, "
    "first come first served), so the pooled queue is a best case against the "
    "services' separate queues"
)


def pathway_key(pathway: str) -> str:
    """The id a pathway's pool goes by beside service ids: 'P2' → 'pathway:P2'."""
    return f"{KEY_PREFIX}{pathway}"


def pathway_of_key(key: str) -> str | None:
    """The pathway a pool id names ('pathway:P2' → 'P2'); None for anything else."""
    if isinstance(key, str) and key.startswith(KEY_PREFIX):
        return key[len(KEY_PREFIX) :]
    return None


def pathway_label(pathway: str, count: int) -> str:
    """'Pathway 2 – all 2 modelled services (pooled)'; 'its one modelled service' for one."""
    number = pathway.removeprefix("P")
    services = "its one modelled service" if count == 1 else f"all {count} modelled services"
    return f"Pathway {number} – {services} (pooled)"


def pathway_pools(services: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Each hospital-discharge pathway (P1–P3) with at least one modelled service among
    ``services`` (a :func:`capacity.flow.from_plan.flow_services` table) → those services, in
    the table's order."""
    pools = {}
    for pathway in POOLED_PATHWAYS:
        members = services[services["modelled"] & (services["pathway"] == pathway)]
        if not members.empty:
            pools[pathway] = members.reset_index(drop=True)
    return pools


def resolve_pathway(services: pd.DataFrame, text: str, place: str) -> str:
    """The pathway ``text`` names ('P2', 'p2', '2' or 'pathway:P2') if it can be pooled here.

    An unknown pathway, P0, or one with no modelled service at the place
    raises FlowError listing the pathways that can be run there.
    """
    raw = str(text).strip().upper().removeprefix(KEY_PREFIX.upper())
    wanted = raw if raw.startswith("P") else f"P{raw}"
    pools = pathway_pools(services)
    if wanted in pools:
        return wanted
    if wanted == "P0":
        why = "P0 (home with little or no new support) has no places to queue for"
    elif wanted in POOLED_PATHWAYS:
        why = f"{wanted} has no service with a caseload and a length of stay at {place}"
    else:
        why = f"Unknown pathway {text!r}"
    return _refuse(why, pools, place)


def _refuse(why: str, pools: dict[str, pd.DataFrame], place: str) -> NoReturn:
    if not pools:
        raise FlowError(f"{why}. No pathway at {place} has a modelled service.")
    listing = "; ".join(f"{p} ({', '.join(m['service'])})" for p, m in pools.items())
    raise FlowError(f"{why}. Pathways with modelled services at {place}: {listing}")


# -- pooling --------------------------------------------------------------------


def _shares(*weights: np.ndarray) -> np.ndarray:
    """Each row's share of its column's total, by the first weights with a total above 0
    (else equal shares). Rows are services, columns days (or one column)."""
    rows = weights[0].shape[0]
    shares = np.full(weights[0].shape, 1 / rows)
    for weight in reversed(weights):
        total = weight.sum(axis=0)
        known = total > 0
        # x ÷ x is exactly 1, so one service's shares are exactly 1 and it pools to itself.
        shares = np.where(known, weight / np.where(known, total, 1), shares)
    return shares


def member_of(inputs: FlowInputs, name: str) -> PoolMember:
    """A service's weight in a pool: its place-days, arrivals and arrival-weighted mean stay
    over the inputs' days."""
    arrivals = inputs.monthly_mean_arrivals
    # The days are the members here: a year with no arrivals weighs each day alike.
    stay = group_length_of_stay(inputs.mean_los_days, arrivals, weighting="arrivals")
    return PoolMember(
        service_id=inputs.service_id,
        name=name,
        service_type=inputs.service_type,
        contract=inputs.contract,
        place_days=float(np.sum(inputs.caseload)),
        arrivals=float(arrivals.sum()),
        mean_los_days=float(stay),
    )


def mixed_los_cv(members: Sequence[PoolMember], cv: float) -> float:
    """The spread of stays of a pool whose services each have spread ``cv`` around their own
    mean stay, mixed by arrivals: CV² = Σ wᵢ (μᵢ/μ)² cv² + Σ wᵢ (μᵢ/μ − 1)², μ = Σ wᵢ μᵢ."""
    arrivals = np.array([m.arrivals for m in members])
    place_days = np.array([m.place_days for m in members])
    weights = _shares(arrivals[:, None], place_days[:, None])[:, 0]
    means = np.array([m.mean_los_days for m in members])
    mean = group_length_of_stay(means, arrivals, weighting="arrivals", fallback=place_days)
    ratio = means / float(mean)
    return float(np.sqrt((weights * ratio**2).sum() * cv**2 + (weights * (ratio - 1) ** 2).sum()))


def _pool_spread(
    members: Sequence[PoolMember], records: FlowRecords | None, default_cv: float
) -> tuple[float, str]:
    if records is not None and records.completed >= MIN_EPISODES and records.mean_los_days > 0:
        cv = records.sd_los_days / records.mean_los_days
        return float(cv), (
            f"coefficient of variation {cv:.2f} from {records.completed:,} "
            f"completed episodes of the pooled services, {records.window}"
        )
    cv = mixed_los_cv(members, default_cv)
    return cv, (
        f"coefficient of variation {cv:.2f}: each service's stays assumed to spread "
        f"with coefficient {default_cv:g} around its own mean, mixed by arrivals "
        f"(fewer than {MIN_EPISODES} completed episodes of the pooled services in the "
        "records)"
    )


def pool(
    services: Sequence[FlowInputs],
    names: Sequence[str],
    pathway: str,
    records: FlowRecords | None = None,
    *,
    label: str = "",
    place_code: str = "",
    default_cv: float = DEFAULT_LOS_CV,
) -> FlowInputs:
    """One service's flow inputs from several over the same days, pooled as one queue.

    ``services`` are each service's inputs (built with the pooled ``records``,
    so they share its weekday pattern); ``names`` their names. Arrivals and
    places are summed day by day; the stay is the arrival-weighted mean of the
    stays (the place-weighted mean on a day with no arrivals); see the module
    docstring for the spread and the hospital share. One service pools to itself.
    """
    if not services:
        raise FlowError(f"{pathway} has no services to pool")
    dates = np.asarray(services[0].dates, "datetime64[D]")
    if any(not np.array_equal(np.asarray(s.dates, "datetime64[D]"), dates) for s in services):
        raise FlowError("the services to pool do not cover the same days")
    members = tuple(member_of(s, n) for s, n in zip(services, names, strict=True))
    stack = {
        name: np.stack([np.asarray(getattr(s, name), float) for s in services])
        for name in ("arrivals_per_day", "caseload", "mean_los_days")
    }
    mean_arrivals = np.stack([s.monthly_mean_arrivals for s in services])
    yearly = _shares(
        np.array([[m.arrivals] for m in members]), np.array([[m.place_days] for m in members])
    )[:, 0]
    cv, cv_basis = _pool_spread(members, records, default_cv)
    contracts = sorted({s.contract for s in services})
    mixed = len(contracts) > 1
    pooled = services[0].with_changes(
        dates=dates,
        arrivals_per_day=stack["arrivals_per_day"].sum(axis=0),
        mean_arrivals_per_day=mean_arrivals.sum(axis=0),
        caseload=stack["caseload"].sum(axis=0),
        mean_los_days=group_length_of_stay(
            stack["mean_los_days"], mean_arrivals, weighting="arrivals", fallback=stack["caseload"]
        ),
        los_cv=cv,
        hospital_share=float((yearly * [s.hospital_share for s in services]).sum()),
        label=label or pathway_label(pathway, len(services)),
        place_code=place_code or services[0].place_code,
        service_id=pathway_key(pathway),
        service_type=services[0].service_type
        if len({s.service_type for s in services}) == 1
        else "",
        contract="block" if mixed else contracts[0],
        pathway=pathway,
        members=members,
        basis=_pool_basis(services[0].basis, members, pathway, cv_basis),
        notes=_pool_notes(services, names, mixed),
    )
    return pooled.with_changes(in_service_today=default_in_service(pooled))


def _pool_basis(
    first: dict[str, str], members: Sequence[PoolMember], pathway: str, cv_basis: str
) -> dict[str, str]:
    names = ", ".join(m.name for m in members)
    return first | {
        "pool": f"{pathway}: {names}; {ASSUMPTION}",
        "arrivals": f"the sum of the pooled services' demand: {first.get('arrivals', '')}",
        "places": "the sum of the pooled services' places in force each day (each "
        "effective-dated: caseload × place share × contract share, from the plan's "
        "parameters); rounded to whole places",
        "los": "the arrival-weighted mean of the pooled services' mean stays in force each day "
        "(Σ arrivals × stay ÷ Σ arrivals, so the pool's arrivals × stay is the "
        "services' sum; the place-weighted mean on a day with no arrivals)",
        "los_cv": cv_basis,
    }


def _pool_notes(
    services: Sequence[FlowInputs], names: Sequence[str], mixed_contracts: bool
) -> tuple[str, ...]:
    notes = [f"{name}: {note}" for s, name in zip(services, names, strict=True) for note in s.notes]
    if mixed_contracts:
        notes.append(
            "the pool mixes block and spot contracts: its places are costed as block "
            "(every place paid for, full or empty)"
        )
    return tuple(notes)


def build_pathway(
    model: PlanModel,
    frame: pd.DataFrame,
    place_codes: list[str],
    pathway: str,
    members: pd.DataFrame,
    records: FlowRecords | None = None,
    *,
    label: str = "",
    place_code: str = "",
    weekday: bool = True,
    default_cv: float = DEFAULT_LOS_CV,
) -> FlowInputs:
    """Flow inputs for ``pathway``'s pool over ``place_codes``: each of ``members`` (rows of
    :func:`capacity.flow.from_plan.flow_services`) built as one service, then :func:`pool`."""
    services = [
        build(
            model,
            frame,
            place_codes,
            row.service_id,
            records,
            place_code=place_code,
            weekday=weekday,
            default_cv=default_cv,
        )
        for row in members.itertuples()
    ]
    return pool(
        services,
        list(members["service"]),
        pathway,
        records,
        label=label,
        place_code=place_code,
        default_cv=default_cv,
    )
