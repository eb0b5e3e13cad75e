"""Workforce figures for a screen, a command or the meeting pack.

Reads and saves the workforce assumptions (migration 014: a log, the newest per place in
force), and composes the plan frame with :mod:`capacity.workforce`: per row, per service
type and month, and in the headline sentence ("… 23 short (about 3.2 care workers' FTE)").
The plan frame itself is not changed: the workforce figures are derived from it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from capacity import audit, edit_stamps
from capacity import workforce as w
from capacity.access import User
from capacity.edit_stamps import EditConflict, Stamp
from capacity.plan import resolve_place
from capacity.store import _Session
from capacity.summary import filter_source, worst_shortfall
from capacity.views._db import Database, reading, writing
from capacity.views.permissions import require, require_some
from capacity.workforce import (
    DEFAULT,
    WORKFORCE_COLUMNS,
    Assumption,
    Assumptions,
    WorkforceError,
    fte_words,
    hours_words,
)

__all__ = [
    "DEFAULT",
    "WORKFORCE_COLUMNS",
    "Assumption",
    "Assumptions",
    "EditConflict",
    "Stamp",
    "WorkforceError",
    "assumption_rows",
    "assumptions_stamp",
    "fte_words",
    "headline",
    "hours_words",
    "load_assumptions",
    "plan_with_workforce",
    "save_assumption",
    "type_workforce",
    "workforce_table",
]

TYPE_COLUMNS = ["service_type", "month", "care_hours_gap", "fte_gap"]


def load_assumptions(db: Database) -> Assumptions:
    """The assumptions in force: England's (saved, else the product's default) and each
    place's own."""
    with reading(db) as store:
        rows = store.query("workforce_settings_in_force")
    found = [_assumption(row) for row in rows.to_dict("records")]
    england = next((a for a in found if a.place_code is None), DEFAULT)
    return Assumptions(england, {a.place_code: a for a in found if a.place_code is not None})


def assumptions_stamp(db: Database) -> Stamp:
    """The stamp of the assumptions in force, as the Data page's table shows them: the form
    hands it back when saving, so a save over someone else's newer one is refused."""
    with reading(db) as store:
        return edit_stamps.stamp(store, "workforce")


def _assumption(row: dict) -> Assumption:
    place = row["place_code"]
    return Assumption(
        float(row["hours_per_week"]),
        float(row["productive_share"]),
        str(row["source_note"]),
        None if place is None or place != place else str(place),
        str(row["saved_by"]),
        str(row["saved_at"])[:16],
    )


def save_assumption(
    db: Database,
    *,
    place: str | None,
    hours_per_week: object,
    productive_share: object,
    source_note: object,
    user: User,
    based_on: Stamp | None = None,
) -> Assumption:
    """Check and store a place's (or, with ``place`` None, England's) workforce assumption
    as ``user``.

    ``place`` is a place's or system's code or name. Raises AccessDenied when the user may
    not change it (England's is every place's), WorkforceError for a bad value and
    PlanError for an unknown place, storing nothing. One audit entry records it, in the
    same transaction. ``based_on`` (:func:`assumptions_stamp`, taken when the form was shown)
    refuses the save with EditConflict, storing nothing, if anyone saved an assumption since;
    None checks nothing.
    """
    require_some(user)
    note = source_note.strip() if isinstance(source_note, str) else source_note
    w.check(hours_per_week, productive_share, note)
    with writing(db) as store:
        code = (
            None
            if place is None
            else str(resolve_place(store.query("places"), place)["place_code"])
        )
        require(store, user, None if code is None else [code])
        with store.transaction() as tx:
            edit_stamps.refuse_if_changed(tx, based_on)
            _record(tx, code, hours_per_week, productive_share, note, user)
    return load_assumptions(db).for_place(code)


def _record(
    tx: _Session,
    code: str | None,
    hours_per_week: object,
    productive_share: object,
    note: object,
    user: User,
) -> None:
    """Store one checked assumption and its audit entry in the transaction ``tx``."""
    hours, share = float(hours_per_week), float(productive_share)  # type: ignore[arg-type]
    tx.execute(
        "save_workforce_setting",
        place_code=code,
        hours_per_week=hours,
        productive_share=share,
        source_note=note,
        saved_by=user.label,
    )
    audit.record(
        tx,
        user,
        "workforce",
        place_code=code,
        subject="workforce assumption" + ("" if code else " for England"),
        detail=f"{hours:g} hours a week, {share:.0%} productive; source: {note}",
    )


