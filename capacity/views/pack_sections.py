"""The meeting pack's sections made by other parts of the product: what changed since last
time, plan against actual, and the meeting's decisions with the open actions.

Each is a function of the open store and the pack's context returning the sentences and
tables (display strings) the pack draws; the pack reads them through
:data:`capacity.views.pack.SECTION_SOURCES`. The figures are those the Place page shows,
by the same view functions, so the pack and the screen never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from capacity import config, snapshots
from capacity.display import people, signed_people
from capacity.periods import month_label
from capacity.scenarios.model import Scenario
from capacity.snapshots import Snapshot, SnapshotError
from capacity.views import actuals, changes, decisions, workforce
from capacity.views._db import Database, reading


@dataclass(frozen=True)
class PackContext:
    """What a pack is of, for the sections other parts of the product fill in."""

    place_code: str
    place_name: str
    year: int
    scenario: Scenario | None
    snapshot: Snapshot | None
    members: tuple[str, ...]


@dataclass(frozen=True)
class SectionInputs:
    """What a section made elsewhere says: sentences, and tables of display strings as
    (caption, frame) pairs."""

    sentences: tuple[str, ...] = ()
    tables: tuple[tuple[str, pd.DataFrame], ...] = ()


def _inputs(sentences=(), tables=()) -> SectionInputs:
    return SectionInputs(sentences=tuple(sentences), tables=tuple(tables))


def _snapshot_before(store, later: Snapshot) -> Snapshot | None:
    """The snapshot of the same place taken before ``later`` (the previous meeting's)."""
    for candidate in snapshots.all_of(store, later.place_code):
        if candidate.made_at < later.made_at or (
            candidate.made_at == later.made_at and candidate.snapshot_id < later.snapshot_id
        ):
            return candidate
    return None


def _whole(frame: pd.DataFrame, signed: tuple[str, ...] = ()) -> pd.DataFrame:
    """A display table's number columns as whole people ('1,204'; signed where asked), and
    without its empty columns."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_numeric_dtype(out[column]) and not pd.api.types.is_bool_dtype(
            out[column]
        ):
            out[column] = out[column].map(signed_people if column in signed else people)
    # A column with nothing in it takes room on the page and says nothing.
    empty = [c for c in out.columns if out[c].fillna("").astype(str).str.strip().eq("").all()]
    return out.drop(columns=empty)


def changes_source(db: Database, context: PackContext) -> SectionInputs:
    """What changed: the pack's snapshot against the one before it, else the place's last
    two snapshots; in words when there are not two to compare."""
    with reading(db) as store:
        try:
            if context.snapshot is not None:
                earlier = _snapshot_before(store, context.snapshot)
                if earlier is None:
                    return _inputs(
                        [
                            f"{context.snapshot.name!r} is the first snapshot of "
                            f"{context.place_name}: there is no earlier one to compare it with."
                        ]
                    )
                found = changes.changes_in(store, earlier, context.snapshot)
            else:
                listed = snapshots.all_of(store, context.place_code)
                earlier, later = changes.default_pair(listed, context.place_name)
                found = changes.changes_in(store, earlier, later)
        except SnapshotError as exc:
            return _inputs([str(exc)])
    lead = (
        f"From {found.earlier.name!r} ({found.earlier.made_at:%-d %b %Y}) to "
        f"{found.later.name!r} ({found.later.made_at:%-d %b %Y})."
    )
    items = [f"{item.kind.capitalize()}: {item.sentence}" for item in found.items]
    if not items:
        items = ["Nothing changed: the same inputs and the same figures."]
    # The place's (or the system's total) rows: its places' moves are in the sentences above.
    shown = _whole(
        changes.display_table(found, context.place_code),
        signed=("Gap before", "Gap after", "Gap change"),
    )
    caption = f"The plan's change where it moved, {context.place_name} (new people a month)"
    tables = [(caption, shown)]
    return _inputs([lead, *items], tables if not shown.empty else [])


def actuals_source(db: Database, context: PackContext, today: date | None = None) -> SectionInputs:
    """Plan against actual: the pack's snapshot (else the newest of the place with a month
    that has happened) against the months that have happened since."""
    day = today or config.today()
    snapshot_id = (
        context.snapshot.snapshot_id
        if context.snapshot is not None
        else actuals.default_snapshot(db, context.place_code, day)
    )
    if snapshot_id is None:
        return _inputs(
            [
                f"No snapshot of {context.place_name} has a month that has happened yet: "
                "take a snapshot at each meeting, and the next pack sets it against what "
                "then happened."
            ]
        )
    found = actuals.plan_against_actual(db, snapshot_id, day)
    own = found.of_place(found.snapshot.place_code)
    happened = own[own["happened"]]
    sentences = [found.title, *found.sentences, found.caption]
    if happened.empty:
        return _inputs([*sentences, "No month of the snapshot's year has happened yet."])
    shown = actuals.display_table(happened.reset_index(drop=True))
    # A pack is read on paper: the months that tell something, not every month.
    telling = shown[
        ~shown["Signal"].isin(["within the band"]) | (shown["Capacity variance"] != "0")
    ]
    if telling.empty:
        return _inputs([*sentences, "Every month that has happened was within the plan."])
    caption = (
        "Months outside the plan's band, or whose capacity turned out different "
        "(the Place page lists every month)"
    )
    table = _whole(telling.reset_index(drop=True), signed=("Planned gap", "Actual gap"))
    return _inputs(sentences, [(caption, table)])


DECISION_TABLE = {
    "text": "Decision",
    "owner": "Owner",
    "due": "Due",
    "status": "Status",
    "place": "For",
    "made_by": "Made by",
}


def _decision_table(found, today: date) -> pd.DataFrame:
    rows = decisions.decision_rows(found, today)
    rows = rows.assign(
        due=[
            ("" if pd.isna(d) else f"{d:%-d %b %Y}") + (" (overdue)" if late else "")
            for d, late in zip(rows["due"], rows["overdue"], strict=True)
        ],
        owner=rows["owner"].fillna(""),
    )
    return rows[list(DECISION_TABLE)].rename(columns=DECISION_TABLE)


def decisions_source(
    db: Database, context: PackContext, today: date | None = None
) -> SectionInputs:
    """This meeting's decisions (those against the pack's snapshot, else the place's newest)
    and every open action of the place and its places."""
    day = today or config.today()
    meeting = decisions.meeting_decisions(
        db,
        context.place_code,
        snapshot_id=None if context.snapshot is None else context.snapshot.snapshot_id,
        today=day,
    )
    sentences = [f"This meeting: {meeting.meeting}."]
    tables = []
    if meeting.decided:
        tables.append(("Decisions of this meeting", _decision_table(meeting.decided, day)))
    else:
        sentences.append("No decision recorded for this meeting yet.")
    if meeting.open_actions:
        tables.append(("Open actions", _decision_table(meeting.open_actions, day)))
    else:
        sentences.append("No open actions.")
    return _inputs(sentences, tables)


WORKFORCE_TABLE = {
    "place": "Place",
    "service": "Service",
    "source": "Referrals",
    "month": "Month",
    "short": "People short",
    "hours": "Care hours short a month",
    "fte": "Care workers' FTE short",
}


def workforce_inputs(rows: pd.DataFrame, assumptions: workforce.Assumptions) -> SectionInputs:
    """Services planned by hours: each month short in people, care hours and FTE, with the
    assumptions used and their sources (``rows``: the pack's plan frame rows of its places)."""
    codes = list(dict.fromkeys(rows["place_code"]))
    names = dict(zip(rows["place_code"], rows["place"], strict=False))
    parts = [
        workforce.workforce_table(rows, assumptions, code).assign(place=names[code])
        for code in codes
    ]
    found = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if found.empty:
        return _inputs(["No service here is planned by commissioned hours."])
    short = found[found["gap"] < -0.5].sort_values(["place", "service", "month", "source"])
    used = found.drop_duplicates(["hours_per_week", "productive_share", "workforce_source"])
    basis = [
        f"Assumed {a.hours_per_week:g} contracted hours a week and {a.productive_share:.0%} of "
        f"them with people ({a.workforce_source})."
        for a in used.itertuples()
    ]
    lead = (
        "For services planned by commissioned hours, each shortfall in people is also the care "
        "hours a month and the care workers' full-time equivalents it would take to close it: "
        "hours short = people short × hours per package × length of stay ÷ days in the month; "
        "FTE = hours ÷ (hours a week × 52.143 ÷ 12 × the productive share)."
    )
    if short.empty:
        return _inputs([lead, *basis, "No month is short for these services."])
    shown = pd.DataFrame(
        {
            "place": short["place"],
            "service": short["service"],
            "source": short["source"].map({"hospital": "Hospital discharge"}).fillna("Community"),
            "month": short["month"].map(month_label),
            "short": (-short["gap"]).map(people),
            "hours": (-short["care_hours_gap"]).map(lambda v: "" if v != v else f"{v:,.0f}"),
            "fte": (-short["fte_gap"]).map(lambda v: "" if v != v else f"{v:,.1f}"),
        }
    )
    table = shown[list(WORKFORCE_TABLE)].rename(columns=WORKFORCE_TABLE).reset_index(drop=True)
    return _inputs([lead, *basis], [("Months short, services planned by hours", table)])
