"""A change reads as a sentence, and a change in beds, places or hours names its services or
says it applies to all of them (issue 15, defect 6). Every expected sentence is written out
by hand from the change and the names below."""

from __future__ import annotations

import io
import json

import pytest

from capacity import scenario_store
from capacity.cli import main
from capacity.plan import load_plan_inputs, prepare
from capacity.scenarios.applying import services_in_scope
from capacity.scenarios.checks import problems
from capacity.scenarios.model import (
    NAMED_SERVICE_LEVERS,
    Change,
    Names,
    Scenario,
    ScenarioError,
    month_span,
)
from capacity.scenarios.parsing import change_from_dict
from capacity.scenarios.presets import load_presets
from capacity.store import Store
from capacity.views.scenario_choices import all_services

NAMES = Names(
    places={
        "E09000016": "Havering",
        "E09000026": "Redbridge",
        "BHR": "Barking & Dagenham, Havering and Redbridge",
    },
    types={
        "reablement_home": "Reablement at home",
        "rehab_bed": "Rehabilitation in a bedded setting",
        "reablement_bed": "Reablement in a bedded setting",
    },
    services={"bhr_d2a_nursing": "BHR D2A nursing", "hav_reablement": "Havering reablement"},
    settings={
        "reablement_home": "home",
        "rehab_bed": "bedded",
        "reablement_bed": "bedded",
        "p3_short_term_care_home": "bedded",
    },
    service_types={
        "bhr_d2a_nursing": "p3_short_term_care_home",
        "hav_reablement": "reablement_home",
    },
)
WINTER = ("2026-11", "2027-03")


def test_month_ranges_read_as_one_month_or_a_span():
    assert month_span("2026-12", "2026-12") == "Dec 2026"
    assert month_span("2026-11", "2027-03") == "Nov 2026–Mar 2027"


@pytest.mark.parametrize(
    ("change", "sentence"),
    [
        # caseload ±: beds for a bedded service, places at home, 1 is singular
        (
            Change("caseload_delta", 4, *WINTER, services=("bhr_d2a_nursing",)),
            "4 more beds at BHR D2A nursing, Nov 2026–Mar 2027",
        ),
        (
            Change(
                "caseload_delta",
                -1,
                "2026-12",
                "2026-12",
                places=("E09000016",),
                services=("hav_reablement",),
            ),
            "1 fewer place at Havering reablement in Havering, Dec 2026",
        ),
        (
            Change("caseload_delta", 2.5, *WINTER, places=("E09000016",), all_services=True),
            "2.5 more beds or places at every service in Havering, Nov 2026–Mar 2027",
        ),
        (
            Change("caseload_delta", 0, *WINTER, services=("bhr_d2a_nursing",)),
            "beds unchanged at BHR D2A nursing, Nov 2026–Mar 2027",
        ),
        # caseload %
        (
            Change(
                "caseload_pct",
                10,
                "2026-11",
                "2027-04",
                service_types=("rehab_bed", "reablement_bed"),
                all_services=True,
            ),
            "10% more beds at every service for rehabilitation in a bedded setting and reablement "
            "in a bedded setting in every place, Nov 2026–Apr 2027",
        ),
        (
            Change("caseload_pct", -25, *WINTER, services=("hav_reablement", "bhr_d2a_nursing")),
            "25% fewer beds or places at Havering reablement and BHR D2A nursing, "
            "Nov 2026–Mar 2027",
        ),
        # demand %
        (
            Change("demand_pct", 10, "2025-12", "2026-03"),
            "10% more demand in every place, Dec 2025–Mar 2026",
        ),
        (
            Change(
                "demand_pct",
                -5,
                "2025-04",
                "2026-03",
                places=("E09000016",),
                service_types=("reablement_home",),
                source="community",
            ),
            "5% less demand for reablement at home in Havering (community referrals), "
            "Apr 2025–Mar 2026",
        ),
        # pathway shift: the types demand leaves are part of the phrase
        (
            Change(
                "pathway_shift_pct",
                20,
                "2025-04",
                "2026-03",
                service_types=("rehab_bed", "reablement_bed"),
                to_service_type="reablement_home",
                source="hospital",
            ),
            "20% of demand moved from rehabilitation in a bedded setting and reablement in a "
            "bedded setting to reablement at home in every place (hospital discharge referrals), "
            "Apr 2025–Mar 2026",
        ),
        # commissioned hours and staff absence
        (
            Change("hours_pct", 12.5, *WINTER, services=("hav_reablement",)),
            "12.5% more commissioned hours at Havering reablement, Nov 2026–Mar 2027",
        ),
        (
            Change("hours_pct", -10, *WINTER, places=("BHR",), all_services=True),
            "10% fewer commissioned hours at every service in Barking & Dagenham, Havering and "
            "Redbridge, Nov 2026–Mar 2027",
        ),
        (
            Change("absence_pct", 15, "2027-01", "2027-01"),
            "15% of care hours lost to staff absence in every place, Jan 2027",
        ),
        # length of stay, in days and in per cent
        (
            Change("los_days", -2, *WINTER, places=("E09000016", "E09000026")),
            "stays 2 days shorter in Havering and Redbridge, Nov 2026–Mar 2027",
        ),
        (
            Change("los_days", 1, "2026-12", "2026-12", service_types=("reablement_home",)),
            "stays 1 day longer for reablement at home in every place, Dec 2026",
        ),
        (
            Change("los_pct", -10, *WINTER, services=("bhr_d2a_nursing",)),
            "stays 10% shorter at BHR D2A nursing, Nov 2026–Mar 2027",
        ),
        # target occupancy, a share read as a percentage
        (
            Change("target_occupancy", 0.92, *WINTER, service_types=("rehab_bed",)),
            "target occupancy of 92% for rehabilitation in a bedded setting in every place, "
            "Nov 2026–Mar 2027",
        ),
    ],
)
def test_every_lever_reads_as_a_sentence(change, sentence):
    assert change.describe(NAMES) == sentence


