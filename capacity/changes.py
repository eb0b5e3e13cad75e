"""What changed between two snapshots, and which inputs moved each change.

A meeting asks "what has changed since last time?". Given two snapshots (their
metadata, their frozen plan rows and the imports in force when each was taken)
:func:`compare` lists, as a :class:`Changes`:

- **data**: the imports in force in the later snapshot and not the earlier
  (loaded between them), and those in the earlier and not the later (undone);
- **scenario**: the scenario name and version, and its changes when they differ;
- **parameters**: per service and month, the capacity inputs a row used
  (method and :data:`capacity.plan.PARAMETER_COLUMNS`) that differ, with when
  the import that brought the new ones was loaded;
- **services**: services in the plan in one and not the other (retired, added);
- **demand basis**: the demand source, data window or projection note of a
  service type that differ;
- **plan**: per place and service type, the months whose demand or capacity moved,
  each explained by the input changes above that touch it, or flagged as
  unexplained when none does.

Unchanged inputs are never listed. Figures stay unrounded in :attr:`Changes.plan`;
only the sentences round. A change in the parameter columns of a row whose
parameter rows (``param_ids``) are the same in both snapshots while the scenario
differs is the scenario's doing (the rows show parameters after the scenario), so
it is told under the scenario, not as a parameter change.

Nothing here reads the store: :mod:`capacity.views.changes` gathers the inputs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd

from capacity import formulas as f
from capacity.methods import following_demand
from capacity.periods import month_label
from capacity.plan import PARAMETER_COLUMNS, PLACE_PARTS
from capacity.scenarios.model import Change, Names, and_list, month_span
from capacity.snapshots import Snapshot

KINDS = ("data", "scenario", "parameters", "services", "demand basis", "plan")
DEMAND_DATA_KINDS = ("referrals", "counts", "sitrep", "destinations", "shares", "demo referrals")
PLAN_CHANGE_COLUMNS = [
    "place_code",
    "place",
    "service_type",
    "service_type_name",
    "month",
    "demand_before",
    "demand_after",
    "demand_change",
    "capacity_before",
    "capacity_after",
    "capacity_change",
    "gap_before",
    "gap_after",
    "gap_change",
]
PARAMETER_WORDS = {
    "method": "capacity method",
    "caseload": "caseload",
    "mean_los_days": "length of stay (days)",
    "hours_per_month": "hours a month",
    "hours_per_package_per_month": "hours per package a month",
    "throughput": "stated throughput",
    "throughput_unit": "throughput unit",
    "target_occupancy": "target occupancy",
    "contract_share": "contract share",
    "place_share": "share of the service",
    "hospital_share": "hospital discharge share",
}
SHARES = ("target_occupancy", "contract_share", "place_share", "hospital_share")
BETWEEN = "between the two snapshots"
_SERVICE_KEY = ["place_code", "service_id", "month"]
_TYPE_KEY = ["place_code", "service_type", "month"]


@dataclass(frozen=True)
class ChangeItem:
    """One change between two snapshots, in a sentence.

    ``place`` and ``service_type`` are names ('' when the change is not of one);
    months are 'YYYY-MM' ('' when the change is not of a month). ``cause`` is the
    short form used when this input change explains a plan change; ``explained``
    is False only for a plan change with no input change behind it.
    """

    kind: str
    place: str
    service_type: str
    first_month: str
    sentence: str
    explained: bool = True
    place_code: str = ""
    service_type_code: str = ""
    last_month: str = ""
    cause: str = ""


@dataclass(frozen=True)
class Changes:
    """What changed from ``earlier`` to ``later``: the items, and the plan's change table."""

    earlier: Snapshot
    later: Snapshot
    items: tuple[ChangeItem, ...]
    plan: pd.DataFrame = field(repr=False)

    def of_kind(self, kind: str) -> list[ChangeItem]:
        """The items of one kind (see :data:`KINDS`)."""
        return [item for item in self.items if item.kind == kind]

    @property
    def unexplained(self) -> list[ChangeItem]:
        """Plan changes with no input change found behind them."""
        return [item for item in self.items if not item.explained]

    def moved(self) -> pd.DataFrame:
        """The rows of :attr:`plan` whose demand or capacity moved (unrounded)."""
        plan = self.plan
        moved = _changed(plan["demand_before"], plan["demand_after"]) | _changed(
            plan["capacity_before"], plan["capacity_after"]
        )
        return plan[moved].reset_index(drop=True)

    def table(self) -> pd.DataFrame:
        """The items as a table: kind, place, service type, first month, sentence, explained."""
        columns = ["kind", "place", "service_type", "first_month", "sentence", "explained"]
        return pd.DataFrame(
            [[getattr(item, c) for c in columns] for item in self.items], columns=columns
        )


