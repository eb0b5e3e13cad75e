"""Winter scenarios: named sets of changes to the baseline, applied by one pure function.

A :class:`Scenario` holds :class:`Change` s. Each change moves one lever by a
value, for a range of months ('YYYY-MM' to 'YYYY-MM', inclusive), and for the
places (systems stand for their places), service types, services and —
for demand — sources it names; an empty scope means all.

The levers, and the fixed order in which :func:`apply` combines them:

1. ``demand_pct`` — demand up or down by a percentage; several multiply.
2. ``pathway_shift_pct`` — move a percentage of the (already changed) demand
   of the named service types to ``to_service_type`` at the same place, source
   and month; it is shared among that type's services by capacity.
3. ``caseload_pct`` — the caseload in use (beds, places, or packages derived
   from hours) up or down by a percentage; several multiply.
4. ``caseload_delta`` — beds or places added (or removed) for the places in
   scope, after the percentages. For a service shared by several places, the
   extra beds go to the places in scope in proportion to their shares.
5. ``hours_pct`` and ``absence_pct`` — commissioned hours × (1 + pct) and
   × (1 − absence), for services planned by hours; all multiply.
6. ``los_days`` then ``los_pct`` — days added to the mean length of stay,
   then percentages multiply.
7. ``target_occupancy`` — replaces the target occupancy of services planned by
   caseload or hours; the last one wins.

The baseline is no change at all. Capacity assumed equal to demand is never
changed by capacity levers: it follows demand.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from capacity import config
from capacity import formulas as f
from capacity.levers import MOVES, move
from capacity.methods import moved_by
from capacity.model import BASELINE_LABEL, PlanModel
from capacity.periods import planning_year_label, planning_year_months, planning_year_of
from capacity.reference import MAX_CASELOAD, MAX_LOS_DAYS
from capacity.summary import shortfall

LEVERS = {
    "demand_pct": "Demand (%)",
    "pathway_shift_pct": "Move demand to another service type (%)",
    "caseload_pct": "Caseload or beds (%)",
    "caseload_delta": "Caseload or beds (+ or −)",
    "hours_pct": "Commissioned hours (%)",
    "absence_pct": "Staff absence (% of hours)",
    "los_days": "Length of stay (+ or − days)",
    "los_pct": "Length of stay (%)",
    "target_occupancy": "Target occupancy (0–1)",
}
ORDER = list(LEVERS)
# Rises beyond these are slips of the keyboard (ten times the demand, a caseload change
# bigger than any service); refused so a saved scenario cannot stall the flow model.
MAX_PCT = 1_000
DEMAND_LEVERS = ("demand_pct", "pathway_shift_pct")
SOURCES = ("hospital", "community")
SOURCE_NAMES = {"hospital": "hospital discharge", "community": "community"}
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
PRESETS_FILE = config.REFERENCE_DIR / "scenario_presets.csv"
PRESET_PREFIX = "preset:"
BASELINE = "baseline"  # the key (sidebar, address, CLI); BASELINE_LABEL is what people read
WINTER = ("11", "12", "01", "02", "03")
MAX_PLANNING_YEARS = 10


class ScenarioError(ValueError):
    """A scenario that cannot be saved or applied; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class Change:
    """One lever moved by ``value`` for a scope and a range of months."""

    lever: str
    value: float
    first_month: str
    last_month: str
    places: tuple[str, ...] = ()
    service_types: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    to_service_type: str | None = None
    source: str | None = None

    def describe(self, type_names: dict[str, str] | None = None) -> str:
        """A short phrase such as 'demand +10%' or 'caseload +4'."""
        names = type_names or {}
        v = self.value
        if self.lever == "demand_pct":
            return f"demand {v:+g}%"
        if self.lever == "pathway_shift_pct":
            target = names.get(self.to_service_type, self.to_service_type)
            return f"{v:g}% of demand moved to {target}"
        if self.lever == "caseload_pct":
            return f"caseload {v:+g}%"
        if self.lever == "caseload_delta":
            return f"caseload {v:+g}"
        if self.lever == "hours_pct":
            return f"hours {v:+g}%"
        if self.lever == "absence_pct":
            return f"staff absence {v:g}%"
        if self.lever == "los_days":
            return f"length of stay {v:+g} days"
        if self.lever == "los_pct":
            return f"length of stay {v:+g}%"
        return f"target occupancy {v:g}"

    def months(self) -> tuple[str, str]:
        """The first and last month, 'YYYY-MM'."""
        return self.first_month, self.last_month

    def planning_years(self) -> range:
        """Every planning year (April to March) the months fall in, first to last."""
        first, last = (planning_year_of(date(int(m[:4]), int(m[5:7]), 1)) for m in self.months())
        return range(first, last + 1)


