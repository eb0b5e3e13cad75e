"""Two people on the Data page of one store: the second to save the same parameters, demand
settings, service or workforce assumptions is refused on screen, with who saved first, and
nothing is lost silently; the refused editor then shows the rows as stored."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from capacity import config
from capacity.views import data
from capacity.views import workforce as wv
from pages import page_path
from tests.app.conftest import APP


def data_page(path) -> AppTest:
    """A browser session on the Data page for Havering."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"place": "E09000016", "year": "2025"})
    at.run()
    return at.switch_page(page_path("data")).run()


@pytest.fixture
def two(writable_db, monkeypatch):
    """Two sessions (two people) on the Data page of one writable store."""
    monkeypatch.setenv(config.DB_ENV, str(writable_db))
    return data_page(writable_db), data_page(writable_db), writable_db


def edit(at: AppTest, key: str, *, edited=None, added=None) -> None:
    """Edits typed into the editor ``key`` (as the browser sends them), not saved yet."""
    at.session_state[key] = {
        "edited_rows": edited or {},
        "added_rows": added or [],
        "deleted_rows": [],
    }


def test_the_second_save_of_a_services_parameters_is_refused_on_screen(two):
    ann, ben, path = two
    service = "hav_reablement"
    for person in (ann, ben):
        person.selectbox(key="data_param_service").set_value(service).run()
    key = f"data_param_editor_{service}"
    first_los = float(data.parameters_of(path, service)["mean_los_days"].iloc[0])
    # Ben lengthens the first row's stay by 5 days and saves.
    edit(ben, key, edited={0: {"mean_los_days": first_los + 5}})
    ben.run()
    ben.button(key="data_param_save").click().run()
    assert any("Saved: Loaded" in s.value for s in ben.success), [w.value for w in ben.warning]
    # Ann, who opened the page before Ben saved, shortens it by 5 and saves.
    edit(ann, key, edited={0: {"mean_los_days": first_los - 5}})
    ann.run()
    ann.button(key="data_param_save").click().run()
    refusals = [w.value for w in ann.warning if w.value.startswith("Not saved:")]
    assert len(refusals) == 1, [w.value for w in ann.warning]
    assert "changed after you opened the editor" in refusals[0]
    assert "saved a change" in refusals[0] and "Your edits were not saved" in refusals[0]
    # Ben's change stands, and Ann's editor now shows it.
    assert float(data.parameters_of(path, service)["mean_los_days"].iloc[0]) == first_los + 5
    shown = ann.data_editor(key=key).value
    assert float(shown["mean_los_days"].iloc[0]) == first_los + 5
    # Made again on what she now sees, Ann's change saves.
    edit(ann, key, edited={0: {"mean_los_days": first_los - 5}})
    ann.run()
    ann.button(key="data_param_save").click().run()
    assert any("Saved: Loaded" in s.value for s in ann.success), [w.value for w in ann.warning]
    assert float(data.parameters_of(path, service)["mean_los_days"].iloc[0]) == first_los - 5


def test_the_second_save_of_the_demand_settings_is_refused_on_screen(two):
    ann, ben, path = two
    key = "data_demand_editor"
    assert data.demand_settings(path).empty  # the demo states none
    edit(ben, key, added=[{"window_years": 2, "growth_method": "flat", "growth_rate": 3.0}])
    ben.run()
    ben.button(key="data_demand_save").click().run()
    assert any("Saved 1 demand setting" in s.value for s in ben.success)
    edit(ann, key, added=[{"window_years": 1, "growth_method": "flat", "growth_rate": 5.0}])
    ann.run()
    ann.button(key="data_demand_save").click().run()
    refusals = [w.value for w in ann.warning if w.value.startswith("Not saved:")]
    assert len(refusals) == 1, [w.value for w in ann.warning]
    assert refusals[0].startswith(
        "Not saved: The demand settings changed after you opened the editor:"
    )
    assert "Your edits were not saved" in refusals[0]
    stored = data.demand_settings(path)
    assert list(stored["window_years"]) == [2] and list(stored["growth_rate"]) == [3.0]
    assert list(ann.data_editor(key=key).value["window_years"]) == [2]


