"""The Place page's "Plan with the observed figure": one click saves, selects and shows it.

Bromley's step-down flats are stated at 42 days; their records for April 2024 to March 2025
show longer stays (more than 25% longer), so the 2025-26 plan flags them and the page offers
to plan with the observed figure.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from capacity import config
from pages import page_path
from tests.app.conftest import APP, figures, no_errors, trace

BROMLEY = "E09000006"
NAME = "Observed length of stay: Bromley D2A step-down flats in extra care housing"


@pytest.fixture
def app(writable_db, monkeypatch):
    monkeypatch.setenv(config.DB_ENV, str(writable_db))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"year": "2025", "place": BROMLEY})
    at.run()
    return at.switch_page(page_path("place")).run()


def flats_capacity(app) -> list[float]:
    """The capacity line of the chart of other short-term bedded care (only the flats)."""
    chart = next(
        f for f in figures(app) if "Other short-term bedded" in str(f["layout"]["title"]["text"])
    )
    return trace(chart, "Capacity")["y"]


def test_the_button_saves_the_observed_scenario_selects_it_and_the_chart_follows(app):
    no_errors(app)
    before = flats_capacity(app)
    button = app.button(key="observed_brm_d2a_extra_care")
    assert button.label == "Plan with the observed figure"
    button.click().run()
    no_errors(app)
    assert app.query_params["scenario"] == NAME
    assert app.sidebar.selectbox(key="scenario").value == NAME
    notice = " ".join(s.value for s in app.success)
    assert f"Saved {NAME!r} as version 1" in notice
    assert "length of stay +" in notice and "(42 → " in notice
    after = flats_capacity(app)
    # Longer stays mean fewer new people in the same flats: every month's capacity falls by
    # the same factor, 42 ÷ observed, which is below 1 ÷ 1.25 as the flag needs.
    ratios = [a / b for a, b in zip(after, before, strict=True)]
    assert max(ratios) == pytest.approx(min(ratios))
    assert ratios[0] < 1 / 1.25
    # The flag is answered, so the offer for the flats is gone.
    assert not [b for b in app.button if b.key == "observed_brm_d2a_extra_care"]


def test_a_second_click_saves_a_new_version_of_the_same_scenario(app):
    app.button(key="observed_brm_d2a_extra_care").click().run()
    app.sidebar.selectbox(key="scenario").select("baseline").run()
    app.button(key="observed_brm_d2a_extra_care").click().run()
    no_errors(app)
    assert any(f"Saved {NAME!r} as version 2" in s.value for s in app.success)
    assert app.query_params["scenario"] == NAME


def test_a_place_whose_records_agree_is_offered_nothing(writable_db, monkeypatch):
    monkeypatch.setenv(config.DB_ENV, str(writable_db))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"year": "2025", "place": "E09000016"})  # Havering
    at.run()
    at.switch_page(page_path("place")).run()
    no_errors(at)
    assert not [b for b in at.button if str(b.key).startswith("observed_")]