def assumption_rows(assumptions: Assumptions, places: pd.DataFrame) -> pd.DataFrame:
    """The assumptions as a table to read: England's first, then each place with its own."""
    names = dict(zip(places["place_code"], places["name"], strict=True))
    rows = [("England (every place without its own)", assumptions.england)]
    rows += sorted(
        ((f"{names.get(code, code)} ({code})", a) for code, a in assumptions.by_place.items()),
        key=lambda pair: pair[0],
    )
    return pd.DataFrame(
        {
            "applies_to": [label for label, _ in rows],
            "hours_per_week": [a.hours_per_week for _, a in rows],
            "productive_share": [a.productive_share for _, a in rows],
            "hours_per_fte_month": [a.hours_per_fte_month for _, a in rows],
            "source_note": [a.source_note for _, a in rows],
            "saved_by": [a.saved_by or "the product's default" for _, a in rows],
            "saved_at": [a.saved_at for _, a in rows],
        }
    )


def plan_with_workforce(frame: pd.DataFrame, assumptions: Assumptions) -> pd.DataFrame:
    """The plan frame's rows with the workforce columns (:data:`WORKFORCE_COLUMNS`) beside."""
    return pd.concat([frame, w.workforce_frame(frame, assumptions)], axis=1)


def type_workforce(
    rows: pd.DataFrame, assumptions: Assumptions, source: str = "both"
) -> pd.DataFrame:
    """Per service type and month, the care-hours and FTE gaps of a place's rows.

    Summed over the type's services and sources, as the type's gap is; missing unless
    every row of the type that month is planned by hours and has a figure (a type
    partly planned otherwise has no workforce figure).
    """
    rows = filter_source(rows, source)
    if rows.empty:
        return pd.DataFrame(columns=TYPE_COLUMNS)
    figures = w.workforce_frame(rows, assumptions)
    joined = rows[["service_type", "month"]].assign(
        care_hours_gap=figures["care_hours_gap"],
        fte_gap=figures["fte_gap"],
        has=(rows["method"] == w.HOURS_METHOD) & figures["fte_gap"].notna(),
    )
    grouped = joined.groupby(["service_type", "month"], sort=False)
    out = grouped[["care_hours_gap", "fte_gap"]].sum().reset_index()
    every = grouped["has"].all().to_numpy(bool)
    out.loc[~every, ["care_hours_gap", "fte_gap"]] = np.nan
    return out[TYPE_COLUMNS]


def workforce_table(
    frame: pd.DataFrame, assumptions: Assumptions, place_code: str, source: str = "both"
) -> pd.DataFrame:
    """For the meeting pack: each hours-planned row of a place, with its workforce figures.

    Columns: service, service_type_name, source, month, gap, care_hours_gap, fte_gap,
    hours_per_week, productive_share, hours_per_fte_month, workforce_source,
    workforce_note and ``words`` ("about 3.2 care workers' FTE"). Figures unrounded.
    """
    rows = filter_source(frame[frame["place_code"] == place_code], source)
    rows = rows[rows["method"] == w.HOURS_METHOD]
    joined = plan_with_workforce(rows, assumptions)
    columns = ["service", "service_type_name", "source", "month", "gap", *WORKFORCE_COLUMNS]
    out = joined[columns].reset_index(drop=True)
    return out.assign(words=[fte_words(v) for v in out["fte_gap"]])


def headline(
    sentence: str,
    monthly: pd.DataFrame,
    by_type: pd.DataFrame,
    *,
    service_types: Sequence[str] = (),
    from_month: str | None = None,
    month: str | None = None,
) -> str:
    """The place's headline with the FTE of each shortfall it names, where planned by hours.

    ``sentence`` is :func:`capacity.views.plans.place_headline`'s (or, with ``month``,
    ``month_headline``'s) of the same ``monthly``, ``service_types`` and months;
    ``by_type`` is :func:`type_workforce` of the same rows and source. "Havering:
    reablement at home is 23 short in January" becomes "… is 23 short (about 3.2 care
    workers' FTE) in January". A shortfall whose type has no workforce figure is left
    as it is.
    """
    shown = monthly[monthly["service_type"].isin(service_types)] if service_types else monthly
    if month is None:
        worst = worst_shortfall(shown, "", from_month)
        if worst is None:
            return sentence
        named = shown[(shown["month"] == worst.month) & (shown["gap"] == worst.gap)]
        shortfalls = [(str(named.iloc[0]["service_type"]), worst.month, worst.gap)]
    else:
        rows = shown[(shown["month"] == month) & (shown["gap"] < -0.5)].sort_values("gap")
        shortfalls = list(zip(rows["service_type"], rows["month"], rows["gap"], strict=True))
    fte = {
        (t, m): v
        for t, m, v in zip(
            by_type["service_type"], by_type["month"], by_type["fte_gap"], strict=True
        )
    }
    cursor = 0
    for service_type, when, gap in shortfalls:
        said = f"{abs(gap):,.0f} short"
        at = sentence.find(said, cursor)
        if at < 0:
            continue
        cursor = at + len(said)
        words = fte_words(fte.get((service_type, when), np.nan))
        if words:
            sentence = f"{sentence[:cursor]} ({words}){sentence[cursor:]}"
            cursor += len(words) + 3
    return sentence
