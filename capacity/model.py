"""The plan model: the plan's inputs laid out for computing, with its columns declared.

:func:`capacity.plan.prepare` builds a :class:`PlanModel` from the data; a
scenario changes it (:func:`capacity.scenarios.applying.apply` returns a new one);
:func:`capacity.plan.compute` turns it into the plan frame. The flow inputs
and the observed-against-stated checks read it too, through the named
functions here rather than by column name, so the segments' layout lives in
one place: :data:`SEGMENT_COLUMNS` says every column and its kind, and a model
whose segments lack one, or hold the wrong kind, is refused when it is built.

This module imports nothing else of the plan, so the plan, the scenarios and
the flow inputs can all import it without a cycle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from capacity.demand import Window
from capacity.segments import PlanError

BASELINE_LABEL = "Baseline"
LosWeighting = Literal["places", "arrivals", "days"]
"""What a group's length of stay is weighted by: its members' places in force, their arrivals
(so arrivals × stay adds up to the members' occupancy), or the days each is in force."""

# The kinds a column may hold: a number (integer or float), a whole number, text, or a day.
NUMBER, INTEGER, TEXT, DAY = "number", "integer", "text", "day"

SEGMENT_COLUMNS: Mapping[str, str] = {
    # which service, place and parameter row the segment is
    "service_id": TEXT,
    "place_code": TEXT,
    "param_id": INTEGER,
    "service_type": TEXT,
    "setting": TEXT,
    "place_share": NUMBER,
    "place_share_basis": TEXT,
    # the parameters in force (see capacity.methods for which a method uses)
    "method": TEXT,
    "caseload": NUMBER,
    "mean_los_days": NUMBER,
    "hours_per_month": NUMBER,
    "hours_per_package_per_month": NUMBER,
    "throughput": NUMBER,
    "throughput_unit": TEXT,
    "hospital_share": NUMBER,
    "contract_share": NUMBER,
    "target_occupancy": NUMBER,
    "spot_ceiling_per_month": NUMBER,
    "source_note": TEXT,
    "valid_from": DAY,
    "valid_to": DAY,
    # the part of the month it covers
    "month": TEXT,
    "month_start": DAY,
    "month_end": DAY,
    "days_in_month": INTEGER,
    "seg_start": DAY,
    "seg_end": DAY,
    "seg_days": INTEGER,
    "periods": NUMBER,
    # the hospital share in use and where it came from
    "hospital_share_used": NUMBER,
    "hospital_share_basis": TEXT,
    # what a scenario changes (1, 0, 1 and "" in the baseline)
    "caseload_factor": NUMBER,
    "caseload_extra": NUMBER,
    "hours_factor": NUMBER,
    "scenario_note": TEXT,
    # the plan rows (hospital and community) the segment adds to; −1 for none
    "row_h": INTEGER,
    "row_c": INTEGER,
}

DEMAND_COLUMNS: Mapping[str, str] = {
    "place_code": TEXT,
    "service_type": TEXT,
    "service_id": TEXT,
    "source": TEXT,
    "month": TEXT,
    "demand": NUMBER,
    "scenario_note": TEXT,
    # the spread of next year's figure around the projection (capacity.interval); NaN for one year
    "demand_spread": NUMBER,
}

_KIND_CHECKS = {
    NUMBER: pd.api.types.is_numeric_dtype,
    INTEGER: pd.api.types.is_integer_dtype,
    TEXT: lambda dtype: pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype),
    DAY: pd.api.types.is_datetime64_any_dtype,
}


class ModelError(PlanError):
    """A plan model whose frames do not have the declared columns."""


def check_columns(frame: pd.DataFrame, declared: Mapping[str, str], what: str) -> pd.DataFrame:
    """Return ``frame`` if it has every declared column, each of its kind; else raise ModelError.

    An empty frame is checked for its columns only (its columns carry no values to have a kind).
    """
    missing = [c for c in declared if c not in frame.columns]
    if missing:
        raise ModelError(f"The plan's {what} lack the column(s) {', '.join(missing)}")
    if len(frame):
        # One look at the dtypes, not a column Series each: models are copied on every what-if.
        dtypes = frame.dtypes
        wrong = [
            f"{c} ({dtypes[c]}, not {kind})"
            for c, kind in declared.items()
            if not _KIND_CHECKS[kind](dtypes[c])
        ]
        if wrong:
            raise ModelError(f"The plan's {what} hold the wrong kind in {', '.join(wrong)}")
    return frame


@dataclass(frozen=True)
class PlanInputs:
    """Everything the plan needs, read from the store once."""

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
    # (place, 'YYYY-MM') → the window years whose local data (records, counts) cover it
    covered_months: dict[tuple[str, str], int] = field(default_factory=dict)
    # the same for the SitRep's loaded months: a type planned from the SitRep reads these
    # only, so a month of local data with no SitRep loaded is missing for it, not zero
    sitrep_months: dict[tuple[str, str], int] = field(default_factory=dict)
    # what the records show per place and service (capacity.observed.observed_for_plan)
    observed: pd.DataFrame = field(default_factory=pd.DataFrame)
    # referrals a month to each shared service from each place it serves, over the demand
    # window (capacity.segments.USE_COLUMNS); empty when not looked up
    service_use: pd.DataFrame | None = None
    # the demand source chosen for each (place, service type)
    # (capacity.demand_sources.SourceChoice); None when not chosen (inputs made by hand)
    demand_sources: dict[tuple[str, str], Any] | None = None

    def with_changes(self, **changes: Any) -> PlanInputs:
        """A copy with some fields replaced (inputs are never changed in place)."""
        return replace(self, **changes)