@dataclass(frozen=True)
class Scenario:
    """A named set of changes to the baseline."""

    name: str
    changes: tuple[Change, ...] = ()
    description: str = ""
    author: str = ""
    version: int | None = None
    saved_at: str | None = None

    @property
    def key(self) -> str:
        """What identifies this scenario and its version (for caches and URLs)."""
        return f"{self.name}@{self.version}" if self.version else self.name

    def with_changes(self, **changes: object) -> Scenario:
        """A copy with some fields replaced."""
        return replace(self, **changes)

    def to_dict(self) -> dict:
        """A plain dictionary, as written to JSON."""
        return {
            "name": self.name,
            "description": self.description,
            "author": self.author,
            "changes": [
                {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(c).items()}
                for c in self.changes
            ],
        }


BASELINE_SCENARIO = Scenario(BASELINE)


def cannot_apply(scenario: Scenario, year: int, reason: Exception) -> ScenarioError:
    """The error for a scenario that does not apply to a year's plan, naming both and why.

    A saved scenario was checked when it was saved, but the data may have
    changed since (fewer beds imported, say), so applying it can still fail.
    """
    return ScenarioError([f"The scenario {scenario.name!r} cannot be applied to "
                          f"{planning_year_label(year)}: {reason}"])


# -- reading scenarios ---------------------------------------------------------


def _text_list(value: object, field_name: str, where: str) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in re.split(r"[,|]", value) if v.strip())
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ScenarioError([f"{where}: {field_name} must be a list of names or codes"])


def change_from_dict(data: dict, where: str = "change") -> Change:
    """A change from a JSON-like dictionary, with a clear error for a malformed one."""
    if not isinstance(data, dict):
        raise ScenarioError([f"{where} must be an object"])
    unknown = set(data) - {f for f in Change.__dataclass_fields__}
    if unknown:
        raise ScenarioError([f"{where}: unknown field(s) {', '.join(sorted(unknown))}"])
    missing = [k for k in ("lever", "value", "first_month", "last_month") if k not in data]
    if missing:
        raise ScenarioError([f"{where}: missing {', '.join(missing)}"])
    try:
        value = float(data["value"])
    except (TypeError, ValueError):
        raise ScenarioError([f"{where}: value must be a number"]) from None
    return Change(
        lever=str(data["lever"]), value=value,
        first_month=str(data["first_month"]), last_month=str(data["last_month"]),
        places=_text_list(data.get("places"), "places", where),
        service_types=_text_list(data.get("service_types"), "service_types", where),
        services=_text_list(data.get("services"), "services", where),
        to_service_type=data.get("to_service_type") or None,
        source=data.get("source") or None,
    )


def scenario_from_dict(data: dict) -> Scenario:
    """A scenario from a JSON-like dictionary."""
    if not isinstance(data, dict):
        raise ScenarioError(["a scenario must be a JSON object"])
    unknown = set(data) - {"name", "description", "author", "changes"}
    if unknown:
        raise ScenarioError([f"unknown field(s) {', '.join(sorted(unknown))}"])
    changes = data.get("changes", [])
    if not isinstance(changes, list):
        raise ScenarioError(["changes must be a list"])
    return Scenario(
        name=str(data.get("name", "")).strip(),
        description=str(data.get("description", "") or ""),
        author=str(data.get("author", "") or ""),
        changes=tuple(change_from_dict(c, f"change {i + 1}") for i, c in enumerate(changes)),
    )


