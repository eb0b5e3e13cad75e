"""Workforce on the pages: the Place page's figures and headline give care workers' FTE for a
service planned by hours; the Data page sets the assumptions and refuses bad ones."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from capacity import config
from capacity.plan import plan_for
from capacity.store import Store
from pages import page_path
from tests.app.conftest import APP, no_errors

HAVERING = "E09000016"
# Paid hours of one FTE a month at 37.5 hours a week, three-quarters of them with people.
CONTACT_HOURS = 37.5 * 52.143 / 12 * 0.75


def place_page(app, **params: str):
    app.query_params.update({"place": HAVERING, "year": "2025"})
    app.run()
    app.query_params.update(params)
    app.switch_page(page_path("place")).run()
    return app


def test_the_place_page_gives_fte_for_reablement_planned_by_hours(app, demo_db):
    place_page(app, month="2026-02", service_type="reablement_home")
    no_errors(app)
    with Store.open(demo_db, read_only=True) as store:
        plan = plan_for(store, "Havering", 2025)
    rows = plan[(plan["service_type"] == "reablement_home") & (plan["month"] == "2026-02")]
    assert set(rows["method"]) == {"hours"}
    # Havering reablement: 40 hours a package, a 28-day stay, February's 28 days: 40 hours a
    # person; the type's gap over both sources, in FTE.
    fte = rows["gap"].sum() * 40 * 28 / 28 / CONTACT_HOURS
    words = f"{fte:.1f}" if abs(fte) < 9.95 else f"{abs(fte):,.0f}"
    sentence = next(m.value for m in app.markdown if "Havering in February 2026" in m.value)
    assert (
        f"reablement at home is {-rows['gap'].sum():,.0f} short (about {words} care workers' FTE)"
        in sentence
    )
    table = next(d.value for d in app.dataframe if "fte_gap" in d.value.columns)
    february = table[table["month"] == "Feb 2026"]
    expected = sorted(round(g * 40 / CONTACT_HOURS, 1) for g in rows["gap"])
    assert sorted(february["fte_gap"]) == pytest.approx(expected)
    assert list(table.columns).index("fte_gap") == list(table.columns).index("gap") + 2


def test_a_type_not_planned_by_hours_gets_no_fte(app):
    place_page(app, service_type="social_support")
    no_errors(app)
    assert not any("FTE" in m.value for m in app.markdown)
    assert not any("fte_gap" in d.value.columns for d in app.dataframe)


@pytest.fixture
def data_page(writable_db, monkeypatch):
    monkeypatch.setenv(config.DB_ENV, str(writable_db))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"place": HAVERING, "year": "2025"})
    at.run()
    return at.switch_page(page_path("data")).run()


def test_the_data_page_sets_a_places_assumptions(data_page, writable_db):
    at = data_page
    assert any(s.value == "Workforce assumptions" for s in at.subheader)
    assert at.selectbox(key="data_workforce_place").value == HAVERING
    at.number_input(key="data_workforce_hours").set_value(36.0)
    at.number_input(key="data_workforce_share").set_value(0.8)
    at.text_input(key="data_workforce_source").input("Provider rota, October 2025")
    at.button[[b.label for b in at.button].index("Save workforce assumptions")].click().run()
    no_errors(at)
    assert any("Saved for E09000016" in s.value for s in at.success)
    with Store.open(writable_db, read_only=True) as store:
        log = store.query("workforce_settings_log")
    assert list(log["place_code"]) == [HAVERING] and list(log["hours_per_week"]) == [36.0]


def test_the_data_page_refuses_an_empty_source_and_stores_nothing(data_page, writable_db):
    at = data_page
    at.number_input(key="data_workforce_share").set_value(1.5)
    at.text_input(key="data_workforce_source").input("rota")
    at.button[[b.label for b in at.button].index("Save workforce assumptions")].click().run()
    assert any(
        "Workforce assumptions not saved" in w.value and "share" in w.value for w in at.warning
    )
    with Store.open(writable_db, read_only=True) as store:
        assert store.query("workforce_settings_log").empty
