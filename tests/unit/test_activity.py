"""The Activity view: the trail per place, by person and dates, and as safe CSV."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pandas as pd
import pytest

from capacity import access, audit
from capacity.cli import main
from capacity.store import Store
from capacity.views.activity import (
    ActivityError,
    ActivityFilter,
    activity,
    activity_csv,
    parse_day,
    people,
)

HAVERING, THURROCK, REDBRIDGE = "E09000016", "E06000034", "E09000026"
ANN = access.User("Ann Lee", "ann@havering.gov.uk", access.EDITOR, frozenset({HAVERING}), True)
TOM = access.User("Tom Hart", "tom@thurrock.gov.uk", access.EDITOR, frozenset({THURROCK}), True)


@pytest.fixture
def db(writable_db):
    with Store.open(writable_db) as store:
        audit.record(store, ANN, "import", place_code=HAVERING, subject="havering.csv")
        audit.record(store, TOM, "snapshot", place_code=THURROCK, subject="DIWG")
        audit.record(store, TOM, "scenario_save", subject='=HYPERLINK("http://x")')
        audit.record(store, ANN, "decision", place_code=REDBRIDGE, subject="decision 1")
    return writable_db


def subjects(frame: pd.DataFrame) -> list[str]:
    return list(frame["subject"])


def test_a_place_lists_its_own_entries_and_those_of_no_one_place(db):
    shown = activity(db, ActivityFilter(place_code=HAVERING))
    assert subjects(shown) == ['=HYPERLINK("http://x")', "havering.csv"]
    assert list(shown["place"]) == ["Not one place", f"Havering ({HAVERING})"]
    assert list(shown["action"]) == ["Scenario saved", "Import"]


def test_a_system_lists_its_places_entries_too(db):
    # BHR holds Havering and Redbridge, not Thurrock.
    assert subjects(activity(db, ActivityFilter(place_code="BHR"))) == [
        "decision 1",
        '=HYPERLINK("http://x")',
        "havering.csv",
    ]


def test_the_person_filter_takes_an_email_or_a_name_in_any_case(db):
    assert subjects(activity(db, ActivityFilter(person="TOM@thurrock.gov.uk"))) == [
        '=HYPERLINK("http://x")',
        "DIWG",
    ]
    assert subjects(activity(db, ActivityFilter(person="ann lee"))) == [
        "decision 1",
        "havering.csv",
    ]
    assert people(db) == {
        "ann@havering.gov.uk": "Ann Lee (ann@havering.gov.uk)",
        "tom@thurrock.gov.uk": "Tom Hart (tom@thurrock.gov.uk)",
    }


def test_the_date_range_includes_both_ends(db):
    today = date.today()
    assert len(activity(db, ActivityFilter(since=today, until=today))) == 4
    assert activity(db, ActivityFilter(until=today - timedelta(days=1))).empty
    assert activity(db, ActivityFilter(since=today + timedelta(days=1))).empty


def test_bad_dates_are_refused_with_the_reason():
    with pytest.raises(ActivityError, match="'5/1/2026' is not a day written YYYY-MM-DD"):
        parse_day("5/1/2026", "--since")
    with pytest.raises(ActivityError, match="run backwards"):
        ActivityFilter(since=date(2026, 3, 1), until=date(2026, 2, 28))
    assert parse_day(" ", "--since") is None


def test_the_csv_escapes_formula_like_text(db):
    text = activity_csv(activity(db, ActivityFilter(person="tom@thurrock.gov.uk"))).decode()
    lines = text.splitlines()
    assert lines[0] == "changed_at,person,email,action,place,subject,detail"
    # A spreadsheet would run =HYPERLINK(...): the CSV starts it with a quote mark instead.
    assert "'=HYPERLINK" in lines[1] and ",=HYPERLINK" not in lines[1]
    assert lines[1].startswith(f"{date.today():%Y-%m-%d} ")


def test_the_activity_command_filters_and_writes_csv(db):
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["activity", "--place", "Thurrock", "--format", "csv", "--db", str(db)], out=out, err=err
    )
    assert code == 0, err.getvalue()
    rows = pd.read_csv(io.StringIO(out.getvalue()))
    assert list(rows["subject"]) == ['\'=HYPERLINK("http://x")', "DIWG"]
    out = io.StringIO()
    assert main(["activity", "--person", "nobody@x", "--db", str(db)], out=out) == 0
    assert out.getvalue() == "No change matches.\n"


def test_the_activity_command_refuses_a_bad_day_in_one_line(db):
    err = io.StringIO()
    assert main(["activity", "--since", "yesterday", "--db", str(db)], err=err) == 1
    assert err.getvalue() == "error: --since 'yesterday' is not a day written YYYY-MM-DD.\n"