def test_without_names_the_codes_stand_in():
    change = Change("caseload_delta", 4, *WINTER, places=("X1",), services=("svc",))
    assert change.describe() == "4 more beds or places at svc in X1, Nov 2026–Mar 2027"


# -- the rule: name the services, or say all ------------------------------------


@pytest.mark.parametrize("lever", NAMED_SERVICE_LEVERS)
def test_a_change_in_beds_places_or_hours_with_no_services_is_refused(lever):
    found = problems(Scenario("x", (Change(lever, 4, *WINTER, places=("E09000016",)),)))
    assert len(found) == 1 and "must name the services it changes" in found[0]
    assert '"all_services": true' in found[0]
    # Naming service types is not naming services: all of that type would still change.
    typed = Change(lever, 4, *WINTER, service_types=("rehab_bed",))
    assert problems(Scenario("x", (typed,)))


@pytest.mark.parametrize("lever", NAMED_SERVICE_LEVERS)
def test_named_services_or_all_services_is_accepted(lever):
    for change in (
        Change(lever, 4, *WINTER, services=("bhr_d2a_nursing",)),
        Change(lever, 4, *WINTER, places=("E09000016",), all_services=True),
    ):
        assert problems(Scenario("x", (change,))) == []


def test_naming_services_and_all_services_at_once_is_refused():
    change = Change("caseload_delta", 4, *WINTER, services=("bhr_d2a_nursing",), all_services=True)
    assert problems(Scenario("x", (change,))) == [
        "change 1: name the services or apply it to all services, not both"
    ]


@pytest.mark.parametrize(
    "lever", ["demand_pct", "absence_pct", "los_days", "los_pct", "target_occupancy"]
)
def test_other_levers_still_mean_all_when_empty(lever):
    value = 0.9 if lever == "target_occupancy" else 5
    assert problems(Scenario("x", (Change(lever, value, *WINTER),))) == []


def test_a_file_says_all_services_as_true_or_false():
    data = {
        "lever": "caseload_delta",
        "value": 4,
        "first_month": "2026-11",
        "last_month": "2027-03",
        "places": ["E09000016"],
    }
    assert change_from_dict(data).all_services is False
    assert change_from_dict({**data, "all_services": True}).all_services is True
    with pytest.raises(ScenarioError, match="all_services must be true or false"):
        change_from_dict({**data, "all_services": "yes"})