@dataclass(frozen=True)
class PlanModel:
    """The plan's inputs laid out for computing: segments, demand and the rows to fill.

    ``segments`` has one row per service, place, month and parameter row in
    force, with the figures a scenario may change (columns:
    :data:`SEGMENT_COLUMNS`); ``demand`` one row per place, service type,
    service, source and month (:data:`DEMAND_COLUMNS`); ``shares`` each
    service's share at every place it serves. The rest only depends on the
    data and is shared by every scenario.
    """

    inputs: PlanInputs
    segments: pd.DataFrame
    demand: pd.DataFrame
    rows: pd.DataFrame
    row_index: dict[tuple, int]
    candidates: dict[tuple, list[int]]
    shares: pd.DataFrame = field(default_factory=pd.DataFrame)
    scenario: str = BASELINE_LABEL

    def __post_init__(self) -> None:
        check_columns(self.segments, SEGMENT_COLUMNS, "segments")
        check_columns(self.demand, DEMAND_COLUMNS, "demand")

    def with_changes(self, **changes: Any) -> PlanModel:
        """A copy with some fields replaced (checked again)."""
        return replace(self, **changes)

    @property
    def year(self) -> int:
        """The planning year (2025 means April 2025 to March 2026)."""
        return self.inputs.year

    def service_names(self) -> dict[str, str]:
        """Each service's name by id."""
        services = self.inputs.services
        return dict(zip(services["service_id"], services["name"], strict=True))


# -- named reads of the segments ------------------------------------------------------


def segments_at(
    model: PlanModel, place_codes: list[str], service_id: str | None = None
) -> pd.DataFrame:
    """The segments at ``place_codes`` (of one service if given), in the model's order."""
    segs = model.segments
    mask = segs["place_code"].isin(place_codes)
    if service_id is not None:
        mask &= segs["service_id"] == service_id
    return segs[mask]


def methods_by_service(segments: pd.DataFrame) -> pd.Series:
    """The set of methods each service's segments use, by service id."""
    return segments.groupby("service_id")["method"].agg(lambda m: set(m))


def segments_by_method(segments: pd.DataFrame, methods: tuple[str, ...]) -> pd.DataFrame:
    """The segments planned by one of ``methods``, renumbered from 0."""
    return segments[segments["method"].isin(methods)].reset_index(drop=True)


def segment_days(segments: pd.DataFrame, first_day: np.datetime64) -> tuple[np.ndarray, np.ndarray]:
    """Each segment's first day and the day after its last, as day numbers from ``first_day``."""
    starts = (segments["seg_start"].to_numpy("datetime64[D]") - first_day).astype(int)
    ends = (segments["seg_end"].to_numpy("datetime64[D]") - first_day).astype(int)
    return starts, ends


def places_in_force(segments: pd.DataFrame, caseload_used: np.ndarray) -> np.ndarray:
    """Places each segment gives its place: caseload in use × place share × contract share.

    ``caseload_used`` is the caseload after any scenario (from
    :func:`capacity.segments.segment_capacity`); a segment with none (a
    throughput, say) has NaN places. Target occupancy is not applied: places
    are what exists, not what is planned full.
    """
    share = segments["place_share"].to_numpy(float) * segments["contract_share"].fillna(
        1.0
    ).to_numpy(float)
    return np.asarray(caseload_used, float) * share


def group_length_of_stay(stays, weights, *, weighting: LosWeighting, fallback=None) -> np.ndarray:
    """A group's mean length of stay from its members' mean stays, weighted by ``weighting``.

    Members run along the first axis of ``stays`` (the services of a pool, the segments of a
    service, the days of a year); every other position is a group of its own (a day, say).
    ``weights`` are the members' ``weighting`` (places, arrivals or days), the same shape.
    The mean is Σ wᵢ × stayᵢ ÷ Σ wᵢ over the members whose stay is known; where those weights
    total 0 the ``fallback`` weights are used, and where those do too, equal weights. A group
    with no known stay has none (NaN).

    Worked as the smallest stay plus the weighted mean of each stay's excess over it, so a
    group of one member, or of members with the same stay, has exactly that stay.
    """
    if weighting not in get_args(LosWeighting):
        raise ValueError(
            f"weighting must be one of {', '.join(get_args(LosWeighting))} (got {weighting!r})"
        )
    stays = np.asarray(stays, dtype=float)
    known = ~np.isnan(stays)
    shares = known / np.maximum(known.sum(axis=0), 1)
    for candidate in (fallback, weights):  # the first with a total above 0 wins
        if candidate is None:
            continue
        weight = np.where(
            known, np.broadcast_to(np.asarray(candidate, dtype=float), stays.shape), 0.0
        )
        total = weight.sum(axis=0)
        positive = total > 0
        shares = np.where(positive, weight / np.where(positive, total, 1), shares)
    with np.errstate(invalid="ignore"):
        least = np.min(np.where(known, stays, np.inf), axis=0)
        excess = np.where(known, stays - least, 0.0)
        return np.where(known.any(axis=0), least + (shares * excess).sum(axis=0), np.nan)


def system_members(places: pd.DataFrame) -> pd.DataFrame:
    """Every (system_code, place_code) pair: an ICB's places and a local partnership's places."""
    columns = ["system_code", "place_code"]
    is_place = places["kind"] != "system"
    local = places.loc[is_place & places["parent_system"].notna(), ["parent_system", "place_code"]]
    pairs = [local.set_axis(columns, axis=1)]
    if "icb_code" in places.columns:
        icbs = set(places.loc[places["kind"] == "system", "place_code"])
        icb = places.loc[is_place & places["icb_code"].isin(icbs), ["icb_code", "place_code"]]
        pairs.append(icb.set_axis(columns, axis=1))
    return pd.concat(pairs, ignore_index=True).drop_duplicates().reset_index(drop=True)
