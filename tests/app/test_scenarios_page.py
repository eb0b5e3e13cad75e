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
    app.button(key="sb_add").click().run()
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
    assert set(places.index) == {"Barking and Dagenham", "Havering", "Redbridge"}
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
    assert surged[:8] == pytest.approx(baseline[:8])  # April to November unchanged
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
        "preset:january_absence"
    ).run()
    no_errors(app)
    compare = next(f for f in figures(app) if "Gap by month, " in f["layout"]["title"]["text"])
    assert [t["name"] for t in compare["data"]] == [
        "Baseline",
        "Winter surge (preset)",
        "January staff absence 15% (preset)",
    ]
    tornado = next(f for f in figures(app) if "winter shortfall" in f["layout"]["title"]["text"])
    assert len(tornado["data"][0]["y"]) == 5


def test_saving_a_scenario_refreshes_the_picker_but_does_not_read_the_data_again(
    app, writable_db, tmp_path, monkeypatch
):
    """Issue 4's speed rule: saving a scenario must not re-read referrals that did not change.
    The loader is spied on, not replaced: the plans are still computed from the store."""
    import capacity.views.plans as common

    reads = []
    real = common.load_plan_inputs
    monkeypatch.setattr(
        common,
        "load_plan_inputs",
        lambda store, codes, year, **kw: reads.append(year) or real(store, codes, year, **kw),
    )
    app.text_input(key="sb_name").input("Winter BHR").run()
    add(app, "demand_pct", 10, "2025-12", "2026-03")
    app.button(key="sb_save").click().run()
    no_errors(app)
    assert "Winter BHR" in app.selectbox(key="scenario").options[-1]
    assert app.selectbox(key="scenario").value == "Winter BHR"
    baseline = trace(
        next(f for f in figures(app) if "baseline and scenario" in f["layout"]["title"]["text"]),
        "Baseline",
    )["y"]
    app.switch_page(page_path("place")).run()
    no_errors(app)
    assert "Winter BHR" in " ".join(m.value for m in app.markdown)
    assert reads == []  # every plan above came from the data read before the save

    # A change to the data itself (an import, here from the command line) is read again:
    # counts for a service type Havering has no records of, so they become its demand.
    counts = tmp_path / "counts.csv"
    counts.write_text(
        "place_code,service_type,source,month,referrals,source_note\n"
        "E09000016,reablement_bed,hospital,2025-01-01,500,test\n"
    )
    from capacity.cli import main

    assert main(["import", "counts", str(counts), "--db", str(writable_db)]) == 0
    app.switch_page(page_path("scenarios")).run()
    no_errors(app)
    assert 2025 in reads
    after = trace(
        next(f for f in figures(app) if "baseline and scenario" in f["layout"]["title"]["text"]),
        "Baseline",
    )["y"]
    assert after != pytest.approx(baseline)


def test_a_saved_scenario_that_no_longer_applies_shows_the_baseline_and_says_why(
    writable_db, tmp_path, monkeypatch
):
    """Saved when BHR had 61 winter rehab beds; parameters imported since cut them to 50."""
    from tests.unit.test_scenario_store import save_then_cut_the_beds

    save_then_cut_the_beds(str(writable_db), tmp_path)
    monkeypatch.setenv(config.DB_ENV, str(writable_db))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"year": "2024", "scenario": "Fewer beds"})
    at.run()
    for page in ("overview", "place", "export", "flow", "scenarios"):
        at.switch_page(page_path(page)).run()
        no_errors(at)
        assert any(
            "The scenario 'Fewer beds' cannot be applied to 2024-25: BHR community "
            "rehabilitation beds: caseload must be a number of at least 0"
            in w.value
            and "show the baseline" in w.value
            for w in at.warning
        ), page
    assert at.query_params["scenario"] == "Fewer beds"  # the choice is kept, not applied
    at.multiselect(key="sb_compare").select("Fewer beds").run()
    no_errors(at)
    assert any("left out of the comparison" in w.value for w in at.warning)


def test_flips_are_counted_per_service_and_listed(app):
    """Issue 4's done-when scenario for BHR: the month totals stay short all winter, yet some
    services move between surplus and shortfall; each is counted and named."""
    add(app, "demand_pct", 10, "2025-12", "2026-03")
    add(app, "caseload_delta", 4, "2025-11", "2026-03", services=["bhr_rehab_beds"])
    effect = app.dataframe[0].value
    assert (effect["gap_baseline"] < 0).all() and (effect["gap_scenario"] < 0).all()
    listed = app.dataframe[-1].value
    assert {"month", "place", "service", "source", "flip"} <= set(listed.columns)
    assert len(listed) > 0
    assert metric(app, "Service-months that flip").value == str(len(listed))
    for row in listed.itertuples():
        # Gaps are shown in whole people, so one under half a person shows as 0.
        assert row.gap_baseline == round(row.gap_baseline) and row.gap_scenario == round(
            row.gap_scenario
        )
        if row.flip == "into shortfall":
            assert row.gap_scenario <= 0 <= row.gap_baseline
        else:
            assert row.flip == "out of shortfall"
            assert row.gap_baseline <= 0 <= row.gap_scenario
        assert row.gap_baseline != row.gap_scenario or row.gap_baseline == 0
    assert effect["into_shortfall"].sum() + effect["out_of_shortfall"].sum() == len(listed)


def test_a_shift_to_a_type_that_takes_no_such_referrals_is_refused_when_added(app):
    app.selectbox(key="sb_source").select("hospital")
    app.selectbox(key="sb_to_type").select("ucr")
    add(app, "pathway_shift_pct", 50, "2025-11", "2026-03", check=False, types=["rehab_bed"])
    assert any(
        "Urgent community response takes no hospital discharge referrals" in e.value
        for e in app.error
    )
    assert app.session_state["sb_changes"] == []


def test_a_scenario_that_cannot_apply_is_said_once_in_presentation_mode(
    writable_db, tmp_path, monkeypatch
):
    from tests.unit.test_scenario_store import save_then_cut_the_beds

    save_then_cut_the_beds(str(writable_db), tmp_path)
    monkeypatch.setenv(config.DB_ENV, str(writable_db))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"year": "2024", "scenario": "Fewer beds", "present": "1"})
    at.run()  # opens the overview, as large as presentation mode makes it
    no_errors(at)
    said = [w.value for w in at.warning if "cannot be applied" in w.value]
    assert len(said) == 1


def test_a_chosen_scenario_deleted_elsewhere_falls_back_with_a_notice(app, writable_db):
    from capacity.scenario_store import delete
    from capacity.store import Store

    app.text_input(key="sb_name").input("Short lived").run()
    add(app, "demand_pct", 10, "2025-12", "2026-03")
    app.button(key="sb_save").click().run()
    app.sidebar.selectbox(key="scenario").select("Short lived").run()
    assert app.query_params["scenario"] == "Short lived"
    with Store.open(writable_db) as store:  # another session, or the command line
        delete(store, "Short lived")
    app.run()
    no_errors(app)
    assert any("'Short lived' is no longer saved" in w.value for w in app.warning)
    assert app.sidebar.selectbox(key="scenario").value == "baseline"
    assert "scenario" not in app.query_params
