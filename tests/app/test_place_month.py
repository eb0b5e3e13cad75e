"""The Place page's ``month`` link value (a click on the Overview's heat map sends one): a month
of the planning year is marked and spoken of; anything else gets a notice and is ignored."""

from __future__ import annotations

import pytest

from pages import page_path
from tests.app.conftest import figures, no_errors

HAVERING = "E09000016"


def place_with(app, month: str):
    """The Place page opened from a link carrying this month, as a heat-map click sends it."""
    app.query_params.update({"place": HAVERING, "year": "2025"})
    app.run()
    app.query_params["month"] = month
    app.switch_page(page_path("place")).run()
    return app


def bands(app) -> list[dict]:
    return [s for f in figures(app) for s in f["layout"].get("shapes", []) if s["type"] == "rect"]


def test_a_month_of_the_year_is_marked_on_every_chart_and_headed(app):
    place_with(app, "2026-01")
    no_errors(app)
    assert not app.warning
    assert app.selectbox(key="place_month").value == "2026-01"
    assert any("Havering in January 2026" in m.value for m in app.markdown)
    charts = figures(app)
    # January is the tenth month of 2025-26 (April first): category 9, its slot 8.5 to 9.5.
    assert len(bands(app)) == len(charts) > 0
    assert {(b["x0"], b["x1"]) for b in bands(app)} == {(8.5, 9.5)}
    assert app.query_params.get("month") == "2026-01"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("January", "not a month (use the form 2026-01)"),
        ("2026-13", "not a month of 2025-26, Apr 2025 to Mar 2026"),
        ("2027-01", "not a month of 2025-26, Apr 2025 to Mar 2026"),
        ("2025-03", "not a month of 2025-26, Apr 2025 to Mar 2026"),
    ],
)
def test_a_bad_month_gets_a_notice_and_is_ignored(app, value, reason):
    place_with(app, value)
    no_errors(app)
    # The notice is markdown, its brackets escaped so a link cannot format it.
    notice = " ".join(w.value for w in app.warning).replace("\\", "")
    assert f"month '{value}' is not recognised ({reason})" in notice, notice
    assert "showing the whole year (no month marked) instead" in notice
    assert app.selectbox(key="place_month").value is None
    assert not bands(app)
    assert not any(" in January 2026" in m.value for m in app.markdown)
    assert "month" not in app.query_params
