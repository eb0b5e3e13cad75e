"""Decisions and actions: refusals that store nothing, what a place lists, open actions,
status history, decisions against a deleted snapshot or scenario, text kept literally, and
what a meeting decided."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from capacity import decisions, scenario_store, snapshots
from capacity.access import local_user
from capacity.decisions import DecisionError
from capacity.plan import PLAN_COLUMNS
from capacity.scenarios.model import Change, Scenario
from capacity.store import Store
from capacity.views import decisions as decision_view

HAVERING, THURROCK, BHR = "E09000016", "E06000034", "BHR"
FORMULA = '=HYPERLINK("x")'
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def store(writable_db):
    with Store.open(writable_db) as opened:
        yield opened


def snapshot(store: Store, name: str, place_code: str) -> int:
    """A snapshot of a place (its rows do not matter to a decision, so none are kept)."""
    taken = snapshots.save(
        store,
        name=name,
        place_code=place_code,
        year=2025,
        scenario=None,
        rows=pd.DataFrame(columns=PLAN_COLUMNS),
        made_by="chair",
    )
    return taken.snapshot_id


def stored(store: Store) -> tuple[int, int]:
    """How many decisions and status changes the store holds."""
    return (
        store._con.execute("SELECT count(*) FROM decisions").fetchone()[0],
        store._con.execute("SELECT count(*) FROM decision_status_changes").fetchone()[0],
    )


def add(store: Store, against: int, **fields) -> decisions.Decision:
    defaults = {"text": "Fund flex beds", "made_by": "chair", "snapshot_id": against}
    return decisions.add(store, **(defaults | fields))


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"text": "   "}, "needs its text"),
        ({"text": "x" * 2001}, "at most 2,000 characters; this one has 2,001"),
        ({"owner": "o" * 201}, "at most 200 characters; this one has 201"),
        ({"due": "2026-02-30"}, "'2026-02-30' is not a real date"),
        ({"due": "24/11/2026"}, "is not a date: use the form YYYY-MM-DD"),
        ({"due": "20261124"}, "is not a date: use the form YYYY-MM-DD"),
        ({"due": "1999-12-31"}, "outside the years 2000 to 2100"),
        ({"due": date(2101, 1, 1)}, "outside the years 2000 to 2100"),
        ({"snapshot_id": 999}, "no snapshot number 999"),
        ({"place_code": THURROCK}, "does not hold the place 'E06000034'"),
        ({"place_code": "NOWHERE"}, "no place or system with the code 'NOWHERE'"),
        ({"made_by": " "}, "records who made it"),
    ],
)
def test_a_refused_decision_says_why_and_stores_nothing(store, fields, reason):
    bhr = snapshot(store, "DIWG 12 November", BHR)
    with pytest.raises(DecisionError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        add(store, bhr, **fields)
    assert stored(store) == (0, 0)


def test_a_decision_needs_one_thing_it_is_against(store):
    bhr = snapshot(store, "DIWG", BHR)
    with pytest.raises(DecisionError, match="one snapshot or one scenario version"):
        decisions.add(store, text="x", made_by="chair", place_code=HAVERING)
    with pytest.raises(DecisionError, match="one snapshot or one scenario version"):
        decisions.add(
            store, text="x", made_by="chair", snapshot_id=bhr, scenario_id=1, scenario_version=1
        )
    with pytest.raises(DecisionError, match="no saved scenario number 999 version 1"):
        decisions.add(
            store,
            text="x",
            made_by="chair",
            place_code=HAVERING,
            scenario_id=999,
            scenario_version=1,
        )
    assert stored(store) == (0, 0)


def test_a_deleted_snapshot_takes_no_new_decision(store):
    bhr = snapshot(store, "DIWG", BHR)
    snapshots.delete(store, snapshots.get(store, bhr))
    with pytest.raises(DecisionError, match="'DIWG' was deleted"):
        add(store, bhr)
    assert stored(store) == (0, 0)


def test_the_limits_themselves_are_accepted(store):
    bhr = snapshot(store, "DIWG", BHR)
    first = add(store, bhr, text="x" * 2000, owner="o" * 200, due="2000-01-01")
    last = add(store, bhr, text="  Spaces trimmed  ", due=date(2100, 12, 31))
    assert len(first.text) == 2000 and len(first.owner) == 200
    assert first.due_date == date(2000, 1, 1) and last.due_date == date(2100, 12, 31)
    assert last.text == "Spaces trimmed"
    assert stored(store) == (2, 2)


def test_a_snapshot_decision_is_for_its_place_or_a_member(store):
    bhr = snapshot(store, "DIWG", BHR)
    assert add(store, bhr).place_code == BHR
    assert add(store, bhr, place_code=HAVERING).place_code == HAVERING


def test_text_is_kept_exactly_as_typed(store):
    bhr = snapshot(store, "DIWG", BHR)
    for text in (FORMULA, SCRIPT, "line one\nline two"):
        made = add(store, bhr, text=text)
        assert decisions.get(store, made.decision_id).text == text


def test_open_filter_and_open_actions(store):
    bhr = snapshot(store, "DIWG", BHR)
    owned = add(store, bhr, text="owned", owner="Ann")
    dated = add(store, bhr, text="dated", due="2026-01-31")
    plain = add(store, bhr, text="recorded only")
    closed = add(store, bhr, text="closed", owner="Bob", due="2025-12-01")
    decisions.set_status(store, closed.decision_id, "done", "Bob")

    everything = decisions.listing(store, [BHR])
    assert [d.text for d in everything] == ["closed", "recorded only", "dated", "owned"]
    open_ones = decisions.listing(store, [BHR], open_only=True)
    assert {d.decision_id for d in open_ones} == {
        owned.decision_id,
        dated.decision_id,
        plain.decision_id,
    }
    # Actions: open, with an owner or a due date; the dated one first, then those undated.
    assert [d.text for d in decisions.open_actions(store, [BHR])] == ["dated", "owned"]


def test_a_place_lists_its_systems_decisions_and_a_system_its_members(store):
    bhr = snapshot(store, "DIWG", BHR)
    thurrock = snapshot(store, "Thurrock review", THURROCK)
    for_system = add(store, bhr, text="for BHR", owner="Ann")
    for_havering = add(store, bhr, text="for Havering", owner="Ann", place_code=HAVERING)
    add(store, thurrock, text="for Thurrock", owner="Ann")

    at_havering = decision_view.place_decisions(store, HAVERING)
    assert {d.decision_id for d in at_havering} == {
        for_system.decision_id,
        for_havering.decision_id,
    }
    at_bhr = decision_view.open_actions(store, [BHR])
    assert {d.text for d in at_bhr} == {"for BHR", "for Havering"}
    assert {d.text for d in decision_view.place_decisions(store, THURROCK)} == {"for Thurrock"}


def test_status_changes_are_kept_with_who_and_when(store):
    bhr = snapshot(store, "DIWG", BHR)
    made = add(store, bhr, owner="Ann")
    decisions.set_status(store, made.decision_id, "done", "Ann")
    reopened = decisions.set_status(store, made.decision_id, "open", "Bob")
    history = decisions.history(store, made.decision_id)
    assert [(h.status, h.changed_by) for h in history] == [
        ("open", "chair"),
        ("done", "Ann"),
        ("open", "Bob"),
    ]
    assert history[0].changed_at == made.made_at
    assert history[0].changed_at <= history[1].changed_at <= history[2].changed_at
    assert reopened.status == "open" and reopened.status_by == "Bob"


@pytest.mark.parametrize(
    ("status", "reason"),
    [("open", "already open"), ("finished", "'finished' is not a decision status")],
)
def test_a_status_change_that_changes_nothing_or_is_unknown_is_refused(store, status, reason):
    bhr = snapshot(store, "DIWG", BHR)
    made = add(store, bhr)
    with pytest.raises(DecisionError, match=reason):
        decisions.set_status(store, made.decision_id, status, "Ann")
    assert len(decisions.history(store, made.decision_id)) == 1
    with pytest.raises(DecisionError, match="no decision number 99"):
        decisions.set_status(store, 99, "done", "Ann")


def test_a_decision_against_a_snapshot_later_deleted_still_lists(store):
    bhr = snapshot(store, "DIWG 12 November", BHR)
    made = add(store, bhr, owner="Ann")
    snapshots.delete(store, snapshots.get(store, bhr))
    listed = decisions.listing(store, [BHR])
    assert [d.decision_id for d in listed] == [made.decision_id]
    assert listed[0].against == "snapshot 'DIWG 12 November' (deleted)"
    assert [d.decision_id for d in decisions.open_actions(store, [BHR])] == [made.decision_id]


WINTER = Scenario(
    "Winter BHR",
    (Change("demand_pct", 10, "2025-12", "2026-03", places=("BHR",)),),
    "Demand +10% from December",
    "A lead",
)


def test_a_decision_against_a_scenario_version_reads_after_the_scenario_is_deleted(store):
    scenario_store.save(store, WINTER)
    scenario_store.save(store, WINTER.with_changes(description="again"), replacing="Winter BHR")
    made = decision_view.record_decision(
        store,
        place_code=HAVERING,
        text="Pursue the winter plan",
        user=local_user("chair"),
        scenario_name="winter bhr",
        scenario_version=1,
    )
    assert made.against == "scenario 'Winter BHR' version 1"
    current = decision_view.record_decision(
        store, place_code=BHR, text="x", user=local_user("chair"), scenario_name="Winter BHR"
    )
    assert current.scenario_version == 2
    scenario_store.delete(store, "Winter BHR")
    assert decisions.get(store, made.decision_id).against == "scenario 'Winter BHR' version 1"


@pytest.mark.parametrize(
    ("name", "version", "reason"),
    [
        ("Winter BHR", 3, "has versions 1 to 1, not 3"),
        ("Summer", None, "no saved scenario called 'Summer'"),
    ],
)
def test_an_unknown_scenario_version_is_refused(store, name, version, reason):
    scenario_store.save(store, WINTER)
    with pytest.raises(DecisionError, match=reason):
        decision_view.record_decision(
            store,
            place_code=HAVERING,
            text="x",
            user=local_user("chair"),
            scenario_name=name,
            scenario_version=version,
        )
    with pytest.raises(DecisionError, match="needs the place or system it is for"):
        decision_view.record_decision(
            store, place_code=None, text="x", user=local_user("chair"), scenario_name="Winter BHR"
        )
    assert stored(store) == (0, 0)


def test_overdue_means_open_and_due_before_today(store):
    bhr = snapshot(store, "DIWG", BHR)
    due = add(store, bhr, due="2026-01-02")
    rows = decision_view.decision_rows([due], today=date(2026, 1, 2))
    assert not rows.loc[0, "overdue"]  # due today is not yet overdue
    assert decision_view.decision_rows([due], today=date(2026, 1, 3)).loc[0, "overdue"]
    done = decisions.set_status(store, due.decision_id, "done", "Ann")
    assert not decision_view.decision_rows([done], today=date(2026, 1, 3)).loc[0, "overdue"]


def test_this_meeting_is_the_newest_snapshot_of_the_place_presented(store):
    older = snapshot(store, "DIWG October", BHR)
    newer = snapshot(store, "DIWG November", BHR)
    earlier = add(store, older, text="October's", owner="Ann")
    first = add(store, newer, text="November's first", place_code=HAVERING)
    second = add(store, newer, text="November's second", owner="Bob", due="2026-03-01")
    meeting = decision_view.meeting_decisions(store, BHR, today=date(2026, 1, 1))
    assert meeting.snapshot is not None and meeting.snapshot.snapshot_id == newer
    assert [d.decision_id for d in meeting.decided] == [first.decision_id, second.decision_id]
    # Every open action of the places presented, this meeting's or not.
    assert [d.decision_id for d in meeting.open_actions] == [
        second.decision_id,
        earlier.decision_id,
    ]
    chosen = decision_view.meeting_decisions(store, BHR, snapshot_id=older)
    assert [d.text for d in chosen.decided] == ["October's"]


def test_a_system_without_a_snapshot_meets_on_its_places_newest(store):
    """A BHR meeting that snapshotted Havering (not BHR): its decisions are those against the
    newest snapshot of BHR's places; a system snapshot, once taken, comes first."""
    older = snapshot(store, "Havering October", HAVERING)
    newer = snapshot(store, "Havering November", HAVERING)
    add(store, older, text="October's")
    november = add(store, newer, text="November's")
    meeting = decision_view.meeting_decisions(store, BHR, today=date(2026, 1, 1))
    assert meeting.snapshot is not None and meeting.snapshot.snapshot_id == newer
    assert [d.decision_id for d in meeting.decided] == [november.decision_id]
    own = snapshot(store, "BHR December", BHR)
    assert decision_view.meeting_decisions(store, BHR).snapshot.snapshot_id == own


def test_with_no_snapshot_this_meeting_is_todays_decisions(store):
    scenario_store.save(store, WINTER)
    made = decision_view.record_decision(
        store,
        place_code=THURROCK,
        text="Today's",
        user=local_user("chair"),
        scenario_name="Winter BHR",
    )
    today = made.made_at.date()
    meeting = decision_view.meeting_decisions(store, THURROCK, today=today)
    assert meeting.snapshot is None and "decisions made today" in meeting.meeting
    assert [d.text for d in meeting.decided] == ["Today's"]
    tomorrow = decision_view.meeting_decisions(store, THURROCK, today=date(2100, 1, 1))
    assert tomorrow.decided == []