# --- words -----------------------------------------------------------------------------------


def _figure(value: float) -> str:
    """A parameter as people read it: '6,000', '28', '2.5'."""
    return f"{round(float(value), 2):,.10g}"


def _signed(value: float) -> str:
    """A change in people a month, rounded for reading: '+13', '−0.4'."""
    # Halves round away from zero, as people round (Python's format rounds them to even).
    size = abs(value)
    shown = (
        f"{np.floor(size + 0.5):,.0f}" if size >= 9.5 else f"{np.floor(size * 10 + 0.5) / 10:.1f}"
    )
    shown = shown.removesuffix(".0")
    return ("+" if value >= 0 else "−") + shown


def _range(values: Iterable[float]) -> str:
    """'+13 a month', or '+13 to +14 a month' when the months differ once rounded."""
    texts = [_signed(v) for v in sorted(values)]
    low, high = texts[0], texts[-1]
    return f"{low} a month" if low == high else f"{low} to {high} a month"


def _months(first: str, last: str, year_last: str) -> str:
    """'in Oct 2025', 'from Oct 2025' (to the year's end), 'in Oct 2025–Dec 2025'."""
    if first == last:
        return f"in {month_label(first)}"
    if last == year_last:
        return f"from {month_label(first)}"
    return f"in {month_span(first, last)}"


def _day(when: datetime | None) -> str:
    return f"on {when:%-d %b %Y}" if when is not None else BETWEEN


def _value(column: str, value) -> str:
    if _missing(value):
        return "none"
    if column in SHARES:
        return f"{float(value) * 100:,.3g}%"
    if isinstance(value, str):
        return value
    return _figure(value)


def _moved(column: str, before, after) -> str:
    """'hours a month raised from 6,000 to 6,500'."""
    words = PARAMETER_WORDS[column]
    if _missing(before):
        return f"{words} set to {_value(column, after)}"
    if _missing(after):
        return f"{words} no longer set (was {_value(column, before)})"
    if isinstance(before, str) or isinstance(after, str):
        return f"{words} changed from {_value(column, before)} to {_value(column, after)}"
    verb = "raised" if float(after) > float(before) else "lowered"
    return f"{words} {verb} from {_value(column, before)} to {_value(column, after)}"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


# --- comparing values ------------------------------------------------------------------------


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or value == ""


def _same(a, b) -> bool:
    if _missing(a) or _missing(b):
        return _missing(a) and _missing(b)
    if isinstance(a, str) or isinstance(b, str):
        return str(a) == str(b)
    return bool(np.isclose(float(a), float(b), rtol=1e-9, atol=1e-9))


def _runs(months: Sequence[str], all_months: Sequence[str]) -> list[tuple[str, str]]:
    """Consecutive stretches of ``months`` within the year's ``all_months``: [(first, last)]."""
    position = {m: i for i, m in enumerate(all_months)}
    ordered = sorted(set(months), key=lambda m: position.get(m, len(position)))
    runs: list[list[str]] = []
    for month in ordered:
        if runs and position.get(month, -2) == position.get(runs[-1][-1], -9) + 1:
            runs[-1].append(month)
        else:
            runs.append([month])
    return [(run[0], run[-1]) for run in runs]


def _overlaps(item: ChangeItem, first: str, last: str) -> bool:
    return not item.first_month or (
        item.first_month <= last and (item.last_month or item.first_month) >= first
    )


def _ids(text) -> set[int]:
    if _missing(text):
        return set()
    return {int(part) for part in str(text).split(",") if part.strip()}


# --- the parts -------------------------------------------------------------------------------


def _leaves(rows: pd.DataFrame, place_code: str) -> pd.DataFrame:
    """The rows of places, not of the system they add up to (a system's own rows repeat its
    members' inputs)."""
    members = rows[rows["place_code"] != place_code]
    return members if len(members) else rows


