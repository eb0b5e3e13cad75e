"""The application layer on the demo data: what the pages and the command line both call."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from capacity import config
from capacity.cli import main
from capacity.formulas import InvalidInput
from capacity.scenarios.model import ScenarioError
from capacity.views import flow, places, plans, quality
from capacity.views import scenario_choices as choices
from tests.conftest import estimate


def test_a_systems_population_is_the_sum_of_its_places(demo_store):
    table = places.places_with_populations(demo_store).set_index("place_code")
    members = ["E09000002", "E09000016", "E09000026"]
    assert places.members(table.reset_index(), "BHR") == members
    assert table.loc["BHR", "population_65plus"] == table.loc[members, "population_65plus"].sum()
    # ONS mid-2023 estimates aged 65+: 19,667 + 47,104 + 39,699.
    assert table.loc["BHR", "population_65plus"] == 106_470


BHR_PLACES = ["E09000002", "E09000016", "E09000026"]  # Barking and Dagenham, Havering, Redbridge


@pytest.mark.parametrize(("base", "band"), [("18", "18+"), ("65", "65+"), ("85", "85+")])
def test_each_population_base_is_the_ons_estimate_and_a_systems_is_its_places_sum(
    demo_store, base, band
):
    table = places.places_with_populations(demo_store)
    people = places.populations(table, base)
    assert people["E09000016"] == estimate("E09000016", band)  # Havering
    assert people["BHR"] == sum(estimate(code, band) for code in BHR_PLACES)
    # North East London ICB: the places whose main ICB it is, in the shipped list.
    england = pd.read_csv(config.REFERENCE_DIR / "hwb_places.csv")
    nel = england.loc[england["icb_code"] == "E54000029", "code"]
    assert len(nel) == 8
    assert people["E54000029"] == pytest.approx(sum(estimate(code, band) for code in nel))


def test_the_85_plus_base_in_figures():
    # The file's rows for Havering (7,127), Barking and Dagenham (2,495), Redbridge (5,420).
    assert estimate("E09000016", "85+") == 7_127
    assert sum(estimate(code, "85+") for code in BHR_PLACES) == 2_495 + 7_127 + 5_420


def test_a_population_base_is_named_with_its_year_and_source():
    assert places.rate_basis("85") == "per 100,000 aged 85+ (ONS mid-2023 estimate)"
    assert places.rate_basis() == "per 100,000 aged 65+ (ONS mid-2023 estimate)"
    assert places.parse_base("18") == "18" and places.parse_base("85+") == "85"
    with pytest.raises(ValueError, match="use per=18, per=65, per=85"):
        places.parse_base("42")
    with pytest.raises(ValueError, match="not a population base"):
        places.rate_basis("42")


def test_a_partial_icbs_rate_base_is_its_places_with_plans_alone(demo_store):
    table = places.places_with_populations(demo_store)
    essex, thurrock = "E10000012", "E06000034"  # Southend-on-Sea (E06000033) has no plan
    rows = places.scope_rows(table, "icb:E54000026", {essex, thurrock, "E54000026"}, "85")
    rows = rows.set_index("place_code")
    assert rows.loc["E54000026", "population"] == estimate(essex, "85+") + estimate(thurrock, "85+")
    assert rows.loc[thurrock, "population"] == estimate(thurrock, "85+")
    assert rows.loc["E06000033", "population"] == estimate("E06000033", "85+")


def test_rate_populations_take_a_systems_places_with_plans_alone(demo_store):
    table = places.places_with_populations(demo_store)
    people = places.rate_populations(table, {*BHR_PLACES, "BHR"}, "85")
    # North East London ICB: only BHR's three places have plans, so its base is theirs.
    bhr = sum(estimate(code, "85+") for code in BHR_PLACES)
    assert people["E54000029"] == people["BHR"] == bhr
    assert people["E09000016"] == estimate("E09000016", "85+")
    assert pd.isna(people["E54000026"])  # Mid and South Essex: none of its places here


def test_the_places_command_shows_each_population_base(demo_db, capsys):
    import io

    out = io.StringIO()
    assert main(["places", "--db", str(demo_db)], out=out) == 0
    text = out.getvalue()
    bhr = next(line for line in text.splitlines() if line.strip().startswith("BHR"))
    # Aged 18+, 65+ and 85+: the sums of BHR's three places' estimates.
    assert bhr.split()[-3:] == ["601,044", "106,470", "15,042"]
    assert "ONS mid-2023 estimate" in text


def test_a_path_and_an_open_store_give_the_same_answer(demo_db, demo_store):
    assert places.places_with_populations(demo_db).equals(
        places.places_with_populations(demo_store)
    )


def test_planning_years_run_to_two_years_ahead(demo_store):
    years = places.planning_years(demo_store, date(2025, 6, 1))
    assert years[-1] == 2027 and years == list(range(years[0], 2028))


def test_a_place_resolves_by_name_or_code(demo_store):
    table = places.places_with_populations(demo_store)
    assert places.resolve(table, "havering")["place_code"] == "E09000016"
    assert places.default_place(table) == "BHR"
    assert places.systems_first(table)[0] == "BHR"


def test_scenario_choices_start_with_the_baseline_and_offer_presets(demo_store):
    offered = choices.scenario_choices(demo_store)
    assert next(iter(offered)) == choices.BASELINE
    assert offered["preset:winter_surge"] == "Winter surge (preset)"
    assert choices.scenario_for(demo_store, choices.BASELINE, 2025) is None
    assert choices.scenario_version_of("preset:winter_surge", "v9") == ""
    assert choices.scenario_version_of("Mine", "v9") == "v9"


def test_the_plan_everywhere_holds_each_place_and_its_systems_sum(demo_store):
    prepared = plans.prepared_plan(demo_store, 2025)
    frame = plans.plan_everywhere(prepared, None, 2025)
    bhr = plans.rows_of(frame, "BHR")["demand"].sum()
    members = frame[frame["place_code"].isin(["E09000002", "E09000016", "E09000026"])]
    assert bhr == pytest.approx(members["demand"].sum())


def test_a_scenario_that_cannot_apply_is_the_scenarios_fault():
    scenario = choices.Scenario("Too far", ())
    with (
        pytest.raises(ScenarioError, match="'Too far' cannot be applied to 2025-26"),
        plans.applying(scenario, 2025),
    ):
        raise InvalidInput("caseload", -1, "0 or more")
    with pytest.raises(InvalidInput), plans.applying(None, 2025):
        raise InvalidInput("caseload", -1, "0 or more")


def test_scenario_problem_is_none_for_the_baseline_and_says_why_otherwise():
    def failing():
        raise ScenarioError(["it does not fit"])

    assert plans.scenario_problem(choices.BASELINE, failing) is None
    assert "it does not fit" in plans.scenario_problem("Mine", failing)


def test_flow_inputs_for_a_view_match_the_plan(demo_store):
    prepared = plans.prepared_plan(demo_store, 2025)
    frame = plans.plan_everywhere(prepared, None, 2025)
    table = flow.service_table(prepared, "E09000016")
    service = table.loc[table["modelled"], "service_id"].iloc[0]
    target = flow.flow_target(prepared, "E09000016", service)
    assert target.codes == ("E09000016",) and target.label.endswith("· Havering")
    inputs = flow.flow_inputs(
        prepared, frame, None, target, flow.records_for(demo_store, target, 2025)
    )
    assert inputs.service_id == service and len(inputs.dates) == 365
    with pytest.raises(flow.FlowError):
        flow.flow_target(prepared, "E09000016", "no-such-service")


def test_data_quality_summaries_add_up(demo_store):
    codes = ("E09000002", "E09000016", "E09000026")
    history = quality.referral_history(demo_store, codes)
    shares = quality.source_shares(history)
    assert sum(share for _, _, share in shares) == pytest.approx(1.0)
    assert sum(v for _, v, _ in shares) == pytest.approx(history["referrals"].sum())
    assert set(quality.coverage_of(history)["place_code"]) <= set(codes)


def test_the_overview_names_systems_and_says_when_one_holds_a_single_place(demo_store):
    shown = {"E09000002", "E09000016", "E09000026", "E06000034", "E06000017"}
    rows = places.overview_rows(demo_store.query("places"), shown).set_index("place_code")
    is_system = demo_store.query("places").set_index("place_code")["kind"] == "system"
    # Places first, by name, then systems.
    assert [is_system[c] for c in rows.index] == sorted(is_system[c] for c in rows.index)
    assert rows.loc["E09000016", "label"] == "Havering"
    assert rows.loc["BHR", "label"] == "Barking & Dagenham, Havering and Redbridge (system)"
    # Leicester, Leicestershire and Rutland: only Rutland has figures on the screen.
    assert (
        rows.loc["E54000015", "label"] == "Leicester, Leicestershire and Rutland ICB (Rutland only)"
    )
    assert rows.loc["E54000015", "single"] == "Rutland" and pd.isna(rows.loc["BHR", "single"])
    # North East London: three of its eight places.
    assert rows.loc["E54000029", "label"] == "North East London ICB (3 of 8 places)"


def test_a_partial_systems_rate_is_of_its_places_with_figures_alone():
    from tests.conftest import PLACES

    # Place A alone has figures: the system's row stands for A's 30,000 people aged 65+,
    # not the 40,000 of A and B.
    rows = places.overview_rows(PLACES, {"A", "SYS"}).set_index("place_code")
    assert rows.loc["SYS", "label"] == "Test System (Place A only)"
    assert rows.loc["SYS", "population"] == 30_000
    both = places.overview_rows(PLACES, {"A", "B", "SYS"}).set_index("place_code")
    assert both.loc["SYS", "label"] == "Test System (system)"
    assert both.loc["SYS", "population"] == 40_000
    none = places.overview_rows(PLACES, set()).set_index("place_code")
    assert none.loc["SYS", "label"] == "Test System (no places with plans)"
    assert pd.isna(none.loc["SYS", "population"])


def test_the_picker_works_for_places_without_england_columns():
    from tests.conftest import PLACES

    # A table with no ICBs, regions or services: the system first, then its places by name.
    options = places.picker_options(PLACES)
    assert list(options["label"]) == ["Test System (system)", "Place A", "Place B"]
    assert not options["in_use"].any()
    with pytest.raises(ValueError, match="not an ICB"):
        places.parse_scope(PLACES, "icb:SYS")
    assert places.parse_scope(PLACES, "plans") == "plans"