def scenario_from_json(path: Path) -> Scenario:
    """Read a scenario from a JSON file, with a clear error for an unreadable one."""
    try:
        text = Path(path).read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([f"cannot read {path}: {exc}"]) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError([f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}"]) \
            from None
    return scenario_from_dict(data)


# -- checking -----------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """What a scenario may name: the known places, service types and services."""

    places: pd.DataFrame
    service_types: pd.DataFrame
    services: pd.DataFrame = field(default_factory=pd.DataFrame)


def _change_problems(change: Change, where: str, context: Context | None) -> list[str]:
    problems: list[str] = []
    if change.lever not in LEVERS:
        return [f"{where}: unknown lever {change.lever!r} (one of {', '.join(LEVERS)})"]
    v = change.value
    if not math.isfinite(v):
        problems.append(f"{where}: value must be a finite number")
    rules = {
        "demand_pct": (-100 <= v <= MAX_PCT,
                       f"a demand change must be from −100% to +{MAX_PCT:,}%"),
        "pathway_shift_pct": (0 < v <= 100, "a pathway shift must be above 0% and at most 100%"),
        "caseload_pct": (-100 <= v <= MAX_PCT,
                         f"a caseload change must be from −100% to +{MAX_PCT:,}%"),
        "caseload_delta": (abs(v) <= MAX_CASELOAD, "a caseload change must be at most "
                           f"{MAX_CASELOAD:,} places either way"),
        "hours_pct": (-100 <= v <= MAX_PCT,
                      f"an hours change must be from −100% to +{MAX_PCT:,}%"),
        "absence_pct": (0 <= v < 100, "staff absence must be at least 0% and below 100%"),
        "los_days": (abs(v) <= MAX_LOS_DAYS, "a length-of-stay change must be at most "
                     f"{MAX_LOS_DAYS:,} days either way"),
        "los_pct": (-100 < v <= MAX_PCT,
                    f"a length-of-stay change must be above −100% and at most +{MAX_PCT:,}%"),
        "target_occupancy": (0 < v <= 1, "target occupancy must be above 0 and at most 1"),
    }
    ok, message = rules.get(change.lever, (True, ""))
    if not ok:
        problems.append(f"{where}: {message} (got {v:g})")
    for label, month in (("first month", change.first_month), ("last month", change.last_month)):
        if not _MONTH.match(month or ""):
            problems.append(f"{where}: {label} must look like 2025-12 (got {month!r})")
    if not problems and change.last_month < change.first_month:
        problems.append(f"{where}: the month range {change.first_month} to {change.last_month} "
                        "is empty")
    elif not problems and len(change.planning_years()) > MAX_PLANNING_YEARS:
        # Saving checks the plan of every year a change spans; keep that to a few seconds.
        problems.append(f"{where}: the months {change.first_month} to {change.last_month} span "
                        f"{len(change.planning_years())} planning years; a change may span at "
                        f"most {MAX_PLANNING_YEARS}")
    if change.source is not None and change.source not in SOURCES:
        problems.append(f"{where}: source must be hospital or community (got {change.source!r})")
    if change.source is not None and change.lever not in DEMAND_LEVERS:
        problems.append(f"{where}: a source can only narrow a demand change")
    if change.lever == "pathway_shift_pct":
        if not change.service_types:
            problems.append(f"{where}: name the service type(s) demand moves from")
        if not change.to_service_type:
            problems.append(f"{where}: name the service type demand moves to")
        elif change.to_service_type in change.service_types:
            problems.append(f"{where}: demand cannot move to a service type it moves from")
    elif change.to_service_type:
        problems.append(f"{where}: only a pathway shift moves demand to another service type")
    if context is not None:
        problems += _unknown_names(change, where, context)
        if change.lever == "pathway_shift_pct" and not problems:
            problems += _shift_problems(change, where, context.service_types)
    return problems


def _takes(types: pd.DataFrame, service_type: str) -> set[str]:
    return {source for source in SOURCES if bool(types.loc[service_type, source])}


def _shift_problems(change: Change, where: str, service_types: pd.DataFrame) -> list[str]:
    """A pathway shift that would silently move nothing, or only part of what it names.

    Demand only moves to a service type that takes referrals from its source
    (urgent community response takes no hospital discharges), so such a
    change is refused rather than saved to change nothing.
    """
    types = service_types.set_index("service_type")
    asked = {change.source} if change.source else set(SOURCES)
    leaving = asked & set().union(*(_takes(types, t) for t in change.service_types))
    if not leaving:
        names = " and ".join(types.loc[t, "name"] for t in change.service_types)
        verb = "takes" if len(change.service_types) == 1 else "take"
        return [f"{where}: {names} {verb} no {_or(asked)} referrals, so there is no demand "
                "to move"]
    refused = leaving - _takes(types, change.to_service_type)
    if not refused:
        return []
    text = (f"{where}: {types.loc[change.to_service_type, 'name']} takes no {_or(refused)} "
            f"referrals, so no {_or(refused)} demand can move to it")
    if leaving - refused:
        text += f"; to move {_or(leaving - refused)} referrals only, choose them as the source"
    return [text]


def _or(sources: set[str]) -> str:
    return " or ".join(SOURCE_NAMES[s] for s in SOURCES if s in sources)


def _unknown_names(change: Change, where: str, context: Context) -> list[str]:
    problems = []
    known = {
        "place": set(context.places["place_code"]),
        "service type": set(context.service_types["service_type"]),
        "service": set(context.services["service_id"]) if len(context.services) else set(),
    }
    for label, values in (("place", change.places), ("service type", change.service_types),
                          ("service", change.services)):
        for value in values:
            if value not in known[label]:
                problems.append(f"{where}: unknown {label} {value!r}")
    if change.to_service_type and change.to_service_type not in known["service type"]:
        problems.append(f"{where}: unknown service type {change.to_service_type!r}")
    return problems


def problems(scenario: Scenario, context: Context | None = None) -> list[str]:
    """Every reason this scenario cannot be saved (empty when it is fine)."""
    found = []
    name = scenario.name.strip()
    if not name:
        found.append("the scenario needs a name")
    elif len(name) > 100:
        found.append("the name must be at most 100 characters")
    elif name.lower() == BASELINE or name.lower().startswith(PRESET_PREFIX):
        found.append(f"the name {name!r} is reserved")
    elif any(ord(ch) < 32 for ch in name):
        found.append("the name cannot contain control characters")
    if not scenario.changes:
        found.append("add at least one change")
    for index, change in enumerate(scenario.changes, start=1):
        found += _change_problems(change, f"change {index}", context)
    return found


def check(scenario: Scenario, context: Context | None = None) -> Scenario:
    """Return the scenario if it is fine; else raise ScenarioError listing every problem."""
    found = problems(scenario, context)
    if found:
        raise ScenarioError(found)
    return scenario


# -- presets ------------------------------------------------------------------


@dataclass(frozen=True)
class Preset:
    """A ready-made scenario whose months are given as calendar months (1–12)."""

    preset_id: str
    name: str
    description: str
    changes: tuple[dict, ...]

    @property
    def key(self) -> str:
        """'preset:winter_surge'."""
        return PRESET_PREFIX + self.preset_id

    def for_year(self, year: int) -> Scenario:
        """The preset as a scenario for planning year ``year`` (April ``year`` to March)."""
        changes = []
        for row in self.changes:
            from_month, to_month = int(row["from_month"]), int(row["to_month"])
            ranges = [_months_for_year(from_month, to_month, year)]
            if ranges[0][1] > f"{year + 1:04d}-03":
                # A range that runs past March (November to April) ends in the next planning
                # year, so this year's own April to that month is the tail of last winter's.
                ranges.insert(0, (f"{year:04d}-04", f"{year:04d}-{to_month:02d}"))
            changes += [Change(
                lever=row["lever"], value=float(row["value"]), first_month=first,
                last_month=last, service_types=_text_list(row.get("service_types"), "", ""),
                to_service_type=row.get("to_service_type") or None,
                source=row.get("source") or None) for first, last in ranges]
        return Scenario(f"{self.name} (preset)", tuple(changes), self.description, "preset")


def _months_for_year(from_month: int, to_month: int, year: int) -> tuple[str, str]:
    first_year = year if from_month >= 4 else year + 1
    last_year = first_year if to_month >= from_month else first_year + 1
    return f"{first_year:04d}-{from_month:02d}", f"{last_year:04d}-{to_month:02d}"


def load_presets(path: Path = PRESETS_FILE) -> dict[str, Preset]:
    """The presets of the reference data, by key ('preset:<id>')."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    presets = {}
    for preset_id, rows in frame.groupby("preset_id", sort=False):
        first = rows.iloc[0]
        presets[PRESET_PREFIX + preset_id] = Preset(
            preset_id, first["name"], first["description"],
            tuple(rows.drop(columns=["preset_id", "name", "description"]).to_dict("records")))
    return presets


# -- applying -----------------------------------------------------------------


def _members(codes: tuple[str, ...], all_places: pd.DataFrame) -> set[str] | None:
    if not codes:
        return None
    out: set[str] = set()
    kinds = dict(zip(all_places["place_code"], all_places["kind"], strict=True))
    for code in codes:
        if kinds.get(code) == "system":
            out |= set(all_places.loc[all_places["parent_system"] == code, "place_code"])
        else:
            out.add(code)
    return out


def _scope(frame: pd.DataFrame, change: Change, places: set[str] | None,
           services_of: pd.Series | None = None) -> np.ndarray:
    mask = (frame["month"] >= change.first_month) & (frame["month"] <= change.last_month)
    if places is not None:
        mask &= frame["place_code"].isin(places)
    if change.service_types:
        mask &= frame["service_type"].isin(change.service_types)
    if change.services:
        mask &= frame["service_id"].isin(change.services)
    if change.source is not None and "source" in frame:
        mask &= frame["source"] == change.source
    return mask.to_numpy(bool).copy()


def _note(frame: pd.DataFrame, mask: np.ndarray, text: str) -> pd.Series:
    notes = frame["scenario_note"].to_numpy(object).copy()
    for i in np.flatnonzero(mask):
        notes[i] = f"{notes[i]}; scenario: {text}" if notes[i] else f"scenario: {text}"
    return pd.Series(notes, index=frame.index)


def _apply_demand(demand: pd.DataFrame, change: Change, places: set[str] | None,
                  type_names: dict[str, str], takes: pd.DataFrame) -> pd.DataFrame:
    mask = _scope(demand, change, places)
    if not mask.any():
        return demand
    text = change.describe(type_names)
    if change.lever == "demand_pct":
        values = demand["demand"].to_numpy(float).copy()
        values[mask] = f.scale_by_percentage(values[mask], change.value)
        # Scaling demand scales its spread by the same factor.
        spread = demand["demand_spread"].to_numpy(float).copy()
        spread[mask] = f.scale_by_percentage(spread[mask], change.value)
        return demand.assign(demand=values, demand_spread=spread,
                             scenario_note=_note(demand, mask, text))
    target = change.to_service_type
    allowed = demand["source"].map(lambda s: bool(takes.loc[target, s])).to_numpy(bool)
    mask &= allowed
    values = demand["demand"].to_numpy(float).copy()
    moved = np.where(mask, values * change.value / 100, 0.0)
    values[mask] -= moved[mask]
    # The moved part takes its share of the spread with it (spreads of parts add).
    spread = demand["demand_spread"].to_numpy(float).copy()
    moved_spread = np.where(mask, spread * change.value / 100, 0.0)
    spread[mask] -= moved_spread[mask]
    moving = demand[mask].assign(demand=moved[mask], demand_spread=moved_spread[mask])
    arrived = moving.groupby(["place_code", "source", "month"], as_index=False, sort=False)[
        ["demand", "demand_spread"]].sum(min_count=1)
    arrived = arrived.assign(service_type=target, service_id=None, years_in_month=np.nan,
                             scenario_note=f"scenario: {text}")
    for column in _missing_columns(arrived, demand):
        arrived[column] = None
    out = demand.assign(demand=values, demand_spread=spread,
                        scenario_note=_note(demand, mask, text))
    return pd.concat([out, arrived[out.columns]], ignore_index=True)


def _missing_columns(frame: pd.DataFrame, like: pd.DataFrame) -> list[str]:
    """The columns of ``like`` that ``frame`` lacks (text columns such as the demand basis)."""
    return [c for c in like.columns if c not in frame.columns]


def _caseload_weights(segs: pd.DataFrame, mask: np.ndarray, links: pd.DataFrame,
                      places: set[str] | None) -> np.ndarray:
    """For each segment, extra caseload per bed added, so scoped places get the beds."""
    shares = links if places is None else links[links["place_code"].isin(places)]
    in_scope = shares.groupby("service_id")["place_share"].sum()
    total = segs["service_id"].map(in_scope).to_numpy(float)
    own = segs["place_share_basis"].to_numpy(object) == "parameters stated for this place"
    with np.errstate(divide="ignore", invalid="ignore"):
        weight = np.where(own, 1.0, 1.0 / total)
    return np.where(mask & np.isfinite(weight), weight, 0.0)


def _apply_capacity(segs: pd.DataFrame, change: Change, places: set[str] | None,
                    links: pd.DataFrame) -> pd.DataFrame:
    # Each capacity method declares the levers that move it; capacity that follows demand has none.
    mask = _scope(segs, change, places) & segs["method"].isin(moved_by(change.lever)).to_numpy()
    if not mask.any():
        return segs
    out = segs.assign(scenario_note=_note(segs, mask, change.describe()))
    value: float | np.ndarray = change.value
    if change.lever == "caseload_delta":
        value = change.value * _caseload_weights(out, mask, links, places)
    column = MOVES[change.lever]
    out[column] = move(change.lever, value, out[column].to_numpy(float), mask)
    return out


def ordered(changes: tuple[Change, ...]) -> list[Change]:
    """The changes in the order they combine (by lever, then as listed)."""
    return sorted(changes, key=lambda c: ORDER.index(c.lever))


def apply(model: PlanModel, scenario: Scenario | None) -> PlanModel:
    """The plan model with the scenario's changes made (the baseline changes nothing).

    A new model is returned; the given one is left as it was.
    """
    if scenario is None or not scenario.changes:
        named = scenario is not None and scenario.name.lower() != BASELINE
        return model.with_changes(scenario=scenario.name if named else BASELINE_LABEL)
    inputs = model.inputs
    type_names = dict(zip(inputs.service_types["service_type"], inputs.service_types["name"],
                          strict=True))
    takes = inputs.service_types.set_index("service_type")
    links = model.shares
    demand = model.demand
    segs = model.segments
    if "caseload_factor" not in segs:
        segs = segs.assign(caseload_factor=1.0)
    for change in ordered(scenario.changes):
        places = _members(change.places, inputs.all_places)
        if change.lever in DEMAND_LEVERS:
            demand = _apply_demand(demand, change, places, type_names, takes)
        else:
            segs = _apply_capacity(segs, change, places, links)
    return model.with_changes(segments=segs, demand=demand, scenario=scenario.name)


# -- effect and sensitivity ------------------------------------------------------


SENSITIVITY = {
    "Demand": "demand_pct",
    "Length of stay": "los_pct",
    "Caseload": "caseload_pct",
    "Commissioned hours": "hours_pct",
    "Hospital share": "hospital_share",
}


def sensitivity(model: PlanModel, compute: Callable[[PlanModel], pd.DataFrame],
                place_codes: list[str], service_type: str,
                step: float = 10.0) -> pd.DataFrame:
    """How far the winter shortfall (November to March) moves when one assumption moves ±step%.

    Returns one row per assumption: the shortfall with it lowered and raised,
    the baseline shortfall, and the changes, largest swing first.
    """
    year = model.inputs.year
    months = planning_year_months(year)
    first, last = months[0].key, months[-1].key

    def winter(p: PlanModel) -> float:
        frame = compute(p)
        frame = frame[frame["place_code"].isin(place_codes)
                      & (frame["service_type"] == service_type)]
        return shortfall(frame, WINTER)

    base = winter(model)
    rows = []
    for label, lever in SENSITIVITY.items():
        results = []
        for sign in (-1, 1):
            if lever == "hospital_share":
                segs = model.segments
                mask = (segs["service_type"] == service_type).to_numpy() & \
                    segs["place_code"].isin(place_codes).to_numpy()
                share = segs["hospital_share_used"].to_numpy(float).copy()
                share[mask] = np.clip(f.scale_by_percentage(share[mask], sign * step), 0, 1)
                changed = model.with_changes(
                    segments=segs.assign(hospital_share_used=share))
            else:
                change = Change(lever, sign * step, first, last, tuple(place_codes),
                                (service_type,))
                changed = apply(model, Scenario("sensitivity", (change,)))
            results.append(winter(changed))
        rows.append({"assumption": label, "lower": results[0], "higher": results[1],
                     "baseline": base, "change_lower": results[0] - base,
                     "change_higher": results[1] - base})
    table = pd.DataFrame(rows)
    table["swing"] = (table["change_higher"] - table["change_lower"]).abs()
    return table.sort_values("swing", ascending=False).reset_index(drop=True)