def _data_items(earlier: pd.DataFrame, later: pd.DataFrame) -> list[tuple[str, ChangeItem]]:
    """Imports loaded between the two snapshots and those undone since, each with its kind."""
    before, after = set(earlier["import_id"]), set(later["import_id"])
    items = []
    for undone, frame, ids in ((False, later, after - before), (True, earlier, before - after)):
        for row in frame[frame["import_id"].isin(ids)].sort_values("import_id").itertuples():
            loaded = None if _missing(row.loaded_at) else pd.Timestamp(row.loaded_at)
            when = f" (loaded {loaded:%-d %b %Y %H:%M} by {row.loaded_by})" if loaded else ""
            rows = "" if _missing(row.rows_loaded) else f", {int(row.rows_loaded):,} row(s)"
            lead = "Undone since" if undone else "Loaded between the two snapshots"
            what = f"{row.kind} import {int(row.import_id)}, {row.file_name}"
            sentence = f"{lead}: {what}{rows}{when}."
            cause = f"{row.kind} {'undone' if undone else 'loaded'} ({row.file_name})"
            items.append((str(row.kind), ChangeItem("data", "", "", "", sentence, cause=cause)))
    return items


def _scenario_changes(earlier: Snapshot, later: Snapshot) -> tuple[list[Change], list[Change]]:
    """The changes only the earlier scenario has, and those only the later has."""
    before = earlier.scenario.changes if earlier.scenario else ()
    after = later.scenario.changes if later.scenario else ()
    return [c for c in before if c not in after], [c for c in after if c not in before]


def _scenario_items(earlier: Snapshot, later: Snapshot, names: Names) -> list[ChangeItem]:
    same_label = earlier.scenario_label == later.scenario_label
    dropped, added = _scenario_changes(earlier, later)
    if same_label and not dropped and not added:
        return []
    parts = [
        f"Scenario {earlier.scenario_label} then, {later.scenario_label} now"
        if not same_label
        else f"Scenario {later.scenario_label}: its changes were edited"
    ]
    if added:
        parts.append("now with " + "; ".join(c.describe(names) for c in added))
    if dropped:
        parts.append("no longer with " + "; ".join(c.describe(names) for c in dropped))
    if not added and not dropped:
        parts.append("the same changes")
    sentence = ": ".join(parts[:1]) + (" — " + "; ".join(parts[1:]) if parts[1:] else "") + "."
    return [ChangeItem("scenario", "", "", "", sentence, cause="the scenario")]