def test_every_preset_passes_the_rule_and_flex_beds_says_all():
    for preset in load_presets().values():
        assert problems(preset.for_year(2025)) == [], preset.preset_id
    flex = load_presets()["preset:winter_flex_beds"].for_year(2025)
    assert all(c.all_services for c in flex.changes)


def test_a_preset_file_with_an_odd_all_services_value_is_refused(tmp_path):
    path = tmp_path / "presets.csv"
    path.write_text(
        "preset_id,name,description,lever,value,from_month,to_month,service_types,"
        "to_service_type,source,all_services\n"
        "beds,Beds,More beds,caseload_pct,10,11,3,rehab_bed,,,true\n"
    )
    with pytest.raises(ValueError, match="all_services must be 'yes' or blank"):
        load_presets(path)


# -- on the demo data ------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_model(demo_store):
    places = demo_store.query("places")
    codes = list(places.loc[places["kind"] != "system", "place_code"])
    return prepare(load_plan_inputs(demo_store, codes, 2025))


def test_all_services_lists_havering_s_caseload_and_hours_services(demo_model, demo_store):
    # Havering has four services: Home, Settle & Support (a stated throughput, which no
    # caseload lever moves), the BHR rehabilitation and D2A nursing beds (caseload), and
    # Havering reablement (hours, from which caseload is derived).
    change = Change("caseload_delta", 4, *WINTER, places=("E09000016",))
    assert sorted(services_in_scope(demo_model, change)) == [
        "bhr_d2a_nursing",
        "bhr_rehab_beds",
        "hav_reablement",
    ]
    names = Names.of(
        demo_store.query("places"), demo_store.query("service_types"), demo_store.query("services")
    )
    found = all_services(demo_model, change, names)
    assert found.label.startswith("Apply to all 3 services at Havering: ")
    assert "Havering reablement" in found.label
    # Commissioned hours move only the service planned by hours.
    hours = all_services(demo_model, Change("hours_pct", 10, *WINTER, places=("E09000016",)), names)
    assert hours.label == "Apply to the one service at Havering: Havering reablement"
    # A change that names its services, or a lever that needs none, asks nothing.
    assert (
        all_services(
            demo_model, Change("caseload_delta", 4, *WINTER, services=("bhr_rehab_beds",)), names
        )
        is None
    )
    assert all_services(demo_model, Change("demand_pct", 4, *WINTER), names) is None


def test_a_stored_change_with_no_services_reads_as_all_services(writable_db):
    """Saved before the rule, a change in beds with no services meant every service; it is
    stored the same way as one saved since with "all services" ticked, and reads as such."""
    with Store.open(writable_db) as store:
        saved = scenario_store.save(
            store,
            Scenario(
                "All beds",
                (Change("caseload_delta", 4, *WINTER, places=("E09000016",), all_services=True),),
            ),
        )
        rows = store.query(
            "scenario_changes",
            scenario_id=int(
                store.query("scenario_by_name", name="All beds").iloc[0]["scenario_id"]
            ),
            version=1,
        )
        assert rows.iloc[0]["services"] in ("", None)
        assert saved.changes[0].all_services
        assert saved.changes[0].describe(Names.of(store.query("places"))) == (
            "4 more beds or places at every service in Havering, Nov 2026–Mar 2027"
        )


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out=out, err=err), out.getvalue(), err.getvalue()


def test_the_command_line_refuses_unnamed_beds_and_takes_all_services(writable_db, tmp_path):
    change = {
        "lever": "caseload_delta",
        "value": 4,
        "first_month": "2025-11",
        "last_month": "2026-03",
        "places": ["Havering"],
    }
    path = tmp_path / "beds.json"
    path.write_text(json.dumps({"name": "Beds", "changes": [change]}))
    code, _, err = run("scenario", "save", str(path), "--db", str(writable_db))
    assert code == 1 and "must name the services it changes" in err
    path.write_text(json.dumps({"name": "Beds", "changes": [{**change, "all_services": True}]}))
    code, out, err = run("scenario", "save", str(path), "--db", str(writable_db))
    assert code == 0, err
    code, out, _ = run("scenario", "show", "Beds", "--db", str(writable_db))
    assert "1. 4 more beds or places at every service in Havering, Nov 2025–Mar 2026" in out