def test_one_person_saving_twice_is_never_refused(two):
    # After each save the editor is opened afresh, so a person's own save never stands in
    # the way of their next one.
    ann, _, path = two
    key = "data_demand_editor"
    edit(ann, key, added=[{"window_years": 2, "growth_method": "flat"}])
    ann.run()
    ann.button(key="data_demand_save").click().run()
    assert any("Saved 1 demand setting" in s.value for s in ann.success)
    edit(ann, key, edited={0: {"window_years": 1}})
    ann.run()
    ann.button(key="data_demand_save").click().run()
    assert any("Saved 1 demand setting" in s.value for s in ann.success), [
        w.value for w in ann.warning
    ]
    assert list(data.demand_settings(path)["window_years"]) == [1]


def test_a_service_retired_over_someone_elses_edit_is_refused_on_screen(two):
    ann, ben, path = two
    for person in (ann, ben):
        person.selectbox(key="data_svc_choice").set_value("hav_reablement").run()
    ben.text_input(key="data_svc_hav_reablement_provider").input("Havering Care Partners")
    ben.button(key="data_svc_save").click().run()
    assert any("Saved: Loaded" in s.value for s in ben.success), [w.value for w in ben.warning]
    # Ann's form was drawn before Ben saved: retiring the service from it is refused.
    ann.selectbox(key="data_svc_retire_month_hav_reablement").set_value("2025-10")
    ann.button(key="data_svc_retire").click().run()
    refusals = [w.value for w in ann.warning if w.value.startswith("Not saved:")]
    assert len(refusals) == 1, [w.value for w in ann.warning]
    assert "The service Havering reablement (hav_reablement) changed" in refusals[0]
    catalogue = data.services_catalogue(path).set_index("service_id")
    assert catalogue.loc["hav_reablement", "provider"] == "Havering Care Partners"
    assert catalogue.loc["hav_reablement", "retired_from"] is None
    # Her form now shows Ben's provider; retiring it again works.
    shown = ann.text_input(key="data_svc_hav_reablement_r1_provider").value
    assert shown == "Havering Care Partners"
    ann.selectbox(key="data_svc_retire_month_hav_reablement").set_value("2025-10")
    ann.button(key="data_svc_retire").click().run()
    assert any("Saved: Loaded" in s.value for s in ann.success), [w.value for w in ann.warning]
    catalogue = data.services_catalogue(path).set_index("service_id")
    assert catalogue.loc["hav_reablement", "retired_from"] == "2025-10"
    assert catalogue.loc["hav_reablement", "provider"] == "Havering Care Partners"


def save_workforce(at: AppTest, key: str, hours: float) -> None:
    at.number_input(key=f"{key}_hours").set_value(hours)
    at.text_input(key=f"{key}_source").input("rota")
    at.button[[b.label for b in at.button].index("Save workforce assumptions")].click().run()


def test_workforce_assumptions_saved_over_someone_elses_are_refused_on_screen(two):
    ann, ben, path = two
    save_workforce(ben, "data_workforce", 36.0)
    assert any("Saved for E09000016" in s.value for s in ben.success)
    save_workforce(ann, "data_workforce", 39.0)
    refusals = [w.value for w in ann.warning if "not saved" in w.value]
    assert len(refusals) == 1, [w.value for w in ann.warning]
    assert "The workforce assumptions changed after you opened the editor" in refusals[0]
    assert wv.load_assumptions(path).for_place("E09000016").hours_per_week == 36.0
    # Drawn afresh, her form shows Ben's 36 hours; her 39 then saves.
    assert ann.number_input(key="data_workforce_r1_hours").value == 36.0
    save_workforce(ann, "data_workforce_r1", 39.0)
    assert any("Saved for E09000016" in s.value for s in ann.success)
    assert wv.load_assumptions(path).for_place("E09000016").hours_per_week == 39.0
