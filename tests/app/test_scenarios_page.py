"""The Scenarios page: build, see the effect, save, and find the scenario on every page."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from capacity import config
from pages import page_path
from tests.app.conftest import APP, figures, no_errors, trace


@pytest.fixture
def app(writable_db, monkeypatch):
    monkeypatch.setenv(config.DB_ENV, str(writable_db))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["year"] = "2025"
    at.run()
    return at.switch_page(page_path("scenarios")).run()


def add(app, lever, value, first, last, check=True, **scope):
    app.selectbox(key="sb_lever").select(lever)
    app.number_input(key="sb_value").set_value(value)
    app.selectbox(key="sb_from").select(first)
    app.selectbox(key="sb_to").select(last)
    for key, values in scope.items():
        widget = app.multiselect(key=f"sb_{key}")
        for value_ in values:
            widget.select(value_)
    app.button(key="FormSubmitter:sb_add-Add change").click().run()
    if check:
        no_errors(app)


def metric(app, label):
    return next(m for m in app.metric if m.label.startswith(label))


def test_build_save_and_select_a_winter_scenario(app):
    no_errors(app)
    app.text_input(key="sb_name").input("Winter BHR").run()
    add(app, "demand_pct", 10, "2025-12", "2026-03")
    after_surge = metric(app, "With the scenario").value
    add(app, "caseload_delta", 4, "2025-11", "2026-03", services=["bhr_rehab_beds"])
    assert metric(app, "With the scenario").value != after_surge
    places = app.dataframe[1].value.set_index("place")
    assert set(places.index) == {"Barking & Dagenham", "Havering", "Redbridge"}
    assert (places["scenario"] > places["baseline"]).all()  # +10% demand outweighs four beds
    app.button(key="sb_save").click().run()
    no_errors(app)
    assert any("Saved 'Winter BHR' as version 1" in s.value for s in app.success)
    assert app.query_params["scenario"] == "Winter BHR"
    app.switch_page(page_path("place")).run()
    no_errors(app)
    assert "Winter BHR" in " ".join(m.value for m in app.markdown)
    notes = [t.get("text") for f in figures(app) for t in f["data"] if t.get("name") == "Demand"]
    assert any("Demand" in str(n) for n in notes)


def test_a_refused_scenario_says_why_and_saves_nothing(app):
    app.text_input(key="sb_name").input("baseline").run()
    add(app, "demand_pct", 10, "2025-12", "2026-03")
    app.button(key="sb_save").click().run()
    assert any("is reserved" in e.value for e in app.error)
    assert app.query_params.get("scenario") is None


def test_an_empty_month_range_is_refused_when_added(app):
    add(app, "demand_pct", 10, "2026-03", "2025-12", check=False)
    assert any("is empty" in e.value for e in app.error)
    assert app.session_state["sb_changes"] == []


def test_a_preset_in_the_url_applies_to_every_page(writable_db, monkeypatch):
    monkeypatch.setenv(config.DB_ENV, str(writable_db))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"year": "2025", "place": "E09000016"})
    at.run()
    at.switch_page(page_path("place")).run()
    baseline = trace(figures(at)[1], "Demand")["y"]  # reablement at home
    at.query_params["scenario"] = "preset:winter_surge"
    at.run()
    no_errors(at)
    surged = trace(figures(at)[1], "Demand")["y"]
    assert surged[:8] == pytest.approx(baseline[:8])          # April to November unchanged
    assert surged[8:] == pytest.approx([v * 1.1 for v in baseline[8:]])  # December to March


def test_an_unknown_scenario_in_the_url_falls_back_with_a_notice(writable_db, monkeypatch):
    monkeypatch.setenv(config.DB_ENV, str(writable_db))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["scenario"] = "Summer of love"
    at.run()
    no_errors(at)
    assert any("scenario 'Summer of love' is not recognised" in w.value for w in at.warning)


def test_compare_and_sensitivity(app):
    app.multiselect(key="sb_compare").select("preset:winter_surge").select(
        "preset:january_absence").run()
    no_errors(app)
    compare = next(f for f in figures(app) if "Gap by month, " in f["layout"]["title"]["text"])
    assert [t["name"] for t in compare["data"]] == [
        "Baseline", "Winter surge (preset)", "January staff absence 15% (preset)"]
    tornado = next(f for f in figures(app) if "winter shortfall" in f["layout"]["title"]["text"])
    assert len(tornado["data"][0]["y"]) == 5
