"""The audit trail: each change names its person, time, place and what changed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from capacity import access, audit
from capacity.store import Store

ANN = access.User("Ann Lee", "ann@havering.gov.uk", access.EDITOR, frozenset({"E09000016"}), True)


@pytest.fixture
def store():
    with Store.open(None) as opened:
        yield opened


def test_an_entry_names_the_signed_in_person_not_the_server(store):
    audit.record(
        store, ANN, "import", place_code="E09000016", subject="counts.csv", detail="12 rows"
    )
    row = audit.listing(store).iloc[0]
    assert (row["user_name"], row["user_email"], row["action"]) == (
        "Ann Lee",
        "ann@havering.gov.uk",
        "import",
    )
    assert (row["place_code"], row["subject"], row["detail"]) == (
        "E09000016",
        "counts.csv",
        "12 rows",
    )


def test_an_entry_in_a_transaction_that_fails_is_lost_with_the_change(store):
    with pytest.raises(RuntimeError), store.transaction() as tx:
        audit.record(tx, ANN, "undo", subject="import 3")
        raise RuntimeError("the change failed")
    assert audit.listing(store).empty


def test_the_trail_filters_by_place_person_and_date(store):
    audit.record(store, ANN, "import", place_code="E09000016")
    audit.record(store, access.local_user("lead"), "scenario_save", subject="Winter")
    audit.record(store, ANN, "snapshot", place_code="E06000034")
    assert len(audit.listing(store, place_code="E09000016")) == 2  # its own, and the scenario
    assert len(audit.listing(store, person="ANN@havering.gov.uk")) == 2
    today = date.today()
    assert len(audit.listing(store, since=today, until=today)) == 3
    assert audit.listing(store, since=today + timedelta(days=1)).empty


def test_an_unknown_kind_of_change_is_refused(store):
    with pytest.raises(ValueError, match="audit trail"):
        audit.record(store, ANN, "teleport")