def _whole(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per place, service and month with the service's own inputs: a place's part of
    a shared service's caseload, hours or throughput turned back into the whole."""
    served = rows[rows["service_id"].fillna("").astype(str) != ""]
    served = served.drop_duplicates(_SERVICE_KEY).set_index(_SERVICE_KEY)
    share = served["place_share"].astype(float)
    usable = share.notna() & (share > 0)
    out = served[
        ["place", "service", "service_type", "service_type_name", "method", *PARAMETER_COLUMNS]
    ].copy()
    out["param_ids"] = served["param_ids"]
    for column in PLACE_PARTS:
        out[column] = served[column].astype(float).where(~usable, served[column] / share)
    return out


def _compared(method) -> list[str]:
    columns = ["method", *PARAMETER_COLUMNS]
    # Under the hours method the caseload is hours ÷ hours per package: not an input.
    return [c for c in columns if not (c == "caseload" and method == "hours")]


def _parameter_items(
    earlier: pd.DataFrame,
    later: pd.DataFrame,
    loaded_at: Mapping[int, datetime],
    scenario_moved: bool,
    all_months: Sequence[str],
) -> list[ChangeItem]:
    before, after = _whole(earlier), _whole(later)
    both = before.join(after, how="inner", suffixes=("_b", "_a"))
    known_before = set().union(*(_ids(t) for t in earlier["param_ids"]))
    found: dict[tuple, list[str]] = {}
    new_ids: dict[tuple, set[int]] = {}
    for key, row in both.iterrows():
        same_rows = _ids(row["param_ids_b"]) == _ids(row["param_ids_a"])
        if same_rows and scenario_moved:
            continue
        moved = tuple(
            (c, row[f"{c}_b"], row[f"{c}_a"])
            for c in _compared(row["method_a"])
            if not _same(row[f"{c}_b"], row[f"{c}_a"])
        )
        if not moved:
            continue
        place_code, service_id, month = key
        group = (place_code, service_id, moved)
        found.setdefault(group, []).append(month)
        new_ids.setdefault(group, set()).update(_ids(row["param_ids_a"]) - known_before)
    items = []
    for group, months in found.items():
        place_code, service_id, moved = group
        sample = after.loc[(place_code, service_id, months[0])]
        dates = [loaded_at[i] for i in new_ids[group] if i in loaded_at]
        when = _day(max(dates) if dates else None)
        words = and_list([_moved(c, b, a) for c, b, a in moved])
        for first, last in _runs(months, all_months):
            span = _months(first, last, all_months[-1])
            items.append(
                ChangeItem(
                    "parameters",
                    str(sample["place"]),
                    str(sample["service_type_name"]),
                    first,
                    f"{sample['service']} ({sample['place']}): {words} {when}, {span}.",
                    place_code=place_code,
                    service_type_code=str(sample["service_type"]),
                    last_month=last,
                    cause=f"{sample['service']}: {words} {when}",
                )
            )
    return items


def _service_items(
    earlier: pd.DataFrame, later: pd.DataFrame, all_months: Sequence[str]
) -> list[ChangeItem]:
    def months_of(rows: pd.DataFrame) -> dict[tuple[str, str], set[str]]:
        served = rows[rows["service_id"].fillna("").astype(str) != ""]
        return {
            key: set(group["month"])
            for key, group in served.groupby(["place_code", "service_id"], sort=True)
        }

    before, after = months_of(earlier), months_of(later)
    about = pd.concat([earlier, later]).drop_duplicates(["place_code", "service_id"])
    about = about.set_index(["place_code", "service_id"])
    items = []
    for key in sorted(set(before) | set(after)):
        had, has = before.get(key, set()), after.get(key, set())
        gone, new = sorted(had - has), sorted(has - had)
        info = about.loc[key]
        for months, words in ((gone, _gone_words(has, gone)), (new, _new_words(had))):
            if not months:
                continue
            first, last = months[0], months[-1]
            span = _months(first, last, all_months[-1])
            sentence = f"{info['service']} ({info['place']}): {words} {span}."
            items.append(
                ChangeItem(
                    "services",
                    str(info["place"]),
                    str(info["service_type_name"]),
                    first,
                    sentence,
                    place_code=key[0],
                    service_type_code=str(info["service_type"]),
                    last_month=last,
                    cause=f"{info['service']}: {words} {span}",
                )
            )
    return items


def _gone_words(still: set[str], gone: list[str]) -> str:
    if not gone:
        return ""
    if still and min(gone) > max(still):
        return "retired, no capacity"
    if not still:
        return "no longer in the plan (retired, or no longer serving this place)"
    return "no longer in the plan"


def _new_words(had: set[str]) -> str:
    return "now in the plan" if had else "a new service in the plan"


def _basis(rows: pd.DataFrame) -> pd.DataFrame:
    """Per place, service type and month: the demand source, data window and note, joined."""

    def joined(values: pd.Series) -> str:
        return "; ".join(sorted({str(v) for v in values if not _missing(v)}))

    grouped = rows.groupby(_TYPE_KEY, sort=True)
    out = grouped[["demand_source", "data_window", "demand_note"]].agg(joined)
    names = grouped[["place", "service_type_name"]].first()
    return pd.concat([out, names], axis=1)


def _basis_items(
    earlier: pd.DataFrame, later: pd.DataFrame, all_months: Sequence[str]
) -> list[ChangeItem]:
    both = _basis(earlier).join(_basis(later), how="inner", suffixes=("_b", "_a"))
    found: dict[tuple, list[str]] = {}
    for (place_code, stype, month), row in both.iterrows():
        words = []
        for column, label in (("demand_source", "demand source"), ("data_window", "data window")):
            if row[f"{column}_b"] != row[f"{column}_a"]:
                words.append(f"{label} {row[f'{column}_a'] or 'none'} (was {row[f'{column}_b']})")
        if not words and row["demand_note_b"] != row["demand_note_a"]:
            words.append(f"demand now {_lower_first(row['demand_note_a'])}")
        if words:
            found.setdefault((place_code, stype, tuple(words)), []).append(month)
    items = []
    for (place_code, stype, words), months in found.items():
        sample = both.loc[(place_code, stype, months[0])]
        text = "; ".join(words)
        for first, last in _runs(months, all_months):
            span = _months(first, last, all_months[-1])
            place, type_name = str(sample["place_a"]), str(sample["service_type_name_a"])
            items.append(
                ChangeItem(
                    "demand basis",
                    place,
                    type_name,
                    first,
                    f"{place} {_lower_first(type_name)}: {text}, {span}.",
                    place_code=place_code,
                    service_type_code=stype,
                    last_month=last,
                    cause=text,
                )
            )
    return items


def plan_change(earlier: pd.DataFrame, later: pd.DataFrame) -> pd.DataFrame:
    """Demand, capacity and gap per place, service type and month: before, after, change.

    A service type absent from one snapshot counts as nothing planned there (0).
    """
    key = ["place_code", "service_type", "month"]

    def totals(rows: pd.DataFrame) -> pd.DataFrame:
        grouped = rows.groupby(key, sort=True)
        sums = grouped[["demand", "capacity"]].sum(min_count=1)
        return pd.concat([grouped[["place", "service_type_name"]].first(), sums], axis=1)

    before, after = totals(earlier), totals(later)
    out = before.join(after, how="outer", suffixes=("_b", "_a"))
    for column in ("place", "service_type_name"):
        out[column] = out[f"{column}_a"].fillna(out[f"{column}_b"])
    for side, other in (("_b", before), ("_a", after)):
        absent = ~out.index.isin(other.index)
        for measure in ("demand", "capacity"):
            out.loc[absent, f"{measure}{side}"] = 0.0
    for side, label in (("_b", "before"), ("_a", "after")):
        out[f"demand_{label}"] = out[f"demand{side}"].astype(float)
        out[f"capacity_{label}"] = out[f"capacity{side}"].astype(float)
        out[f"gap_{label}"] = f.gap(out[f"capacity_{label}"], out[f"demand_{label}"])
    for measure in ("demand", "capacity", "gap"):
        out[f"{measure}_change"] = out[f"{measure}_after"] - out[f"{measure}_before"]
    return out.reset_index()[PLAN_CHANGE_COLUMNS]


def _changed(before: pd.Series, after: pd.Series) -> pd.Series:
    b, a = before.astype(float), after.astype(float)
    return (b.isna() != a.isna()) | ~np.isclose(b.fillna(0), a.fillna(0), rtol=1e-9, atol=1e-9)


def _touches(
    change: Change, place_code: str, stype: str, services: set[str], members: Mapping
) -> bool:
    """Whether a scenario change could move this place's service type (a system named in a
    change's places stands for its members)."""
    if change.places:
        covered = {p for code in change.places for p in (code, *members.get(code, ()))}
        if place_code not in covered:
            return False
    if change.services:
        return bool(services & set(change.services))
    targets = {*change.service_types, change.to_service_type or ""}
    return not change.service_types or stype in targets


@dataclass(frozen=True)
class _Context:
    inputs: list[ChangeItem]
    demand_data: list[str]
    scenario_changes: list[tuple[str, Change]]
    scenario_label: str
    names: Names
    services: dict[tuple[str, str], set[str]]
    follows: set[tuple[str, str]]
    members: Mapping[str, frozenset[str]]


def _causes(ctx: _Context, place_code: str, stype: str, first: str, last: str, moved: str):
    """The input changes behind a plan change, as short phrases."""
    causes = [
        item.cause
        for item in ctx.inputs
        if item.place_code == place_code
        and item.service_type_code == stype
        and _overlaps(item, first, last)
    ]
    services = ctx.services.get((place_code, stype), set())
    touching = [
        # The scenario's item names each change whole; here its effect on this row will do.
        f"{how} {change.short(ctx.names)}"
        for how, change in ctx.scenario_changes
        if _touches(change, place_code, stype, services, ctx.members)
    ]
    if touching:
        causes.append(f"scenario {ctx.scenario_label}: {'; '.join(touching)}")
    demand_moves = "demand" in moved or (place_code, stype) in ctx.follows
    if demand_moves and ctx.demand_data and not causes:
        causes.append("demand projected again from the data: " + and_list(ctx.demand_data))
    return causes


def _plan_items(
    table: pd.DataFrame, ctx: _Context, places: set[str], all_months: Sequence[str]
) -> list[ChangeItem]:
    items = []
    moved_demand = _changed(table["demand_before"], table["demand_after"])
    moved_capacity = _changed(table["capacity_before"], table["capacity_after"])
    table = table.assign(_d=moved_demand, _c=moved_capacity)
    table = table[(table["_d"] | table["_c"]) & table["place_code"].isin(places)]
    for (place_code, stype), group in table.groupby(["place_code", "service_type"], sort=True):
        first, last = str(group["month"].min()), str(group["month"].max())
        parts = []
        for measure, flag in (("capacity", "_c"), ("demand", "_d")):
            moved = group[group[flag]]
            if len(moved):
                changes = moved[f"{measure}_change"].fillna(0)
                months = _months(moved["month"].min(), moved["month"].max(), all_months[-1])
                parts.append(f"{measure} {_range(changes)} {months}")
        causes = _causes(ctx, place_code, stype, first, last, " ".join(parts))
        place, type_name = str(group["place"].iloc[0]), str(group["service_type_name"].iloc[0])
        why = " — " + "; ".join(causes) if causes else " — no input change found behind it"
        flag = "" if causes else " (unexplained)"
        items.append(
            ChangeItem(
                "plan",
                place,
                type_name,
                first,
                f"{place} {_lower_first(type_name)}: {', '.join(parts)}{why}{flag}.",
                explained=bool(causes),
                place_code=place_code,
                service_type_code=stype,
                last_month=last,
            )
        )
    return items


def compare(
    earlier: Snapshot,
    later: Snapshot,
    earlier_rows: pd.DataFrame,
    later_rows: pd.DataFrame,
    earlier_imports: pd.DataFrame,
    later_imports: pd.DataFrame,
    loaded_at: Mapping[int, datetime],
    names: Names | None = None,
    members: Mapping[str, frozenset[str]] | None = None,
) -> Changes:
    """What changed from the ``earlier`` snapshot to the ``later``.

    ``*_rows`` are each snapshot's plan rows (:func:`capacity.snapshots.rows`),
    ``*_imports`` the imports in force when each was taken, ``loaded_at`` maps a
    parameter row's id to when the import that brought it was loaded (rows not
    in it are told as changed "between the two snapshots"), ``names`` words the
    scenario's changes and ``members`` maps a system's code to its places' codes
    (so a scenario change naming a system is seen to touch its places).
    """
    names = names or Names()
    all_months = sorted(set(earlier_rows["month"]) | set(later_rows["month"]))
    before, after = _leaves(earlier_rows, earlier.place_code), _leaves(later_rows, later.place_code)
    scenario = _scenario_items(earlier, later, names)
    scenario_item = scenario[0] if scenario else None
    dropped, added = _scenario_changes(earlier, later)
    inputs = [
        *_parameter_items(before, after, loaded_at, scenario_item is not None, all_months),
        *_service_items(before, after, all_months),
        *_basis_items(before, after, all_months),
    ]
    data = _data_items(earlier_imports, later_imports)
    both = pd.concat([before, after])
    served = both[both["service_id"].fillna("").astype(str) != ""]
    follows = both[both["method"].isin(following_demand())]
    ctx = _Context(
        inputs=inputs,
        demand_data=[item.cause for kind, item in data if kind in DEMAND_DATA_KINDS],
        scenario_changes=[("now", c) for c in added] + [("no longer", c) for c in dropped],
        scenario_label=later.scenario_label,
        names=names,
        services={
            (str(p), str(t)): set(group["service_id"])
            for (p, t), group in served.groupby(["place_code", "service_type"])
        },
        follows=set(zip(follows["place_code"], follows["service_type"], strict=True)),
        members=members or {},
    )
    table = plan_change(earlier_rows, later_rows)
    places = set(before["place_code"]) | set(after["place_code"])
    plan = _plan_items(table, ctx, places, all_months)
    items = [*(item for _, item in data), *scenario, *inputs, *plan]
    order = {kind: i for i, kind in enumerate(KINDS)}
    return Changes(earlier, later, tuple(sorted(items, key=lambda i: order[i.kind])), table)
