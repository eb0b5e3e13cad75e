"""Decisions and actions on the Place page, and presentation mode's last screen."""

from __future__ import annotations

from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from capacity import config
from capacity.access import local_user
from capacity.views import decisions as decision_view
from capacity.views.snapshots import take_snapshot
from pages import page_path
from pages._decisions import wall_items
from tests.app.conftest import APP, no_errors

HAVERING = "E09000016"
SCRIPT = "<script>alert(1)</script> *not bold*"
FORMULA = '=HYPERLINK("x")'


@pytest.fixture
def db(writable_db, monkeypatch):
    """A copy of the demo with a snapshot of BHR, the one the app opens."""
    monkeypatch.setenv(config.DB_ENV, str(writable_db))
    take_snapshot(
        writable_db, name="DIWG 12 November", place_code="BHR", year=2025, scenario=None,
        user=local_user("chair"),
    )  # fmt: skip
    return writable_db


def place_page(own: dict[str, str] | None = None, **params: str) -> AppTest:
    """The Place page opened from a link with the sidebar's ``params`` and the page's ``own``."""
    app = AppTest.from_file(APP, default_timeout=90)
    app.query_params.update({"year": "2025", **params})
    app.run()
    app.query_params.update(own or {})
    app.switch_page(page_path("place")).run()
    no_errors(app)
    return app


def record(app: AppTest, text: str, owner: str = "", due: date | None = None) -> None:
    app.text_area(key="decision_text").set_value(text)
    app.text_input(key="decision_owner").set_value(owner)
    app.date_input(key="decision_due").set_value(due)
    next(b for b in app.button if b.label == "Record the decision").click().run()


def table(app: AppTest, every: bool):
    """The open actions' table, or (``every``) the table of every decision, with its status."""
    frames = [d.value for d in app.dataframe if "against" in d.value.columns]
    return next(f for f in frames if ("status" in f.columns) == every)


def test_a_decision_recorded_on_the_place_page_is_listed_as_typed(db):
    app = place_page(place=HAVERING)
    against = app.selectbox(key="decision_against")
    assert against.value.startswith("snapshot:")  # the newest snapshot holding Havering
    record(app, SCRIPT, owner="Ann Lead", due=date(2026, 1, 31))
    no_errors(app)
    assert any("Recorded decision 1 for Havering" in s.value for s in app.success)
    actions = table(app, every=False)
    assert list(actions["text"]) == [SCRIPT]  # a table shows text, never markdown or HTML
    assert list(actions["owner"]) == ["Ann Lead"]
    assert list(actions["against"]) == ["snapshot 'DIWG 12 November'"]
    assert app.text_area(key="decision_text").value == ""  # the form is cleared for the next
    # Marked done, it leaves the open actions and stays in the full list.
    app.button(key="decision_done").click().run()
    no_errors(app)
    assert decision_view.open_actions(db, [HAVERING]) == []
    assert list(table(app, every=True)["status"]) == ["Done"]


def test_an_empty_decision_is_refused_with_the_reason(db):
    app = place_page(place=HAVERING)
    record(app, "   ")
    assert any("needs its text" in e.value for e in app.error)
    assert decision_view.place_decisions(db, HAVERING) == []


def test_presentation_ends_on_the_meetings_decisions_and_open_actions(db):
    snapshot = decision_view.snapshot_choices(db, "BHR")[0]
    decision_view.record_decision(
        db, place_code=HAVERING, text=FORMULA, user=local_user("chair"),
        snapshot_id=snapshot.snapshot_id, owner="Ann", due="2026-01-31",
    )  # fmt: skip
    app = place_page(place="BHR", present="1")
    for _ in range(3):  # Barking and Dagenham, Havering, Redbridge, then since last time
        app.button(key="present_next").click().run()
    no_errors(app)
    assert app.query_params["present_screen"] == "since"
    since = " ".join(h.proto.body for h in app.get("html"))
    # One snapshot of BHR: nothing to compare it with yet, and said so on the wall.
    assert "what changed compares two" in since
    app.button(key="present_next").click().run()
    no_errors(app)
    assert app.query_params["present_screen"] == "decisions"
    heading = " ".join(m.value for m in app.markdown)
    assert "Decisions and actions" in heading and "DIWG 12 November" in heading
    shown = " ".join(h.proto.body for h in app.get("html"))
    # The text escaped into the wall's HTML: it reads literally, as typed.
    assert "=HYPERLINK(&quot;x&quot;)" in shown or '=HYPERLINK("x")' in shown
    assert "Decided at this meeting (1)" in shown and "Open actions (1)" in shown
    app.button(key="present_previous").click().run()
    assert app.query_params["present_screen"] == "since"
    app.button(key="present_previous").click().run()
    assert "present_screen" not in app.query_params
    assert app.query_params["place"] == "E09000026"


def test_the_last_screen_opens_from_its_address_and_escapes_text(db):
    snapshot = decision_view.snapshot_choices(db, "BHR")[0]
    decision_view.record_decision(
        db,
        place_code="BHR",
        text=SCRIPT,
        user=local_user("chair"),
        snapshot_id=snapshot.snapshot_id,
    )
    app = place_page({"present_screen": "decisions"}, place="BHR", present="1")
    shown = " ".join(h.proto.body for h in app.get("html"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt; *not bold*" in shown
    assert "<script>alert(1)" not in shown
    app.button(key="present_exit").click().run()
    assert "present" not in app.query_params and "present_screen" not in app.query_params


def test_the_last_screen_holds_as_many_decisions_as_fit_on_the_wall():
    # Room in rem of the 21 px type: 1080 / 21 = 51.43, less the heading 14.88 (as the Place
    # screen's), the column title 1.4 × 1.3 + 0.5 = 2.32 and a line for "and N more" 1.2:
    # 33.03 rem. An item is two lines of 1.15 × 1.3, one of 0.85 × 1.35 and 0.6 of padding:
    # 4.7475 rem, so six fit (6 × 4.7475 = 28.49; seven would need 33.23).
    assert wall_items() == 6
    assert wall_items(screen=1440) > wall_items()


def test_since_last_time_shows_what_changed_and_whether_the_plan_held(db):
    """Two snapshots of BHR, the second under the winter flex beds preset: the wall names the
    scenario change between them, and sets the newest against the months since (the demo's
    2025-26 is all behind today's date, so every month has happened)."""
    from capacity.views.scenario_choices import scenario_for

    take_snapshot(
        db, name="DIWG 10 December", place_code="BHR", year=2025,
        scenario=scenario_for(db, "preset:winter_flex_beds", 2025), user=local_user("chair"),
    )  # fmt: skip
    app = place_page({"present_screen": "since"}, place="BHR", present="1")
    no_errors(app)
    heading = " ".join(m.value for m in app.markdown)
    assert "Since last time" in heading and "newest snapshot DIWG 10 December" in heading
    shown = " ".join(h.proto.body for h in app.get("html"))
    assert "What changed: DIWG 12 November → DIWG 10 December" in shown
    assert "Open winter flex beds" in shown
    assert "Did the plan hold? DIWG 10 December" in shown
    assert "12 months have happened" in shown
