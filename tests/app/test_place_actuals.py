"""The Place page's "Plan against actual": shown for a place with a snapshot, and a sentence
saying to take one first for a place without."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from capacity import config
from capacity.access import local_user
from capacity.views.snapshots import take_snapshot
from pages import page_path
from tests.app.conftest import APP, no_errors

HAVERING = "E09000016"
THURROCK = "E06000034"


@pytest.fixture
def opened(writable_db, monkeypatch):
    """Open the Place page of a place for 2025-26 over a private copy of the demo."""
    monkeypatch.setenv(config.DB_ENV, str(writable_db))

    def place(code: str) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=120)
        at.query_params.update({"year": "2025", "place": code})
        at.run()
        return at.switch_page(page_path("place")).run()

    return place


def headings(at) -> list[str]:
    return [h.value for h in at.subheader]


def test_a_place_with_a_snapshot_shows_its_plan_against_actual(opened, writable_db):
    take_snapshot(
        writable_db, name="BCF 2025-26", place_code=HAVERING, year=2025, scenario=None,
        user=local_user("test"),
    )  # fmt: skip
    at = opened(HAVERING)
    no_errors(at)
    assert "Plan against actual" in headings(at)
    assert at.selectbox(key=f"actuals_snapshot_{HAVERING}").value is not None
    text = " ".join(m.value for m in at.markdown)
    # The demo's records run to March 2026: every month of 2025-26 has happened.
    assert "- Havering, April 2025 to March 2026: " in text
    assert "the plan's 80% band" in text
    table = next(d.value for d in at.dataframe if "Signal" in d.value.columns)
    assert len(table) > 0 and set(table["Signal"]) <= {
        "above the band",
        "below the band",
        "within the band",
        "no band: the month rested on one year of data",
        "no plan figure: the plan had no demand data",
    }
    chart = json.loads(at.get("plotly_chart")[-1].proto.spec)
    names = [t["name"] for t in chart["data"]][-3:]
    assert names == ["Planned demand", "Actual demand", "Actual, outside the band"]


def test_a_place_without_a_snapshot_is_told_to_take_one_first(opened):
    at = opened(THURROCK)
    no_errors(at)
    assert "Plan against actual" in headings(at)
    assert any(
        "No snapshot of Thurrock yet: take a snapshot of its plan first" in i.value for i in at.info
    )
